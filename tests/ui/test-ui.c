/* test-ui.c: the real window under Xvfb, driven as a cashier would: products, Pay, a
 * method, a scan. With the offline-authorization plugin loaded from the build dir, and in
 * a subprocess without it.
 *
 * TILL_SCREENSHOT_DIR=DIR also saves the window at each state as PNG (GTK's own rendering).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "offauth.h"
#include "till-application.h"
#include "till-pin.h"
#include "till-report-page.h"
#include "till-window.h"
#include "ui-helpers.h"

#include <gdk/x11/gdkx.h>
#include <sqlite3.h>

/* The result page's primary button: the only one with suggested-action, and focused. */
static void
assert_primary (const char *name,
                const char *text)
{
  GtkWidget *primary = child (name);

  g_assert_true (gtk_widget_get_visible (primary));
  g_assert_true (gtk_widget_has_css_class (primary, "suggested-action"));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == primary);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (primary)), ==, text);
  for (GtkWidget *b = gtk_widget_get_first_child (gtk_widget_get_parent (primary)); b; b = gtk_widget_get_next_sibling (b))
    if (b != primary)
      g_assert_false (gtk_widget_has_css_class (b, "suggested-action"));
}

/* Tests */

static void
test_cart (void)
{
  TillCart *cart = till_window_get_cart (window);

  g_assert_false (gtk_widget_is_sensitive (child ("pay_button")));
  add_product ("cola");
  add_product ("cola");
  add_product ("pretzel");
  g_assert_cmpuint (till_cart_get_n_items (cart), ==, 3);
  g_assert_cmpuint (till_cart_get_total (cart), ==, 300 + 300 + 400);
  g_assert_cmpstr (label ("total_label"), ==, "€10.00");
  g_assert_cmpstr (label ("pay_label"), ==, "Pay €10.00");

  /* A line's minus down to zero removes it. */
  {
    g_autoptr(TillCartLine) line = g_list_model_get_item (till_cart_get_lines (cart), 1);
    till_cart_remove_one (cart, till_cart_line_get_product (line));
  }
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_get_lines (cart)), ==, 1);
  click (child ("clear_button"));
  g_assert_cmpuint (till_cart_get_n_items (cart), ==, 0);
  g_assert_false (gtk_widget_is_sensitive (child ("pay_button")));
}

static void
test_cash (void)
{
  add_product ("beer");
  add_product ("fries");
  choose_method ("cash");
  /* Four taps in all: two products, Pay, Cash... and the amount given. */
  {
    GtkWidget *exact = find (child ("provider_bin"), GTK_TYPE_BUTTON, "tender", NULL);
    g_assert_nonnull (exact);
    screenshot ("cash");
    click (exact);
  }
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Paid in cash");
  g_assert_cmpstr (label ("result_amount"), ==, "€9.50");
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 0);
  click (child ("receipt_button"));
  wait_page ("receipt");
  g_assert_nonnull (strstr (label ("receipt_label"), "Beer"));
  g_assert_nonnull (strstr (label ("receipt_label"), "€9.50"));
  back_to_sell ();
}

static void
test_cancel (void)
{
  add_product ("water");
  choose_method ("cash");
  click (child ("cancel_button"));
  wait_page ("sell");
  /* Nothing was charged; the sale is still there. */
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 1);
  click (child ("clear_button"));
}

static gchar *first_code;
static gchar *first_reference;

static void
test_wallet (void)
{
  GtkEntry *entry;

  wait_status ("nothing waiting");
  add_product ("lemonade");
  add_product ("bratwurst");
  choose_method ("offauth");
  entry = scan_entry ();
  screenshot ("wallet");
  first_code = simulate_payer (entry);
  g_assert_cmpuint (strlen (first_code), ==, 443);
  /* The scanner reads the code twice, the second while the first is decided: one sale. */
  scan (entry, first_code);
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
  g_assert_cmpstr (label ("result_amount"), ==, "€9.00");
  first_reference = g_strdup (label ("result_reference"));
  g_assert_true (g_str_has_prefix (first_reference, "Sale "));
  assert_primary ("done_button", "New sale");
  screenshot ("approved");
  click (child ("receipt_button"));
  wait_page ("receipt");
  g_assert_nonnull (strstr (label ("receipt_label"), "approved offline"));
  g_assert_nonnull (strstr (label ("receipt_label"), "Journal row"));
  back_to_sell ();
  /* The status shows the queue: never green while sales wait. */
  wait_status ("1 waiting");
  g_assert_nonnull (strstr (status_pill (), "€9.00"));
  g_assert_nonnull (strstr (status_pill (), "Offline"));
  screenshot ("queued");
}

static OffauthSecretKey *second_payer;
static gchar *second_credential;

/* A second payer with a wallet of its own, credited by the demo's issuer, pays the request
 * on screen: its code arrives by the scanner. Prints the time from the scan (Enter) to the
 * result on screen, a figure for docs/performance.md, not a check. */
