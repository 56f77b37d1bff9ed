/* test-verify.c: the start-up check sees what the decision trusts, and verify reads any copy.
 *
 * The decision looks sales up through the sales table's UNIQUE indexes and the payer's
 * totals through the credentials table's key: a damaged index must stop the terminal, not
 * let a payment through twice. The journal itself must not hold one sale twice. And
 * `journal verify` must read a database on read-only media, -wal file included.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "testutil.h"

static TestWorld *
world_with_sales (guint              n,
                  OffauthCredential *cred,
                  guint64           *first_sale)
{
  TestWorld *w = test_world_new ();
  OffauthDecision d;

  test_credential (w, cred);
  for (guint i = 1; i <= n; i++)
    {
      test_sale (w, cred, 100 * i, i, &d);
      test_assert_reason (&d, OFFAUTH_REASON_NONE);
      if (i == 1)
        *first_sale = d.sale_number;
    }
  return w;
}

static void
run_sql (sqlite3 *db, const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

static gint64
sql_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *s = NULL;
  gint64 v;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

/* The start-up check refuses the terminal and so does verify (what `journal DB verify`
 * runs); returns the row verify names, after checking that both messages say fragment. */
static guint64
expect_refused (TestWorld *w, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminal *t;
  guint64 bad = G_MAXUINT64;

  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not say '%s'", error->message, fragment);
  g_clear_error (&error);

  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_NO_CHECK | OFFAUTH_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_false (offauth_terminal_verify (t, &bad, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not say '%s'", error->message, fragment);
  offauth_terminal_free (t);
  return bad;
}

/* Before the fix, the terminal opened: shows the double spend it then let through. */
static void
show_double_spend (TestWorld *w, const OffauthCredential *cred, guint n)
{
  OffauthDecision d;

  test_world_reopen (w);
  for (guint c = 1; c <= n; c++)
    {
      test_sale (w, cred, 100, c, &d);
      if (d.reason == OFFAUTH_REASON_NONE)
        g_test_message ("counter %u was approved a second time: a double spend", c);
    }
  g_test_fail_printf ("the terminal opened with a damaged sales index");
}

/* One byte of a credential id flipped inside the (credential_id, counter) index of the
 * closed terminal's file: the table, the journal and quick_check all look fine, but the
 * decision's lookup of one used counter finds nothing. */
static void
test_flipped_index (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *wal = NULL;
  g_autofree gchar *data = NULL;
  OffauthCredential cred;
  guint64 first;
  TestWorld *w = world_with_sales (3, &cred, &first);
  sqlite3 *db = NULL;
  gint64 root, page_size;
  gsize len;
  guint8 *page, *hit;
  OffauthTerminal *t;

  /* Closing the terminal checkpoints the WAL into the file and removes it. */
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  wal = g_strconcat (w->db_path, "-wal", NULL);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));

  g_assert_cmpint (sqlite3_open (w->db_path, &db), ==, SQLITE_OK);
  root = sql_int (db, "SELECT m.rootpage FROM sqlite_master m WHERE m.type = 'index' AND "
                      "m.tbl_name = 'sales' AND (SELECT name FROM pragma_index_info (m.name) "
                      "WHERE seqno = 0) = 'credential_id'");
  page_size = sql_int (db, "PRAGMA page_size");
  sqlite3_close (db);

  /* Three sales of one credential: the index is one leaf page. */
  g_assert_true (g_file_get_contents (w->db_path, &data, &len, &error));
  g_assert_cmpint ((gint64) len, >=, root * page_size);
  page = (guint8 *) data + (root - 1) * page_size;
  hit = memmem (page, (gsize) page_size, cred.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  g_assert_nonnull (hit);
  hit[OFFAUTH_CREDENTIAL_ID_SIZE - 1] ^= 0x01;
  g_assert_true (g_file_set_contents (w->db_path, data, (gssize) len, &error));

  g_assert_cmpint (sqlite3_open (w->db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM sales"), ==, 3);
  {
    sqlite3_stmt *s = NULL;
    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &s, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
    g_test_message ("quick_check says: %s", sqlite3_column_text (s, 0));
    sqlite3_finalize (s);
  }
  sqlite3_close (db);

  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  if (t != NULL)
    {
      offauth_terminal_free (t);
      show_double_spend (w, &cred, 3);
      test_world_free (w);
      return;
    }
  g_clear_error (&error);
  g_assert_cmpuint (expect_refused (w, "index on (credential_id, counter)"), ==, 0);
  test_world_free (w);
}

/* A copy of a sale journaled again under a new row, with a correct chain hash, its sales
 * row beside it (the sales table rebuilt without its UNIQUE constraints) and the payer's
 * totals raised to match: only the journal's own uniqueness check can see it. */
static void
test_repeated_sale (void)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential cred;
  guint64 first, last;
  TestWorld *w = world_with_sales (2, &cred, &first);
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  guint8 prev[OFFAUTH_HASH_SIZE], h[OFFAUTH_HASH_SIZE];
  g_autofree guint8 *record = NULL;
  gsize len;
  OffauthTerminal *t;
  g_autofree gchar *sql = NULL;

  g_clear_pointer (&w->terminal, offauth_terminal_free);
  g_assert_cmpint (sqlite3_open (w->db_path, &db), ==, SQLITE_OK);
  run_sql (db, "BEGIN;"
               "CREATE TABLE sales2 (id INTEGER PRIMARY KEY, sale_id BLOB NOT NULL,"
               "  credential_id BLOB NOT NULL, counter INTEGER NOT NULL, challenge BLOB NOT NULL,"
               "  amount INTEGER NOT NULL, currency TEXT NOT NULL, time INTEGER NOT NULL,"
               "  mode INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
               "  reason INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0,"
               "  retry_after INTEGER NOT NULL DEFAULT 0, closing INTEGER NOT NULL DEFAULT 0,"
               "  verdict_seen INTEGER NOT NULL DEFAULT 0, retry_ask INTEGER NOT NULL DEFAULT 0);"
               "INSERT INTO sales2 SELECT * FROM sales; DROP TABLE sales;"
               "ALTER TABLE sales2 RENAME TO sales; COMMIT");

  /* The last row's hash, and the first sale's record. */
  last = (guint64) sql_int (db, "SELECT max(seq) FROM journal");
  sql = g_strdup_printf ("SELECT hash FROM journal WHERE seq = %" G_GUINT64_FORMAT, last);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_bytes (s, 0), ==, OFFAUTH_HASH_SIZE);
  memcpy (prev, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  sqlite3_finalize (s);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT record FROM journal WHERE seq = %" G_GUINT64_FORMAT, first);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  len = (gsize) sqlite3_column_bytes (s, 0);
  record = g_memdup2 (sqlite3_column_blob (s, 0), len);
  sqlite3_finalize (s);
  g_clear_pointer (&sql, g_free);

  _offauth_chain_hash (h, last + 1, prev, record, len);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO journal (seq, kind, time, record, hash) "
                                           "SELECT ?1, kind, time, record, ?2 FROM journal "
                                           "WHERE seq = ?3", -1, &s, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) last + 1);
  sqlite3_bind_blob (s, 2, h, OFFAUTH_HASH_SIZE, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) first);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
  /* The first sale was 100: the payer's count and total go up by one such sale. */
  sql = g_strdup_printf ("INSERT INTO sales SELECT %" G_GUINT64_FORMAT ", sale_id, credential_id,"
                         " counter, challenge, amount, currency, time, mode, state, reason, attempt,"
                         " retry_after, closing, verdict_seen, retry_ask FROM sales"
                         " WHERE id = %" G_GUINT64_FORMAT ";"
                         "UPDATE credentials SET offline_count = offline_count + 1,"
                         " offline_total = offline_total + 100",
                         last + 1, first);
  run_sql (db, sql);
  sqlite3_close (db);

  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  if (t != NULL)
    {
      offauth_terminal_free (t);
      g_test_fail_printf ("the terminal opened with sale %" G_GUINT64_FORMAT " journaled twice",
                          first);
      test_world_free (w);
      return;
    }
  g_clear_error (&error);
  g_assert_cmpuint (expect_refused (w, "journal row"), ==, last + 1);
  test_world_free (w);
}

