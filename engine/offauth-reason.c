/* offauth-reason.c: the decision's reason codes and what the cashier is told for each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-reason.h"
#include "offauth-wire.h"

typedef struct
{
  const char *code;
  const char *message;
  const char *next_step;
  const char *detail;
} ReasonInfo;

#define PAUSED N_("Offline payments are paused on this kiosk.")
#define NOT_VALID N_("This payment code is not valid.")
#define ANOTHER_METHOD N_("Ask for another payment method.")
#define LIMIT_REACHED N_("The payer's offline limit is reached.")
#define NEEDS_ONLINE N_("This amount needs an online check.")
#define CONNECT_OR_OTHER N_("Connect the kiosk or take another method.")
#define SCAN_SCREEN_AGAIN N_("Ask the payer to scan the code on the screen again.")
#define BLOCKED N_("This wallet is blocked by its issuer.")

static const ReasonInfo reasons[OFFAUTH_N_REASONS] = {
  [OFFAUTH_REASON_NONE] = { "approved", N_("Approved."), NULL, NULL },
  [OFFAUTH_REASON_NOT_ENROLLED] = {
    "not_enrolled", PAUSED, N_("Call the merchant."),
    N_("The kiosk is not set up for offline payments. The merchant must enrol it.") },
  [OFFAUTH_REASON_BUNDLE_EXPIRED] = {
    "bundle_expired", PAUSED, N_("Connect the kiosk or call the merchant."),
    N_("The kiosk's trust data is out of date. Connecting the kiosk renews it.") },
  [OFFAUTH_REASON_CLOCK_UNTRUSTED] = {
    "clock_untrusted", PAUSED, N_("Call the merchant."),
    N_("The kiosk's clock is wrong. The merchant must set it, or connect the kiosk.") },
  [OFFAUTH_REASON_UPLOAD_OVERDUE] = {
    "upload_overdue", PAUSED, N_("Connect the kiosk to upload the waiting sales."),
    N_("Sales have waited too long to be uploaded.") },
  [OFFAUTH_REASON_OVER_TERMINAL_CAP] = {
    "over_terminal_cap", PAUSED, N_("Connect the kiosk to upload the waiting sales."),
    N_("Too many sales, or too much money, wait to be uploaded.") },
  [OFFAUTH_REASON_MALFORMED] = { "malformed", NOT_VALID, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_BAD_PAYER_SIGNATURE] = { "bad_payer_signature", NOT_VALID, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_ALREADY_RECORDED] = {
    "already_recorded", N_("This code was used for an earlier sale."),
    N_("Ask the payer to create a new payment."), NULL },
  [OFFAUTH_REASON_UNKNOWN_ISSUER_KEY] = { "unknown_issuer_key", NOT_VALID, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_ISSUER_KEY_EXPIRED] = { "issuer_key_expired", NOT_VALID, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_BAD_ISSUER_SIGNATURE] = { "bad_issuer_signature", NOT_VALID, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_WRONG_TERMINAL] = {
    "wrong_terminal", N_("This payment was made for another kiosk."), SCAN_SCREEN_AGAIN, NULL },
  [OFFAUTH_REASON_REQUEST_UNKNOWN] = {
    "request_unknown", N_("This payment is not for the request on the screen."),
    SCAN_SCREEN_AGAIN, NULL },
  [OFFAUTH_REASON_REQUEST_SUPERSEDED] = {
    "request_superseded", N_("This payment is for an earlier request."),
    SCAN_SCREEN_AGAIN, NULL },
  [OFFAUTH_REASON_REQUEST_MISMATCH] = {
    "request_mismatch", N_("This payment does not match the request on the screen."),
    SCAN_SCREEN_AGAIN, NULL },
  [OFFAUTH_REASON_REQUEST_USED] = {
    "request_used", N_("This request was already paid by another payment."),
    N_("Start a new payment."), NULL },
  [OFFAUTH_REASON_REQUEST_EXPIRED] = {
    "request_expired", N_("The payment request has expired."),
    N_("Start the payment again."), NULL },
  [OFFAUTH_REASON_NOT_YET_VALID] = {
    "not_yet_valid", N_("The payer's wallet is not valid yet."), ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_EXPIRED] = {
    "expired", N_("The payer's wallet has expired."),
    N_("Ask the payer to renew it, or for another payment method."), NULL },
  [OFFAUTH_REASON_CURRENCY_MISMATCH] = {
    "currency_mismatch", N_("The payer's wallet is for another currency."), ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_REVOKED] = { "revoked", BLOCKED, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_NEGATIVE_LIST] = { "negative_list", BLOCKED, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_OUT_OF_SCOPE] = {
    "out_of_scope", N_("The payer's wallet cannot be used at this stall."), ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_COUNTER_REUSED] = {
    "counter_reused", N_("This wallet already spent this payment elsewhere."),
    ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_OVER_PAYMENT_LIMIT] = { "over_payment_limit", LIMIT_REACHED, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_REVOCATION_STALE] = { "revocation_stale", NEEDS_ONLINE, CONNECT_OR_OTHER, NULL },
  [OFFAUTH_REASON_OVER_OFFLINE_COUNT] = { "over_offline_count", LIMIT_REACHED, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_OVER_OFFLINE_TOTAL] = { "over_offline_total", LIMIT_REACHED, ANOTHER_METHOD, NULL },
  [OFFAUTH_REASON_OVER_FLOOR_LIMIT] = { "over_floor_limit", NEEDS_ONLINE, CONNECT_OR_OTHER, NULL },
  [OFFAUTH_REASON_STORAGE_UNAVAILABLE] = {
    "storage_unavailable", N_("The sale could not be saved. Nothing was charged."),
    N_("Try again; call the merchant if it repeats."),
    /* As a terminal state: paused after a commit whose outcome is unknown. */
    N_("The kiosk could not confirm a sale. It checks its storage again by itself; "
       "call the merchant if this stays.") },
};

