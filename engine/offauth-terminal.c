/* offauth-terminal.c
 *
 * The terminal's state lives in one SQLite file (WAL, synchronous=FULL). The journal is
 * the record of truth: the tables the decision reads (sales, per-credential counters and
 * totals) are derived from it and checked against it whenever the terminal is opened.
 * The terminal's secret key lives beside the database in its own 0600 file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#include "offauth-private.h"
#include "offauth-terminal.h"
#include "offauth-terminal-private.h"

#define SCHEMA_VERSION 1
#define SALE_RECORD_SIZE (1 + 8 + OFFAUTH_PAYMENT_SIZE + 1)

typedef enum
{
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_FIND_SALE,
  ST_FIND_REQUEST,
  ST_FIND_COUNTER,
  ST_CRED_TOTALS,
  ST_NEGATIVE,
  ST_INSERT_JOURNAL,
  ST_INSERT_SALE,
  ST_UPSERT_CRED,
  ST_INSERT_REQUEST,
  ST_SET_SETTING,
  N_STATEMENTS
} StatementId;

static const char *statement_sql[N_STATEMENTS] = {
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_ROLLBACK] = "ROLLBACK",
  [ST_FIND_SALE] = "SELECT id, amount, currency, time, challenge, mode FROM sales WHERE sale_id = ?1",
  [ST_FIND_REQUEST] = "SELECT id, raw, created_at FROM requests WHERE challenge = ?1",
  [ST_FIND_COUNTER] = "SELECT id FROM sales WHERE credential_id = ?1 AND counter = ?2",
  [ST_CRED_TOTALS] = "SELECT offline_count, offline_total FROM credentials WHERE credential_id = ?1",
  [ST_NEGATIVE] = "SELECT 1 FROM negative WHERE credential_id = ?1",
  [ST_INSERT_JOURNAL] = "INSERT INTO journal (seq, kind, time, record, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_INSERT_SALE] = "INSERT INTO sales (id, sale_id, credential_id, counter, challenge, amount, "
                     "currency, time, mode, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [ST_UPSERT_CRED] = "INSERT OR REPLACE INTO credentials (credential_id, offline_count, offline_total) "
                     "VALUES (?1, ?2, ?3)",
  [ST_INSERT_REQUEST] = "INSERT INTO requests (challenge, raw, created_at) VALUES (?1, ?2, ?3)",
  [ST_SET_SETTING] = "INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)",
};

static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS journal ("
  "  seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, time INTEGER NOT NULL,"
  "  record BLOB NOT NULL, hash BLOB NOT NULL);"
  /* A sale's id is its journal row: the sale number on the receipt. */
  "CREATE TABLE IF NOT EXISTS sales ("
  "  id INTEGER PRIMARY KEY, sale_id BLOB NOT NULL UNIQUE, credential_id BLOB NOT NULL,"
  "  counter INTEGER NOT NULL, challenge BLOB NOT NULL, amount INTEGER NOT NULL,"
  "  currency TEXT NOT NULL, time INTEGER NOT NULL, mode INTEGER NOT NULL,"
  "  state INTEGER NOT NULL DEFAULT 0, UNIQUE (credential_id, counter));"
  "CREATE TABLE IF NOT EXISTS credentials ("
  "  credential_id BLOB PRIMARY KEY, offline_count INTEGER NOT NULL,"
  "  offline_total INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS requests ("
  "  id INTEGER PRIMARY KEY, challenge BLOB NOT NULL UNIQUE, raw BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS trust (id INTEGER PRIMARY KEY CHECK (id = 1), raw BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS revocations ("
  "  issuer_key_id BLOB PRIMARY KEY, raw BLOB NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS negative ("
  "  credential_id BLOB PRIMARY KEY, reason TEXT NOT NULL, time INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS category_floors ("
  "  category TEXT PRIMARY KEY, floor INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY, raw BLOB NOT NULL);";

struct _OffauthTerminal
{
  sqlite3               *db;
  sqlite3_stmt          *stmts[N_STATEMENTS];
  gchar                 *path;
  gchar                 *key_path;
  int                    lock_fd;
  OffauthOpenFlags       flags;
  OffauthSecretKey      *key;

  OffauthNowFunc         now_func;
  gpointer               now_data;

  gboolean               enrolled;
  char                   merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint8                 terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8                 terminal_pk[OFFAUTH_PK_SIZE];
  gboolean               root_tofu;
  OffauthTerminalConfig  config;
  GHashTable            *category_floors;   /* category -> guint64* */

  gboolean               has_bundle;
  OffauthBundle          bundle;
  GHashTable            *revocations;       /* guint64 key id -> OffauthRevocationList */

  /* Journal head, and where it stood when the open transaction began */
  guint64                last_seq;
  guint8                 last_hash[OFFAUTH_HASH_SIZE];
  guint64                tx_seq;
  guint8                 tx_hash[OFFAUTH_HASH_SIZE];

  /* Derived from the journal at open and kept up to date by each commit. */
  guint64                latest_sale_time;
  guint64                unsettled_count;
  guint64                unsettled_total;
  guint64                oldest_unsettled;
  guint8                 last_sale_challenge[OFFAUTH_CHALLENGE_SIZE];
  gboolean               has_sale;

  /* Trusted time */
  guint64                acquirer_time;
  guint64                accepted_floor;   /* the floor the merchant let the clock lag */
  guint64                accepted_at;      /* the clock the merchant accepted */
  guint64                accepted_seq;     /* the journal row of that acceptance */

  /* Only the latest request can be paid: keep it at hand. */
  gint64                 latest_request_id;
  guint8                 latest_challenge[OFFAUTH_CHALLENGE_SIZE];
  gint64                 latest_request_mono;  /* 0 when issued by another process */

  /* A COMMIT that failed leaves its outcome unknown (docs/protocol.md, step 10): the
   * terminal is paused until it has reopened the database and looked the sale up. */
  gboolean               unresolved;
  gboolean               unresolved_sale;     /* the commit was a sale's: its id follows */
  guint8                 unresolved_sale_id[OFFAUTH_SALE_ID_SIZE];
  gint64                 resolve_due;         /* monotonic time of the next try by itself */
  gint64                 resolve_backoff;     /* µs to wait after the next failed try */
};

#define RESOLVE_FIRST_BACKOFF (100 * G_TIME_SPAN_MILLISECOND)
#define RESOLVE_MAX_BACKOFF   (30 * G_TIME_SPAN_SECOND)

/* SQLite helpers */

static gboolean
set_db_error (OffauthTerminal *t,
              GError         **error,
              const char      *what)
{
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "%s: %s", what,
               t->db ? sqlite3_errmsg (t->db) : "no database");
  return FALSE;
}

