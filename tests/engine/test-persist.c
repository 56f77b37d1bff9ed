/* test-persist.c: state that survives a restart, tamper evidence, rollback, clock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "testutil.h"

static void
test_restart (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  test_sale (w, &cred, 450, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_sale (w, &cred, 2000, 2, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_reopen (w);

  /* The counter and the total were kept: 2450 of 5000 spent. */
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_COUNTER_REUSED);
  test_sale (w, &cred, 2000, 3, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_reopen (w);
  test_sale (w, &cred, 551, 4, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_OFFLINE_TOTAL);
  test_sale (w, &cred, 550, 4, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);

  {
    OffauthTerminalStatus st;
    offauth_terminal_get_status (w->terminal, &st);
    g_assert_cmpuint (st.unsettled_count, ==, 4);
    g_assert_cmpuint (st.unsettled_total, ==, 5000);
    g_assert_cmpuint (st.oldest_unsettled_time, ==, TEST_NOW);
    offauth_terminal_status_clear (&st);
  }

  /* The request issued before a restart can still be paid. */
  {
    OffauthRequest req;
    g_autofree gchar *text = NULL;
    test_credential (w, &cred);
    test_request (w, 50, &req);
    test_world_reopen (w);
    text = test_pay (w, &cred, &req, 1);
    offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
    test_assert_reason (&d, OFFAUTH_REASON_NONE);
    test_world_reopen (w);
    offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
    g_assert_true (d.already_recorded);
  }
  test_world_free (w);
}

static void
test_lock (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthTerminal *second, *reader;

  second = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (second);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* A reader may look while the kiosk runs. */
  reader = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  offauth_terminal_free (reader);
  test_world_free (w);
}

/* One terminal is one file: a second name for the database and its key (hard links) must
 * not make a second terminal. SQLite keeps one WAL per name, so an approval given through
 * one name would be lost through the other, the same code approved again as a new sale. */
static void
test_hard_link (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autofree gchar *key = g_strconcat (w->db_path, ".key", NULL);
  g_autofree gchar *other = g_build_filename (w->dir, "other.db", NULL);
  g_autofree gchar *other_key = g_strconcat (other, ".key", NULL);
  OffauthTerminal *t;

  g_assert_cmpint (link (w->db_path, other), ==, 0);
  g_assert_cmpint (link (key, other_key), ==, 0);

  /* While the kiosk runs: the other name finds the same file locked, or refused. */
  t = offauth_terminal_open (other, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* After it stopped: neither name opens while the file has two. */
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  t = offauth_terminal_open (other, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "hard links"));
  g_clear_error (&error);
  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* A second name of the key alone is refused too. */
  g_assert_cmpint (g_unlink (other), ==, 0);
  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* With one name each again, the terminal opens. */
  g_assert_cmpint (g_unlink (other_key), ==, 0);
  w->terminal = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  offauth_terminal_set_now_func (w->terminal, test_world_now_cb, w);
  test_world_free (w);
}

static void
test_key_file (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autofree gchar *key = g_strconcat (w->db_path, ".key", NULL);
  g_autofree gchar *contents = NULL;
  GStatBuf st;
  OffauthTerminal *t;

  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* The secret is not in the database. */
  {
    gsize len;
    g_autoptr(OffauthSecretKey) secret = offauth_secret_key_load (key, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (w->db_path, &contents, &len, NULL));
    g_assert_null (memmem (contents, len, secret->sk, OFFAUTH_SEED_SIZE));
  }

  g_clear_pointer (&w->terminal, offauth_terminal_free);
  g_assert_cmpint (g_chmod (key, 0644), ==, 0);
  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_null (t);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO);
  g_clear_error (&error);

  /* Another terminal's key is refused. */
  {
    g_autoptr(OffauthSecretKey) other = test_key (9);
    g_assert_cmpint (g_chmod (key, 0600), ==, 0);
    g_assert_true (offauth_secret_key_save (other, key, &error));
    t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
    g_assert_null (t);
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  }
  test_world_free (w);
}

