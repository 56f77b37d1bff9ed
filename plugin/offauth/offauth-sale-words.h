/* offauth-sale-words.h: a listed sale in the merchant's words: its state, the reason in
 * plain words with what to do (../shared/UX.md, "Late declines"), and which actions it takes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

/* What the view filters and totals by: the state the merchant reads. */
typedef enum
{
  OFFAUTH_SALE_SHOWN_WAITING,
  OFFAUTH_SALE_SHOWN_UPLOADING,
  OFFAUTH_SALE_SHOWN_SETTLED,
  OFFAUTH_SALE_SHOWN_DECLINED,
  OFFAUTH_SALE_SHOWN_RETRY,
  OFFAUTH_SALE_SHOWN_CLOSING,
  OFFAUTH_SALE_SHOWN_WRITTEN_OFF,
  OFFAUTH_SALE_SHOWN_COLLECTED,
  OFFAUTH_SALE_SHOWN_GIVE_BACK,
  OFFAUTH_N_SALE_SHOWN
} OffauthSaleShown;

OffauthSaleShown offauth_sale_shown            (const OffauthSaleInfo *sale);
/* "waiting", "declined late", "paid after all: give back what you collected"… (translated) */
const char      *offauth_sale_shown_name       (OffauthSaleShown       shown);
/* The state with its detail: "retry scheduled: attempt 2, next at 15:40". */
gchar           *offauth_sale_state_text       (const OffauthSaleInfo *sale);
/* The reason in plain words, or NULL (settled, waiting); then what to do, or NULL. */
const char      *offauth_sale_reason_text      (const OffauthSaleInfo *sale);
gchar           *offauth_sale_next_step        (const OffauthSaleInfo *sale);
/* Declined late, retrying or to give back: the merchant has something to do. */
gboolean         offauth_sale_needs_attention  (const OffauthSaleInfo *sale);
/* "Retry now": only insufficient funds on a schedule, not already asked. */
gboolean         offauth_sale_can_retry        (const OffauthSaleInfo *sale);
/* Write off, collected otherwise: a declined sale, or a retrying one (then "closing"). */
gboolean         offauth_sale_can_close        (const OffauthSaleInfo *sale);
/* The payer's reference: the first 8 hex digits of the credential id. */
gchar           *offauth_sale_payer_ref        (const OffauthSaleInfo *sale);
/* "offline" or "online" (translated). */
const char      *offauth_sale_mode_text        (const OffauthSaleInfo *sale);
/* A time as the merchant reads it, in local time: "%x %H:%M" ("30/11/2026 14:02"). */
gchar           *offauth_sale_time_text        (guint64                time);

G_END_DECLS
