/* offauth-provider.c: paying with an offline wallet.
 *
 * The kiosk shows the payment request as a QR code with the amount; the payer's wallet
 * signs it and shows its own code, which a keyboard-wedge scanner types into the scan
 * entry (text, then Enter) or someone pastes. The decision runs on the service's worker
 * thread; the result comes back as a TillPaymentResult.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n-lib.h>
#include <qrencode.h>

#include "offauth-plugin.h"
#include "offauth-service.h"

struct _OffauthProvider
{
  GObject         parent_instance;
  TillHost       *host;
  OffauthService *service;     /* watched for the terminal's state */
  OffauthReason   state;
  OffauthServiceState service_state;
  gchar          *unavailable;
};

static void provider_iface_init (TillPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthProvider, offauth_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER, provider_iface_init))

enum
{
  PROP_0,
  PROP_HOST,
  N_PROPS
};

static void
offauth_provider_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  OffauthProvider *self = OFFAUTH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_set_weak_pointer (&self->host, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_provider_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, OFFAUTH_PROVIDER (object)->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
service_changed_cb (OffauthProvider *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);
  OffauthServiceState service_state = offauth_service_get_state (self->service);

  if (st->state == self->state && service_state == self->service_state)
    return;
  self->state = st->state;
  self->service_state = service_state;
  g_clear_pointer (&self->unavailable, g_free);
  if (service_state == OFFAUTH_SERVICE_STARTING)
    /* Translators: under the Wallet button while the terminal opens and checks its journal */
    self->unavailable = g_strdup (_("Checking the journal…"));
  else if (st->state != OFFAUTH_REASON_NONE)
    /* Translators: under the Wallet button when offline payments are paused, e.g.
     * "Paused: Sales have waited too long to be uploaded." */
    self->unavailable = g_strdup_printf (_("Paused: %s"), offauth_reason_detail (st->state));
  g_signal_emit_by_name (self, "availability-changed");
}

static void
offauth_provider_constructed (GObject *object)
{
  OffauthProvider *self = OFFAUTH_PROVIDER (object);

  G_OBJECT_CLASS (offauth_provider_parent_class)->constructed (object);
  self->service = g_object_ref (offauth_plugin_service (self->host));
  self->state = OFFAUTH_N_REASONS;
  g_signal_connect_object (self->service, "changed", G_CALLBACK (service_changed_cb), self, G_CONNECT_SWAPPED);
  service_changed_cb (self);
}

static void
offauth_provider_finalize (GObject *object)
{
  g_clear_object (&OFFAUTH_PROVIDER (object)->service);
  g_free (OFFAUTH_PROVIDER (object)->unavailable);
  g_clear_weak_pointer (&OFFAUTH_PROVIDER (object)->host);
  G_OBJECT_CLASS (offauth_provider_parent_class)->finalize (object);
}

static void
offauth_provider_class_init (OffauthProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = offauth_provider_set_property;
  object_class->get_property = offauth_provider_get_property;
  object_class->constructed = offauth_provider_constructed;
  object_class->finalize = offauth_provider_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
offauth_provider_init (OffauthProvider *self)
{
}

OffauthService *
offauth_plugin_service (TillHost *host)
{
  return offauth_service_get (host ? till_host_get_settings (host) : NULL, host ? till_host_is_demo (host) : FALSE);
}

/* QR code: version 16 at level M holds the 443-character payment and any request text,
 * in byte mode (automatic modes sometimes pick version 17). */
GdkTexture *
offauth_qr_texture (const char *text,
                    int         module_px)
{
  QRcode *qr = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  const int quiet = 4;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels;
  int size, stride;

  if (qr == NULL)
    return NULL;
  size = (qr->width + 2 * quiet) * module_px;
  stride = size * 3;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, (gsize) stride * size);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        for (int dy = 0; dy < module_px; dy++)
          memset (pixels + (gsize) ((y + quiet) * module_px + dy) * stride + (gsize) (x + quiet) * module_px * 3,
                  0, (gsize) module_px * 3);
  QRcode_free (qr);
  bytes = g_bytes_new_take (pixels, (gsize) stride * size);
  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
}

/* One payment under way */

