/* test-ui-language.c: the real window in one language (argv[1]: de, es or fr), with the
 * build tree's catalogs and that language's locale: translated words on screen, money in
 * the locale's format, a cash sale from Pay to the result.
 *
 * The expected texts are spelled out here, not looked up: the test checks the catalogs.
 * Skips when the locale is not generated (scripts/setup generates it).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "till-application.h"
#include "till-window.h"

typedef struct
{
  const char *language;
  const char *locale;
  const char *pay;          /* the Pay button, empty sale */
  const char *pay_amount;   /* the Pay button with a cocktail in the sale */
  const char *money;        /* the cocktail's price, 900 minor units of EUR */
  const char *sale;         /* the cart's heading (context "noun") */
  const char *pill;         /* the status pill (context "status pill") */
  const char *cash;         /* the payment methods (context "payment method") */
  const char *wallet;
  const char *exact;        /* the first cash button */
  const char *paid;         /* the result's title */
  const char *shop;         /* the sample catalog's name[xx] */
} Language;

static const Language languages[] = {
  { "de", "de_DE.UTF-8", "Bezahlen", "9,00 € bezahlen", "9,00 €", "Verkauf",
    "Offline · nichts wartend", "Bar", "Wallet", "Passend: 9,00 €", "Bar bezahlt",
    "Sommerfest-Stand" },
  { "es", "es_ES.UTF-8", "Pagar", "Pagar 9,00 €", "9,00 €", "Venta",
    "Sin conexión · nada pendiente", "Efectivo", "Monedero", "Exacto: 9,00 €",
    "Pagado en efectivo", "Puesto del festival de verano" },
  { "fr", "fr_FR.UTF-8", "Payer", "Payer 9,00 €", "9,00 €", "Vente",
    "Hors ligne · rien en attente", "Espèces", "Portefeuille", "Compte juste\u00a0: 9,00 €",
    "Payé en espèces", "Stand du festival d’été" },
};

static const Language *lang;
static TillWindow *window;

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
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_strcmp0 (till_window_get_page (window), page) != 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (till_window_get_page (window), ==, page);
  spin (50);
}

static GtkWidget *
child (const char *name)
{
  GtkWidget *w = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), TILL_TYPE_WINDOW, name));

  g_assert_nonnull (w);
  return w;
}

static const char *
label (const char *name)
{
  return gtk_label_get_text (GTK_LABEL (child (name)));
}

/* The first mapped label under root that shows exactly text (a button's label included). */
static GtkWidget *
find_text (GtkWidget  *root,
           const char *text)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (c) && gtk_widget_get_mapped (c) &&
          g_strcmp0 (gtk_label_get_text (GTK_LABEL (c)), text) == 0)
        return c;
      if ((found = find_text (c, text)) != NULL)
        return found;
    }
  return NULL;
}

static void
assert_on_screen (GtkWidget  *root,
                  const char *text)
{
  if (find_text (root, text) == NULL)
    g_error ("\"%s\" is not on screen", text);
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_get_mapped (button));
  g_signal_emit_by_name (button, "clicked");
  spin (30);
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

/* The method button whose label reads text. */
static GtkWidget *
method_button (const char *text)
{
  GtkWidget *l = find_text (child ("methods_box"), text);

  if (l == NULL)
    g_error ("no payment method \"%s\" on screen", text);
  return gtk_widget_get_ancestor (l, GTK_TYPE_BUTTON);
}

static void
test_sell (void)
{
  g_assert_cmpstr (till_catalog_get_name (till_window_get_catalog (window)), ==, lang->shop);
  g_assert_cmpstr (label ("pay_label"), ==, lang->pay);
  assert_on_screen (GTK_WIDGET (window), lang->sale);
  assert_on_screen (GTK_WIDGET (window), lang->pill);

  add_product ("cocktail");
  g_assert_cmpstr (label ("total_label"), ==, lang->money);
  g_assert_cmpstr (label ("pay_label"), ==, lang->pay_amount);
}

static void
test_pay_cash (void)
{
  GtkWidget *exact;

  click (child ("pay_button"));
  wait_page ("pay");
  g_assert_nonnull (method_button (lang->wallet));
  click (method_button (lang->cash));
  exact = find_text (child ("provider_bin"), lang->exact);
  if (exact == NULL)
    g_error ("no \"%s\" button", lang->exact);
  click (gtk_widget_get_ancestor (exact, GTK_TYPE_BUTTON));
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, lang->paid);
  g_assert_cmpstr (label ("result_amount"), ==, lang->money);
}

static void
test_no_locale (void)
{
  g_test_skip ("the locale is not generated (scripts/setup generates it)");
}

int
main (int argc, char **argv)
{
  g_autoptr(TillApplication) app = NULL;
  g_autoptr(TillCatalog) catalog = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *demo_dir = NULL;
  g_autofree gchar *path = NULL;
  const char *localedir = g_getenv ("TILL_LOCALEDIR");
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-ui-language LANGUAGE [GTest options]");
  for (gsize i = 0; i < G_N_ELEMENTS (languages); i++)
    if (g_str_equal (languages[i].language, argv[1]))
      lang = &languages[i];
  if (lang == NULL)
    g_error ("no expectations for language %s", argv[1]);
  g_assert_nonnull (localedir);

  /* As a kiosk set up in that language: LANG for the words and the money. */
  g_setenv ("LANGUAGE", lang->language, TRUE);
  g_setenv ("LC_ALL", lang->locale, TRUE);
  path = g_strdup_printf ("/Till/UI/language/%s/sell", lang->language);
  if (setlocale (LC_ALL, "") == NULL)
    {
      g_test_add_func (path, test_no_locale);
      return g_test_run ();
    }
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  demo_dir = g_dir_make_tmp ("till-ui-language-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();
  settings = g_settings_new (SCHEMA_ID);

  app = till_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  till_application_load_plugins (settings);
  catalog = till_catalog_new_from_resource ("/io/github/tillpos/Till/catalog/festival.ini", &error);
  g_assert_no_error (error);
  window = till_window_new (app, catalog, TRUE);
  till_window_set_kiosk (window, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  /* The demo enrols its terminal in a thread: the wallet button and the pill follow. */
  spin (1500);

  g_test_add_func (path, test_sell);
  g_free (path);
  path = g_strdup_printf ("/Till/UI/language/%s/pay-cash", lang->language);
  g_test_add_func (path, test_pay_cash);
  rc = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  return rc;
}
