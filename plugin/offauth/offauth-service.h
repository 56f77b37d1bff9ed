/* offauth-service.h: the plugin's one terminal per process, used from a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "offauth.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_SERVICE (offauth_service_get_type ())
G_DECLARE_FINAL_TYPE (OffauthService, offauth_service, OFFAUTH, SERVICE, GObject)

/* The shared service; opened on first use from the settings (or the demo folder). */
OffauthService *offauth_service_get            (GSettings       *settings,
                                                gboolean         demo);

/* A copy of the last status read, on the main thread; refreshed after every change, and
 * on request. "changed" is emitted on the main thread. */
const OffauthTerminalStatus *
                offauth_service_get_status     (OffauthService  *self);
const char     *offauth_service_get_db_path    (OffauthService  *self);
/* Why the terminal could not be opened, or NULL. */
const char     *offauth_service_get_error      (OffauthService  *self);
gboolean        offauth_service_is_demo        (OffauthService  *self);
void            offauth_service_refresh        (OffauthService  *self);

void            offauth_service_request_async  (OffauthService  *self,
                                                guint64          amount,
                                                const char      *currency,
                                                GCancellable    *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer         user_data);
/* The request text, or NULL with *reason set when the terminal is paused. */
gchar          *offauth_service_request_finish (OffauthService  *self,
                                                GAsyncResult    *result,
                                                OffauthReason   *reason,
                                                GError         **error);

void            offauth_service_authorize_async  (OffauthService        *self,
                                                  const char            *payment_text,
                                                  const OffauthSaleLine *lines,
                                                  gsize                  n_lines,
                                                  GCancellable          *cancellable,
                                                  GAsyncReadyCallback    callback,
                                                  gpointer               user_data);
gboolean        offauth_service_authorize_finish (OffauthService        *self,
                                                  GAsyncResult          *result,
                                                  OffauthDecision       *decision,
                                                  GError               **error);

void            offauth_service_verify_async   (OffauthService  *self,
                                                GAsyncReadyCallback callback,
                                                gpointer         user_data);
/* TRUE when the journal verifies; otherwise error names the first bad row. */
gboolean        offauth_service_verify_finish  (OffauthService  *self,
                                                GAsyncResult    *result,
                                                GError         **error);
gboolean        offauth_service_accept_clock   (OffauthService  *self,
                                                GError         **error);

/* Demo only: the local payer's wallet pays the request (as a phone would). */
gchar          *offauth_service_demo_pay       (OffauthService  *self,
                                                const char      *request_text,
                                                GError         **error);

G_END_DECLS
