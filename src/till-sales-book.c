/* till-sales-book.c: the app's book of sales, one SQLite file that survives restarts.
 *
 * One connection, WAL with synchronous=FULL: a sale is on disk when record() returns.
 * Every statement is prepared and parameterised. The schema's version is user_version;
 * application_id marks the file as a sales book, so that another database given by
 * mistake is refused rather than written into.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-book"

#include "config.h"

#include <errno.h>
#include <inttypes.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "till-sales-book.h"

#define BOOK_APPLICATION_ID 0x54494c4c /* "TILL" */
#define BOOK_VERSION        1
/* Only this process writes the book: a lock means a stuck reader, not a queue. */
#define BOOK_BUSY_MS        250

struct _TillSalesBook
{
  GObject  parent_instance;
  gchar   *path;
  sqlite3 *db;
  guint    day_starts_at;
  gint64   created;
};

G_DEFINE_FINAL_TYPE (TillSalesBook, till_sales_book, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_DAY_STARTS_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (till-sales-book-error-quark, till_sales_book_error)

static const char schema_v1[] =
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY,"
  "  value INTEGER NOT NULL);"
  "CREATE TABLE sales ("
  "  id           INTEGER PRIMARY KEY,"
  "  time         INTEGER NOT NULL,"
  "  day          TEXT NOT NULL,"
  "  method       TEXT NOT NULL,"
  "  method_name  TEXT NOT NULL,"
  "  mode         INTEGER NOT NULL,"
  "  amount       INTEGER NOT NULL CHECK (amount >= 0),"
  "  currency     TEXT NOT NULL,"
  "  provider_ref TEXT,"
  "  reference    TEXT,"
  "  repaired     INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (method, provider_ref));"
  "CREATE INDEX sales_day ON sales (day, time);"
  "CREATE TABLE lines ("
  "  sale       INTEGER NOT NULL REFERENCES sales (id),"
  "  pos        INTEGER NOT NULL,"
  "  name       TEXT NOT NULL,"
  "  category   TEXT,"
  "  quantity   INTEGER NOT NULL CHECK (quantity >= 0),"
  "  unit_price INTEGER NOT NULL CHECK (unit_price >= 0),"
  "  amount     INTEGER NOT NULL CHECK (amount >= 0),"
  "  PRIMARY KEY (sale, pos));"
  /* A void is a row of its own: the sale stays as it was recorded. */
  "CREATE TABLE voids ("
  "  sale INTEGER PRIMARY KEY REFERENCES sales (id),"
  "  time INTEGER NOT NULL);";

/* Errors */

static gboolean
book_fail (TillSalesBook  *self,
           int             rc,
           const char     *what,
           GError        **error)
{
  int code = TILL_SALES_BOOK_ERROR_STORAGE;
  const char *detail = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
    code = TILL_SALES_BOOK_ERROR_CORRUPT;
  if (code == TILL_SALES_BOOK_ERROR_CORRUPT)
    g_set_error (error, TILL_SALES_BOOK_ERROR, code,
                 /* Translators: %s is a file name, then SQLite's own words */
                 _("The sales book %s is damaged or is not a sales book (%s)."),
                 self->path, detail);
  else
    g_set_error (error, TILL_SALES_BOOK_ERROR, code,
                 /* Translators: the statement, then SQLite's own words:
                  * "The sales book could not be read or written (COMMIT: disk I/O error)." */
                 _("The sales book could not be read or written (%s: %s)."), what, detail);
  return FALSE;
}

static gboolean
book_exec (TillSalesBook  *self,
           const char     *sql,
           GError        **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK || book_fail (self, rc, sql, error);
}

static sqlite3_stmt *
book_prepare (TillSalesBook  *self,
              const char     *sql,
              GError        **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      book_fail (self, rc, sql, error);
      return NULL;
    }
  return stmt;
}

typedef sqlite3_stmt *sqlite3_stmt_ptr;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (sqlite3_stmt_ptr, sqlite3_finalize, NULL)
#define g_auto_stmt g_auto (sqlite3_stmt_ptr)