typedef struct
{
  OffauthProvider *provider;
  OffauthService  *service;
  TillPayment     *payment;
  GCancellable    *cancellable;
  gulong           cancelled_id;
  gchar           *request;
  gboolean         done;
  gboolean         busy;
  gboolean         cancel_requested;
  gchar           *last_scan;
  gchar           *pending;      /* a scan that arrived while another was decided */
  GtkWidget       *page;         /* strong: the widgets below live as long as Pay */
  GtkEntry        *entry;
  GtkLabel        *feedback;
  GtkProgressBar  *progress;
} Pay;

static void
pay_free (Pay *p)
{
  if (p->cancelled_id != 0)
    g_cancellable_disconnect (p->cancellable, p->cancelled_id);
  g_clear_object (&p->cancellable);
  g_clear_object (&p->payment);
  g_clear_object (&p->provider);
  g_clear_object (&p->service);
  g_free (p->request);
  g_free (p->last_scan);
  g_free (p->pending);
  g_clear_object (&p->page);
  g_free (p);
}

/* Completes the payment once; later scans or a late Cancel find it done. The page lets go
 * of the task here, so that the payment, its page and its task are freed when the sale
 * is over (they would otherwise hold each other). The caller holds a reference. */
static gboolean
pay_claim (GTask *task)
{
  Pay *p = g_task_get_task_data (task);

  if (p->done)
    return FALSE;
  p->done = TRUE;
  if (p->page != NULL)
    g_object_set_data (G_OBJECT (p->page), "task", NULL);
  return TRUE;
}

static void
cancelled_cb (GCancellable *cancellable,
              GTask        *task)
{
  Pay *p = g_task_get_task_data (task);
  g_autoptr(GTask) hold = g_object_ref (task);

  /* A code being decided goes on: a sale that the terminal records wins over Cancel, and
   * is shown as approved; anything else completes as cancelled when the decision is in. */
  if (p->busy)
    {
      p->cancel_requested = TRUE;
      if (p->feedback != NULL)
        gtk_label_set_text (p->feedback, _("Cancelling…"));
      return;
    }
  if (pay_claim (task))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("The payment was cancelled"));
}

static TillPaymentResult *
refusal (OffauthReason reason,
         const char   *detail)
{
  TillPaymentResult *r = till_payment_result_new (FALSE, TILL_PAYMENT_MODE_OFFLINE, _("Wallet"),
                                                  offauth_reason_is_terminal_state (reason)
                                                    ? _("Offline payments paused")
                                                    : _("Not paid"));

  if (offauth_reason_is_terminal_state (reason))
    r->message = g_strdup_printf ("%s %s", offauth_reason_message (reason), offauth_reason_detail (reason));
  else
    r->message = g_strdup (offauth_reason_message (reason));
  r->next_step = g_strdup (offauth_reason_next_step (reason));
  /* Translators: small print for support, e.g. "Reason: counter_reused (counter 1 already used)" */
  r->reason_code = detail && *detail ? g_strdup_printf (_("Reason: %s (%s)"), offauth_reason_code (reason), detail)
                                     : g_strdup_printf (_("Reason: %s"), offauth_reason_code (reason));
  return r;
}