static sqlite3_stmt *
stmt (OffauthTerminal *t,
      StatementId      id)
{
  sqlite3_stmt *s = t->stmts[id];

  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

static gboolean
exec_sql (OffauthTerminal *t,
          const char      *sql,
          GError         **error)
{
  char *msg = NULL;

  if (sqlite3_exec (t->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "%s", msg ? msg : "SQLite error");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
step_done (OffauthTerminal *t,
           sqlite3_stmt    *s,
           GError         **error)
{
  int rc = sqlite3_step (s);

  sqlite3_reset (s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_db_error (t, error, "database write failed");
  return TRUE;
}

/* A transaction remembers the journal head, so that a rollback also rolls back the head
 * in memory that journal_append() moved. */
static gboolean
tx_begin (OffauthTerminal *t,
          GError         **error)
{
  if (t->flags & OFFAUTH_OPEN_READ_ONLY)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "the terminal is open read-only");
      return FALSE;
    }
  t->tx_seq = t->last_seq;
  memcpy (t->tx_hash, t->last_hash, OFFAUTH_HASH_SIZE);
  return step_done (t, stmt (t, ST_BEGIN), error);
}

static void journal_advance (OffauthTerminal *t, guint64 seq, const guint8 hash[OFFAUTH_HASH_SIZE]);

static void
tx_rollback (OffauthTerminal *t)
{
  if (!sqlite3_get_autocommit (t->db))
    {
      sqlite3_step (stmt (t, ST_ROLLBACK));
      sqlite3_reset (t->stmts[ST_ROLLBACK]);
    }
  journal_advance (t, t->tx_seq, t->tx_hash);
}

/* Once COMMIT is issued, a failure no longer means "not written": the frames may be in the
 * write-ahead log, synced or not, and a restart may replay them. Only reopening the
 * database tells (offauth_terminal_resolve); until then the terminal is paused. */
static gboolean
tx_commit (OffauthTerminal *t,
           GError         **error)
{
  if (!step_done (t, stmt (t, ST_COMMIT), error))
    {
      tx_rollback (t);
      t->unresolved = TRUE;
      t->unresolved_sale = FALSE;
      t->resolve_due = 0;
      t->resolve_backoff = RESOLVE_FIRST_BACKOFF;
      return FALSE;
    }
  return TRUE;
}

static gboolean
setting_set (OffauthTerminal *t,
             const char      *name,
             const char      *text,
             guint64          value,
             GError         **error)
{
  sqlite3_stmt *s = stmt (t, ST_SET_SETTING);

  sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
  if (text != NULL)
    sqlite3_bind_text (s, 2, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) value);
  return step_done (t, s, error);
}

static gboolean
setting_get (OffauthTerminal *t,
             const char      *name,
             guint64         *value,
             gchar          **text)
{
  sqlite3_stmt *s = NULL;
  gboolean found = FALSE;

  if (sqlite3_prepare_v2 (t->db, "SELECT value FROM settings WHERE name = ?1", -1, &s, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      found = TRUE;
      if (value != NULL)
        *value = (guint64) sqlite3_column_int64 (s, 0);
      if (text != NULL)
        *text = g_strdup ((const char *) sqlite3_column_text (s, 0));
    }
  sqlite3_finalize (s);
  return found;
}

static guint64
setting_int (OffauthTerminal *t,
             const char      *name,
             guint64          fallback)
{
  guint64 v = fallback;

  setting_get (t, name, &v, NULL);
  return v;
}

/* Overflow-safe sums of u64 amounts: a hostile but validly signed credential may carry
 * limits near 2^64. */
static inline guint64
sat_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

/* Time */

static guint64
real_now (gpointer user_data)
{
  return (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

guint64
offauth_terminal_now (OffauthTerminal *t)
{
  return t->now_func (t->now_data);
}

void
offauth_terminal_set_now_func (OffauthTerminal *t,
                               OffauthNowFunc   func,
                               gpointer         user_data)
{
  t->now_func = func ? func : real_now;
  t->now_data = user_data;
}

static guint64
time_floor (OffauthTerminal *t)
{
  guint64 floor = t->acquirer_time;

  if (t->has_bundle)
    floor = MAX (floor, t->bundle.issued_at);
  return floor;
}

/* Journal */

static void
chain_hash (guint8        out[OFFAUTH_HASH_SIZE],
            guint64       seq,
            const guint8  prev[OFFAUTH_HASH_SIZE],
            const guint8 *record,
            gsize         len)
{
  crypto_generichash_state st;
  guint8 buf[12];

  crypto_generichash_init (&st, NULL, 0, OFFAUTH_HASH_SIZE);
  crypto_generichash_update (&st, (const guint8 *) OFFAUTH_TAG_JRNL, OFFAUTH_TAG_SIZE);
  _offauth_put_u64 (buf, seq);
  crypto_generichash_update (&st, buf, 8);
  crypto_generichash_update (&st, prev, OFFAUTH_HASH_SIZE);
  _offauth_put_u32 (buf, (guint32) len);
  crypto_generichash_update (&st, buf, 4);
  crypto_generichash_update (&st, record, len);
  crypto_generichash_final (&st, out, OFFAUTH_HASH_SIZE);
}

/* Appends a row inside the caller's transaction; the head in memory moves only when
 * the caller's commit succeeds (journal_advance). */
static gboolean
journal_append (OffauthTerminal *t,
                guint            kind,
                guint64          time,
                const guint8    *payload,
                gsize            payload_len,
                guint64         *seq_out,
                guint8           hash_out[OFFAUTH_HASH_SIZE],
                GError         **error)
{
  g_autofree guint8 *record = g_malloc (9 + payload_len);
  guint64 seq = t->last_seq + 1;
  sqlite3_stmt *s;

  record[0] = (guint8) kind;
  _offauth_put_u64 (record + 1, time);
  if (payload_len > 0)
    memcpy (record + 9, payload, payload_len);
  chain_hash (hash_out, seq, t->last_hash, record, 9 + payload_len);

  s = stmt (t, ST_INSERT_JOURNAL);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_int (s, 2, (int) kind);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) time);
  sqlite3_bind_blob (s, 4, record, (int) (9 + payload_len), SQLITE_STATIC);
  sqlite3_bind_blob (s, 5, hash_out, OFFAUTH_HASH_SIZE, SQLITE_STATIC);
  if (!step_done (t, s, error))
    return FALSE;
  *seq_out = seq;
  return TRUE;
}

static void
journal_advance (OffauthTerminal *t,
                 guint64          seq,
                 const guint8     hash[OFFAUTH_HASH_SIZE])
{
  t->last_seq = seq;
  memcpy (t->last_hash, hash, OFFAUTH_HASH_SIZE);
}

static gboolean
journal_setting (OffauthTerminal *t,
                 const char      *name,
                 guint64          value,
                 guint64          time,
                 GError         **error)
{
  g_autofree gchar *text = g_strdup_printf ("%s=%" G_GUINT64_FORMAT, name, value);
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;

  if (!journal_append (t, OFFAUTH_RECORD_SETTING, time, (const guint8 *) text, strlen (text),
                       &seq, hash, error))
    return FALSE;
  journal_advance (t, seq, hash);
  return setting_set (t, name, NULL, value, error);
}

/* Open, load, check */

static gboolean
load_state (OffauthTerminal *t,
            GError         **error)
{
  sqlite3_stmt *s = NULL;
  g_autofree gchar *merchant = NULL;
  g_autofree gchar *pk_hex = NULL;

  t->enrolled = setting_get (t, "merchant_id", NULL, &merchant) && merchant != NULL;
  if (t->enrolled)
    {
      g_strlcpy (t->merchant_id, merchant, sizeof t->merchant_id);
      if (!setting_get (t, "terminal_pk", NULL, &pk_hex) ||
          !offauth_unhex (pk_hex, t->terminal_pk, OFFAUTH_PK_SIZE))
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "the terminal's public key is missing from the database");
          return FALSE;
        }
      offauth_terminal_id_from_key (t->terminal_id, t->terminal_pk);
      t->root_tofu = setting_int (t, "root_tofu", 0) != 0;
    }

  offauth_terminal_config_init (&t->config);
  t->config.floor_limit = setting_int (t, "floor_limit", t->config.floor_limit);
  t->config.cap_total = setting_int (t, "cap_total", t->config.cap_total);
  t->config.cap_count = setting_int (t, "cap_count", t->config.cap_count);
  t->config.stale_cap = setting_int (t, "stale_cap", t->config.stale_cap);
  t->config.upload_deadline = setting_int (t, "upload_deadline", t->config.upload_deadline);
  t->config.request_lifetime = setting_int (t, "request_lifetime", t->config.request_lifetime);
  t->config.scope = (guint32) setting_int (t, "scope", t->config.scope);
  t->acquirer_time = setting_int (t, "acquirer_time", 0);
  t->accepted_floor = setting_int (t, "accepted_floor", 0);
  t->accepted_at = setting_int (t, "accepted_at", 0);
  t->accepted_seq = setting_int (t, "accepted_seq", 0);

  g_hash_table_remove_all (t->category_floors);
  sqlite3_prepare_v2 (t->db, "SELECT category, floor FROM category_floors", -1, &s, NULL);
  while (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    {
      guint64 *floor = g_new (guint64, 1);
      *floor = (guint64) sqlite3_column_int64 (s, 1);
      g_hash_table_insert (t->category_floors,
                           g_strdup ((const char *) sqlite3_column_text (s, 0)), floor);
    }
  sqlite3_finalize (s);

  t->has_bundle = FALSE;
  sqlite3_prepare_v2 (t->db, "SELECT raw FROM trust WHERE id = 1", -1, &s, NULL);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    {
      g_autoptr(GError) local = NULL;
      if (!offauth_bundle_parse (&t->bundle, sqlite3_column_blob (s, 0),
                                 (gsize) sqlite3_column_bytes (s, 0), &local))
        {
          sqlite3_finalize (s);
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "the stored trust bundle is damaged: %s", local->message);
          return FALSE;
        }
      t->has_bundle = TRUE;
    }
  sqlite3_finalize (s);

  g_hash_table_remove_all (t->revocations);
  sqlite3_prepare_v2 (t->db, "SELECT raw FROM revocations", -1, &s, NULL);
  while (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    {
      g_autoptr(GError) local = NULL;
      OffauthRevocationList *list = offauth_revocation_list_parse (sqlite3_column_blob (s, 0),
                                                                   (gsize) sqlite3_column_bytes (s, 0),
                                                                   &local);
      if (list == NULL)
        {
          sqlite3_finalize (s);
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "a stored revocation list is damaged: %s", local->message);
          return FALSE;
        }
      g_hash_table_insert (t->revocations, g_memdup2 (list->issuer_key_id, 8), list);
    }
  sqlite3_finalize (s);

  /* Journal head */
  t->last_seq = 0;
  memset (t->last_hash, 0, sizeof t->last_hash);
  sqlite3_prepare_v2 (t->db, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", -1, &s, NULL);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW && sqlite3_column_bytes (s, 1) == OFFAUTH_HASH_SIZE)
    {
      t->last_seq = (guint64) sqlite3_column_int64 (s, 0);
      memcpy (t->last_hash, sqlite3_column_blob (s, 1), OFFAUTH_HASH_SIZE);
    }
  sqlite3_finalize (s);

  /* Unsettled sales: summed in C, as SQLite's SUM() stops at 2^63. */
  t->unsettled_count = t->unsettled_total = t->oldest_unsettled = 0;
  sqlite3_prepare_v2 (t->db, "SELECT amount, time FROM sales WHERE state IN (0, 1, 4)", -1, &s, NULL);
  while (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    {
      guint64 time = (guint64) sqlite3_column_int64 (s, 1);
      t->unsettled_count++;
      t->unsettled_total = sat_add (t->unsettled_total, (guint64) sqlite3_column_int64 (s, 0));
      if (t->oldest_unsettled == 0 || time < t->oldest_unsettled)
        t->oldest_unsettled = time;
    }
  sqlite3_finalize (s);

  t->has_sale = FALSE;
  t->latest_sale_time = 0;
  sqlite3_prepare_v2 (t->db, "SELECT challenge FROM sales ORDER BY id DESC LIMIT 1", -1, &s, NULL);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW && sqlite3_column_bytes (s, 0) == OFFAUTH_CHALLENGE_SIZE)
    {
      memcpy (t->last_sale_challenge, sqlite3_column_blob (s, 0), OFFAUTH_CHALLENGE_SIZE);
      t->has_sale = TRUE;
    }
  sqlite3_finalize (s);
  /* Sales recorded before the merchant accepted the clock do not count against it. */
  sqlite3_prepare_v2 (t->db, "SELECT max(time) FROM sales WHERE id > ?1", -1, &s, NULL);
  if (s != NULL)
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) t->accepted_seq);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    t->latest_sale_time = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);

  t->latest_request_id = 0;
  t->latest_request_mono = 0;
  sqlite3_prepare_v2 (t->db, "SELECT id, challenge FROM requests ORDER BY id DESC LIMIT 1", -1, &s, NULL);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW && sqlite3_column_bytes (s, 1) == OFFAUTH_CHALLENGE_SIZE)
    {
      t->latest_request_id = sqlite3_column_int64 (s, 0);
      memcpy (t->latest_challenge, sqlite3_column_blob (s, 1), OFFAUTH_CHALLENGE_SIZE);
    }
  sqlite3_finalize (s);
  return TRUE;
}

void
offauth_terminal_config_init (OffauthTerminalConfig *config)
{
  memset (config, 0, sizeof *config);
  config->cap_total = OFFAUTH_DEFAULT_CAP_TOTAL;
  config->cap_count = OFFAUTH_DEFAULT_CAP_COUNT;
  config->stale_cap = OFFAUTH_DEFAULT_STALE_CAP;
  config->upload_deadline = OFFAUTH_DEFAULT_UPLOAD_DEADLINE;
  config->request_lifetime = OFFAUTH_DEFAULT_REQUEST_LIFETIME;
}

/* Ids and key ids are hashes or random: their first bytes are a good hash already. */
static guint
bytes_hash (gconstpointer key)
{
  guint h;

  memcpy (&h, key, sizeof h);
  return h;
}

static gboolean
key_id_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_KEY_ID_SIZE) == 0;
}

static gboolean
lock_database (OffauthTerminal *t,
               GError         **error)
{
  g_autofree gchar *lock_path = g_strconcat (t->path, ".lock", NULL);

  t->lock_fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (t->lock_fd < 0)
    {
      int saved = errno;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "Cannot create %s: %s", lock_path,
                   g_strerror (saved));
      return FALSE;
    }
  if (flock (t->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "The terminal database %s is in use by another program", t->path);
      return FALSE;
    }
  return TRUE;
}

/* Opens t->path into t->db and prepares the statements; on failure the caller frees what
 * is there (t->db and t->stmts). */
