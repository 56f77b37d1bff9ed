/* offauth-result.c: maps an OffauthDecision to the TillPaymentResult the window shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "offauth-result.h"

/* The primary button for a refusal: the same wallet with a new request when the code on
 * either side is spent or stale, another method when the wallet cannot pay this sale. */
static TillPaymentAction
offauth_result_action (OffauthReason reason)
{
  switch (reason)
    {
    case OFFAUTH_REASON_ALREADY_RECORDED:
    case OFFAUTH_REASON_WRONG_TERMINAL:
    case OFFAUTH_REASON_REQUEST_UNKNOWN:
    case OFFAUTH_REASON_REQUEST_SUPERSEDED:
    case OFFAUTH_REASON_REQUEST_MISMATCH:
    case OFFAUTH_REASON_REQUEST_USED:
    case OFFAUTH_REASON_REQUEST_EXPIRED:
    case OFFAUTH_REASON_STORAGE_UNAVAILABLE:
      return TILL_PAYMENT_ACTION_RETRY;
    case OFFAUTH_REASON_NONE:
      return TILL_PAYMENT_ACTION_BACK_TO_SALE;
    default:
      /* The kiosk is paused, or this wallet cannot pay this sale (invalid, blocked, over its
       * limits, needs an online check the kiosk cannot make). */
      return TILL_PAYMENT_ACTION_OTHER_METHOD;
    }
}

TillPaymentResult *
offauth_result_new_refusal (OffauthReason  reason,
                            const char    *detail)
{
  gboolean paused = offauth_reason_is_terminal_state (reason);
  const char *code = offauth_reason_code (reason);
  TillPaymentResult *r;

  r = till_payment_result_new (FALSE, TILL_PAYMENT_MODE_OFFLINE, C_("payment method", "Wallet"),
                               paused ? _("Offline payments paused") : _("Not paid"));
  if (paused)
    r->message = g_strdup_printf ("%s %s", offauth_reason_message (reason),
                                  offauth_reason_detail (reason));
  else
    r->message = g_strdup (offauth_reason_message (reason));
  r->next_step = g_strdup (offauth_reason_next_step (reason));
  r->next_action = offauth_result_action (reason);
  if (r->next_action == TILL_PAYMENT_ACTION_RETRY)
    /* Translators: the result screen's button that shows a new payment request */
    r->action_label = g_strdup (_("Scan a new code"));
  if (detail && *detail)
    /* Translators: small print for support,
     * e.g. "Reason: counter_reused (counter 1 already used)" */
    r->reason_code = g_strdup_printf (_("Reason: %s (%s)"), code, detail);
  else
    r->reason_code = g_strdup_printf (_("Reason: %s"), code);
  return r;
}

/* An old code shown again: the sale it paid, and when. */
static TillPaymentResult *
offauth_result_new_already_recorded (const OffauthDecision *d)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local ((gint64) d->time);
  g_autofree gchar *clock = when ? g_date_time_format (when, "%H:%M") : g_strdup ("?");
  TillPaymentResult *r = offauth_result_new_refusal (d->reason, NULL);

  g_free (r->message);
  /* Translators: an old payment code shown again,
   * e.g. "This code was used for sale 1234 at 14:02." */
  r->message = g_strdup_printf (_("This code was used for sale %" PRIu64 " at %s."),
                                d->sale_number, clock);
  return r;
}

/* The acquirer declined online: its reason in the cashier's words (UX.md: the balance, or
 * what the late decline would have said); another method, whatever the reason. */
static TillPaymentResult *
offauth_result_new_declined_online (const OffauthDecision *d)
{
  TillPaymentResult *r;

  r = till_payment_result_new (FALSE, TILL_PAYMENT_MODE_ONLINE, C_("payment method", "Wallet"),
                               _("Declined online"));
  r->message = g_strdup (offauth_online_decline_message (d->online_reason));
  r->next_step = g_strdup (offauth_online_decline_next_step (d->online_reason));
  r->next_action = TILL_PAYMENT_ACTION_OTHER_METHOD;
  /* Translators: small print for support, e.g. "Reason: insufficient_funds (online)" */
  r->reason_code = g_strdup_printf (_("Reason: %s (online)"),
                                    offauth_settle_reason_name (d->online_reason));
  return r;
}

TillPaymentResult *
offauth_result_new_from_decision (const OffauthDecision *d)
{
  g_autofree gchar *amount = NULL;
  g_autofree gchar *hash = NULL;
  gboolean online;
  TillPaymentResult *r;

  g_return_val_if_fail (d != NULL, NULL);

  if (!d->approved && d->reason == OFFAUTH_REASON_ALREADY_RECORDED)
    return offauth_result_new_already_recorded (d);
  if (!d->approved && d->declined_online)
    return offauth_result_new_declined_online (d);
  if (!d->approved)
    return offauth_result_new_refusal (d->reason, d->detail);

  amount = d->currency[0] ? till_format_amount (d->amount, d->currency) : NULL;
  hash = offauth_hex (d->journal_hash, 4);
  online = d->mode == OFFAUTH_MODE_ONLINE;
  if (d->already_recorded)
    {
      r = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_OFFLINE, C_("payment method", "Wallet"), _("Already paid"));
      /* Translators: the same code scanned twice, e.g. "Already paid: sale 1234, €4.50." */
      r->message = g_strdup_printf (_("Already paid: sale %" PRIu64 ", %s."),
                                    d->sale_number, amount);
    }
  else
    r = till_payment_result_new (TRUE,
                                 online ? TILL_PAYMENT_MODE_ONLINE : TILL_PAYMENT_MODE_OFFLINE,
                                 C_("payment method", "Wallet"),
                                 online ? _("Approved online") : _("Approved offline"));
  /* Translators: the sale number on the result screen and receipt */
  r->reference = g_strdup_printf (_("Sale %" PRIu64), d->sale_number);
  r->provider_ref = g_strdup_printf ("%" PRIu64, d->sale_number);
  g_ptr_array_add (r->receipt,
                   g_strdup (online ? _("Wallet payment, approved online")
                                    : _("Wallet payment, approved offline on this kiosk")));
  /* Translators: the sale's place in the tamper-evident journal and the start of its hash */
  g_ptr_array_add (r->receipt, g_strdup_printf (_("Journal row %" PRIu64 " · %s"),
                                                d->sale_number, hash));
  return r;
}