const char *
offauth_reason_code (OffauthReason reason)
{
  if ((guint) reason >= OFFAUTH_N_REASONS)
    return "unknown";
  return reasons[reason].code;
}

OffauthReason
offauth_reason_from_code (const char *code)
{
  for (guint i = 0; i < OFFAUTH_N_REASONS; i++)
    if (g_strcmp0 (reasons[i].code, code) == 0)
      return (OffauthReason) i;
  return OFFAUTH_N_REASONS;
}

gboolean
offauth_reason_is_terminal_state (OffauthReason reason)
{
  return reason >= OFFAUTH_REASON_NOT_ENROLLED && reason <= OFFAUTH_REASON_OVER_TERMINAL_CAP;
}

static const char *
tr (const char *s)
{
  return s != NULL ? g_dgettext (GETTEXT_PACKAGE, s) : NULL;
}

const char *
offauth_reason_message (OffauthReason reason)
{
  return (guint) reason < OFFAUTH_N_REASONS ? tr (reasons[reason].message) : NULL;
}

const char *
offauth_reason_next_step (OffauthReason reason)
{
  return (guint) reason < OFFAUTH_N_REASONS ? tr (reasons[reason].next_step) : NULL;
}

const char *
offauth_reason_detail (OffauthReason reason)
{
  return (guint) reason < OFFAUTH_N_REASONS ? tr (reasons[reason].detail) : NULL;
}

gboolean
offauth_reason_allows_online (OffauthReason reason)
{
  return reason == OFFAUTH_REASON_OVER_PAYMENT_LIMIT || reason == OFFAUTH_REASON_REVOCATION_STALE ||
         reason == OFFAUTH_REASON_OVER_OFFLINE_COUNT || reason == OFFAUTH_REASON_OVER_OFFLINE_TOTAL ||
         reason == OFFAUTH_REASON_OVER_FLOOR_LIMIT;
}

/* The acquirer's reasons for an online decline (PROTOCOL.md's settlement table), in the
 * cashier's words (UX.md: the balance, or the late decline's meaning). */
static const char *const online_declines[] = {
  [OFFAUTH_SETTLE_MALFORMED] = N_("The payment could not be matched to a payer's account."),
  [OFFAUTH_SETTLE_BAD_SIGNATURE] = N_("The payment could not be matched to a payer's account."),
  [OFFAUTH_SETTLE_WRONG_TERMINAL] = N_("The payment could not be matched to a payer's account."),
  [OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL] = N_("The payer's wallet has no account with the acquirer."),
  [OFFAUTH_SETTLE_DOUBLE_SPEND] =
    N_("This wallet paid twice with the same payment. It is blocked."),
  [OFFAUTH_SETTLE_REVOKED] = BLOCKED,
  [OFFAUTH_SETTLE_INSUFFICIENT_FUNDS] = N_("The payer's balance is too low."),
  [OFFAUTH_SETTLE_REVERSED] =
    N_("This payment was cancelled by the acquirer and cannot be used again."),
  [OFFAUTH_SETTLE_INVALID_CREDENTIAL] =
    N_("The payer's wallet is not valid for this sale (currency, stall or dates)."),
};

const char *
offauth_online_decline_message (guint acquirer_reason)
{
  if (acquirer_reason < G_N_ELEMENTS (online_declines) && online_declines[acquirer_reason] != NULL)
    return tr (online_declines[acquirer_reason]);
  return _("The payment was declined online.");
}

const char *
offauth_online_decline_next_step (guint acquirer_reason)
{
  return tr (ANOTHER_METHOD);
}

const char *
offauth_garbled_message (void)
{
  return _("The code could not be read.");
}

const char *
offauth_garbled_next_step (void)
{
  return _("Scan again.");
}

const char *
offauth_unknown_outcome_message (void)
{
  return _("The kiosk could not confirm this sale.");
}

const char *
offauth_unknown_outcome_next_step (void)
{
  return _("Scan the same code again before taking another method.");
}