/* Tampering goes through a second connection, as someone with the file would. */
static void
tamper (TestWorld *w, const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_clear_pointer (&w->terminal, offauth_terminal_free);
  g_assert_cmpint (sqlite3_open (w->db_path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  g_assert_cmpint (sqlite3_changes (db), >, 0);
  sqlite3_close (db);
}

static TestWorld *
world_with_sales (guint n, guint64 *first_sale)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  for (guint i = 1; i <= n; i++)
    {
      test_sale (w, &cred, 100 * i, i, &d);
      test_assert_reason (&d, OFFAUTH_REASON_NONE);
      if (i == 1)
        *first_sale = d.sale_number;
    }
  return w;
}

static guint64
expect_broken (TestWorld *w, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminal *t;
  guint64 bad = 0;

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
  offauth_terminal_free (t);
  return bad;
}

static void
test_edited_row (void)
{
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *sql = NULL;

  /* The amount inside the second sale's record, lowered. */
  sql = g_strdup_printf ("UPDATE journal SET record = substr(record, 1, 237) || x'01' || "
                         "substr(record, 239) WHERE seq = %" G_GUINT64_FORMAT, first + 2);
  tamper (w, sql);
  g_assert_cmpuint (expect_broken (w, "was edited"), ==, first + 2);
  test_world_free (w);
}

static void
test_edited_sale (void)
{
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *sql = g_strdup_printf ("UPDATE sales SET amount = 1 WHERE id = %" G_GUINT64_FORMAT,
                                           first + 2);

  tamper (w, sql);
  g_assert_cmpuint (expect_broken (w, "disagrees"), ==, first + 2);
  test_world_free (w);
}

static void
test_edited_counters (void)
{
  guint64 first;
  TestWorld *w = world_with_sales (2, &first);

  /* Someone resets a payer's offline total to spend it again. */
  tamper (w, "UPDATE credentials SET offline_total = 0, offline_count = 0");
  expect_broken (w, "offline counters");
  test_world_free (w);
}

static void
test_deleted_row (void)
{
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *sql = g_strdup_printf ("DELETE FROM journal WHERE seq = %" G_GUINT64_FORMAT, first + 1);

  tamper (w, sql);
  g_assert_cmpuint (expect_broken (w, "is missing"), ==, first + 1);
  test_world_free (w);
}

static void
test_deleted_sale (void)
{
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *sql = g_strdup_printf ("DELETE FROM journal WHERE seq = %" G_GUINT64_FORMAT "; "
                                           "DELETE FROM sales WHERE id = %" G_GUINT64_FORMAT,
                                           first + 2, first + 2);

  /* The last sale removed from both tables: the counters still remember it. */
  tamper (w, sql);
  expect_broken (w, "disagree");
  test_world_free (w);
}

static void
test_checkpoint (void)
{
  g_autoptr(GError) error = NULL;
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *ckpt = offauth_terminal_make_checkpoint (w->terminal, &error);
  g_autofree gchar *sql = NULL;
  OffauthTerminal *t;
  guint64 bad = 0;

  g_assert_no_error (error);
  g_assert_true (offauth_terminal_verify_checkpoint (w->terminal, ckpt, NULL, &error));
  g_assert_no_error (error);

  /* Every trace of the last sale removed, counters fixed up, the stored checkpoint
   * deleted: only the checkpoint that left the device tells. */
  sql = g_strdup_printf ("DELETE FROM journal WHERE seq = %" G_GUINT64_FORMAT "; "
                         "DELETE FROM sales WHERE id = %" G_GUINT64_FORMAT "; "
                         "UPDATE credentials SET offline_count = 2, offline_total = 300; "
                         "DELETE FROM checkpoints",
                         first + 2, first + 2);
  tamper (w, sql);
  t = offauth_terminal_open (w->db_path, OFFAUTH_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_false (offauth_terminal_verify_checkpoint (t, ckpt, &bad, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_assert_cmpuint (bad, ==, first + 2);
  offauth_terminal_free (t);
  test_world_free (w);
}

static void
test_stored_checkpoint (void)
{
  g_autoptr(GError) error = NULL;
  guint64 first;
  TestWorld *w = world_with_sales (3, &first);
  g_autofree gchar *ckpt = offauth_terminal_make_checkpoint (w->terminal, &error);
  g_autofree gchar *sql = g_strdup_printf ("DELETE FROM journal WHERE seq = %" G_GUINT64_FORMAT "; "
                                           "DELETE FROM sales WHERE id = %" G_GUINT64_FORMAT "; "
                                           "UPDATE credentials SET offline_count = 2, offline_total = 300",
                                           first + 2, first + 2);

  g_assert_no_error (error);
  tamper (w, sql);
  expect_broken (w, "checkpoint");
  test_world_free (w);
}

static void
test_bundle_rollback (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autofree gchar *same = test_bundle_text (w, 1, TEST_NOW - 3600, TEST_NOW + 30 * 86400);
  g_autofree gchar *older = test_bundle_text (w, 0, TEST_NOW - 7200, TEST_NOW + 30 * 86400);
  g_autofree gchar *newer = test_bundle_text (w, 2, TEST_NOW, TEST_NOW + 60 * 86400);
  g_autofree gchar *future = test_bundle_text (w, 3, TEST_NOW + OFFAUTH_CLOCK_SKEW + 1, TEST_NOW + 60 * 86400);
  g_autofree gchar *foreign = NULL;

  g_assert_false (offauth_terminal_load_bundle (w->terminal, same, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  g_clear_error (&error);
  g_assert_false (offauth_terminal_load_bundle (w->terminal, older, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  g_clear_error (&error);
  g_assert_false (offauth_terminal_load_bundle (w->terminal, future, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED);
  g_clear_error (&error);

  /* Signed by another root, with a higher sequence. */
  {
    OffauthSecretKey *root = w->root;
    w->root = test_key (7);
    foreign = test_bundle_text (w, 9, TEST_NOW, TEST_NOW + 60 * 86400);
    offauth_secret_key_free (w->root);
    w->root = root;
  }
  g_assert_false (offauth_terminal_load_bundle (w->terminal, foreign, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  g_clear_error (&error);

  /* A tampered signature. */
  {
    OffauthBundle b;
    g_autofree gchar *bad = NULL;
    g_assert_true (offauth_bundle_parse_text (&b, newer, NULL));
    b.raw[b.raw_len - 1] ^= 1;
    bad = offauth_text_encode ('T', b.raw, b.raw_len);
    g_assert_false (offauth_terminal_load_bundle (w->terminal, bad, &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
  }

  g_assert_true (offauth_terminal_load_bundle (w->terminal, newer, &error));
  g_assert_no_error (error);
  /* Rollback is refused after a restart too. */
  test_world_reopen (w);
  g_assert_false (offauth_terminal_load_bundle (w->terminal, same, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  test_world_free (w);
}

static void
test_revocation_rollback (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;
  g_autofree gchar *revoking = NULL;
  g_autofree gchar *old = NULL;
  g_autofree gchar *foreign = NULL;

  test_credential (w, &cred);
  revoking = test_revocations_text (w, w->issuer, 5, cred.credential_id, 1);
  g_assert_true (offauth_terminal_load_revocations (w->terminal, revoking, &error));
  g_assert_no_error (error);
  test_world_reopen (w);

  /* An older list that does not name the credential is refused. */
  old = test_revocations_text (w, w->issuer, 4, NULL, 0);
  g_assert_false (offauth_terminal_load_revocations (w->terminal, old, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  g_clear_error (&error);
  g_clear_pointer (&old, g_free);
  old = test_revocations_text (w, w->issuer, 5, NULL, 0);
  g_assert_false (offauth_terminal_load_revocations (w->terminal, old, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK);
  g_clear_error (&error);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REVOKED);

  /* A list from a key outside the trust bundle. */
  foreign = test_revocations_text (w, w->stranger, 9, NULL, 0);
  g_assert_false (offauth_terminal_load_revocations (w->terminal, foreign, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED);
  test_world_free (w);
}

static void
test_clock_behind_floor (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  g_autofree gchar *newer = test_bundle_text (w, 2, TEST_NOW + 200, TEST_NOW + 60 * 86400);
  OffauthReason reason;
  gchar *req;

  /* A bundle issued a little ahead is accepted; the clock then lags the floor. */
  g_assert_true (offauth_terminal_load_bundle (w->terminal, newer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);
  w->now = TEST_NOW + 200 - OFFAUTH_CLOCK_SKEW - 1;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  req = offauth_terminal_create_request (w->terminal, 100, "EUR", &reason, &error);
  g_assert_null (req);
  g_assert_cmpint (reason, ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  g_clear_error (&error);
  test_world_reopen (w);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  test_world_free (w);
}

static void
test_derived_state (void)
{
  static const struct
  {
    const char *sql;
    const char *what;
  } cases[] = {
    { "UPDATE sales SET state = 2", "disagrees" },
    { "UPDATE negative SET credential_id = x'00112233445566778899aabbccddeeff'", "negative list" },
    { "UPDATE settings SET value = 4000000000 WHERE name = 'accepted_at'", "trusted time" },
    { "INSERT INTO settings (name, value) VALUES ('acquirer_time', 1)", "trusted time" },
    { "UPDATE settings SET value = 'evil' WHERE name = 'merchant_id'", "identity" },
    { "DELETE FROM settings WHERE name = 'merchant_id'", "enrollment" },
    { "UPDATE settings SET value = 0 WHERE name = 'cap_count'", "cap_count" },
    { "INSERT INTO category_floors (category, floor) VALUES ('beer', 1)", "category" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 first;
      TestWorld *w = world_with_sales (2, &first);
      OffauthCredential cred;

      g_test_message ("%s", cases[i].sql);
      test_credential (w, &cred);
      g_assert_true (offauth_terminal_add_negative (w->terminal, cred.credential_id, "test", &error));
      g_assert_true (offauth_terminal_accept_clock (w->terminal, &error));
      g_assert_true (offauth_terminal_set_category_floor (w->terminal, "wine=red", 300, &error));
      g_assert_no_error (error);
      test_world_reopen (w);
      tamper (w, cases[i].sql);
      expect_broken (w, cases[i].what);
      test_world_free (w);
    }
}

static void
test_enroll_once (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthTerminal *t;
  g_autofree gchar *db2 = g_strconcat (w->db_path, "-second", NULL);

  g_assert_false (offauth_terminal_enroll (w->terminal, w->bundle_text, "kiosk-9", NULL, NULL, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* A second database beside another terminal's key never takes that key over. */
  {
    g_autofree gchar *key2 = g_strconcat (db2, ".key", NULL);
    g_autoptr(OffauthSecretKey) k = test_key (6);
    g_assert_true (offauth_secret_key_save (k, key2, &error));
    t = test_terminal_open (db2, &w->now);
    g_assert_false (offauth_terminal_enroll (t, w->bundle_text, "kiosk-9", NULL, NULL, &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
    offauth_terminal_free (t);
  }
  /* test_world_free removes the second database and its key with the world's folder. */
  test_world_free (w);
}

static void
test_clock_accepted_once (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  w->now = TEST_NOW - 86400;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  g_assert_true (offauth_terminal_accept_clock (w->terminal, &error));
  g_assert_no_error (error);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);

  /* The acceptance covers that clock, not any clock after it. */
  w->now = TEST_NOW - 86400 - OFFAUTH_CLOCK_SKEW - 1;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  test_world_reopen (w);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  w->now = TEST_NOW - 86400 + 60;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

/* A wallet whose save fails keeps nothing of the payment it could not save: a retry signs
 * afresh and saves, and after a restart the next payment takes the next counter (a reused
 * counter would be a provable double spend at another kiosk). */
static void
test_wallet_failed_save (void)
{
  TestWorld *w = test_world_new ();
  g_autofree gchar *path = g_build_filename (w->dir, "payer.wallet", NULL);
  g_autoptr(OffauthWallet) wallet = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *cred_text = NULL, *req_text = NULL, *req2_text = NULL;
  g_autofree gchar *failed = NULL, *retried = NULL, *next = NULL;
  OffauthCredential cred;
  OffauthRequest req, req2;
  OffauthPayment p1, p2;
  struct rlimit old_limit, tiny = { 16, 16 };
  void (*old_handler) (int);

  wallet = offauth_wallet_create (path, &error);
  g_assert_no_error (error);
  test_credential (w, &cred);
  memcpy (cred.payer_public_key, offauth_wallet_public_key (wallet), OFFAUTH_PK_SIZE);
  test_credential_sign (w, &cred, w->issuer);
  cred_text = offauth_text_encode ('C', cred.raw, OFFAUTH_CREDENTIAL_SIZE);
  test_request (w, 500, &req);
  req_text = offauth_text_encode ('R', req.raw, OFFAUTH_REQUEST_SIZE);

  /* Any file write beyond 16 bytes fails with EFBIG, even for root. */
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  tiny.rlim_max = old_limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &tiny), ==, 0);
  failed = offauth_wallet_pay (wallet, cred_text, req_text, NULL, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_assert_null (failed);
  g_assert_nonnull (error);
  g_clear_error (&error);

  retried = offauth_wallet_pay (wallet, cred_text, req_text, &p1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p1.counter, ==, 1);
  g_clear_pointer (&wallet, offauth_wallet_free);

  wallet = offauth_wallet_open (path, &error);
  g_assert_no_error (error);
  test_request (w, 300, &req2);
  req2_text = offauth_text_encode ('R', req2.raw, OFFAUTH_REQUEST_SIZE);
  next = offauth_wallet_pay (wallet, cred_text, req2_text, &p2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p2.counter, ==, 2);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Offauth/Persist/restart", test_restart);
  g_test_add_func ("/Offauth/Persist/lock", test_lock);
  g_test_add_func ("/Offauth/Persist/hard-link", test_hard_link);
  g_test_add_func ("/Offauth/Persist/key-file", test_key_file);
  g_test_add_func ("/Offauth/Persist/edited-row", test_edited_row);
  g_test_add_func ("/Offauth/Persist/edited-sale", test_edited_sale);
  g_test_add_func ("/Offauth/Persist/edited-counters", test_edited_counters);
  g_test_add_func ("/Offauth/Persist/deleted-row", test_deleted_row);
  g_test_add_func ("/Offauth/Persist/deleted-sale", test_deleted_sale);
  g_test_add_func ("/Offauth/Persist/checkpoint", test_checkpoint);
  g_test_add_func ("/Offauth/Persist/stored-checkpoint", test_stored_checkpoint);
  g_test_add_func ("/Offauth/Persist/bundle-rollback", test_bundle_rollback);
  g_test_add_func ("/Offauth/Persist/revocation-rollback", test_revocation_rollback);
  g_test_add_func ("/Offauth/Persist/clock-behind-floor", test_clock_behind_floor);
  g_test_add_func ("/Offauth/Persist/clock-accepted-once", test_clock_accepted_once);
  g_test_add_func ("/Offauth/Persist/derived-state", test_derived_state);
  g_test_add_func ("/Offauth/Persist/enroll-once", test_enroll_once);
  g_test_add_func ("/Offauth/Persist/wallet-failed-save", test_wallet_failed_save);

  return g_test_run ();
}
