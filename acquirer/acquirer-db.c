/* acquirer-db.c: the acquirer's SQLite file: schema, the table of every statement, steps.
 *
 * Like the terminal's database (engine/offauth-db.c): every statement is in
 * statement_sql[], prepared once and checked at open; parameters are always bound, never
 * written into the SQL; WAL with synchronous=FULL, so that a change is on disk when its
 * COMMIT returns and a SIGKILL loses nothing that was answered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "acquirer-db.h"

#define SCHEMA_VERSION 1

typedef enum
{
  ST_JOURNAL_MODE_WAL,
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_GET_SETTING,
  ST_SET_SETTING,
  ST_FIND_TERMINAL,
  ST_INSERT_TERMINAL,
  ST_REPLACE_TERMINAL,
  ST_ALL_TERMINALS,
  ST_CREDENTIALS_BY_ID,
  ST_FIND_ACCOUNT,
  ST_INSERT_ACCOUNT,
  ST_SET_BALANCE,
  ST_INSERT_TOPUP,
  ST_ACCOUNT_TOTALS,
  N_STATEMENTS
} StatementId;

static const char *statement_sql[N_STATEMENTS] = {
  [ST_JOURNAL_MODE_WAL] = "PRAGMA journal_mode = WAL",
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_ROLLBACK] = "ROLLBACK",

  [ST_GET_SETTING] = "SELECT value FROM settings WHERE name = ?1",
  [ST_SET_SETTING] = "INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)",

  [ST_FIND_TERMINAL] = "SELECT 1 FROM terminals WHERE terminal_id = ?1",
  [ST_INSERT_TERMINAL] = "INSERT INTO terminals (terminal_id, public_key, merchant_id, scope, "
                         "from_seq, from_hash, registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [ST_REPLACE_TERMINAL] = "UPDATE terminals SET merchant_id = ?3, scope = ?4, from_seq = ?5, "
                          "from_hash = ?6, registered_at = ?7 "
                          "WHERE terminal_id = ?1 AND public_key = ?2",
  [ST_ALL_TERMINALS] = "SELECT terminal_id, public_key, merchant_id, scope, from_seq, from_hash, "
                       "registered_at FROM terminals ORDER BY merchant_id, terminal_id",

  [ST_CREDENTIALS_BY_ID] = "SELECT credential FROM accounts WHERE credential_id = ?1 "
                           "ORDER BY created_at, credential",
  [ST_FIND_ACCOUNT] = "SELECT balance FROM accounts WHERE credential = ?1",
  [ST_INSERT_ACCOUNT] = "INSERT INTO accounts (credential, credential_id, currency, balance, "
                        "created_at, updated_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)",
  [ST_SET_BALANCE] = "UPDATE accounts SET balance = ?2, updated_at = ?3 WHERE credential = ?1",
  [ST_INSERT_TOPUP] = "INSERT INTO topups (credential, amount, time) VALUES (?1, ?2, ?3)",
  [ST_ACCOUNT_TOTALS] = "SELECT currency, count(*), sum(balance) FROM accounts "
                        "GROUP BY currency ORDER BY currency",
};

/* Settlement (sync and online authorization) adds its tables here: the terminals' rows,
 * the sales and their verdict versions. */
static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value) WITHOUT ROWID;"
  /* terminal_id is the first 16 bytes of H(public_key). */
  "CREATE TABLE IF NOT EXISTS terminals ("
  "  terminal_id BLOB PRIMARY KEY, public_key BLOB NOT NULL UNIQUE,"
  "  merchant_id TEXT NOT NULL, scope INTEGER NOT NULL,"
  "  from_seq INTEGER NOT NULL, from_hash BLOB NOT NULL,"
  "  registered_at INTEGER NOT NULL) WITHOUT ROWID;"
  /* Keyed on the whole credential (172 bytes), never on its id alone. */
  "CREATE TABLE IF NOT EXISTS accounts ("
  "  credential BLOB PRIMARY KEY, credential_id BLOB NOT NULL, currency TEXT NOT NULL,"
  "  balance INTEGER NOT NULL CHECK (balance >= 0),"
  "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS accounts_by_id ON accounts (credential_id);"
  "CREATE TABLE IF NOT EXISTS topups ("
  "  id INTEGER PRIMARY KEY, credential BLOB NOT NULL, amount INTEGER NOT NULL,"
  "  time INTEGER NOT NULL);";