/* A kind-8 row for a sale the journal does not hold (here: the right row, another sale id)
 * was not written by this terminal, however well chained. */
static void
test_foreign_sale_state (void)
{
  g_auto(OffauthRecord) rec = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  g_autofree gchar *sql = NULL;
  OffauthCredential cred;
  guint64 first, last;
  TestWorld *w = world_with_sales (1, &cred, &first);
  guint8 prev[OFFAUTH_HASH_SIZE], h[OFFAUTH_HASH_SIZE];
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  gsize len;

  rec.kind = OFFAUTH_RECORD_SALE_STATE;
  rec.time = w->now;
  rec.sale_state.verdict.sale_seq = first;
  rec.sale_state.verdict.state = 1;
  rec.sale_state.verdict.attempt = 1;
  bytes = offauth_record_encode (&rec, &len, &error);
  g_assert_no_error (error);

  g_clear_pointer (&w->terminal, offauth_terminal_free);
  g_assert_cmpint (sqlite3_open (w->db_path, &db), ==, SQLITE_OK);
  last = (guint64) sql_int (db, "SELECT max(seq) FROM journal");
  sql = g_strdup_printf ("SELECT hash FROM journal WHERE seq = %" G_GUINT64_FORMAT, last);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  memcpy (prev, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  sqlite3_finalize (s);
  _offauth_chain_hash (h, last + 1, prev, bytes, len);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO journal (seq, kind, time, record, hash) "
                                           "VALUES (?1, 8, ?2, ?3, ?4)", -1, &s, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) last + 1);
  sqlite3_bind_int64 (s, 2, (sqlite3_int64) w->now);
  sqlite3_bind_blob (s, 3, bytes, (int) len, SQLITE_STATIC);
  sqlite3_bind_blob (s, 4, h, OFFAUTH_HASH_SIZE, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
  sqlite3_close (db);

  g_assert_cmpuint (expect_refused (w, "does not hold"), ==, last + 1);
  test_world_free (w);
}

