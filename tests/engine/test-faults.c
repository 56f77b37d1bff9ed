/* test-faults.c: a failing disk under a sale (the fault VFS of tests/lib): what the cashier
 * is told must be true of what a crash right then would leave on disk.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "faultvfs.h"
#include "testutil.h"

/* The main line the cashier reads for a decision. */
static const char *
cashier_message (const OffauthDecision *d)
{
  return d->outcome_unknown ? offauth_unknown_outcome_message ()
                            : offauth_reason_message (d->reason);
}

static gboolean
told_nothing_charged (const OffauthDecision *d)
{
  return strstr (cashier_message (d), "Nothing was charged") != NULL;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree gchar *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (from, G_FILE_TEST_EXISTS))
    return;
  g_assert_true (g_file_get_contents (from, &data, &len, &error));
  g_assert_true (g_file_set_contents (to, data, (gssize) len, &error));
  g_assert_no_error (error);
}

/* Whether the sale would be there after a crash now: a copy of the database and its
 * write-ahead log, opened as a restart would (SQLite's recovery replays the log). */
static gboolean
sale_after_crash (TestWorld    *w,
                  const guint8  sale_id[OFFAUTH_SALE_ID_SIZE])
{
  g_autofree gchar *copy = g_build_filename (w->dir, "crash.db", NULL);
  g_autofree gchar *wal = g_strconcat (w->db_path, "-wal", NULL);
  g_autofree gchar *copy_wal = g_strconcat (copy, "-wal", NULL);
  g_autofree gchar *copy_shm = g_strconcat (copy, "-shm", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  gboolean found;

  copy_file (w->db_path, copy);
  copy_file (wal, copy_wal);
  g_assert_cmpint (sqlite3_open_v2 (copy, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT 1 FROM sales WHERE sale_id = ?1", -1, &s, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  found = sqlite3_step (s) == SQLITE_ROW;
  sqlite3_finalize (s);
  sqlite3_close (db);
  g_unlink (copy);
  g_unlink (copy_wal);
  g_unlink (copy_shm);
  return found;
}

/* Sales with this id in the terminal's own database. */
static guint
count_sales (TestWorld    *w,
             const guint8  sale_id[OFFAUTH_SALE_ID_SIZE])
{
  sqlite3_stmt *s = NULL;
  guint n = 0;

  sqlite3_prepare_v2 (_offauth_terminal_get_db (w->terminal),
                      "SELECT count(*) FROM sales WHERE sale_id = ?1", -1, &s, NULL);
  sqlite3_bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  n = (guint) sqlite3_column_int (s, 0);
  sqlite3_finalize (s);
  return n;
}

/* A world with a payment ready for the latest request, the fault VFS disarmed. */
static TestWorld *
world_with_payment (gchar **text)
{
  TestWorld *w;
  OffauthCredential cred;
  OffauthRequest req;

  fault_vfs_reset ();
  w = test_world_new ();
  test_credential (w, &cred);
  test_request (w, 450, &req);
  *text = test_pay (w, &cred, &req, 1);
  return w;
}

/* The fsync of the write-ahead log fails at COMMIT: the sale's frames are in the log, and
 * a crash now replays them. The cashier must not hear that nothing was charged. */
static void
test_fsync_at_commit (void)
{
  g_autofree gchar *text = NULL;
  TestWorld *w = world_with_payment (&text);
  OffauthDecision d;
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];

  fault_vfs_fail_nth (FAULT_VFS_SYNC, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_cmpuint (fault_vfs_failures (), ==, 1);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_false (d.approved);
  if (told_nothing_charged (&d) && sale_after_crash (w, d.sale_id))
    g_error ("told \"%s\", yet a crash now would keep the sale", cashier_message (&d));
  g_assert_false (told_nothing_charged (&d));
  g_assert_true (d.outcome_unknown);
  g_assert_cmpstr (cashier_message (&d), ==, "The kiosk could not confirm this sale.");
  g_assert_cmpstr (offauth_unknown_outcome_next_step (), ==,
                   "Scan the same code again before taking another method.");
  memcpy (sale_id, d.sale_id, sizeof sale_id);

  /* The crash: a restart replays the log, and the same code scanned again is the sale
   * already paid. The copy is a terminal of its own (the key goes with it). */
  {
    g_autofree gchar *copy = g_build_filename (w->dir, "restarted.db", NULL);
    g_autofree gchar *copy_key = g_strconcat (copy, ".key", NULL);
    g_autofree gchar *key = g_strconcat (w->db_path, ".key", NULL);
    g_autofree gchar *wal = g_strconcat (w->db_path, "-wal", NULL);
    g_autofree gchar *copy_wal = g_strconcat (copy, "-wal", NULL);
    OffauthTerminal *restarted;

    copy_file (w->db_path, copy);
    copy_file (wal, copy_wal);
    copy_file (key, copy_key);
    g_chmod (copy_key, 0600);
    restarted = test_terminal_open (copy, &w->now);
    offauth_terminal_authorize (restarted, text, -1, NULL, 0, &d);
    test_assert_reason (&d, OFFAUTH_REASON_NONE);
    g_assert_true (d.already_recorded);
    offauth_terminal_free (restarted);
  }

  /* Without a restart: paused while the disk still fails (the terminal's own tries fail
   * too), and the same code scanned then is still unknown. */
  fault_vfs_fail_random (FAULT_VFS_WRITE | FAULT_VFS_SYNC, 1, 1);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 450), ==,
                   OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  {
    OffauthTerminalStatus st;
    offauth_terminal_get_status (w->terminal, &st);
    g_assert_cmpint (st.state, ==, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
    offauth_terminal_status_clear (&st);
  }
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_true (d.outcome_unknown);
  g_assert_cmpmem (d.sale_id, sizeof d.sale_id, sale_id, sizeof sale_id);
  g_assert_cmpuint (d.amount, ==, 450);
  g_assert_false (offauth_terminal_resolve (w->terminal, NULL));

  /* The disk works again: the same code is decided (here afresh: this process's log was
   * emptied without the failed frames), and recorded once. */
  fault_vfs_reset ();
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 450), ==, OFFAUTH_REASON_NONE);
  g_assert_cmpuint (count_sales (w, sale_id), ==, 1);
  g_assert_true (sale_after_crash (w, sale_id));
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_true (d.approved && d.already_recorded);
  test_world_free (w);
}

/* A write of the log fails at COMMIT: the protocol calls every failure at or after COMMIT
 * unknown, so the cashier is told to scan again, and the same code is then decided afresh. */
static void
test_write_at_commit (void)
{
  g_autofree gchar *text = NULL;
  TestWorld *w = world_with_payment (&text);
  OffauthDecision d;
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];

  fault_vfs_fail_nth (FAULT_VFS_WRITE, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_cmpuint (fault_vfs_failures (), ==, 1);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  if (told_nothing_charged (&d))
    g_assert_false (sale_after_crash (w, d.sale_id));
  g_assert_false (told_nothing_charged (&d));
  g_assert_true (d.outcome_unknown);
  memcpy (sale_id, d.sale_id, sizeof sale_id);

  /* Resolved at the next scan of the same code: not there, so decided afresh. */
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_assert_false (d.already_recorded);
  g_assert_cmpuint (count_sales (w, sale_id), ==, 1);
  test_world_free (w);
}

/* The write lock of the transaction cannot be taken: nothing was written, and the cashier
 * is told so; the terminal is not paused, and the same code goes through, once. */
static void
test_before_commit (void)
{
  g_autofree gchar *text = NULL;
  TestWorld *w = world_with_payment (&text);
  OffauthDecision d;
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];

  fault_vfs_fail_nth (FAULT_VFS_SHMLOCK, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_cmpuint (fault_vfs_failures (), ==, 1);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_false (d.outcome_unknown);
  g_assert_true (told_nothing_charged (&d));
  memcpy (sale_id, d.sale_id, sizeof sale_id);
  g_assert_false (sale_after_crash (w, sale_id));
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 450), ==, OFFAUTH_REASON_NONE);

  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_assert_false (d.already_recorded);
  g_assert_cmpuint (count_sales (w, sale_id), ==, 1);
  g_assert_true (sale_after_crash (w, sale_id));
  test_world_free (w);
}