struct _AcquirerDb
{
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STATEMENTS];
};

static gboolean
db_error (AcquirerDb *db,
          GError    **error,
          const char *what)
{
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "%s: %s", what,
               db->db ? sqlite3_errmsg (db->db) : "no database");
  return FALSE;
}

static gboolean
db_exec (AcquirerDb *db,
         const char *sql,
         GError    **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE, "%s", msg ? msg : "SQLite error");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

/* The statement reset and without bindings. */
static sqlite3_stmt *
db_stmt (AcquirerDb *db,
         StatementId id)
{
  sqlite3_stmt *s = db->stmts[id];

  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

/* One step: TRUE with *row telling whether a row came, FALSE when SQLite failed. */
static gboolean
db_step (AcquirerDb   *db,
         sqlite3_stmt *s,
         gboolean     *row,
         GError      **error)
{
  int rc = sqlite3_step (s);

  *row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return TRUE;
  db_error (db, error, "The acquirer database cannot be read");
  sqlite3_reset (s);
  return FALSE;
}

/* Runs a write and resets it. */
static gboolean
db_step_done (AcquirerDb   *db,
              sqlite3_stmt *s,
              GError      **error)
{
  int rc = sqlite3_step (s);

  sqlite3_reset (s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return db_error (db, error, "The acquirer database cannot be written");
  return TRUE;
}

static gboolean
db_run (AcquirerDb *db,
        StatementId id,
        GError    **error)
{
  return db_step_done (db, db_stmt (db, id), error);
}

static void
bind_blob (sqlite3_stmt *s,
           int           col,
           const void   *data,
           gsize         len)
{
  sqlite3_bind_blob (s, col, data, (int) len, SQLITE_TRANSIENT);
}

static gboolean
column_blob (sqlite3_stmt *s,
             int           col,
             guint8       *out,
             gsize         len)
{
  if ((gsize) sqlite3_column_bytes (s, col) != len)
    return FALSE;
  memcpy (out, sqlite3_column_blob (s, col), len);
  return TRUE;
}

void
acquirer_db_free (AcquirerDb *db)
{
  if (db == NULL)
    return;
  for (guint i = 0; i < N_STATEMENTS; i++)
    g_clear_pointer (&db->stmts[i], sqlite3_finalize);
  g_clear_pointer (&db->db, sqlite3_close);
  g_free (db);
}

AcquirerDb *
acquirer_db_open (const char *path,
                  gboolean    create,
                  GError    **error)
{
  g_autoptr(AcquirerDb) db = g_new0 (AcquirerDb, 1);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  g_autofree gchar *version = NULL;
  sqlite3_stmt *s;
  gboolean row;
  GError *local = NULL;

  if (!create && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "%s is not an acquirer database (run offauth-acquirer init first)", path);
      return NULL;
    }
  if (sqlite3_open_v2 (path, &db->db, flags, NULL) != SQLITE_OK)
    {
      db_error (db, error, "Cannot open the acquirer database");
      return NULL;
    }
  sqlite3_extended_result_codes (db->db, 1);
  /* The server and an operator's command (a top-up at the booth) share the file. */
  sqlite3_busy_timeout (db->db, 10000);
  if (!db_exec (db, "PRAGMA synchronous = FULL;", error))
    return NULL;
  if (sqlite3_prepare_v2 (db->db, statement_sql[ST_JOURNAL_MODE_WAL], -1,
                          &db->stmts[ST_JOURNAL_MODE_WAL], NULL) != SQLITE_OK)
    {
      db_error (db, error, "This is not an acquirer database");
      return NULL;
    }
  s = db_stmt (db, ST_JOURNAL_MODE_WAL);
  if (!db_step (db, s, &row, error))
    return NULL;
  if (!row || g_strcmp0 ((const char *) sqlite3_column_text (s, 0), "wal") != 0)
    {
      db_error (db, error, "The acquirer database cannot use write-ahead logging");
      return NULL;
    }
  sqlite3_reset (s);
  if (create && !db_exec (db, schema_sql, error))
    return NULL;
  for (guint i = 0; i < N_STATEMENTS; i++)
    if (db->stmts[i] == NULL &&
        sqlite3_prepare_v3 (db->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &db->stmts[i], NULL) != SQLITE_OK)
      {
        db_error (db, error, "This is not an acquirer database");
        return NULL;
      }
  version = acquirer_db_get_setting (db, "schema_version", &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (version == NULL && create)
    {
      g_autofree gchar *v = g_strdup_printf ("%d", SCHEMA_VERSION);
      if (!acquirer_db_set_setting (db, "schema_version", v, error))
        return NULL;
    }
  else if (version == NULL || g_ascii_strtoull (version, NULL, 10) != SCHEMA_VERSION)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "acquirer database schema version %s is not supported",
                   version ? version : "(none)");
      return NULL;
    }
  return g_steal_pointer (&db);
}

