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

/* 1: terminals and accounts (the skeleton); 2: settlement; 3: credentials numbered
 * (credentials, sales.cred: the hot indexes compare integers, not 172-byte blobs) and check
 * 7's running totals (offline_totals). A version-1 or 2 file gains the new tables at open
 * (CREATE ... IF NOT EXISTS, sales.cred by ALTER TABLE), its credentials are numbered and
 * its totals summed from its sales once. */
#define SCHEMA_VERSION 3

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
  ST_GET_TERMINAL,
  ST_CREDENTIALS_BY_ID,
  ST_FIND_ACCOUNT,
  ST_INSERT_ACCOUNT,
  ST_SET_BALANCE,
  ST_INSERT_TOPUP,
  ST_ACCOUNT_TOTALS,
  ST_BALANCES,
  ST_ENSURE_CHAIN,
  ST_GET_CHAIN,
  ST_SET_CHAIN,
  ST_NEXT_VERSION,
  ST_TRUNCATE_ROWS,
  ST_DETACH_SALES,
  ST_GET_ROW,
  ST_INSERT_ROW,
  ST_FIND_SALE,
  ST_SALE_BY_SEQ,
  ST_INSERT_SALE,
  ST_FIND_CRED,
  ST_INSERT_CRED,
  ST_NEXT_ARRIVAL,
  ST_UPDATE_SALE,
  ST_SALES_AFTER_VERSION,
  ST_SALES_HELD,
  ST_SALES_OF_CREDENTIAL,
  ST_SALES_ONLINE_PENDING,
  ST_SALES_ONLINE_EXPIRED,
  ST_SALES_ALL,
  ST_EARLIER_EVIDENCE,
  ST_OFFLINE_SUM,
  ST_OFFLINE_EARLIER,
  ST_FIND_DEBIT,
  ST_INSERT_DEBIT,
  ST_DELETE_DEBIT,
  ST_INSERT_ANSWER,
  ST_FIND_ANSWER,
  ST_NOTE_REQUEST,
  ST_PUT_ISSUER_KEY,
  ST_GET_ISSUER_KEY,
  ST_PUT_BUNDLE,
  ST_PUT_REVOCATION_LIST,
  ST_REVOCATION_LISTS,
  ST_INSERT_REVOKED,
  N_STATEMENTS
} StatementId;

