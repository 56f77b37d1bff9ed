/* test-pay-online.c: the wallet's pay page going online, with the real acquirer on loopback.
 *
 * The plugin's provider and pay page (compiled in, not loaded) on the process's one service,
 * whose terminal is the online world's (a floor limit of 5.00, the acquirer pinned), in a
 * window under Xvfb. A payment over the floor shows "Checking online…" with the bar, then the
 * result "Approved online" (mode online, on the receipt too); the acquirer's decline for the
 * balance in plain words; and the cashier's Cancel while checking online waits for the
 * acquirer's approval, which is shown as paid.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <string.h>

#include <gtk/gtk.h>
#include <till.h>

#include "offauth-pay-page.h"
#include "offauth-provider.h"
#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "online-world.h"

static OnlineWorld    *world;
static OffauthService *service;

typedef struct
{
  GtkWidget         *page;
  GPtrArray         *feedback;        /* every text the feedback label showed */
  gboolean           bar_while_online; /* the progress bar shown with "Checking online…" */
  GCancellable      *cancel;          /* the cashier's Cancel */
  gboolean           cancel_when_online;
  gboolean           done;
  TillPaymentResult *result;
  GError            *error;
} Pay;

static GtkWidget *
template_child (GtkWidget  *page,
                const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (page, OFFAUTH_TYPE_PAY_PAGE, name));
}

static void
feedback_cb (GtkLabel   *label,
             GParamSpec *pspec,
             gpointer    user_data)
{
  Pay *p = user_data;
  const char *text = gtk_label_get_text (label);
  GtkWidget *bar = template_child (p->page, "progress");

  g_ptr_array_add (p->feedback, g_strdup (text));
  if (g_strcmp0 (text, "Checking online…") != 0)
    return;
  p->bar_while_online = gtk_widget_get_visible (bar);
  if (p->cancel_when_online)
    g_cancellable_cancel (p->cancel);
}

static void
present_cb (TillPayment *payment,
            GtkWidget   *page,
            gpointer     user_data)
{
  Pay *p = user_data;
  GtkWidget *window = gtk_window_new ();

  p->page = page;
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (template_child (page, "feedback"),
                    "notify::label", G_CALLBACK (feedback_cb), p);
}

static void
paid_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pay *p = user_data;

  p->result = till_payment_provider_pay_finish (TILL_PAYMENT_PROVIDER (source), result, &p->error);
  p->done = TRUE;
}

static gboolean
has (GPtrArray  *texts,
     const char *text)
{
  return g_ptr_array_find_with_equal_func (texts, text, g_str_equal, NULL);
}

/* A sale of amount through the wallet's provider: the page shows the request, the payer's
 * wallet pays it, the code is typed in as a scanner would. */