static void
test_second_payer (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *issuer_dir = g_build_filename (g_getenv ("TILL_DEMO_DIR"), "issuer", NULL);
  g_autoptr(OffauthIssuer) issuer = offauth_issuer_open (issuer_dir, &error);
  GtkEntry *entry;
  GtkWidget *page;
  g_autofree gchar *request = NULL;
  OffauthCredential cred;
  OffauthRequest req;
  g_autofree gchar *code = NULL;
  gint64 t0;

  g_assert_no_error (error);
  if (second_payer == NULL)
    {
      OffauthCredentialSpec spec = { 0 };

      second_payer = offauth_secret_key_generate ();
      spec.payer_public_key = second_payer->pk;
      spec.currency = "EUR";
      spec.per_payment_limit = 3000;
      spec.offline_total_limit = 6000;
      spec.max_offline_count = 5;
      spec.days = 1;
      second_credential = offauth_issuer_credential (issuer, &spec, &error);
      g_assert_no_error (error);
    }
  add_product ("waffle");
  add_product ("coffee");
  choose_method ("offauth");
  entry = scan_entry ();
  /* The plugin's page shows the request as a QR code, and offers it as text too. */
  page = find (child ("provider_bin"), g_type_from_name ("OffauthPayPage"), NULL, NULL);
  g_assert_nonnull (page);
  g_object_get (page, "request", &request, NULL);
  g_assert_nonnull (request);
  g_assert_true (offauth_credential_parse_text (&cred, second_credential, &error));
  g_assert_true (offauth_request_parse_text (&req, request, &error));
  g_assert_cmpuint (req.amount, ==, 400 + 250);
  code = offauth_payment_make (&cred, &req, 1, second_payer, NULL);
  t0 = g_get_monotonic_time ();
  scan (entry, code);
  while (g_strcmp0 (till_window_get_page (window), "result") != 0 &&
         g_get_monotonic_time () < t0 + 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, FALSE);
  g_test_message ("scan to result on screen: %.1f ms", (g_get_monotonic_time () - t0) / 1000.0);
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
  g_assert_cmpstr (label ("result_amount"), ==, "€6.50");
  back_to_sell ();
}

static void
test_cancel_during_check (void)
{
  GtkEntry *entry;
  g_autofree gchar *code = NULL;

  add_product ("water");
  choose_method ("offauth");
  entry = scan_entry ();
  code = simulate_payer (entry);
  /* Cancel while the code is decided: the terminal records the sale, so the screen must
   * say it was paid; a cancelled screen here would make the payer pay twice. */
  g_signal_emit_by_name (child ("cancel_button"), "clicked");
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 0);
  back_to_sell ();
}

static void
test_old_code (void)
{
  GtkEntry *entry;
  g_autofree gchar *expected = NULL;

  g_assert_nonnull (first_code);
  add_product ("water");
  choose_method ("offauth");
  entry = scan_entry ();
  scan (entry, first_code);
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Not paid");
  expected = g_strdup_printf ("This code was used for sale %s at", first_reference + strlen ("Sale "));
  g_assert_true (g_str_has_prefix (label ("result_message"), expected));
  g_assert_cmpstr (label ("result_next_step"), ==, "Ask the payer to create a new payment.");
  g_assert_true (gtk_widget_get_visible (child ("retry_button")));
  /* The advice is a new code: that is the primary button. */
  assert_primary ("again_button", "Scan a new code");
  screenshot ("old-code");
  /* A refusal stays until tapped, and keeps the sale. */
  spin (300);
  g_assert_cmpstr (till_window_get_page (window), ==, "result");
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 1);
  /* A new request for the same sale, to scan. */
  {
    g_autofree gchar *old_request = NULL;
    g_autofree gchar *new_request = NULL;
    GtkWidget *page;

    click (child ("again_button"));
    wait_page ("pay");
    entry = scan_entry ();
    page = find (child ("provider_bin"), g_type_from_name ("OffauthPayPage"), NULL, NULL);
    g_object_get (page, "request", &new_request, NULL);
    g_assert_nonnull (new_request);
    g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 1);
    /* The new request is paid as any other. */
    g_free (simulate_payer (entry));
    wait_page ("result");
    g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
    assert_primary ("done_button", "New sale");
  }
  back_to_sell ();
}

static void
test_forged (void)
{
  GtkEntry *entry;
  g_autofree gchar *code = NULL;

  add_product ("coffee");
  choose_method ("offauth");
  entry = scan_entry ();
  code = g_strdup (first_code);
  /* Another payer's signature: a character inside it changed. */
  code[400] = code[400] == 'A' ? 'B' : 'A';
  scan (entry, code);
  wait_page ("result");
  g_assert_cmpstr (label ("result_message"), ==, "This payment code is not valid.");
  g_assert_cmpstr (label ("result_next_step"), ==, "Ask for another payment method.");
  g_assert_true (g_str_has_prefix (label ("result_code"), "Reason: "));
  /* The advice is another method: that is the primary button. */
  assert_primary ("retry_button", "Other payment method");
  g_assert_false (gtk_widget_get_visible (child ("again_button")));
  screenshot ("declined");
  back_to_sell ();
  click (child ("clear_button"));
}