#define SALE_COLUMNS                                                                      \
  "arrival, terminal_id, sale_id, sale_seq, payment, credential, counter, amount, mode, "   \
  "evidence, t_sale, state, reason, attempt, retry_after, first_decline, version, "         \
  "debited, reversed, online_at, decided_at, decision, conflict, updated_at, cred"

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

  [ST_GET_TERMINAL] = "SELECT terminal_id, public_key, merchant_id, scope, from_seq, from_hash, "
                      "registered_at FROM terminals WHERE terminal_id = ?1",

  [ST_CREDENTIALS_BY_ID] = "SELECT credential FROM accounts WHERE credential_id = ?1 "
                           "ORDER BY created_at, credential",
  [ST_FIND_ACCOUNT] = "SELECT balance FROM accounts WHERE credential = ?1",
  [ST_INSERT_ACCOUNT] = "INSERT INTO accounts (credential, credential_id, currency, balance, "
                        "created_at, updated_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)",
  [ST_SET_BALANCE] = "UPDATE accounts SET balance = ?2, updated_at = ?3 WHERE credential = ?1",
  [ST_INSERT_TOPUP] = "INSERT INTO topups (credential, amount, time) VALUES (?1, ?2, ?3)",
  [ST_ACCOUNT_TOTALS] = "SELECT currency, count(*), sum(balance) FROM accounts "
                        "GROUP BY currency ORDER BY currency",

  [ST_BALANCES] = "SELECT credential_id, sum(balance) FROM accounts GROUP BY credential_id "
                  "ORDER BY credential_id",

  [ST_ENSURE_CHAIN] = "INSERT OR IGNORE INTO chains (terminal_id, acked_seq, acked_hash, version, "
                      "k9_time, last_time, last_sync, backwards, k9_unmatched) "
                      "VALUES (?1, 0, zeroblob(32), 0, 0, 0, 0, 0, 0)",
  [ST_GET_CHAIN] = "SELECT acked_seq, acked_hash, version, k9_time, last_time, last_sync, "
                   "backwards, k9_unmatched FROM chains WHERE terminal_id = ?1",
  [ST_SET_CHAIN] = "UPDATE chains SET acked_seq = ?2, acked_hash = ?3, k9_time = ?4, "
                   "last_time = ?5, last_sync = ?6, backwards = ?7, k9_unmatched = ?8 "
                   "WHERE terminal_id = ?1",
  [ST_NEXT_VERSION] = "UPDATE chains SET version = version + 1 WHERE terminal_id = ?1 "
                      "RETURNING version",
  [ST_TRUNCATE_ROWS] = "DELETE FROM rows WHERE terminal_id = ?1 AND seq > ?2",
  [ST_DETACH_SALES] = "UPDATE sales SET sale_seq = 0 WHERE terminal_id = ?1 AND sale_seq > ?2",
  [ST_GET_ROW] = "SELECT record, hash, k9_time FROM rows WHERE terminal_id = ?1 AND seq = ?2",
  [ST_INSERT_ROW] = "INSERT INTO rows (terminal_id, seq, record, hash, k9_time) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",

  [ST_FIND_SALE] = "SELECT " SALE_COLUMNS " FROM sales WHERE terminal_id = ?1 AND sale_id = ?2",
  [ST_SALE_BY_SEQ] = "SELECT " SALE_COLUMNS " FROM sales WHERE terminal_id = ?1 AND sale_seq = ?2",
  [ST_INSERT_SALE] = "INSERT INTO sales (" SALE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                     "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
                     "?23, ?24, ?25)",
  [ST_FIND_CRED] = "SELECT id FROM credentials WHERE credential = ?1",
  [ST_INSERT_CRED] = "INSERT INTO credentials (credential) VALUES (?1)",
  [ST_NEXT_ARRIVAL] = "SELECT coalesce(max(arrival), 0) + 1 FROM sales",
  [ST_UPDATE_SALE] = "UPDATE sales SET sale_seq = ?4, payment = ?5, credential = ?6, "
                     "counter = ?7, amount = ?8, mode = ?9, evidence = ?10, t_sale = ?11, "
                     "state = ?12, reason = ?13, attempt = ?14, retry_after = ?15, "
                     "first_decline = ?16, version = ?17, debited = ?18, reversed = ?19, "
                     "online_at = ?20, decided_at = ?21, decision = ?22, conflict = ?23, "
                     "updated_at = ?24, cred = ?25 WHERE arrival = ?1",
  [ST_SALES_AFTER_VERSION] = "SELECT " SALE_COLUMNS " FROM sales WHERE terminal_id = ?1 "
                             "AND version > ?2 AND sale_seq > 0 AND sale_seq <= ?4 "
                             "ORDER BY version LIMIT ?3",
  [ST_SALES_HELD] = "SELECT " SALE_COLUMNS " FROM sales WHERE terminal_id = ?1 AND state = 3 "
                    "AND reason IN (2, 3, 4) ORDER BY arrival",
  [ST_SALES_OF_CREDENTIAL] = "SELECT " SALE_COLUMNS " FROM sales WHERE cred = "
                             "(SELECT id FROM credentials WHERE credential = ?1) "
                             "AND state = 3 ORDER BY arrival",
  [ST_SALES_ONLINE_PENDING] = "SELECT " SALE_COLUMNS " FROM sales WHERE terminal_id = ?1 "
                              "AND decided_at > 0 AND sale_seq = 0 AND state = 1 "
                              "AND reversed = 0 ORDER BY arrival",
  [ST_SALES_ONLINE_EXPIRED] = "SELECT " SALE_COLUMNS " FROM sales WHERE decided_at > 0 "
                              "AND decided_at <= ?1 AND sale_seq = 0 AND state = 1 "
                              "AND reversed = 0 ORDER BY arrival",
  [ST_SALES_ALL] = "SELECT " SALE_COLUMNS " FROM sales ORDER BY arrival",
  [ST_EARLIER_EVIDENCE] = "SELECT arrival FROM sales WHERE cred = ?1 AND counter = ?2 "
                          "AND sale_id <> ?3 AND arrival < ?4 AND evidence = 1 "
                          "ORDER BY arrival LIMIT 1",
  [ST_OFFLINE_SUM] = "SELECT coalesce(sum(amount), 0) FROM sales WHERE cred = ?1 "
                     "AND arrival < ?2 AND mode = 0 AND state IN (1, 3) AND sale_id <> ?3",
  /* The same sum from the running total: less the counted sales that arrived with or after
   * this one (none for a new sale) and an earlier one with its sale id (the same payment,
   * hence the same counter). Three index seeks instead of a walk of the credential's
   * history. */
  [ST_OFFLINE_EARLIER] = "SELECT coalesce((SELECT total FROM offline_totals WHERE cred = ?1), 0)"
                         " - (SELECT coalesce(sum(amount), 0) FROM sales WHERE cred = ?1 "
                         "AND arrival >= ?2 AND mode = 0 AND state IN (1, 3))"
                         " - (SELECT coalesce(sum(amount), 0) FROM sales WHERE cred = ?1 "
                         "AND counter = ?4 AND sale_id = ?3 AND arrival < ?2 AND mode = 0 "
                         "AND state IN (1, 3))",
  [ST_FIND_DEBIT] = "SELECT arrival FROM debits WHERE sale_id = ?1",
  [ST_INSERT_DEBIT] = "INSERT INTO debits (sale_id, arrival, credential, amount, time) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_DELETE_DEBIT] = "DELETE FROM debits WHERE sale_id = ?1",
  [ST_INSERT_ANSWER] = "INSERT OR IGNORE INTO answers (hash, terminal_id, acquirer_time) "
                       "VALUES (?1, ?2, ?3)",
  [ST_FIND_ANSWER] = "SELECT acquirer_time FROM answers WHERE hash = ?1 AND terminal_id = ?2",
  [ST_NOTE_REQUEST] = "INSERT OR IGNORE INTO requests (hash, terminal_id) VALUES (?1, ?2)",
  [ST_PUT_ISSUER_KEY] = "INSERT OR REPLACE INTO issuer_keys (key_id, public_key, not_before, "
                        "not_after, scope, bundle_sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [ST_GET_ISSUER_KEY] = "SELECT public_key, not_before, not_after, scope FROM issuer_keys "
                        "WHERE key_id = ?1",
  [ST_PUT_BUNDLE] = "INSERT OR IGNORE INTO bundles (root, sequence, raw) VALUES (?1, ?2, ?3)",
  [ST_PUT_REVOCATION_LIST] = "INSERT OR IGNORE INTO revocation_lists (key_id, sequence, "
                             "issued_at, next_update, raw) VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_REVOCATION_LISTS] = "SELECT sequence, issued_at, next_update, raw FROM revocation_lists "
                          "WHERE key_id = ?1 ORDER BY sequence",
  [ST_INSERT_REVOKED] = "INSERT OR IGNORE INTO revoked (credential, time) VALUES (?1, ?2)",
};

