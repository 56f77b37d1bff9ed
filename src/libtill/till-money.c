/* till-money.c: amounts for plugins and the app, through the product's one formatter.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till.h"
#include "money.h"

/* One formatter for the whole product (common/money.c), which never goes through a double. */
gchar *
till_format_amount (guint64     amount,
                    const char *currency)
{
  return money_format_amount (amount, currency);
}

guint
till_currency_exponent (const char *currency)
{
  return money_currency_exponent (currency);
}
