/* acquirer-server.h: the acquirer's HTTP API (docs/api.md) on a SoupServer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "acquirer-db.h"
#include "offauth.h"

G_BEGIN_DECLS

/* The longest body each route reads, in bytes; a longer one is answered 413 from its
 * Content-Length, or as soon as a chunked body passes the limit, and is never kept.
 * A sync request's text is at most 67,108,864 characters without its LF. */
#define ACQUIRER_SYNC_BODY_MAX  (67108864 + 1)
/* An online request's text is 571 characters; no other route takes a body. */
#define ACQUIRER_SMALL_BODY_MAX 1024

typedef struct _AcquirerServer AcquirerServer;

/* db and key are borrowed and must outlive the server. now: a fixed clock (tests), or 0. */
AcquirerServer *acquirer_server_new    (AcquirerDb             *db,
                                        const OffauthSecretKey *key,
                                        const char             *issuer_dir,
                                        guint64                 now,
                                        GTlsCertificate        *tls_certificate);
void            acquirer_server_free   (AcquirerServer         *server);
/* Listens on address (port 0: a free one); returns the base URL, http or https. */
gchar          *acquirer_server_listen (AcquirerServer         *server,
                                        GInetSocketAddress     *address,
                                        GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcquirerServer, acquirer_server_free)

G_END_DECLS
