/* offauth-pay-page.c: one wallet payment on screen and its scan state machine.
 *
 * The kiosk shows the payment request as a QR code with the amount; the payer's wallet
 * signs it and shows its own code, which a keyboard-wedge scanner types into the scan
 * entry (text, then Enter) or someone pastes. The decision runs on the service's worker;
 * the page completes its TillPaymentTask with the result (libtill's completion protocol:
 * once, and a Cancel waits for a decision in flight).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-demo.h"
#include "offauth-pay-page.h"
#include "offauth-plugin-private.h"
#include "offauth-qr.h"
#include "offauth-result.h"

struct _OffauthPayPage
{
  GtkBox           parent_instance;

  /* Template children */
  GtkPicture      *qr_picture;
  GtkLabel        *amount_label;
  GtkEntry        *entry;
  GtkProgressBar  *progress;
  GtkLabel        *feedback;
  GtkWidget       *demo_box;
  GtkButton       *simulate_button;
  GtkButton       *simulate_low_button;

  OffauthService  *service;
  /* The payment's task: a reference of the page's own while the request is made, then,
   * once the page is presented, a weak pointer: till_payment_task_present() makes the
   * page hold the task until it completes, and no longer (payment -> page -> task ->
   * payment would otherwise keep the sale alive). NULL once the task is gone. */
  TillPaymentTask *task;
  guint            presented : 1;

  gchar           *request;
  gchar           *last_scan;
  gchar           *pending;      /* a scan that arrived while another was decided */
  guint            checking_online : 1;  /* the decision in flight waits for the acquirer */
  guint            online_tick;          /* the progress bar counting the online timeout */
  gint64           online_since;         /* frame clock time (µs) of "Checking online…" */
  guint64          online_timeout_ms;
};

G_DEFINE_FINAL_TYPE (OffauthPayPage, offauth_pay_page, GTK_TYPE_BOX)

enum
{
  PROP_0,
  PROP_REQUEST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void offauth_pay_page_authorize (OffauthPayPage *self,
                                        const char     *raw);

/* Completion (the protocol itself is libtill's TillPaymentTask) */

static gboolean
offauth_pay_page_is_done (OffauthPayPage *self)
{
  return self->task == NULL || till_payment_task_get_done (self->task);
}

static gboolean
offauth_pay_page_is_deciding (OffauthPayPage *self)
{
  return self->task != NULL && till_payment_task_get_deciding (self->task);
}

static void
offauth_pay_page_release_task (OffauthPayPage *self)
{
  if (self->presented)
    g_clear_weak_pointer (&self->task);
  else
    g_clear_object (&self->task);
}

static void
offauth_pay_page_complete (OffauthPayPage    *self,
                           TillPaymentResult *result)
{
  if (self->task != NULL)
    till_payment_task_return_result (self->task, result);
  else
    till_payment_result_free (result);
}

/* The cashier tapped Cancel while a code was being decided. */
static void
offauth_pay_page_cancel_requested_cb (OffauthPayPage *self)
{
  /* The acquirer may approve (and debit the payer): its answer comes first, within the
   * online timeout, and an approval is shown as paid. */
  if (self->checking_online)
    gtk_label_set_text (self->feedback, _("Cancelling after the online answer…"));
  else
    gtk_label_set_text (self->feedback, _("Cancelling…"));
}

/* The scan state machine */

static void
offauth_pay_page_show_feedback (OffauthPayPage *self,
                                const char     *text,
                                gboolean        error)
{
  gtk_label_set_text (self->feedback, text);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->feedback), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->feedback), "error");
}

static void
offauth_pay_page_focus_entry (OffauthPayPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static gboolean
offauth_pay_page_online_tick_cb (GtkWidget     *widget,
                                 GdkFrameClock *clock,
                                 gpointer       user_data)
{
  OffauthPayPage *self = user_data;
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double elapsed_ms;

  if (self->online_since == 0)
    self->online_since = now;
  elapsed_ms = (now - self->online_since) / 1000.0;
  gtk_progress_bar_set_fraction (self->progress, MIN (1.0, elapsed_ms / (double) self->online_timeout_ms));
  return G_SOURCE_CONTINUE;
}

static void
offauth_pay_page_stop_online (OffauthPayPage *self)
{
  self->checking_online = FALSE;
  if (self->online_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->progress), self->online_tick);
  self->online_tick = 0;
}

