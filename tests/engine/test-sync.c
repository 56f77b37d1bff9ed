/* test-sync.c: the terminal's side of reconciliation without HTTP: requests built by the
 * engine, answers built and signed here with the wire encoders under an acquirer key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-sync"

#include "config.h"

#include <string.h>

#include "testutil.h"

typedef struct
{
  TestWorld        *w;
  OffauthSecretKey *acquirer;
  OffauthCredential cred;
  OffauthDecision   sales[8];
  guint             n_sales;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->w = test_world_new ();
  f->acquirer = test_key (0xac);
  test_credential (f->w, &f->cred);
  f->cred.max_offline_count = 50;
  f->cred.offline_total_limit = 100000;
  test_credential_sign (f->w, &f->cred, f->w->issuer);
  g_assert_true (offauth_terminal_pin_acquirer (f->w->terminal, "http://127.0.0.1:8080",
                                                f->acquirer->pk, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  offauth_secret_key_free (f->acquirer);
  test_world_free (f->w);
}

static void
sell (Fixture *f, guint64 amount)
{
  OffauthDecision *d = &f->sales[f->n_sales];

  test_sale (f->w, &f->cred, amount, f->n_sales + 1, d);
  test_assert_reason (d, OFFAUTH_REASON_NONE);
  f->n_sales++;
}

static OffauthVerdict
verdict (const OffauthDecision *d, guint8 state, guint8 reason, guint16 attempt, guint64 retry_after)
{
  OffauthVerdict v = { .sale_seq = d->sale_number, .state = state, .reason = reason,
                       .attempt = attempt, .retry_after = retry_after };

  memcpy (v.sale_id, d->sale_id, OFFAUTH_SALE_ID_SIZE);
  return v;
}

static guint64
request_last_row (const char *text)
{
  g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse_text (text, -1, NULL);

  g_assert_nonnull (u);
  return u->first_seq + u->n_records - 1;
}

static OffauthSaleInfo
sale_info (Fixture *f, guint i)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = offauth_terminal_list_sales (f->w->terminal, FALSE, 0, &error);

  g_assert_no_error (error);
  for (guint k = 0; k < sales->len; k++)
    if (g_array_index (sales, OffauthSaleInfo, k).seq == f->sales[i].sale_number)
      return g_array_index (sales, OffauthSaleInfo, k);
  g_assert_not_reached ();
}

static void
assert_verifies (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  guint64 bad = 0;

  g_assert_true (offauth_terminal_verify (f->w->terminal, &bad, &error));
  g_assert_no_error (error);
  /* And the start-up check of a fresh open, too. */
  test_world_reopen (f->w);
}

/* One sync: every row acknowledged, every sale settled. */
static void
sync_all (Fixture *f, guint8 state, guint8 reason, guint16 attempt, guint64 retry_after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSync) sync = offauth_sync_new (f->w->terminal, &error);
  g_autofree gchar *u = offauth_sync_next_request (sync, 0, 0, &error);
  g_autofree gchar *a = NULL;
  OffauthVerdict v[8];
  OffauthSyncReport report;
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < f->n_sales; i++)
    if (offauth_terminal_get_acked_seq (f->w->terminal) < f->sales[i].sale_number)
      v[n++] = verdict (&f->sales[i], state, reason, attempt, retry_after);
  a = test_answer_text (f->acquirer, u, request_last_row (u), NULL, f->w->now, 1, 0, v, n);
  g_assert_true (offauth_sync_apply_answer (sync, a, -1, &report, &error));
  g_assert_no_error (error);
  g_assert_true (offauth_sync_is_done (sync));
  offauth_sync_report_clear (&report);
}