static void
test_garbled (void)
{
  GtkEntry *entry;
  g_autofree gchar *half = NULL;
  GtkWidget *feedback;

  add_product ("coffee");
  choose_method ("offauth");
  entry = scan_entry ();
  half = g_strndup (first_code, 200);
  scan (entry, half);
  spin (500);
  /* Not a refusal: the same request stays on screen, the cashier scans again. */
  g_assert_cmpstr (till_window_get_page (window), ==, "pay");
  feedback = find (child ("provider_bin"), GTK_TYPE_LABEL, "scan-feedback", NULL);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (feedback)), ==, "The code could not be read. Scan again.");
  /* The whole code, scanned again, pays. */
  {
    g_autofree gchar *code = simulate_payer (entry);
    wait_page ("result");
    g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
  }
  back_to_sell ();
  /* The wallet, the second payer, the sale paid during a cancel, the old code's new code,
   * this one. */
  wait_status ("5 waiting");
}

static void
test_over_limit (void)
{
  GtkEntry *entry;

  /* The demo payer may spend €50.00 per payment. */
  add_product ("t-shirt");
  add_product ("t-shirt");
  add_product ("water");
  choose_method ("offauth");
  entry = scan_entry ();
  g_free (simulate_payer (entry));
  wait_page ("result");
  g_assert_cmpstr (label ("result_message"), ==, "The payer's offline limit is reached.");
  g_assert_cmpstr (label ("result_next_step"), ==, "Ask for another payment method.");
  g_assert_true (g_str_has_prefix (label ("result_code"), "Reason: over_payment_limit"));
  assert_primary ("retry_button", "Other payment method");
  /* Another method for the same sale. */
  click (child ("retry_button"));
  wait_page ("pay");
  click (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "cash"));
  click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "tender", NULL));
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Paid in cash");
  back_to_sell ();
}

static void
test_category_floor (void)
{
  GtkEntry *entry;

  /* The demo terminal's floor for alcohol is €20.00: five beers need an online check. */
  for (int i = 0; i < 5; i++)
    add_product ("beer");
  choose_method ("offauth");
  entry = scan_entry ();
  g_free (simulate_payer (entry));
  wait_page ("result");
  g_assert_cmpstr (label ("result_message"), ==, "This amount needs an online check.");
  g_assert_cmpstr (label ("result_next_step"), ==, "Connect the kiosk or take another method.");
  g_assert_true (g_str_has_prefix (label ("result_code"), "Reason: over_floor_limit"));
  back_to_sell ();
  click (child ("clear_button"));
}

static void
test_sell_screenshot (void)
{
  /* The picture in the README: a cart, and the status showing what waits. */
  add_product ("beer");
  add_product ("beer");
  add_product ("bratwurst");
  add_product ("fries");
  add_product ("lemonade");
  wait_status ("waiting");
  screenshot ("sell");
  click (child ("clear_button"));
}
static void
test_merchant (void)
{
  open_merchant ();
  g_assert_true (type_pin ("1234"));
  g_assert_nonnull (gtk_stack_get_child_by_name (GTK_STACK (child ("merchant_pages")), "offauth"));
  gtk_stack_set_visible_child_name (GTK_STACK (child ("merchant_pages")), "offauth");
  screenshot ("merchant");
  lock_merchant ();
}

/* The urgent news reaches the desktop's notification daemon (the shell test around this
 * runs a real one and counts what it received). */
static void
test_notify (void)
{
  till_host_notify (TILL_HOST (window), "Offline payments are paused on this kiosk.", TRUE);
  spin (500);
}

static void
test_no_plugin (void)
{
  if (g_test_subprocess ())
    {
      /* Cash only: the app works without any plugin. */
      g_assert_null (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "offauth"));
      g_assert_null (find (child ("status_box"), GTK_TYPE_MENU_BUTTON, NULL, "offauth-status"));
      add_product ("water");
      choose_method ("cash");
      click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "tender", NULL));
      wait_page ("result");
      g_assert_cmpstr (label ("result_title"), ==, "Paid in cash");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_not_enrolled (void)
{
  if (g_test_subprocess ())
    {
      GtkWidget *wallet;
      GtkWidget *why;

      /* A kiosk nobody enrolled: it says so in the header, and the wallet is not offered as
       * if it could pay. Cash still works. */
      wait_status ("Paused");
      add_product ("water");
      click (child ("pay_button"));
      wait_page ("pay");
      wallet = find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "offauth");
      g_assert_nonnull (wallet);
      g_assert_false (gtk_widget_is_sensitive (wallet));
      why = find (wallet, GTK_TYPE_LABEL, "method-unavailable", NULL);
      g_assert_nonnull (why);
      g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (why)), "Paused: "));
      screenshot ("not-enrolled");
      click (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "cash"));
      click (find (child ("provider_bin"), GTK_TYPE_BUTTON, "tender", NULL));
      wait_page ("result");
      g_assert_cmpstr (label ("result_title"), ==, "Paid in cash");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Every control without text of its own has a name for a screen reader. GTK 4.8 has no
 * getter for accessible properties; its test API reads them (GTK_A11Y=none still keeps a
 * test context per widget). */