static gboolean
open_connection (OffauthTerminal *t,
                 GError         **error)
{
  gboolean read_only = (t->flags & OFFAUTH_OPEN_READ_ONLY) != 0;
  int open_flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  if (sqlite3_open_v2 (t->path, &t->db, open_flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_db_error (t, error, "Cannot open the terminal database");
      return FALSE;
    }
  sqlite3_extended_result_codes (t->db, 1);
  sqlite3_busy_timeout (t->db, 5000);
  if (!exec_sql (t, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", error))
    return FALSE;
  if (!read_only)
    {
      guint64 version = 0;
      sqlite3_stmt *mode = NULL;
      gboolean wal;

      sqlite3_prepare_v2 (t->db, "PRAGMA journal_mode = WAL", -1, &mode, NULL);
      wal = mode != NULL && sqlite3_step (mode) == SQLITE_ROW &&
            g_strcmp0 ((const char *) sqlite3_column_text (mode, 0), "wal") == 0;
      sqlite3_finalize (mode);
      if (!wal)
        {
          set_db_error (t, error, "The terminal database cannot use write-ahead logging");
          return FALSE;
        }
      if (!exec_sql (t, schema_sql, error))
        return FALSE;
      if (setting_get (t, "schema_version", &version, NULL) && version != SCHEMA_VERSION)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                       "database schema version %" G_GUINT64_FORMAT " is not supported", version);
          return FALSE;
        }
    }
  for (guint i = 0; i < N_STATEMENTS; i++)
    {
      /* The write statements cannot be prepared on a read-only database without tables. */
      if (sqlite3_prepare_v3 (t->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                              &t->stmts[i], NULL) != SQLITE_OK)
        {
          set_db_error (t, error, "This is not a terminal database");
          return FALSE;
        }
    }
  return TRUE;
}

OffauthTerminal *
offauth_terminal_open (const char        *db_path,
                       OffauthOpenFlags   flags,
                       GError           **error)
{
  g_autoptr(OffauthTerminal) t = NULL;
  gboolean read_only = (flags & OFFAUTH_OPEN_READ_ONLY) != 0;

  g_return_val_if_fail (db_path != NULL, NULL);

  if (!offauth_init ())
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "libsodium could not start");
      return NULL;
    }

  t = g_new0 (OffauthTerminal, 1);
  t->lock_fd = -1;
  t->flags = flags;
  t->path = g_strdup (db_path);
  t->key_path = g_strconcat (db_path, ".key", NULL);
  t->now_func = real_now;
  t->category_floors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  t->revocations = g_hash_table_new_full (bytes_hash, key_id_equal, g_free,
                                          (GDestroyNotify) offauth_revocation_list_free);

  if (!read_only && !lock_database (t, error))
    return NULL;

  if (!open_connection (t, error))
    return NULL;
  if (!read_only && !setting_get (t, "schema_version", NULL, NULL))
    {
      if (!setting_set (t, "schema_version", NULL, SCHEMA_VERSION, error))
        return NULL;
    }

  if (!load_state (t, error))
    return NULL;

  if (t->enrolled && !read_only)
    {
      t->key = offauth_secret_key_load (t->key_path, error);
      if (t->key == NULL)
        return NULL;
      if (sodium_memcmp (t->key->pk, t->terminal_pk, OFFAUTH_PK_SIZE) != 0)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "The key file %s does not belong to this terminal", t->key_path);
          return NULL;
        }
    }

  if (!(flags & OFFAUTH_OPEN_NO_CHECK))
    {
      guint64 bad = 0;
      g_autoptr(GError) local = NULL;

      if (!offauth_terminal_verify (t, &bad, &local))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                      "The journal check at start-up failed: ");
          return NULL;
        }
    }
  return g_steal_pointer (&t);
}

void
offauth_terminal_free (OffauthTerminal *t)
{
  if (t == NULL)
    return;
  for (guint i = 0; i < N_STATEMENTS; i++)
    sqlite3_finalize (t->stmts[i]);
  if (t->db != NULL)
    sqlite3_close (t->db);
  if (t->lock_fd >= 0)
    close (t->lock_fd);
  offauth_secret_key_free (t->key);
  g_hash_table_unref (t->category_floors);
  g_hash_table_unref (t->revocations);
  g_free (t->path);
  g_free (t->key_path);
  g_free (t);
}

sqlite3 *
_offauth_terminal_get_db (OffauthTerminal *t)
{
  return t->db;
}

/* Enrollment and configuration */

static gboolean
check_bundle_time (OffauthTerminal     *t,
                   const OffauthBundle *bundle,
                   GError             **error)
{
  guint64 now = offauth_terminal_now (t);

  if (bundle->issued_at > now + OFFAUTH_CLOCK_SKEW)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The trust bundle is issued %" G_GUINT64_FORMAT " s in the future: check the clock",
                   bundle->issued_at - now);
      return FALSE;
    }
  if (bundle->expires_at < now)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED, "The trust bundle has expired");
      return FALSE;
    }
  return TRUE;
}

static gboolean
store_bundle (OffauthTerminal     *t,
              const OffauthBundle *bundle,
              GError             **error)
{
  sqlite3_stmt *s = NULL;
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;
  gboolean ok;

  if (!journal_append (t, OFFAUTH_RECORD_TRUST_LOADED, offauth_terminal_now (t), bundle->raw,
                       bundle->raw_len, &seq, hash, error))
    return FALSE;
  if (sqlite3_prepare_v2 (t->db, "INSERT OR REPLACE INTO trust (id, raw) VALUES (1, ?1)", -1, &s,
                          NULL) != SQLITE_OK)
    return set_db_error (t, error, "database error");
  sqlite3_bind_blob (s, 1, bundle->raw, (int) bundle->raw_len, SQLITE_STATIC);
  ok = step_done (t, s, error);
  sqlite3_finalize (s);
  if (ok)
    journal_advance (t, seq, hash);
  return ok;
}

static gboolean
store_config (OffauthTerminal             *t,
              const OffauthTerminalConfig *c,
              gboolean                     all,
              GError                     **error)
{
  const struct
  {
    const char *name;
    guint64     value;
    guint64     old;
  } items[] = {
    { "floor_limit", c->floor_limit, t->config.floor_limit },
    { "cap_total", c->cap_total, t->config.cap_total },
    { "cap_count", c->cap_count, t->config.cap_count },
    { "stale_cap", c->stale_cap, t->config.stale_cap },
    { "upload_deadline", c->upload_deadline, t->config.upload_deadline },
    { "request_lifetime", c->request_lifetime, t->config.request_lifetime },
    { "scope", c->scope, t->config.scope },
  };
  guint64 now = offauth_terminal_now (t);

  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    if ((all || items[i].value != items[i].old) &&
        !journal_setting (t, items[i].name, items[i].value, now, error))
      return FALSE;
  return TRUE;
}

static gboolean
enroll (OffauthTerminal             *t,
        OffauthSecretKey            *key,
        const char                  *bundle_text,
        const char                  *merchant_id,
        const char                  *root_fingerprint,
        const OffauthTerminalConfig *config,
        GError                     **error)
{
  OffauthBundle bundle;
  OffauthTerminalConfig defaults;
  guint8 payload[16 + 16 + 32 + 1 + 4] = { 0 };
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;
  g_autofree gchar *fpr = NULL;
  g_autofree gchar *pk_hex = NULL;
  g_autofree gchar *lower = NULL;

  /* Enrollment happens once, into an empty database, with a key made for it. */
  if (t->enrolled || t->last_seq > 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "This terminal is already enrolled for merchant %s", t->merchant_id);
      return FALSE;
    }
  if (!offauth_merchant_id_valid (merchant_id))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A merchant id is 1 to 16 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      return FALSE;
    }
  if (!offauth_bundle_parse_text (&bundle, bundle_text, error))
    return FALSE;
  if (!offauth_bundle_verify (&bundle, bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The trust bundle's root signature does not verify");
      return FALSE;
    }
  fpr = offauth_root_fingerprint (bundle.root_public_key);
  lower = root_fingerprint ? g_ascii_strdown (root_fingerprint, -1) : NULL;
  if (lower != NULL &&
      (strlen (lower) != strlen (fpr) || sodium_memcmp (lower, fpr, strlen (fpr)) != 0))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The trust bundle's root key %s is not the expected root %s", fpr,
                   root_fingerprint);
      return FALSE;
    }
  if (!check_bundle_time (t, &bundle, error))
    return FALSE;
  if (config == NULL)
    {
      offauth_terminal_config_init (&defaults);
      config = &defaults;
    }

  /* The key file first: a database that names a key nobody holds would be useless.
   * An existing key file is never overwritten: it may belong to sales not uploaded. */
  if (g_file_test (t->key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s already exists: a terminal key is never overwritten", t->key_path);
      return FALSE;
    }
  if (!offauth_secret_key_save (key, t->key_path, error))
    return FALSE;

  pk_hex = offauth_hex (key->pk, OFFAUTH_PK_SIZE);
  memcpy (payload, merchant_id, strlen (merchant_id));
  offauth_terminal_id_from_key (payload + 16, key->pk);
  memcpy (payload + 32, bundle.root_public_key, 32);
  payload[64] = root_fingerprint != NULL ? 1 : 0;
  _offauth_put_u32 (payload + 65, config->scope);

  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_append (t, OFFAUTH_RECORD_ENROLLED, offauth_terminal_now (t), payload,
                       sizeof payload, &seq, hash, error))
    goto fail;
  journal_advance (t, seq, hash);
  if (!setting_set (t, "merchant_id", merchant_id, 0, error) ||
      !setting_set (t, "terminal_pk", pk_hex, 0, error) ||
      !setting_set (t, "root_tofu", NULL, root_fingerprint == NULL, error) ||
      !store_bundle (t, &bundle, error) ||
      !store_config (t, config, TRUE, error) ||
      !tx_commit (t, error))
    goto fail;

  return load_state (t, error) &&
         (t->key = offauth_secret_key_from_seed (key->sk)) != NULL;

fail:
  tx_rollback (t);
  return FALSE;
}

gboolean
offauth_terminal_enroll (OffauthTerminal             *t,
                         const char                  *bundle_text,
                         const char                  *merchant_id,
                         const char                  *root_fingerprint,
                         const OffauthTerminalConfig *config,
                         GError                     **error)
{
  g_autoptr(OffauthSecretKey) key = offauth_secret_key_generate ();

  g_return_val_if_fail (t != NULL && bundle_text != NULL, FALSE);
  return enroll (t, key, bundle_text, merchant_id, root_fingerprint, config, error);
}

gboolean
_offauth_terminal_enroll_with_seed (OffauthTerminal             *t,
                                    const guint8                 seed[OFFAUTH_SEED_SIZE],
                                    const char                  *bundle_text,
                                    const char                  *merchant_id,
                                    const char                  *root_fingerprint,
                                    const OffauthTerminalConfig *config,
                                    GError                     **error)
{
  g_autoptr(OffauthSecretKey) key = offauth_secret_key_from_seed (seed);

  return enroll (t, key, bundle_text, merchant_id, root_fingerprint, config, error);
}

gboolean
offauth_terminal_set_config (OffauthTerminal             *t,
                             const OffauthTerminalConfig *config,
                             GError                     **error)
{

  if (!tx_begin (t, error))
    return FALSE;
  if (!store_config (t, config, FALSE, error) || !tx_commit (t, error))
    {
      tx_rollback (t);
      return FALSE;
    }
  t->config = *config;
  return TRUE;
}

gboolean
offauth_terminal_set_category_floor (OffauthTerminal *t,
                                     const char      *category,
                                     guint64          floor,
                                     GError         **error)
{
  g_autofree gchar *name = g_strdup_printf ("category_floor:%s", category);
  sqlite3_stmt *s = NULL;
  guint64 *value;

  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_setting (t, name, floor, offauth_terminal_now (t), error))
    goto fail;
  sqlite3_prepare_v2 (t->db, "INSERT OR REPLACE INTO category_floors (category, floor) VALUES (?1, ?2)",
                      -1, &s, NULL);
  sqlite3_bind_text (s, 1, category, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) floor);
  if (!step_done (t, s, error) || !tx_commit (t, error))
    goto fail;
  sqlite3_finalize (s);
  value = g_new (guint64, 1);
  *value = floor;
  g_hash_table_insert (t->category_floors, g_strdup (category), value);
  return TRUE;

fail:
  sqlite3_finalize (s);
  tx_rollback (t);
  return FALSE;
}

static gboolean
require_enrolled (OffauthTerminal *t,
                  GError         **error)
{
  if (!t->enrolled)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "This terminal is not enrolled");
      return FALSE;
    }
  return TRUE;
}

gboolean
offauth_terminal_load_bundle (OffauthTerminal *t,
                              const char      *bundle_text,
                              GError         **error)
{
  OffauthBundle bundle;

  if (!require_enrolled (t, error) || !offauth_bundle_parse_text (&bundle, bundle_text, error))
    return FALSE;
  if (memcmp (bundle.root_public_key, t->bundle.root_public_key, OFFAUTH_PK_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "The trust bundle is signed by another root key; a new root needs a new enrollment");
      return FALSE;
    }
  if (!offauth_bundle_verify (&bundle, t->bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The trust bundle's root signature does not verify");
      return FALSE;
    }
  if (bundle.sequence <= t->bundle.sequence)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "Trust bundle %" G_GUINT64_FORMAT " is not newer than the one held (%"
                   G_GUINT64_FORMAT "): refused as a rollback", bundle.sequence, t->bundle.sequence);
      return FALSE;
    }
  if (!check_bundle_time (t, &bundle, error))
    return FALSE;

  if (!tx_begin (t, error))
    return FALSE;
  if (!store_bundle (t, &bundle, error) || !tx_commit (t, error))
    {
      tx_rollback (t);
      return FALSE;
    }
  t->bundle = bundle;
  return TRUE;
}

