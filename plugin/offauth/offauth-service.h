/* offauth-service.h: the plugin's one terminal per process, behind its worker.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "offauth.h"
#include "offauth-acquirer-client.h"

G_BEGIN_DECLS

typedef enum
{
  OFFAUTH_SERVICE_STARTING,   /* the terminal is being opened and its journal checked (worker) */
  OFFAUTH_SERVICE_READY,      /* open; status is current */
  OFFAUTH_SERVICE_FAILED,     /* not enrolled or could not open: "error" says why */
} OffauthServiceState;

#define OFFAUTH_TYPE_SERVICE_STATE (offauth_service_state_get_type ())
GType offauth_service_state_get_type (void) G_GNUC_CONST;

/* A boxed copy of OffauthTerminalStatus (copy = deep copy, free = status_clear + g_free). */
#define OFFAUTH_TYPE_TERMINAL_STATUS (offauth_terminal_status_get_type ())
GType offauth_terminal_status_get_type (void) G_GNUC_CONST;

#define OFFAUTH_TYPE_SERVICE (offauth_service_get_type ())
G_DECLARE_FINAL_TYPE (OffauthService, offauth_service, OFFAUTH, SERVICE, GObject)

/* Properties (read-only, notified on the main thread only):
 *   "state"   OffauthServiceState
 *   "status"  OFFAUTH_TYPE_TERMINAL_STATUS  (state == NOT_ENROLLED reason while not READY)
 *   "error"   gchar*  why it failed, or NULL
 *   "db-path" gchar*
 *   "demo"    gboolean
 *   "acquirer" OffauthAcquirerClient*  the pinned acquirer's client, or NULL (not paired)
 *   "online"  gboolean  the acquirer answered its last probe and the merchant has not
 *             chosen to work offline (FALSE until the uploader says so)
 * Views connect to notify::state and notify::status. */

/* The process's one service. Returns at once, in state STARTING: the terminal opens on
 * the worker, never on the main thread. host_settings is the app's GSettings (only for the
 * one-time migration of the old terminal-db key); the plugin reads its own schema
 * io.github.tillpos.Till.plugins.offauth. */
OffauthService *offauth_service_get            (GSettings       *host_settings,
                                                gboolean         demo);

OffauthServiceState
                offauth_service_get_state      (OffauthService  *self);
const OffauthTerminalStatus *
                offauth_service_get_status     (OffauthService  *self);
const char     *offauth_service_get_db_path    (OffauthService  *self);
/* Why the terminal could not be opened, or NULL. */
const char     *offauth_service_get_error      (OffauthService  *self);
gboolean        offauth_service_is_demo        (OffauthService  *self);
/* The pinned acquirer's client (set once the terminal is open), or NULL. */
OffauthAcquirerClient *
                offauth_service_get_acquirer   (OffauthService  *self);
gboolean        offauth_service_get_online     (OffauthService  *self);
/* Reads the status again, at STATUS priority. */
void            offauth_service_refresh        (OffauthService  *self);

/* Each _async runs on the serial worker, at the priority shown; callbacks on the main
 * thread. Calls made while STARTING wait in the worker's queue until the open is done. */

/* SALE */
void            offauth_service_request_async  (OffauthService  *self,
                                                guint64          amount,
                                                const char      *currency,
                                                GCancellable    *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer         user_data);
/* The request text, or NULL with *reason set when the terminal refuses (paused, or not
 * open: OFFAUTH_REASON_NOT_ENROLLED), or NULL with error. */
gchar          *offauth_service_request_finish (OffauthService  *self,
                                                GAsyncResult    *result,
                                                OffauthReason   *reason,
                                                GError         **error);

/* What a decision in flight is doing, told to its caller before the decision itself. */
typedef enum
{
  /* The offline rules refused the payment only for a limit, the floor limit or stale
   * revocation data, and the kiosk is online: the pinned acquirer is asked. The decision
   * follows within timeout_ms (the terminal's online timeout) plus one worker job. */
  OFFAUTH_AUTHORIZE_CHECKING_ONLINE,
} OffauthAuthorizeStep;

/* Called on the main thread, at most once per step, always before the async callback. */
typedef void (*OffauthAuthorizeProgressFunc) (OffauthService       *self,
                                              OffauthAuthorizeStep  step,
                                              guint64               timeout_ms,
                                              gpointer              user_data);

/* SALE. The offline decision on the worker; then, when it refused the payment only for a
 * reason that may go online (offauth_reason_allows_online), "online" is TRUE and an
 * acquirer is pinned: the online request is built on the worker, sent from the main loop
 * (no job waits on the network), and the acquirer's decision applied on the worker if it
 * came within the online timeout (monotonic clock, from the send). No answer, a timeout,
 * a transport error or an answer the engine rejects: the offline decision, never both.
 * progress (may be NULL) hears OFFAUTH_AUTHORIZE_CHECKING_ONLINE before the request is
 * sent; progress_data must stay valid until callback runs. Cancelling before the offline
 * decision ran gives G_IO_ERROR_CANCELLED; afterwards it only abandons the online check
 * (the offline decision is returned): a sale the terminal recorded is never hidden. */
void            offauth_service_authorize_async  (OffauthService        *self,
                                                  const char            *payment_text,
                                                  const OffauthSaleLine *lines,
                                                  gsize                  n_lines,
                                                  OffauthAuthorizeProgressFunc progress,
                                                  gpointer               progress_data,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data);
/* The decision to show (decision->mode is OFFAUTH_MODE_ONLINE for an online approval;
 * declined_online and online_reason for the acquirer's decline); FALSE only with error. */
gboolean        offauth_service_authorize_finish (OffauthService        *self,
                                                  GAsyncResult          *result,
                                                  OffauthDecision       *decision,
                                                  GError               **error);

/* On a read-only connection of its own, beside the worker: a sale never waits for it. */
void            offauth_service_verify_async   (OffauthService  *self,
                                                GCancellable    *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer         user_data);
/* TRUE when the journal verifies; otherwise error names the first bad row. */
gboolean        offauth_service_verify_finish  (OffauthService  *self,
                                                GAsyncResult    *result,
                                                GError         **error);

/* STATUS: the merchant says the clock is right. */
void            offauth_service_accept_clock_async  (OffauthService  *self,
                                                     GCancellable    *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer         user_data);
gboolean        offauth_service_accept_clock_finish (OffauthService  *self,
                                                     GAsyncResult    *result,
                                                     GError         **error);

/* SALE. Demo only: one of the demo's payers pays the request with its wallet (as a phone
 * would): 0, the payer with a high balance; 1, the one with a low balance (its offline sales
 * are declined late at the next sync: OFFAUTH_DEMO_PAYER_* in offauth-demo.h). */
void            offauth_service_demo_pay_async  (OffauthService  *self,
                                                 guint            payer,
                                                 const char      *request_text,
                                                 GCancellable    *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer         user_data);
gchar          *offauth_service_demo_pay_finish (OffauthService  *self,
                                                 GAsyncResult    *result,
                                                 GError         **error);

G_END_DECLS