gboolean
acquirer_db_begin (AcquirerDb *db,
                   GError    **error)
{
  return db_run (db, ST_BEGIN, error);
}

gboolean
acquirer_db_commit (AcquirerDb *db,
                    GError    **error)
{
  if (db_run (db, ST_COMMIT, error))
    return TRUE;
  acquirer_db_rollback (db);
  return FALSE;
}

void
acquirer_db_rollback (AcquirerDb *db)
{
  if (!sqlite3_get_autocommit (db->db))
    db_run (db, ST_ROLLBACK, NULL);
}

gboolean
acquirer_db_set_setting (AcquirerDb *db,
                         const char *name,
                         const char *value,
                         GError    **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_SET_SETTING);

  sqlite3_bind_text (s, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (s, 2, value, -1, SQLITE_TRANSIENT);
  return db_step_done (db, s, error);
}

gchar *
acquirer_db_get_setting (AcquirerDb *db,
                         const char *name,
                         GError    **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_GET_SETTING);
  gchar *value = NULL;
  gboolean row;

  sqlite3_bind_text (s, 1, name, -1, SQLITE_TRANSIENT);
  if (!db_step (db, s, &row, error))
    return NULL;
  if (row)
    value = g_strdup ((const char *) sqlite3_column_text (s, 0));
  sqlite3_reset (s);
  return value;
}

gboolean
acquirer_db_register_terminal (AcquirerDb             *db,
                               const AcquirerTerminal *t,
                               gboolean                replace,
                               gboolean               *existed,
                               GError                **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_TERMINAL);

  bind_blob (s, 1, t->terminal_id, sizeof t->terminal_id);
  if (!db_step (db, s, existed, error))
    return FALSE;
  sqlite3_reset (s);
  if (*existed && !replace)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "This terminal is registered already; to take it over from a row, give "
                   "--from-seq and --from-hash");
      return FALSE;
    }
  s = db_stmt (db, *existed ? ST_REPLACE_TERMINAL : ST_INSERT_TERMINAL);
  bind_blob (s, 1, t->terminal_id, sizeof t->terminal_id);
  bind_blob (s, 2, t->public_key, sizeof t->public_key);
  sqlite3_bind_text (s, 3, t->merchant_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (s, 4, t->scope);
  sqlite3_bind_int64 (s, 5, (sqlite3_int64) t->from_seq);
  bind_blob (s, 6, t->from_hash, sizeof t->from_hash);
  sqlite3_bind_int64 (s, 7, (sqlite3_int64) t->registered_at);
  if (!db_step_done (db, s, error))
    return FALSE;
  if (*existed && sqlite3_changes (db->db) != 1)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                   "The registered terminal has another public key with the same terminal id");
      return FALSE;
    }
  return TRUE;
}

