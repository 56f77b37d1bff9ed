/* test-decision.c: every reason code of the decision, from real signed messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

#include <sqlite3.h>

#include "testutil.h"

static void
test_approved (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d, again;
  g_autofree gchar *text = NULL;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = test_pay (w, &cred, &req, 1);
  g_assert_cmpuint (strlen (text), ==, OFFAUTH_PAYMENT_TEXT_LEN);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_assert_true (d.approved);
  g_assert_false (d.already_recorded);
  g_assert_cmpint (d.mode, ==, OFFAUTH_MODE_OFFLINE);
  g_assert_cmpuint (d.amount, ==, 450);
  g_assert_cmpstr (d.currency, ==, "EUR");
  g_assert_cmpuint (d.sale_number, >, 0);

  /* The scanner reads the code twice: the same sale, recorded once. */
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &again);
  g_assert_true (again.approved);
  g_assert_true (again.already_recorded);
  g_assert_cmpuint (again.sale_number, ==, d.sale_number);
  g_assert_cmpmem (again.journal_hash, 32, d.journal_hash, 32);
  g_assert_cmpmem (again.sale_id, 32, d.sale_id, 32);

  {
    OffauthTerminalStatus st;
    offauth_terminal_get_status (w->terminal, &st);
    g_assert_cmpuint (st.unsettled_count, ==, 1);
    g_assert_cmpuint (st.unsettled_total, ==, 450);
    g_assert_cmpuint (st.n_sales, ==, 1);
    offauth_terminal_status_clear (&st);
  }
  test_world_free (w);
}

static void
test_already_recorded_old (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req, next;
  OffauthDecision d;
  g_autofree gchar *text = NULL;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = test_pay (w, &cred, &req, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_true (d.approved);

  /* Another sale started: the old code shown again is refused, naming the first sale. */
  test_request (w, 300, &next);
  w->now += 60;
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_ALREADY_RECORDED);
  g_assert_false (d.approved);
  g_assert_cmpuint (d.amount, ==, 450);
  g_assert_cmpuint (d.time, ==, TEST_NOW);
  g_assert_cmpuint (d.sale_number, >, 0);
  test_world_free (w);
}

static void
test_not_enrolled (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = test_tmp_dir (NULL, "offauth-test");
  g_autofree gchar *path = g_build_filename (dir, "t.db", NULL);
  g_autofree gchar *req = NULL;
  OffauthTerminal *t;
  OffauthDecision d;
  OffauthReason reason = OFFAUTH_REASON_NONE;

  t = test_terminal_open (path, NULL);
  g_assert_cmpint (offauth_terminal_check_state (t, 0), ==, OFFAUTH_REASON_NOT_ENROLLED);
  req = offauth_terminal_create_request (t, 100, "EUR", &reason, &error);
  g_assert_null (req);
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_assert_cmpint (reason, ==, OFFAUTH_REASON_NOT_ENROLLED);
  offauth_terminal_authorize (t, "OA1P.garbage", -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NOT_ENROLLED);
  offauth_terminal_free (t);
  test_remove_dir (dir);
}

static void
test_bundle_expired (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d;
  g_autofree gchar *text = NULL;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = test_pay (w, &cred, &req, 1);
  w->now = w->bundle.expires_at + 1;
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_BUNDLE_EXPIRED);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_BUNDLE_EXPIRED);
  test_world_free (w);
}

static void
test_clock_untrusted (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);

  /* Behind the floor (the bundle's issued_at) by more than the skew. */
  w->now = w->bundle.issued_at - OFFAUTH_CLOCK_SKEW - 1;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  w->now = w->bundle.issued_at - OFFAUTH_CLOCK_SKEW;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);

  /* Behind the latest sale: the clock went backwards. */
  w->now = TEST_NOW;
  test_sale (w, &cred, 100, 1, &d);
  g_assert_true (d.approved);
  w->now = TEST_NOW - OFFAUTH_CLOCK_SKEW - 1;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_CLOCK_UNTRUSTED);

  /* The merchant accepts the clock: recorded, and it holds after a restart. */
  g_assert_true (offauth_terminal_accept_clock (w->terminal, &error));
  g_assert_no_error (error);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);
  test_world_reopen (w);
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
test_upload_overdue (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  test_sale (w, &cred, 100, 1, &d);
  g_assert_true (d.approved);
  w->now += OFFAUTH_DEFAULT_UPLOAD_DEADLINE;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_NONE);
  w->now += 1;
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_UPLOAD_OVERDUE);
  test_world_free (w);
}