/* Every table: version 1's, then settlement's (sync and online authorization). */
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
  "  time INTEGER NOT NULL);"
  /* Per terminal: how far its chain is stored (acked_seq, h_acked), its last verdict
   * version, the acquirer_time of the last kind-9 row matching an answer of ours, the
   * latest row time and whether rows ran backwards, kind-9 rows matching no answer. */
  "CREATE TABLE IF NOT EXISTS chains ("
  "  terminal_id BLOB PRIMARY KEY, acked_seq INTEGER NOT NULL, acked_hash BLOB NOT NULL,"
  "  version INTEGER NOT NULL, k9_time INTEGER NOT NULL, last_time INTEGER NOT NULL,"
  "  last_sync INTEGER NOT NULL, backwards INTEGER NOT NULL,"
  "  k9_unmatched INTEGER NOT NULL) WITHOUT ROWID;"
  /* The acquirer's copy of each chain: rows 1 .. acked_seq, byte for byte. k9_time: the
   * chain's k9_time after that row. */
  "CREATE TABLE IF NOT EXISTS rows ("
  "  terminal_id BLOB NOT NULL, seq INTEGER NOT NULL, record BLOB NOT NULL,"
  "  hash BLOB NOT NULL, k9_time INTEGER NOT NULL,"
  "  PRIMARY KEY (terminal_id, seq)) WITHOUT ROWID;"
  /* One sale per (terminal, sale id), in arrival order (arrival). sale_seq 0: an online
   * approval whose kind-1 row has not arrived. version: its verdict's, per terminal. */
  "CREATE TABLE IF NOT EXISTS sales ("
  "  arrival INTEGER PRIMARY KEY, terminal_id BLOB NOT NULL, sale_id BLOB NOT NULL,"
  "  sale_seq INTEGER NOT NULL, payment BLOB, credential BLOB, counter INTEGER NOT NULL,"
  "  amount INTEGER NOT NULL, mode INTEGER NOT NULL, evidence INTEGER NOT NULL,"
  "  t_sale INTEGER NOT NULL, state INTEGER NOT NULL, reason INTEGER NOT NULL,"
  "  attempt INTEGER NOT NULL, retry_after INTEGER NOT NULL, first_decline INTEGER NOT NULL,"
  "  version INTEGER NOT NULL, debited INTEGER NOT NULL, reversed INTEGER NOT NULL,"
  "  online_at INTEGER NOT NULL, decided_at INTEGER NOT NULL, decision BLOB,"
  "  conflict INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
  "  cred INTEGER NOT NULL DEFAULT 0, UNIQUE (terminal_id, sale_id));"
  /* Every credential a sale carried, numbered: sales.cred (0: no payment). */
  "CREATE TABLE IF NOT EXISTS credentials ("
  "  id INTEGER PRIMARY KEY, credential BLOB NOT NULL UNIQUE);"
  "CREATE INDEX IF NOT EXISTS sales_by_seq ON sales (terminal_id, sale_seq);"
  "CREATE INDEX IF NOT EXISTS sales_by_version ON sales (terminal_id, version);"
  "CREATE INDEX IF NOT EXISTS sales_by_cred ON sales (cred, counter);"
  /* What every sync and online request looks at, kept small by their WHERE: online
   * approvals still waiting for their row, held sales, and the credential's offline sales
   * that count towards check 7 (covering, so that the sum reads no sale). */
  "CREATE INDEX IF NOT EXISTS sales_online_open ON sales (decided_at) "
  "  WHERE decided_at > 0 AND sale_seq = 0 AND state = 1 AND reversed = 0;"
  "CREATE INDEX IF NOT EXISTS sales_open ON sales (terminal_id, arrival) WHERE state = 3;"
  "CREATE INDEX IF NOT EXISTS sales_offline_cred ON sales (cred, arrival, amount, sale_id) "
  "  WHERE mode = 0 AND state IN (1, 3);"
  /* Check 7's running total per credential: the offline amount of its sales that are
   * settled or in state 3 (whatever their arrival), kept by the triggers below in the
   * transaction that moves a sale in or out of that set (a verdict, a retry, a withdrawal,
   * a reversal, a double spend: every write of a sale). */
  "CREATE TABLE IF NOT EXISTS offline_totals ("
  "  cred INTEGER PRIMARY KEY, total INTEGER NOT NULL);"
  "CREATE TRIGGER IF NOT EXISTS offline_totals_insert AFTER INSERT ON sales "
  "  WHEN new.mode = 0 AND new.state IN (1, 3) AND new.cred <> 0 BEGIN"
  "  INSERT INTO offline_totals (cred, total) VALUES (new.cred, new.amount)"
  "    ON CONFLICT (cred) DO UPDATE SET total = total + excluded.total;"
  "  END;"
  "CREATE TRIGGER IF NOT EXISTS offline_totals_leave AFTER UPDATE ON sales "
  "  WHEN old.mode = 0 AND old.state IN (1, 3) AND old.cred <> 0 AND NOT"
  "    (new.mode = 0 AND new.state IN (1, 3) AND new.cred = old.cred AND"
  "     new.amount = old.amount) BEGIN"
  "  UPDATE offline_totals SET total = total - old.amount WHERE cred = old.cred;"
  "  END;"
  "CREATE TRIGGER IF NOT EXISTS offline_totals_enter AFTER UPDATE ON sales "
  "  WHEN new.mode = 0 AND new.state IN (1, 3) AND new.cred <> 0 AND NOT"
  "    (old.mode = 0 AND old.state IN (1, 3) AND old.cred = new.cred AND"
  "     old.amount = new.amount) BEGIN"
  "  INSERT INTO offline_totals (cred, total) VALUES (new.cred, new.amount)"
  "    ON CONFLICT (cred) DO UPDATE SET total = total + excluded.total;"
  "  END;"
  "CREATE TRIGGER IF NOT EXISTS offline_totals_delete AFTER DELETE ON sales "
  "  WHEN old.mode = 0 AND old.state IN (1, 3) AND old.cred <> 0 BEGIN"
  "  UPDATE offline_totals SET total = total - old.amount WHERE cred = old.cred;"
  "  END;"
  /* At most one debit per sale id, whichever terminal carried it. */
  "CREATE TABLE IF NOT EXISTS debits ("
  "  sale_id BLOB PRIMARY KEY, arrival INTEGER NOT NULL, credential BLOB NOT NULL,"
  "  amount INTEGER NOT NULL, time INTEGER NOT NULL) WITHOUT ROWID;"
  /* H(answer) of every sync answer sent, for t_sale (kind-9 rows). */
  "CREATE TABLE IF NOT EXISTS answers ("
  "  hash BLOB PRIMARY KEY, terminal_id BLOB NOT NULL,"
  "  acquirer_time INTEGER NOT NULL) WITHOUT ROWID;"
  /* H(request) of every sync request handled: a request seen before is a replay, whose
   * retry asks run no attempt. */
  "CREATE TABLE IF NOT EXISTS requests ("
  "  hash BLOB PRIMARY KEY, terminal_id BLOB NOT NULL) WITHOUT ROWID;"
  /* Every bundle seen in the issuer folder, verified under the scheme root, and every
   * issuer key any of them carried (the latest bundle's entry for each). */
  "CREATE TABLE IF NOT EXISTS bundles ("
  "  root BLOB NOT NULL, sequence INTEGER NOT NULL, raw BLOB NOT NULL,"
  "  PRIMARY KEY (root, sequence)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS issuer_keys ("
  "  key_id BLOB PRIMARY KEY, public_key BLOB NOT NULL, not_before INTEGER NOT NULL,"
  "  not_after INTEGER NOT NULL, scope INTEGER NOT NULL,"
  "  bundle_sequence INTEGER NOT NULL) WITHOUT ROWID;"
  /* Every revocation list seen (check 6 needs the list each one replaced). */
  "CREATE TABLE IF NOT EXISTS revocation_lists ("
  "  key_id BLOB NOT NULL, sequence INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
  "  next_update INTEGER NOT NULL, raw BLOB NOT NULL,"
  "  PRIMARY KEY (key_id, sequence)) WITHOUT ROWID;"
  /* Credentials this acquirer revoked for a double spend (once each). */
  "CREATE TABLE IF NOT EXISTS revoked ("
  "  credential BLOB PRIMARY KEY, time INTEGER NOT NULL) WITHOUT ROWID;";