/* One integer from a one-row query (a pragma). */
static gboolean
book_query_int (TillSalesBook  *self,
                const char     *sql,
                gint64         *value,
                GError        **error)
{
  g_auto_stmt stmt = book_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return book_fail (self, rc, sql, error);
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* Sales and summaries */

static void
book_line_free (gpointer data)
{
  TillBookLine *line = data;

  g_free (line->name);
  g_free (line->category);
  g_free (line);
}

TillBookSale *
till_book_sale_new (void)
{
  TillBookSale *sale = g_new0 (TillBookSale, 1);

  sale->lines = g_ptr_array_new_with_free_func (book_line_free);
  return sale;
}

void
till_book_sale_add_line (TillBookSale *sale,
                         const char   *name,
                         const char   *category,
                         guint         quantity,
                         guint64       unit_price,
                         guint64       amount)
{
  TillBookLine *line = g_new0 (TillBookLine, 1);

  g_return_if_fail (sale != NULL);
  line->name = g_strdup (name ? name : "");
  line->category = g_strdup (category);
  line->quantity = quantity;
  line->unit_price = unit_price;
  line->amount = amount;
  g_ptr_array_add (sale->lines, line);
}

gchar *
till_book_sale_dup_items (const TillBookSale *sale,
                          const char         *separator)
{
  g_autoptr(GString) items = g_string_new (NULL);

  g_return_val_if_fail (sale != NULL, NULL);

  for (guint i = 0; i < sale->lines->len; i++)
    {
      const TillBookLine *line = sale->lines->pdata[i];

      if (i > 0)
        g_string_append (items, separator);
      /* Translators: one item of a sale in the day's list and the export, "2 × Beer" */
      g_string_append_printf (items, _("%u × %s"), line->quantity, line->name);
    }
  return g_string_free (g_steal_pointer (&items), FALSE);
}

void
till_book_sale_free (TillBookSale *sale)
{
  if (sale == NULL)
    return;
  g_free (sale->day);
  g_free (sale->method);
  g_free (sale->method_name);
  g_free (sale->currency);
  g_free (sale->provider_ref);
  g_free (sale->reference);
  g_ptr_array_unref (sale->lines);
  g_free (sale);
}

static void
book_total_free (gpointer data)
{
  TillBookTotal *total = data;

  g_free (total->key);
  g_free (total->label);
  g_free (total->currency);
  g_free (total);
}

void
till_book_summary_free (TillBookSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->day);
  g_clear_pointer (&summary->voids, g_ptr_array_unref);
  g_clear_pointer (&summary->totals, g_ptr_array_unref);
  g_clear_pointer (&summary->methods, g_ptr_array_unref);
  g_clear_pointer (&summary->categories, g_ptr_array_unref);
  g_free (summary);
}

/* GObject */

static void
till_sales_book_finalize (GObject *object)
{
  TillSalesBook *self = TILL_SALES_BOOK (object);

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  G_OBJECT_CLASS (till_sales_book_parent_class)->finalize (object);
}