static void
pay (Pay        *p,
     guint64     amount,
     const char *wallet,
     const char *cred,
     gboolean    cancel_when_online)
{
  g_autoptr(TillPaymentProvider) provider = g_object_new (OFFAUTH_TYPE_PROVIDER, NULL);
  g_autoptr(TillPayment) payment = till_payment_new (amount, "EUR");
  g_autofree gchar *code = NULL;
  GtkWidget *window;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  memset (p, 0, sizeof *p);
  p->feedback = g_ptr_array_new_with_free_func (g_free);
  p->cancel = g_cancellable_new ();
  p->cancel_when_online = cancel_when_online;
  till_payment_add_line (payment, "Beer", "drinks", 1, amount);
  g_signal_connect (payment, "present", G_CALLBACK (present_cb), p);
  till_payment_provider_pay_async (provider, payment, p->cancel, paid_cb, p);
  while (p->page == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (p->page);
  g_assert_nonnull (offauth_pay_page_get_request (OFFAUTH_PAY_PAGE (p->page)));
  code = online_world_pay (world, wallet, cred, offauth_pay_page_get_request (OFFAUTH_PAY_PAGE (p->page)));
  /* A whole code decides by itself, as a paste does; a scanner's Enter would do the same. */
  gtk_editable_set_text (GTK_EDITABLE (template_child (p->page, "entry")), code);
  online_world_iterate_until (&p->done);
  window = GTK_WIDGET (gtk_widget_get_root (p->page));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
pay_clear (Pay *p)
{
  g_clear_pointer (&p->feedback, g_ptr_array_unref);
  g_clear_object (&p->cancel);
  g_clear_pointer (&p->result, till_payment_result_free);
  g_clear_error (&p->error);
}

static gboolean
receipt_has (TillPaymentResult *r,
             const char        *line)
{
  return g_ptr_array_find_with_equal_func (r->receipt, line, g_str_equal, NULL);
}

static void
test_pay_approved_online (void)
{
  Pay p;

  pay (&p, 800, world->rich_wallet, world->rich_cred, FALSE);
  g_assert_no_error (p.error);
  g_assert_true (has (p.feedback, "Checking online…"));
  g_assert_true (p.bar_while_online);
  g_assert_true (p.result->approved);
  g_assert_cmpint (p.result->mode, ==, TILL_PAYMENT_MODE_ONLINE);
  g_assert_cmpstr (p.result->title, ==, "Approved online");
  g_assert_true (receipt_has (p.result, "Wallet payment, approved online"));
  pay_clear (&p);

  /* Under the floor: offline, as before, without a word about online. */
  pay (&p, 300, world->rich_wallet, world->rich_cred, FALSE);
  g_assert_false (has (p.feedback, "Checking online…"));
  g_assert_cmpint (p.result->mode, ==, TILL_PAYMENT_MODE_OFFLINE);
  g_assert_cmpstr (p.result->title, ==, "Approved offline");
  pay_clear (&p);
}

static void
test_pay_declined_online (void)
{
  Pay p;

  pay (&p, 600, world->poor_wallet, world->poor_cred, FALSE);
  g_assert_no_error (p.error);
  g_assert_true (has (p.feedback, "Checking online…"));
  g_assert_false (p.result->approved);
  g_assert_cmpint (p.result->mode, ==, TILL_PAYMENT_MODE_ONLINE);
  g_assert_cmpstr (p.result->title, ==, "Declined online");
  g_assert_cmpstr (p.result->message, ==, "The payer's balance is too low.");
  g_assert_cmpstr (p.result->next_step, ==, "Ask for another payment method.");
  g_assert_cmpint (p.result->next_action, ==, TILL_PAYMENT_ACTION_OTHER_METHOD);
  g_assert_cmpstr (p.result->reason_code, ==, "Reason: insufficient_funds (online)");
  pay_clear (&p);
}

/* Cancel while checking online: the acquirer's approval comes first and is shown as paid. */
static void
test_pay_cancel_while_online (void)
{
  Pay p;

  pay (&p, 700, world->rich_wallet, world->rich_cred, TRUE);
  g_assert_no_error (p.error);
  g_assert_true (has (p.feedback, "Cancelling after the online answer…"));
  g_assert_nonnull (p.result);
  g_assert_true (p.result->approved);
  g_assert_cmpstr (p.result->title, ==, "Approved online");
  pay_clear (&p);
}

int
main (int argc, char **argv)
{
  g_autoptr(GSettings) settings = NULL;
  gint64 end;
  int rc;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  if (!offauth_init ())
    return 1;
  world = online_world_new (500);
  /* The process's one service, on the world's terminal (the memory backend is shared). */
  settings = offauth_settings_new ();
  g_settings_set_string (settings, "terminal-db", world->db);
  service = offauth_service_get (NULL, FALSE);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_READY);
  /* The uploader's job in the app: the acquirer answers. */
  _offauth_service_set_online (service, TRUE);

  g_test_add_func ("/Offauth/PayOnline/approved", test_pay_approved_online);
  g_test_add_func ("/Offauth/PayOnline/declined", test_pay_declined_online);
  g_test_add_func ("/Offauth/PayOnline/cancel-while-online", test_pay_cancel_while_online);
  rc = g_test_run ();
  online_world_free (world);
  return rc;
}
