/* test-receipt.c: the receipt's columns line up in characters, whatever the currency sign.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <locale.h>

#include "till-receipt.h"

static void
test_columns (void)
{
  /* "€" and "×" are several bytes but one character each: a byte width (printf's %10s)
   * would push every such amount to the left. */
  static const struct
  {
    const char *left;
    const char *right;
    const char *expected;
  } cases[] = {
    { "Total", "€12.50", "Total                          €12.50\n" },
    { "Total", "12,50 €", "Total                         12,50 €\n" },
    { "Total", "$12.50", "Total                          $12.50\n" },
    { "Summe", "CHF 1’234.00", "Summe                    CHF 1’234.00\n" },
    { "2 × Bratwurst", "€7.00", "2 × Bratwurst                   €7.00\n" },
    { "12 × Crème brûlée", "1.234,00 €", "12 × Crème brûlée          1.234,00 €\n" },
    /* Too long for the roll: one space between the columns, never none. */
    { "1 × A name far too long for any till roll", "€1.00",
      "1 × A name far too long for any till roll €1.00\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) s = g_string_new (NULL);

      till_receipt_append_columns (s, cases[i].left, cases[i].right);
      g_assert_cmpstr (s->str, ==, cases[i].expected);
      if (g_utf8_strlen (cases[i].left, -1) + g_utf8_strlen (cases[i].right, -1) < TILL_RECEIPT_WIDTH)
        g_assert_cmpint (g_utf8_strlen (s->str, -1), ==, TILL_RECEIPT_WIDTH + 1);
    }
}

static void
test_build (void)
{
  g_autoptr(TillPayment) payment = till_payment_new (1350, "EUR");
  g_autoptr(TillPaymentResult) result = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_CASH,
                                                                 "Cash", "Paid in cash");
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 7, 6, 18, 30, 0);
  g_autofree gchar *receipt = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_amounts = 0;

  till_payment_add_line (payment, "Beer", "drinks", 2, 900);
  till_payment_add_line (payment, "Crème brûlée", "food", 1, 450);
  result->reference = g_strdup ("Sale 17");
  g_ptr_array_add (result->receipt, g_strdup ("Thank you"));
  receipt = till_receipt_build (payment, result, "Festival stall", when);
  lines = g_strsplit (receipt, "\n", -1);

  g_assert_cmpstr (lines[0], ==, "Festival stall");
  g_assert_cmpstr (lines[2], ==, "Sale 17");
  /* Every line with an amount ends at the same column. */
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "2 × ") || g_str_has_prefix (lines[i], "1 × ") ||
        g_str_has_prefix (lines[i], "Total"))
      {
        g_assert_cmpint (g_utf8_strlen (lines[i], -1), ==, TILL_RECEIPT_WIDTH);
        n_amounts++;
      }
  g_assert_cmpuint (n_amounts, ==, 3);
  g_assert_true (g_str_has_suffix (receipt, "Cash: Paid in cash\nThank you\n"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Till/Receipt/columns", test_columns);
  g_test_add_func ("/Till/Receipt/build", test_build);
  return g_test_run ();
}