static void
till_sales_book_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_DAY_STARTS_AT:
      g_value_set_uint (value, TILL_SALES_BOOK (object)->day_starts_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_sales_book_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_DAY_STARTS_AT:
      till_sales_book_set_day_starts_at (TILL_SALES_BOOK (object), g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_sales_book_class_init (TillSalesBookClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_sales_book_finalize;
  object_class->get_property = till_sales_book_get_property;
  object_class->set_property = till_sales_book_set_property;

  /**
   * TillSalesBook:day-starts-at:
   *
   * The hour (0-23) at which a business day starts. It decides the day of the sales
   * recorded from then on; a recorded sale keeps its day.
   */
  properties[PROP_DAY_STARTS_AT] =
    g_param_spec_uint ("day-starts-at", NULL, NULL, 0, 23, 4,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_sales_book_init (TillSalesBook *self)
{
  self->day_starts_at = 4;
}

/* Opening */

gchar *
till_sales_book_default_path (gboolean demo)
{
  const char *env = g_getenv ("TILL_SALES_BOOK");
  const char *demo_dir = g_getenv ("TILL_DEMO_DIR");

  if (env != NULL && *env)
    return g_strdup (env);
  if (demo && demo_dir != NULL && *demo_dir)
    return g_build_filename (demo_dir, "sales.db", NULL);
  if (demo)
    return g_build_filename (g_get_user_data_dir (), "till", "demo", "sales.db", NULL);
  return g_build_filename (g_get_user_data_dir (), "till", "sales.db", NULL);
}

/* A new file gets the schema; a file of ours is checked for its version; anything else
 * (another app's database, a damaged header) is refused. */
static gboolean
book_prepare_schema (TillSalesBook  *self,
                     GError        **error)
{
  gint64 version, app_id, n_tables;

  if (!book_query_int (self, "PRAGMA user_version", &version, error) ||
      !book_query_int (self, "PRAGMA application_id", &app_id, error) ||
      !book_query_int (self, "SELECT count(*) FROM sqlite_master", &n_tables, error))
    return FALSE;
  if (n_tables > 0 && app_id != BOOK_APPLICATION_ID)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_CORRUPT,
                   _("The sales book %s is damaged or is not a sales book (%s)."), self->path,
                   _("another program's database"));
      return FALSE;
    }
  if (version > BOOK_VERSION)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_TOO_NEW,
                   /* Translators: %s is a file name */
                   _("The sales book %s was written by a newer version of Till."), self->path);
      return FALSE;
    }
  if (version == BOOK_VERSION)
    {
      g_auto_stmt stmt = book_prepare (self, "SELECT value FROM meta WHERE key = 'created'", error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        return book_fail (self, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "meta", error);
      self->created = sqlite3_column_int64 (stmt, 0);
      return TRUE;
    }

  /* Version 0: a new file. (Later versions migrate here, one step per version.) */
  {
    g_auto_stmt stmt = NULL;
    g_autofree gchar *pragmas = g_strdup_printf ("PRAGMA application_id = %d; "
                                                 "PRAGMA user_version = %d;",
                                                 BOOK_APPLICATION_ID, BOOK_VERSION);
    int rc;

    if (!book_exec (self, "BEGIN IMMEDIATE", error))
      return FALSE;
    if (!book_exec (self, schema_v1, error) || !book_exec (self, pragmas, error))
      goto rollback;
    stmt = book_prepare (self, "INSERT INTO meta (key, value) VALUES ('created', ?1)", error);
    if (stmt == NULL)
      goto rollback;
    self->created = g_get_real_time () / G_USEC_PER_SEC;
    sqlite3_bind_int64 (stmt, 1, self->created);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
      {
        book_fail (self, rc, "meta", error);
        goto rollback;
      }
    if (!book_exec (self, "COMMIT", error))
      goto rollback;
    return TRUE;

  rollback:
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
}

TillSalesBook *
till_sales_book_open (const char  *path,
                      GError     **error)
{
  g_autoptr(TillSalesBook) self = NULL;
  g_autofree gchar *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (TILL_TYPE_SALES_BOOK, NULL);
  self->path = g_strdup (path);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_STORAGE,
                   /* Translators: a folder, then the system's reason */
                   _("The sales book's folder %s could not be made: %s"), dir, g_strerror (saved));
      return NULL;
    }
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      book_fail (self, rc, "open", error);
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BOOK_BUSY_MS);
  /* The pragmas are the first reads: a file that is not a database fails here. */
  if (!book_exec (self, "PRAGMA journal_mode = WAL", error) ||
      !book_exec (self, "PRAGMA synchronous = FULL", error) ||
      !book_exec (self, "PRAGMA foreign_keys = ON", error) ||
      !book_prepare_schema (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

gchar *
till_sales_book_set_aside (const char  *path,
                           GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree gchar *aside = g_strdup_printf ("%s.damaged-%s", path, stamp);

  if (g_rename (path, aside) != 0)
    {
      int saved = errno;

      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_STORAGE,
                   "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  /* The WAL belongs to the old file: a new book must not replay it. */
  for (guint i = 0; i < 2; i++)
    {
      const char *suffix = i == 0 ? "-wal" : "-shm";
      g_autofree gchar *from = g_strconcat (path, suffix, NULL);
      g_autofree gchar *to = g_strconcat (aside, suffix, NULL);

      if (g_file_test (from, G_FILE_TEST_EXISTS))
        g_rename (from, to);
    }
  return g_steal_pointer (&aside);
}

const char *
till_sales_book_get_path (TillSalesBook *self)
{
  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), NULL);
  return self->path;
}

gint64
till_sales_book_get_created (TillSalesBook *self)
{
  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), 0);
  return self->created;
}

