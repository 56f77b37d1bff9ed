/* till-money.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till.h"
#include "offauth-reason.h"

/* One formatter for the whole product: the engine's, which never goes through a double. */
gchar *
till_format_amount (guint64     amount,
                    const char *currency)
{
  return offauth_format_amount (amount, currency);
}
