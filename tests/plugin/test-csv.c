/* test-csv.c: the status view's CSV export: separator and decimal mark per locale, amounts
 * from minor units, the currency column, formula-like cells escaped, quotes doubled, one line
 * ending throughout. Runs in C.UTF-8, then in de_DE.UTF-8 when the machine has it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <locale.h>
#include <string.h>

#include "offauth-csv.h"
#include "offauth-sale-words.h"

static gchar *
cell (const char *text,
      const char *decimal_mark)
{
  OffauthCsvFormat f;
  GString *out = g_string_new (NULL);

  offauth_csv_format_init (&f, decimal_mark, FALSE);
  offauth_csv_append_cell (out, text, &f);
  return g_string_free (out, FALSE);
}

static void
assert_cell (const char *text,
             const char *decimal_mark,
             const char *expected)
{
  g_autofree gchar *got = cell (text, decimal_mark);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_amounts (void)
{
  const struct { guint64 amount; guint exponent; const char *mark; const char *text; } cases[] = {
    { 0, 2, ".", "0.00" },
    { 5, 2, ".", "0.05" },
    { 123450, 2, ",", "1234,50" },
    { 1234, 0, ",", "1234" },
    { 1001, 3, ".", "1.001" },
    { G_MAXUINT64, 2, ".", "184467440737095516.15" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = offauth_csv_amount (cases[i].amount, cases[i].exponent,
                                                   cases[i].mark);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_separators (void)
{
  OffauthCsvFormat f;

  offauth_csv_format_init (&f, ",", TRUE);
  g_assert_cmpint (f.separator, ==, ';');
  offauth_csv_format_init (&f, ".", TRUE);
  g_assert_cmpint (f.separator, ==, ',');
  offauth_csv_format_init (&f, NULL, TRUE);
  g_assert_cmpint (f.separator, ==, ',');
  g_assert_cmpstr (f.decimal_mark, ==, ".");
}

static void
test_escaping (void)
{
  assert_cell ("plain", ".", "plain");
  assert_cell ("", ".", "");
  assert_cell ("=SUM(A1)", ".", "'=SUM(A1)");
  assert_cell ("+1", ".", "'+1");
  assert_cell ("-1", ".", "'-1");
  assert_cell ("@cmd", ".", "'@cmd");
  assert_cell ("\tx", ".", "'\tx");
  assert_cell ("\rx", ".", "\"'\rx\"");
  assert_cell ("a,b", ".", "\"a,b\"");
  assert_cell ("a,b", ",", "a,b");        /* the separator is ';' there */
  assert_cell ("a;b", ",", "\"a;b\"");
  assert_cell ("say \"hi\"", ".", "\"say \"\"hi\"\"\"");
  assert_cell ("=\"x\",y", ".", "\"'=\"\"x\"\",y\"");
  assert_cell ("two\nlines", ".", "\"two\nlines\"");
  assert_cell ("a=b", ".", "a=b");        /* only the first character counts */
}

static void
test_rows (void)
{
  OffauthCsvFormat f;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *row[] = { "1", "x;y", "=1", NULL };

  offauth_csv_format_init (&f, ",", TRUE);
  offauth_csv_append_row (out, row, &f);
  offauth_csv_append_row (out, row, &f);
  g_assert_cmpstr (out->str, ==, "1;\"x;y\";'=1\r\n1;\"x;y\";'=1\r\n");
  g_string_truncate (out, 0);
  offauth_csv_format_init (&f, ".", FALSE);
  offauth_csv_append_row (out, row, &f);
  g_assert_cmpstr (out->str, ==, "1,x;y,'=1\n");
}

static OffauthSaleInfo
sale (guint64 seq, guint64 amount, const char *currency, OffauthSaleState state, guint8 reason)
{
  OffauthSaleInfo s = { 0 };

  s.seq = seq;
  s.amount = amount;
  g_strlcpy (s.currency, currency, sizeof s.currency);
  s.time = 1767225600 + seq * 60;   /* 2026-01-01 00:0x UTC */
  s.state = state;
  s.reason = reason;
  memset (s.credential_id, 0xab, sizeof s.credential_id);
  return s;
}

