/* till-money.h: amounts are integers in minor units, formatted for the locale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (TILL_INSIDE) && !defined (TILL_COMPILATION)
# error "Only <till.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

gchar *till_format_amount     (guint64     amount,
                               const char *currency);
/* The ISO 4217 minor-unit exponent: 2 for EUR, 0 for JPY, 3 for KWD. */
guint  till_currency_exponent (const char *currency);

G_END_DECLS