static void
offauth_pay_page_authorized_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(OffauthPayPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean cancelled;
  OffauthDecision d;

  offauth_pay_page_stop_online (self);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  if (!offauth_service_authorize_finish (OFFAUTH_SERVICE (source), result, &d, &error))
    memset (&d, 0, sizeof d), d.reason = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
  if (offauth_pay_page_is_done (self))
    return;
  /* The cashier tapped Cancel while this code was decided: a recorded sale is shown as
   * approved (the payer paid); anything else ends as cancelled, nothing charged. */
  cancelled = till_payment_task_end_decision (self->task);
  if (cancelled && !d.approved)
    {
      till_payment_task_cancel (self->task);
      return;
    }
  if ((d.garbled || d.outcome_unknown) && !cancelled)
    {
      /* Not a refusal: the code was cut short or misread, or its sale could not be confirmed
       * (it may be recorded). The request stays, and the same code scanned again is decided
       * again: "already paid" if the sale is there. */
      g_autofree gchar *msg =
        d.garbled ? g_strdup_printf ("%s %s", offauth_garbled_message (),
                                     offauth_garbled_next_step ())
                  : g_strdup_printf ("%s %s", offauth_unknown_outcome_message (),
                                     offauth_unknown_outcome_next_step ());
      g_autofree gchar *next = g_steal_pointer (&self->pending);

      g_clear_pointer (&self->last_scan, g_free);
      offauth_pay_page_show_feedback (self, msg, TRUE);
      offauth_pay_page_focus_entry (self);
      if (next != NULL)
        offauth_pay_page_authorize (self, next);
      return;
    }
  g_clear_pointer (&self->pending, g_free);
  offauth_pay_page_complete (self, offauth_result_new_from_decision (&d));
}

/* The offline rules sent this payment to the acquirer: the cashier sees why it takes longer
 * (at most the online timeout). */
static void
offauth_pay_page_checking_online_cb (OffauthService       *service,
                                     OffauthAuthorizeStep  step,
                                     guint64               timeout_ms,
                                     gpointer              user_data)
{
  OffauthPayPage *self = user_data;

  if (step != OFFAUTH_AUTHORIZE_CHECKING_ONLINE || offauth_pay_page_is_done (self))
    return;
  self->checking_online = TRUE;
  /* The bar fills as the online timeout runs out: the cashier sees how long at most. */
  self->online_timeout_ms = MAX (timeout_ms, 1);
  self->online_since = 0;
  gtk_progress_bar_set_fraction (self->progress, 0.0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  if (self->online_tick == 0)
    self->online_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->progress),
                                                      offauth_pay_page_online_tick_cb, self, NULL);
  if (till_payment_task_get_cancel_requested (self->task))
    offauth_pay_page_cancel_requested_cb (self);
  else
    offauth_pay_page_show_feedback (self, _("Checking online…"), FALSE);
}

/* The service call: the code with the sale's lines (their categories count against the
 * credential's limits). */
static void
offauth_pay_page_authorize_code (OffauthPayPage *self,
                                 const char     *code)
{
  TillPayment *payment = till_payment_task_get_payment (self->task);
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (OffauthSaleLine));

  for (guint i = 0; i < till_payment_get_n_lines (payment); i++)
    {
      OffauthSaleLine line;

      till_payment_get_line (payment, i, NULL, &line.category, NULL, &line.amount);
      g_array_append_val (lines, line);
    }
  offauth_service_authorize_async (self->service, code,
                                   (const OffauthSaleLine *) (gpointer) lines->data, lines->len,
                                   offauth_pay_page_checking_online_cb, self, NULL,
                                   offauth_pay_page_authorized_cb, g_object_ref (self));
}