/* Before the schema, in a version-1 or 2 file: the column that version 3's indexes use
 * (the blob-keyed indexes it replaces are dropped). */
static const char add_cred_sql[] =
  "ALTER TABLE sales ADD COLUMN cred INTEGER NOT NULL DEFAULT 0;"
  "DROP INDEX IF EXISTS sales_by_credential;"
  "DROP INDEX IF EXISTS sales_offline;";

/* Version 3's numbers and totals, from the sales of an older file (run once, in one
 * transaction). */
static const char fill_totals_sql[] =
  "BEGIN IMMEDIATE;"
  "INSERT OR IGNORE INTO credentials (credential) SELECT credential FROM sales "
  "  WHERE credential IS NOT NULL ORDER BY arrival;"
  "UPDATE sales SET cred = (SELECT id FROM credentials c WHERE c.credential = sales.credential) "
  "  WHERE credential IS NOT NULL;"
  "DELETE FROM offline_totals;"
  "INSERT INTO offline_totals (cred, total) SELECT cred, sum(amount) FROM sales "
  "  WHERE mode = 0 AND state IN (1, 3) AND cred <> 0 GROUP BY cred;"
  "INSERT OR REPLACE INTO settings (name, value) VALUES ('schema_version', '3');"
  "COMMIT;";

struct _AcquirerDb
{
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STATEMENTS];
  gboolean      check_totals;   /* OFFAUTH_ACQUIRER_CHECK_TOTALS: check 7's running total
                                 * against the sum it stands for, every time (tests) */
  gchar        *issuer_seen;    /* the issuer folder's state whose bundle and lists the
                                 * tables hold (NULL: unknown; a rollback forgets it) */
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
  g_free (db->issuer_seen);
  g_free (db);
}

/* *needed: a sales table without its cred column (version 1 or 2). */
static gboolean
needs_cred (AcquirerDb *db,
            gboolean   *needed,
            GError    **error)
{
  sqlite3_stmt *s;
  int rc;

  if (sqlite3_prepare_v2 (db->db, "SELECT (SELECT count(*) FROM sqlite_master WHERE "
                          "type = 'table' AND name = 'sales') AND NOT (SELECT count(*) FROM "
                          "pragma_table_info('sales') WHERE name = 'cred')", -1, &s,
                          NULL) != SQLITE_OK)
    return db_error (db, error, "The acquirer database cannot be read");
  rc = sqlite3_step (s);
  *needed = rc == SQLITE_ROW && sqlite3_column_int (s, 0) != 0;
  sqlite3_finalize (s);
  if (rc != SQLITE_ROW)
    return db_error (db, error, "The acquirer database cannot be read");
  return TRUE;
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
  /* A cache that holds a festival day's working set (the sales of the payers that pay
   * now, the chains' last pages), and reads through the mapping instead of a pread of
   * each page: settling reads far more pages than it writes. A WAL of up to 16,384 pages
   * before a checkpoint: a hot page (an index's, a total's) is copied back once for many
   * commits instead of every 1,000 pages. */
  if (!db_exec (db, "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;"
                "PRAGMA mmap_size = 268435456; PRAGMA wal_autocheckpoint = 16384;", error))
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
  if (!needs_cred (db, &row, error) || (row && !db_exec (db, add_cred_sql, error)) ||
      !db_exec (db, schema_sql, error))
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
  if (g_strcmp0 (version, "1") == 0 || g_strcmp0 (version, "2") == 0)
    {
      if (!db_exec (db, fill_totals_sql, error))
        {
          db_exec (db, "ROLLBACK", NULL);
          return NULL;
        }
    }
  else if (version == NULL && create)
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
  db->check_totals = g_getenv ("OFFAUTH_ACQUIRER_CHECK_TOTALS") != NULL;
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
  g_clear_pointer (&db->issuer_seen, g_free);
  if (!sqlite3_get_autocommit (db->db))
    db_run (db, ST_ROLLBACK, NULL);
}

gboolean
acquirer_db_issuer_seen (AcquirerDb *db,
                         const char *state)
{
  return state != NULL && g_strcmp0 (db->issuer_seen, state) == 0;
}

void
acquirer_db_set_issuer_seen (AcquirerDb *db,
                             const char *state)
{
  g_free (db->issuer_seen);
  db->issuer_seen = g_strdup (state);
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

static gboolean
read_terminal (sqlite3_stmt     *s,
               AcquirerTerminal *t)
{
  memset (t, 0, sizeof *t);
  if (!column_blob (s, 0, t->terminal_id, sizeof t->terminal_id) ||
      !column_blob (s, 1, t->public_key, sizeof t->public_key) ||
      !column_blob (s, 5, t->from_hash, sizeof t->from_hash))
    return FALSE;
  g_strlcpy (t->merchant_id, (const char *) sqlite3_column_text (s, 2), sizeof t->merchant_id);
  t->scope = (guint32) sqlite3_column_int64 (s, 3);
  t->from_seq = (guint64) sqlite3_column_int64 (s, 4);
  t->registered_at = (guint64) sqlite3_column_int64 (s, 6);
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
      AcquirerTerminal t;

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      if (!read_terminal (s, &t))
        {
          sqlite3_reset (s);
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "A terminal row of the acquirer database is damaged");
          return NULL;
        }
      g_array_append_val (out, t);
    }
  return NULL;
}