/* The business day */

void
till_sales_book_set_day_starts_at (TillSalesBook *self,
                                   guint          hour)
{
  g_return_if_fail (TILL_IS_SALES_BOOK (self));
  hour = MIN (hour, 23);
  if (hour == self->day_starts_at)
    return;
  self->day_starts_at = hour;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DAY_STARTS_AT]);
}

guint
till_sales_book_get_day_starts_at (TillSalesBook *self)
{
  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), 0);
  return self->day_starts_at;
}

/* By the wall clock, not by subtracting hours: on the night the clocks change, a sale at
 * 04:30 still belongs to the day that starts at 04:00. */
gchar *
till_sales_book_business_day (TillSalesBook *self,
                              GDateTime     *time)
{
  g_autoptr(GDate) date = NULL;
  char text[16];

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), NULL);
  g_return_val_if_fail (time != NULL, NULL);

  date = g_date_new_dmy ((GDateDay) g_date_time_get_day_of_month (time),
                         (GDateMonth) g_date_time_get_month (time),
                         (GDateYear) g_date_time_get_year (time));
  if ((guint) g_date_time_get_hour (time) < self->day_starts_at)
    g_date_subtract_days (date, 1);
  g_snprintf (text, sizeof text, "%04u-%02u-%02u", g_date_get_year (date),
              g_date_get_month (date), g_date_get_day (date));
  return g_strdup (text);
}

static gchar *
book_day_of (TillSalesBook *self,
             gint64         unix_time)
{
  g_autoptr(GDateTime) local = g_date_time_new_from_unix_local (unix_time);

  return local ? till_sales_book_business_day (self, local) : g_strdup ("0000-00-00");
}

gboolean
till_sales_book_day_bounds (TillSalesBook *self,
                            const char    *day,
                            gint64        *start,
                            gint64        *end)
{
  guint y, m, d;
  g_autoptr(GDateTime) from = NULL;
  g_autoptr(GDateTime) to = NULL;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), FALSE);

  if (day == NULL || sscanf (day, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
      !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;
  from = g_date_time_new_local ((int) y, (int) m, (int) d, (int) self->day_starts_at, 0, 0);
  if (from == NULL)
    return FALSE;
  /* A day later by the calendar (23 or 25 hours when the clocks change). */
  to = g_date_time_add_days (from, 1);
  *start = g_date_time_to_unix (from);
  *end = g_date_time_to_unix (to);
  return TRUE;
}

/* Recording */

static gboolean
book_step_done (TillSalesBook  *self,
                sqlite3_stmt   *stmt,
                const char     *what,
                GError        **error)
{
  int rc = sqlite3_step (stmt);

  return rc == SQLITE_DONE || book_fail (self, rc, what, error);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
book_find_reference (TillSalesBook  *self,
                     const char     *method,
                     const char     *provider_ref,
                     gint64         *id,
                     GError        **error)
{
  g_auto_stmt stmt = book_prepare (self, "SELECT id FROM sales "
                                         "WHERE method = ?1 AND provider_ref = ?2", error);
  int rc;

  *id = 0;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, method, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, provider_ref, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *id = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    return book_fail (self, rc, "lookup", error);
  return TRUE;
}

gboolean
till_sales_book_has_reference (TillSalesBook  *self,
                               const char     *method,
                               const char     *provider_ref,
                               gboolean       *found,
                               GError        **error)
{
  gint64 id;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), FALSE);
  g_return_val_if_fail (method != NULL && provider_ref != NULL, FALSE);

  if (!book_find_reference (self, method, provider_ref, &id, error))
    return FALSE;
  *found = id != 0;
  return TRUE;
}