static void
offauth_pay_page_authorize (OffauthPayPage *self,
                            const char     *raw)
{
  g_autofree gchar *text = g_strstrip (g_strdup (raw));

  if (*text == '\0' || offauth_pay_page_is_done (self))
    return;
  /* A scanner that reads the same code twice sends it twice: decide once. */
  if (g_strcmp0 (text, self->last_scan) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->progress), self->checking_online);
      return;
    }
  /* Another code while one is decided: it waits its turn (used if the first was garbled). */
  if (offauth_pay_page_is_deciding (self))
    {
      g_free (self->pending);
      self->pending = g_steal_pointer (&text);
      return;
    }
  g_free (self->last_scan);
  self->last_scan = g_strdup (text);
  till_payment_task_begin_decision (self->task);
  offauth_pay_page_show_feedback (self, _("Checking…"), FALSE);
  offauth_pay_page_authorize_code (self, text);
}

static void
offauth_pay_page_entry_activate_cb (OffauthPayPage *self,
                                    GtkEntry       *entry)
{
  offauth_pay_page_authorize (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
offauth_pay_page_entry_changed_cb (OffauthPayPage *self,
                                   GtkEditable    *editable)
{
  const char *text = gtk_editable_get_text (editable);
  gsize len = strlen (text);

  if (offauth_pay_page_is_deciding (self))
    return;
  /* A scanner types the code over a second or more: show progress, not an error. */
  if (len > 0 && len < OFFAUTH_PAYMENT_TEXT_LEN)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
      gtk_progress_bar_set_fraction (self->progress, (double) len / OFFAUTH_PAYMENT_TEXT_LEN);
      offauth_pay_page_show_feedback (self, _("Reading the code…"), FALSE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  /* A pasted code has no Enter: a whole payment decides by itself. */
  if (len >= OFFAUTH_PAYMENT_TEXT_LEN && g_str_has_prefix (text, "OA1P.") &&
      (len == OFFAUTH_PAYMENT_TEXT_LEN ||
       (len == OFFAUTH_PAYMENT_TEXT_LEN + 1 && text[len - 1] == '\n')))
    offauth_pay_page_authorize (self, text);
}

/* The demo's payer */

static void
offauth_pay_page_scan_simulated (OffauthPayPage *self,
                                 const char     *code)
{
  /* As a scanner would: the text, then Enter. */
  gtk_editable_set_text (GTK_EDITABLE (self->entry), code);
  offauth_pay_page_authorize (self, code);
}

static void
offauth_pay_page_demo_paid_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(OffauthPayPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *code = NULL;

  code = offauth_service_demo_pay_finish (OFFAUTH_SERVICE (source), result, &error);

  if (offauth_pay_page_is_done (self))
    return;
  if (code == NULL)
    {
      gtk_label_set_text (self->feedback, error->message);
      return;
    }
  offauth_pay_page_scan_simulated (self, code);
}

/* The demo's wallet signs on the service's worker, as a phone would on its own; the
 * cashier chooses which of the demo's payers pays. */
static void
offauth_pay_page_simulate_clicked_cb (OffauthPayPage *self,
                                      GtkButton      *button)
{
  guint payer = button == self->simulate_low_button ? OFFAUTH_DEMO_PAYER_POOR
                                                    : OFFAUTH_DEMO_PAYER_RICH;

  offauth_service_demo_pay_async (self->service, payer, self->request, NULL,
                                  offauth_pay_page_demo_paid_cb, g_object_ref (self));
}

/* The request */

static void
offauth_pay_page_show_request (OffauthPayPage *self)
{
  TillPayment *payment = till_payment_task_get_payment (self->task);
  g_autoptr(GdkPaintable) qr = offauth_qr_paintable_new (self->request);
  g_autofree gchar *amount = till_format_amount (till_payment_get_amount (payment),
                                                 till_payment_get_currency (payment));
  /* Translators: under the QR code, e.g. "Scan to pay €12.50" */
  g_autofree gchar *scan = g_strdup_printf (_("Scan to pay %s"), amount);

  gtk_picture_set_paintable (self->qr_picture, qr);
  gtk_label_set_text (self->amount_label, scan);
  gtk_widget_set_visible (GTK_WIDGET (self->demo_box), offauth_service_is_demo (self->service));
}

static void
offauth_pay_page_requested_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(OffauthPayPage) self = user_data;
  g_autoptr(GError) error = NULL;
  OffauthReason reason = OFFAUTH_REASON_NONE;
  g_autofree gchar *request = NULL;

  request = offauth_service_request_finish (self->service, result, &reason, &error);
  if (offauth_pay_page_is_done (self))
    {
      /* Cancelled while the terminal made the request. */
      offauth_pay_page_release_task (self);
      return;
    }
  if (request == NULL)
    {
      /* The terminal refuses before any payer is asked to pay. */
      const char *detail = error ? error->message : offauth_service_get_error (self->service);

      if (reason == OFFAUTH_REASON_NONE)
        reason = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
      offauth_pay_page_complete (self, offauth_result_new_refusal (reason, detail));
      offauth_pay_page_release_task (self);
      return;
    }
  self->request = g_steal_pointer (&request);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST]);
  offauth_pay_page_show_request (self);
  /* From here the payment holds the page, and the page its task until the sale is
   * decided: the page's own reference becomes a weak pointer. */
  till_payment_task_present (self->task, GTK_WIDGET (self));
  {
    TillPaymentTask *task = g_steal_pointer (&self->task);

    self->presented = TRUE;
    g_set_weak_pointer (&self->task, task);
    g_object_unref (task);
  }
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

void
offauth_pay_page_start (OffauthPayPage *self)
{
  TillPayment *payment;

  g_return_if_fail (OFFAUTH_IS_PAY_PAGE (self));
  g_return_if_fail (self->task != NULL && !self->presented);

  payment = till_payment_task_get_payment (self->task);
  offauth_service_request_async (self->service, till_payment_get_amount (payment),
                                 till_payment_get_currency (payment), NULL,
                                 offauth_pay_page_requested_cb, g_object_ref (self));
}

const char *
offauth_pay_page_get_request (OffauthPayPage *self)
{
  g_return_val_if_fail (OFFAUTH_IS_PAY_PAGE (self), NULL);

  return self->request;
}

GtkWidget *
offauth_pay_page_new (OffauthService  *service,
                      TillPaymentTask *task)
{
  OffauthPayPage *self;

  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (task), NULL);

  self = g_object_new (OFFAUTH_TYPE_PAY_PAGE, NULL);
  self->service = g_object_ref (service);
  self->task = g_object_ref (task);
  g_signal_connect_object (task, "cancel-requested",
                           G_CALLBACK (offauth_pay_page_cancel_requested_cb), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

static void
offauth_pay_page_dispose (GObject *object)
{
  OffauthPayPage *self = OFFAUTH_PAY_PAGE (object);

  offauth_pay_page_release_task (self);
  offauth_pay_page_stop_online (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_PAY_PAGE);
  g_clear_object (&self->service);
  G_OBJECT_CLASS (offauth_pay_page_parent_class)->dispose (object);
}

static void
offauth_pay_page_finalize (GObject *object)
{
  OffauthPayPage *self = OFFAUTH_PAY_PAGE (object);

  g_free (self->request);
  g_free (self->last_scan);
  g_free (self->pending);
  G_OBJECT_CLASS (offauth_pay_page_parent_class)->finalize (object);
}

static void
offauth_pay_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  OffauthPayPage *self = OFFAUTH_PAY_PAGE (object);

  switch (prop_id)
    {
    case PROP_REQUEST:
      g_value_set_string (value, self->request);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_pay_page_class_init (OffauthPayPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = offauth_pay_page_dispose;
  object_class->finalize = offauth_pay_page_finalize;
  object_class->get_property = offauth_pay_page_get_property;

  /* For tests and accessibility tools: the request the QR code shows, as text. */
  properties[PROP_REQUEST] =
    g_param_spec_string ("request", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               OFFAUTH_RESOURCE_PATH "/ui/offauth-pay-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, amount_label);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, entry);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, progress);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, feedback);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, demo_box);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, simulate_button);
  gtk_widget_class_bind_template_child (widget_class, OffauthPayPage, simulate_low_button);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pay_page_entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pay_page_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_pay_page_simulate_clicked_cb);
}

static void
offauth_pay_page_init (OffauthPayPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