gboolean
offauth_terminal_load_revocations (OffauthTerminal *t,
                                   const char      *list_text,
                                   GError         **error)
{
  g_autoptr(OffauthRevocationList) list = NULL;
  const OffauthIssuerKey *key;
  const OffauthRevocationList *held;
  guint8 payload[8 + 8 + OFFAUTH_HASH_SIZE];
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;
  sqlite3_stmt *s = NULL;
  gsize raw_len;
  const guint8 *raw;

  if (!require_enrolled (t, error))
    return FALSE;
  list = offauth_revocation_list_parse_text (list_text, error);
  if (list == NULL)
    return FALSE;
  key = offauth_bundle_find_key (&t->bundle, list->issuer_key_id);
  if (key == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The revocation list's issuer key is not in the trust bundle");
      return FALSE;
    }
  if (!offauth_revocation_list_verify (list, key->public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The revocation list's issuer signature does not verify");
      return FALSE;
    }
  held = g_hash_table_lookup (t->revocations, list->issuer_key_id);
  if (held != NULL && list->sequence <= held->sequence)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "Revocation list %" G_GUINT64_FORMAT " is not newer than the one held (%"
                   G_GUINT64_FORMAT "): refused as a rollback", list->sequence, held->sequence);
      return FALSE;
    }
  if (list->issued_at > offauth_terminal_now (t) + OFFAUTH_CLOCK_SKEW)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The revocation list is issued in the future: check the clock");
      return FALSE;
    }

  raw = g_bytes_get_data (list->raw, &raw_len);
  memcpy (payload, list->issuer_key_id, 8);
  _offauth_put_u64 (payload + 8, list->sequence);
  offauth_hash (payload + 16, raw, raw_len);

  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_append (t, OFFAUTH_RECORD_REVOCATIONS, offauth_terminal_now (t), payload,
                       sizeof payload, &seq, hash, error))
    goto fail;
  journal_advance (t, seq, hash);
  sqlite3_prepare_v2 (t->db, "INSERT OR REPLACE INTO revocations (issuer_key_id, raw) VALUES (?1, ?2)",
                      -1, &s, NULL);
  sqlite3_bind_blob (s, 1, list->issuer_key_id, 8, SQLITE_STATIC);
  sqlite3_bind_blob (s, 2, raw, (int) raw_len, SQLITE_STATIC);
  if (!step_done (t, s, error) || !tx_commit (t, error))
    goto fail;
  sqlite3_finalize (s);
  {
    guint8 *key_id = g_memdup2 (list->issuer_key_id, 8);
    g_hash_table_insert (t->revocations, key_id, g_steal_pointer (&list));
  }
  return TRUE;

fail:
  sqlite3_finalize (s);
  tx_rollback (t);
  return FALSE;
}

gboolean
offauth_terminal_add_negative (OffauthTerminal *t,
                               const guint8     credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                               const char      *reason,
                               GError         **error)
{
  g_autofree guint8 *payload = NULL;
  gsize reason_len = strlen (reason);
  guint64 seq, now = offauth_terminal_now (t);
  guint8 hash[OFFAUTH_HASH_SIZE];
  sqlite3_stmt *s = NULL;

  if (!require_enrolled (t, error))
    return FALSE;
  payload = g_malloc (16 + reason_len);
  memcpy (payload, credential_id, 16);
  memcpy (payload + 16, reason, reason_len);
  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_append (t, OFFAUTH_RECORD_NEGATIVE_LIST, now, payload, 16 + reason_len, &seq,
                       hash, error))
    goto fail;
  journal_advance (t, seq, hash);
  sqlite3_prepare_v2 (t->db, "INSERT OR REPLACE INTO negative (credential_id, reason, time) "
                      "VALUES (?1, ?2, ?3)", -1, &s, NULL);
  sqlite3_bind_blob (s, 1, credential_id, 16, SQLITE_STATIC);
  sqlite3_bind_text (s, 2, reason, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
  if (!step_done (t, s, error) || !tx_commit (t, error))
    goto fail;
  sqlite3_finalize (s);
  return TRUE;

fail:
  sqlite3_finalize (s);
  tx_rollback (t);
  return FALSE;
}

gboolean
offauth_terminal_accept_clock (OffauthTerminal *t,
                               GError         **error)
{
  guint8 payload[16];
  guint64 floor = time_floor (t), now = offauth_terminal_now (t);
  guint64 seq;
  guint8 hash[OFFAUTH_HASH_SIZE];

  if (!require_enrolled (t, error))
    return FALSE;
  /* The record keeps the floor the clock may lag from now on and the latest sale time
   * it was behind; its own time is the accepted clock, which later clocks may not go
   * back behind. */
  _offauth_put_u64 (payload, floor);
  _offauth_put_u64 (payload + 8, t->latest_sale_time);
  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_append (t, OFFAUTH_RECORD_CLOCK_ACCEPTED, now, payload, sizeof payload, &seq, hash,
                       error))
    goto fail;
  journal_advance (t, seq, hash);
  if (!setting_set (t, "accepted_floor", NULL, floor, error) ||
      !setting_set (t, "accepted_at", NULL, now, error) ||
      !setting_set (t, "accepted_seq", NULL, seq, error) ||
      !tx_commit (t, error))
    goto fail;
  t->accepted_floor = floor;
  t->accepted_at = now;
  t->accepted_seq = seq;
  t->latest_sale_time = 0;
  return TRUE;

fail:
  tx_rollback (t);
  return FALSE;
}

/* The decision */

static gboolean resolve_if_due (OffauthTerminal *t);

static OffauthReason
check_state (OffauthTerminal *t,
             guint64          now,
             guint64          amount)
{
  guint64 floor = time_floor (t);

  /* Before the other states: while a commit's outcome is unknown, the state in memory
   * (head, totals, even enrollment) may not be the disk's. */
  if (t->unresolved && !resolve_if_due (t))
    return OFFAUTH_REASON_STORAGE_UNAVAILABLE;
  if (!t->enrolled || !t->has_bundle)
    return OFFAUTH_REASON_NOT_ENROLLED;
  if (now > t->bundle.expires_at)
    return OFFAUTH_REASON_BUNDLE_EXPIRED;
  /* The clock may lag by the protocol's skew before it is called untrusted, as a
   * bundle issued up to 300 s ahead is accepted when loaded. */
  if ((now + OFFAUTH_CLOCK_SKEW < floor && floor > t->accepted_floor) ||
      now + OFFAUTH_CLOCK_SKEW < MAX (t->latest_sale_time, t->accepted_at))
    return OFFAUTH_REASON_CLOCK_UNTRUSTED;
  if (t->unsettled_count > 0 && now > sat_add (t->oldest_unsettled, t->config.upload_deadline))
    return OFFAUTH_REASON_UPLOAD_OVERDUE;
  if ((t->config.cap_count > 0 && t->unsettled_count + 1 > t->config.cap_count) ||
      (t->config.cap_total > 0 &&
       sat_add (t->unsettled_total, MAX (amount, 1)) > t->config.cap_total))
    return OFFAUTH_REASON_OVER_TERMINAL_CAP;
  return OFFAUTH_REASON_NONE;
}

OffauthReason
offauth_terminal_check_state (OffauthTerminal *t,
                              guint64          amount)
{
  return check_state (t, offauth_terminal_now (t), amount);
}

static gchar *
create_request (OffauthTerminal *t,
                guint64          amount,
                const char      *currency,
                const guint8    *challenge,
                OffauthReason   *reason_out,
                GError         **error)
{
  OffauthRequest req = { 0 };
  OffauthReason reason;
  sqlite3_stmt *s;
  guint64 now = offauth_terminal_now (t);

  if (reason_out != NULL)
    *reason_out = OFFAUTH_REASON_NONE;
  if (amount < 1 || currency == NULL || !offauth_currency_valid (currency))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A request needs an amount of at least 1 and a currency of 3 capital letters");
      return NULL;
    }
  /* No payer is asked to pay into a terminal that would refuse the payment. */
  reason = check_state (t, now, amount);
  if (reason != OFFAUTH_REASON_NONE)
    {
      if (reason_out != NULL)
        *reason_out = reason;
      /* Paused by a commit of unknown outcome: say so, not that a sale was not saved. */
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "%s (%s)",
                   reason == OFFAUTH_REASON_STORAGE_UNAVAILABLE ? offauth_reason_detail (reason)
                                                                : offauth_reason_message (reason),
                   offauth_reason_code (reason));
      return NULL;
    }

  g_strlcpy (req.merchant_id, t->merchant_id, sizeof req.merchant_id);
  memcpy (req.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  req.scope = t->config.scope;
  memcpy (req.currency, currency, 4);
  req.amount = amount;
  req.created_at = now;
  if (challenge != NULL)
    memcpy (req.challenge, challenge, OFFAUTH_CHALLENGE_SIZE);
  else
    randombytes_buf (req.challenge, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (&req);

  s = stmt (t, ST_INSERT_REQUEST);
  sqlite3_bind_blob (s, 1, req.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  sqlite3_bind_blob (s, 2, req.raw, OFFAUTH_REQUEST_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
  if (sqlite3_step (s) != SQLITE_DONE)
    {
      sqlite3_reset (s);
      if (reason_out != NULL)
        *reason_out = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
      set_db_error (t, error, "The request could not be saved");
      return NULL;
    }
  sqlite3_reset (s);
  t->latest_request_id = sqlite3_last_insert_rowid (t->db);
  memcpy (t->latest_challenge, req.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->latest_request_mono = t->now_func == real_now ? g_get_monotonic_time () : 0;
  return offauth_text_encode ('R', req.raw, OFFAUTH_REQUEST_SIZE);
}

gchar *
offauth_terminal_create_request (OffauthTerminal *t,
                                 guint64          amount,
                                 const char      *currency,
                                 OffauthReason   *reason,
                                 GError         **error)
{
  g_return_val_if_fail (t != NULL, NULL);
  return create_request (t, amount, currency, NULL, reason, error);
}

gchar *
_offauth_terminal_create_request_with (OffauthTerminal *t,
                                       guint64          amount,
                                       const char      *currency,
                                       const guint8     challenge[OFFAUTH_CHALLENGE_SIZE],
                                       OffauthReason   *reason,
                                       GError         **error)
{
  return create_request (t, amount, currency, challenge, reason, error);
}

static void
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...) G_GNUC_PRINTF (3, 4);

static void
refuse (OffauthDecision *d,
        OffauthReason    reason,
        const char      *format,
        ...)
{
  va_list args;

  d->reason = reason;
  d->approved = FALSE;
  if (format != NULL)
    {
      va_start (args, format);
      g_vsnprintf (d->detail, sizeof d->detail, format, args);
      va_end (args);
    }
}

/* Looks the sale id up; fills the decision with the first sale when found. */
static gboolean
find_sale (OffauthTerminal *t,
           const guint8    *sale_id,
           OffauthDecision *d,
           guint8           challenge[OFFAUTH_CHALLENGE_SIZE])
{
  sqlite3_stmt *s = stmt (t, ST_FIND_SALE);
  gboolean found = FALSE;

  sqlite3_bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      found = TRUE;
      d->sale_number = (guint64) sqlite3_column_int64 (s, 0);
      d->amount = (guint64) sqlite3_column_int64 (s, 1);
      g_strlcpy (d->currency, (const char *) sqlite3_column_text (s, 2), sizeof d->currency);
      d->time = (guint64) sqlite3_column_int64 (s, 3);
      if (sqlite3_column_bytes (s, 4) == OFFAUTH_CHALLENGE_SIZE)
        memcpy (challenge, sqlite3_column_blob (s, 4), OFFAUTH_CHALLENGE_SIZE);
      d->mode = sqlite3_column_int (s, 5);
      memcpy (d->sale_id, sale_id, OFFAUTH_SALE_ID_SIZE);
    }
  sqlite3_reset (s);
  return found;
}

static void
fill_journal_hash (OffauthTerminal *t,
                   OffauthDecision *d)
{
  sqlite3_stmt *s = NULL;

  sqlite3_prepare_v2 (t->db, "SELECT hash FROM journal WHERE seq = ?1", -1, &s, NULL);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) d->sale_number);
  if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_bytes (s, 0) == OFFAUTH_HASH_SIZE)
    memcpy (d->journal_hash, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  sqlite3_finalize (s);
}

