/* test-walkthrough.c: the README's demo walkthrough in the real window, step by step.
 *
 * The demo with its own acquirer (TILL_ACQUIRER: a child process on loopback): online at
 * start; "Simulate network down" on the Demo page; three wallet sales offline, the pill
 * amber; "Network back": the pill goes through Uploading to green and the sales view shows
 * every sale settled; the payer with a low balance pays more than it has: declined late in
 * the sales view, a badge on the pill, a notification (with WALKTHROUGH_DUNST=1, checked in
 * dunst's history) whose Review opens the sales view; "Top up demo payer" and Sync now: the
 * sale settles; the end-of-day report shows the day. A kiosk nobody enrolled shows the red
 * pill (a subprocess). TILL_SCREENSHOT_DIR=DIR saves each step as walkthrough-*-WxH.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "till-report-page.h"
#include "ui-helpers.h"

/* How long the uploads may take: generous, for a loaded machine. */
#define UPLOAD_SECONDS 45

static GPtrArray *pill_texts;   /* every text the pill showed since recording began */
static guint64 rich_sales[3];
static guint64 poor_sale;
static pid_t held_acquirer;     /* the demo's acquirer, stopped for a picture */

static void
fail (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static void
fail (const char *format,
      ...)
{
  va_list args;
  g_autofree gchar *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_error ("walkthrough: %s", message);
}

static GtkWidget *
pill_label (void)
{
  return find (status_pill_button (), GTK_TYPE_LABEL, NULL, NULL);
}

static GtkWidget *
pill_badge (void)
{
  GtkWidget *badge = find (status_pill_button (), GTK_TYPE_LABEL, "offauth-badge", NULL);

  g_assert_nonnull (badge);
  return badge;
}

static gboolean
pill_has_colour (const char *colour)
{
  return gtk_widget_has_css_class (status_pill_button (), colour);
}

static void
assert_pill_colour (const char *colour)
{
  if (!pill_has_colour (colour))
    {
      g_auto(GStrv) classes = gtk_widget_get_css_classes (status_pill_button ());
      g_autofree gchar *joined = g_strjoinv (" ", classes);

      fail ("the pill '%s' is '%s', not '%s'", status_pill (), joined, colour);
    }
}

static gboolean
pill_showed (const char *fragment)
{
  for (guint i = 0; i < pill_texts->len; i++)
    if (strstr (g_ptr_array_index (pill_texts, i), fragment) != NULL)
      return TRUE;
  return FALSE;
}

static pid_t acquirer_pid (void);

/* Records the pill's texts. When the acquirer has just answered the probe after the network
 * came back ("Online · 3 waiting"), the upload is about to begin: it takes a few ms, so the
 * acquirer is held still (SIGSTOP) for the uploading picture, as a slow network would hold
 * the answer; the request waits, nothing is lost. */
static void
pill_text_cb (GtkLabel   *pill,
              GParamSpec *pspec,
              gpointer    user_data)
{
  const char *text = gtk_label_get_text (pill);

  g_ptr_array_add (pill_texts, g_strdup (text));
  if (user_data != NULL && held_acquirer == 0 && !pill_showed ("Uploading") &&
      strstr (text, "Online · 3 waiting") != NULL && (held_acquirer = acquirer_pid ()) != 0)
    kill (held_acquirer, SIGSTOP);
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  text)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), text) == 0;
}

/* The first button under root with that label. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *text)
{
  return find_first (root, is_button_labelled, text);
}

static gboolean
is_label_with (GtkWidget     *widget,
               gconstpointer  fragment)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), fragment) != NULL;
}

/* The merchant area, unlocked, showing one of its pages. */
static GtkWidget *
show_merchant_page (const char *name)
{
  GtkWidget *page;

  if (g_strcmp0 (till_window_get_page (window), "merchant") != 0)
    open_merchant ();
  if (g_strcmp0 (merchant_page (), "area") != 0 && !type_pin ("1234"))
    fail ("the PIN 1234 did not open the merchant area");
  page = gtk_stack_get_child_by_name (GTK_STACK (child ("merchant_pages")), name);
  if (page == NULL)
    fail ("the merchant area has no page '%s'", name);
  gtk_stack_set_visible_child_name (GTK_STACK (child ("merchant_pages")), name);
  spin (200);
  return page;
}