GArray *
acquirer_db_terminals (AcquirerDb *db,
                       GError    **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (AcquirerTerminal));
  sqlite3_stmt *s = db_stmt (db, ST_ALL_TERMINALS);
  gboolean row;

  while (db_step (db, s, &row, error))
    {
      AcquirerTerminal t = { 0 };

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      if (!column_blob (s, 0, t.terminal_id, sizeof t.terminal_id) ||
          !column_blob (s, 1, t.public_key, sizeof t.public_key) ||
          !column_blob (s, 5, t.from_hash, sizeof t.from_hash))
        {
          sqlite3_reset (s);
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "A terminal row of the acquirer database is damaged");
          return NULL;
        }
      g_strlcpy (t.merchant_id, (const char *) sqlite3_column_text (s, 2), sizeof t.merchant_id);
      t.scope = (guint32) sqlite3_column_int64 (s, 3);
      t.from_seq = (guint64) sqlite3_column_int64 (s, 4);
      t.registered_at = (guint64) sqlite3_column_int64 (s, 6);
      g_array_append_val (out, t);
    }
  return NULL;
}

GBytes *
acquirer_db_credentials_by_id (AcquirerDb   *db,
                               const guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                               GError      **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  sqlite3_stmt *s = db_stmt (db, ST_CREDENTIALS_BY_ID);
  gboolean row;

  bind_blob (s, 1, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  while (db_step (db, s, &row, error))
    {
      if (!row)
        {
          sqlite3_reset (s);
          return g_byte_array_free_to_bytes (g_steal_pointer (&out));
        }
      if (sqlite3_column_bytes (s, 0) == OFFAUTH_CREDENTIAL_SIZE)
        g_byte_array_append (out, sqlite3_column_blob (s, 0), OFFAUTH_CREDENTIAL_SIZE);
    }
  return NULL;
}

gboolean
acquirer_db_credit (AcquirerDb              *db,
                    const OffauthCredential *cred,
                    guint64                  amount,
                    guint64                  now,
                    guint64                 *balance,
                    gboolean                *created,
                    GError                 **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_ACCOUNT);
  gboolean row;
  guint64 old = 0;

  bind_blob (s, 1, cred->raw, OFFAUTH_CREDENTIAL_SIZE);
  if (!db_step (db, s, &row, error))
    return FALSE;
  if (row)
    old = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  *created = !row;
  if (amount > (guint64) G_MAXINT64 - old)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "The balance would exceed the largest amount the acquirer keeps");
      return FALSE;
    }
  if (!row)
    {
      s = db_stmt (db, ST_INSERT_ACCOUNT);
      bind_blob (s, 1, cred->raw, OFFAUTH_CREDENTIAL_SIZE);
      bind_blob (s, 2, cred->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
      sqlite3_bind_text (s, 3, cred->currency, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (s, 4, (sqlite3_int64) now);
      if (!db_step_done (db, s, error))
        return FALSE;
    }
  s = db_stmt (db, ST_SET_BALANCE);
  bind_blob (s, 1, cred->raw, OFFAUTH_CREDENTIAL_SIZE);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) (old + amount));
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
  if (!db_step_done (db, s, error))
    return FALSE;
  s = db_stmt (db, ST_INSERT_TOPUP);
  bind_blob (s, 1, cred->raw, OFFAUTH_CREDENTIAL_SIZE);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) amount);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
  if (!db_step_done (db, s, error))
    return FALSE;
  *balance = old + amount;
  return TRUE;
}

GArray *
acquirer_db_account_totals (AcquirerDb *db,
                            GError    **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (AcquirerAccountTotal));
  sqlite3_stmt *s = db_stmt (db, ST_ACCOUNT_TOTALS);
  gboolean row;

  while (db_step (db, s, &row, error))
    {
      AcquirerAccountTotal t = { 0 };

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      g_strlcpy (t.currency, (const char *) sqlite3_column_text (s, 0), sizeof t.currency);
      t.count = (guint64) sqlite3_column_int64 (s, 1);
      t.balance = (guint64) sqlite3_column_int64 (s, 2);
      g_array_append_val (out, t);
    }
  return NULL;
}
