/* test-migrate.c: a terminal database made by the first release opens after the upgrade.
 *
 * tests/engine/fixtures/terminal-v1.db was made by make-fixture.sh with the tools of
 * schema version 1 (sale states numbered 0 queued, 1 uploading, 2 approved, ...). A copy
 * is opened (migrated), verified, and sells again; the copy's schema is version 2.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-migrate"

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "testutil.h"

/* make-fixture.sh's clock: enrolled at this time, three sales 60 s apart after it. */
#define FIXTURE_NOW 1750000000

static gchar *
copy_fixture (const char *dir,
              const char *name)
{
  g_autofree gchar *from = g_build_filename (FIXTURE_DIR, name, NULL);
  gchar *to = g_build_filename (dir, name, NULL);
  g_autofree gchar *contents = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents_full (to, contents, (gssize) len, G_FILE_SET_CONTENTS_NONE,
                                           0600, &error));
  g_assert_no_error (error);
  return to;
}

static guint64
schema_version (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  guint64 version = 0;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT value FROM settings WHERE name = 'schema_version'",
                                       -1, &s, NULL), ==, SQLITE_OK);
  if (sqlite3_step (s) == SQLITE_ROW)
    version = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  sqlite3_close (db);
  return version;
}

static void
test_fixture_upgrades (void)
{
  g_autofree gchar *dir = test_tmp_dir (NULL, "test-migrate");
  g_autofree gchar *db_path = copy_fixture (dir, "terminal-v1.db");
  g_autofree gchar *key_path = copy_fixture (dir, "terminal-v1.db.key");
  g_autofree gchar *wallet_path = copy_fixture (dir, "payer.wallet");
  g_autofree gchar *cred_path = g_build_filename (FIXTURE_DIR, "credential.txt", NULL);
  g_autofree gchar *cred_text = NULL;
  g_autofree gchar *request = NULL;
  g_autofree gchar *payment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthWallet) wallet = NULL;
  OffauthTerminalStatus st;
  OffauthDecision d;
  OffauthReason reason;
  guint64 now = FIXTURE_NOW + 3600, bad_seq = 0;

  g_assert_cmpuint (schema_version (db_path), ==, 1);
  {
    g_autoptr(OffauthTerminal) t = test_terminal_open (db_path, &now);

    g_assert_cmpuint (schema_version (db_path), ==, 2);
    g_assert_true (offauth_terminal_verify (t, &bad_seq, &error));
    g_assert_no_error (error);
    offauth_terminal_get_status (t, &st);
    g_assert_true (st.enrolled);
    g_assert_cmpstr (st.merchant_id, ==, "fixture-1");
    g_assert_cmpuint (st.n_sales, ==, 3);
    g_assert_cmpuint (st.unsettled_count, ==, 3);
    g_assert_cmpuint (st.unsettled_total, ==, 450 + 1200 + 300);
    g_assert_cmpuint (st.oldest_unsettled_time, ==, FIXTURE_NOW + 60);
    g_assert_cmpuint (st.n_negative, ==, 1);
    g_assert_cmpint (st.state, ==, OFFAUTH_REASON_NONE);
    offauth_terminal_status_clear (&st);

    /* It sells, with the payer's fourth payment. */
    g_assert_true (g_file_get_contents (cred_path, &cred_text, NULL, &error));
    wallet = offauth_wallet_open (wallet_path, &error);
    g_assert_no_error (error);
    request = offauth_terminal_create_request (t, 500, "EUR", &reason, &error);
    g_assert_no_error (error);
    g_assert_nonnull (request);
    payment = offauth_wallet_pay (wallet, g_strstrip (cred_text), request, NULL, &error);
    g_assert_no_error (error);
    offauth_terminal_authorize (t, payment, -1, NULL, 0, &d);
    test_assert_reason (&d, OFFAUTH_REASON_NONE);
    g_assert_true (d.approved);
  }
  /* And opens again, already upgraded, with its four sales. */
  {
    g_autoptr(OffauthTerminal) t = test_terminal_open (db_path, &now);

    offauth_terminal_get_status (t, &st);
    g_assert_cmpuint (st.n_sales, ==, 4);
    g_assert_cmpuint (st.unsettled_total, ==, 450 + 1200 + 300 + 500);
    offauth_terminal_status_clear (&st);
  }
  g_assert_cmpuint (schema_version (db_path), ==, 2);
  test_remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Offauth/Migrate/fixture-v1", test_fixture_upgrades);
  return g_test_run ();
}