static TillPaymentResult *
result_from_decision (const OffauthDecision *d)
{
  g_autofree gchar *amount = d->currency[0] ? till_format_amount (d->amount, d->currency) : NULL;
  g_autofree gchar *hash = offauth_hex (d->journal_hash, 4);
  TillPaymentResult *r;

  if (!d->approved && d->reason == OFFAUTH_REASON_ALREADY_RECORDED)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local ((gint64) d->time);
      g_autofree gchar *clock = when ? g_date_time_format (when, "%H:%M") : g_strdup ("?");

      r = refusal (d->reason, NULL);
      g_free (r->message);
      /* Translators: an old payment code shown again, e.g. "This code was used for sale 1234 at 14:02." */
      r->message = g_strdup_printf (_("This code was used for sale %" PRIu64 " at %s."),
                                    d->sale_number, clock);
      return r;
    }
  if (!d->approved)
    return refusal (d->reason, d->detail);

  if (d->already_recorded)
    {
      r = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_OFFLINE, _("Wallet"), _("Already paid"));
      /* Translators: the same code scanned twice, e.g. "Already paid: sale 1234, €4.50." */
      r->message = g_strdup_printf (_("Already paid: sale %" PRIu64 ", %s."), d->sale_number, amount);
    }
  else
    r = till_payment_result_new (TRUE, d->mode == OFFAUTH_MODE_ONLINE ? TILL_PAYMENT_MODE_ONLINE
                                                                      : TILL_PAYMENT_MODE_OFFLINE,
                                 _("Wallet"),
                                 d->mode == OFFAUTH_MODE_ONLINE ? _("Approved online") : _("Approved offline"));
  /* Translators: the sale number on the result screen and receipt */
  r->reference = g_strdup_printf (_("Sale %" PRIu64), d->sale_number);
  g_ptr_array_add (r->receipt, g_strdup (d->mode == OFFAUTH_MODE_ONLINE ? _("Wallet payment, approved online")
                                                                        : _("Wallet payment, approved offline on this kiosk")));
  /* Translators: the sale's place in the tamper-evident journal and the start of its hash */
  g_ptr_array_add (r->receipt, g_strdup_printf (_("Journal row %" PRIu64 " · %s"), d->sale_number, hash));
  return r;
}

static void
focus_entry (Pay *p)
{
  gtk_editable_set_text (GTK_EDITABLE (p->entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (p->entry));
}

static void authorize_text (GTask *task, const char *text);

static void
authorized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Pay *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  OffauthDecision d;

  p->busy = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (p->progress), FALSE);
  if (p->done)
    return;
  if (!offauth_service_authorize_finish (p->service, result, &d, &error))
    memset (&d, 0, sizeof d), d.reason = OFFAUTH_REASON_STORAGE_UNAVAILABLE;
  /* The cashier tapped Cancel while this code was decided: a recorded sale is shown as
   * approved (the payer paid); anything else ends as cancelled, nothing charged. */
  if (p->cancel_requested && !d.approved)
    {
      if (pay_claim (task))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _("The payment was cancelled"));
      return;
    }
  if ((d.garbled || d.outcome_unknown) && !p->cancel_requested)
    {
      /* Not a refusal: the code was cut short or misread, or its sale could not be confirmed
       * (it may be recorded). The request stays, and the same code scanned again is decided
       * again: "already paid" if the sale is there. */
      g_autofree gchar *msg =
        d.garbled ? g_strdup_printf ("%s %s", offauth_garbled_message (), offauth_garbled_next_step ())
                  : g_strdup_printf ("%s %s", offauth_unknown_outcome_message (),
                                     offauth_unknown_outcome_next_step ());
      g_autofree gchar *next = g_steal_pointer (&p->pending);

      g_clear_pointer (&p->last_scan, g_free);
      gtk_label_set_text (p->feedback, msg);
      gtk_widget_add_css_class (GTK_WIDGET (p->feedback), "error");
      focus_entry (p);
      if (next != NULL)
        authorize_text (task, next);
      return;
    }
  g_clear_pointer (&p->pending, g_free);
  if (pay_claim (task))
    g_task_return_pointer (task, result_from_decision (&d), (GDestroyNotify) till_payment_result_free);
}

static void
authorize_text (GTask      *task,
                const char *raw)
{
  Pay *p = g_task_get_task_data (task);
  g_autofree gchar *text = g_strstrip (g_strdup (raw));
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (OffauthSaleLine));

  if (*text == '\0' || p->done)
    return;
  /* A scanner that reads the same code twice sends it twice: decide once. */
  if (g_strcmp0 (text, p->last_scan) == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (p->progress), FALSE);
      return;
    }
  /* Another code while one is decided: it waits its turn (used if the first was garbled). */
  if (p->busy)
    {
      g_free (p->pending);
      p->pending = g_steal_pointer (&text);
      return;
    }
  g_free (p->last_scan);
  p->last_scan = g_strdup (text);
  p->busy = TRUE;
  gtk_label_set_text (p->feedback, _("Checking…"));
  gtk_widget_remove_css_class (GTK_WIDGET (p->feedback), "error");
  for (guint i = 0; i < till_payment_get_n_lines (p->payment); i++)
    {
      OffauthSaleLine line;
      till_payment_get_line (p->payment, i, NULL, &line.category, NULL, &line.amount);
      g_array_append_val (lines, line);
    }
  offauth_service_authorize_async (p->service, text, (const OffauthSaleLine *) (gpointer) lines->data,
                                   lines->len, NULL, authorized_cb, g_object_ref (task));
}

