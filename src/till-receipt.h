/* till-receipt.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

G_BEGIN_DECLS

/* The width of a receipt line, in characters: a narrow till roll. */
#define TILL_RECEIPT_WIDTH 37

void   till_receipt_append_columns (GString                 *receipt,
                                    const char              *left,
                                    const char              *right);
gchar *till_receipt_build          (TillPayment             *payment,
                                    const TillPaymentResult *result,
                                    const char              *merchant,
                                    GDateTime               *when);

G_END_DECLS