static void
cap_two_sales (OffauthTerminalConfig *c)
{
  c->cap_count = 2;
  c->cap_total = 1000;
}

static void
test_over_terminal_cap (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d, again;
  OffauthReason reason;
  g_autofree gchar *text = NULL;
  g_autofree gchar *refused = NULL;

  test_world_config (w, cap_two_sales);
  test_credential (w, &cred);

  /* The value cap counts the amount being asked for. */
  refused = offauth_terminal_create_request (w->terminal, 1001, "EUR", &reason, &error);
  g_assert_null (refused);
  g_assert_cmpint (reason, ==, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  g_clear_error (&error);

  test_sale (w, &cred, 400, 1, &d);
  g_assert_true (d.approved);
  test_request (w, 500, &req);
  text = test_pay (w, &cred, &req, 2);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_true (d.approved);

  /* The count cap is reached: no new request, no new sale. */
  g_assert_cmpint (offauth_terminal_check_state (w->terminal, 0), ==, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  g_assert_null (offauth_terminal_create_request (w->terminal, 10, "EUR", &reason, &error));
  g_assert_cmpint (reason, ==, OFFAUTH_REASON_OVER_TERMINAL_CAP);

  /* But the sale that reached the cap, scanned again, is still the same sale. */
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &again);
  g_assert_true (again.approved);
  g_assert_true (again.already_recorded);
  g_assert_cmpuint (again.sale_number, ==, d.sale_number);
  test_world_free (w);
}

static void
test_malformed (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthPayment p;
  OffauthDecision d;
  g_autofree gchar *text = NULL;
  g_autofree gchar *truncated = NULL;
  g_autofree gchar *bad = NULL;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = offauth_payment_make (&cred, &req, 1, w->payer, &p);

  /* A scan cut short: the code could not be read. */
  truncated = g_strndup (text, 200);
  offauth_terminal_authorize (w->terminal, truncated, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_MALFORMED);
  g_assert_true (d.garbled);
  offauth_terminal_authorize (w->terminal, "", -1, NULL, 0, &d);
  g_assert_true (d.garbled);
  offauth_terminal_authorize (w->terminal, NULL, -1, NULL, 0, &d);
  g_assert_true (d.garbled);

  /* Decodes, but breaks a bound: counter 0. Malformed, not a bad scan. */
  p.counter = 0;
  offauth_payment_sign (&p, w->payer);
  bad = offauth_text_encode ('P', p.raw, OFFAUTH_PAYMENT_SIZE);
  offauth_terminal_authorize (w->terminal, bad, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_MALFORMED);
  g_assert_false (d.garbled);

  /* One trailing LF is allowed, as scanners send it. */
  {
    g_autofree gchar *lf = g_strconcat (text, "\n", NULL);
    offauth_terminal_authorize (w->terminal, lf, -1, NULL, 0, &d);
    test_assert_reason (&d, OFFAUTH_REASON_NONE);
  }
  test_world_free (w);
}

static void
test_bad_payer_signature (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d;
  g_autofree gchar *text = NULL;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  /* Someone who holds the credential but not the payer's key. */
  text = offauth_payment_make (&cred, &req, 1, w->stranger, NULL);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  test_world_free (w);
}

static void
deadline_week (OffauthTerminalConfig *c)
{
  c->upload_deadline = 7 * 86400;
}

static void
test_issuer_checks (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_world_config (w, deadline_week);

  /* A key nobody trusts. */
  test_credential (w, &cred);
  test_credential_sign (w, &cred, w->stranger);
  test_sale (w, &cred, 450, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY);

  /* The trusted key id, someone else's signature. */
  test_credential (w, &cred);
  offauth_credential_sign (&cred, w->stranger);
  test_sale (w, &cred, 450, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE);

  /* The second issuer key's window ends after two days. */
  test_credential (w, &cred);
  cred.not_after = TEST_NOW + 10 * 86400;
  test_credential_sign (w, &cred, w->issuer2);
  test_sale (w, &cred, 450, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  w->now = TEST_NOW + 2 * 86400 + 1;
  test_sale (w, &cred, 450, 2, &d);
  test_assert_reason (&d, OFFAUTH_REASON_ISSUER_KEY_EXPIRED);
  test_world_free (w);
}

static void
test_request_checks (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred, cred2;
  OffauthRequest r1, r2, forged;
  OffauthDecision d;
  g_autofree gchar *text = NULL;

  test_credential (w, &cred);
  test_credential (w, &cred2);

  /* A request of another kiosk of the same merchant, and of another merchant. */
  test_request (w, 450, &r1);
  forged = r1;
  forged.terminal_id[0] ^= 1;
  offauth_request_encode (&forged);
  text = test_pay (w, &cred, &forged, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_WRONG_TERMINAL);
  forged = r1;
  g_strlcpy (forged.merchant_id, "kiosk-2", sizeof forged.merchant_id);
  offauth_request_encode (&forged);
  g_free (text);
  text = test_pay (w, &cred, &forged, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_WRONG_TERMINAL);

  /* This kiosk's ids, a challenge it never issued. */
  test_request (w, 450, &r1);
  forged = r1;
  forged.challenge[5] ^= 0xff;
  offauth_request_encode (&forged);
  g_free (text);
  text = test_pay (w, &cred, &forged, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_UNKNOWN);

  /* The payer changed the amount of the issued request. */
  forged = r1;
  forged.amount = 1;
  offauth_request_encode (&forged);
  g_free (text);
  text = test_pay (w, &cred, &forged, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_MISMATCH);

  /* A newer request supersedes the first. */
  test_request (w, 300, &r2);
  g_free (text);
  text = test_pay (w, &cred, &r1, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_SUPERSEDED);

  /* Paid once; another credential cannot pay the same request again. */
  g_free (text);
  text = test_pay (w, &cred, &r2, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_free (text);
  text = test_pay (w, &cred2, &r2, 1);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_USED);

  /* Too old. */
  test_request (w, 300, &r1);
  w->now += OFFAUTH_DEFAULT_REQUEST_LIFETIME + 1;
  g_free (text);
  text = test_pay (w, &cred, &r1, 2);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_EXPIRED);

  test_world_free (w);
}

static void
test_credential_checks (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  cred.not_before = w->now + OFFAUTH_CLOCK_SKEW + 1;
  test_credential_sign (w, &cred, w->issuer);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NOT_YET_VALID);
  cred.not_before = w->now + OFFAUTH_CLOCK_SKEW;  /* within the tolerance */
  test_credential_sign (w, &cred, w->issuer);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);

  test_credential (w, &cred);
  cred.not_before = w->now - 86400;
  cred.not_after = w->now - 1;
  test_credential_sign (w, &cred, w->issuer);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_EXPIRED);

  test_credential (w, &cred);
  memcpy (cred.currency, "USD", 4);
  test_credential_sign (w, &cred, w->issuer);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_CURRENCY_MISMATCH);

  {
    g_autofree gchar *list = NULL;
    test_credential (w, &cred);
    list = test_revocations_text (w, w->issuer, 2, cred.credential_id, 1);
    g_assert_true (offauth_terminal_load_revocations (w->terminal, list, &error));
    g_assert_no_error (error);
    test_sale (w, &cred, 100, 1, &d);
    test_assert_reason (&d, OFFAUTH_REASON_REVOKED);
  }

  test_credential (w, &cred);
  g_assert_true (offauth_terminal_add_negative (w->terminal, cred.credential_id, "test", &error));
  g_assert_no_error (error);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NEGATIVE_LIST);

  test_credential (w, &cred);
  cred.scope = 7;
  test_credential_sign (w, &cred, w->issuer);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OUT_OF_SCOPE);
  test_world_free (w);
}