static gboolean
commit_sale (OffauthTerminal      *t,
             const OffauthPayment *p,
             guint64               now,
             guint64               cred_count,
             guint64               cred_total,
             OffauthDecision      *d,
             GError              **error)
{
  guint8 payload[OFFAUTH_PAYMENT_SIZE + 1];
  guint8 hash[OFFAUTH_HASH_SIZE];
  guint64 seq;
  sqlite3_stmt *s;

  memcpy (payload, p->raw, OFFAUTH_PAYMENT_SIZE);
  payload[OFFAUTH_PAYMENT_SIZE] = OFFAUTH_MODE_OFFLINE;

  if (!tx_begin (t, error))
    return FALSE;
  if (!journal_append (t, OFFAUTH_RECORD_SALE_APPROVED, now, payload, sizeof payload, &seq, hash,
                       error))
    goto fail;

  s = stmt (t, ST_INSERT_SALE);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_blob (s, 2, p->sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_blob (s, 3, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 4, p->counter);
  sqlite3_bind_blob (s, 5, p->request.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 6, (sqlite3_int64) p->request.amount);
  sqlite3_bind_text (s, 7, p->request.currency, 3, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 8, (sqlite3_int64) now);
  sqlite3_bind_int (s, 9, OFFAUTH_MODE_OFFLINE);
  sqlite3_bind_int (s, 10, OFFAUTH_SALE_QUEUED);
  if (!step_done (t, s, error))
    goto fail;

  s = stmt (t, ST_UPSERT_CRED);
  sqlite3_bind_blob (s, 1, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) (cred_count + 1));
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) sat_add (cred_total, p->request.amount));
  if (!step_done (t, s, error))
    goto fail;

  /* The durable commit: one fsync of the WAL (synchronous=FULL). */
  if (!tx_commit (t, error))
    goto fail;

  journal_advance (t, seq, hash);
  t->latest_sale_time = MAX (t->latest_sale_time, now);
  if (t->unsettled_count == 0 || now < t->oldest_unsettled)
    t->oldest_unsettled = now;
  t->unsettled_count++;
  t->unsettled_total = sat_add (t->unsettled_total, p->request.amount);
  memcpy (t->last_sale_challenge, p->request.challenge, OFFAUTH_CHALLENGE_SIZE);
  t->has_sale = TRUE;

  d->sale_number = seq;
  memcpy (d->journal_hash, hash, OFFAUTH_HASH_SIZE);
  return TRUE;

fail:
  tx_rollback (t);
  return FALSE;
}

/* Resolving a commit of unknown outcome */

static void
close_connection (sqlite3       *db,
                  sqlite3_stmt **stmts)
{
  for (guint i = 0; i < N_STATEMENTS; i++)
    {
      sqlite3_finalize (stmts[i]);
      stmts[i] = NULL;
    }
  sqlite3_close_v2 (db);
}

/* A new connection replaces the one that saw the failure (whose pager may hold an error
 * and whose cache the failed transaction): only once it is open, so that a terminal that
 * cannot reopen keeps a working handle, paused. */
static gboolean
reopen (OffauthTerminal *t,
        GError         **error)
{
  sqlite3 *old_db = t->db;
  sqlite3_stmt *old_stmts[N_STATEMENTS];
  gint64 request_id = t->latest_request_id, request_mono = t->latest_request_mono;
  int log_frames = 0, checkpointed = 0;

  memcpy (old_stmts, t->stmts, sizeof old_stmts);
  t->db = NULL;
  memset (t->stmts, 0, sizeof t->stmts);
  if (!open_connection (t, error))
    {
      close_connection (t->db, t->stmts);
      t->db = old_db;
      memcpy (t->stmts, old_stmts, sizeof old_stmts);
      return FALSE;
    }
  close_connection (old_db, old_stmts);

  if (!load_state (t, error))
    return FALSE;
  if (t->latest_request_id == request_id)
    t->latest_request_mono = request_mono;
  /* Emptying the log settles the answer: what is committed is then in the database file,
   * synced, and no frame of the failed commit is left for a later recovery to replay. */
  if (sqlite3_wal_checkpoint_v2 (t->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                 &checkpointed) != SQLITE_OK)
    return set_db_error (t, error, "The write-ahead log could not be checkpointed");
  return TRUE;
}

gboolean
offauth_terminal_resolve (OffauthTerminal *t,
                          GError         **error)
{
  g_return_val_if_fail (t != NULL, FALSE);

  if (!t->unresolved)
    return TRUE;
  if (!reopen (t, error))
    {
      t->resolve_due = g_get_monotonic_time () + t->resolve_backoff;
      t->resolve_backoff = MIN (t->resolve_backoff * 2, RESOLVE_MAX_BACKOFF);
      return FALSE;
    }
  if (t->unresolved_sale)
    {
      OffauthDecision found;
      guint8 challenge[OFFAUTH_CHALLENGE_SIZE];
      g_autofree gchar *hex = offauth_hex (t->unresolved_sale_id, OFFAUTH_SALE_ID_SIZE);

      g_info ("The sale %s of the commit whose outcome was unknown is %s", hex,
              find_sale (t, t->unresolved_sale_id, &found, challenge) ? "recorded" : "not recorded");
    }
  t->unresolved = FALSE;
  t->unresolved_sale = FALSE;
  return TRUE;
}

/* The terminal's own tries, whenever its state is checked: at most one per back-off. */
static gboolean
resolve_if_due (OffauthTerminal *t)
{
  if (g_get_monotonic_time () < t->resolve_due)
    return FALSE;
  return offauth_terminal_resolve (t, NULL);
}

