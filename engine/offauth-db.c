/* offauth-db.c: the terminal's SQLite file: schema, the table of every statement, steps, settings.
 *
 * Every statement the terminal runs is in statement_sql[], prepared once (persistent) and
 * checked at open; a statement that cannot be prepared or stepped is reported as an
 * OFFAUTH_ERROR_STORAGE error, never passed over.
 *
 * A read-only open also reads a database on read-only media, where SQLite cannot create
 * the -shm file a WAL database needs: without a -wal file the database is read in place
 * (immutable), with one the two are copied into a temporary folder and the copy is read,
 * so that the sales only the -wal file holds are not left out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "offauth-terminal-private.h"


static const char *statement_sql[N_STATEMENTS] = {
  [ST_JOURNAL_MODE_WAL] = "PRAGMA journal_mode = WAL",
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_BEGIN_READ] = "BEGIN DEFERRED",
  [ST_COMMIT] = "COMMIT",
  [ST_ROLLBACK] = "ROLLBACK",

  [ST_GET_SETTING] = "SELECT value FROM settings WHERE name = ?1",
  [ST_SET_SETTING] = "INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)",

  [ST_CATEGORY_FLOORS] = "SELECT category, floor FROM category_floors",
  [ST_TRUST] = "SELECT raw FROM trust WHERE id = 1",
  [ST_REVOCATIONS] = "SELECT raw FROM revocations",
  [ST_JOURNAL_HEAD] = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
  /* The sales not yet acknowledged by the acquirer, whatever their verdict (PROTOCOL.md). */
  [ST_UNSETTLED] = "SELECT amount, time, mode FROM sales WHERE id > ?1",
  [ST_LAST_SALE_CHALLENGE] = "SELECT challenge FROM sales ORDER BY id DESC LIMIT 1",
  [ST_LATEST_SALE_TIME] = "SELECT max(time) FROM sales WHERE id > ?1",
  [ST_LATEST_REQUEST] = "SELECT id, challenge FROM requests ORDER BY id DESC LIMIT 1",
  [ST_COUNTS] = "SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM credentials),"
                " (SELECT count(*) FROM negative)",

  [ST_SET_TRUST] = "INSERT OR REPLACE INTO trust (id, raw) VALUES (1, ?1)",
  [ST_SET_REVOCATIONS] = "INSERT OR REPLACE INTO revocations (issuer_key_id, raw) VALUES (?1, ?2)",
  [ST_SET_CATEGORY_FLOOR] = "INSERT OR REPLACE INTO category_floors (category, floor) VALUES (?1, ?2)",
  [ST_ADD_NEGATIVE] = "INSERT OR REPLACE INTO negative (credential_id, reason, time) VALUES (?1, ?2, ?3)",

  [ST_INSERT_JOURNAL] = "INSERT INTO journal (seq, kind, time, record, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_JOURNAL_HASH] = "SELECT hash FROM journal WHERE seq = ?1",
  [ST_JOURNAL_FROM] = "SELECT seq, record, hash FROM journal WHERE seq >= ?1 ORDER BY seq",
  [ST_INSERT_CHECKPOINT] = "INSERT OR REPLACE INTO checkpoints (seq, raw) VALUES (?1, ?2)",

  [ST_INSERT_REQUEST] = "INSERT INTO requests (challenge, raw, created_at) VALUES (?1, ?2, ?3)",
  [ST_FIND_REQUEST] = "SELECT id, raw, created_at FROM requests WHERE challenge = ?1",
  [ST_FIND_SALE] = "SELECT id, amount, currency, time, challenge, mode FROM sales WHERE sale_id = ?1",
  [ST_FIND_COUNTER] = "SELECT id FROM sales WHERE credential_id = ?1 AND counter = ?2",
  [ST_CRED_TOTALS] = "SELECT offline_count, offline_total FROM credentials WHERE credential_id = ?1",
  [ST_NEGATIVE] = "SELECT 1 FROM negative WHERE credential_id = ?1",
  [ST_INSERT_SALE] = "INSERT INTO sales (id, sale_id, credential_id, counter, challenge, amount, "
                     "currency, time, mode, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [ST_UPSERT_CRED] = "INSERT OR REPLACE INTO credentials (credential_id, offline_count, offline_total) "
                     "VALUES (?1, ?2, ?3)",

  [ST_ALL_JOURNAL] = "SELECT seq, kind, time, record, hash FROM journal ORDER BY seq",
  [ST_ALL_SALES] = "SELECT id, sale_id, credential_id, counter, challenge, amount, currency,"
                   " time, mode, state, reason, attempt, retry_after, closing, verdict_seen"
                   " FROM sales ORDER BY id",
  [ST_ALL_CHECKPOINTS] = "SELECT seq, raw FROM checkpoints ORDER BY seq",
  [ST_ALL_CREDENTIALS] = "SELECT credential_id, offline_count, offline_total FROM credentials",
  [ST_ALL_NEGATIVE] = "SELECT credential_id FROM negative",
  /* The start-up check's lookups through the sales table's two UNIQUE indexes: the first
   * one alone (covering), and the entries of each counted (a range over all keys, which
   * the planner answers from the index). */
  [ST_FIND_SALE_ID] = "SELECT id FROM sales WHERE sale_id = ?1",
  [ST_COUNT_SALE_KEYS] = "SELECT (SELECT count(*) FROM sales WHERE sale_id > x''),"
                         " (SELECT count(*) FROM sales WHERE credential_id > x'')",

  [ST_SALE_ROW] = "SELECT sale_id, credential_id, state, reason, attempt, retry_after, closing,"
                  " verdict_seen, mode FROM sales WHERE id = ?1",
  [ST_SET_SALE_ROW] = "UPDATE sales SET state = ?2, reason = ?3, attempt = ?4, retry_after = ?5,"
                      " closing = ?6, verdict_seen = ?7 WHERE id = ?1",
  [ST_SET_RETRY_ASK] = "UPDATE sales SET retry_ask = ?2 WHERE id = ?1",
  /* Retry asks: insufficient funds only (held sales are the acquirer's to run again), not
   * closed, and asked by the merchant or due on the schedule. */
  [ST_RETRY_ASKS] = "SELECT id FROM sales WHERE state = 3 AND reason = 8 AND closing = 0"
                    " AND (retry_ask = 1 OR retry_after <= ?1) ORDER BY id LIMIT ?2",
  [ST_SALE_BETWEEN] = "SELECT 1 FROM sales WHERE id > ?1 AND id <= ?2 LIMIT 1",
  [ST_UNVERDICTED] = "SELECT id FROM sales WHERE id <= ?1 AND verdict_seen = 0 ORDER BY id",
  [ST_LIST_SALES] = "SELECT id, sale_id, credential_id, amount, currency, time, mode, state, reason,"
                    " attempt, retry_after, closing, retry_ask FROM sales WHERE id > ?1 ORDER BY id LIMIT ?2",
};