static void
test_accessible_names (void)
{
  GtkWidget *tile;

  gtk_test_accessible_assert_property (child ("pay_button"), GTK_ACCESSIBLE_PROPERTY_LABEL, "Pay");
  add_product ("water");
  gtk_test_accessible_assert_property (child ("pay_button"), GTK_ACCESSIBLE_PROPERTY_LABEL, "Pay €2.00");
  gtk_test_accessible_assert_property (child ("merchant_button"), GTK_ACCESSIBLE_PROPERTY_LABEL, "Merchant area");
  click (child ("pay_button"));
  wait_page ("pay");
  tile = find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "cash");
  gtk_test_accessible_assert_property (tile, GTK_ACCESSIBLE_PROPERTY_LABEL, "Cash");
  tile = find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "offauth");
  gtk_test_accessible_assert_property (tile, GTK_ACCESSIBLE_PROPERTY_LABEL, "Wallet");
  click (child ("cancel_button"));
  wait_page ("sell");
  click (child ("clear_button"));
}

static void
test_plugin_loaded (void)
{
  g_assert_nonnull (find (child ("methods_box"), GTK_TYPE_BUTTON, "method", "offauth"));
  g_assert_nonnull (find (child ("status_box"), GTK_TYPE_MENU_BUTTON, NULL, "offauth-status"));
}

/* Kiosk: nothing but the merchant's Quit ends the app. */

static void
test_kiosk_close_refused (void)
{
  g_autoptr(GtkWidget) keep = g_object_ref (GTK_WIDGET (window));

  g_assert_true (till_window_get_kiosk (window));
  gtk_window_close (GTK_WINDOW (window));
  spin (100);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (gtk_widget_get_realized (GTK_WIDGET (window)));
  /* The window manager's close (and Alt+F4 under one) is the same request. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "window.close", NULL));
  spin (100);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpstr (till_window_get_page (window), ==, "sell");
}

static guint
n_toplevels (void)
{
  return g_list_model_get_n_items (gtk_window_get_toplevels ());
}

/* Real keys through the X server (xdotool, XTEST) to the focused window: "key" presses
 * a combination, "type" types text as a keyboard-wedge scanner does. */
static void
xdotool (const char *command,
         const char *what)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_autofree gchar *xid = g_strdup_printf ("%lu", (gulong) gdk_x11_surface_get_xid (surface));
  const char *key[] = { "xdotool", "windowfocus", "--sync", xid, "key", "--clearmodifiers", what, NULL };
  const char *type[] = { "xdotool", "windowfocus", "--sync", xid, "type", "--delay", "1", what, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) (g_str_equal (command, "key") ? key : type), NULL,
                               G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
}

static void
press (const char *keys)
{
  xdotool ("key", keys);
  spin (400);
}

static gboolean
has_xdotool (void)
{
  return GDK_IS_X11_DISPLAY (gtk_widget_get_display (GTK_WIDGET (window))) &&
         g_find_program_in_path ("xdotool") != NULL;
}