void
offauth_terminal_authorize (OffauthTerminal       *t,
                            const char            *text,
                            gssize                 text_len,
                            const OffauthSaleLine *lines,
                            gsize                  n_lines,
                            OffauthDecision       *d)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bin = NULL;
  OffauthPayment p;
  const OffauthCredential *cred = &p.credential;
  const OffauthRequest *req = &p.request;
  const OffauthIssuerKey *key;
  const OffauthRevocationList *list;
  gboolean parsed = FALSE, payer_ok = FALSE, recorded = FALSE;
  guint8 first_challenge[OFFAUTH_CHALLENGE_SIZE] = { 0 };
  guint64 now, cred_count = 0, cred_total = 0;
  gsize bin_len = 0;
  OffauthReason state;
  sqlite3_stmt *s;

  g_return_if_fail (t != NULL && d != NULL);

  memset (d, 0, sizeof *d);
  now = offauth_terminal_now (t);

  /* A scan is the cashier's cue to try now: the same code scanned again after an unknown
   * outcome is then "already paid" (the sale is there) or decided afresh (it is not). */
  if (t->unresolved)
    offauth_terminal_resolve (t, NULL);

  if (text != NULL)
    bin = offauth_text_decode (text, text_len, 'P', &bin_len, &error);
  if (bin != NULL)
    {
      parsed = offauth_payment_parse (&p, bin, bin_len, &error);
      payer_ok = parsed && offauth_payment_verify (&p);
      if (payer_ok)
        {
          recorded = find_sale (t, p.sale_id, d, first_challenge);
          /* The same payment for the terminal's latest request is a double scan or a
           * crash between the commit and the screen: it is the sale already recorded,
           * approved again and recorded nothing. This comes before the terminal state,
           * which may have changed because of that very sale (docs/protocol.md). */
          if (recorded && t->latest_request_id != 0 &&
              memcmp (req->challenge, t->latest_challenge, OFFAUTH_CHALLENGE_SIZE) == 0)
            {
              d->approved = TRUE;
              d->already_recorded = TRUE;
              d->reason = OFFAUTH_REASON_NONE;
              fill_journal_hash (t, d);
              g_snprintf (d->detail, sizeof d->detail, "already recorded as sale %" G_GUINT64_FORMAT,
                          d->sale_number);
              return;
            }
        }
    }

  /* The amount counts toward the caps only once the payer's signature vouches for it. */
  state = check_state (t, now, payer_ok ? req->amount : 0);
  if (state != OFFAUTH_REASON_NONE)
    {
      /* Still unresolved: unknown for the sale that was being committed, while any other
       * payment was not written. */
      d->outcome_unknown = state == OFFAUTH_REASON_STORAGE_UNAVAILABLE && payer_ok &&
                           t->unresolved_sale &&
                           memcmp (p.sale_id, t->unresolved_sale_id, OFFAUTH_SALE_ID_SIZE) == 0;
      if (d->outcome_unknown)
        {
          memcpy (d->sale_id, p.sale_id, OFFAUTH_SALE_ID_SIZE);
          d->amount = req->amount;
          memcpy (d->currency, req->currency, 4);
        }
      return refuse (d, state, "%s", offauth_reason_detail (state));
    }

  /* 1. malformed. A code that does not decode to a payment's size is a bad scan
   * (cut short, or read wrong): the cashier scans again. */
  if (bin == NULL || bin_len != OFFAUTH_PAYMENT_SIZE)
    {
      d->garbled = TRUE;
      return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", error ? error->message : "no code");
    }
  if (!parsed)
    return refuse (d, OFFAUTH_REASON_MALFORMED, "%s", error->message);

  memcpy (d->sale_id, p.sale_id, OFFAUTH_SALE_ID_SIZE);
  d->amount = req->amount;
  memcpy (d->currency, req->currency, 4);

  /* 2. the payer's signature */
  if (!payer_ok)
    return refuse (d, OFFAUTH_REASON_BAD_PAYER_SIGNATURE, "payer signature does not verify");

  /* 3. already recorded, for an older request: an old payment shown again */
  if (recorded)
    {
      fill_journal_hash (t, d);
      return refuse (d, OFFAUTH_REASON_ALREADY_RECORDED,
                     "already recorded as sale %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT,
                     d->sale_number, d->time);
    }
  d->time = 0;

  /* 4. the issuer */
  key = t->has_bundle ? offauth_bundle_find_key (&t->bundle, cred->issuer_key_id) : NULL;
  if (key == NULL)
    return refuse (d, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY, "issuer key not in trust bundle %"
                   G_GUINT64_FORMAT, t->bundle.sequence);
  if (now < key->not_before || now > key->not_after)
    return refuse (d, OFFAUTH_REASON_ISSUER_KEY_EXPIRED, "issuer key valid %" G_GUINT64_FORMAT
                   "..%" G_GUINT64_FORMAT, key->not_before, key->not_after);
  if (!offauth_credential_verify (cred, key->public_key))
    return refuse (d, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE, "issuer signature does not verify");

  /* 5. the request this terminal issued */
  if (strcmp (req->merchant_id, t->merchant_id) != 0 ||
      memcmp (req->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return refuse (d, OFFAUTH_REASON_WRONG_TERMINAL, "request for merchant %s", req->merchant_id);
  {
    gint64 request_id = 0;
    guint64 created_at = 0, age;
    gboolean same_bytes = FALSE;

    s = stmt (t, ST_FIND_REQUEST);
    sqlite3_bind_blob (s, 1, req->challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
    if (sqlite3_step (s) == SQLITE_ROW)
      {
        request_id = sqlite3_column_int64 (s, 0);
        same_bytes = sqlite3_column_bytes (s, 1) == OFFAUTH_REQUEST_SIZE &&
                     memcmp (sqlite3_column_blob (s, 1), req->raw, OFFAUTH_REQUEST_SIZE) == 0;
        created_at = (guint64) sqlite3_column_int64 (s, 2);
      }
    sqlite3_reset (s);
    if (request_id == 0)
      return refuse (d, OFFAUTH_REASON_REQUEST_UNKNOWN, "challenge never issued here");
    if (request_id != t->latest_request_id)
      return refuse (d, OFFAUTH_REASON_REQUEST_SUPERSEDED, "a newer request was issued");
    if (!same_bytes)
      return refuse (d, OFFAUTH_REASON_REQUEST_MISMATCH, "request bytes differ from those issued");
    if (t->has_sale &&
        memcmp (t->last_sale_challenge, req->challenge, OFFAUTH_CHALLENGE_SIZE) == 0)
      return refuse (d, OFFAUTH_REASON_REQUEST_USED, "request already paid");
    /* Ages come from the monotonic clock while this process issued the request. */
    if (t->latest_request_mono != 0)
      age = (guint64) ((g_get_monotonic_time () - t->latest_request_mono) / G_USEC_PER_SEC);
    else
      age = now > created_at ? now - created_at : 0;
    if (age > t->config.request_lifetime)
      return refuse (d, OFFAUTH_REASON_REQUEST_EXPIRED, "request is %" G_GUINT64_FORMAT " s old",
                     age);
  }

  /* 6. the credential */
  if (now + OFFAUTH_CLOCK_SKEW < cred->not_before)
    return refuse (d, OFFAUTH_REASON_NOT_YET_VALID, "valid from %" G_GUINT64_FORMAT,
                   cred->not_before);
  if (now > cred->not_after)
    return refuse (d, OFFAUTH_REASON_EXPIRED, "expired at %" G_GUINT64_FORMAT, cred->not_after);
  if (memcmp (cred->currency, req->currency, 3) != 0)
    return refuse (d, OFFAUTH_REASON_CURRENCY_MISMATCH, "credential in %s, request in %s",
                   cred->currency, req->currency);
  list = g_hash_table_lookup (t->revocations, cred->issuer_key_id);
  if (list != NULL && offauth_revocation_list_contains (list, cred->credential_id))
    return refuse (d, OFFAUTH_REASON_REVOKED, "on revocation list %" G_GUINT64_FORMAT,
                   list->sequence);
  s = stmt (t, ST_NEGATIVE);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      sqlite3_reset (s);
      return refuse (d, OFFAUTH_REASON_NEGATIVE_LIST, "credential on the negative list");
    }
  sqlite3_reset (s);
  /* A key's scope, when set, also binds its credentials: they must carry it (PROTOCOL.md,
   * trust bundle), so a scope-0 credential of a scoped key is out of scope everywhere. */
  if ((cred->scope != 0 && cred->scope != req->scope) || (key->scope != 0 && key->scope != req->scope) ||
      (key->scope != 0 && cred->scope != key->scope))
    return refuse (d, OFFAUTH_REASON_OUT_OF_SCOPE, "credential scope %u, key scope %u, merchant %u",
                   cred->scope, key->scope, req->scope);

  /* 7. a counter that belongs to another sale: a double spend */
  s = stmt (t, ST_FIND_COUNTER);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, p.counter);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      guint64 other = (guint64) sqlite3_column_int64 (s, 0);
      sqlite3_reset (s);
      return refuse (d, OFFAUTH_REASON_COUNTER_REUSED, "counter %u already used by sale %"
                     G_GUINT64_FORMAT, p.counter, other);
    }
  sqlite3_reset (s);

  /* 8. the payer's limits */
  s = stmt (t, ST_CRED_TOTALS);
  sqlite3_bind_blob (s, 1, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE, SQLITE_STATIC);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      cred_count = (guint64) sqlite3_column_int64 (s, 0);
      cred_total = (guint64) sqlite3_column_int64 (s, 1);
    }
  sqlite3_reset (s);
  if (req->amount > cred->per_payment_limit)
    return refuse (d, OFFAUTH_REASON_OVER_PAYMENT_LIMIT, "limit %" G_GUINT64_FORMAT,
                   cred->per_payment_limit);
  if ((list == NULL || now > list->next_update) && req->amount > t->config.stale_cap)
    return refuse (d, OFFAUTH_REASON_REVOCATION_STALE,
                   list == NULL ? "no revocation list for the issuer key, amount above %" G_GUINT64_FORMAT
                                : "revocation list past next_update, amount above %" G_GUINT64_FORMAT,
                   t->config.stale_cap);
  if (p.counter > cred->max_offline_count || cred_count >= cred->max_offline_count)
    return refuse (d, OFFAUTH_REASON_OVER_OFFLINE_COUNT, "counter %u, %" G_GUINT64_FORMAT
                   " sales here, at most %u", p.counter, cred_count, cred->max_offline_count);
  if (sat_add (cred_total, req->amount) > cred->offline_total_limit)
    return refuse (d, OFFAUTH_REASON_OVER_OFFLINE_TOTAL, "%" G_GUINT64_FORMAT " spent here, limit %"
                   G_GUINT64_FORMAT, cred_total, cred->offline_total_limit);

  /* 9. floor limits: above them the sale needs an online authorization */
  if (t->config.floor_limit > 0 && req->amount > t->config.floor_limit)
    return refuse (d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "terminal floor %" G_GUINT64_FORMAT,
                   t->config.floor_limit);
  for (gsize i = 0; i < n_lines; i++)
    {
      const guint64 *floor;
      guint64 sum = 0;

      /* A floor of 0 means no floor, as for the terminal's floor_limit. */
      if (lines[i].category == NULL ||
          (floor = g_hash_table_lookup (t->category_floors, lines[i].category)) == NULL || *floor == 0)
        continue;
      for (gsize j = 0; j < n_lines; j++)
        if (g_strcmp0 (lines[j].category, lines[i].category) == 0)
          sum = sat_add (sum, lines[j].amount);
      if (sum > *floor)
        return refuse (d, OFFAUTH_REASON_OVER_FLOOR_LIMIT, "category %s floor %" G_GUINT64_FORMAT,
                       lines[i].category, *floor);
    }

  /* 10. the durable commit; nothing is approved without it */
  g_clear_error (&error);
  if (!commit_sale (t, &p, now, cred_count, cred_total, d, &error))
    {
      /* The head in memory may no longer be the database's: read it again, so that a
       * sale that did reach the disk is found when the same code is scanned again. */
      refuse (d, OFFAUTH_REASON_STORAGE_UNAVAILABLE, "%s", error->message);
      if (t->unresolved)
        {
          /* COMMIT was issued: the sale may be on disk. Paused until resolved. */
          d->outcome_unknown = TRUE;
          t->unresolved_sale = TRUE;
          memcpy (t->unresolved_sale_id, p.sale_id, OFFAUTH_SALE_ID_SIZE);
          return;
        }
      load_state (t, NULL);
      return;
    }

  d->approved = TRUE;
  d->reason = OFFAUTH_REASON_NONE;
  d->mode = OFFAUTH_MODE_OFFLINE;
  d->time = now;
}

/* Status */

