/* till-cash-provider.h: the built-in cash payment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till.h"

G_BEGIN_DECLS

#define TILL_TYPE_CASH_PROVIDER (till_cash_provider_get_type ())
G_DECLARE_FINAL_TYPE (TillCashProvider, till_cash_provider, TILL, CASH_PROVIDER, GObject)

TillPaymentProvider *till_cash_provider_new (TillHost *host);

/* The amounts a payer is likely to hand over: the exact amount, then round notes (5, 10,
 * 20, 50, 100, 200 whole units of a currency with that minor-unit exponent). */
guint                till_cash_suggestions  (guint64     amount,
                                             guint       exponent,
                                             guint64    *out,
                                             guint       n_out);
/* The amount typed on the keypad ("12.5": digits and at most one '.') in minor units; FALSE
 * when nothing or only a separator was typed. Fraction digits beyond the exponent are not
 * taken by the keypad, and are ignored here. */
gboolean             till_cash_typed_amount (const char *typed,
                                             guint       exponent,
                                             guint64    *amount);

G_END_DECLS