static void
test_kiosk_keys (void)
{
  guint before;

  if (!has_xdotool ())
    {
      g_test_skip ("needs X11 and xdotool");
      return;
    }
  if (g_test_subprocess ())
    {
      /* The control: outside kiosk mode the same key does open the Inspector (or its
       * warning), so the key really reaches GTK. */
      till_window_set_kiosk (window, FALSE);
      before = n_toplevels ();
      press ("ctrl+shift+i");
      g_assert_cmpuint (n_toplevels (), >, before);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  before = n_toplevels ();
  press ("ctrl+shift+i");
  press ("ctrl+shift+d");
  g_assert_cmpuint (n_toplevels (), ==, before);
  press ("Escape");
  press ("alt+F4");
  g_assert_cmpuint (n_toplevels (), ==, before);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpstr (till_window_get_page (window), ==, "sell");
  g_assert_true (gtk_window_is_active (GTK_WINDOW (window)));
}

/* A scanner types the code and then Enter. The whole code is decided as soon as its last
 * character arrives; an Enter that comes after the decision must not press the result
 * page's focused button: the refusal stays on screen for the cashier to read. */
static void
test_scanner_enter (void)
{
  GtkEntry *entry;

  if (!has_xdotool ())
    {
      g_test_skip ("needs X11 and xdotool");
      return;
    }
  g_assert_nonnull (first_code);
  add_product ("water");
  choose_method ("offauth");
  entry = scan_entry ();
  /* The scanner types into the entry (its text part has the focus). */
  g_assert_true (gtk_widget_is_ancestor (gtk_window_get_focus (GTK_WINDOW (window)), GTK_WIDGET (entry)));
  xdotool ("type", first_code);
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Not paid");
  /* The scanner's Enter, right after the decision. */
  press ("Return");
  g_assert_cmpstr (till_window_get_page (window), ==, "result");
  g_assert_cmpstr (label ("result_title"), ==, "Not paid");
  /* The control: a second later, Enter does press the focused button, "Scan a new code". */
  spin (700);
  press ("Return");
  g_assert_cmpstr (till_window_get_page (window), ==, "pay");
  scan_entry ();
  click (child ("cancel_button"));
  wait_page ("sell");
  click (child ("clear_button"));
}

/* A whole cash sale from the keyboard alone: Enter on a product, Tab to Pay, Enter, Enter on
 * Cash, the amount typed (a digit too many taken back), Enter for "Given", the change kept
 * large, Escape for the next sale. */
static void
test_keyboard_sale (void)
{
  GtkWidget *display;
  guint64 total;
  g_autofree gchar *change = NULL;
  g_autofree gchar *expected = NULL;

  if (!has_xdotool ())
    {
      g_test_skip ("needs X11 and xdotool");
      return;
    }
  g_assert_cmpstr (till_window_get_page (window), ==, "sell");
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 0);
  /* A tile has the focus (the one last used, or the first). */
  press ("Return");
  g_assert_cmpuint (till_cart_get_n_items (till_window_get_cart (window)), ==, 1);
  total = till_cart_get_total (till_window_get_cart (window));
  g_assert_cmpuint (total, <, 5050);
  for (int i = 0; i < 12 && gtk_window_get_focus (GTK_WINDOW (window)) != child ("pay_button"); i++)
    press ("Tab");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == child ("pay_button"));
  press ("Return");
  wait_page ("pay");
  /* The first method, Cash, has the focus. */
  press ("Return");
  display = find (child ("provider_bin"), GTK_TYPE_LABEL, "cash-display", NULL);
  g_assert_nonnull (display);
  xdotool ("type", "503");
  spin (200);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (display)), ==, "€503.00");
  press ("BackSpace");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (display)), ==, "€50.00");
  xdotool ("type", ".5");
  spin (200);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (display)), ==, "€50.50");
  press ("Return");
  wait_page ("result");
  g_assert_cmpstr (label ("result_title"), ==, "Paid in cash");
  g_assert_true (gtk_widget_get_visible (child ("result_highlight")));
  change = till_format_amount (5050 - total, "EUR");
  expected = g_strdup_printf ("Change: %s", change);
  g_assert_cmpstr (label ("result_highlight"), ==, expected);
  press ("Escape");
  g_assert_cmpstr (till_window_get_page (window), ==, "sell");
}

/* Xvfb has no screen saver: what is tested is the request to the session manager, which
 * test-kiosk.sh plays (TILL_TEST_SESSION_MANAGER=1) and which logs the flags and reason. */
static void
test_kiosk_inhibit (void)
{
  if (g_getenv ("TILL_TEST_SESSION_MANAGER") == NULL)
    {
      g_test_skip ("no session manager: test-kiosk.sh runs this with one");
      return;
    }
  g_assert_cmpuint (till_window_get_inhibit_cookie (window), !=, 0);
  till_window_set_kiosk (window, FALSE);
  g_assert_cmpuint (till_window_get_inhibit_cookie (window), ==, 0);
  till_window_set_kiosk (window, TRUE);
  g_assert_cmpuint (till_window_get_inhibit_cookie (window), !=, 0);
}

