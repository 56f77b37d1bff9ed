/* test-online.c: online authorization without HTTP: online requests built by the engine,
 * decisions built and signed here with the wire encoder under an acquirer key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-online"

#include "config.h"

#include <string.h>

#include "testutil.h"

typedef struct
{
  TestWorld        *w;
  OffauthSecretKey *acquirer;
  OffauthCredential cred;
} Fixture;

static void
floor_500 (OffauthTerminalConfig *c)
{
  c->floor_limit = 500;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->w = test_world_new ();
  f->acquirer = test_key (0xac);
  /* 1000 per payment and offline in all, 3 offline payments. */
  test_credential (f->w, &f->cred);
  f->cred.per_payment_limit = 1000;
  f->cred.max_offline_count = 3;
  f->cred.offline_total_limit = 1000;
  test_credential_sign (f->w, &f->cred, f->w->issuer);
  test_world_config (f->w, floor_500);
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

/* A payment for a new request, decided offline; its text is returned. */
static gchar *
pay_offline (Fixture *f, guint64 amount, guint32 counter, OffauthDecision *d)
{
  OffauthRequest req;
  gchar *text;

  test_request (f->w, amount, &req);
  text = test_pay (f->w, &f->cred, &req, counter);
  offauth_terminal_authorize (f->w->terminal, text, -1, NULL, 0, d);
  return text;
}

/* A payment refused offline for `reason`, and its online request. */
static gchar *
online_request (Fixture *f, guint64 amount, guint32 counter, OffauthReason reason,
                gchar **payment_text)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  OffauthDecision d;
  gchar *o;

  text = pay_offline (f, amount, counter, &d);
  test_assert_reason (&d, reason);
  o = offauth_terminal_online_request (f->w->terminal, text, -1, NULL, 0, &d, &error);
  g_assert_no_error (error);
  g_assert_nonnull (o);
  if (payment_text != NULL)
    *payment_text = g_steal_pointer (&text);
  return o;
}

static guint64
journal_rows (Fixture *f)
{
  OffauthTerminalStatus st;
  guint64 rows;

  offauth_terminal_get_status (f->w->terminal, &st);
  rows = st.journal_rows;
  offauth_terminal_status_clear (&st);
  return rows;
}

static OffauthSaleInfo
sale_info (Fixture *f, guint64 seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = offauth_terminal_list_sales (f->w->terminal, FALSE, 0, &error);

  g_assert_no_error (error);
  for (guint k = 0; k < sales->len; k++)
    if (g_array_index (sales, OffauthSaleInfo, k).seq == seq)
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
  g_assert_cmpuint (bad, ==, 0);
  /* And the start-up check of a fresh open, too. */
  test_world_reopen (f->w);
}

/* An approval online: the request, the decision applied, the sale journaled with mode 1. */
static void
approve (Fixture *f, guint64 amount, guint32 counter, OffauthReason offline, OffauthDecision *d)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o = online_request (f, amount, counter, offline, NULL);
  g_autofree gchar *dtext = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now, NULL, 0);

  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 120, d, &error));
  g_assert_no_error (error);
  test_assert_reason (d, OFFAUTH_REASON_NONE);
  g_assert_true (d->approved);
  g_assert_false (d->already_recorded);
  g_assert_cmpint (d->mode, ==, OFFAUTH_MODE_ONLINE);
}

static void
test_online_request (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &text);
  g_autoptr(OffauthSecretKey) terminal = NULL;
  OffauthOnlineRequest req;
  OffauthTerminalStatus st;
  OffauthPayment p;
  gsize len;
  g_autofree guint8 *bin = offauth_text_decode (text, -1, 'P', &len, NULL);

  g_assert_true (offauth_payment_parse (&p, bin, len, NULL));
  g_assert_true (offauth_online_request_parse_text (&req, o, -1, &error));
  g_assert_no_error (error);
  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpmem (req.terminal_id, OFFAUTH_TERMINAL_ID_SIZE, st.terminal_id,
                   OFFAUTH_TERMINAL_ID_SIZE);
  /* Signed over TAG || the pinned acquirer's key id || body: bound to that acquirer. */
  g_assert_true (offauth_online_request_verify (&req, f->acquirer->pk, st.terminal_public_key));
  g_assert_false (offauth_online_request_verify (&req, f->w->stranger->pk, st.terminal_public_key));
  offauth_terminal_status_clear (&st);
  g_assert_cmpuint (req.created_at, ==, f->w->now);
  g_assert_cmpmem (req.payment.raw, OFFAUTH_PAYMENT_SIZE, p.raw, OFFAUTH_PAYMENT_SIZE);
}