static void
test_pin (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *url = NULL;

  g_assert_false (offauth_terminal_pin_acquirer (f->w->terminal, "http://acquirer.example",
                                                 f->acquirer->pk, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (offauth_terminal_pin_acquirer (f->w->terminal, "ftp://x",
                                                 f->acquirer->pk, &error));
  g_clear_error (&error);
  g_assert_true (offauth_terminal_pin_acquirer (f->w->terminal, "https://acquirer.example",
                                                f->acquirer->pk, &error));
  g_assert_true (offauth_terminal_get_acquirer (f->w->terminal, &url, NULL));
  g_assert_cmpstr (url, ==, "https://acquirer.example");
  assert_verifies (f);
  g_assert_true (offauth_terminal_get_acquirer (f->w->terminal, NULL, NULL));
}

static void
test_settle (Fixture *f, gconstpointer data)
{
  OffauthTerminalStatus st;

  sell (f, 100);
  sell (f, 200);
  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpuint (st.unsettled_count, ==, 2);
  offauth_terminal_status_clear (&st);
  sync_all (f, 1, 0, 1, 0);
  g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_cmpint (sale_info (f, 1).state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_false (sale_info (f, 1).waiting);
  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpuint (st.unsettled_count, ==, 0);
  g_assert_cmpuint (st.unsettled_total, ==, 0);
  offauth_terminal_status_clear (&st);
  assert_verifies (f);
  g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_SETTLED);
  /* A sale after the sync waits; the next sync carries only it. */
  sell (f, 300);
  sync_all (f, 1, 0, 1, 0);
  g_assert_cmpint (sale_info (f, 2).state, ==, OFFAUTH_SALE_SETTLED);
  assert_verifies (f);
}

/* Each acceptance rule: a refused answer changes nothing. */
static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSync) sync = NULL;
  g_autoptr(OffauthSecretKey) other = test_key (0x0f);
  g_autofree gchar *u1 = NULL;
  g_autofree gchar *u = NULL;
  OffauthVerdict v[2], bad;
  guint8 zero[OFFAUTH_HASH_SIZE] = { 0 };
  guint64 last;
  struct { gchar *text; const char *what; } cases[8];
  guint n = 0;

  sell (f, 100);
  sell (f, 200);
  sync = offauth_sync_new (f->w->terminal, &error);
  g_assert_no_error (error);
  g_assert_null (offauth_sync_new (f->w->terminal, &error));   /* one at a time */
  g_clear_error (&error);
  u1 = offauth_sync_next_request (sync, 0, 0, &error);
  f->w->now++;   /* another created_at: another request */
  u = offauth_sync_next_request (sync, 0, 0, &error);
  last = request_last_row (u);
  v[0] = verdict (&f->sales[0], 1, 0, 1, 0);
  v[1] = verdict (&f->sales[1], 1, 0, 1, 0);
  cases[n++] = (typeof (cases[0])) { test_answer_text (other, u, last, NULL, f->w->now, 1, 0, v, 2),
                                     "signature" };
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u1, last, NULL, f->w->now, 1, 0, v, 2),
                                     "another request" };
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u, last, zero, f->w->now, 1, 0, v, 2),
                                     "h_acked" };
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u, last, NULL, f->w->now, 1, 0, v, 1),
                                     "without its verdict" };
  bad = v[1];
  bad.sale_id[0] ^= 1;
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u, last, NULL, f->w->now, 1, 0,
                                                       (OffauthVerdict[]) { v[0], bad }, 2),
                                     "not a sale" };
  bad = v[0];
  bad.sale_seq = 1;   /* the enrollment row: not a sale */
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u, last, NULL, f->w->now, 1, 0,
                                                       &bad, 1),
                                     "not a sale" };
  /* Beside the valid verdicts of both sales, one for the row before the first sale (the
   * acquirer pinned, kind 10): the whole answer is refused, neither sale changes. */
  bad = v[0];
  bad.sale_seq = f->sales[0].sale_number - 1;
  bad.sale_id[0] ^= 1;   /* the encoder takes one verdict per sale id */
  cases[n++] = (typeof (cases[0])) { test_answer_text (f->acquirer, u, last, NULL, f->w->now, 1, 0,
                                                       (OffauthVerdict[]) { bad, v[0], v[1] }, 3),
                                     "not a sale" };
  for (guint i = 0; i < n; i++)
    {
      if (offauth_sync_apply_answer (sync, cases[i].text, -1, NULL, &error))
        g_error ("case %u (%s) was accepted", i, cases[i].what);
      if (strstr (error->message, cases[i].what) == NULL)
        g_error ("case %u: '%s' does not say '%s'", i, error->message, cases[i].what);
      g_clear_error (&error);
      g_assert_cmpuint (offauth_terminal_get_acked_seq (f->w->terminal), ==, 0);
      g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_WAITING);
      g_free (cases[i].text);
    }
  /* Another terminal's answer: a world of its own signs for its terminal id. */
  {
    g_autoptr(OffauthSyncRequest) parsed = offauth_sync_request_parse_text (u, -1, NULL);
    g_assert_nonnull (parsed);
  }
  g_assert_false (offauth_sync_apply_answer (sync, "OA1A.garbage", -1, NULL, &error));
  g_clear_error (&error);
  /* The right answer is still accepted. */
  {
    g_autofree gchar *a = test_answer_text (f->acquirer, u, last, NULL, f->w->now, 1, 0, v, 2);
    g_assert_true (offauth_sync_apply_answer (sync, a, -1, NULL, &error));
    g_assert_no_error (error);
  }
  g_clear_pointer (&sync, offauth_sync_free);
  assert_verifies (f);
}

