/* till-receipt.c: the text of a receipt, from a payment and its result; pure, no widgets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>

#include "till-receipt.h"

/**
 * till_receipt_append_columns:
 * @receipt: the receipt so far
 * @left: the text on the left, such as "2 × Beer"
 * @right: the amount on the right, such as "€7.00" or "7,00 €"
 *
 * Appends one line with @right flush with the right edge of a #TILL_RECEIPT_WIDTH line.
 * Padding counts characters, not bytes: names and currency signs are UTF-8 ("€" is three
 * bytes, so a printf width would misalign every amount that has one). A line too long for
 * the width keeps one space between its columns.
 */
void
till_receipt_append_columns (GString    *receipt,
                             const char *left,
                             const char *right)
{
  glong used = g_utf8_strlen (left, -1) + g_utf8_strlen (right, -1);

  g_return_if_fail (receipt != NULL && left != NULL && right != NULL);

  g_string_append (receipt, left);
  for (glong i = 0; i < MAX (1, TILL_RECEIPT_WIDTH - used); i++)
    g_string_append_c (receipt, ' ');
  g_string_append (receipt, right);
  g_string_append_c (receipt, '\n');
}

/**
 * till_receipt_build:
 * @payment: the sale: its lines and amount
 * @result: the approval: method, title, reference and the provider's own lines
 * @merchant: the merchant name printed at the top
 * @when: the time of the sale, printed in the locale's format
 *
 * Returns: (transfer full): the receipt, one line per row, each ending in a newline.
 */
gchar *
till_receipt_build (TillPayment             *payment,
                    const TillPaymentResult *result,
                    const char              *merchant,
                    GDateTime               *when)
{
  const char *currency = till_payment_get_currency (payment);
  GString *s = g_string_new (NULL);
  g_autofree gchar *date = g_date_time_format (when, "%x %X");
  g_autofree gchar *total = till_format_amount (till_payment_get_amount (payment), currency);

  g_string_append_printf (s, "%s\n%s\n", merchant, date);
  if (result->reference != NULL)
    g_string_append_printf (s, "%s\n", result->reference);
  g_string_append (s, "\n");
  for (guint i = 0; i < till_payment_get_n_lines (payment); i++)
    {
      const char *name;
      guint qty;
      guint64 amount;
      g_autofree gchar *left = NULL;
      g_autofree gchar *line_total = NULL;

      till_payment_get_line (payment, i, &name, NULL, &qty, &amount);
      left = g_strdup_printf ("%u × %s", qty, name);
      line_total = till_format_amount (amount, currency);
      till_receipt_append_columns (s, left, line_total);
    }
  g_string_append (s, "\n");
  /* Translators: the receipt's total line: the sum to pay */
  till_receipt_append_columns (s, C_("sum", "Total"), total);
  g_string_append_printf (s, "%s: %s\n", result->method, result->title);
  for (guint i = 0; i < result->receipt->len; i++)
    g_string_append_printf (s, "%s\n", (const char *) result->receipt->pdata[i]);
  return g_string_free (s, FALSE);
}
