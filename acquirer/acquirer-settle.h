/* acquirer-settle.h: payer accounts and credentials; settlement comes here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "acquirer-db.h"
#include "offauth.h"

G_BEGIN_DECLS

typedef struct
{
  guint64  balance;
  gboolean created;   /* the top-up opened the account */
  guint    settled;   /* held or retryable sales of this payer it settled */
} AcquirerTopup;

/* Whether an operator's CREDENTIAL argument is an id (32 hex digits, and no such file)
 * rather than a text, a file or "-". */
gboolean acquirer_credential_is_id   (const char        *arg);
/* The credential of that id, once exactly one account holds a credential with that id;
 * OFFAUTH_ERROR_INVALID when none or several do. */
gboolean acquirer_credential_by_id   (AcquirerDb        *db,
                                      const char        *hex,
                                      OffauthCredential *out,
                                      GError           **error);
/* The credential's issuer signature, under its key in the issuer's latest trust bundle
 * (which must verify under the issuer's root). */
gboolean acquirer_credential_check   (OffauthIssuer           *issuer,
                                      const OffauthCredential *credential,
                                      GError                 **error);
/* Credits the payer's account (created on first top-up) in one durable transaction. */
gboolean acquirer_topup              (AcquirerDb              *db,
                                      const OffauthCredential *credential,
                                      guint64                  amount,
                                      guint64                  now,
                                      AcquirerTopup           *result,
                                      GError                 **error);

G_END_DECLS
