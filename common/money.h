/* money.h: amounts are integers in minor units, formatted for the locale, never via a double.
 *
 * The one amount formatter of the product. GLib only: libtill links it privately (its
 * symbols stay out of libtill's ABI) and so does the engine, so that neither reaches
 * into the other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ISO 4217 minor-unit exponent: 2 unless the currency is known to differ (JPY 0, KWD 3). */
guint  money_currency_exponent (const char *currency);
/* "€9.00", "9,00 €", "1.234,50 €": the current locale's monetary conventions. */
gchar *money_format_amount     (guint64     amount,
                                const char *currency);

G_END_DECLS
