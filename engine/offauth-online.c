/* offauth-online.c: online authorization: builds the online request (O) and applies the acquirer's decision (D).
 *
 * PROTOCOL.md, "Online authorization": a payment the offline decision refuses only for a
 * reason that lets it go online (offauth_reason_allows_online) may be sent to the pinned
 * acquirer; its decision is applied only if it verifies, names this terminal, sale and
 * amount, and came within the online timeout. An approval goes through the decision's
 * checks up to 7 again and is committed as a kind-1 record with mode 1 and D, exactly as
 * an offline sale is committed (offauth-authorize.c): shown only once durable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-online.h"
#include "offauth-terminal-private.h"

guint64
offauth_terminal_online_timeout (OffauthTerminal *t)
{
  g_return_val_if_fail (t != NULL, OFFAUTH_DEFAULT_ONLINE_TIMEOUT);

  return t->config.online_timeout != 0 ? t->config.online_timeout : OFFAUTH_DEFAULT_ONLINE_TIMEOUT;
}

static gboolean
require_acquirer (OffauthTerminal *t,
                  GError         **error)
{
  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  if (!t->has_acquirer)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "No acquirer is pinned");
      return FALSE;
    }
  return TRUE;
}

gchar *
offauth_terminal_online_request (OffauthTerminal       *t,
                                 const char            *payment_text,
                                 gssize                 text_len,
                                 const OffauthSaleLine *lines,
                                 gsize                  n_lines,
                                 const OffauthDecision *offline,
                                 GError               **error)
{
  OffauthOnlineRequest o = { 0 };
  OffauthDecision probe;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (payment_text != NULL, NULL);
  g_return_val_if_fail (lines != NULL || n_lines == 0, NULL);
  g_return_val_if_fail (offline != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!require_acquirer (t, error))
    return NULL;
  if (offline->approved || !offauth_reason_allows_online (offline->reason))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "A payment refused for %s cannot be authorized online",
                   offline->approved ? "nothing" : offauth_reason_code (offline->reason));
      return NULL;
    }
  /* The decision's checks again, without the commit: the caller's decision must still be
   * this payment's (the same refusal, every earlier check passed). */
  _offauth_authorize (t, payment_text, text_len, lines, n_lines, OFFAUTH_AUTHORIZE_PROBE, NULL,
                      &o.payment, &probe);
  if (probe.approved || probe.reason != offline->reason ||
      memcmp (probe.sale_id, offline->sale_id, OFFAUTH_SALE_ID_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "The offline decision on this payment is now %s, not %s",
                   probe.approved ? "approved" : offauth_reason_code (probe.reason),
                   offauth_reason_code (offline->reason));
      return NULL;
    }
  memcpy (o.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  o.created_at = offauth_terminal_now (t);
  offauth_online_request_sign (&o, t->acquirer_pk, t->key);
  return offauth_text_encode ('O', o.raw, OFFAUTH_ONLINE_REQUEST_SIZE);
}

static gboolean
discard (GError     **error,
         gint         code,
         const char  *format,
         ...) G_GNUC_PRINTF (3, 4);

static gboolean
discard (GError     **error,
         gint         code,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree gchar *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, OFFAUTH_ERROR, code, "The acquirer's decision is discarded: %s", msg);
  return FALSE;
}

gboolean
offauth_terminal_online_apply (OffauthTerminal *t,
                               const char      *request_text,
                               const char      *decision_text,
                               gssize           decision_len,
                               guint64          elapsed_ms,
                               OffauthDecision *d,
                               GError         **error)
{
  OffauthOnlineRequest o;
  OffauthOnlineDecision dec;
  g_autofree gchar *payment_text = NULL;
  g_autoptr(GError) local = NULL;
  guint64 timeout;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (request_text != NULL, FALSE);
  g_return_val_if_fail (decision_text != NULL, FALSE);
  g_return_val_if_fail (d != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!require_acquirer (t, error))
    return FALSE;
  /* The request must be one this terminal signed for the acquirer pinned now. */
  if (!offauth_online_request_parse_text (&o, request_text, -1, error))
    return FALSE;
  if (memcmp (o.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0 ||
      !offauth_online_request_verify (&o, t->acquirer_pk, t->terminal_pk))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "The online request is not one this terminal made for the pinned acquirer");
      return FALSE;
    }

  timeout = offauth_terminal_online_timeout (t);
  if (elapsed_ms > timeout)
    return discard (error, OFFAUTH_ERROR_STATE, "it came after %" G_GUINT64_FORMAT " ms, past "
                    "the online timeout of %" G_GUINT64_FORMAT " ms", elapsed_ms, timeout);
  /* The parser refuses a (result, reason) pair outside (1, 0) and (2, 1-6 | 8 | 11 | 12). */
  if (!offauth_online_decision_parse_text (&dec, decision_text, decision_len, &local))
    return discard (error, OFFAUTH_ERROR_MALFORMED, "%s", local->message);
  if (!offauth_online_decision_verify (&dec, t->acquirer_pk))
    return discard (error, OFFAUTH_ERROR_BAD_SIGNATURE,
                    "its signature does not verify under the pinned acquirer key");
  if (memcmp (dec.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE) != 0)
    return discard (error, OFFAUTH_ERROR_UNTRUSTED, "it is for another terminal");
  if (memcmp (dec.sale_id, o.payment.sale_id, OFFAUTH_SALE_ID_SIZE) != 0)
    return discard (error, OFFAUTH_ERROR_UNTRUSTED, "it is for another sale");
  if (dec.amount != o.payment.request.amount)
    return discard (error, OFFAUTH_ERROR_UNTRUSTED, "it is for %" G_GUINT64_FORMAT ", not %"
                    G_GUINT64_FORMAT, dec.amount, o.payment.request.amount);

  /* D's acquirer_time is not looked at: it moves neither the floor nor the clock state. */
  payment_text = offauth_text_encode ('P', o.payment.raw, OFFAUTH_PAYMENT_SIZE);
  if (dec.result == OFFAUTH_ONLINE_DECLINED)
    {
      /* Nothing is recorded; the decision says why the offline path refused it too. */
      _offauth_authorize (t, payment_text, -1, NULL, 0, OFFAUTH_AUTHORIZE_PROBE, NULL, NULL, d);
      if (d->already_recorded)
        return TRUE;   /* the sale recorded before stands */
      d->approved = FALSE;
      d->mode = OFFAUTH_MODE_ONLINE;
      d->declined_online = TRUE;
      d->online_reason = dec.reason;
      g_snprintf (d->detail, sizeof d->detail, "declined online: %s",
                  offauth_settle_reason_name (dec.reason));
      return TRUE;
    }
  /* Approved: checks up to 7 again (the terminal state, the request still open and unpaid,
   * the counter unused), then the durable commit of a mode-1 record. */
  _offauth_authorize (t, payment_text, -1, NULL, 0, OFFAUTH_AUTHORIZE_ONLINE, &dec, NULL, d);
  if (d->approved && !d->already_recorded)
    g_snprintf (d->detail, sizeof d->detail, "approved online as sale %" G_GUINT64_FORMAT,
                d->sale_number);
  return TRUE;
}