gboolean
acquirer_db_find_terminal (AcquirerDb       *db,
                           const guint8      terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                           AcquirerTerminal *t,
                           gboolean         *found,
                           GError          **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_GET_TERMINAL);
  gboolean ok = TRUE;

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step (db, s, found, error))
    return FALSE;
  if (*found && !read_terminal (s, t))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                   "A terminal row of the acquirer database is damaged");
      ok = FALSE;
    }
  sqlite3_reset (s);
  return ok;
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

/* ------------------------------------------------------------------------------------
 * Settlement: chains, rows, sales, debits, answers, issuer keys, revocation lists.
 * ------------------------------------------------------------------------------------ */

static gboolean
damaged (GError    **error,
         const char *what)
{
  g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
               "A %s row of the acquirer database is damaged", what);
  return FALSE;
}

static void
bind_u64 (sqlite3_stmt *s,
          int           col,
          guint64       v)
{
  sqlite3_bind_int64 (s, col, (sqlite3_int64) MIN (v, (guint64) G_MAXINT64));
}

static guint64
column_u64 (sqlite3_stmt *s,
            int           col)
{
  sqlite3_int64 v = sqlite3_column_int64 (s, col);

  return v < 0 ? 0 : (guint64) v;
}

gboolean
acquirer_db_get_chain (AcquirerDb    *db,
                       const guint8   terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                       AcquirerChain *chain,
                       GError       **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_ENSURE_CHAIN);
  gboolean row;

  memset (chain, 0, sizeof *chain);
  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step_done (db, s, error))
    return FALSE;
  s = db_stmt (db, ST_GET_CHAIN);
  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step (db, s, &row, error))
    return FALSE;
  if (!row || !column_blob (s, 1, chain->acked_hash, sizeof chain->acked_hash))
    {
      sqlite3_reset (s);
      return damaged (error, "chain");
    }
  chain->acked_seq = column_u64 (s, 0);
  chain->version = column_u64 (s, 2);
  chain->k9_time = column_u64 (s, 3);
  chain->last_time = column_u64 (s, 4);
  chain->last_sync = column_u64 (s, 5);
  chain->backwards = column_u64 (s, 6);
  chain->k9_unmatched = column_u64 (s, 7);
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_set_chain (AcquirerDb          *db,
                       const guint8         terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                       const AcquirerChain *chain,
                       GError             **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_SET_CHAIN);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, chain->acked_seq);
  bind_blob (s, 3, chain->acked_hash, sizeof chain->acked_hash);
  bind_u64 (s, 4, chain->k9_time);
  bind_u64 (s, 5, chain->last_time);
  bind_u64 (s, 6, chain->last_sync);
  bind_u64 (s, 7, chain->backwards);
  bind_u64 (s, 8, chain->k9_unmatched);
  return db_step_done (db, s, error);
}

gboolean
acquirer_db_next_version (AcquirerDb   *db,
                          const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                          guint64      *version,
                          GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_ENSURE_CHAIN);
  gboolean row;

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step_done (db, s, error))
    return FALSE;
  s = db_stmt (db, ST_NEXT_VERSION);
  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step (db, s, &row, error))
    return FALSE;
  *version = row ? column_u64 (s, 0) : 0;
  sqlite3_reset (s);
  return row || damaged (error, "chain");
}

gboolean
acquirer_db_truncate_rows (AcquirerDb   *db,
                           const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                           guint64       after_seq,
                           GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_TRUNCATE_ROWS);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, after_seq);
  if (!db_step_done (db, s, error))
    return FALSE;
  /* Their sales stay (payer-signed, settled once); a row of the new branch carrying one
   * attaches it again. */
  s = db_stmt (db, ST_DETACH_SALES);
  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, after_seq);
  return db_step_done (db, s, error);
}

gboolean
acquirer_db_get_row (AcquirerDb   *db,
                     const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                     guint64       seq,
                     GBytes      **record,
                     guint8        hash[OFFAUTH_HASH_SIZE],
                     guint64      *k9_time,
                     gboolean     *found,
                     GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_GET_ROW);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, seq);
  if (!db_step (db, s, found, error))
    return FALSE;
  if (*found)
    {
      if (!column_blob (s, 1, hash, OFFAUTH_HASH_SIZE))
        {
          sqlite3_reset (s);
          return damaged (error, "journal");
        }
      if (record != NULL)
        *record = g_bytes_new (sqlite3_column_blob (s, 0), (gsize) sqlite3_column_bytes (s, 0));
      if (k9_time != NULL)
        *k9_time = column_u64 (s, 2);
    }
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_insert_row (AcquirerDb   *db,
                        const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                        guint64       seq,
                        const guint8 *record,
                        gsize         len,
                        const guint8  hash[OFFAUTH_HASH_SIZE],
                        guint64       k9_time,
                        GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_INSERT_ROW);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, seq);
  bind_blob (s, 3, record, len);
  bind_blob (s, 4, hash, OFFAUTH_HASH_SIZE);
  bind_u64 (s, 5, k9_time);
  return db_step_done (db, s, error);
}

static void
bind_optional (sqlite3_stmt *s,
               int           col,
               const guint8 *data,
               gsize         len,
               gboolean      present)
{
  if (present)
    bind_blob (s, col, data, len);
  else
    sqlite3_bind_null (s, col);
}

static void
bind_sale (sqlite3_stmt       *s,
           const AcquirerSale *sale)
{
  sqlite3_bind_int64 (s, 1, sale->arrival);
  bind_blob (s, 2, sale->terminal_id, sizeof sale->terminal_id);
  bind_blob (s, 3, sale->sale_id, sizeof sale->sale_id);
  bind_u64 (s, 4, sale->sale_seq);
  bind_optional (s, 5, sale->payment, sizeof sale->payment, sale->has_payment);
  bind_optional (s, 6, sale->payment + 8, OFFAUTH_CREDENTIAL_SIZE, sale->has_payment);
  bind_u64 (s, 7, sale->counter);
  bind_u64 (s, 8, sale->amount);
  bind_u64 (s, 9, sale->mode);
  bind_u64 (s, 10, sale->evidence);
  bind_u64 (s, 11, sale->t_sale);
  bind_u64 (s, 12, sale->state);
  bind_u64 (s, 13, sale->reason);
  bind_u64 (s, 14, sale->attempt);
  bind_u64 (s, 15, sale->retry_after);
  bind_u64 (s, 16, sale->first_decline);
  bind_u64 (s, 17, sale->version);
  bind_u64 (s, 18, sale->debited);
  bind_u64 (s, 19, sale->reversed);
  bind_u64 (s, 20, sale->online_at);
  bind_u64 (s, 21, sale->decided_at);
  bind_optional (s, 22, sale->decision, sizeof sale->decision, sale->decided_at > 0);
  sqlite3_bind_int64 (s, 23, sale->conflict);
  bind_u64 (s, 24, sale->updated_at);
  sqlite3_bind_int64 (s, 25, sale->cred);
}