/* A final sale is not changed, only reported; a lower acked_seq makes sales wait again. */
static void
test_final_and_lower_ack (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminalStatus st;

  sell (f, 100);
  sell (f, 200);
  sync_all (f, 1, 0, 1, 0);
  {
    g_autoptr(OffauthSync) sync = offauth_sync_new (f->w->terminal, &error);
    g_autofree gchar *u = offauth_sync_next_request (sync, 0, 0, &error);
    guint64 lower = f->sales[0].sale_number;
    OffauthVerdict v = verdict (&f->sales[0], 2, 5, 1, 0);
    g_autofree gchar *a = NULL;
    OffauthSyncReport report;
    g_autoptr(OffauthSyncRequest) parsed = offauth_sync_request_parse_text (u, -1, NULL);
    guint8 h[OFFAUTH_HASH_SIZE];
    gboolean found;
    sqlite3 *db = _offauth_terminal_get_db (f->w->terminal);
    sqlite3_stmt *s = NULL;

    /* The state rows the last sync journaled go with this one. */
    g_assert_cmpuint (parsed->n_records, ==, 3);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT hash FROM journal WHERE seq = ?1", -1, &s, NULL), ==, 0);
    sqlite3_bind_int64 (s, 1, (sqlite3_int64) lower);
    found = sqlite3_step (s) == SQLITE_ROW;
    g_assert_true (found);
    memcpy (h, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
    sqlite3_finalize (s);
    a = test_answer_text (f->acquirer, u, lower, h, f->w->now, 1, 0, &v, 1);
    g_assert_true (offauth_sync_apply_answer (sync, a, -1, &report, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (report.n_refused, ==, 1);
    g_assert_nonnull (report.refused);
    offauth_sync_report_clear (&report);
    g_assert_false (offauth_sync_is_done (sync));
  }
  g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_true (sale_info (f, 1).waiting);
  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpuint (st.unsettled_count, ==, 1);
  offauth_terminal_status_clear (&st);
  assert_verifies (f);
  /* The next sync resends from there; the settled verdict again changes nothing. */
  sync_all (f, 1, 0, 1, 0);
  g_assert_false (sale_info (f, 1).waiting);
  assert_verifies (f);
}

static void
set_caps (OffauthTerminalConfig *c)
{
  c->cap_count = 2;
}

/* Caps and upload_overdue count waiting sales: a sync unblocks a paused kiosk. */
static void
test_unblock (Fixture *f, gconstpointer data)
{
  test_world_config (f->w, set_caps);
  sell (f, 100);
  sell (f, 200);
  g_assert_cmpint (offauth_terminal_check_state (f->w->terminal, 100), ==,
                   OFFAUTH_REASON_OVER_TERMINAL_CAP);
  f->w->now += 25 * 3600;
  g_assert_cmpint (offauth_terminal_check_state (f->w->terminal, 100), ==,
                   OFFAUTH_REASON_UPLOAD_OVERDUE);
  sync_all (f, 3, 8, 1, f->w->now + 3600);   /* declined late, retryable: still acknowledged */
  g_assert_cmpint (offauth_terminal_check_state (f->w->terminal, 100), ==, OFFAUTH_REASON_NONE);
  assert_verifies (f);
}

/* Hard declines block the credential; retries are asked; closes are journaled. */
static void
test_declines_retry_close (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  OffauthTerminalStatus st;

  sell (f, 100);
  sell (f, 200);
  sell (f, 300);
  {
    g_autoptr(OffauthSync) sync = offauth_sync_new (f->w->terminal, &error);
    g_autofree gchar *u = offauth_sync_next_request (sync, 0, 0, &error);
    OffauthVerdict v[3] = {
      verdict (&f->sales[0], 2, 5, 1, 0),
      verdict (&f->sales[1], 3, 8, 1, f->w->now + 3600),
      verdict (&f->sales[2], 3, 8, 1, f->w->now + 3600),
    };
    g_autofree gchar *a = test_answer_text (f->acquirer, u, request_last_row (u), NULL, f->w->now,
                                            3, 0, v, 3);
    OffauthSyncReport report;

    g_assert_true (offauth_sync_apply_answer (sync, a, -1, &report, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (report.n_blocked, ==, 1);
    g_assert_cmpuint (report.n_applied, ==, 3);
    g_assert_true (report.journaled_sync);
    offauth_sync_report_clear (&report);
  }
  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpuint (st.n_negative, ==, 1);
  offauth_terminal_status_clear (&st);
  g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_DECLINED);
  g_assert_cmpint (sale_info (f, 1).state, ==, OFFAUTH_SALE_RETRY);
  /* Close the declined one (written off) and withdraw a retryable one. */
  g_assert_true (offauth_terminal_close_sale (f->w->terminal, f->sales[0].sale_number,
                                              OFFAUTH_SALE_WRITTEN_OFF, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sale_info (f, 0).state, ==, OFFAUTH_SALE_WRITTEN_OFF);
  g_assert_true (offauth_terminal_close_sale (f->w->terminal, f->sales[2].sale_number,
                                              OFFAUTH_SALE_COLLECTED_OTHERWISE, &error));
  g_assert_cmpint (sale_info (f, 2).state, ==, OFFAUTH_SALE_CLOSING);
  g_assert_false (offauth_terminal_ask_retry (f->w->terminal, f->sales[2].sale_number, &error));
  g_clear_error (&error);
  g_assert_false (offauth_terminal_close_sale (f->w->terminal, f->sales[2].sale_number,
                                               OFFAUTH_SALE_WRITTEN_OFF, &error));
  g_clear_error (&error);
  g_assert_true (offauth_terminal_ask_retry (f->w->terminal, f->sales[1].sale_number, &error));
  g_assert_true (sale_info (f, 1).retry_asked);
  assert_verifies (f);   /* a restart in the middle: the ask is kept */
  g_assert_true (sale_info (f, 1).retry_asked);
  {
    g_autoptr(OffauthSync) sync = offauth_sync_new (f->w->terminal, &error);
    g_autofree gchar *u = offauth_sync_next_request (sync, 0, 0, &error);
    g_autoptr(OffauthSyncRequest) parsed = offauth_sync_request_parse_text (u, -1, NULL);
    OffauthVerdict v[2] = {
      verdict (&f->sales[1], 1, 0, 1, 0),
      verdict (&f->sales[2], 2, 10, 1, 0),
    };
    g_autofree gchar *a = test_answer_text (f->acquirer, u, request_last_row (u), NULL, f->w->now,
                                            5, 0, v, 2);

    g_assert_cmpuint (parsed->n_asks, ==, 1);
    g_assert_cmpuint (parsed->asks[0], ==, f->sales[1].sale_number);
    g_assert_true (offauth_sync_apply_answer (sync, a, -1, NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (sale_info (f, 1).state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_false (sale_info (f, 1).retry_asked);
  g_assert_cmpint (sale_info (f, 2).state, ==, OFFAUTH_SALE_COLLECTED_OTHERWISE);
  g_assert_cmpuint (sale_info (f, 2).reason, ==, OFFAUTH_SETTLE_WITHDRAWN);
  assert_verifies (f);
}

/* Paging: bounded requests, and a sale made during the sync goes with the next one. */
static void
test_paging (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSync) sync = NULL;
  guint rounds = 0;

  sell (f, 100);
  sell (f, 200);
  sync = offauth_sync_new (f->w->terminal, &error);
  sell (f, 300);
  while (!offauth_sync_is_done (sync))
    {
      g_autofree gchar *u = offauth_sync_next_request (sync, 4, 0, &error);
      g_autofree gchar *a = NULL;
      g_autoptr(OffauthSyncRequest) parsed = offauth_sync_request_parse_text (u, -1, NULL);
      OffauthVerdict v[4];
      guint n = 0;

      g_assert_cmpuint (parsed->n_records, <=, 4);
      for (guint i = 0; i < 2; i++)
        if (f->sales[i].sale_number >= parsed->first_seq &&
            f->sales[i].sale_number < parsed->first_seq + parsed->n_records)
          v[n++] = verdict (&f->sales[i], 1, 0, 1, 0);
      a = test_answer_text (f->acquirer, u, request_last_row (u), NULL, f->w->now, rounds, 0, v, n);
      g_assert_true (offauth_sync_apply_answer (sync, a, -1, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (++rounds, <, 100);
    }
  g_assert_cmpuint (rounds, >, 1);
  g_assert_true (sale_info (f, 2).waiting);
  g_assert_false (sale_info (f, 1).waiting);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/Offauth/Sync/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("pin", test_pin);
  ADD ("settle", test_settle);
  ADD ("refusals", test_refusals);
  ADD ("final-and-lower-ack", test_final_and_lower_ack);
  ADD ("unblock", test_unblock);
  ADD ("declines-retry-close", test_declines_retry_close);
  ADD ("paging", test_paging);
  return g_test_run ();
}