/* Read-only media, simulated: SQLite's unix VFS opens every file through its "open" system
 * call, which a test may replace. The replacement answers EROFS to any open for writing or
 * creating below the medium's folder, as a read-only mount does (a root process is refused
 * too, unlike with chmod); opening an existing file for reading works, a missing file is
 * ENOENT. So SQLite fails to create the -shm file (and to open the -wal for writing) just
 * as it does on a read-only medium; the engine's own copy, made with GLib outside that
 * folder, is not affected. */
static gchar *medium;
static sqlite3_syscall_ptr real_open;

static int
read_only_medium_open (const char *path, int flags, int mode)
{
  if (medium != NULL && g_str_has_prefix (path, medium) &&
      (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0)
    {
      errno = EROFS;
      return -1;
    }
  return ((int (*) (const char *, int, int)) real_open) (path, flags, mode);
}

static void
copy_file (const char *from, const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &data, &len, &error));
  g_assert_true (g_file_set_contents (to, data, (gssize) len, &error));
}

static guint64
verify_on_medium (const char *path, gboolean *ok, GError **error)
{
  OffauthTerminal *t = offauth_terminal_open (path, OFFAUTH_OPEN_NO_CHECK | OFFAUTH_OPEN_READ_ONLY,
                                              error);
  OffauthTerminalStatus st;
  guint64 rows;

  *ok = FALSE;
  if (t == NULL)
    return 0;
  *ok = offauth_terminal_verify (t, NULL, error);
  offauth_terminal_get_status (t, &st);
  rows = st.journal_rows;
  offauth_terminal_status_clear (&st);
  offauth_terminal_free (t);
  return rows;
}