/* The Demo page's button (css class demo-network or demo-topup), once it can be tapped. */
static GtkWidget *
demo_button (const char *css_class)
{
  GtkWidget *page = show_merchant_page ("offauth-demo");
  GtkWidget *button = find (page, GTK_TYPE_BUTTON, css_class, NULL);
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_nonnull (button);
  while (!gtk_widget_is_sensitive (button) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (!gtk_widget_is_sensitive (button))
    fail ("the Demo page's '%s' stays insensitive", gtk_button_get_label (GTK_BUTTON (button)));
  return button;
}

/* A wallet sale paid by one of the demo payers (css class simulate or simulate-low);
 * returns the terminal's sale number. */
static guint64
wallet_sale (const char *payer,
             const char *first,
             const char *second)
{
  GtkEntry *entry;
  GtkWidget *button;
  const char *reference;

  add_product (first);
  add_product (second);
  choose_method ("offauth");
  entry = scan_entry ();
  button = find (child ("provider_bin"), GTK_TYPE_BUTTON, payer, NULL);
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  wait_page ("result");
  if (g_strcmp0 (label ("result_title"), "Approved offline") != 0)
    fail ("the %s payer's sale ends '%s: %s', not 'Approved offline'", payer,
          label ("result_title"), label ("result_message"));
  reference = label ("result_reference");
  g_assert_true (g_str_has_prefix (reference, "Sale "));
  (void) entry;
  return g_ascii_strtoull (reference + strlen ("Sale "), NULL, 10);
}

/* The demo's acquirer: the child of this process that runs offauth-acquirer, or 0. */
static pid_t
acquirer_pid (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree gchar *stat_path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree gchar *stat = NULL;
      const char *close;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* pid (comm) state ppid ... */
      close = strrchr (stat, ')');
      if (close == NULL || sscanf (close + 1, " %*c %d", &ppid) != 1 || ppid != getpid ())
        continue;
      if (strstr (stat, "(offauth-acquir") != NULL)
        return (pid_t) atoi (name);
    }
  return 0;
}

/* The sales view's list (the drop-downs' own lists are left out). */
static gboolean
is_sales_list (GtkWidget     *widget,
               gconstpointer  unused)
{
  return GTK_IS_LIST_VIEW (widget) && gtk_widget_get_ancestor (widget, GTK_TYPE_DROP_DOWN) == NULL;
}

/* The sales view: its rows (OffauthSaleItem). */
static GListModel *
sales_rows (void)
{
  GtkWidget *list = find_first (show_merchant_page ("offauth-sales"), is_sales_list, NULL);

  if (list == NULL)
    fail ("the sales view has no list of sales");
  return G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (list)));
}

/* The state the sales view shows for a sale, or NULL when it is not listed. */
static gchar *
sale_state (guint64 number)
{
  GListModel *rows = sales_rows ();

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (rows, i);
      guint64 n;
      gchar *state;

      g_object_get (item, "number", &n, "state-text", &state, NULL);
      if (n == number)
        return state;
      g_free (state);
    }
  return NULL;
}

static gchar *
sale_reason (guint64 number)
{
  GListModel *rows = sales_rows ();

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (rows, i);
      guint64 n;
      gchar *reason;

      g_object_get (item, "number", &n, "reason-text", &reason, NULL);
      if (n == number)
        return reason;
      g_free (reason);
    }
  return NULL;
}

