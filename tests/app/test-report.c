/* test-report.c: the end-of-day report's figures: per method, voids, the cash the drawer
 * should hold (cash sales and cash collected for declined wallet sales), the wallet's sales by
 * state and the money at risk, as shown and printed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <glib/gstdio.h>

#include "fake-provider.h"
#include "till-report-page.h"

static gint64
utc (int h, int m)
{
  g_autoptr(GDateTime) t = g_date_time_new_utc (2026, 7, 4, h, m, 0);

  return g_date_time_to_unix (t);
}

static void
record (TillSalesBook *book, const char *method, const char *ref, gint64 time, guint64 amount,
        const char *category)
{
  g_autoptr(TillBookSale) sale = till_book_sale_new ();
  g_autoptr(GError) error = NULL;

  sale->time = time;
  sale->method = g_strdup (method);
  sale->method_name = g_strdup (g_str_equal (method, "cash") ? "Cash" : "Wallet");
  sale->amount = amount;
  sale->currency = g_strdup ("EUR");
  sale->provider_ref = g_strdup (ref);
  sale->reference = ref ? g_strdup_printf ("Sale %s", ref) : NULL;
  till_book_sale_add_line (sale, "Item", category, 1, amount, amount);
  g_assert_true (till_sales_book_record (book, sale, &error));
  g_assert_no_error (error);
}

/* The printed line that starts with `left` ends with `right`. */
static void
assert_line (const char *text, const char *left, const char *right)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], left))
      {
        if (!g_str_has_suffix (lines[i], right))
          g_error ("\"%s\" does not end with \"%s\"", lines[i], right);
        return;
      }
  g_error ("no line \"%s...\" in:\n%s", left, text);
}

static void
test_report (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("till-report-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "sales.db", NULL);
  g_autoptr(TillSalesBook) book = till_sales_book_open (path, &error);
  g_autoptr(GPtrArray) providers = g_ptr_array_new_with_free_func (g_object_unref);
  FakeProvider *wallet = fake_provider_new ();
  TillReportPage *page;
  GtkWidget *wallet_group;
  g_autofree gchar *text = NULL;
  gint64 end;

  g_assert_no_error (error);
  record (book, "cash", NULL, utc (10, 0), 950, "Drinks");
  record (book, "cash", NULL, utc (11, 0), 400, "Food");
  record (book, "offauth", "1", utc (12, 0), 900, "Food");
  record (book, "offauth", "2", utc (13, 0), 500, "Drinks");
  record (book, "offauth", "3", utc (14, 0), 300, "Drinks");
  /* After midnight: the same business day. */
  record (book, "cash", NULL, utc (23, 0) + 3 * 3600, 200, "Drinks");
  g_assert_true (till_sales_book_void (book, 2, 0, &error));
  /* Where the terminal says its sales stand; a sale of another day is left out. */
  fake_provider_add_sale (wallet, "1", utc (12, 0), 900, TILL_SETTLEMENT_SETTLED, "Settled");
  fake_provider_add_sale (wallet, "2", utc (13, 0), 500, TILL_SETTLEMENT_COLLECTED_OTHERWISE,
                          "Collected otherwise");
  fake_provider_add_sale (wallet, "3", utc (14, 0), 300, TILL_SETTLEMENT_PENDING, "Waiting");
  fake_provider_add_sale (wallet, "0", utc (1, 0), 7000, TILL_SETTLEMENT_DECLINED, "Declined late");
  g_ptr_array_add (providers, wallet);

  page = g_object_ref_sink (g_object_new (TILL_TYPE_REPORT_PAGE, NULL));
  till_report_page_set_providers (page, providers);
  till_report_page_set_book (page, book);
  till_report_page_show_day (page, "2026-07-04");
  wallet_group = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page), TILL_TYPE_REPORT_PAGE,
                                                            "wallet_group"));
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!gtk_widget_get_visible (wallet_group) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_visible (wallet_group));

  text = till_report_page_build_text (page);
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, "End of day 2026-07-04\n5 sales, €28.50\n"));
  g_assert_nonnull (strstr (text, "First sale 10:00, last sale 02:00\n"));
  assert_line (text, "Cash (2)", "€11.50");
  assert_line (text, "Wallet (3)", "€17.00");
  assert_line (text, "Voided (1)", "€4.00");
  assert_line (text, "Drinks (4)", "€19.50");
  assert_line (text, "Food (1)", "€9.00");
  /* The drawer: cash sales and the cash taken for a declined wallet sale. */
  assert_line (text, "Cash sales", "€11.50");
  assert_line (text, "Collected for declined wallet sales", "€5.00");
  assert_line (text, "In the drawer", "€16.50");
  assert_line (text, "Settled (1)", "€9.00");
  assert_line (text, "Waiting (1)", "€3.00");
  assert_line (text, "Collected otherwise (1)", "€5.00");
  assert_line (text, "At risk (not settled)", "€3.00");
  g_assert_null (strstr (text, "Declined late"));

  /* The list: every sale, the voided one marked. */
  {
    GListModel *sales = till_report_page_get_sales (page);
    g_autoptr(TillReportRow) voided = g_list_model_get_item (sales, 1);
    g_autoptr(TillReportRow) second = g_list_model_get_item (sales, 3);

    g_assert_cmpuint (g_list_model_get_n_items (sales), ==, 6);
    g_assert_true (till_report_row_get_voided (voided));
    g_assert_cmpstr (till_report_row_get_title (second), ==, "13:00 · Wallet · Sale 2");
  }

  /* The day before: nothing. */
  till_report_page_show_day (page, "2026-07-03");
  g_clear_pointer (&text, g_free);
  text = till_report_page_build_text (page);
  g_assert_true (g_str_has_prefix (text, "End of day 2026-07-03\nNo sales\n"));

  g_object_unref (page);
  g_clear_object (&book);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree gchar *file = g_build_filename (dir, name, NULL);

        g_unlink (file);
      }
    g_rmdir (dir);
  }
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/Till/Report/figures", test_report);
  return g_test_run ();
}
