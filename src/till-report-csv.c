/* till-report-csv.c: writes the day's sales as CSV in the locale's spreadsheet conventions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <langinfo.h>

#include <glib/gi18n.h>
#include <till.h>

#include "till-report-csv.h"

void
till_report_csv_locale (char        *separator,
                        const char **decimal_mark)
{
  const char *radix = nl_langinfo (RADIXCHAR);

  if (radix == NULL || *radix == '\0')
    radix = ".";
  *decimal_mark = radix;
  *separator = g_str_equal (radix, ",") ? ';' : ',';
}

gchar *
till_report_csv_amount (guint64     amount,
                        const char *currency,
                        const char *decimal_mark)
{
  guint exponent = till_currency_exponent (currency);
  guint64 scale = 1;

  for (guint i = 0; i < exponent; i++)
    scale *= 10;
  if (exponent == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, amount);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "%s%0*" G_GUINT64_FORMAT,
                          amount / scale, decimal_mark,
                          (int) exponent, amount % scale);
}

/* A cell: quoted when it holds the separator, a quote or a line end; a leading character
 * that starts a formula is defused with a ' (OWASP's advice for CSV injection). */
static void
append_cell (GString    *csv,
             const char *text,
             char        separator,
             gboolean    last)
{
  gboolean formula = text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                     text[0] == '\t' || text[0] == '\r';
  gboolean quote = formula || strchr (text, separator) || strchr (text, '"') ||
                   strchr (text, '\n') || strchr (text, '\r');

  if (quote)
    g_string_append_c (csv, '"');
  if (formula)
    g_string_append_c (csv, '\'');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  if (quote)
    g_string_append_c (csv, '"');
  g_string_append (csv, last ? "\r\n" : (char[]) { separator, '\0' });
}

gchar *
till_report_csv_build (GPtrArray  *sales,
                       char        separator,
                       const char *decimal_mark)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  const char *header[] = {
    /* Translators: the columns of the sales export (CSV) */
    N_("Sale"), N_("Date"), N_("Time"), N_("Business day"), N_("Method"), N_("Reference"),
    N_("Items"), N_("Amount"), N_("Currency"), N_("Voided"),
  };

  g_return_val_if_fail (sales != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (header); i++)
    append_cell (csv, _(header[i]), separator, i + 1 == G_N_ELEMENTS (header));
  for (guint i = 0; i < sales->len; i++)
    {
      const TillBookSale *sale = sales->pdata[i];
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (sale->time);
      g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, sale->id);
      g_autofree gchar *date = when ? g_date_time_format (when, "%Y-%m-%d") : g_strdup ("");
      g_autofree gchar *clock = when ? g_date_time_format (when, "%H:%M:%S") : g_strdup ("");
      g_autofree gchar *items = till_book_sale_dup_items (sale, "; ");
      g_autofree gchar *amount = till_report_csv_amount (sale->amount, sale->currency,
                                                         decimal_mark);
      const char *cells[] = {
        id, date, clock, sale->day, sale->method_name, sale->reference ? sale->reference : "",
        items, amount, sale->currency, sale->voided ? _("yes") : "",
      };

      for (gsize c = 0; c < G_N_ELEMENTS (cells); c++)
        append_cell (csv, cells[c], separator, c + 1 == G_N_ELEMENTS (cells));
    }
  return g_string_free (g_steal_pointer (&csv), FALSE);
}