void
offauth_terminal_get_status (OffauthTerminal       *t,
                             OffauthTerminalStatus *st)
{
  sqlite3_stmt *s = NULL;
  GHashTableIter iter;
  gpointer value;

  memset (st, 0, sizeof *st);
  st->enrolled = t->enrolled;
  g_strlcpy (st->merchant_id, t->merchant_id, sizeof st->merchant_id);
  memcpy (st->terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  st->config = t->config;
  st->root_trusted_on_first_use = t->root_tofu;
  if (t->has_bundle)
    {
      st->root_fingerprint = offauth_root_fingerprint (t->bundle.root_public_key);
      st->bundle_sequence = t->bundle.sequence;
      st->bundle_issued_at = t->bundle.issued_at;
      st->bundle_expires_at = t->bundle.expires_at;
      st->n_issuer_keys = t->bundle.n_keys;
    }
  st->n_revocation_lists = g_hash_table_size (t->revocations);
  g_hash_table_iter_init (&iter, t->revocations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const OffauthRevocationList *list = value;
      if (st->oldest_revocation_issued_at == 0 || list->issued_at < st->oldest_revocation_issued_at)
        st->oldest_revocation_issued_at = list->issued_at;
    }
  st->now = offauth_terminal_now (t);
  st->time_floor = time_floor (t);
  st->state = check_state (t, st->now, 0);
  st->unsettled_count = t->unsettled_count;
  st->unsettled_total = t->unsettled_total;
  st->oldest_unsettled_time = t->unsettled_count ? t->oldest_unsettled : 0;
  st->journal_rows = t->last_seq;
  memcpy (st->journal_head, t->last_hash, OFFAUTH_HASH_SIZE);

  sqlite3_prepare_v2 (t->db, "SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM credentials),"
                      " (SELECT count(*) FROM negative)", -1, &s, NULL);
  if (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    {
      st->n_sales = (guint64) sqlite3_column_int64 (s, 0);
      st->n_credentials = (guint64) sqlite3_column_int64 (s, 1);
      st->n_negative = (guint64) sqlite3_column_int64 (s, 2);
    }
  sqlite3_finalize (s);
}

void
offauth_terminal_status_clear (OffauthTerminalStatus *st)
{
  g_clear_pointer (&st->root_fingerprint, g_free);
}

const char *
offauth_sale_state_name (OffauthSaleState state)
{
  static const char *names[] = {
    "queued", "uploading", "approved", "declined", "retry-scheduled", "written-off",
    "collected-otherwise",
  };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

/* Journal verification */

typedef struct
{
  guint64 count;
  guint64 total;
} CredentialTotals;

static gboolean
credential_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_CREDENTIAL_ID_SIZE) == 0;
}

static gboolean
broken (guint64 *bad_seq,
        guint64  seq,
        GError **error,
        const char *format,
        ...) G_GNUC_PRINTF (4, 5);

static gboolean
broken (guint64    *bad_seq,
        guint64     seq,
        GError    **error,
        const char *format,
        ...)
{
  va_list args;

  if (bad_seq != NULL)
    *bad_seq = seq;
  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
blob_equals (sqlite3_stmt *s,
             int           col,
             const guint8 *data,
             gsize         len)
{
  return (gsize) sqlite3_column_bytes (s, col) == len &&
         memcmp (sqlite3_column_blob (s, col), data, len) == 0;
}

static gboolean
verify_sale_row (sqlite3_stmt         *sa,
                 const OffauthPayment *p,
                 guint64               time,
                 guint                 mode)
{
  const char *currency = (const char *) sqlite3_column_text (sa, 6);

  return blob_equals (sa, 1, p->sale_id, OFFAUTH_SALE_ID_SIZE) &&
         blob_equals (sa, 2, p->credential.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE) &&
         (guint64) sqlite3_column_int64 (sa, 3) == p->counter &&
         blob_equals (sa, 4, p->request.challenge, OFFAUTH_CHALLENGE_SIZE) &&
         (guint64) sqlite3_column_int64 (sa, 5) == p->request.amount &&
         g_strcmp0 (currency, p->request.currency) == 0 &&
         (guint64) sqlite3_column_int64 (sa, 7) == time &&
         (guint) sqlite3_column_int (sa, 8) == mode;
}

gboolean
offauth_terminal_verify (OffauthTerminal *t,
                         guint64         *bad_seq,
                         GError         **error)
{
  sqlite3_stmt *j = NULL, *sa = NULL, *ck = NULL, *s = NULL;
  g_autoptr(GHashTable) totals = g_hash_table_new_full (bytes_hash, credential_equal, g_free, g_free);
  g_autoptr(GHashTable) settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) revocations = g_hash_table_new_full (bytes_hash, key_id_equal, g_free, g_free);
  g_autoptr(GHashTable) negative = g_hash_table_new_full (bytes_hash, credential_equal, g_free, NULL);
  g_autoptr(GBytes) trust = NULL;
  g_autoptr(GBytes) enrolled = NULL;
  guint64 clock_seq = 0, clock_time = 0, clock_floor = 0;
  guint n_category_floors = 0;
  guint8 prev[OFFAUTH_HASH_SIZE] = { 0 };
  guint64 expected = 1, n_rows;
  gboolean have_sale, have_ckpt, ok = FALSE;

  if (bad_seq != NULL)
    *bad_seq = 0;

  sqlite3_prepare_v2 (t->db, "SELECT seq, kind, time, record, hash FROM journal ORDER BY seq", -1, &j, NULL);
  sqlite3_prepare_v2 (t->db, "SELECT id, sale_id, credential_id, counter, challenge, amount, currency,"
                      " time, mode, state FROM sales ORDER BY id", -1, &sa, NULL);
  sqlite3_prepare_v2 (t->db, "SELECT seq, raw FROM checkpoints ORDER BY seq", -1, &ck, NULL);
  if (j == NULL || sa == NULL || ck == NULL)
    {
      set_db_error (t, error, "Cannot read the journal");
      goto out;
    }
  have_sale = sqlite3_step (sa) == SQLITE_ROW;
  have_ckpt = sqlite3_step (ck) == SQLITE_ROW;

  for (;; expected++)
    {
      int rc = sqlite3_step (j);
      guint64 seq;
      const guint8 *record;
      gsize len;
      guint kind;
      guint64 time;
      guint8 h[OFFAUTH_HASH_SIZE];

      if (rc == SQLITE_DONE)
        break;
      if (rc != SQLITE_ROW)
        {
          set_db_error (t, error, "Cannot read the journal");
          goto out;
        }
      seq = (guint64) sqlite3_column_int64 (j, 0);
      if (seq != expected)
        {
          broken (bad_seq, expected, error, "journal row %" G_GUINT64_FORMAT " is missing", expected);
          goto out;
        }
      record = sqlite3_column_blob (j, 3);
      len = (gsize) sqlite3_column_bytes (j, 3);
      if (len < 9)
        {
          broken (bad_seq, seq, error, "journal row %" G_GUINT64_FORMAT " is truncated", seq);
          goto out;
        }
      kind = record[0];
      time = _offauth_get_u64 (record + 1);
      chain_hash (h, seq, prev, record, len);
      if (!blob_equals (j, 4, h, OFFAUTH_HASH_SIZE))
        {
          broken (bad_seq, seq, error,
                  "journal row %" G_GUINT64_FORMAT " does not match its chain hash: it was edited",
                  seq);
          goto out;
        }
      if ((guint) sqlite3_column_int (j, 1) != kind || (guint64) sqlite3_column_int64 (j, 2) != time)
        {
          broken (bad_seq, seq, error, "journal row %" G_GUINT64_FORMAT
                  " has a kind or time that is not its record's", seq);
          goto out;
        }
      memcpy (prev, h, sizeof prev);

      if (kind == OFFAUTH_RECORD_SALE_APPROVED)
        {
          OffauthPayment p;
          guint mode;

          if (len != SALE_RECORD_SIZE || !offauth_payment_parse (&p, record + 9, OFFAUTH_PAYMENT_SIZE, NULL))
            {
              broken (bad_seq, seq, error, "journal row %" G_GUINT64_FORMAT " holds no valid payment", seq);
              goto out;
            }
          mode = record[9 + OFFAUTH_PAYMENT_SIZE];
          if (have_sale && (guint64) sqlite3_column_int64 (sa, 0) < seq)
            {
              guint64 orphan = (guint64) sqlite3_column_int64 (sa, 0);
              broken (bad_seq, orphan, error, "journal row %" G_GUINT64_FORMAT
                      " is missing: sale %" G_GUINT64_FORMAT " has no journal row", orphan, orphan);
              goto out;
            }
          if (!have_sale || (guint64) sqlite3_column_int64 (sa, 0) != seq)
            {
              broken (bad_seq, seq, error, "sale %" G_GUINT64_FORMAT
                      " of the journal is missing from the sales table", seq);
              goto out;
            }
          /* Until reconciliation journals state changes, every sale waits for upload. */
          if (!verify_sale_row (sa, &p, time, mode) || sqlite3_column_int (sa, 9) != OFFAUTH_SALE_QUEUED)
            {
              broken (bad_seq, seq, error, "sale %" G_GUINT64_FORMAT
                      " in the sales table disagrees with journal row %" G_GUINT64_FORMAT, seq, seq);
              goto out;
            }
          if (mode == OFFAUTH_MODE_OFFLINE)
            {
              CredentialTotals *ct = g_hash_table_lookup (totals, p.credential.credential_id);
              if (ct == NULL)
                {
                  ct = g_new0 (CredentialTotals, 1);
                  g_hash_table_insert (totals, g_memdup2 (p.credential.credential_id, 16), ct);
                }
              ct->count++;
              ct->total = sat_add (ct->total, p.request.amount);
            }
          have_sale = sqlite3_step (sa) == SQLITE_ROW;
        }
      else if (kind == OFFAUTH_RECORD_TRUST_LOADED)
        {
          g_clear_pointer (&trust, g_bytes_unref);
          trust = g_bytes_new (record + 9, len - 9);
        }
      else if (kind == OFFAUTH_RECORD_REVOCATIONS && len == 9 + 48)
        g_hash_table_insert (revocations, g_memdup2 (record + 9, 8), g_memdup2 (record + 9, 48));
      else if (kind == OFFAUTH_RECORD_SETTING)
        {
          g_autofree gchar *text = g_strndup ((const char *) record + 9, len - 9);
          char *eq = strrchr (text, '=');
          if (eq != NULL)
            {
              *eq = '\0';
              g_hash_table_insert (settings, g_strdup (text), g_strdup (eq + 1));
            }
        }
      else if (kind == OFFAUTH_RECORD_NEGATIVE_LIST && len >= 9 + 16)
        g_hash_table_add (negative, g_memdup2 (record + 9, 16));
      else if (kind == OFFAUTH_RECORD_ENROLLED)
        {
          if (enrolled != NULL || len != 9 + 69)
            {
              broken (bad_seq, seq, error, "journal row %" G_GUINT64_FORMAT " is a second or damaged "
                      "enrollment", seq);
              goto out;
            }
          enrolled = g_bytes_new (record + 9, len - 9);
        }
      else if (kind == OFFAUTH_RECORD_CLOCK_ACCEPTED && len == 9 + 16)
        {
          clock_seq = seq;
          clock_time = time;
          clock_floor = _offauth_get_u64 (record + 9);
        }

      while (have_ckpt && (guint64) sqlite3_column_int64 (ck, 0) <= seq)
        {
          OffauthCheckpoint k;
          if (!offauth_checkpoint_parse (&k, sqlite3_column_blob (ck, 1),
                                         (gsize) sqlite3_column_bytes (ck, 1), NULL) ||
              k.seq != seq || memcmp (k.chain_hash, h, OFFAUTH_HASH_SIZE) != 0 ||
              !offauth_checkpoint_verify (&k, t->terminal_pk))
            {
              broken (bad_seq, seq, error, "the checkpoint at journal row %" G_GUINT64_FORMAT
                      " disagrees with the journal", seq);
              goto out;
            }
          have_ckpt = sqlite3_step (ck) == SQLITE_ROW;
        }
    }
  n_rows = expected - 1;

  if (have_sale)
    {
      guint64 orphan = (guint64) sqlite3_column_int64 (sa, 0);
      broken (bad_seq, orphan, error, "journal row %" G_GUINT64_FORMAT " is missing: sale %"
              G_GUINT64_FORMAT " has no journal row", orphan, orphan);
      goto out;
    }
  if (have_ckpt)
    {
      guint64 seq = (guint64) sqlite3_column_int64 (ck, 0);
      broken (bad_seq, n_rows + 1, error, "journal rows %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
              " are missing: a checkpoint covers them", n_rows + 1, seq);
      goto out;
    }

  /* The derived tables. */
  sqlite3_prepare_v2 (t->db, "SELECT credential_id, offline_count, offline_total FROM credentials",
                      -1, &s, NULL);
  {
    guint n_creds = 0;
    while (s != NULL && sqlite3_step (s) == SQLITE_ROW)
      {
        const CredentialTotals *ct = NULL;
        n_creds++;
        if (sqlite3_column_bytes (s, 0) == OFFAUTH_CREDENTIAL_ID_SIZE)
          ct = g_hash_table_lookup (totals, sqlite3_column_blob (s, 0));
        if (ct == NULL || ct->count != (guint64) sqlite3_column_int64 (s, 1) ||
            ct->total != (guint64) sqlite3_column_int64 (s, 2))
          {
            g_autofree gchar *hex = offauth_hex (sqlite3_column_blob (s, 0),
                                                 (gsize) sqlite3_column_bytes (s, 0));
            broken (bad_seq, 0, error, "the offline counters of credential %s disagree with the journal",
                    hex);
            goto out;
          }
      }
    if (n_creds != g_hash_table_size (totals))
      {
        broken (bad_seq, 0, error, "credential counters are missing: the journal has %u credentials, "
                "the table %u", g_hash_table_size (totals), n_creds);
        goto out;
      }
  }
  g_clear_pointer (&s, sqlite3_finalize);

  if (t->has_bundle &&
      (trust == NULL || g_bytes_get_size (trust) != t->bundle.raw_len ||
       memcmp (g_bytes_get_data (trust, NULL), t->bundle.raw, t->bundle.raw_len) != 0))
    {
      broken (bad_seq, 0, error, "the stored trust bundle is not the one the journal recorded");
      goto out;
    }
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, t->revocations);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        const OffauthRevocationList *list = value;
        const guint8 *rec = g_hash_table_lookup (revocations, key);
        guint8 h[OFFAUTH_HASH_SIZE];
        gsize raw_len;
        const guint8 *raw = g_bytes_get_data (list->raw, &raw_len);

        offauth_hash (h, raw, raw_len);
        if (rec == NULL || _offauth_get_u64 (rec + 8) != list->sequence ||
            memcmp (rec + 16, h, OFFAUTH_HASH_SIZE) != 0)
          {
            broken (bad_seq, 0, error, "a stored revocation list is not the one the journal recorded");
            goto out;
          }
      }
    if (g_hash_table_size (revocations) != g_hash_table_size (t->revocations))
      {
        broken (bad_seq, 0, error, "a revocation list recorded in the journal is missing");
        goto out;
      }

    g_hash_table_iter_init (&iter, settings);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        const char *name = key;
        guint64 recorded = g_ascii_strtoull (value, NULL, 10);
        guint64 stored = 0;
        gboolean found;

        if (g_str_has_prefix (name, "category_floor:"))
          {
            const guint64 *floor = g_hash_table_lookup (t->category_floors,
                                                        name + strlen ("category_floor:"));
            found = floor != NULL;
            if (found)
              stored = *floor;
          }
        else
          found = setting_get (t, name, &stored, NULL);
        if (!found || stored != recorded)
          {
            broken (bad_seq, 0, error, "the setting %s is not the value the journal recorded (%s)",
                    name, (const char *) value);
            goto out;
          }
      }

    g_hash_table_iter_init (&iter, settings);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (g_str_has_prefix (key, "category_floor:"))
        n_category_floors++;
    if (n_category_floors != g_hash_table_size (t->category_floors))
      {
        broken (bad_seq, 0, error, "a category floor limit was added outside the journal");
        goto out;
      }

    sqlite3_prepare_v2 (t->db, "SELECT credential_id FROM negative", -1, &s, NULL);
    {
      guint n_negative = 0;
      while (s != NULL && sqlite3_step (s) == SQLITE_ROW)
        {
          n_negative++;
          if (sqlite3_column_bytes (s, 0) != OFFAUTH_CREDENTIAL_ID_SIZE ||
              !g_hash_table_contains (negative, sqlite3_column_blob (s, 0)))
            n_negative = G_MAXUINT;
        }
      if (n_negative != g_hash_table_size (negative))
        {
          broken (bad_seq, 0, error, "the negative list is not the one the journal recorded");
          goto out;
        }
    }
    g_clear_pointer (&s, sqlite3_finalize);
  }

  /* Who the terminal is, and the clock the merchant accepted, come from the journal. */
  if ((enrolled != NULL) != t->enrolled)
    {
      broken (bad_seq, 0, error, "the terminal's enrollment is not the one the journal recorded");
      goto out;
    }
  if (enrolled != NULL)
    {
      const guint8 *e = g_bytes_get_data (enrolled, NULL);
      char merchant[OFFAUTH_MERCHANT_ID_SIZE + 1] = { 0 };

      memcpy (merchant, e, OFFAUTH_MERCHANT_ID_SIZE);
      if (strcmp (merchant, t->merchant_id) != 0 ||
          memcmp (e + 16, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0 ||
          !t->has_bundle || memcmp (e + 32, t->bundle.root_public_key, OFFAUTH_PK_SIZE) != 0 ||
          (e[64] == 0) != t->root_tofu)
        {
          broken (bad_seq, 0, error, "the terminal's identity or root is not the one the journal recorded");
          goto out;
        }
    }
  if (clock_seq != t->accepted_seq || clock_time != t->accepted_at || clock_floor != t->accepted_floor ||
      t->acquirer_time != 0)
    {
      broken (bad_seq, 0, error, "the trusted time is not the one the journal recorded");
      goto out;
    }
  ok = TRUE;

out:
  sqlite3_finalize (j);
  sqlite3_finalize (sa);
  sqlite3_finalize (ck);
  sqlite3_finalize (s);
  return ok;
}

