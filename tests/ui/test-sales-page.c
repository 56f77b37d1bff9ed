/* test-sales-page.c: the merchant's status view in a real window at 800 px under Xvfb, over a
 * real terminal with late declines: "needs attention" first, the rows, a write-off through a
 * row's button and its confirmation, the filters by state and day, the totals.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "offauth-sale-item.h"
#include "offauth-sale-words.h"
#include "offauth-sales-page.h"
#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "sales-world.h"

typedef struct
{
  OffauthSalesPage *page;
  guint             n;
} Wait;

static gboolean
listed (OffauthSalesPage *page, guint n)
{
  return !offauth_sales_page_is_listing (page) &&
         g_list_model_get_n_items (offauth_sales_page_get_shown (page)) == n;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
wait_listed (OffauthSalesPage *page, guint n)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!listed (page, n) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (offauth_sales_page_get_shown (page)), ==, n);
  /* Let the list view make, lay out and map its rows (a few frames). */
  {
    guint id = g_timeout_add (20, tick_cb, NULL);

    end = g_get_monotonic_time () + 300 * 1000;
    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (id);
  }
}

static GtkWidget *
find_label (GtkWidget *root, const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_label (c, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_button (GtkWidget *root, const char *label)
{
  if (GTK_IS_BUTTON (root) && gtk_widget_get_visible (root) &&
      g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_button (c, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The row (its box) whose title reads "Sale N". */
static GtkWidget *
find_row (GtkWidget *page, guint64 seq)
{
  g_autofree gchar *title = g_strdup_printf ("Sale %" G_GUINT64_FORMAT, seq);
  GtkWidget *label = find_label (page, title);

  g_assert_nonnull (label);
  /* title → its line → the text column → the row */
  return gtk_widget_get_parent (gtk_widget_get_parent (gtk_widget_get_parent (label)));
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

          if (ADW_IS_MESSAGE_DIALOG (w))
            return ADW_MESSAGE_DIALOG (w);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_not_reached ();
}

/* With TILL_SCREENSHOT_DIR set: the window as docs/screenshots shows it. */
static void
screenshot (GtkWidget *window, const char *name)
{
  const char *dir = g_getenv ("TILL_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree gchar *path = NULL;
  int width = gtk_widget_get_width (window), height = gtk_widget_get_height (window);

  if (dir == NULL)
    return;
  paintable = gtk_widget_paintable_new (window);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_strdup_printf ("%s/%s-%dx%d.png", dir, name, width, height);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static OffauthSaleItem *
item_at (OffauthSalesPage *page, guint i)
{
  return g_list_model_get_item (offauth_sales_page_get_shown (page), i);
}

static void
test_page (void)
{
  OffauthDecision d[N_SALES];
  TestWorld *w = sales_world_new (d);
  g_autoptr(GSettings) settings = g_settings_new (OFFAUTH_SETTINGS_SCHEMA_ID);
  g_autoptr(OffauthService) service = NULL;
  GtkWidget *window = gtk_window_new ();
  OffauthSalesPage *page;
  GtkWidget *row, *button;
  int min_width = 0;
  g_autofree gchar *totals = NULL;
  g_autofree gchar *state = NULL;
  gboolean can_retry;
  GListModel *days;

  g_settings_set_string (settings, "terminal-db", w->db_path);
  service = _offauth_service_new (NULL, settings, FALSE);
  page = OFFAUTH_SALES_PAGE (offauth_sales_page_new (service, NULL));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));

  /* Late declines: "needs attention" first, three rows (the two retrying, the declined). */
  wait_listed (page, 3);
  g_assert_cmpuint (gtk_drop_down_get_selected (offauth_sales_page_get_state_filter (page)), ==, 1);
  gtk_widget_measure (GTK_WIDGET (page), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL,
                      NULL);
  g_test_message ("the page's minimum width: %d px", min_width);
  g_assert_cmpint (min_width, <=, 800);
  totals = offauth_sales_page_get_totals_text (page);
  g_test_message ("totals:\n%s", totals);
  g_assert_nonnull (strstr (totals, "Needs attention: 3 sales · €23.00"));
  g_assert_nonnull (strstr (totals, "settled: 1 sale · €4.50"));
  g_assert_nonnull (strstr (totals, "declined late: 1 sale · €12.00"));
  g_assert_nonnull (strstr (totals, "waiting: 1 sale · €2.50"));

  /* Newest first: the held sale, the one short of funds, the double spend. */
  {
    g_autoptr(OffauthSaleItem) held = item_at (page, 0);
    g_autoptr(OffauthSaleItem) short_of_funds = item_at (page, 1);
    g_autoptr(OffauthSaleItem) copied = item_at (page, 2);
    g_autofree gchar *reason = NULL;
    g_autofree gchar *amount = NULL;

    g_assert_cmpuint (offauth_sale_item_get_info (held)->seq, ==, d[SALE_UNMATCHED].sale_number);
    g_object_get (held, "can-retry", &can_retry, NULL);
    g_assert_false (can_retry);
    g_object_get (short_of_funds, "can-retry", &can_retry, "state-text", &state, NULL);
    g_assert_true (can_retry);
    g_assert_true (g_str_has_prefix (state, "retry scheduled: attempt 1, next at "));
    g_object_get (copied, "reason-text", &reason, "amount-text", &amount, NULL);
    g_assert_true (g_str_has_prefix (reason, "This wallet paid twice"));
    g_assert_cmpstr (amount, ==, "€12.00");
  }
  /* The rows as shown: the state in words, "Retry now" only where it may be asked. */
  row = find_row (GTK_WIDGET (page), d[SALE_DOUBLE_SPEND].sale_number);
  g_assert_nonnull (find_label (row, "declined late"));
  g_assert_nonnull (find_label (row, "Collect from the payer, or write it off. The stall that was "
                                     "paid first keeps its payment."));
  row = find_row (GTK_WIDGET (page), d[SALE_NO_FUNDS].sale_number);
  g_assert_nonnull (find_button (row, "Retry now"));
  row = find_row (GTK_WIDGET (page), d[SALE_UNMATCHED].sale_number);
  g_assert_null (find_button (row, "Retry now"));

  screenshot (window, "sales-view-late-declines");

  /* Write off the double spend: confirmed, journaled, listed again. */
  row = find_row (GTK_WIDGET (page), d[SALE_DOUBLE_SPEND].sale_number);
  button = find_button (row, "Write off");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  adw_message_dialog_response (find_dialog (), "apply");
  wait_listed (page, 2);
  g_clear_pointer (&totals, g_free);
  totals = offauth_sales_page_get_totals_text (page);
  g_assert_nonnull (strstr (totals, "written off: 1 sale · €12.00"));

  /* Filters: all states; settled only; the one day. */
  gtk_drop_down_set_selected (offauth_sales_page_get_state_filter (page), 0);
  wait_listed (page, N_SALES);
  gtk_drop_down_set_selected (offauth_sales_page_get_state_filter (page),
                              2 + OFFAUTH_SALE_SHOWN_SETTLED);
  wait_listed (page, 1);
  days = gtk_drop_down_get_model (offauth_sales_page_get_day_filter (page));
  g_assert_cmpuint (g_list_model_get_n_items (days), ==, 2);
  gtk_drop_down_set_selected (offauth_sales_page_get_day_filter (page), 1);
  wait_listed (page, 1);
  gtk_drop_down_set_selected (offauth_sales_page_get_state_filter (page), 0);
  wait_listed (page, N_SALES);

  gtk_window_destroy (GTK_WINDOW (window));
  {
    OffauthService *weak = service;
    gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    g_object_add_weak_pointer (G_OBJECT (weak), (gpointer *) &weak);
    g_clear_object (&service);
    while (weak != NULL && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
    g_assert_null (weak);
  }
  g_assert_cmpint (sales_world_info (w, d[SALE_DOUBLE_SPEND].sale_number).state, ==,
                   OFFAUTH_SALE_WRITTEN_OFF);
  test_world_free (w);
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/Offauth/SalesPage/late-decline", test_page);
  return g_test_run ();
}
