/* offauth-acquirer-client.h: the terminal's HTTP client of its acquirer (PROTOCOL.md,
 * "Reconciliation", "HTTP"): carries the texts the engine builds and brings back the texts
 * the engine checks. It judges nothing but the transport: every status, timeout, broken
 * connection or body that is not an OA1 text becomes an OFFAUTH_NET_ERROR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OFFAUTH_NET_ERROR (offauth_net_error_quark ())

/* What went wrong on the way. The HTTP statuses the spec names have their own codes; the
 * message carries the status and the server's {"error": …} text. */
typedef enum
{
  OFFAUTH_NET_ERROR_URL,           /* not https, or plain http to another machine */
  OFFAUTH_NET_ERROR_BAD_REQUEST,   /* 400 */
  OFFAUTH_NET_ERROR_FORBIDDEN,     /* 403 */
  OFFAUTH_NET_ERROR_CONFLICT,      /* 409: a fork, see the spec's recovery */
  OFFAUTH_NET_ERROR_TOO_LARGE,     /* 413 */
  OFFAUTH_NET_ERROR_SERVER,        /* 5xx */
  OFFAUTH_NET_ERROR_HTTP,          /* any other status but 200 */
  OFFAUTH_NET_ERROR_TIMEOUT,       /* no answer within the timeout */
  OFFAUTH_NET_ERROR_BROKEN,        /* refused, reset or closed before the whole answer */
  OFFAUTH_NET_ERROR_GARBAGE,       /* a 200 whose body is not what the path answers */
} OffauthNetError;

GQuark offauth_net_error_quark (void);

/* TRUE for the errors the spec counts as offline (5xx, timeout, broken, garbage): retry
 * later, nothing lost. */
gboolean offauth_net_error_is_offline (const GError *error);
/* The HTTP status an error came with, 0 when none. */
guint    offauth_net_error_get_status (const GError *error);

/* TRUE when url is https, or http to a loopback address (the engine's pin says the same). */
gboolean offauth_acquirer_url_is_allowed (const char  *url,
                                          GError     **error);

#define OFFAUTH_TYPE_ACQUIRER_CLIENT (offauth_acquirer_client_get_type ())
G_DECLARE_FINAL_TYPE (OffauthAcquirerClient, offauth_acquirer_client, OFFAUTH, ACQUIRER_CLIENT,
                      GObject)

/* base_url without the /v1/… path, such as https://acquirer.example or
 * http://127.0.0.1:8080; timeout in seconds (0 = none). NULL with an error when the URL is
 * refused. */
OffauthAcquirerClient *offauth_acquirer_client_new          (const char            *base_url,
                                                             guint                  timeout,
                                                             GError               **error);
const char            *offauth_acquirer_client_get_base_url (OffauthAcquirerClient *self);
guint                  offauth_acquirer_client_get_timeout  (OffauthAcquirerClient *self);
void                   offauth_acquirer_client_set_timeout  (OffauthAcquirerClient *self,
                                                             guint                  timeout);

/* POST /v1/sync: the sync request's text; the answer's text (an A, unchecked). */
void     offauth_acquirer_client_sync_async         (OffauthAcquirerClient *self,
                                                     const char            *request_text,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gchar   *offauth_acquirer_client_sync_finish        (OffauthAcquirerClient *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
/* POST /v1/authorize: the online request's text; the decision's text (a D, unchecked). */
void     offauth_acquirer_client_authorize_async    (OffauthAcquirerClient *self,
                                                     const char            *request_text,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gchar   *offauth_acquirer_client_authorize_finish   (OffauthAcquirerClient *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
/* GET /v1/trust: the latest trust bundle's text. */
void     offauth_acquirer_client_trust_async        (OffauthAcquirerClient *self,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gchar   *offauth_acquirer_client_trust_finish       (OffauthAcquirerClient *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
/* GET /v1/revocations[?have=KEYID:SEQ,…]: the lists newer than those named (have may be
 * NULL), one text each; an empty vector when there is none. */
void     offauth_acquirer_client_revocations_async  (OffauthAcquirerClient *self,
                                                     const char            *have,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
GStrv    offauth_acquirer_client_revocations_finish (OffauthAcquirerClient *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
/* GET /v1/health: the JSON object (informational only: never pinned, never a floor). */
void     offauth_acquirer_client_health_async       (OffauthAcquirerClient *self,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
JsonObject *offauth_acquirer_client_health_finish   (OffauthAcquirerClient *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);

G_END_DECLS
