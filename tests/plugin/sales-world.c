/* sales-world.c: a terminal with a settled sale, two late declines of each kind and a sale
 * still waiting, for the status view's tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <string.h>

#include "sales-world.h"

static OffauthVerdict
verdict (const OffauthDecision *d, guint8 state, guint8 reason, guint64 retry_after)
{
  OffauthVerdict v = { .sale_seq = d->sale_number, .state = state, .reason = reason,
                       .attempt = 1, .retry_after = retry_after };

  memcpy (v.sale_id, d->sale_id, OFFAUTH_SALE_ID_SIZE);
  return v;
}

TestWorld *
sales_world_new (OffauthDecision sales[N_SALES])
{
  static const guint64 amounts[N_SALES] = { 450, 1200, 800, 300, 250 };
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSync) sync = NULL;
  g_autofree gchar *u = NULL;
  g_autofree gchar *a = NULL;
  g_autoptr(OffauthSyncRequest) parsed = NULL;
  TestWorld *w = test_world_new ();   /* first: it initialises libsodium */
  OffauthSecretKey *acquirer = test_key (0xac);
  OffauthCredential cred, other;
  OffauthVerdict v[4];

  test_credential (w, &cred);
  cred.max_offline_count = 50;
  cred.offline_total_limit = 100000;
  test_credential_sign (w, &cred, w->issuer);
  /* The double spend blocks cred: the sale after the sync is another payer's. */
  test_credential (w, &other);
  test_credential_sign (w, &other, w->issuer);
  g_assert_true (offauth_terminal_pin_acquirer (w->terminal, "http://127.0.0.1:8080",
                                                acquirer->pk, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < SALE_WAITING; i++)
    {
      test_sale (w, &cred, amounts[i], i + 1, &sales[i]);
      test_assert_reason (&sales[i], OFFAUTH_REASON_NONE);
    }
  sync = offauth_sync_new (w->terminal, &error);
  g_assert_no_error (error);
  u = offauth_sync_next_request (sync, 0, 0, &error);
  g_assert_no_error (error);
  parsed = offauth_sync_request_parse_text (u, -1, NULL);
  v[0] = verdict (&sales[SALE_SETTLED], 1, 0, 0);
  v[1] = verdict (&sales[SALE_DOUBLE_SPEND], 2, OFFAUTH_SETTLE_DOUBLE_SPEND, 0);
  v[2] = verdict (&sales[SALE_NO_FUNDS], 3, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS, w->now + 3600);
  v[3] = verdict (&sales[SALE_UNMATCHED], 3, OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL, 0);
  a = test_answer_text (acquirer, u, parsed->first_seq + parsed->n_records - 1, NULL, w->now, 4, 0,
                        v, 4);
  g_assert_true (offauth_sync_apply_answer (sync, a, -1, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (offauth_sync_is_done (sync));
  test_sale (w, &other, amounts[SALE_WAITING], 1, &sales[SALE_WAITING]);
  test_assert_reason (&sales[SALE_WAITING], OFFAUTH_REASON_NONE);
  offauth_secret_key_free (acquirer);
  g_clear_pointer (&w->terminal, offauth_terminal_free);
  return w;
}

OffauthSaleInfo
sales_world_info (TestWorld *w,
                  guint64    seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = NULL;

  if (w->terminal == NULL)
    test_world_reopen (w);
  sales = offauth_terminal_list_sales (w->terminal, FALSE, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < sales->len; i++)
    if (g_array_index (sales, OffauthSaleInfo, i).seq == seq)
      return g_array_index (sales, OffauthSaleInfo, i);
  g_assert_not_reached ();
}