/* Every reason the spec lets go online gives a request; none other does. */
static void
test_eligible (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o1 = NULL;
  g_autofree gchar *o2 = NULL;
  g_autofree gchar *o3 = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *text2 = NULL;
  g_autofree gchar *text3 = NULL;
  OffauthDecision d, approved, lie;

  o1 = online_request (f, 1500, 1, OFFAUTH_REASON_OVER_PAYMENT_LIMIT, NULL);
  o2 = online_request (f, 100, 4, OFFAUTH_REASON_OVER_OFFLINE_COUNT, NULL);
  text = pay_offline (f, 400, 1, &approved);
  g_assert_true (approved.approved);
  text2 = pay_offline (f, 450, 2, &d);
  g_assert_true (d.approved);
  o3 = online_request (f, 300, 3, OFFAUTH_REASON_OVER_OFFLINE_TOTAL, NULL);

  /* Refused for a reason that does not go online: counter 1 is used. */
  g_clear_pointer (&text, g_free);
  text = pay_offline (f, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_COUNTER_REUSED);
  g_assert_null (offauth_terminal_online_request (f->w->terminal, text, -1, NULL, 0, &d, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);
  /* Approved offline: nothing to take online. */
  g_assert_null (offauth_terminal_online_request (f->w->terminal, text2, -1, NULL, 0, &approved,
                                                  &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);

  /* A decision that is not this payment's: the checks run again and must agree. */
  text3 = pay_offline (f, 100, 5, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_OFFLINE_COUNT);
  lie = d;
  lie.reason = OFFAUTH_REASON_OVER_FLOOR_LIMIT;
  g_assert_null (offauth_terminal_online_request (f->w->terminal, text3, -1, NULL, 0, &lie, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
  g_clear_error (&error);
}

static void
floor_none_stale_200 (OffauthTerminalConfig *c)
{
  c->floor_limit = 0;
  c->stale_cap = 200;
}

static void
test_stale (Fixture *f, gconstpointer data)
{
  g_autofree gchar *o = NULL;
  OffauthDecision d;

  /* The list is past its next_update, the amount above the stale cap. */
  test_world_config (f->w, floor_none_stale_200);
  f->w->now += 2 * 86400;
  o = online_request (f, 300, 1, OFFAUTH_REASON_REVOCATION_STALE, NULL);
  approve (f, 250, 2, OFFAUTH_REASON_REVOCATION_STALE, &d);
}

static void
test_no_acquirer (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  OffauthDecision d;

  /* A terminal with no acquirer pinned has nobody to ask. */
  test_world_free (f->w);
  f->w = test_world_new ();
  test_world_config (f->w, floor_500);
  text = pay_offline (f, 800, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  g_assert_null (offauth_terminal_online_request (f->w->terminal, text, -1, NULL, 0, &d, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE);
}

/* Approved over the floor limit: journaled at once with mode 1, settled, waiting. */
static void
test_approve (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &text);
  g_autofree gchar *dtext = NULL;
  guint64 rows = journal_rows (f);
  OffauthTerminalStatus st;
  OffauthSaleInfo info;
  OffauthDecision d, again;

  /* A decision's acquirer_time a week ahead moves neither the floor nor the clock. */
  dtext = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now + 7 * 86400, NULL, 0);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 2999, &d, &error));
  g_assert_no_error (error);
  g_assert_true (d.approved);
  g_assert_cmpint (d.mode, ==, OFFAUTH_MODE_ONLINE);
  g_assert_cmpuint (d.sale_number, ==, rows + 1);
  g_assert_cmpuint (d.amount, ==, 800);
  g_assert_cmpuint (journal_rows (f), ==, rows + 1);

  info = sale_info (f, d.sale_number);
  g_assert_cmpint (info.mode, ==, OFFAUTH_MODE_ONLINE);
  g_assert_cmpint (info.state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_true (info.waiting);

  offauth_terminal_get_status (f->w->terminal, &st);
  g_assert_cmpuint (st.time_floor, <, f->w->now + 3600);
  g_assert_cmpint (st.state, ==, OFFAUTH_REASON_NONE);
  g_assert_cmpuint (st.unsettled_count, ==, 0);     /* offline sales only */
  g_assert_cmpuint (st.unsettled_total, ==, 0);
  g_assert_cmpuint (st.oldest_unsettled_time, ==, f->w->now);   /* waiting: online too */
  offauth_terminal_status_clear (&st);

  /* The same code scanned again: approved again, nothing recorded. */
  offauth_terminal_authorize (f->w->terminal, text, -1, NULL, 0, &again);
  g_assert_true (again.approved);
  g_assert_true (again.already_recorded);
  g_assert_cmpint (again.mode, ==, OFFAUTH_MODE_ONLINE);
  g_assert_cmpuint (again.sale_number, ==, d.sale_number);
  /* The same decision applied twice records nothing twice. */
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 10, &again, &error));
  g_assert_no_error (error);
  g_assert_true (again.already_recorded);
  g_assert_cmpuint (journal_rows (f), ==, rows + 1);
  assert_verifies (f);

  /* Upload overdue counts online sales: a day later the terminal is paused. */
  f->w->now += 24 * 3600 + 1;
  g_assert_cmpint (offauth_terminal_check_state (f->w->terminal, 1), ==,
                   OFFAUTH_REASON_UPLOAD_OVERDUE);
}

/* Online sales count in counter_reused, not in over_offline_count or over_offline_total. */
static void
test_counters (Fixture *f, gconstpointer data)
{
  g_autofree gchar *text = NULL;
  OffauthDecision d;

  approve (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &d);
  approve (f, 900, 2, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &d);
  /* The two online sales hold 1700 and counters 1, 2: offline, 1000 and 3 sales remain. */
  text = pay_offline (f, 100, 1, &d);
  test_assert_reason (&d, OFFAUTH_REASON_COUNTER_REUSED);
  g_clear_pointer (&text, g_free);
  text = pay_offline (f, 100, 2, &d);
  test_assert_reason (&d, OFFAUTH_REASON_COUNTER_REUSED);
  g_clear_pointer (&text, g_free);
  text = pay_offline (f, 500, 3, &d);
  test_assert_reason (&d, OFFAUTH_REASON_NONE);
  assert_verifies (f);
  /* Over the count by counter, and by this terminal's offline sales: online again. */
  approve (f, 200, 4, OFFAUTH_REASON_OVER_OFFLINE_COUNT, &d);
  assert_verifies (f);
}

/* Declined for the balance: nothing recorded, the cashier told why. */
static void
test_decline (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, NULL);
  g_autofree gchar *dtext = test_online_decision_text (f->acquirer, o, 2, 8, f->w->now, NULL, 0);
  guint64 rows = journal_rows (f);
  OffauthDecision d;

  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 50, &d, &error));
  g_assert_no_error (error);
  g_assert_false (d.approved);
  g_assert_true (d.declined_online);
  g_assert_cmpuint (d.online_reason, ==, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS);
  g_assert_cmpint (d.mode, ==, OFFAUTH_MODE_ONLINE);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  g_assert_cmpuint (d.amount, ==, 800);
  g_assert_cmpstr (offauth_online_decline_message (d.online_reason), ==,
                   "The payer's balance is too low.");
  g_assert_cmpstr (offauth_online_decline_next_step (d.online_reason), ==,
                   "Ask for another payment method.");
  g_assert_cmpuint (journal_rows (f), ==, rows);
  /* Every reason an online decline may carry has words of its own. */
  for (guint r = 1; r <= 12; r++)
    if (r != 7 && r != 9 && r != 10)
      g_assert_cmpstr (offauth_online_decline_message (r), !=, "The payment was declined online.");
  assert_verifies (f);
}

