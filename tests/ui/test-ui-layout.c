/* test-ui-layout.c: every page fits the screen: each button inside the window.
 *
 * usage: test-ui-layout LANGUAGE WIDTHxHEIGHT kiosk|window [GTest options]
 *
 * LANGUAGE is en, de, es or fr (with TILL_LOCALEDIR, the build tree's catalogs). "kiosk" is
 * full screen on the X screen it runs on (tests/ui/at-size.sh starts an Xvfb of that size);
 * "window" is a window set to that size. The test walks a sale as a cashier does (sell with
 * a cart, the methods, the cash keypad, the change, the wallet, an approval, the receipt, a
 * refusal) and the merchant area (the PIN pad, each of its pages, a new PIN). On each page
 * every mapped button must lie inside the window (and inside the scrolled area it is in,
 * unless scrolled away: then the scroller is on screen and scrolling reaches it), and the
 * window must be no larger than the size asked for. It fails listing the offenders.
 *
 * TILL_SCREENSHOT_DIR=DIR saves each page as DIR/LANGUAGE-MODE-PAGE-WxH.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "till-application.h"
#include "till-window.h"

static TillWindow *window;
static const char *language;
static const char *mode;
static int want_width, want_height;

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static void
wait_page (const char *page)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_strcmp0 (till_window_get_page (window), page) != 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (g_strcmp0 (till_window_get_page (window), page) != 0)
    g_error ("the window shows %s, not %s", till_window_get_page (window), page);
  spin (50);
}

static GtkWidget *
child (const char *name)
{
  GtkWidget *w = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), TILL_TYPE_WINDOW, name));

  g_assert_nonnull (w);
  return w;
}

static void
click (GtkWidget *button)
{
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_get_mapped (button));
  g_signal_emit_by_name (button, "clicked");
  spin (20);
}

static GtkWidget *
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

static GtkWidget *
wait_find (GtkWidget *root, GType type, const char *css_class, const char *name)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GtkWidget *found;

  while ((found = find (root, type, css_class, name)) == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (found == NULL)
    g_error ("no %s .%s #%s", g_type_name (type), css_class ? css_class : "", name ? name : "");
  spin (100);
  return found;
}

static void
add_product (const char *id)
{
  GListModel *products = till_catalog_get_products (till_window_get_catalog (window));

  for (guint i = 0; i < g_list_model_get_n_items (products); i++)
    {
      g_autoptr(TillProduct) p = g_list_model_get_item (products, i);
      if (g_strcmp0 (till_product_get_id (p), id) == 0)
        {
          g_signal_emit_by_name (child ("products_view"), "activate", i);
          spin (20);
          return;
        }
    }
  g_error ("no product %s", id);
}

static void
screenshot (const char *page)
{
  const char *dir = g_getenv ("TILL_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree gchar *path = NULL;
  int w = gtk_widget_get_width (GTK_WIDGET (window));
  int h = gtk_widget_get_height (GTK_WIDGET (window));

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  path = g_strdup_printf ("%s/%s-%s-%s-%dx%d.png", dir, language, mode, page, w, h);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* What a button says, for the report. */
static gchar *
describe (GtkWidget *button)
{
  GtkWidget *text = find (button, GTK_TYPE_LABEL, NULL, NULL);

  if (text != NULL)
    return g_strdup_printf ("%s \"%s\"", G_OBJECT_TYPE_NAME (button), gtk_label_get_text (GTK_LABEL (text)));
  return g_strdup_printf ("%s #%s", G_OBJECT_TYPE_NAME (button), gtk_widget_get_name (button));
}

static gboolean
bounds (GtkWidget       *widget,
        graphene_rect_t *out)
{
  return gtk_widget_compute_bounds (widget, GTK_WIDGET (window), out);
}

