/* offauth-sale-words.c: a listed sale in the merchant's words (../shared/UX.md, "Late
 * declines: what the merchant reads"), and the actions each state allows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "offauth-sale-words.h"

#define COLLECT_OR_WRITE_OFF N_("Collect from the payer, or write it off.")
#define NOT_MATCHED N_("The payment could not be matched to a payer's account.")

OffauthSaleShown
offauth_sale_shown (const OffauthSaleInfo *sale)
{
  if (sale->give_back)
    return OFFAUTH_SALE_SHOWN_GIVE_BACK;
  switch (sale->state)
    {
    case OFFAUTH_SALE_WAITING:             return OFFAUTH_SALE_SHOWN_WAITING;
    case OFFAUTH_SALE_UPLOADING:           return OFFAUTH_SALE_SHOWN_UPLOADING;
    case OFFAUTH_SALE_SETTLED:             return OFFAUTH_SALE_SHOWN_SETTLED;
    case OFFAUTH_SALE_DECLINED:            return OFFAUTH_SALE_SHOWN_DECLINED;
    case OFFAUTH_SALE_RETRY:               return OFFAUTH_SALE_SHOWN_RETRY;
    case OFFAUTH_SALE_CLOSING:             return OFFAUTH_SALE_SHOWN_CLOSING;
    case OFFAUTH_SALE_WRITTEN_OFF:         return OFFAUTH_SALE_SHOWN_WRITTEN_OFF;
    case OFFAUTH_SALE_COLLECTED_OTHERWISE: return OFFAUTH_SALE_SHOWN_COLLECTED;
    default:                               return OFFAUTH_SALE_SHOWN_WAITING;
    }
}

const char *
offauth_sale_shown_name (OffauthSaleShown shown)
{
  static const char *const names[OFFAUTH_N_SALE_SHOWN] = {
    [OFFAUTH_SALE_SHOWN_WAITING] = N_("waiting"),
    [OFFAUTH_SALE_SHOWN_UPLOADING] = N_("uploading"),
    [OFFAUTH_SALE_SHOWN_SETTLED] = N_("settled"),
    [OFFAUTH_SALE_SHOWN_DECLINED] = N_("declined late"),
    [OFFAUTH_SALE_SHOWN_RETRY] = N_("retry scheduled"),
    [OFFAUTH_SALE_SHOWN_CLOSING] = N_("closing"),
    [OFFAUTH_SALE_SHOWN_WRITTEN_OFF] = N_("written off"),
    [OFFAUTH_SALE_SHOWN_COLLECTED] = N_("collected otherwise"),
    [OFFAUTH_SALE_SHOWN_GIVE_BACK] = N_("paid after all: give back what you collected"),
  };

  g_return_val_if_fail (shown < OFFAUTH_N_SALE_SHOWN, "");
  return _(names[shown]);
}

gchar *
offauth_sale_time_text (guint64 time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local ((gint64) MIN (time, G_MAXINT32));

  if (dt == NULL)
    return g_strdup ("—");
  /* Translators: a sale's date and time in the status view (strftime-like, see
   * g_date_time_format) */
  return g_date_time_format (dt, _("%x %H:%M"));
}

static gchar *
offauth_sale_clock_text (guint64 time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local ((gint64) MIN (time, G_MAXINT32));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (dt == NULL)
    return g_strdup ("—");
  if (g_date_time_get_year (dt) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (dt) == g_date_time_get_day_of_year (now))
    return g_date_time_format (dt, "%H:%M");
  return offauth_sale_time_text (time);
}

gchar *
offauth_sale_state_text (const OffauthSaleInfo *sale)
{
  OffauthSaleShown shown = offauth_sale_shown (sale);

  if (shown == OFFAUTH_SALE_SHOWN_RETRY && sale->retry_asked)
    /* Translators: a sale's state; the retry goes with the next upload */
    return g_strdup_printf (_("retry scheduled: attempt %u, retry asked for the next upload"),
                            (guint) sale->attempt);
  if (shown == OFFAUTH_SALE_SHOWN_RETRY && sale->retry_after != 0)
    {
      g_autofree gchar *at = offauth_sale_clock_text (sale->retry_after);

      /* Translators: a sale's state: the acquirer's attempt number and the next attempt's time */
      return g_strdup_printf (_("retry scheduled: attempt %u, next at %s"), (guint) sale->attempt,
                              at);
    }
  return g_strdup (offauth_sale_shown_name (shown));
}