static gboolean
book_insert (TillSalesBook  *self,
             TillBookSale   *sale,
             GError        **error)
{
  g_auto_stmt insert = NULL;
  g_auto_stmt line_insert = NULL;

  insert = book_prepare (self,
                         "INSERT INTO sales (time, day, method, method_name, mode, amount, currency, "
                         "provider_ref, reference, repaired) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                         error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, sale->time);
  sqlite3_bind_text (insert, 2, sale->day, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (insert, 3, sale->method, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (insert, 4, sale->method_name ? sale->method_name : sale->method, -1,
                     SQLITE_TRANSIENT);
  sqlite3_bind_int (insert, 5, sale->mode);
  sqlite3_bind_int64 (insert, 6, (sqlite3_int64) sale->amount);
  sqlite3_bind_text (insert, 7, sale->currency, -1, SQLITE_TRANSIENT);
  bind_text_or_null (insert, 8, sale->provider_ref);
  bind_text_or_null (insert, 9, sale->reference);
  sqlite3_bind_int (insert, 10, sale->repaired ? 1 : 0);
  if (!book_step_done (self, insert, "sale", error))
    return FALSE;
  sale->id = sqlite3_last_insert_rowid (self->db);

  line_insert = book_prepare (self,
                              "INSERT INTO lines (sale, pos, name, category, quantity, unit_price, amount) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (line_insert == NULL)
    return FALSE;
  for (guint i = 0; i < sale->lines->len; i++)
    {
      const TillBookLine *line = sale->lines->pdata[i];

      sqlite3_reset (line_insert);
      sqlite3_bind_int64 (line_insert, 1, sale->id);
      sqlite3_bind_int (line_insert, 2, (int) i);
      sqlite3_bind_text (line_insert, 3, line->name, -1, SQLITE_TRANSIENT);
      bind_text_or_null (line_insert, 4, line->category);
      sqlite3_bind_int64 (line_insert, 5, line->quantity);
      sqlite3_bind_int64 (line_insert, 6, (sqlite3_int64) line->unit_price);
      sqlite3_bind_int64 (line_insert, 7, (sqlite3_int64) line->amount);
      if (!book_step_done (self, line_insert, "line", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
till_sales_book_record (TillSalesBook  *self,
                        TillBookSale   *sale,
                        GError        **error)
{
  gint64 existing = 0;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), FALSE);
  g_return_val_if_fail (sale != NULL && sale->method != NULL && sale->currency != NULL, FALSE);

  if (sale->amount > G_MAXINT64)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_INVALID,
                   _("The sales book cannot hold an amount this large."));
      return FALSE;
    }
  for (guint i = 0; i < sale->lines->len; i++)
    {
      const TillBookLine *line = sale->lines->pdata[i];

      if (line->amount > G_MAXINT64 || line->unit_price > G_MAXINT64)
        {
          g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_INVALID,
                       _("The sales book cannot hold an amount this large."));
          return FALSE;
        }
    }
  if (sale->time == 0)
    sale->time = g_get_real_time () / G_USEC_PER_SEC;
  g_free (sale->day);
  sale->day = book_day_of (self, sale->time);

  if (!book_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  /* The same wallet code approved again ("Already paid") is the first sale, not a second. */
  if (sale->provider_ref != NULL &&
      !book_find_reference (self, sale->method, sale->provider_ref, &existing, error))
    goto rollback;
  if (existing != 0)
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      sale->id = existing;
      return TRUE;
    }
  if (!book_insert (self, sale, error) || !book_exec (self, "COMMIT", error))
    goto rollback;
  return TRUE;

rollback:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  sale->id = 0;
  return FALSE;
}

gboolean
till_sales_book_void (TillSalesBook  *self,
                      gint64          id,
                      gint64          time,
                      GError        **error)
{
  g_auto_stmt find = NULL;
  g_auto_stmt insert = NULL;
  int rc;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), FALSE);

  find = book_prepare (self,
                       "SELECT s.method, v.sale FROM sales s LEFT JOIN voids v ON v.sale = s.id "
                       "WHERE s.id = ?1", error);
  if (find == NULL)
    return FALSE;
  sqlite3_bind_int64 (find, 1, id);
  rc = sqlite3_step (find);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_FOUND,
                   _("There is no sale %" PRId64 " in the sales book."), id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return book_fail (self, rc, "void", error);
  /* A wallet sale is the payer's money at the acquirer: only its provider can undo it. */
  if (g_strcmp0 ((const char *) sqlite3_column_text (find, 0), "cash") != 0)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_VOIDABLE,
                   _("Only a cash sale can be voided here."));
      return FALSE;
    }
  if (sqlite3_column_type (find, 1) != SQLITE_NULL)
    {
      g_set_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_VOIDABLE,
                   _("This sale is already voided."));
      return FALSE;
    }
  insert = book_prepare (self, "INSERT INTO voids (sale, time) VALUES (?1, ?2)", error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, id);
  sqlite3_bind_int64 (insert, 2, time != 0 ? time : g_get_real_time () / G_USEC_PER_SEC);
  return book_step_done (self, insert, "void", error);
}