static void
test_kiosk_quit (void)
{
  if (g_test_subprocess ())
    {
      GtkApplication *gapp = GTK_APPLICATION (app);

      gtk_window_close (GTK_WINDOW (window));
      spin (50);
      g_assert_true (g_list_find (gtk_application_get_windows (gapp), window) != NULL);
      open_merchant ();
      g_assert_true (type_pin ("1234"));
      screenshot ("merchant-area");
      click (child ("quit_button"));
      spin (100);
      /* Closed and gone from the app: with no window left, the app ends. */
      g_assert_null (gtk_application_get_windows (gapp));
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
      window = NULL;
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static gboolean
is_hash (const char *text)
{
  return g_str_has_prefix (text, "$argon2id$");
}

static void
test_pin_hashed (void)
{
  g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);
  g_autofree gchar *first = NULL;
  g_autofree gchar *second = NULL;
  g_autoptr(GVariant) plain = NULL;

  g_settings_reset (settings, "merchant-pin-hash");
  g_settings_reset (settings, "merchant-pin");
  open_merchant ();
  g_assert_false (type_pin ("4321"));
  g_assert_cmpstr (label ("pin_message"), ==, "Wrong PIN");
  /* The default PIN, once, is stored hashed: never in plain text. */
  g_assert_true (type_pin ("1234"));
  first = g_settings_get_string (settings, "merchant-pin-hash");
  g_assert_true (is_hash (first));
  plain = g_settings_get_user_value (settings, "merchant-pin");
  g_assert_null (plain);
  lock_merchant ();

  open_merchant ();
  g_assert_true (type_pin ("1234"));
  /* Change PIN: typed twice; a mismatch starts over. */
  click (child ("change_pin_button"));
  g_assert_cmpstr (merchant_page (), ==, "pin");
  g_assert_cmpstr (label ("pin_title"), ==, "New PIN");
  g_assert_false (type_pin ("12"));
  g_assert_cmpstr (label ("pin_message"), ==, "A PIN has at least 4 digits.");
  g_assert_false (type_pin ("2468"));
  g_assert_cmpstr (label ("pin_title"), ==, "The new PIN again");
  g_assert_false (type_pin ("2469"));
  g_assert_cmpstr (label ("pin_title"), ==, "New PIN");
  g_assert_cmpstr (label ("pin_message"), ==, "The two PINs differ. Type the new PIN again.");
  g_assert_false (type_pin ("2468"));
  screenshot ("change-pin");
  g_assert_true (type_pin ("2468"));
  second = g_settings_get_string (settings, "merchant-pin-hash");
  g_assert_true (is_hash (second));
  g_assert_cmpstr (first, !=, second);
  g_assert_null (strstr (second, "2468"));
  lock_merchant ();

  open_merchant ();
  g_assert_false (type_pin ("1234"));
  g_assert_true (type_pin ("2468"));
  lock_merchant ();
  g_settings_reset (settings, "merchant-pin-hash");
}

static void
test_pin_migrate (void)
{
  g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);
  g_autofree gchar *old_hash = NULL;
  g_autofree gchar *new_hash = NULL;
  g_autoptr(GVariant) plain = NULL;

  /* A hash in place, then an operator sets a plain PIN with gsettings: it wins, once. */
  old_hash = till_pin_hash ("1111");
  g_settings_set_string (settings, "merchant-pin-hash", old_hash);
  g_settings_set_string (settings, "merchant-pin", "9999");
  open_merchant ();
  g_assert_false (type_pin ("1111"));
  g_assert_true (type_pin ("9999"));
  new_hash = g_settings_get_string (settings, "merchant-pin-hash");
  g_assert_true (is_hash (new_hash));
  g_assert_cmpstr (new_hash, !=, old_hash);
  plain = g_settings_get_user_value (settings, "merchant-pin");
  g_assert_null (plain);
  lock_merchant ();
  open_merchant ();
  g_assert_true (type_pin ("9999"));
  lock_merchant ();
  /* The operator's recovery: reset the hash, and 1234 opens again. */
  g_settings_reset (settings, "merchant-pin-hash");
  open_merchant ();
  g_assert_true (type_pin ("1234"));
  lock_merchant ();
  g_settings_reset (settings, "merchant-pin-hash");
}

static void
test_pin_backoff (void)
{
  if (g_test_subprocess ())
    {
      open_merchant ();
      for (guint i = 0; i < TILL_PIN_FREE_ATTEMPTS - 1; i++)
        {
          g_assert_false (type_pin ("0000"));
          g_assert_cmpstr (label ("pin_message"), ==, "Wrong PIN");
        }
      g_assert_false (type_pin ("0000"));
      g_assert_cmpstr (label ("pin_message"), ==, "Too many wrong PINs. Try again in 30 seconds.");
      g_assert_false (gtk_widget_is_sensitive (child ("pin_grid")));
      screenshot ("pin-backoff");
      /* The pad takes nothing while it waits, not even the right PIN. */
      g_signal_emit_by_name (gtk_grid_get_child_at (GTK_GRID (child ("pin_grid")), 0, 0), "clicked");
      g_assert_cmpstr (label ("pin_display"), ==, "");
      g_assert_cmpuint (till_pin_backoff_seconds (5), ==, 30);
      g_assert_cmpuint (till_pin_backoff_seconds (6), ==, 60);
      g_assert_cmpuint (till_pin_backoff_seconds (7), ==, 120);
      g_assert_cmpuint (till_pin_backoff_seconds (100), ==, 3600);
      g_assert_cmpuint (till_pin_backoff_seconds (4), ==, 0);
      /* Locking and coming back does not reset the wait. */
      lock_merchant ();
      open_merchant ();
      g_assert_true (g_str_has_prefix (label ("pin_message"), "Too many wrong PINs."));
      g_assert_false (gtk_widget_is_sensitive (child ("pin_grid")));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The first Void on screen: a wallet sale's row hides its own. */
static GtkWidget *
find_visible_void (GtkWidget *root)
{
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (c) && g_strcmp0 (gtk_widget_get_name (c), "void") == 0 && gtk_widget_get_visible (c))
        return c;
      if ((found = find_visible_void (c)) != NULL)
        return found;
    }
  return NULL;
}

