/* offauth-pill-text.c: what the status pill says, and in which colour.
 *
 * Green only when online with nothing waiting; amber while sales wait (online between syncs,
 * or offline); blue while they go up; red when the terminal pauses or syncing stopped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "money.h"
#include "offauth-pill-text.h"

/* "Offline · 12 waiting · €84.50", or "Offline · nothing waiting". */
static gchar *
offauth_pill_waiting (const char                  *mode,
                      const OffauthTerminalStatus *st,
                      const char                  *currency,
                      gboolean                     with_total)
{
  g_autofree gchar *total = NULL;

  if (st->unsettled_count == 0)
    /* Translators: the status pill, e.g. "Online · nothing waiting" */
    return g_strdup_printf (_("%s · nothing waiting"), mode);
  if (!with_total)
    /* Translators: the status pill, e.g. "Online · 12 waiting" */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u waiting", "%s · %u waiting",
                                         (gulong) st->unsettled_count),
                            mode, (guint) st->unsettled_count);
  total = money_format_amount (st->unsettled_total, currency);
  /* Translators: the status pill, e.g. "Offline · 12 waiting · €54.00" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u waiting · %s",
                                       "%s · %u waiting · %s", (gulong) st->unsettled_count),
                          mode, (guint) st->unsettled_count, total);
}

gchar *
offauth_pill_text (OffauthSyncState             sync,
                   guint64                      uploading,
                   const OffauthTerminalStatus *st,
                   const char                  *currency,
                   const char                 **colour,
                   const char                 **icon)
{
  if (st->state != OFFAUTH_REASON_NONE)
    {
      *colour = "paused";
      *icon = "dialog-warning-symbolic";
      /* Translators: the first word of the status pill: offline payments are paused */
      return offauth_pill_waiting (C_("status pill", "Paused"), st, currency, TRUE);
    }
  switch (sync)
    {
    case OFFAUTH_SYNC_STOPPED:
      *colour = "paused";
      *icon = "dialog-error-symbolic";
      /* Translators: the status pill: the acquirer refused the upload; tapping says why */
      return g_strdup (C_("status pill", "Sync stopped"));
    case OFFAUTH_SYNC_UPLOADING:
      *colour = "syncing";
      *icon = "emblem-synchronizing-symbolic";
      /* The sales that wait, which the merchant counts; the rows left when only other
       * rows go up (a write-off, a retry asked). */
      /* Translators: the status pill: "Uploading · 37" (sales being uploaded) */
      return g_strdup_printf (C_("status pill", "Uploading · %" PRIu64),
                              st->unsettled_count > 0 ? st->unsettled_count : uploading);
    case OFFAUTH_SYNC_ONLINE:
    case OFFAUTH_SYNC_WAITING:
      *colour = st->unsettled_count > 0 ? "offline" : "online";
      *icon = "network-transmit-receive-symbolic";
      /* Translators: the first word of the status pill: the acquirer answers */
      return offauth_pill_waiting (C_("status pill", "Online"), st, currency, FALSE);
    case OFFAUTH_SYNC_UNPAIRED:
    case OFFAUTH_SYNC_CHECKING:
    case OFFAUTH_SYNC_OFFLINE:
    default:
      *colour = "offline";
      *icon = sync == OFFAUTH_SYNC_CHECKING ? "content-loading-symbolic" : "network-offline-symbolic";
      /* Translators: the first word of the status pill: the kiosk takes payments offline
       * (it has no network to an acquirer) */
      return offauth_pill_waiting (C_("status pill", "Offline"), st, currency, TRUE);
    }
}
