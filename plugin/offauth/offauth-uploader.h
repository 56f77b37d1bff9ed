/* offauth-uploader.h: the kiosk online: watches the acquirer and uploads the sales by
 * itself, without ever slowing a sale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "offauth-service.h"

G_BEGIN_DECLS

typedef enum
{
  OFFAUTH_SYNC_UNPAIRED,   /* no acquirer is pinned */
  OFFAUTH_SYNC_CHECKING,   /* the first probe runs */
  OFFAUTH_SYNC_ONLINE,     /* online, nothing waits */
  OFFAUTH_SYNC_WAITING,    /* online, sales wait: between syncs or in back-off */
  OFFAUTH_SYNC_UPLOADING,  /* a sync carries rows now ("uploading" says how many are left) */
  OFFAUTH_SYNC_OFFLINE,    /* the acquirer does not answer, or the merchant works offline */
  OFFAUTH_SYNC_STOPPED,    /* the acquirer answered 400, 403 or 409: "stop-reason" says why */
} OffauthSyncState;

typedef enum
{
  OFFAUTH_UPLOADER_NEWS_LATE_DECLINES,  /* count: how many more ("late-declines" all) */
  OFFAUTH_UPLOADER_NEWS_DRAINED,        /* the queue drained after a reconnect: count, value */
  OFFAUTH_UPLOADER_NEWS_STOPPED,        /* syncing stopped: "stop-reason" says why */
} OffauthUploaderNews;

#define OFFAUTH_TYPE_SYNC_STATE (offauth_sync_state_get_type ())
GType offauth_sync_state_get_type (void) G_GNUC_CONST;

#define OFFAUTH_TYPE_UPLOADER (offauth_uploader_get_type ())
G_DECLARE_FINAL_TYPE (OffauthUploader, offauth_uploader, OFFAUTH, UPLOADER, GObject)

/* Properties (read-only but "work-offline", notified on the main thread):
 *   "service"            OffauthService*
 *   "sync-state"         OffauthSyncState
 *   "uploading"          guint64  rows the running sync has still to carry
 *   "last-sync"          gint64   unix time of the last successful sync, 0 when never
 *   "stop-reason"        gchar*   why syncing stopped and what to do, or NULL
 *   "late-declines"      guint64  sales the acquirer declined after the sale (to act on)
 *   "late-declines-total" guint64 their value
 *   "pairing-problem"    gboolean the acquirer does not know this kiosk (check the pairing)
 *   "work-offline"       gboolean the merchant chose to work offline
 *
 * Signal "news" (OffauthUploaderNews news, guint64 count, guint64 value): something the
 * merchant should hear of. */

/* The process's one uploader, beside offauth_service_get()'s service. */
OffauthUploader *offauth_uploader_get            (OffauthService  *service);
/* An uploader of its own (tests, benchmarks): settings may be NULL (the defaults). */
OffauthUploader *offauth_uploader_new            (OffauthService  *service,
                                                  GSettings       *settings);
OffauthSyncState offauth_uploader_get_sync_state (OffauthUploader *self);
guint64          offauth_uploader_get_uploading  (OffauthUploader *self);
gint64           offauth_uploader_get_last_sync  (OffauthUploader *self);
const char      *offauth_uploader_get_stop_reason (OffauthUploader *self);
guint64          offauth_uploader_get_late_declines (OffauthUploader *self,
                                                     guint64         *total);
gboolean         offauth_uploader_get_pairing_problem (OffauthUploader *self);
gboolean         offauth_uploader_get_work_offline (OffauthUploader *self);

/* Pins a new acquirer (a journaled row, on the worker; url https, or http on loopback) and
 * gives the service a client for it: the uploader asks it at once, so that a kiosk it does
 * not know is told now ("pairing-problem", STOPPED). */
void             offauth_uploader_pair_async     (OffauthUploader     *self,
                                                  const char          *url,
                                                  const guint8         acquirer_pk[32],
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean         offauth_uploader_pair_finish    (OffauthUploader     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* The pinned acquirer, read on the worker: its URL (NULL when none) and key. */
void             offauth_uploader_read_pairing_async  (OffauthUploader     *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean         offauth_uploader_read_pairing_finish (OffauthUploader     *self,
                                                       GAsyncResult        *result,
                                                       gchar              **url,
                                                       guint8               acquirer_pk[32],
                                                       GError             **error);

/* Probes, then syncs at once (after a stop too: the merchant says it is fixed). */
void             offauth_uploader_sync_now       (OffauthUploader *self);
/* TRUE: offline until set back to FALSE (a provider outage that still answers probes). */
void             offauth_uploader_set_work_offline (OffauthUploader *self,
                                                    gboolean         offline);

G_END_DECLS