/* A decision that fails a check is discarded: the offline decision stands. */
static void
test_discarded (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSecretKey) other = test_key (0x0f);
  g_autofree gchar *text = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &text);
  g_autofree gchar *good = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now, NULL, 0);
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64 rows = journal_rows (f);
  struct { gchar *text; guint64 elapsed; gint code; const char *what; } cases[8];
  guint n = 0;
  OffauthDecision d;

  memset (sale_id, 0x5a, sizeof sale_id);
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (other, o, 1, 0, f->w->now, NULL, 0),
                                     10, OFFAUTH_ERROR_BAD_SIGNATURE, "wrong key" };
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (f->acquirer, o, 1, 0, f->w->now,
                                                                sale_id, 0),
                                     10, OFFAUTH_ERROR_UNTRUSTED, "wrong sale id" };
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (f->acquirer, o, 1, 0, f->w->now,
                                                                NULL, 799),
                                     10, OFFAUTH_ERROR_UNTRUSTED, "wrong amount" };
  cases[n++] = (typeof (cases[0])) { g_strdup (good), 3001, OFFAUTH_ERROR_STATE, "late" };
  /* (result, reason) pairs the spec does not allow. */
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (f->acquirer, o, 2, 7, f->w->now,
                                                                NULL, 0),
                                     10, OFFAUTH_ERROR_MALFORMED, "decline over_offline_limit" };
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (f->acquirer, o, 2, 0, f->w->now,
                                                                NULL, 0),
                                     10, OFFAUTH_ERROR_MALFORMED, "decline without reason" };
  cases[n++] = (typeof (cases[0])) { test_online_decision_text (f->acquirer, o, 1, 8, f->w->now,
                                                                NULL, 0),
                                     10, OFFAUTH_ERROR_MALFORMED, "approval with a reason" };
  cases[n++] = (typeof (cases[0])) { g_strdup ("OA1D.AAAA"), 10, OFFAUTH_ERROR_MALFORMED, "garbage" };

  for (guint i = 0; i < n; i++)
    {
      g_test_message ("%s", cases[i].what);
      memset (&d, 0x77, sizeof d);
      g_assert_false (offauth_terminal_online_apply (f->w->terminal, o, cases[i].text, -1,
                                                     cases[i].elapsed, &d, &error));
      g_assert_error (error, OFFAUTH_ERROR, cases[i].code);
      g_clear_error (&error);
      g_assert_cmpuint (journal_rows (f), ==, rows);
      g_free (cases[i].text);
    }
  /* The offline decision stands. */
  offauth_terminal_authorize (f->w->terminal, text, -1, NULL, 0, &d);
  test_assert_reason (&d, OFFAUTH_REASON_OVER_FLOOR_LIMIT);

  /* A request this terminal did not make for the pinned acquirer is not applied either. */
  {
    OffauthOnlineRequest req;
    g_autofree gchar *forged = NULL;
    g_assert_true (offauth_online_request_parse_text (&req, o, -1, NULL));
    offauth_online_request_sign (&req, f->acquirer->pk, other);
    forged = offauth_text_encode ('O', req.raw, OFFAUTH_ONLINE_REQUEST_SIZE);
    g_assert_false (offauth_terminal_online_apply (f->w->terminal, forged, good, -1, 10, &d,
                                                   &error));
    g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* The timeout is a setting; the good decision, in time, is applied. */
  g_assert_cmpuint (offauth_terminal_online_timeout (f->w->terminal), ==, 3000);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, good, -1, 3000, &d, &error));
  g_assert_no_error (error);
  g_assert_true (d.approved);
  assert_verifies (f);
}