/* A line read back as a spreadsheet would: quoted cells, doubled quotes. */
static GPtrArray *
parse_line (const char *line,
            char        sep)
{
  GPtrArray *cells = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = line; ; p++)
    {
      if (quoted && *p == '"' && p[1] == '"')
        g_string_append_c (cur, *p++);
      else if (*p == '"')
        quoted = !quoted;
      else if (*p == '\0' || (!quoted && *p == sep))
        {
          g_ptr_array_add (cells, g_string_free (cur, FALSE));
          if (*p == '\0')
            break;
          cur = g_string_new (NULL);
        }
      else
        g_string_append_c (cur, *p);
    }
  return cells;
}

/* Every line has the same number of cells, the same line ending, the locale's marks. */
static void
check_sales (const char *decimal_mark)
{
  OffauthSaleInfo sales[] = {
    sale (7, 450, "EUR", OFFAUTH_SALE_SETTLED, 0),
    sale (8, 123456, "EUR", OFFAUTH_SALE_DECLINED, OFFAUTH_SETTLE_DOUBLE_SPEND),
    sale (9, 1200, "JPY", OFFAUTH_SALE_RETRY, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS),
  };
  OffauthCsvFormat f;
  g_autofree gchar *csv = NULL;
  g_auto(GStrv) lines = NULL;
  char sep;
  g_autofree gchar *amount_eur = NULL;
  g_autofree gchar *amount_big = NULL;

  offauth_csv_format_locale (&f);
  g_assert_cmpstr (f.decimal_mark, ==, decimal_mark);
  sep = f.separator;
  csv = offauth_csv_sales (sales, G_N_ELEMENTS (sales), &f);
  g_test_message ("%s", csv);
  g_assert_true (g_str_has_suffix (csv, "\r\n"));
  /* No bare LF: CRLF throughout. */
  for (const char *p = strchr (csv, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    g_assert_cmpint (p[-1], ==, '\r');
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);   /* header, 3 sales, the empty tail */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(GPtrArray) cells = parse_line (lines[i], sep);

      g_assert_cmpuint (cells->len, ==, 9);
      if (i == 2)
        g_assert_cmpstr (g_ptr_array_index (cells, 7), ==,
                         "This wallet paid twice with the same payment (a copied wallet). It is "
                         "now blocked everywhere.");
    }
  amount_eur = g_strdup_printf ("%c4%s50%cEUR%c", sep, decimal_mark, sep, sep);
  amount_big = g_strdup_printf ("%c1234%s56%cEUR%c", sep, decimal_mark, sep, sep);
  g_assert_nonnull (strstr (lines[1], amount_eur));
  g_assert_nonnull (strstr (lines[2], amount_big));
  g_assert_nonnull (strstr (lines[3], "1200"));     /* JPY has no minor unit */
  g_assert_nonnull (strstr (lines[3], "JPY"));
  g_assert_true (g_str_has_prefix (lines[1], "7"));
  g_assert_nonnull (strstr (lines[1], "2026-01-01 00:07:00"));
  g_assert_nonnull (strstr (lines[1], "abababab"));
  g_assert_nonnull (strstr (lines[2], offauth_sale_shown_name (OFFAUTH_SALE_SHOWN_DECLINED)));
}

static void
test_sales_c (void)
{
  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));
  check_sales (".");
}

static void
test_sales_de (void)
{
  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
    {
      g_test_skip ("no de_DE.UTF-8 locale on this machine");
      return;
    }
  check_sales (",");
  setlocale (LC_ALL, "C.UTF-8");
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Offauth/Csv/amounts", test_amounts);
  g_test_add_func ("/Offauth/Csv/separators", test_separators);
  g_test_add_func ("/Offauth/Csv/escaping", test_escaping);
  g_test_add_func ("/Offauth/Csv/rows", test_rows);
  g_test_add_func ("/Offauth/Csv/sales-c", test_sales_c);
  g_test_add_func ("/Offauth/Csv/sales-de", test_sales_de);
  return g_test_run ();
}