const char *
offauth_sale_reason_text (const OffauthSaleInfo *sale)
{
  switch (offauth_sale_shown (sale))
    {
    case OFFAUTH_SALE_SHOWN_GIVE_BACK:
      return _("This sale was paid after all, before your close reached the acquirer.");
    case OFFAUTH_SALE_SHOWN_CLOSING:
      return _("You closed this sale; the acquirer confirms it with the next upload.");
    case OFFAUTH_SALE_SHOWN_WRITTEN_OFF:
    case OFFAUTH_SALE_SHOWN_COLLECTED:
      if (sale->reason == OFFAUTH_SETTLE_WITHDRAWN)
        return _("You closed this sale before it was settled.");
      return _("You closed this sale.");
    case OFFAUTH_SALE_SHOWN_RETRY:
      if (sale->reason == OFFAUTH_SETTLE_INSUFFICIENT_FUNDS)
        return _("The payer's balance was too low when the sale was uploaded.");
      return _("The acquirer cannot match this sale yet (unknown payer account, issuer key "
               "or pairing).");
    case OFFAUTH_SALE_SHOWN_DECLINED:
      switch (sale->reason)
        {
        case OFFAUTH_SETTLE_RETRIES_EXHAUSTED:
        case OFFAUTH_SETTLE_INSUFFICIENT_FUNDS:
          return _("Retries ran out: the payer's balance stayed too low.");
        case OFFAUTH_SETTLE_DOUBLE_SPEND:
          return _("This wallet paid twice with the same payment (a copied wallet). It is now "
                   "blocked everywhere.");
        case OFFAUTH_SETTLE_REVOKED:
          return _("This wallet had been blocked before the sale.");
        case OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT:
          return _("The payer went over their offline limit across several stalls.");
        case OFFAUTH_SETTLE_INVALID_CREDENTIAL:
          return _("The payer's wallet was not valid for this sale (currency, stall or dates).");
        case OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL:
          return _("The payer's wallet has no account with the acquirer.");
        case OFFAUTH_SETTLE_REVERSED:
          return _("This payment was cancelled by the acquirer.");
        default:
          return _(NOT_MATCHED);
        }
    case OFFAUTH_SALE_SHOWN_WAITING:
    case OFFAUTH_SALE_SHOWN_UPLOADING:
    case OFFAUTH_SALE_SHOWN_SETTLED:
    case OFFAUTH_N_SALE_SHOWN:
    default:
      return NULL;
    }
}

gchar *
offauth_sale_next_step (const OffauthSaleInfo *sale)
{
  switch (offauth_sale_shown (sale))
    {
    case OFFAUTH_SALE_SHOWN_GIVE_BACK:
      return g_strdup (_("Give back what you collected otherwise."));
    case OFFAUTH_SALE_SHOWN_RETRY:
      if (sale->reason != OFFAUTH_SETTLE_INSUFFICIENT_FUNDS)
        return g_strdup (_("Nothing to do if the payer tops up; if many sales show this, check "
                           "the kiosk's pairing."));
      if (sale->retry_asked)
        return g_strdup (_("A retry goes with the next upload. Mark it collected if the payer "
                           "paid another way."));
      if (sale->retry_after != 0)
        {
          g_autofree gchar *at = offauth_sale_clock_text (sale->retry_after);

          /* Translators: %s is the time of the next retry */
          return g_strdup_printf (_("Retries are scheduled (next at %s). Retry now after the "
                                    "payer tops up, or mark it collected if they paid another "
                                    "way."), at);
        }
      return g_strdup (_("Retry now after the payer tops up, or mark it collected if they paid "
                         "another way."));
    case OFFAUTH_SALE_SHOWN_DECLINED:
      if (sale->reason == OFFAUTH_SETTLE_MALFORMED ||
          sale->reason == OFFAUTH_SETTLE_BAD_SIGNATURE ||
          sale->reason == OFFAUTH_SETTLE_WRONG_TERMINAL)
        return g_strdup (_("Call support with the sale number; keep the receipt."));
      if (sale->reason == OFFAUTH_SETTLE_DOUBLE_SPEND)
        return g_strdup (_("Collect from the payer, or write it off. The stall that was paid "
                           "first keeps its payment."));
      return g_strdup (_(COLLECT_OR_WRITE_OFF));
    default:
      return NULL;
    }
}

gboolean
offauth_sale_needs_attention (const OffauthSaleInfo *sale)
{
  OffauthSaleShown shown = offauth_sale_shown (sale);

  return shown == OFFAUTH_SALE_SHOWN_DECLINED || shown == OFFAUTH_SALE_SHOWN_RETRY ||
         shown == OFFAUTH_SALE_SHOWN_GIVE_BACK;
}

gboolean
offauth_sale_can_retry (const OffauthSaleInfo *sale)
{
  return sale->state == OFFAUTH_SALE_RETRY && sale->reason == OFFAUTH_SETTLE_INSUFFICIENT_FUNDS &&
         !sale->retry_asked;
}

gboolean
offauth_sale_can_close (const OffauthSaleInfo *sale)
{
  return sale->state == OFFAUTH_SALE_DECLINED || sale->state == OFFAUTH_SALE_RETRY;
}

gchar *
offauth_sale_payer_ref (const OffauthSaleInfo *sale)
{
  g_autofree gchar *hex = offauth_hex (sale->credential_id, sizeof sale->credential_id);

  return g_strndup (hex, 8);
}

const char *
offauth_sale_mode_text (const OffauthSaleInfo *sale)
{
  return sale->mode == OFFAUTH_MODE_ONLINE ? _("online") : _("offline");
}