gboolean
offauth_terminal_foreach_record (OffauthTerminal    *t,
                                 guint64             from_seq,
                                 OffauthJournalFunc  func,
                                 gpointer            user_data,
                                 GError            **error)
{
  sqlite3_stmt *s = NULL;
  int rc;

  if (sqlite3_prepare_v2 (t->db, "SELECT seq, record, hash FROM journal WHERE seq >= ?1 ORDER BY seq",
                          -1, &s, NULL) != SQLITE_OK)
    return set_db_error (t, error, "Cannot read the journal");
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) from_seq);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      const guint8 *record = sqlite3_column_blob (s, 1);
      gsize len = (gsize) sqlite3_column_bytes (s, 1);
      guint8 hash[OFFAUTH_HASH_SIZE] = { 0 };

      if (len < 9)
        continue;
      if (sqlite3_column_bytes (s, 2) == OFFAUTH_HASH_SIZE)
        memcpy (hash, sqlite3_column_blob (s, 2), OFFAUTH_HASH_SIZE);
      if (!func ((guint64) sqlite3_column_int64 (s, 0), record[0], _offauth_get_u64 (record + 1),
                 record + 9, len - 9, hash, user_data))
        break;
    }
  sqlite3_finalize (s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (t, error, "Cannot read the journal");
  return TRUE;
}

gchar *
offauth_terminal_make_checkpoint (OffauthTerminal *t,
                                  GError         **error)
{
  OffauthCheckpoint k = { 0 };
  sqlite3_stmt *s = NULL;
  gboolean ok;

  if (!require_enrolled (t, error))
    return NULL;
  if (t->key == NULL || t->last_seq == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "No checkpoint can be made here");
      return NULL;
    }
  memcpy (k.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  k.seq = t->last_seq;
  memcpy (k.chain_hash, t->last_hash, OFFAUTH_HASH_SIZE);
  k.created_at = offauth_terminal_now (t);
  offauth_checkpoint_sign (&k, t->key);

  sqlite3_prepare_v2 (t->db, "INSERT OR REPLACE INTO checkpoints (seq, raw) VALUES (?1, ?2)", -1, &s, NULL);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) k.seq);
  sqlite3_bind_blob (s, 2, k.raw, OFFAUTH_CHECKPOINT_SIZE, SQLITE_STATIC);
  ok = step_done (t, s, error);
  sqlite3_finalize (s);
  if (!ok)
    return NULL;
  return offauth_text_encode ('K', k.raw, OFFAUTH_CHECKPOINT_SIZE);
}

gboolean
offauth_terminal_verify_checkpoint (OffauthTerminal *t,
                                    const char      *text,
                                    GError         **error)
{
  OffauthCheckpoint k;
  sqlite3_stmt *s = NULL;
  gboolean found = FALSE, same = FALSE;

  if (!offauth_checkpoint_parse_text (&k, text, error))
    return FALSE;
  if (memcmp (k.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED, "The checkpoint is from another terminal");
      return FALSE;
    }
  if (!offauth_checkpoint_verify (&k, t->terminal_pk))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The checkpoint's terminal signature does not verify");
      return FALSE;
    }
  /* Then the chain itself (the stored hashes are only worth what the chain proves),
   * after the cheap checks, so that a forged checkpoint costs no walk of the journal. */
  if (!offauth_terminal_verify (t, NULL, error))
    return FALSE;
  sqlite3_prepare_v2 (t->db, "SELECT hash FROM journal WHERE seq = ?1", -1, &s, NULL);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) k.seq);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      found = TRUE;
      same = blob_equals (s, 0, k.chain_hash, OFFAUTH_HASH_SIZE);
    }
  sqlite3_finalize (s);
  if (!found)
    return broken (NULL, k.seq, error, "journal row %" G_GUINT64_FORMAT
                   " is missing: the checkpoint covers it", k.seq);
  if (!same)
    return broken (NULL, k.seq, error, "journal rows up to %" G_GUINT64_FORMAT
                   " were changed after the checkpoint was made", k.seq);
  return TRUE;
}

/* Benchmark fill: n queued sales, shaped like real ones, without signatures. */
gboolean
_offauth_terminal_fill_settled (OffauthTerminal *t,
                                guint64          n,
                                GError         **error)
{
  g_autoptr(GHashTable) totals = g_hash_table_new_full (bytes_hash, credential_equal, g_free, g_free);
  guint64 now = offauth_terminal_now (t);
  const guint64 per_credential = 50;
  GHashTableIter iter;
  gpointer key, value;

  if (!require_enrolled (t, error))
    return FALSE;
  for (guint64 i = 0; i < n;)
    {
      if (!tx_begin (t, error))
        return FALSE;
      for (guint64 end = MIN (n, i + 20000); i < end; i++)
        {
          OffauthPayment p = { 0 };
          guint8 payload[OFFAUTH_PAYMENT_SIZE + 1];
          guint8 hash[OFFAUTH_HASH_SIZE], seed[8];
          CredentialTotals *ct;
          sqlite3_stmt *s;
          guint64 seq;

          _offauth_put_u64 (seed, i / per_credential);
          offauth_hash (hash, seed, sizeof seed);
          memcpy (p.credential.credential_id, hash, 16);
          memcpy (p.credential.currency, "EUR", 4);
          p.credential.max_offline_count = (guint32) per_credential;
          p.credential.per_payment_limit = 10000;
          p.credential.offline_total_limit = 1000000;
          p.credential.not_after = 1;
          offauth_credential_encode (&p.credential);
          g_strlcpy (p.request.merchant_id, t->merchant_id, sizeof p.request.merchant_id);
          memcpy (p.request.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
          memcpy (p.request.currency, "EUR", 4);
          p.request.amount = 100 + i % 900;
          p.request.created_at = now - n + i;
          randombytes_buf (p.request.challenge, OFFAUTH_CHALLENGE_SIZE);
          offauth_request_encode (&p.request);
          p.counter = (guint32) (i % per_credential + 1);
          offauth_payment_encode (&p);
          memcpy (payload, p.raw, OFFAUTH_PAYMENT_SIZE);
          payload[OFFAUTH_PAYMENT_SIZE] = OFFAUTH_MODE_OFFLINE;

          if (!journal_append (t, OFFAUTH_RECORD_SALE_APPROVED, p.request.created_at, payload,
                               sizeof payload, &seq, hash, error))
            goto fail;
          journal_advance (t, seq, hash);
          s = stmt (t, ST_INSERT_SALE);
          sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
          sqlite3_bind_blob (s, 2, p.sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
          sqlite3_bind_blob (s, 3, p.credential.credential_id, 16, SQLITE_STATIC);
          sqlite3_bind_int64 (s, 4, p.counter);
          sqlite3_bind_blob (s, 5, p.request.challenge, OFFAUTH_CHALLENGE_SIZE, SQLITE_STATIC);
          sqlite3_bind_int64 (s, 6, (sqlite3_int64) p.request.amount);
          sqlite3_bind_text (s, 7, "EUR", 3, SQLITE_STATIC);
          sqlite3_bind_int64 (s, 8, (sqlite3_int64) p.request.created_at);
          sqlite3_bind_int (s, 9, OFFAUTH_MODE_OFFLINE);
          sqlite3_bind_int (s, 10, OFFAUTH_SALE_QUEUED);
          if (!step_done (t, s, error))
            goto fail;
          ct = g_hash_table_lookup (totals, p.credential.credential_id);
          if (ct == NULL)
            {
              ct = g_new0 (CredentialTotals, 1);
              g_hash_table_insert (totals, g_memdup2 (p.credential.credential_id, 16), ct);
            }
          ct->count++;
          ct->total += p.request.amount;
        }
      if (!tx_commit (t, error))
        goto fail;
    }

  if (!tx_begin (t, error))
    return FALSE;
  g_hash_table_iter_init (&iter, totals);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const CredentialTotals *ct = value;
      sqlite3_stmt *s = stmt (t, ST_UPSERT_CRED);

      sqlite3_bind_blob (s, 1, key, 16, SQLITE_STATIC);
      sqlite3_bind_int64 (s, 2, (sqlite3_int64) ct->count);
      sqlite3_bind_int64 (s, 3, (sqlite3_int64) ct->total);
      if (!step_done (t, s, error))
        goto fail;
    }
  if (!tx_commit (t, error))
    goto fail;
  return load_state (t, error);

fail:
  tx_rollback (t);
  load_state (t, NULL);
  return FALSE;
}