/* An approval for a payment that no longer passes checks 1-7 (a new request superseded
 * its request meanwhile) is not journaled: the acquirer reverses it (PROTOCOL.md). */
static void
test_recheck (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, NULL);
  g_autofree gchar *dtext = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now, NULL, 0);
  OffauthRequest req;
  OffauthDecision d;
  guint64 rows;

  test_request (f->w, 100, &req);
  rows = journal_rows (f);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 10, &d, &error));
  g_assert_no_error (error);
  g_assert_false (d.approved);
  test_assert_reason (&d, OFFAUTH_REASON_REQUEST_SUPERSEDED);
  g_assert_cmpuint (journal_rows (f), ==, rows);
}

static void
timeout_5s (OffauthTerminalConfig *c)
{
  c->online_timeout = 5000;
}

static void
test_timeout_setting (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o = NULL;
  g_autofree gchar *dtext = NULL;
  OffauthDecision d;

  test_world_config (f->w, timeout_5s);
  assert_verifies (f);
  g_assert_cmpuint (offauth_terminal_online_timeout (f->w->terminal), ==, 5000);
  o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, NULL);
  dtext = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now, NULL, 0);
  g_assert_false (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 5001, &d, &error));
  g_clear_error (&error);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 4000, &d, &error));
  g_assert_no_error (error);
  g_assert_true (d.approved);
}