/* Waits until the sales view shows the sale in a state that starts with prefix. */
static void
wait_sale_state (guint64     number,
                 const char *prefix,
                 guint       seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  g_autofree gchar *state = NULL;

  /* "All": the view opens on "needs attention" when late declines exist. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find (show_merchant_page ("offauth-sales"),
                                                   GTK_TYPE_DROP_DOWN, NULL, NULL)), 0);
  for (;;)
    {
      g_free (state);
      state = sale_state (number);
      if ((state != NULL && g_str_has_prefix (state, prefix)) || g_get_monotonic_time () > end)
        break;
      spin (100);
    }
  if (state == NULL || !g_str_has_prefix (state, prefix))
    fail ("the sales view shows sale %" G_GUINT64_FORMAT " as '%s', not '%s' after %u s",
          number, state ? state : "(not listed)", prefix, seconds);
}

/* Tests */

static void
test_online (void)
{
  /* The child acquirer starts with the demo, and the uploader finds it. */
  wait_status_for ("Online · nothing waiting", 30);
  assert_pill_colour ("online");
  g_assert_false (gtk_widget_get_visible (pill_badge ()));
  screenshot ("walkthrough-1-online");
}

static void
test_network_down (void)
{
  GtkWidget *button = demo_button ("demo-network");

  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Simulate network down");
  screenshot ("walkthrough-2-demo-page");
  click (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Network back");
  lock_merchant ();
  /* The pill says so at once, before any sale. */
  wait_status_for ("Offline · nothing waiting", 15);
  assert_pill_colour ("offline");
  if (acquirer_pid () != 0)
    fail ("the demo's acquirer still runs after 'Simulate network down'");
}

static void
test_offline_sales (void)
{
  rich_sales[0] = wallet_sale ("simulate", "lemonade", "bratwurst");
  back_to_sell ();
  rich_sales[1] = wallet_sale ("simulate", "coffee", "waffle");
  back_to_sell ();
  rich_sales[2] = wallet_sale ("simulate", "beer", "fries");
  back_to_sell ();
  wait_status_for ("Offline · 3 waiting · €", 10);
  assert_pill_colour ("offline");
  screenshot ("walkthrough-3-offline-waiting");
}

static void
test_network_back (void)
{
  GtkWidget *button = demo_button ("demo-network");
  gint64 end;
  gboolean shot = FALSE;
  gulong id;

  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "Network back");
  g_ptr_array_set_size (pill_texts, 0);
  id = g_signal_connect (pill_label (), "notify::label", G_CALLBACK (pill_text_cb),
                         GINT_TO_POINTER (TRUE));
  click (button);
  lock_merchant ();
  end = g_get_monotonic_time () + UPLOAD_SECONDS * G_USEC_PER_SEC;
  while (strstr (status_pill (), "Online · nothing waiting") == NULL &&
         g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      if (!shot && held_acquirer != 0 && strstr (status_pill (), "Uploading · 3") != NULL)
        {
          shot = TRUE;
          assert_pill_colour ("syncing");
          screenshot ("walkthrough-4-uploading");
          kill (held_acquirer, SIGCONT);
          held_acquirer = 0;
        }
    }
  if (held_acquirer != 0)
    {
      kill (held_acquirer, SIGCONT);
      held_acquirer = 0;
    }
  g_signal_handler_disconnect (pill_label (), id);
  for (guint i = 0; i < pill_texts->len; i++)
    g_test_message ("the pill: %s", (const char *) g_ptr_array_index (pill_texts, i));
  if (strstr (status_pill (), "Online · nothing waiting") == NULL)
    fail ("after 'Network back' the pill says '%s', not 'Online · nothing waiting' after %d s",
          status_pill (), UPLOAD_SECONDS);
  if (!pill_showed ("Uploading · "))
    fail ("the pill never said 'Uploading' on its way back online");
  assert_pill_colour ("online");
  screenshot ("walkthrough-5-online-again");
  for (guint i = 0; i < G_N_ELEMENTS (rich_sales); i++)
    wait_sale_state (rich_sales[i], "settled", 10);
  screenshot ("walkthrough-6-sales-settled");
  lock_merchant ();
}

/* With dunst as the notification daemon: the notification reached it (and is closed). */
static void
assert_dunst_received (const char *summary)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      g_autofree gchar *out = NULL;
      const char *close_all[] = { "dunstctl", "close-all", NULL };
      const char *argv[] = { "dunstctl", "history", NULL };

      spin (200);
      /* The history holds the closed notifications only. */
      g_spawn_sync (NULL, (gchar **) close_all, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL);
      if (g_spawn_sync (NULL, (gchar **) argv, NULL,
                        G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                        NULL, NULL, NULL) && out != NULL &&
          strstr (out, summary) != NULL)
        return;
    }
  fail ("dunst's history has no notification '%s'", summary);
}

