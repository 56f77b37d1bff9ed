/* offauth-issuer.h: an issuer kept in a directory: the scheme root key, the issuer keys
 * (rotation), credentials, revocation lists and trust bundles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-wire.h"

G_BEGIN_DECLS

typedef struct _OffauthIssuer OffauthIssuer;

typedef struct
{
  const guint8 *payer_public_key;
  const char   *currency;
  guint64       per_payment_limit;
  guint64       offline_total_limit;
  guint32       max_offline_count;
  guint         days;
  guint32       scope;
} OffauthCredentialSpec;

/* Issuers back-date not_before by this much: kiosk clocks lag. */
#define OFFAUTH_ISSUER_BACKDATE 600

/* now: a fixed clock for tests and test vectors, or 0 for the real one. */
OffauthIssuer *offauth_issuer_create           (const char       *dir,
                                                guint             key_days,
                                                guint64           now,
                                                GError          **error);
OffauthIssuer *offauth_issuer_open             (const char       *dir,
                                                GError          **error);
void           offauth_issuer_free             (OffauthIssuer    *issuer);
/* Fixed time for tests and test vectors; 0 goes back to the real clock. */
void           offauth_issuer_set_now          (OffauthIssuer    *issuer,
                                                guint64           now);
gchar         *offauth_issuer_root_fingerprint (OffauthIssuer    *issuer);
gboolean       offauth_issuer_rotate           (OffauthIssuer    *issuer,
                                                guint             key_days,
                                                guint32           scope,
                                                GError          **error);
gchar         *offauth_issuer_credential       (OffauthIssuer    *issuer,
                                                const OffauthCredentialSpec *spec,
                                                GError          **error);
gchar         *offauth_issuer_bundle           (OffauthIssuer    *issuer,
                                                guint             days,
                                                GError          **error);
/* Adds ids to their keys' lists; returns the next list of every key touched. */
GPtrArray     *offauth_issuer_revoke           (OffauthIssuer    *issuer,
                                                const guint8     *ids,
                                                guint             n_ids,
                                                guint             hours_valid,
                                                GError          **error);
/* The next list of every current key, to keep terminals' lists fresh. */
GPtrArray     *offauth_issuer_revocation_lists (OffauthIssuer    *issuer,
                                                guint             hours_valid,
                                                GError          **error);

/* What the issuer last published, as kept in its directory (for an acquirer to serve):
 * the latest bundle (OFFAUTH_ERROR_STATE when none was published yet), and the latest
 * list of every key that has not expired and has one. */
gchar         *offauth_issuer_latest_bundle    (OffauthIssuer    *issuer,
                                                GError          **error);
GPtrArray     *offauth_issuer_latest_revocation_lists (OffauthIssuer *issuer,
                                                GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthIssuer, offauth_issuer_free)

G_END_DECLS
