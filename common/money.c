/* money.c: the one amount formatter of the product.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "money"

#include "config.h"

#include <limits.h>
#include <locale.h>
#include <string.h>

#include "money.h"

/* ISO 4217 minor-unit exponents that differ from 2. */
static const struct
{
  const char *code;
  guint       exponent;
} exponents[] = {
  { "BHD", 3 }, { "BIF", 0 }, { "CLP", 0 }, { "DJF", 0 }, { "GNF", 0 }, { "IQD", 3 },
  { "ISK", 0 }, { "JOD", 3 }, { "JPY", 0 }, { "KMF", 0 }, { "KRW", 0 }, { "KWD", 3 },
  { "LYD", 3 }, { "OMR", 3 }, { "PYG", 0 }, { "RWF", 0 }, { "TND", 3 }, { "UGX", 0 },
  { "VND", 0 }, { "VUV", 0 }, { "XAF", 0 }, { "XOF", 0 }, { "XPF", 0 },
};

static const struct
{
  const char *code;
  const char *symbol;
} symbols[] = {
  { "EUR", "€" }, { "USD", "$" }, { "GBP", "£" }, { "JPY", "¥" }, { "INR", "₹" },
  { "PLN", "zł" }, { "SEK", "kr" }, { "NOK", "kr" }, { "DKK", "kr" },
};

guint
money_currency_exponent (const char *currency)
{
  for (gsize i = 0; i < G_N_ELEMENTS (exponents); i++)
    if (g_strcmp0 (exponents[i].code, currency) == 0)
      return exponents[i].exponent;
  return 2;
}

gchar *
money_format_amount (guint64     amount,
                       const char *currency)
{
  const struct lconv *lc = localeconv ();
  const char *symbol = currency;
  const char *point = lc->mon_decimal_point && *lc->mon_decimal_point ? lc->mon_decimal_point : ".";
  const char *sep = lc->mon_thousands_sep ? lc->mon_thousands_sep : "";
  gboolean precedes = lc->p_cs_precedes == CHAR_MAX ? TRUE : lc->p_cs_precedes != 0;
  gboolean space = lc->p_sep_by_space == CHAR_MAX ? FALSE : lc->p_sep_by_space != 0;
  guint exponent = money_currency_exponent (currency);
  guint64 unit = 1;
  g_autofree gchar *whole = NULL;
  GString *num = g_string_new (NULL);
  GString *out = g_string_new (NULL);
  gsize len;

  for (gsize i = 0; i < G_N_ELEMENTS (symbols); i++)
    if (g_strcmp0 (symbols[i].code, currency) == 0)
      symbol = symbols[i].symbol;
  if (symbol == currency)
    space = TRUE;

  for (guint i = 0; i < exponent; i++)
    unit *= 10;
  whole = g_strdup_printf ("%" G_GUINT64_FORMAT, amount / unit);
  len = strlen (whole);
  /* Group thousands as the locale does for money (grouping of 3 in every locale we ship). */
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0 && *sep)
        g_string_append (num, sep);
      g_string_append_c (num, whole[i]);
    }
  if (exponent > 0)
    g_string_append_printf (num, "%s%0*" G_GUINT64_FORMAT, point, (int) exponent, amount % unit);

  if (precedes)
    g_string_append_printf (out, "%s%s%s", symbol, space ? " " : "", num->str);
  else
    g_string_append_printf (out, "%s%s%s", num->str, space ? " " : "", symbol);
  g_string_free (num, TRUE);
  return g_string_free (out, FALSE);
}