static void
test_read_only_medium (void)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential cred;
  guint64 first, rows, seen;
  TestWorld *w = world_with_sales (3, &cred, &first);
  sqlite3_vfs *vfs = sqlite3_vfs_find ("unix");
  g_autofree gchar *db = NULL;
  g_autofree gchar *wal = NULL;
  g_autofree gchar *shm = NULL;
  g_autofree gchar *src_wal = g_strconcat (w->db_path, "-wal", NULL);
  OffauthTerminalStatus st;
  gboolean ok;
  guint n_files = 0;
  GDir *dir;

  medium = g_build_filename (w->dir, "medium", NULL);
  g_assert_cmpint (g_mkdir (medium, 0700), ==, 0);
  db = g_build_filename (medium, "t.db", NULL);
  wal = g_strconcat (db, "-wal", NULL);
  shm = g_strconcat (db, "-shm", NULL);

  /* The terminal is still open: its last sales are in the -wal file only. The medium
   * holds the database and its -wal, as a disk pulled from a kiosk that lost power. */
  offauth_terminal_get_status (w->terminal, &st);
  rows = st.journal_rows;
  offauth_terminal_status_clear (&st);
  g_assert_true (g_file_test (src_wal, G_FILE_TEST_EXISTS));
  copy_file (w->db_path, db);
  copy_file (src_wal, wal);

  real_open = vfs->xGetSystemCall (vfs, "open");
  g_assert_nonnull (real_open);
  g_assert_cmpint (vfs->xSetSystemCall (vfs, "open", (sqlite3_syscall_ptr) read_only_medium_open),
                   ==, SQLITE_OK);

  seen = verify_on_medium (db, &ok, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  /* The sales in the -wal file were read, not left out. */
  g_assert_cmpuint (seen, ==, rows);

  /* Nothing was written on the medium. */
  dir = g_dir_open (medium, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_dir_close (dir);
  g_assert_cmpuint (n_files, ==, 2);

  /* A database closed cleanly has no -wal file: it is read in place. */
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  g_clear_pointer (&medium, g_free);
  g_assert_cmpint (g_unlink (wal), ==, 0);
  copy_file (w->db_path, db);
  medium = g_build_filename (w->dir, "medium", NULL);
  seen = verify_on_medium (db, &ok, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (seen, ==, rows);
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));

  /* A tampered copy on the medium is still found out. */
  g_clear_pointer (&medium, g_free);
  {
    sqlite3 *raw = NULL;
    g_autofree gchar *sql = g_strdup_printf ("UPDATE sales SET amount = 1 WHERE id = %"
                                             G_GUINT64_FORMAT, first);
    g_assert_cmpint (sqlite3_open (db, &raw), ==, SQLITE_OK);
    run_sql (raw, "PRAGMA journal_mode = DELETE");
    run_sql (raw, sql);
    run_sql (raw, "PRAGMA journal_mode = WAL");
    sqlite3_close (raw);
  }
  medium = g_build_filename (w->dir, "medium", NULL);
  verify_on_medium (db, &ok, &error);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  g_assert_false (ok);

  vfs->xSetSystemCall (vfs, "open", real_open);
  g_clear_pointer (&medium, g_free);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Offauth/Verify/flipped-index", test_flipped_index);
  g_test_add_func ("/Offauth/Verify/repeated-sale", test_repeated_sale);
  g_test_add_func ("/Offauth/Verify/foreign-sale-state", test_foreign_sale_state);
  g_test_add_func ("/Offauth/Verify/read-only-medium", test_read_only_medium);

  return g_test_run ();
}