static void
entry_activate_cb (GtkEntry *entry,
                   GTask    *task)
{
  authorize_text (task, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
entry_changed_cb (GtkEditable *editable,
                  GTask       *task)
{
  Pay *p = g_task_get_task_data (task);
  const char *text = gtk_editable_get_text (editable);
  gsize len = strlen (text);

  if (p->busy)
    return;
  /* A scanner types the code over a second or more: show progress, not an error. */
  if (len > 0 && len < OFFAUTH_PAYMENT_TEXT_LEN)
    {
      gtk_widget_set_visible (GTK_WIDGET (p->progress), TRUE);
      gtk_progress_bar_set_fraction (p->progress, (double) len / OFFAUTH_PAYMENT_TEXT_LEN);
      gtk_label_set_text (p->feedback, _("Reading the code…"));
      gtk_widget_remove_css_class (GTK_WIDGET (p->feedback), "error");
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (p->progress), FALSE);
  /* A pasted code has no Enter: a whole payment decides by itself. */
  if (len >= OFFAUTH_PAYMENT_TEXT_LEN && g_str_has_prefix (text, "OA1P.") &&
      (len == OFFAUTH_PAYMENT_TEXT_LEN || (len == OFFAUTH_PAYMENT_TEXT_LEN + 1 && text[len - 1] == '\n')))
    authorize_text (task, text);
}

static void
simulate_cb (GtkButton *button,
             GTask     *task)
{
  Pay *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *code = offauth_service_demo_pay (p->service, p->request, &error);

  if (code == NULL)
    {
      gtk_label_set_text (p->feedback, error->message);
      return;
    }
  /* As a scanner would: the text, then Enter. */
  gtk_editable_set_text (GTK_EDITABLE (p->entry), code);
  authorize_text (task, code);
}

static GtkWidget *
build_page (GTask *task)
{
  Pay *p = g_task_get_task_data (task);
  g_autoptr(GdkTexture) qr = offauth_qr_texture (p->request, 4);
  g_autofree gchar *amount = till_format_amount (till_payment_get_amount (p->payment),
                                                 till_payment_get_currency (p->payment));
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 48);
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 16);
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (qr));
  GtkWidget *label;

  gtk_widget_set_halign (page, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (page, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (page, "offauth-pay");

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_widget_add_css_class (picture, "qr");
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Payment request code"), -1);
  gtk_box_append (GTK_BOX (left), picture);
  label = gtk_label_new (NULL);
  {
    /* Translators: under the QR code, e.g. "Scan to pay €12.50" */
    g_autofree gchar *scan = g_strdup_printf (_("Scan to pay %s"), amount);
    gtk_label_set_text (GTK_LABEL (label), scan);
  }
  gtk_widget_add_css_class (label, "title-3");
  gtk_box_append (GTK_BOX (left), label);

  gtk_widget_set_valign (right, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (right, 420, -1);
  label = gtk_label_new (_("Scan the payer's code"));
  gtk_widget_add_css_class (label, "title-1");
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (right), label);
  label = gtk_label_new (_("The payer opens their wallet, scans the code on the left and shows the "
                           "code it makes. Hold it under the scanner."));
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 36);
  gtk_box_append (GTK_BOX (right), label);

  p->entry = GTK_ENTRY (gtk_entry_new ());
  /* The scanner types: no on-screen keyboard over the QR code. */
  gtk_entry_set_input_hints (p->entry, GTK_INPUT_HINT_INHIBIT_OSK);
  gtk_entry_set_placeholder_text (p->entry, _("Waiting for the scanner…"));
  gtk_widget_add_css_class (GTK_WIDGET (p->entry), "scan-entry");
  gtk_accessible_update_property (GTK_ACCESSIBLE (p->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Payer's code"), -1);
  g_signal_connect_object (p->entry, "activate", G_CALLBACK (entry_activate_cb), task, 0);
  g_signal_connect_object (p->entry, "changed", G_CALLBACK (entry_changed_cb), task, 0);
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (p->entry));

  p->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_widget_set_visible (GTK_WIDGET (p->progress), FALSE);
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (p->progress));

  p->feedback = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_wrap (p->feedback, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (p->feedback), "scan-feedback");
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (p->feedback));

  if (offauth_service_is_demo (p->service))
    {
      GtkWidget *button = gtk_button_new_with_label (_("Simulate payer"));
      gtk_widget_add_css_class (button, "simulate");
      gtk_widget_set_halign (button, GTK_ALIGN_START);
      g_signal_connect_object (button, "clicked", G_CALLBACK (simulate_cb), task, 0);
      gtk_box_append (GTK_BOX (right), button);
    }

  gtk_box_append (GTK_BOX (page), left);
  gtk_box_append (GTK_BOX (page), right);
  return page;
}