static gboolean
read_sale (sqlite3_stmt *s,
           AcquirerSale *sale)
{
  memset (sale, 0, sizeof *sale);
  sale->arrival = sqlite3_column_int64 (s, 0);
  if (!column_blob (s, 1, sale->terminal_id, sizeof sale->terminal_id) ||
      !column_blob (s, 2, sale->sale_id, sizeof sale->sale_id))
    return FALSE;
  sale->sale_seq = column_u64 (s, 3);
  sale->has_payment = sqlite3_column_type (s, 4) != SQLITE_NULL;
  if (sale->has_payment && !column_blob (s, 4, sale->payment, sizeof sale->payment))
    return FALSE;
  sale->counter = (guint32) column_u64 (s, 6);
  sale->amount = column_u64 (s, 7);
  sale->mode = (guint8) column_u64 (s, 8);
  sale->evidence = column_u64 (s, 9) != 0;
  sale->t_sale = column_u64 (s, 10);
  sale->state = (guint8) column_u64 (s, 11);
  sale->reason = (guint8) column_u64 (s, 12);
  sale->attempt = (guint16) column_u64 (s, 13);
  sale->retry_after = column_u64 (s, 14);
  sale->first_decline = column_u64 (s, 15);
  sale->version = column_u64 (s, 16);
  sale->debited = column_u64 (s, 17) != 0;
  sale->reversed = column_u64 (s, 18) != 0;
  sale->online_at = column_u64 (s, 19);
  sale->decided_at = column_u64 (s, 20);
  if (sale->decided_at > 0 && !column_blob (s, 21, sale->decision, sizeof sale->decision))
    return FALSE;
  sale->conflict = sqlite3_column_int64 (s, 22);
  sale->updated_at = column_u64 (s, 23);
  sale->cred = sqlite3_column_int64 (s, 24);
  sale->stored = TRUE;
  return TRUE;
}

/* Every sale the statement gives, or NULL. */
static GArray *
read_sales (AcquirerDb   *db,
            sqlite3_stmt *s,
            GError      **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (AcquirerSale));
  gboolean row;

  while (db_step (db, s, &row, error))
    {
      AcquirerSale sale;

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      if (!read_sale (s, &sale))
        {
          sqlite3_reset (s);
          damaged (error, "sale");
          return NULL;
        }
      g_array_append_val (out, sale);
    }
  return NULL;
}

/* The one sale the statement gives, if any. */
static gboolean
read_one_sale (AcquirerDb   *db,
               sqlite3_stmt *s,
               AcquirerSale *sale,
               gboolean     *found,
               GError      **error)
{
  g_autoptr(GArray) all = read_sales (db, s, error);

  if (all == NULL)
    return FALSE;
  *found = all->len > 0;
  if (*found)
    *sale = g_array_index (all, AcquirerSale, 0);
  return TRUE;
}

gboolean
acquirer_db_find_sale (AcquirerDb   *db,
                       const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                       const guint8  sale_id[OFFAUTH_SALE_ID_SIZE],
                       AcquirerSale *sale,
                       gboolean     *found,
                       GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_SALE);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_blob (s, 2, sale_id, OFFAUTH_SALE_ID_SIZE);
  return read_one_sale (db, s, sale, found, error);
}

gboolean
acquirer_db_sale_by_seq (AcquirerDb   *db,
                         const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                         guint64       sale_seq,
                         AcquirerSale *sale,
                         gboolean     *found,
                         GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_SALE_BY_SEQ);

  bind_blob (s, 1, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 2, sale_seq);
  return read_one_sale (db, s, sale, found, error);
}

/* Gives a sale with a payment its credential's number (numbering it if new). */
static gboolean
sale_cred (AcquirerDb   *db,
           AcquirerSale *sale,
           GError      **error)
{
  sqlite3_stmt *s;
  gboolean row;

  if (sale->cred != 0 || !sale->has_payment)
    return TRUE;
  s = db_stmt (db, ST_FIND_CRED);
  bind_blob (s, 1, sale->payment + 8, OFFAUTH_CREDENTIAL_SIZE);
  if (!db_step (db, s, &row, error))
    return FALSE;
  sale->cred = row ? sqlite3_column_int64 (s, 0) : 0;
  sqlite3_reset (s);
  if (row)
    return TRUE;
  s = db_stmt (db, ST_INSERT_CRED);
  bind_blob (s, 1, sale->payment + 8, OFFAUTH_CREDENTIAL_SIZE);
  if (!db_step_done (db, s, error))
    return FALSE;
  sale->cred = sqlite3_last_insert_rowid (db->db);
  return TRUE;
}

gboolean
acquirer_db_next_arrival (AcquirerDb *db,
                          gint64     *arrival,
                          GError    **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_NEXT_ARRIVAL);
  gboolean row;

  if (!db_step (db, s, &row, error))
    return FALSE;
  *arrival = row ? sqlite3_column_int64 (s, 0) : 1;
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_update_sale (AcquirerDb   *db,
                         AcquirerSale *sale,
                         GError      **error)
{
  sqlite3_stmt *s;

  g_return_val_if_fail (sale->arrival > 0, FALSE);
  if (!sale_cred (db, sale, error))
    return FALSE;
  s = db_stmt (db, sale->stored ? ST_UPDATE_SALE : ST_INSERT_SALE);
  bind_sale (s, sale);
  if (!db_step_done (db, s, error))
    return FALSE;
  sale->stored = TRUE;
  return TRUE;
}