static void
test_late_decline (void)
{
  gint64 end;
  g_autofree gchar *reason = NULL;
  g_autofree gchar *state = NULL;
  GtkWidget *toast;

  /* €6.50, over the low balance: approved offline (the payer's wallet may spend it), and
   * declined by the acquirer at the upload that follows a few seconds later. */
  poor_sale = wallet_sale ("simulate-low", "waffle", "coffee");
  back_to_sell ();
  end = g_get_monotonic_time () + UPLOAD_SECONDS * G_USEC_PER_SEC;
  while (!gtk_widget_get_visible (pill_badge ()) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (!gtk_widget_get_visible (pill_badge ()))
    fail ("no late-decline badge on the pill after %d s (it says '%s')", UPLOAD_SECONDS,
          status_pill ());
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (pill_badge ())), ==, "1");
  g_test_message ("with the late decline, the pill: %s", status_pill ());
  /* The message on screen, with its Review button. */
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while ((toast = find_first (GTK_WIDGET (window), is_label_with, "Late declines")) == NULL &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  if (toast == NULL)
    fail ("no 'Late declines' message on screen");
  g_test_message ("on screen: %s", gtk_label_get_text (GTK_LABEL (toast)));
  screenshot ("walkthrough-7-late-decline-pill");
  if (g_strcmp0 (g_getenv ("WALKTHROUGH_DUNST"), "1") == 0)
    assert_dunst_received ("Late declines");

  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (toast)),
                            "1 more sale was declined by the acquirer after the sale. "
                            "1 sale (€6.50) needs you now."));
  /* Review (the message's button): the PIN, then the sales view. */
  {
    GtkWidget *review = find_button (GTK_WIDGET (window), "Review");

    g_assert_nonnull (review);
    g_signal_emit_by_name (review, "clicked");
  }
  wait_page ("merchant");
  g_assert_true (type_pin ("1234"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (child ("merchant_pages"))), ==,
                   "offauth-sales");
  spin (500);
  screenshot ("walkthrough-8-sales-late-decline");
  state = sale_state (poor_sale);
  reason = sale_reason (poor_sale);
  g_test_message ("the low-balance payer's sale: %s: %s", state, reason);
  if (state == NULL || (!g_str_has_prefix (state, "declined late") &&
                        !g_str_has_prefix (state, "retry scheduled")))
    fail ("the low-balance payer's sale shows '%s', not declined late", state);
  g_assert_nonnull (strstr (reason, "balance was too low"));
  lock_merchant ();
}

static void
test_top_up (void)
{
  GtkWidget *button = demo_button ("demo-topup");
  GtkWidget *sync_now;

  click (button);
  /* Busy while the acquirer credits the payer, then tappable again. */
  demo_button ("demo-topup");
  lock_merchant ();
  sync_now = find_button (status_pill_button (), "Sync now");
  g_assert_nonnull (sync_now);
  g_signal_emit_by_name (sync_now, "clicked");
  wait_sale_state (poor_sale, "settled", UPLOAD_SECONDS);
  screenshot ("walkthrough-9-sales-all-settled");
  lock_merchant ();
  wait_status_for ("Online · nothing waiting", 10);
  assert_pill_colour ("online");
  g_assert_false (gtk_widget_get_visible (pill_badge ()));
}

