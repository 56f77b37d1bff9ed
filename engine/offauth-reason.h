/* offauth-reason.h: the decision's reason codes and what a cashier is told.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* In the protocol's decision order; the code strings are stable (docs/protocol.md). */
typedef enum
{
  OFFAUTH_REASON_NONE = 0,          /* approved */
  /* terminal state */
  OFFAUTH_REASON_NOT_ENROLLED,
  OFFAUTH_REASON_BUNDLE_EXPIRED,
  OFFAUTH_REASON_CLOCK_UNTRUSTED,
  OFFAUTH_REASON_UPLOAD_OVERDUE,
  OFFAUTH_REASON_OVER_TERMINAL_CAP,
  /* the payment */
  OFFAUTH_REASON_MALFORMED,
  OFFAUTH_REASON_BAD_PAYER_SIGNATURE,
  OFFAUTH_REASON_ALREADY_RECORDED,
  OFFAUTH_REASON_UNKNOWN_ISSUER_KEY,
  OFFAUTH_REASON_ISSUER_KEY_EXPIRED,
  OFFAUTH_REASON_BAD_ISSUER_SIGNATURE,
  OFFAUTH_REASON_WRONG_TERMINAL,
  OFFAUTH_REASON_REQUEST_UNKNOWN,
  OFFAUTH_REASON_REQUEST_SUPERSEDED,
  OFFAUTH_REASON_REQUEST_MISMATCH,
  OFFAUTH_REASON_REQUEST_USED,
  OFFAUTH_REASON_REQUEST_EXPIRED,
  OFFAUTH_REASON_NOT_YET_VALID,
  OFFAUTH_REASON_EXPIRED,
  OFFAUTH_REASON_CURRENCY_MISMATCH,
  OFFAUTH_REASON_REVOKED,
  OFFAUTH_REASON_NEGATIVE_LIST,
  OFFAUTH_REASON_OUT_OF_SCOPE,
  OFFAUTH_REASON_COUNTER_REUSED,
  OFFAUTH_REASON_OVER_PAYMENT_LIMIT,
  OFFAUTH_REASON_REVOCATION_STALE,
  OFFAUTH_REASON_OVER_OFFLINE_COUNT,
  OFFAUTH_REASON_OVER_OFFLINE_TOTAL,
  OFFAUTH_REASON_OVER_FLOOR_LIMIT,
  OFFAUTH_REASON_STORAGE_UNAVAILABLE,
  OFFAUTH_N_REASONS
} OffauthReason;

const char    *offauth_reason_code           (OffauthReason  reason);
OffauthReason  offauth_reason_from_code      (const char    *code);
gboolean       offauth_reason_is_terminal_state (OffauthReason reason);
/* Translated main line and next step for the cashier (UX.md). */
const char    *offauth_reason_message        (OffauthReason  reason);
const char    *offauth_reason_next_step      (OffauthReason  reason);
/* For terminal-state reasons: what is wrong and who can fix it. */
const char    *offauth_reason_detail         (OffauthReason  reason);

/* An offline refusal the terminal may take online (PROTOCOL.md, "Online authorization"):
 * over_payment_limit, over_offline_count, over_offline_total, revocation_stale and
 * over_floor_limit. */
gboolean       offauth_reason_allows_online  (OffauthReason  reason);
/* Translated main line and next step for an online decline, from the acquirer's reason
 * (OffauthSettleReason: 1-6, 8, 11 or 12). */
const char    *offauth_online_decline_message   (guint       acquirer_reason);
const char    *offauth_online_decline_next_step (guint       acquirer_reason);

/* "The code could not be read. Scan again." for a scan that did not decode at all. */
const char    *offauth_garbled_message       (void);
const char    *offauth_garbled_next_step     (void);

/* For storage_unavailable with an unknown outcome (the decision's outcome_unknown): the
 * sale may be recorded, so never "Nothing was charged". */
const char    *offauth_unknown_outcome_message   (void);
const char    *offauth_unknown_outcome_next_step (void);


G_END_DECLS