static void
floor_500 (OffauthTerminalConfig *c)
{
  c->floor_limit = 500;
}

/* An online approval commits as an offline sale does: the fsync failing at COMMIT leaves
 * the outcome unknown; once resolved, the same decision is approved (again), never twice. */
static void
test_online_fsync_at_commit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSecretKey) acquirer = test_key (0xac);
  g_autofree gchar *text = NULL;
  g_autofree gchar *o = NULL;
  g_autofree gchar *dtext = NULL;
  TestWorld *w;
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d;
  guint64 bad = 0;

  fault_vfs_reset ();
  w = test_world_new ();
  test_world_config (w, floor_500);
  g_assert_true (offauth_terminal_pin_acquirer (w->terminal, "http://127.0.0.1:8080", acquirer->pk,
                                                &error));
  test_credential (w, &cred);
  test_request (w, 800, &req);
  text = test_pay (w, &cred, &req, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  o = offauth_terminal_online_request (w->terminal, text, -1, NULL, 0, &d, &error);
  g_assert_no_error (error);
  dtext = test_online_decision_text (acquirer, o, 1, 0, w->now, NULL, 0);

  fault_vfs_fail_nth (FAULT_VFS_SYNC, 1);
  g_assert_true (offauth_terminal_online_apply (w->terminal, o, dtext, -1, 10, &d, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fault_vfs_failures (), ==, 1);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_false (d.approved);
  g_assert_true (d.outcome_unknown);
  fault_vfs_reset ();

  g_assert_true (offauth_terminal_resolve (w->terminal, &error));
  g_assert_no_error (error);
  g_assert_true (offauth_terminal_online_apply (w->terminal, o, dtext, -1, 10, &d, &error));
  g_assert_true (d.approved);
  g_assert_cmpint (d.mode, ==, OFFAUTH_MODE_ONLINE);
  g_assert_true (offauth_terminal_verify (w->terminal, &bad, &error));
  g_assert_no_error (error);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fault_vfs_register ();
  g_test_add_func ("/Offauth/Faults/fsync-at-commit", test_fsync_at_commit);
  g_test_add_func ("/Offauth/Faults/write-at-commit", test_write_at_commit);
  g_test_add_func ("/Offauth/Faults/before-commit", test_before_commit);
  g_test_add_func ("/Offauth/Faults/online-fsync-at-commit", test_online_fsync_at_commit);
  return g_test_run ();
}
