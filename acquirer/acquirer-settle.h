/* acquirer-settle.h: payer accounts and credentials, and the settlement of one sale
 * (PROTOCOL.md "Settlement of one sale, at the acquirer"): checks 1-12 in table order,
 * held, final and retryable verdicts, the retry schedule, online decisions, reversals
 * and double spends revoked through the issuer folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "acquirer-db.h"
#include "offauth.h"

G_BEGIN_DECLS

/* The retry schedule of insufficient_funds: attempt k + 1 is due at the first decline +
 * these seconds (k = 1..4); never two attempts closer than ACQUIRER_RETRY_GAP. */
#define ACQUIRER_RETRY_GAP         3600
/* An online approval whose kind-1 row did not come is reversed once the chain holds a row
 * this much later than its request, or this long after the decision. */
#define ACQUIRER_REVERSE_AFTER_ROW 600
#define ACQUIRER_REVERSE_AFTER     (7 * 24 * 3600)
/* Hours until the next update of a list a double spend makes. */
#define ACQUIRER_REVOKE_HOURS      24

/* What settlement works with, for the length of one transaction. */
typedef struct
{
  AcquirerDb             *db;
  const OffauthSecretKey *key;          /* the acquirer's key (decisions, answers) */
  const char             *issuer_dir;   /* NULL: none (the settlement test vectors) */
  guint64                 now;
  GArray                 *to_revoke;    /* credentials (172 bytes each) caught double spent */
  GHashTable             *verified;     /* payments' signatures checked ahead, or NULL */
} AcquirerSettle;

void     acquirer_settle_init        (AcquirerSettle         *ctx,
                                      AcquirerDb             *db,
                                      const OffauthSecretKey *key,
                                      const char             *issuer_dir,
                                      guint64                 now);
void     acquirer_settle_clear       (AcquirerSettle         *ctx);
/* Keeps what the issuer folder publishes: its latest bundle (once it verifies under the
 * root) and its revocation lists. Inside the transaction. Read and verified only when a
 * file of the folder changed since the last refresh on this database handle (a new list
 * or bundle is kept at the next request; a rollback or a revocation of ours forgets). */
gboolean acquirer_settle_refresh     (AcquirerSettle         *ctx,
                                      GError                **error);
/* Before the commit: revokes the credentials caught double spent, through the issuer
 * folder, and keeps the new lists. */
gboolean acquirer_settle_finish      (AcquirerSettle         *ctx,
                                      GError                **error);
/* A new kind-1 row of terminal t (seq, the record's bytes; seq 0: a row of a fork's branch,
 * settled without a row or version in the chain kept); k9_time: the chain's kind-9 time
 * before the row. settle FALSE: stored, not settled (a take-over's rows). The sale
 * comes back with its verdict; *found FALSE when the row carries no sale (not settled). */
gboolean acquirer_settle_verify_ahead (AcquirerSettle    *ctx,
                                       const OffauthView *records,
                                       guint              n,
                                       GError           **error);
gboolean acquirer_settle_record      (AcquirerSettle         *ctx,
                                      const AcquirerTerminal *t,
                                      guint64                 seq,
                                      const guint8           *record,
                                      gsize                   len,
                                      guint64                 k9_time,
                                      AcquirerSale           *sale,
                                      GError                **error);
/* A retry ask for the terminal's sale at sale_seq: *found FALSE when it names no sale.
 * replayed: the request carrying it came before, so it runs no attempt even when due. */
gboolean acquirer_settle_ask         (AcquirerSettle         *ctx,
                                      const AcquirerTerminal *t,
                                      guint64                 sale_seq,
                                      gboolean                replayed,
                                      AcquirerSale           *sale,
                                      gboolean               *found,
                                      GError                **error);
/* A kind-8 close (state 4 or 5) of the terminal's sale: a sale in state 3 is withdrawn. */
gboolean acquirer_settle_close       (AcquirerSettle         *ctx,
                                      const AcquirerTerminal *t,
                                      const OffauthVerdict   *close,
                                      GError                **error);
/* Runs the terminal's held sales again (registrations, bundles or accounts changed). */
gboolean acquirer_settle_held        (AcquirerSettle         *ctx,
                                      const AcquirerTerminal *t,
                                      GError                **error);
/* Reverses an online approval: credits the payer back. */
gboolean acquirer_settle_reverse     (AcquirerSettle         *ctx,
                                      AcquirerSale           *sale,
                                      GError                **error);
/* Reverses every online approval older than ACQUIRER_REVERSE_AFTER without its row. */
gboolean acquirer_settle_reverse_expired (AcquirerSettle     *ctx,
                                      GError                **error);
/* An online request (verified): the decision, signed, the same one for the same request. */
gboolean acquirer_settle_online      (AcquirerSettle         *ctx,
                                      const AcquirerTerminal *t,
                                      const OffauthOnlineRequest *request,
                                      OffauthOnlineDecision  *decision,
                                      GError                **error);

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
/* Credits the payer's account (created on first top-up) in one durable transaction, and
 * settles the payer's held and retryable sales that the balance now covers, oldest first. */
gboolean acquirer_topup              (AcquirerDb              *db,
                                      const OffauthSecretKey  *key,
                                      const char              *issuer_dir,
                                      const OffauthCredential *credential,
                                      guint64                  amount,
                                      guint64                  now,
                                      AcquirerTopup           *result,
                                      GError                 **error);

G_END_DECLS