/* The titles of the day's sales in "Today", one per line. */
static gchar *
today_sales (void)
{
  g_autoptr(GString) titles = g_string_new (NULL);
  GListModel *sales = till_report_page_get_sales (TILL_REPORT_PAGE (child ("today_page")));

  for (guint i = 0; i < g_list_model_get_n_items (sales); i++)
    {
      g_autoptr(TillReportRow) row = g_list_model_get_item (sales, i);

      g_string_append_printf (titles, "%s\n", till_report_row_get_title (row));
    }
  return g_string_free (g_steal_pointer (&titles), FALSE);
}

/* The day survives a restart: the sales made above are in "Today", and the same after the
 * window is made anew (as at the next start), from the sales book alone. */
static void
test_today_restart (void)
{
  g_autofree gchar *summary = NULL;
  g_autofree gchar *sales = NULL;
  g_autofree gchar *wallet_row = NULL;

  open_today ();
  summary = g_strdup (gtk_label_get_text (GTK_LABEL (report_child ("summary_label"))));
  sales = today_sales ();
  g_test_message ("Today: %s\n%s", summary, sales);
  g_assert_nonnull (strstr (summary, " sales, €"));
  g_assert_nonnull (strstr (sales, " · Cash · No. "));
  wallet_row = g_strdup_printf (" · Wallet · %s\n", first_reference);
  g_assert_nonnull (strstr (sales, wallet_row));
  screenshot ("today");
  lock_merchant ();

  gtk_window_destroy (GTK_WINDOW (window));
  spin (200);
  make_window ();
  spin (500);
  wait_page ("sell");
  open_today ();
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (report_child ("summary_label"))), ==, summary);
  {
    g_autofree gchar *again = today_sales ();

    g_assert_cmpstr (again, ==, sales);
  }
  /* The report: the wallet's sales by state come from the terminal; the printed text holds
   * every section. */
  {
    g_autofree gchar *text = NULL;
    gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while (!gtk_widget_get_visible (report_child ("wallet_group")) && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
    text = till_report_page_build_text (TILL_REPORT_PAGE (child ("today_page")));
    g_test_message ("%s", text);
    g_assert_nonnull (strstr (text, "End of day "));
    g_assert_nonnull (strstr (text, "\nBy method\n"));
    g_assert_nonnull (strstr (text, "\nBy category\n"));
    g_assert_nonnull (strstr (text, "\nCash in the drawer\n"));
    g_assert_nonnull (strstr (text, "\nWallet sales by settlement\n"));
    g_assert_nonnull (strstr (text, "Waiting ("));
    g_assert_nonnull (strstr (text, "At risk (not settled)"));
    screenshot ("end-of-day");
  }
  /* A cash sale voided (two taps): it stays in the list, marked, and leaves the totals. */
  {
    GtkWidget *button;
    const char *summary_after;

    gtk_stack_set_visible_child_name (GTK_STACK (report_child ("report_stack")), "sales");
    spin (300);
    screenshot ("today-sales");
    button = find_visible_void (report_child ("sales_view"));
    g_assert_nonnull (button);
    click (button);
    g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Tap again to void");
    g_signal_emit_by_name (button, "clicked");
    spin (50);
    summary_after = gtk_label_get_text (GTK_LABEL (report_child ("summary_label")));
    g_test_message ("after the void: %s", summary_after);
    g_assert_cmpstr (summary_after, !=, summary);
    {
      g_autofree gchar *text = till_report_page_build_text (TILL_REPORT_PAGE (child ("today_page")));

      g_assert_nonnull (strstr (text, "Voided (1)"));
    }
  }
  lock_merchant ();
}

/* The book cannot be written when the wallet approves (another process holds its write
 * lock): the sale is still shown approved, a warning is logged, and at the next start the
 * book takes the sale back from the terminal. */
