/* offauth-csv.c: the status view's sales as CSV for the locale's spreadsheets (separator and
 * decimal mark of the locale, a currency column, formula-like cells escaped).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>
#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-csv.h"
#include "offauth-sale-words.h"

void
offauth_csv_format_init (OffauthCsvFormat *format,
                         const char       *decimal_mark,
                         gboolean          crlf)
{
  g_return_if_fail (format != NULL);

  if (decimal_mark == NULL || *decimal_mark == '\0')
    decimal_mark = ".";
  g_strlcpy (format->decimal_mark, decimal_mark, sizeof format->decimal_mark);
  format->separator = strcmp (decimal_mark, ",") == 0 ? ';' : ',';
  format->crlf = crlf;
}

void
offauth_csv_format_locale (OffauthCsvFormat *format)
{
  const struct lconv *conv = localeconv ();

  offauth_csv_format_init (format, conv->decimal_point, TRUE);
}

gchar *
offauth_csv_amount (guint64     amount,
                    guint       exponent,
                    const char *decimal_mark)
{
  guint64 scale = 1;

  g_return_val_if_fail (exponent <= 18, NULL);

  for (guint i = 0; i < exponent; i++)
    scale *= 10;
  if (exponent == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, amount);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "%s%0*" G_GUINT64_FORMAT, amount / scale,
                          decimal_mark, (int) exponent, amount % scale);
}

void
offauth_csv_append_cell (GString                *out,
                         const char             *cell,
                         const OffauthCsvFormat *format)
{
  gboolean formula, quote;

  if (cell == NULL)
    cell = "";
  formula = strchr ("=+-@\t\r", cell[0]) != NULL && cell[0] != '\0';
  quote = strchr (cell, format->separator) != NULL || strpbrk (cell, "\"\r\n") != NULL;
  if (quote)
    g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = cell; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  if (quote)
    g_string_append_c (out, '"');
}

void
offauth_csv_append_row (GString                *out,
                        const char * const     *cells,
                        const OffauthCsvFormat *format)
{
  for (guint i = 0; cells[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, format->separator);
      offauth_csv_append_cell (out, cells[i], format);
    }
  g_string_append (out, format->crlf ? "\r\n" : "\n");
}

static gchar *
offauth_csv_time (guint64 time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local ((gint64) MIN (time, G_MAXINT32));

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
}

gchar *
offauth_csv_sales (const OffauthSaleInfo  *sales,
                   guint                   n_sales,
                   const OffauthCsvFormat *format)
{
  GString *out = g_string_new (NULL);
  const char *header[] = {
    /* Translators: the column headers of the sales export (CSV) */
    _("Sale"), _("Time"), _("Amount"), _("Currency"), _("Payer"), _("Mode"), _("State"),
    _("Reason"), _("What to do"), NULL
  };

  offauth_csv_append_row (out, header, format);
  for (guint i = 0; i < n_sales; i++)
    {
      const OffauthSaleInfo *sale = &sales[i];
      g_autofree gchar *number = g_strdup_printf ("%" G_GUINT64_FORMAT, sale->seq);
      g_autofree gchar *time = offauth_csv_time (sale->time);
      g_autofree gchar *amount = offauth_csv_amount (sale->amount,
                                                     money_currency_exponent (sale->currency),
                                                     format->decimal_mark);
      g_autofree gchar *payer = offauth_sale_payer_ref (sale);
      g_autofree gchar *state = offauth_sale_state_text (sale);
      g_autofree gchar *next = offauth_sale_next_step (sale);
      const char *row[] = {
        number, time, amount, sale->currency, payer, offauth_sale_mode_text (sale), state,
        offauth_sale_reason_text (sale), next, NULL
      };

      /* A NULL reason would end the row early: the cells after it are empty strings. */
      if (row[7] == NULL)
        row[7] = "";
      if (row[8] == NULL)
        row[8] = "";
      offauth_csv_append_row (out, row, format);
    }
  return g_string_free (out, FALSE);
}