GArray *
acquirer_db_sales (AcquirerDb        *db,
                   AcquirerSalesQuery query,
                   const guint8      *key,
                   guint64            value,
                   guint64            value2,
                   guint64            limit,
                   GError           **error)
{
  static const StatementId ids[] = {
    [ACQUIRER_SALES_AFTER_VERSION] = ST_SALES_AFTER_VERSION,
    [ACQUIRER_SALES_HELD] = ST_SALES_HELD,
    [ACQUIRER_SALES_OF_CREDENTIAL] = ST_SALES_OF_CREDENTIAL,
    [ACQUIRER_SALES_ONLINE_PENDING] = ST_SALES_ONLINE_PENDING,
    [ACQUIRER_SALES_ONLINE_EXPIRED] = ST_SALES_ONLINE_EXPIRED,
    [ACQUIRER_SALES_ALL] = ST_SALES_ALL,
  };
  sqlite3_stmt *s = db_stmt (db, ids[query]);

  switch (query)
    {
    case ACQUIRER_SALES_AFTER_VERSION:
      bind_blob (s, 1, key, OFFAUTH_TERMINAL_ID_SIZE);
      bind_u64 (s, 2, value);
      bind_u64 (s, 3, limit);
      bind_u64 (s, 4, value2);
      break;
    case ACQUIRER_SALES_HELD:
    case ACQUIRER_SALES_ONLINE_PENDING:
      bind_blob (s, 1, key, OFFAUTH_TERMINAL_ID_SIZE);
      break;
    case ACQUIRER_SALES_OF_CREDENTIAL:
      bind_blob (s, 1, key, OFFAUTH_CREDENTIAL_SIZE);
      break;
    case ACQUIRER_SALES_ONLINE_EXPIRED:
      bind_u64 (s, 1, value);
      break;
    case ACQUIRER_SALES_ALL:
    default:
      break;
    }
  return read_sales (db, s, error);
}

gboolean
acquirer_db_earlier_evidence (AcquirerDb   *db,
                              AcquirerSale *sale,
                              gint64       *earlier,
                              GError      **error)
{
  sqlite3_stmt *s;
  gboolean row;

  if (!sale_cred (db, sale, error))
    return FALSE;
  s = db_stmt (db, ST_EARLIER_EVIDENCE);
  sqlite3_bind_int64 (s, 1, sale->cred);
  bind_u64 (s, 2, sale->counter);
  bind_blob (s, 3, sale->sale_id, OFFAUTH_SALE_ID_SIZE);
  sqlite3_bind_int64 (s, 4, sale->arrival);
  if (!db_step (db, s, &row, error))
    return FALSE;
  *earlier = row ? sqlite3_column_int64 (s, 0) : 0;
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_offline_sum (AcquirerDb   *db,
                         AcquirerSale *sale,
                         guint64      *sum,
                         GError      **error)
{
  sqlite3_stmt *s;
  gboolean row;
  guint64 walked;

  if (!sale_cred (db, sale, error))
    return FALSE;
  s = db_stmt (db, ST_OFFLINE_EARLIER);
  sqlite3_bind_int64 (s, 1, sale->cred);
  /* A sale not stored yet arrives after every stored one. */
  sqlite3_bind_int64 (s, 2, sale->arrival > 0 ? sale->arrival : G_MAXINT64);
  bind_blob (s, 3, sale->sale_id, OFFAUTH_SALE_ID_SIZE);
  bind_u64 (s, 4, sale->counter);
  if (!db_step (db, s, &row, error))
    return FALSE;
  *sum = row ? column_u64 (s, 0) : 0;
  sqlite3_reset (s);
  if (!db->check_totals)
    return TRUE;
  /* The sum it stands for, walked (check 7 as the spec words it). */
  s = db_stmt (db, ST_OFFLINE_SUM);
  sqlite3_bind_int64 (s, 1, sale->cred);
  sqlite3_bind_int64 (s, 2, sale->arrival > 0 ? sale->arrival : G_MAXINT64);
  bind_blob (s, 3, sale->sale_id, OFFAUTH_SALE_ID_SIZE);
  if (!db_step (db, s, &row, error))
    return FALSE;
  walked = row ? column_u64 (s, 0) : 0;
  sqlite3_reset (s);
  if (walked != *sum)
    g_error ("check 7: running total gives %" G_GUINT64_FORMAT ", the sales sum to %"
             G_GUINT64_FORMAT, *sum, walked);
  return TRUE;
}

gboolean
acquirer_db_balance (AcquirerDb   *db,
                     const guint8  credential[OFFAUTH_CREDENTIAL_SIZE],
                     guint64      *balance,
                     gboolean     *exists,
                     GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_ACCOUNT);

  bind_blob (s, 1, credential, OFFAUTH_CREDENTIAL_SIZE);
  if (!db_step (db, s, exists, error))
    return FALSE;
  *balance = *exists ? column_u64 (s, 0) : 0;
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_set_balance (AcquirerDb   *db,
                         const guint8  credential[OFFAUTH_CREDENTIAL_SIZE],
                         guint64       balance,
                         guint64       now,
                         GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_SET_BALANCE);

  bind_blob (s, 1, credential, OFFAUTH_CREDENTIAL_SIZE);
  bind_u64 (s, 2, balance);
  bind_u64 (s, 3, now);
  return db_step_done (db, s, error);
}

gboolean
acquirer_db_debited (AcquirerDb   *db,
                     const guint8  sale_id[OFFAUTH_SALE_ID_SIZE],
                     gboolean     *debited,
                     GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_DEBIT);

  bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE);
  if (!db_step (db, s, debited, error))
    return FALSE;
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_set_debit (AcquirerDb         *db,
                       const AcquirerSale *sale,
                       gboolean            debit,
                       guint64             now,
                       GError            **error)
{
  sqlite3_stmt *s = db_stmt (db, debit ? ST_INSERT_DEBIT : ST_DELETE_DEBIT);

  bind_blob (s, 1, sale->sale_id, OFFAUTH_SALE_ID_SIZE);
  if (debit)
    {
      sqlite3_bind_int64 (s, 2, sale->arrival);
      bind_blob (s, 3, sale->payment + 8, OFFAUTH_CREDENTIAL_SIZE);
      bind_u64 (s, 4, sale->amount);
      bind_u64 (s, 5, now);
    }
  return db_step_done (db, s, error);
}

