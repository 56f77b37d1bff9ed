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

/* The amounts a payer is likely to hand over: the exact amount, then round notes. */
guint                till_cash_suggestions  (guint64   amount,
                                             guint64  *out,
                                             guint     n_out);

G_END_DECLS
