/* ui-helpers.c: the real window driven as a cashier or a merchant would, for the UI tests
 * (test-ui.c, test-walkthrough.c): waits with timeouts, taps, the PIN pad, screenshots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "till-report-page.h"
#include "ui-helpers.h"

TillApplication *app;
TillWindow *window;
TillCatalog *window_catalog;
gboolean window_demo;

void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* Waits until the window shows a page, for at most 20 s (generous: a loaded CI machine runs
 * the whole suite in parallel); returns how long it took, in ms. */
double
wait_page (const char *page)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + 20 * G_USEC_PER_SEC;
  double elapsed;

  while (g_strcmp0 (till_window_get_page (window), page) != 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (g_strcmp0 (till_window_get_page (window), page) != 0)
    g_error ("the window shows %s, not %s", till_window_get_page (window), page);
  elapsed = (g_get_monotonic_time () - start) / 1000.0;
  spin (50);
  return elapsed;
}

GtkWidget *
child (const char *name)
{
  GtkWidget *w = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), TILL_TYPE_WINDOW, name));

  g_assert_nonnull (w);
  return w;
}

const char *
label (const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (name)));
}

void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_get_mapped (button));
  g_signal_emit_by_name (button, "clicked");
  spin (30);
}

GtkWidget *
find (GtkWidget *root, GType type, const char *css_class, const char *name)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type) &&
          (css_class == NULL || gtk_widget_has_css_class (c, css_class)) &&
          (name == NULL || g_strcmp0 (gtk_widget_get_name (c), name) == 0))
        return c;
      if ((found = find (c, type, css_class, name)) != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
find_first (GtkWidget      *root,
            UiWidgetMatch   match,
            gconstpointer   data)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (match (c, data))
        return c;
      if ((found = find_first (c, match, data)) != NULL)
        return found;
    }
  return NULL;
}

void
add_product (const char *name)
{
  GListModel *products = till_catalog_get_products (till_window_get_catalog (window));

  for (guint i = 0; i < g_list_model_get_n_items (products); i++)
    {
      g_autoptr(TillProduct) p = g_list_model_get_item (products, i);
      if (g_strcmp0 (till_product_get_id (p), name) == 0)
        {
          /* As a tap on the tile does. */
          g_signal_emit_by_name (child ("products_view"), "activate", i);
          spin (20);
          return;
        }
    }
  g_error ("no product %s", name);
}