/* The schema of version 1, the first release. A new database is made at version 1 and
 * brought up by the migrations below, so that new and upgraded databases never differ. */
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

/* migrations[v] brings a database from version v to v + 1, in one transaction with the
 * new schema_version. Never edit one that has shipped: add the next. */
static const char *const migrations[] = {
  [0] = NULL,
  /* 1 -> 2: sale states become the wire's verdict states (0 waiting, 1 settled, 2 declined,
   * 3 retry, 4 written off, 5 collected otherwise); version 1 numbered them 0 queued,
   * 1 uploading, 2 approved, 3 declined, 4 retry scheduled, 5 written off, 6 collected
   * otherwise (and wrote only 0). The verdict's other fields, the close of a state-3 sale
   * waiting for "withdrawn" (closing: 0, 4 or 5), whether a verdict came (an online sale's
   * first verdict may change its provisional state) and a pending retry ask. */
  [1] = "ALTER TABLE sales ADD COLUMN reason INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sales ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sales ADD COLUMN retry_after INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sales ADD COLUMN closing INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sales ADD COLUMN verdict_seen INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sales ADD COLUMN retry_ask INTEGER NOT NULL DEFAULT 0;"
        "UPDATE sales SET state = CASE state WHEN 2 THEN 1 WHEN 3 THEN 2 WHEN 4 THEN 3"
        " WHEN 5 THEN 4 WHEN 6 THEN 5 ELSE 0 END;",
};