/* The commit's durability rules are the offline path's: no approval without it. */
static void
test_storage (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *o = online_request (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, NULL);
  g_autofree gchar *dtext = test_online_decision_text (f->acquirer, o, 1, 0, f->w->now, NULL, 0);
  sqlite3 *db = _offauth_terminal_get_db (f->w->terminal);
  guint64 rows = journal_rows (f);
  OffauthDecision d;

  g_assert_cmpint (sqlite3_exec (db, "PRAGMA query_only = 1", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 10, &d, &error));
  g_assert_no_error (error);
  g_assert_false (d.approved);
  test_assert_reason (&d, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  g_assert_false (d.outcome_unknown);   /* refused before COMMIT: nothing written */
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA query_only = 0", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpuint (journal_rows (f), ==, rows);
  g_assert_true (offauth_terminal_online_apply (f->w->terminal, o, dtext, -1, 10, &d, &error));
  g_assert_true (d.approved);
  assert_verifies (f);
}

/* The start-up check replays online records: D verified under the acquirer pinned at that
 * row (a later pin of another acquirer changes nothing), and a forged D is caught. */
static void
test_verify (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSecretKey) other = test_key (0x0f);
  OffauthDecision d;
  sqlite3 *db;
  sqlite3_stmt *s;
  guint8 prev[OFFAUTH_HASH_SIZE], h[OFFAUTH_HASH_SIZE];
  g_autofree guint8 *record = NULL;
  gsize len;
  guint64 bad = 0;

  approve (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &d);
  assert_verifies (f);
  g_assert_true (offauth_terminal_pin_acquirer (f->w->terminal, "http://127.0.0.1:9090",
                                                other->pk, &error));
  g_assert_no_error (error);
  assert_verifies (f);

  /* Rewrite the online row's D (its last signature byte) with a valid chain hash: the
   * record still parses, the sale row still matches, but D no longer verifies. */
  db = _offauth_terminal_get_db (f->w->terminal);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT record FROM journal WHERE seq = ?1", -1, &s,
                                       NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) d.sale_number);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  len = (gsize) sqlite3_column_bytes (s, 0);
  g_assert_cmpuint (len, ==, 482);
  record = g_memdup2 (sqlite3_column_blob (s, 0), len);
  sqlite3_finalize (s);
  record[len - 1] ^= 1;
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT hash FROM journal WHERE seq = ?1", -1, &s,
                                       NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) d.sale_number - 1);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  memcpy (prev, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  sqlite3_finalize (s);
  _offauth_chain_hash (h, d.sale_number, prev, record, len);
  /* Only the last row may change without breaking the next one's hash: drop the later pin. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "DELETE FROM journal WHERE seq > ?1", -1, &s, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) d.sale_number);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE journal SET record = ?2, hash = ?3 WHERE seq = ?1",
                                       -1, &s, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) d.sale_number);
  sqlite3_bind_blob (s, 2, record, (int) len, SQLITE_STATIC);
  sqlite3_bind_blob (s, 3, h, OFFAUTH_HASH_SIZE, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
  g_assert_false (offauth_terminal_verify (f->w->terminal, &bad, &error));
  g_assert_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED);
  g_assert_nonnull (strstr (error->message, "online sale"));
  g_assert_cmpuint (bad, ==, d.sale_number);
}

static OffauthVerdict
verdict (const OffauthDecision *d, guint8 state, guint8 reason, guint16 attempt)
{
  OffauthVerdict v = { .sale_seq = d->sale_number, .state = state, .reason = reason,
                       .attempt = attempt };

  memcpy (v.sale_id, d->sale_id, OFFAUTH_SALE_ID_SIZE);
  return v;
}

static void
sync_once (Fixture *f, const OffauthVerdict *v, guint n, OffauthSyncReport *report)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSync) sync = offauth_sync_new (f->w->terminal, &error);
  g_autofree gchar *u = offauth_sync_next_request (sync, 0, 0, &error);
  g_autoptr(OffauthSyncRequest) req = offauth_sync_request_parse_text (u, -1, NULL);
  g_autofree gchar *a = NULL;

  g_assert_no_error (error);
  a = test_answer_text (f->acquirer, u, req->first_seq + req->n_records - 1, NULL, f->w->now,
                        1, 0, v, n);
  g_assert_true (offauth_sync_apply_answer (sync, a, -1, report, &error));
  g_assert_no_error (error);
  g_assert_true (offauth_sync_is_done (sync));
}

/* The sync: an online sale's first verdict may change its provisional state; a second
 * change of a final state is refused as for any sale. */
static void
test_sync (Fixture *f, gconstpointer data)
{
  OffauthDecision s1, s2;
  OffauthVerdict v[2];
  OffauthSyncReport report;
  OffauthSaleInfo info;

  approve (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &s1);
  approve (f, 900, 2, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &s2);
  /* The first is settled (as it was, now for good); the second was reversed and then
   * settled afresh as a double spend of another terminal's sale. */
  v[0] = verdict (&s1, 1, 0, 1);
  v[1] = verdict (&s2, 2, 5, 1);
  sync_once (f, v, 2, &report);
  g_assert_cmpuint (report.n_applied, ==, 2);
  g_assert_cmpuint (report.n_refused, ==, 0);
  g_assert_cmpuint (report.n_blocked, ==, 1);
  offauth_sync_report_clear (&report);
  info = sale_info (f, s1.sale_number);
  g_assert_cmpint (info.state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_false (info.waiting);
  info = sale_info (f, s2.sale_number);
  g_assert_cmpint (info.state, ==, OFFAUTH_SALE_DECLINED);
  g_assert_cmpuint (info.reason, ==, OFFAUTH_SETTLE_DOUBLE_SPEND);
  assert_verifies (f);

  /* Their verdicts are final now: a change is refused and shown. */
  v[0] = verdict (&s1, 2, 5, 1);
  v[1] = verdict (&s2, 1, 0, 1);
  sync_once (f, v, 2, &report);
  g_assert_cmpuint (report.n_applied, ==, 0);
  g_assert_cmpuint (report.n_refused, ==, 2);
  offauth_sync_report_clear (&report);
  g_assert_cmpint (sale_info (f, s1.sale_number).state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_cmpint (sale_info (f, s2.sale_number).state, ==, OFFAUTH_SALE_DECLINED);
  assert_verifies (f);
}

/* A first verdict that leaves an online sale in state 3 (reversed, then short of funds). */
static void
test_sync_retry (Fixture *f, gconstpointer data)
{
  OffauthDecision s1;
  OffauthVerdict v;
  OffauthSyncReport report;

  approve (f, 800, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT, &s1);
  v = verdict (&s1, 3, 8, 1);
  v.retry_after = f->w->now + 3600;
  sync_once (f, &v, 1, &report);
  g_assert_cmpuint (report.n_applied, ==, 1);
  offauth_sync_report_clear (&report);
  g_assert_cmpint (sale_info (f, s1.sale_number).state, ==, OFFAUTH_SALE_RETRY);
  assert_verifies (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Offauth/Online/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("request", test_online_request);
  ADD ("eligible", test_eligible);
  ADD ("stale", test_stale);
  ADD ("no-acquirer", test_no_acquirer);
  ADD ("approve", test_approve);
  ADD ("counters", test_counters);
  ADD ("decline", test_decline);
  ADD ("discarded", test_discarded);
  ADD ("recheck", test_recheck);
  ADD ("timeout-setting", test_timeout_setting);
  ADD ("storage", test_storage);
  ADD ("verify", test_verify);
  ADD ("sync", test_sync);
  ADD ("sync-retry", test_sync_retry);
#undef ADD

  return g_test_run ();
}