static void
test_today_repair (void)
{
  g_autofree gchar *reference = NULL;
  g_autofree gchar *row = NULL;
  g_autofree gchar *code = NULL;
  GtkEntry *entry;
  sqlite3 *lock;
  gint64 end;

  add_product ("water");
  choose_method ("offauth");
  entry = scan_entry ();
  g_assert_cmpint (sqlite3_open (g_getenv ("TILL_SALES_BOOK"), &lock), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_test_expect_message ("till-book", G_LOG_LEVEL_WARNING, "*is not in the sales book*");
  code = simulate_payer (entry);
  wait_page ("result");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (label ("result_title"), ==, "Approved offline");
  reference = g_strdup (label ("result_reference"));
  sqlite3_exec (lock, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (lock);
  back_to_sell ();
  open_today ();
  row = g_strdup_printf (" · Wallet · %s\n", reference);
  {
    g_autofree gchar *sales = today_sales ();

    g_assert_null (strstr (sales, row));
  }
  lock_merchant ();

  gtk_window_destroy (GTK_WINDOW (window));
  spin (200);
  make_window ();
  wait_page ("sell");
  /* The repair asks the terminal on its worker, behind the start. */
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree gchar *sales = NULL;

      open_today ();
      sales = today_sales ();
      lock_merchant ();
      if (strstr (sales, row) != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      spin (200);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(TillCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *demo_dir = NULL;
  gboolean subprocess = FALSE, not_enrolled = FALSE;
  int rc;

  for (int i = 0; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--GTestSubprocess"))
        subprocess = TRUE;
      if (g_str_equal (argv[i], "/Till/UI/not-enrolled"))
        not_enrolled = TRUE;
    }
  demo_dir = g_dir_make_tmp ("till-ui-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);
  {
    /* The sales book beside the demo's terminal, for the not-enrolled window too. */
    g_autofree gchar *book = g_build_filename (demo_dir, "sales.db", NULL);

    g_setenv ("TILL_SALES_BOOK", book, TRUE);
  }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  /* GTK's in-process test context: no accessibility bus either (as with "none"), but each
   * widget keeps its accessible properties, which the accessible-names test reads. */
  g_setenv ("GTK_A11Y", "test", TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  settings = g_settings_new (SCHEMA_ID);
  if (subprocess && not_enrolled)
    {
      g_autofree gchar *db = g_build_filename (demo_dir, "nobody-enrolled.db", NULL);
      g_settings_set_string (settings, "terminal-db", db);
    }
  else if (subprocess)
    g_settings_set_strv (settings, "enabled-plugins", NULL);
  g_settings_set_uint (settings, "auto-return-seconds", 60);

  app = till_application_new ();
  /* The test-only switch: several test processes run windows at once. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  till_application_load_plugins (settings);
  catalog = till_catalog_new_from_resource ("/io/github/tillpos/Till/catalog/festival.ini", &error);
  g_assert_no_error (error);
  window_catalog = catalog;
  window_demo = !(subprocess && not_enrolled);
  make_window ();
  spin (500);

  g_test_add_func ("/Till/UI/no-plugin", test_no_plugin);
  g_test_add_func ("/Till/UI/not-enrolled", test_not_enrolled);
  g_test_add_func ("/Till/UI/plugin-loaded", test_plugin_loaded);
  g_test_add_func ("/Till/UI/accessible-names", test_accessible_names);
  g_test_add_func ("/Till/UI/cart", test_cart);
  g_test_add_func ("/Till/UI/cash", test_cash);
  g_test_add_func ("/Till/UI/cancel", test_cancel);
  g_test_add_func ("/Till/UI/wallet", test_wallet);
  g_test_add_func ("/Till/UI/second-payer", test_second_payer);
  g_test_add_func ("/Till/UI/cancel-during-check", test_cancel_during_check);
  g_test_add_func ("/Till/UI/old-code", test_old_code);
  g_test_add_func ("/Till/UI/scanner-enter", test_scanner_enter);
  g_test_add_func ("/Till/UI/keyboard-sale", test_keyboard_sale);
  g_test_add_func ("/Till/UI/forged", test_forged);
  g_test_add_func ("/Till/UI/garbled", test_garbled);
  g_test_add_func ("/Till/UI/over-limit", test_over_limit);
  g_test_add_func ("/Till/UI/category-floor", test_category_floor);
  g_test_add_func ("/Till/UI/sell-screenshot", test_sell_screenshot);
  g_test_add_func ("/Till/UI/merchant", test_merchant);
  g_test_add_func ("/Till/UI/today-restart", test_today_restart);
  g_test_add_func ("/Till/UI/today-repair", test_today_repair);
  g_test_add_func ("/Till/UI/notify", test_notify);
  g_test_add_func ("/Till/UI/kiosk/close-refused", test_kiosk_close_refused);
  g_test_add_func ("/Till/UI/kiosk/keys", test_kiosk_keys);
  g_test_add_func ("/Till/UI/kiosk/inhibit", test_kiosk_inhibit);
  g_test_add_func ("/Till/UI/kiosk/quit", test_kiosk_quit);
  g_test_add_func ("/Till/UI/pin/hashed", test_pin_hashed);
  g_test_add_func ("/Till/UI/pin/migrate", test_pin_migrate);
  g_test_add_func ("/Till/UI/pin/backoff", test_pin_backoff);
  rc = g_test_run ();

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  g_free (first_code);
  g_free (first_reference);
  g_free (second_credential);
  offauth_secret_key_free (second_payer);
  return rc;
}