gboolean
acquirer_db_insert_answer (AcquirerDb   *db,
                           const guint8  hash[OFFAUTH_HASH_SIZE],
                           const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                           guint64       acquirer_time,
                           GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_INSERT_ANSWER);

  bind_blob (s, 1, hash, OFFAUTH_HASH_SIZE);
  bind_blob (s, 2, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  bind_u64 (s, 3, acquirer_time);
  return db_step_done (db, s, error);
}

gboolean
acquirer_db_note_request (AcquirerDb   *db,
                          const guint8  hash[OFFAUTH_HASH_SIZE],
                          const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                          gboolean     *seen,
                          GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_NOTE_REQUEST);

  bind_blob (s, 1, hash, OFFAUTH_HASH_SIZE);
  bind_blob (s, 2, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step_done (db, s, error))
    return FALSE;
  *seen = sqlite3_changes (db->db) == 0;
  return TRUE;
}

gboolean
acquirer_db_find_answer (AcquirerDb   *db,
                         const guint8  hash[OFFAUTH_HASH_SIZE],
                         const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                         guint64      *acquirer_time,
                         gboolean     *found,
                         GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_FIND_ANSWER);

  bind_blob (s, 1, hash, OFFAUTH_HASH_SIZE);
  bind_blob (s, 2, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (!db_step (db, s, found, error))
    return FALSE;
  *acquirer_time = *found ? column_u64 (s, 0) : 0;
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_put_bundle (AcquirerDb          *db,
                        const OffauthBundle *bundle,
                        GError             **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_PUT_BUNDLE);

  bind_blob (s, 1, bundle->root_public_key, OFFAUTH_PK_SIZE);
  bind_u64 (s, 2, bundle->sequence);
  bind_blob (s, 3, bundle->raw, bundle->raw_len);
  if (!db_step_done (db, s, error))
    return FALSE;
  if (sqlite3_changes (db->db) == 0)
    return TRUE;  /* seen before */
  for (guint i = 0; i < bundle->n_keys; i++)
    {
      const OffauthIssuerKey *k = &bundle->keys[i];

      s = db_stmt (db, ST_PUT_ISSUER_KEY);
      bind_blob (s, 1, k->key_id, OFFAUTH_KEY_ID_SIZE);
      bind_blob (s, 2, k->public_key, OFFAUTH_PK_SIZE);
      bind_u64 (s, 3, k->not_before);
      bind_u64 (s, 4, k->not_after);
      bind_u64 (s, 5, k->scope);
      bind_u64 (s, 6, bundle->sequence);
      if (!db_step_done (db, s, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
acquirer_db_issuer_key (AcquirerDb       *db,
                        const guint8      key_id[OFFAUTH_KEY_ID_SIZE],
                        OffauthIssuerKey *key,
                        gboolean         *found,
                        GError          **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_GET_ISSUER_KEY);

  bind_blob (s, 1, key_id, OFFAUTH_KEY_ID_SIZE);
  if (!db_step (db, s, found, error))
    return FALSE;
  if (*found)
    {
      memcpy (key->key_id, key_id, OFFAUTH_KEY_ID_SIZE);
      if (!column_blob (s, 0, key->public_key, OFFAUTH_PK_SIZE))
        {
          sqlite3_reset (s);
          return damaged (error, "issuer key");
        }
      key->not_before = column_u64 (s, 1);
      key->not_after = column_u64 (s, 2);
      key->scope = (guint32) column_u64 (s, 3);
    }
  sqlite3_reset (s);
  return TRUE;
}

gboolean
acquirer_db_put_revocation_list (AcquirerDb                  *db,
                                 const OffauthRevocationList *list,
                                 GError                     **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_PUT_REVOCATION_LIST);
  gsize len;
  const guint8 *raw = g_bytes_get_data (list->raw, &len);

  bind_blob (s, 1, list->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
  bind_u64 (s, 2, list->sequence);
  bind_u64 (s, 3, list->issued_at);
  bind_u64 (s, 4, list->next_update);
  bind_blob (s, 5, raw, len);
  return db_step_done (db, s, error);
}

GPtrArray *
acquirer_db_revocation_lists (AcquirerDb   *db,
                              const guint8  key_id[OFFAUTH_KEY_ID_SIZE],
                              GError      **error)
{
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) offauth_revocation_list_free);
  sqlite3_stmt *s = db_stmt (db, ST_REVOCATION_LISTS);
  gboolean row;

  bind_blob (s, 1, key_id, OFFAUTH_KEY_ID_SIZE);
  while (db_step (db, s, &row, error))
    {
      OffauthRevocationList *list;

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      list = offauth_revocation_list_parse (sqlite3_column_blob (s, 3),
                                            (gsize) sqlite3_column_bytes (s, 3), NULL);
      if (list == NULL)
        {
          sqlite3_reset (s);
          damaged (error, "revocation list");
          return NULL;
        }
      g_ptr_array_add (out, list);
    }
  return NULL;
}

gboolean
acquirer_db_mark_revoked (AcquirerDb   *db,
                          const guint8  credential[OFFAUTH_CREDENTIAL_SIZE],
                          guint64       now,
                          gboolean     *was_new,
                          GError      **error)
{
  sqlite3_stmt *s = db_stmt (db, ST_INSERT_REVOKED);

  bind_blob (s, 1, credential, OFFAUTH_CREDENTIAL_SIZE);
  bind_u64 (s, 2, now);
  if (!db_step_done (db, s, error))
    return FALSE;
  *was_new = sqlite3_changes (db->db) > 0;
  return TRUE;
}

GArray *
acquirer_db_balances (AcquirerDb *db,
                      GError    **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (AcquirerBalance));
  sqlite3_stmt *s = db_stmt (db, ST_BALANCES);
  gboolean row;

  while (db_step (db, s, &row, error))
    {
      AcquirerBalance b = { 0 };

      if (!row)
        {
          sqlite3_reset (s);
          return g_steal_pointer (&out);
        }
      if (!column_blob (s, 0, b.credential_id, sizeof b.credential_id))
        {
          sqlite3_reset (s);
          damaged (error, "account");
          return NULL;
        }
      b.balance = column_u64 (s, 1);
      g_array_append_val (out, b);
    }
  return NULL;
}