#define SCHEMA_VERSION ((guint64) G_N_ELEMENTS (migrations))

gboolean
_offauth_db_error (OffauthTerminal *t,
                   GError         **error,
                   const char      *what)
{
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "%s: %s", what,
               t->db ? sqlite3_errmsg (t->db) : "no database");
  return FALSE;
}

gboolean
_offauth_db_exec (OffauthTerminal *t,
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
prepare (OffauthTerminal    *t,
         OffauthStatementId  id,
         const char         *what,
         GError            **error)
{
  if (t->stmts[id] == NULL &&
      sqlite3_prepare_v3 (t->db, statement_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &t->stmts[id],
                          NULL) != SQLITE_OK)
    return _offauth_db_error (t, error, what);
  return TRUE;
}

/* Returns the statement reset and without bindings, prepared on first use. */
OffauthStmt *
_offauth_db_stmt (OffauthTerminal    *t,
                  OffauthStatementId  id,
                  GError            **error)
{
  sqlite3_stmt *s;

  if (!prepare (t, id, "The terminal database cannot be read", error))
    return NULL;
  s = t->stmts[id];
  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

/* One step: TRUE with *row telling whether a row came, FALSE when SQLite failed. */
gboolean
_offauth_db_step (OffauthTerminal *t,
                  OffauthStmt     *s,
                  gboolean        *row,
                  GError         **error)
{
  int rc = sqlite3_step (s);

  *row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return TRUE;
  _offauth_db_error (t, error, "The terminal database cannot be read");
  sqlite3_reset (s);
  return FALSE;
}

/* Runs a write (or a query whose rows are not needed) and resets it. */
gboolean
_offauth_db_step_done (OffauthTerminal *t,
                       OffauthStmt     *s,
                       GError         **error)
{
  int rc = sqlite3_step (s);

  sqlite3_reset (s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return _offauth_db_error (t, error, "database write failed");
  return TRUE;
}

/* Runs a statement that takes no parameters (BEGIN, COMMIT, ...). */
gboolean
_offauth_db_run (OffauthTerminal    *t,
                 OffauthStatementId  id,
                 GError            **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, id, error);

  return s != NULL && _offauth_db_step_done (t, s, error);
}

gboolean
_offauth_db_blob_equals (OffauthStmt  *s,
                         int           col,
                         const guint8 *data,
                         gsize         len)
{
  return (gsize) sqlite3_column_bytes (s, col) == len &&
         memcmp (sqlite3_column_blob (s, col), data, len) == 0;
}

gboolean
_offauth_setting_set (OffauthTerminal *t,
                      const char      *name,
                      const char      *text,
                      guint64          value,
                      GError         **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_SET_SETTING, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
  if (text != NULL)
    sqlite3_bind_text (s, 2, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (s, 2, (sqlite3_int64) value);
  return _offauth_db_step_done (t, s, error);
}

/* Reads a setting as a number and/or as text; *found tells whether it is set. */
gboolean
_offauth_setting_get (OffauthTerminal *t,
                      const char      *name,
                      gboolean        *found,
                      guint64         *value,
                      gchar          **text,
                      GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_GET_SETTING, error);

  *found = FALSE;
  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
  if (!_offauth_db_step (t, s, found, error))
    return FALSE;
  if (*found && value != NULL)
    *value = (guint64) sqlite3_column_int64 (s, 0);
  if (*found && text != NULL)
    *text = g_strdup ((const char *) sqlite3_column_text (s, 0));
  return TRUE;
}

static gboolean
use_wal (OffauthTerminal *t,
         GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_JOURNAL_MODE_WAL, error);
  gboolean row;

  if (s == NULL || !_offauth_db_step (t, s, &row, error))
    return FALSE;
  if (!row || g_strcmp0 ((const char *) sqlite3_column_text (s, 0), "wal") != 0)
    return _offauth_db_error (t, error, "The terminal database cannot use write-ahead logging");
  return TRUE;
}

static gboolean
open_connection (OffauthTerminal *t,
                 const char      *filename,
                 int              open_flags,
                 GError         **error)
{
  if (sqlite3_open_v2 (filename, &t->db, open_flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return _offauth_db_error (t, error, "Cannot open the terminal database");
  sqlite3_extended_result_codes (t->db, 1);
  sqlite3_busy_timeout (t->db, 5000);
  return _offauth_db_exec (t, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", error);
}

static gboolean
prepare_all (OffauthTerminal *t,
             GError         **error)
{
  /* The statements cannot be prepared on a read-only database without the tables. */
  for (guint i = 0; i < N_STATEMENTS; i++)
    if (!prepare (t, i, "This is not a terminal database", error))
      return FALSE;
  return TRUE;
}

static gboolean
copy_file (const char *from,
           const char *to,
           GError    **error)
{
  g_autofree guint8 *buf = g_malloc (1 << 20);
  int in = g_open (from, O_RDONLY | O_CLOEXEC, 0);
  int out = in < 0 ? -1 : g_open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gssize n = 0;
  int saved = 0;

  while (out >= 0 && (n = read (in, buf, 1 << 20)) != 0)
    {
      gssize done = 0;

      if (n < 0 && errno == EINTR)
        continue;
      while (n > 0 && done < n)
        {
          gssize w = write (out, buf + done, (gsize) (n - done));
          if (w < 0 && errno != EINTR)
            break;
          done += MAX (w, 0);
        }
      if (n < 0 || done < n)
        break;
    }
  saved = errno;
  if (in >= 0)
    close (in);
  if (out >= 0 && close (out) != 0 && n == 0)
    n = -1, saved = errno;
  if (in < 0 || out < 0 || n != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "Cannot copy %s to %s: %s", from,
                   to, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Read-only media: SQLite could not open (or create) what WAL reading needs beside t->path. */
static gboolean
open_read_only_medium (OffauthTerminal *t,
                       GError         **error)
{
  g_autofree gchar *wal = g_strconcat (t->path, "-wal", NULL);
  g_autofree gchar *copy = NULL;
  g_autofree gchar *copy_wal = NULL;

  if (!g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      g_autofree gchar *absolute = g_canonicalize_filename (t->path, NULL);
      g_autofree gchar *uri = g_filename_to_uri (absolute, NULL, error);
      g_autofree gchar *immutable = NULL;

      if (uri == NULL)
        return FALSE;
      immutable = g_strconcat (uri, "?immutable=1", NULL);
      return open_connection (t, immutable, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, error) &&
             prepare_all (t, error);
    }
  t->copy_dir = g_dir_make_tmp ("offauth-verify-XXXXXX", NULL);
  if (t->copy_dir == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE,
                   "Cannot make a temporary folder for a copy of %s", t->path);
      return FALSE;
    }
  copy = g_build_filename (t->copy_dir, "terminal.db", NULL);
  copy_wal = g_strconcat (copy, "-wal", NULL);
  return copy_file (t->path, copy, error) && copy_file (wal, copy_wal, error) &&
         open_connection (t, copy, SQLITE_OPEN_READONLY, error) && prepare_all (t, error);
}

/* Brings the schema from version `from` to SCHEMA_VERSION in one transaction. */
static gboolean
migrate (OffauthTerminal *t,
         guint64          from,
         GError         **error)
{
  g_autofree gchar *version = g_strdup_printf ("INSERT OR REPLACE INTO settings (name, value)"
                                               " VALUES ('schema_version', %" G_GUINT64_FORMAT ")",
                                               SCHEMA_VERSION);

  if (!_offauth_db_exec (t, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint64 v = from; v < SCHEMA_VERSION; v++)
    if (!_offauth_db_exec (t, migrations[v], error))
      goto fail;
  if (!_offauth_db_exec (t, version, error) || !_offauth_db_exec (t, "COMMIT", error))
    goto fail;
  g_debug ("The terminal database schema went from version %" G_GUINT64_FORMAT " to %"
           G_GUINT64_FORMAT, from, SCHEMA_VERSION);
  return TRUE;

fail:
  _offauth_db_exec (t, "ROLLBACK", NULL);
  g_prefix_error (error, "The terminal database could not be upgraded: ");
  return FALSE;
}

/* Opens t->path: creates the schema when writable, upgrades an older one, and prepares every statement, which
 * also tells a terminal database from any other file. */
gboolean
_offauth_db_open (OffauthTerminal *t,
                  GError         **error)
{
  gboolean read_only = (t->flags & OFFAUTH_OPEN_READ_ONLY) != 0;
  int open_flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  guint64 version = 0;
  gboolean found = FALSE;

  if (read_only)
    {
      g_autoptr(GError) local = NULL;
      int rc;

      if (open_connection (t, t->path, open_flags, &local) && prepare_all (t, &local))
        return TRUE;
      rc = t->db != NULL ? sqlite3_extended_errcode (t->db) & 0xff : SQLITE_CANTOPEN;
      if ((rc != SQLITE_CANTOPEN && rc != SQLITE_READONLY) ||
          !g_file_test (t->path, G_FILE_TEST_IS_REGULAR))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      _offauth_db_close (t);
      return open_read_only_medium (t, error);
    }
  if (!open_connection (t, t->path, open_flags, error))
    return FALSE;
  if (!use_wal (t, error) || !_offauth_db_exec (t, schema_sql, error) ||
      !_offauth_setting_get (t, "schema_version", &found, &version, NULL, error))
    return FALSE;
  if (!found)
    version = 1;
  if (version > SCHEMA_VERSION || version == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "database schema version %" G_GUINT64_FORMAT " is not supported", version);
      return FALSE;
    }
  if ((!found || version < SCHEMA_VERSION) && !migrate (t, version, error))
    return FALSE;
  return prepare_all (t, error);
}

/* A new connection replaces the one that saw a failed commit (its pager may hold the
 * error, its cache the failed transaction): only once the new one is open, so that a
 * terminal that cannot reopen keeps a working handle. */
gboolean
_offauth_db_reopen (OffauthTerminal *t,
                    GError         **error)
{
  sqlite3 *old_db = t->db;
  sqlite3_stmt *old_stmts[N_STATEMENTS];

  memcpy (old_stmts, t->stmts, sizeof old_stmts);
  t->db = NULL;
  memset (t->stmts, 0, sizeof t->stmts);
  if (!_offauth_db_open (t, error))
    {
      _offauth_db_close (t);
      t->db = old_db;
      memcpy (t->stmts, old_stmts, sizeof old_stmts);
      return FALSE;
    }
  for (guint i = 0; i < N_STATEMENTS; i++)
    sqlite3_finalize (old_stmts[i]);
  sqlite3_close_v2 (old_db);
  return TRUE;
}

void
_offauth_db_close (OffauthTerminal *t)
{
  for (guint i = 0; i < N_STATEMENTS; i++)
    g_clear_pointer (&t->stmts[i], sqlite3_finalize);
  g_clear_pointer (&t->db, sqlite3_close);
  /* Only read-only opens make a copy, and they are never reopened. */
  if (t->copy_dir != NULL)
    {
      const char *names[] = { "terminal.db", "terminal.db-wal", "terminal.db-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_autofree gchar *path = g_build_filename (t->copy_dir, names[i], NULL);
          g_unlink (path);
        }
      g_rmdir (t->copy_dir);
      g_clear_pointer (&t->copy_dir, g_free);
    }
}
