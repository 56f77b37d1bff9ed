/* offauth-wallet.h: a payer's wallet in a file: its key and, per credential, the last
 * counter used. The counter is saved before a payment is shown (PROTOCOL.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-wire.h"

G_BEGIN_DECLS

typedef struct _OffauthWallet OffauthWallet;

OffauthWallet *offauth_wallet_create     (const char     *path,
                                          GError        **error);
OffauthWallet *offauth_wallet_open       (const char     *path,
                                          GError        **error);
void           offauth_wallet_free       (OffauthWallet  *wallet);
const guint8  *offauth_wallet_public_key (OffauthWallet  *wallet);
gchar         *offauth_wallet_public_key_text (OffauthWallet *wallet);
/* Signs a payment for the request with the next counter of the credential; the same
 * request again gives the same payment. */
gchar         *offauth_wallet_pay        (OffauthWallet  *wallet,
                                          const char     *credential_text,
                                          const char     *request_text,
                                          OffauthPayment *payment_out,
                                          GError        **error);

/* Signs one payment with an explicit counter, keeping no state (tests, vectors). */
gchar         *offauth_payment_make      (const OffauthCredential *credential,
                                          const OffauthRequest    *request,
                                          guint32                  counter,
                                          const OffauthSecretKey  *payer_key,
                                          OffauthPayment          *payment_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthWallet, offauth_wallet_free)

G_END_DECLS