static gboolean
inside (const graphene_rect_t *inner,
        const graphene_rect_t *outer)
{
  /* Half a pixel of rounding either way. */
  return inner->origin.x >= outer->origin.x - 0.5 && inner->origin.y >= outer->origin.y - 0.5 &&
         inner->origin.x + inner->size.width <= outer->origin.x + outer->size.width + 0.5 &&
         inner->origin.y + inner->size.height <= outer->origin.y + outer->size.height + 0.5;
}

static gboolean
find_up (GtkWidget  *widget,
         const char *css_class)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (gtk_widget_has_css_class (widget, css_class))
      return TRUE;
  return FALSE;
}

static void
check_buttons (GtkWidget             *root,
               const graphene_rect_t *screen,
               GString               *offenders,
               guint                 *n_checked)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      graphene_rect_t b;

      if (!gtk_widget_get_mapped (c) || !gtk_widget_get_child_visible (c))
        continue;
      if (GTK_IS_BUTTON (c) && bounds (c, &b))
        {
          GtkWidget *scroller = gtk_widget_get_ancestor (c, GTK_TYPE_SCROLLED_WINDOW);
          graphene_rect_t area = *screen, sb;
          gboolean ok;

          /* The scrolled areas it is in lie on screen. */
          while (scroller != NULL && bounds (scroller, &sb))
            {
              if (!inside (&sb, &area))
                {
                  g_string_append_printf (offenders, "\n  the scrolled area of a button at %.0f,%.0f %.0fx%.0f",
                                          sb.origin.x, sb.origin.y, sb.size.width, sb.size.height);
                  break;
                }
              graphene_rect_intersection (&area, &sb, &area);
              scroller = gtk_widget_get_ancestor (gtk_widget_get_parent (scroller), GTK_TYPE_SCROLLED_WINDOW);
            }
          /* A button in a list or a page that scrolls is reached by scrolling: it is not cut
           * at the sides, and its scrolled area is on screen. Every other button, and the
           * whole cash page (a keypad that scrolls is no keypad), lies wholly inside. */
          if (gtk_widget_get_ancestor (c, GTK_TYPE_SCROLLED_WINDOW) == NULL ||
              find_up (c, "cash-page"))
            ok = inside (&b, &area);
          else
            ok = b.size.width > 0 && b.size.height > 0 &&
                 b.origin.x >= area.origin.x - 0.5 && b.origin.x + b.size.width <= area.origin.x + area.size.width + 0.5;
          if (!ok)
            {
              g_autofree gchar *what = describe (c);
              g_string_append_printf (offenders, "\n  %s at %.0f,%.0f %.0fx%.0f (visible area %.0f,%.0f %.0fx%.0f)",
                                      what, b.origin.x, b.origin.y, b.size.width, b.size.height,
                                      area.origin.x, area.origin.y, area.size.width, area.size.height);
            }
          (*n_checked)++;
        }
      check_buttons (c, screen, offenders, n_checked);
    }
}

/* TILL_LAYOUT_DEBUG=1: the widgets wider than the window, with their minimum width. */
static void
debug_wide (GtkWidget *root,
            int        depth)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      int min = 0, nat = 0;

      if (!gtk_widget_get_mapped (c))
        continue;
      gtk_widget_measure (c, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      if (min > want_width - 32)
        g_printerr ("%*s%s .%s min %d nat %d\n", depth, "", G_OBJECT_TYPE_NAME (c),
                    gtk_widget_get_css_classes (c)[0] ? gtk_widget_get_css_classes (c)[0] : "", min, nat);
      debug_wide (c, depth + 1);
    }
}

/* Every mapped button of the page inside the window; a screenshot. Fails the test case with
 * the list of offenders, and goes on to the next page. */