static void
test_end_of_day (void)
{
  GListModel *sales;
  g_autofree gchar *text = NULL;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  open_today ();
  sales = till_report_page_get_sales (TILL_REPORT_PAGE (child ("today_page")));
  g_assert_cmpuint (g_list_model_get_n_items (sales), ==, 4);
  while (!gtk_widget_get_visible (report_child ("wallet_group")) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  text = till_report_page_build_text (TILL_REPORT_PAGE (child ("today_page")));
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "\nWallet sales by settlement\n"));
  g_assert_nonnull (strstr (text, "Settled (4)"));
  screenshot ("walkthrough-10-end-of-day");
  lock_merchant ();
}

/* The red pill: a kiosk nobody enrolled pauses offline payments (a window of its own, in a
 * subprocess, without the demo). */
static void
test_paused (void)
{
  if (g_test_subprocess ())
    {
      wait_status_for ("Paused", 20);
      assert_pill_colour ("paused");
      screenshot ("walkthrough-11-paused");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc,
      char **argv)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(TillCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *demo_dir = NULL;
  g_autofree gchar *book = NULL;
  gboolean paused = FALSE;
  int rc;

  for (int i = 0; i < argc; i++)
    if (g_str_equal (argv[i], "--GTestSubprocess"))
      paused = TRUE;   /* the only subprocess */
  if (g_getenv ("TILL_ACQUIRER") == NULL || *g_getenv ("TILL_ACQUIRER") == '\0')
    g_error ("TILL_ACQUIRER must name the build's acquirer/offauth-acquirer");
  demo_dir = g_dir_make_tmp ("till-walkthrough-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);
  book = g_build_filename (demo_dir, "sales.db", NULL);
  g_setenv ("TILL_SALES_BOOK", book, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);

  if (g_getenv ("TILL_SCREENSHOT_DIR") != NULL)
    g_mkdir_with_parents (g_getenv ("TILL_SCREENSHOT_DIR"), 0755);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  settings = g_settings_new (SCHEMA_ID);
  g_settings_set_uint (settings, "auto-return-seconds", 60);
  if (paused)
    {
      g_autofree gchar *db = g_build_filename (demo_dir, "nobody-enrolled.db", NULL);

      g_settings_set_string (settings, "terminal-db", db);
    }
  pill_texts = g_ptr_array_new_with_free_func (g_free);

  app = till_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  till_application_load_plugins (settings);
  catalog = till_catalog_new_from_resource ("/io/github/tillpos/Till/catalog/festival.ini", &error);
  g_assert_no_error (error);
  window_catalog = catalog;
  window_demo = !paused;
  make_window ();
  spin (500);

  g_test_add_func ("/Till/Walkthrough/online", test_online);
  g_test_add_func ("/Till/Walkthrough/network-down", test_network_down);
  g_test_add_func ("/Till/Walkthrough/offline-sales", test_offline_sales);
  g_test_add_func ("/Till/Walkthrough/network-back", test_network_back);
  g_test_add_func ("/Till/Walkthrough/late-decline", test_late_decline);
  g_test_add_func ("/Till/Walkthrough/top-up", test_top_up);
  g_test_add_func ("/Till/Walkthrough/end-of-day", test_end_of_day);
  g_test_add_func ("/Till/Walkthrough/paused", test_paused);
  rc = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  spin (200);
  {
    const char *rm[] = { "rm", "-rf", demo_dir, NULL };

    /* The terminal, the acquirer's database, the sales book: this process's own. */
    g_spawn_sync (NULL, (gchar **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
  g_ptr_array_unref (pill_texts);
  return rc;
}