static void
requested_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Pay *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  OffauthReason reason = OFFAUTH_REASON_NONE;
  GtkWidget *page;

  p->request = offauth_service_request_finish (p->service, result, &reason, &error);
  if (p->done)
    return;
  if (p->request == NULL)
    {
      /* The terminal refuses before any payer is asked to pay. */
      TillPaymentResult *r = refusal (reason != OFFAUTH_REASON_NONE ? reason : OFFAUTH_REASON_STORAGE_UNAVAILABLE,
                                      error ? error->message : offauth_service_get_error (p->service));
      if (pay_claim (task))
        g_task_return_pointer (task, r, (GDestroyNotify) till_payment_result_free);
      return;
    }
  /* The page holds the task, and the payment holds the page, until the sale is decided
   * (pay_claim lets go). */
  page = build_page (task);
  p->page = g_object_ref_sink (page);
  g_object_set_data_full (G_OBJECT (page), "task", g_object_ref (task), g_object_unref);
  /* For tests and accessibility tools: the request the QR code shows, as text. */
  g_object_set_data_full (G_OBJECT (page), "offauth-request", g_strdup (p->request), g_free);
  till_payment_present (p->payment, page);
  gtk_widget_grab_focus (GTK_WIDGET (p->entry));
}

static void
offauth_pay_async (TillPaymentProvider *provider,
                   TillPayment         *payment,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  OffauthProvider *self = OFFAUTH_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  Pay *p = g_new0 (Pay, 1);

  g_task_set_source_tag (task, offauth_pay_async);
  /* An approval returned after Cancel must reach the window as the approval it is. */
  g_task_set_check_cancellable (task, FALSE);
  p->provider = g_object_ref (self);
  p->service = g_object_ref (offauth_plugin_service (self->host));
  p->payment = g_object_ref (payment);
  g_task_set_task_data (task, p, (GDestroyNotify) pay_free);
  if (cancellable != NULL)
    {
      p->cancellable = g_object_ref (cancellable);
      p->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), task, NULL);
    }
  /* The mode is decided once, here: offline. (Online authorization arrives with the
   * acquirer; a sale never switches silently.) */
  offauth_service_request_async (p->service, till_payment_get_amount (payment), till_payment_get_currency (payment),
                                 NULL, requested_cb, g_object_ref (task));
}

static TillPaymentResult *
offauth_pay_finish (TillPaymentProvider  *provider,
                    GAsyncResult         *result,
                    GError              **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
offauth_get_id (TillPaymentProvider *provider)
{
  return "offauth";
}

static const char *
offauth_get_name (TillPaymentProvider *provider)
{
  return _("Wallet");
}

static const char *
offauth_get_icon_name (TillPaymentProvider *provider)
{
  return "till-wallet-symbolic";
}

static int
offauth_get_order (TillPaymentProvider *provider)
{
  return 10;
}

static const char *
offauth_get_unavailable_reason (TillPaymentProvider *provider)
{
  return OFFAUTH_PROVIDER (provider)->unavailable;
}

static void
provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_unavailable_reason = offauth_get_unavailable_reason;
  iface->get_id = offauth_get_id;
  iface->get_name = offauth_get_name;
  iface->get_icon_name = offauth_get_icon_name;
  iface->get_order = offauth_get_order;
  iface->pay_async = offauth_pay_async;
  iface->pay_finish = offauth_pay_finish;
}