static void
scope_7 (OffauthTerminalConfig *c)
{
  c->scope = 7;
}

/* An issuer key restricted to scope 7: its credentials must carry scope 7. */
static void
test_key_scope (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthBundle b;
  OffauthCredential cred;
  OffauthDecision d;
  g_autofree gchar *text = NULL;

  test_bundle_init (w, &b, 2, TEST_NOW - 60, TEST_NOW + 30 * 86400);
  b.keys[1].scope = 7;
  text = test_bundle_sign (&b, w->root);
  g_assert_true (offauth_terminal_load_bundle (w->terminal, text, &error));
  g_assert_no_error (error);
  test_world_config (w, scope_7);

  test_credential (w, &cred);
  test_credential_sign (w, &cred, w->issuer2);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OUT_OF_SCOPE);
  cred.scope = 7;
  test_credential_sign (w, &cred, w->issuer2);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  /* The unscoped key's credentials of scope 0 go anywhere. */
  test_credential (w, &cred);
  test_sale (w, &cred, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
test_counter_reused (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  test_sale (w, &cred, 450, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  /* A wallet restored from a backup signs another payment with the same counter. */
  test_sale (w, &cred, 300, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_COUNTER_REUSED);
  test_sale (w, &cred, 300, 2, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
test_payer_limits (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  test_sale (w, &cred, 2001, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_PAYMENT_LIMIT);

  test_sale (w, &cred, 2000, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_sale (w, &cred, 2000, 2, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  /* 4000 spent of 5000. */
  test_sale (w, &cred, 1001, 3, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_OFFLINE_TOTAL);
  test_sale (w, &cred, 1000, 3, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);

  /* Counters are bounded by max_offline_count (5). */
  test_credential (w, &cred);
  test_sale (w, &cred, 10, 6, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_OFFLINE_COUNT);
  for (guint32 i = 1; i <= 5; i++)
    {
      test_sale (w, &cred, 10, i, &d);
      test_assert_reason (&d, OFFAUTH_REASON_NONE);
    }
  test_sale (w, &cred, 10, 6, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_OFFLINE_COUNT);
  test_world_free (w);
}

static void
test_revocation_stale (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthDecision d;

  test_credential (w, &cred);
  /* The list's next_update is a day after it was issued. */
  w->now += 86400 + 1;
  test_sale (w, &cred, OFFAUTH_DEFAULT_STALE_CAP + 1, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_REVOCATION_STALE);
  test_sale (w, &cred, OFFAUTH_DEFAULT_STALE_CAP, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
floor_1000 (OffauthTerminalConfig *c)
{
  c->floor_limit = 1000;
}

static void
test_floor_limits (void)
{
  g_autoptr(GError) error = NULL;
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d;
  g_autofree gchar *text = NULL;
  const OffauthSaleLine beer[] = { { "alcohol", 400 }, { "food", 300 }, { "alcohol", 200 } };
  const OffauthSaleLine snacks[] = { { "alcohol", 400 }, { "food", 500 } };

  test_world_config (w, floor_1000);
  test_credential (w, &cred);
  test_sale (w, &cred, 1001, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  test_sale (w, &cred, 1000, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);

  g_assert_true (offauth_terminal_set_category_floor (w->terminal, "alcohol", 500, &error));
  g_assert_no_error (error);
  test_request (w, 900, &req);
  text = test_pay (w, &cred, &req, 2);
  offauth_terminal_authorize (w->terminal, text, -1, beer, G_N_ELEMENTS (beer), &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  offauth_terminal_authorize (w->terminal, text, -1, snacks, G_N_ELEMENTS (snacks), &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
test_storage_unavailable (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthDecision d;
  g_autofree gchar *text = NULL;
  struct rlimit saved, full;

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = test_pay (w, &cred, &req, 1);

  /* A full disk: no file of this process may grow past 1 KiB, so the write-ahead log
   * cannot take the sale's frames and the commit fails for real. */
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  full = saved;
  full.rlim_cur = 1024;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &full), ==, 0);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_false (d.approved);
  /* The log's write failed at COMMIT: unknown by the protocol's rule, resolved below. */
  g_assert_true (d.outcome_unknown);

  /* Space again: the same payment goes through, once. */
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  g_assert_false (d.already_recorded);
  test_world_reopen (w);
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  g_assert_true (d.already_recorded);
  test_world_free (w);
}

/* Every single bit of a payment flipped: never an approval. */
static void
test_flipped_bits (void)
{
  TestWorld *w = test_world_new ();
  OffauthCredential cred;
  OffauthRequest req;
  OffauthPayment p;
  OffauthDecision d;
  g_autofree gchar *text = NULL;
  guint counts[OFFAUTH_N_REASONS] = { 0 };

  test_credential (w, &cred);
  test_request (w, 450, &req);
  text = offauth_payment_make (&cred, &req, 1, w->payer, &p);
  for (guint bit = 0; bit < OFFAUTH_PAYMENT_SIZE * 8; bit++)
    {
      guint8 raw[OFFAUTH_PAYMENT_SIZE];
      g_autofree gchar *flipped = NULL;

      memcpy (raw, p.raw, sizeof raw);
      raw[bit / 8] ^= (guint8) (1u << (bit % 8));
      flipped = offauth_text_encode ('P', raw, sizeof raw);
      offauth_terminal_authorize (w->terminal, flipped, -1, NULL, 0, &d);
      if (d.approved)
        g_error ("bit %u flipped was approved", bit);
      counts[d.reason]++;
    }
  /* The text form too: every character changed to another base64url character. */
  for (gsize i = 0; i < strlen (text); i++)
    {
      g_autofree gchar *changed = g_strdup (text);
      changed[i] = changed[i] == 'A' ? 'B' : 'A';
      offauth_terminal_authorize (w->terminal, changed, -1, NULL, 0, &d);
      if (d.approved)
        g_error ("character %" G_GSIZE_FORMAT " changed was approved", i);
    }
  g_assert_cmpuint (counts[OFFAUTH_REASON_MALFORMED] + counts[OFFAUTH_REASON_BAD_PAYER_SIGNATURE], ==,
                    OFFAUTH_PAYMENT_SIZE * 8);
  /* The untouched payment still goes through. */
  offauth_terminal_authorize (w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  test_world_free (w);
}

static void
test_messages (void)
{
  for (guint r = 0; r < OFFAUTH_N_REASONS; r++)
    {
      g_assert_cmpint (offauth_reason_from_code (offauth_reason_code (r)), ==, r);
      g_assert_nonnull (offauth_reason_message (r));
      if (r != OFFAUTH_REASON_NONE)
        g_assert_nonnull (offauth_reason_next_step (r));
      if (offauth_reason_is_terminal_state (r))
        g_assert_nonnull (offauth_reason_detail (r));
    }
  g_assert_cmpint (offauth_reason_from_code ("no_such_code"), ==, OFFAUTH_N_REASONS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Offauth/Decision/approved", test_approved);
  g_test_add_func ("/Offauth/Decision/already-recorded", test_already_recorded_old);
  g_test_add_func ("/Offauth/Decision/not-enrolled", test_not_enrolled);
  g_test_add_func ("/Offauth/Decision/bundle-expired", test_bundle_expired);
  g_test_add_func ("/Offauth/Decision/clock-untrusted", test_clock_untrusted);
  g_test_add_func ("/Offauth/Decision/upload-overdue", test_upload_overdue);
  g_test_add_func ("/Offauth/Decision/over-terminal-cap", test_over_terminal_cap);
  g_test_add_func ("/Offauth/Decision/malformed", test_malformed);
  g_test_add_func ("/Offauth/Decision/bad-payer-signature", test_bad_payer_signature);
  g_test_add_func ("/Offauth/Decision/issuer", test_issuer_checks);
  g_test_add_func ("/Offauth/Decision/request", test_request_checks);
  g_test_add_func ("/Offauth/Decision/credential", test_credential_checks);
  g_test_add_func ("/Offauth/Decision/key-scope", test_key_scope);
  g_test_add_func ("/Offauth/Decision/counter-reused", test_counter_reused);
  g_test_add_func ("/Offauth/Decision/payer-limits", test_payer_limits);
  g_test_add_func ("/Offauth/Decision/revocation-stale", test_revocation_stale);
  g_test_add_func ("/Offauth/Decision/floor-limits", test_floor_limits);
  g_test_add_func ("/Offauth/Decision/storage-unavailable", test_storage_unavailable);
  g_test_add_func ("/Offauth/Decision/flipped-bits", test_flipped_bits);
  g_test_add_func ("/Offauth/Decision/messages", test_messages);

  return g_test_run ();
}