void
screenshot (const char *name)
{
  const char *dir = g_getenv ("TILL_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree gchar *path = NULL;
  int w, h;

  if (dir == NULL)
    return;
  spin (300);
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  w = gtk_widget_get_width (GTK_WIDGET (window));
  h = gtk_widget_get_height (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  path = g_strdup_printf ("%s/%s-%dx%d.png", dir, name, w, h);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

void
choose_method (const char *id)
{
  click (child ("pay_button"));
  wait_page ("pay");
  click (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", id));
}

GtkEntry *
scan_entry (void)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GtkWidget *entry = NULL;

  while ((entry = find (child ("provider_bin"), GTK_TYPE_ENTRY, "scan-entry", NULL)) == NULL &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_nonnull (entry);
  spin (50);
  return GTK_ENTRY (entry);
}

void
scan (GtkEntry *entry, const char *code)
{
  /* A keyboard-wedge scanner: the text, then Enter. */
  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  g_signal_emit_by_name (entry, "activate");
}

/* Taps "Simulate payer": the demo wallet signs the request (on the service's worker) and
 * its code goes in as a scan. Returns the code; the entry is gone once the payment is
 * decided, so it is held while the code arrives. */
gchar *
simulate_payer (GtkEntry *entry)
{
  GtkWidget *button = find (child ("provider_bin"), GTK_TYPE_BUTTON, "simulate", NULL);
  g_autoptr(GtkEntry) hold = g_object_ref (entry);
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  while (*gtk_editable_get_text (GTK_EDITABLE (entry)) == '\0' && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), !=, "");
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* The plugin's status pill: its menu button. */
GtkWidget *
status_pill_button (void)
{
  GtkWidget *pill = find (child ("status_box"), GTK_TYPE_MENU_BUTTON, NULL, "offauth-status");

  g_assert_nonnull (pill);
  return pill;
}

const char *
status_pill (void)
{
  GtkWidget *text = find (status_pill_button (), GTK_TYPE_LABEL, NULL, NULL);

  return gtk_label_get_text (GTK_LABEL (text));
}

/* Waits until the pill's text holds fragment, for at most seconds. */
void
wait_status_for (const char *fragment,
                 guint       seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (strstr (status_pill (), fragment) == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (strstr (status_pill (), fragment) == NULL)
    g_error ("the status says '%s', not '%s' after %u s", status_pill (), fragment, seconds);
}

void
wait_status (const char *fragment)
{
  wait_status_for (fragment, 5);
}

void
back_to_sell (void)
{
  if (g_strcmp0 (till_window_get_page (window), "sell") != 0)
    click (child ("done_button"));
  wait_page ("sell");
}



const char *
merchant_page (void)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child ("merchant_stack")));
}

/* Types a PIN on the pad and presses OK; waits until the pad has an answer (the hash is
 * checked in a thread). Returns TRUE if the merchant area opened. */
gboolean
type_pin (const char *pin)
{
  GtkWidget *grid = child ("pin_grid");
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  const char *title = label ("pin_title");
  g_autofree gchar *title_before = g_strdup (title);

  for (const char *p = pin; *p != '\0'; p++)
    for (GtkWidget *c = gtk_widget_get_first_child (grid); c; c = gtk_widget_get_next_sibling (c))
      if (strlen (gtk_button_get_label (GTK_BUTTON (c))) == 1 && gtk_button_get_label (GTK_BUTTON (c))[0] == *p)
        click (c);
  for (GtkWidget *c = gtk_widget_get_first_child (grid); c; c = gtk_widget_get_next_sibling (c))
    if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (c)), "OK") == 0)
      click (c);
  /* Done when the area shows, a message shows, or the pad asks for something else. */
  while (g_get_monotonic_time () < end &&
         g_strcmp0 (merchant_page (), "area") != 0 &&
         !gtk_widget_get_visible (child ("pin_message")) &&
         g_strcmp0 (label ("pin_title"), title_before) == 0)
    g_main_context_iteration (NULL, FALSE);
  spin (30);
  return g_strcmp0 (merchant_page (), "area") == 0;
}

void
open_merchant (void)
{
  click (child ("merchant_button"));
  wait_page ("merchant");
  g_assert_cmpstr (merchant_page (), ==, "pin");
}

void
lock_merchant (void)
{
  /* "Lock and go back to sales" in the area, "Back to sales" beside the PIN pad. */
  click (child (g_strcmp0 (merchant_page (), "area") == 0 ? "lock_button" : "pin_back_button"));
  wait_page ("sell");
}



/* The window, as the app makes it at start. */
void
make_window (void)
{
  /* TILL_TEST_SIZE=1024x600: the smaller kiosk screens; a kiosk has no decorations. */
  const char *size = g_getenv ("TILL_TEST_SIZE");
  int w = 1280, h = 800;

  window = till_window_new (app, window_catalog, window_demo);
  if (size != NULL && sscanf (size, "%dx%d", &w, &h) != 2)
    g_error ("TILL_TEST_SIZE is WIDTHxHEIGHT");
  till_window_set_kiosk (window, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), w, h);
  gtk_window_present (GTK_WINDOW (window));
}

GtkWidget *
report_child (const char *name)
{
  GtkWidget *page = child ("today_page");
  GtkWidget *w = GTK_WIDGET (gtk_widget_get_template_child (page, TILL_TYPE_REPORT_PAGE, name));

  g_assert_nonnull (w);
  return w;
}

void
open_today (void)
{
  open_merchant ();
  g_assert_true (type_pin ("1234"));
  gtk_stack_set_visible_child_name (GTK_STACK (child ("merchant_pages")), "today");
  spin (200);
}