/* Reading */

static gchar *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text ? g_strdup ((const char *) text) : NULL;
}

static gboolean
book_load_lines (TillSalesBook  *self,
                 TillBookSale   *sale,
                 sqlite3_stmt   *stmt,
                 GError        **error)
{
  int rc;

  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, 1, sale->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    till_book_sale_add_line (sale, (const char *) sqlite3_column_text (stmt, 0),
                             (const char *) sqlite3_column_text (stmt, 1),
                             (guint) sqlite3_column_int64 (stmt, 2),
                             (guint64) sqlite3_column_int64 (stmt, 3),
                             (guint64) sqlite3_column_int64 (stmt, 4));
  return rc == SQLITE_DONE || book_fail (self, rc, "lines", error);
}

GPtrArray *
till_sales_book_list_day (TillSalesBook  *self,
                          const char     *day,
                          GError        **error)
{
  g_autoptr(GPtrArray) sales = NULL;
  g_auto_stmt stmt = NULL;
  g_auto_stmt lines = NULL;
  int rc;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), NULL);
  g_return_val_if_fail (day != NULL, NULL);

  sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_book_sale_free);
  stmt = book_prepare (self,
                       "SELECT s.id, s.time, s.day, s.method, s.method_name, s.mode, s.amount, s.currency, "
                       "s.provider_ref, s.reference, s.repaired, v.time FROM sales s "
                       "LEFT JOIN voids v ON v.sale = s.id WHERE s.day = ?1 ORDER BY s.time, s.id", error);
  lines = stmt ? book_prepare (self, "SELECT name, category, quantity, unit_price, amount FROM lines "
                                     "WHERE sale = ?1 ORDER BY pos", error) : NULL;
  if (lines == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, day, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TillBookSale *sale = till_book_sale_new ();

      g_ptr_array_add (sales, sale);
      sale->id = sqlite3_column_int64 (stmt, 0);
      sale->time = sqlite3_column_int64 (stmt, 1);
      sale->day = column_dup (stmt, 2);
      sale->method = column_dup (stmt, 3);
      sale->method_name = column_dup (stmt, 4);
      sale->mode = sqlite3_column_int (stmt, 5);
      sale->amount = (guint64) sqlite3_column_int64 (stmt, 6);
      sale->currency = column_dup (stmt, 7);
      sale->provider_ref = column_dup (stmt, 8);
      sale->reference = column_dup (stmt, 9);
      sale->repaired = sqlite3_column_int (stmt, 10) != 0;
      sale->voided = sqlite3_column_type (stmt, 11) != SQLITE_NULL;
      sale->void_time = sqlite3_column_int64 (stmt, 11);
      if (!book_load_lines (self, sale, lines, error))
        return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      book_fail (self, rc, "list", error);
      return NULL;
    }
  return g_steal_pointer (&sales);
}