static void
check_page (const char *page)
{
  g_autoptr(GString) offenders = g_string_new (NULL);
  int w, h;
  guint n = 0;
  graphene_rect_t screen;

  spin (80);
  w = gtk_widget_get_width (GTK_WIDGET (window));
  h = gtk_widget_get_height (GTK_WIDGET (window));
  screen = GRAPHENE_RECT_INIT (0, 0, MIN (w, want_width), MIN (h, want_height));
  if (w > want_width || h > want_height)
    g_string_append_printf (offenders, "\n  the window is %dx%d, larger than the screen", w, h);
  check_buttons (GTK_WIDGET (window), &screen, offenders, &n);
  if (offenders->len > 0 && g_getenv ("TILL_LAYOUT_DEBUG") != NULL)
    debug_wide (GTK_WIDGET (window), 0);
  screenshot (page);
  g_test_message ("%s: %u buttons checked (%.1f s)", page, n, g_test_timer_elapsed ());
  if (offenders->len > 0)
    g_test_fail_printf ("%s %s %dx%d, page %s: buttons outside the window:%s",
                        language, mode, want_width, want_height, page, offenders->str);
}

/* The keys of the cash keypad, by name ("1", "point"). */
static void
cash_keys (const char *keys)
{
  for (const char *k = keys; *k != '\0'; k++)
    {
      char name[8] = { *k, '\0' };

      click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "cash-key", *k == '.' ? "point" : name));
    }
}

static void
choose (const char *method)
{
  click (child ("pay_button"));
  wait_page ("pay");
  click (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", method));
}

static void
done (void)
{
  if (g_strcmp0 (till_window_get_page (window), "receipt") == 0)
    click (child ("receipt_done_button"));
  else if (g_strcmp0 (till_window_get_page (window), "sell") != 0)
    click (child ("done_button"));
  wait_page ("sell");
}

static void
test_sale (void)
{
  GtkWidget *entry;

  check_page ("sell-empty");
  add_product ("beer");
  add_product ("beer");
  add_product ("bratwurst");
  add_product ("fries");
  add_product ("lemonade");

  /* Cash, typed on the keypad: €50 for €23.50. */
  click (child ("pay_button"));
  wait_page ("pay");
  check_page ("pay");
  click (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "cash"));
  wait_find (child ("provider_bin"), GTK_TYPE_BUTTON, "cash-key", "1");
  cash_keys ("5");
  g_assert_false (gtk_widget_is_sensitive (find (child ("provider_bin"), GTK_TYPE_BUTTON, "cash-given-button", NULL)));
  cash_keys ("0");
  check_page ("cash");
  click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "cash-given-button", NULL));
  wait_page ("result");
  g_assert_true (gtk_widget_get_visible (child ("result_highlight")));
  check_page ("change");
  done ();

  /* The wallet: the request, an approval, the receipt. */
  add_product ("lemonade");
  add_product ("bratwurst");
  choose ("offauth");
  entry = wait_find (child ("provider_bin"), GTK_TYPE_ENTRY, "scan-entry", NULL);
  check_page ("wallet");
  click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "simulate", NULL));
  wait_page ("result");
  check_page ("approved");
  click (child ("receipt_button"));
  wait_page ("receipt");
  check_page ("receipt");
  done ();

  /* A refusal: over the demo payer's €50.00 per payment; then another method, Cancel. */
  add_product ("t-shirt");
  add_product ("t-shirt");
  add_product ("water");
  choose ("offauth");
  entry = wait_find (child ("provider_bin"), GTK_TYPE_ENTRY, "scan-entry", NULL);
  (void) entry;
  click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "simulate", NULL));
  wait_page ("result");
  check_page ("declined");
  click (child ("retry_button"));
  wait_page ("pay");
  click (child ("cancel_button"));
  wait_page ("sell");
  click (child ("clear_button"));

  /* A cart, and the wallet's sale waiting in the pill. */
  add_product ("beer");
  add_product ("beer");
  add_product ("bratwurst");
  add_product ("fries");
  add_product ("lemonade");
  check_page ("sell");
  click (child ("clear_button"));
}

