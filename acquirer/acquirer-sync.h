/* acquirer-sync.h: one sync request (U) handled as PROTOCOL.md "Reconciliation" says, and
 * one online request (O): verified, stored, settled and answered in one durable
 * transaction.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "acquirer-settle.h"

G_BEGIN_DECLS

/* The verdicts an answer carries beyond those it must (its records' and asks'): a larger
 * backlog is paged (flags bit 0) and the terminal polls again at once. */
#define ACQUIRER_ANSWER_PAGE 8192

typedef enum
{
  ACQUIRER_SYNC_ANSWERED,    /* 200 with *answer */
  ACQUIRER_SYNC_FORBIDDEN,   /* 403: terminal not registered, or the signature fails */
  ACQUIRER_SYNC_FORK,        /* 409: the rows rewrite the chain the acquirer holds */
} AcquirerSyncStatus;

/* Rows after after_seq are dropped from the acquirer's copy of the chain (a fork's
 * recovery, or a take-over from a row): inside the registration's transaction. */
gboolean acquirer_sync_reset_chain (AcquirerDb             *db,
                                    const AcquirerTerminal *terminal,
                                    GError                **error);

gboolean acquirer_sync_handle      (AcquirerDb              *db,
                                    const OffauthSecretKey  *key,
                                    const char              *issuer_dir,
                                    guint64                  now,
                                    const OffauthSyncRequest *request,
                                    AcquirerSyncStatus      *status,
                                    OffauthSyncAnswer      **answer,
                                    GError                 **error);

/* *forbidden: 403 (not registered, or the signature fails). */
gboolean acquirer_online_handle    (AcquirerDb              *db,
                                    const OffauthSecretKey  *key,
                                    const char              *issuer_dir,
                                    guint64                  now,
                                    const OffauthOnlineRequest *request,
                                    gboolean                *forbidden,
                                    OffauthOnlineDecision   *decision,
                                    GError                 **error);

G_END_DECLS