/* Rows of (key, label, currency, count, amount) into totals. */
static gboolean
book_collect_totals (TillSalesBook  *self,
                     const char     *sql,
                     const char     *day,
                     GPtrArray      *into,
                     GError        **error)
{
  g_auto_stmt stmt = book_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, day, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TillBookTotal *total = g_new0 (TillBookTotal, 1);

      total->key = column_dup (stmt, 0);
      total->label = column_dup (stmt, 1);
      total->currency = column_dup (stmt, 2);
      total->count = (guint) sqlite3_column_int64 (stmt, 3);
      total->amount = (guint64) sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (into, total);
    }
  return rc == SQLITE_DONE || book_fail (self, rc, "summary", error);
}

#define LIVE "s.day = ?1 AND NOT EXISTS (SELECT 1 FROM voids v WHERE v.sale = s.id)"

TillBookSummary *
till_sales_book_summarize (TillSalesBook  *self,
                           const char     *day,
                           GError        **error)
{
  g_autoptr(TillBookSummary) summary = g_new0 (TillBookSummary, 1);
  g_auto_stmt stmt = NULL;
  int rc;

  g_return_val_if_fail (TILL_IS_SALES_BOOK (self), NULL);
  g_return_val_if_fail (day != NULL, NULL);

  summary->day = g_strdup (day);
  summary->voids = g_ptr_array_new_with_free_func (book_total_free);
  summary->totals = g_ptr_array_new_with_free_func (book_total_free);
  summary->methods = g_ptr_array_new_with_free_func (book_total_free);
  summary->categories = g_ptr_array_new_with_free_func (book_total_free);

  /* Every total is a SUM of integers in SQLite's 64 bits: no amount passes a double. */
  if (!book_collect_totals (self,
                            "SELECT s.currency, s.currency, s.currency, count(*), sum(s.amount) "
                            "FROM sales s WHERE " LIVE " GROUP BY s.currency ORDER BY s.currency",
                            day, summary->totals, error) ||
      !book_collect_totals (self,
                            "SELECT s.method, max(s.method_name), s.currency, count(*), sum(s.amount) "
                            "FROM sales s WHERE " LIVE " GROUP BY s.method, s.currency "
                            "ORDER BY s.method, s.currency",
                            day, summary->methods, error) ||
      !book_collect_totals (self,
                            "SELECT coalesce(l.category, ''), coalesce(l.category, ''), s.currency, "
                            "sum(l.quantity), sum(l.amount) FROM sales s JOIN lines l ON l.sale = s.id "
                            "WHERE " LIVE " GROUP BY 1, s.currency ORDER BY 1, s.currency",
                            day, summary->categories, error) ||
      !book_collect_totals (self,
                            "SELECT s.currency, s.currency, s.currency, count(*), sum(s.amount) "
                            "FROM sales s JOIN voids v ON v.sale = s.id WHERE s.day = ?1 "
                            "GROUP BY s.currency ORDER BY s.currency",
                            day, summary->voids, error))
    return NULL;

  stmt = book_prepare (self, "SELECT count(*), min(s.time), max(s.time), "
                             "(SELECT count(*) FROM sales s2 JOIN voids v ON v.sale = s2.id WHERE s2.day = ?1) "
                             "FROM sales s WHERE " LIVE, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, day, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      book_fail (self, rc, "summary", error);
      return NULL;
    }
  summary->count = (guint) sqlite3_column_int64 (stmt, 0);
  summary->first_time = sqlite3_column_int64 (stmt, 1);
  summary->last_time = sqlite3_column_int64 (stmt, 2);
  summary->n_voids = (guint) sqlite3_column_int64 (stmt, 3);
  return g_steal_pointer (&summary);
}