static void
test_merchant (void)
{
  GtkStack *pages = GTK_STACK (child ("merchant_pages"));
  g_autoptr(GtkSelectionModel) model = NULL;

  click (child ("merchant_button"));
  wait_page ("merchant");
  check_page ("pin");
  for (const char *p = "1234"; *p != '\0'; p++)
    for (GtkWidget *c = gtk_widget_get_first_child (child ("pin_grid")); c; c = gtk_widget_get_next_sibling (c))
      if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (c)), (char[]) { *p, '\0' }) == 0)
        click (c);
  for (GtkWidget *c = gtk_widget_get_first_child (child ("pin_grid")); c; c = gtk_widget_get_next_sibling (c))
    if (gtk_widget_has_css_class (c, "suggested-action"))
      click (c);
  {
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child ("merchant_stack"))), "area") != 0 &&
           g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
  }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child ("merchant_stack"))), ==, "area");
  model = gtk_stack_get_pages (pages);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (model), i);
      g_autofree gchar *name = g_strdup_printf ("merchant-%s", gtk_stack_page_get_name (GTK_STACK_PAGE (item)));

      gtk_stack_set_visible_child (pages, gtk_stack_page_get_child (GTK_STACK_PAGE (item)));
      check_page (name);
    }
  click (child ("change_pin_button"));
  check_page ("new-pin");
  click (child ("pin_back_button"));
  wait_page ("sell");
}

int
main (int argc, char **argv)
{
  g_autoptr(TillApplication) app = NULL;
  g_autoptr(TillCatalog) catalog = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *demo_dir = NULL;
  g_autofree gchar *prefix = NULL;
  g_autofree gchar *path = NULL;
  static const struct { const char *language, *locale; } locales[] = {
    { "en", "C.UTF-8" }, { "de", "de_DE.UTF-8" }, { "es", "es_ES.UTF-8" }, { "fr", "fr_FR.UTF-8" },
  };
  const char *locale = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (argc < 4 || sscanf (argv[2], "%dx%d", &want_width, &want_height) != 2 ||
      (!g_str_equal (argv[3], "kiosk") && !g_str_equal (argv[3], "window")))
    g_error ("usage: test-ui-layout LANGUAGE WIDTHxHEIGHT kiosk|window");
  language = argv[1];
  mode = argv[3];
  for (gsize i = 0; i < G_N_ELEMENTS (locales); i++)
    if (g_str_equal (locales[i].language, language))
      locale = locales[i].locale;
  if (locale == NULL)
    g_error ("no locale for language %s", language);
  prefix = g_strdup_printf ("/Till/UI/layout/%s/%s/%dx%d", language, mode, want_width, want_height);

  g_setenv ("LANGUAGE", language, TRUE);
  g_setenv ("LC_ALL", locale, TRUE);
  if (setlocale (LC_ALL, "") == NULL)
    {
      path = g_strconcat (prefix, "/sale", NULL);
      g_test_add_data_func (path, NULL, (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  if (g_getenv ("TILL_LOCALEDIR") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("TILL_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  demo_dir = g_dir_make_tmp ("till-ui-layout-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();
  /* No cross-fades: each screenshot shows one page, not two halfway. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  settings = g_settings_new (SCHEMA_ID);
  g_settings_set_uint (settings, "auto-return-seconds", 60);

  app = till_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  till_application_load_plugins (settings);
  catalog = till_catalog_new_from_resource ("/io/github/tillpos/Till/catalog/festival.ini", &error);
  g_assert_no_error (error);
  window = till_window_new (app, catalog, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), want_width, want_height);
  if (g_str_equal (mode, "kiosk"))
    till_window_set_kiosk (window, TRUE);
  gtk_window_present (GTK_WINDOW (window));
  /* The demo enrols its terminal in a thread: the wallet becomes available. */
  {
    gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    GtkWidget *wallet = NULL;

    while (((wallet = find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "offauth")) == NULL ||
            !gtk_widget_get_sensitive (wallet)) && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
    spin (100);
  }

  path = g_strconcat (prefix, "/sale", NULL);
  g_test_add_func (path, test_sale);
  g_free (path);
  path = g_strconcat (prefix, "/merchant", NULL);
  g_test_add_func (path, test_merchant);
  g_test_timer_start ();
  rc = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  return rc;
}
