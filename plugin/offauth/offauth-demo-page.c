/* offauth-demo-page.c: the merchant's "Demo" page: network down and back, a top-up.
 *
 * The demo's acquirer is a child process (offauth-demo-acquirer.c): "Simulate network down"
 * kills it, so that the kiosk goes offline and sells offline; "Network back" starts it again
 * on the same port and database, and the next sync uploads what waited. "Top up demo payer"
 * credits the payer with a low balance, after which the next sync shows its sale that was
 * declined late as settled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "offauth-demo-page.h"
#include "offauth-plugin-private.h"
#include "offauth-service-private.h"
#include "offauth-uploader.h"

/* What "Top up demo payer" credits: €50.00. */
#define DEMO_TOPUP 5000

struct _OffauthDemoPage
{
  AdwPreferencesPage   parent_instance;

  OffauthService      *service;
  TillHost            *host;        /* weak: the window owns the page */
  OffauthDemoAcquirer *acquirer;    /* NULL when the demo has none */
  GCancellable        *cancellable;

  AdwActionRow        *network_row;
  GtkButton           *network_button;
  AdwActionRow        *topup_row;
  GtkButton           *topup_button;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (OffauthDemoPage, offauth_demo_page, ADW_TYPE_PREFERENCES_PAGE)

static void
offauth_demo_page_notify (OffauthDemoPage *self,
                          const char      *message,
                          gboolean         urgent)
{
  if (self->host != NULL)
    till_host_notify (self->host, message, urgent);
}

static void
offauth_demo_page_update (OffauthDemoPage *self)
{
  OffauthDemo *demo = _offauth_service_get_demo (self->service);
  gboolean ready = offauth_service_get_state (self->service) == OFFAUTH_SERVICE_READY;
  gboolean running = self->acquirer != NULL && offauth_demo_acquirer_is_running (self->acquirer);
  gboolean started = self->acquirer != NULL &&
                     offauth_demo_acquirer_get_url (self->acquirer) != NULL;
  g_autofree gchar *subtitle = NULL;

  if (!ready)
    subtitle = g_strdup (_("The demo is starting…"));
  else if (running)
    /* Translators: %s is the acquirer's address, e.g. http://127.0.0.1:41235 */
    subtitle = g_strdup_printf (_("Online: the demo acquirer runs at %s"),
                                offauth_demo_acquirer_get_url (self->acquirer));
  else if (started)
    subtitle = g_strdup (_("Network down: the kiosk sells offline, and its sales wait for the "
                           "network"));
  else
    /* Translators: %s says why, e.g. "offauth-acquirer was not found" */
    subtitle = g_strdup_printf (_("Offline only: %s"),
                                demo != NULL && offauth_demo_get_acquirer_error (demo) != NULL
                                  ? offauth_demo_get_acquirer_error (demo) : _("no acquirer"));
  adw_action_row_set_subtitle (self->network_row, subtitle);
  gtk_button_set_label (self->network_button,
                        running ? _("Simulate network down") : _("Network back"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->network_button), ready && started && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->topup_button), ready && started && !self->busy);
}

static void
offauth_demo_page_started_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(OffauthDemoPage) self = user_data;
  g_autoptr(GError) error = NULL;

  offauth_demo_acquirer_start_finish (OFFAUTH_DEMO_ACQUIRER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  if (error != NULL)
    offauth_demo_page_notify (self, error->message, TRUE);
  else
    {
      offauth_demo_page_notify (self, _("The network is back: the kiosk uploads what waited."),
                                FALSE);
      /* At once, not at the uploader's next back-off, which may be minutes away. */
      offauth_uploader_sync_now (offauth_uploader_get (self->service));
    }
  offauth_demo_page_update (self);
}

static void
offauth_demo_page_network_clicked_cb (OffauthDemoPage *self)
{
  if (self->acquirer == NULL || self->busy)
    return;
  if (offauth_demo_acquirer_is_running (self->acquirer))
    {
      offauth_demo_acquirer_stop (self->acquirer);
      offauth_demo_page_notify (self, _("Network down: the kiosk goes offline."), FALSE);
      /* The uploader finds out now (its sync fails), so the pill says Offline at once, not
       * at the next timed sync. */
      offauth_uploader_sync_now (offauth_uploader_get (self->service));
      return;
    }
  self->busy = TRUE;
  offauth_demo_page_update (self);
  /* The same port: the terminal's pin stays right. */
  offauth_demo_acquirer_start_async (self->acquirer,
                                     offauth_demo_acquirer_get_port (self->acquirer),
                                     self->cancellable, offauth_demo_page_started_cb,
                                     g_object_ref (self));
}

static void
offauth_demo_page_topped_up_cb (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(OffauthDemoPage) self = user_data;
  g_autoptr(GError) error = NULL;

  offauth_demo_acquirer_topup_finish (OFFAUTH_DEMO_ACQUIRER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  if (error != NULL)
    offauth_demo_page_notify (self, error->message, TRUE);
  else
    offauth_demo_page_notify (self, _("The demo payer was topped up: the next sync settles its "
                                      "sale."), FALSE);
  offauth_demo_page_update (self);
}

static void
offauth_demo_page_topup_clicked_cb (OffauthDemoPage *self)
{
  OffauthDemo *demo = _offauth_service_get_demo (self->service);

  if (self->acquirer == NULL || self->busy || demo == NULL)
    return;
  self->busy = TRUE;
  offauth_demo_page_update (self);
  offauth_demo_acquirer_topup_async (self->acquirer,
                                     offauth_demo_get_credential_path (demo,
                                                                       OFFAUTH_DEMO_PAYER_POOR),
                                     DEMO_TOPUP, self->cancellable, offauth_demo_page_topped_up_cb,
                                     g_object_ref (self));
}

static GtkButton *
offauth_demo_page_add_row (AdwPreferencesGroup  *group,
                           const char           *title,
                           AdwActionRow        **row)
{
  GtkWidget *button = gtk_button_new ();

  *row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (*row), title);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (*row, button);
  adw_preferences_group_add (group, GTK_WIDGET (*row));
  return GTK_BUTTON (button);
}

static void
offauth_demo_page_dispose (GObject *object)
{
  OffauthDemoPage *self = OFFAUTH_DEMO_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->acquirer != NULL)
    g_signal_handlers_disconnect_by_data (self->acquirer, self);
  g_clear_object (&self->acquirer);
  g_clear_object (&self->service);
  g_clear_object (&self->cancellable);
  g_clear_weak_pointer (&self->host);
  G_OBJECT_CLASS (offauth_demo_page_parent_class)->dispose (object);
}

static void
offauth_demo_page_class_init (OffauthDemoPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = offauth_demo_page_dispose;
}

static void
offauth_demo_page_init (OffauthDemoPage *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  self->cancellable = g_cancellable_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Demo"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "applications-science-symbolic");
  adw_preferences_group_set_title (group, _("Demo"));
  adw_preferences_group_set_description (group, _("The demo runs its own acquirer on this "
                                                  "computer: the kiosk is online while it "
                                                  "runs."));
  self->network_button = offauth_demo_page_add_row (group, _("Network"), &self->network_row);
  gtk_widget_add_css_class (GTK_WIDGET (self->network_button), "demo-network");
  g_signal_connect_swapped (self->network_button, "clicked",
                            G_CALLBACK (offauth_demo_page_network_clicked_cb), self);
  self->topup_button = offauth_demo_page_add_row (group, _("Payer with a low balance"),
                                                  &self->topup_row);
  gtk_widget_add_css_class (GTK_WIDGET (self->topup_button), "demo-topup");
  gtk_button_set_label (self->topup_button, _("Top up demo payer"));
  g_signal_connect_swapped (self->topup_button, "clicked",
                            G_CALLBACK (offauth_demo_page_topup_clicked_cb), self);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), group);
}

GtkWidget *
offauth_demo_page_new (OffauthService *service,
                       TillHost       *host)
{
  OffauthDemoPage *self;
  OffauthDemo *demo;

  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);

  self = g_object_new (OFFAUTH_TYPE_DEMO_PAGE, NULL);
  self->service = g_object_ref (service);
  g_set_weak_pointer (&self->host, host);
  {
    g_autofree gchar *topup = till_format_amount (DEMO_TOPUP, till_host_get_currency (host));
    g_autofree gchar *subtitle =
      /* Translators: %s is the amount of the top-up, such as "€50.00" */
      g_strdup_printf (_("Its offline sales are declined late, for lack of funds. A top-up of %s "
                         "settles them at the next sync."), topup);

    adw_action_row_set_subtitle (self->topup_row, subtitle);
  }
  demo = _offauth_service_get_demo (service);
  if (demo != NULL && offauth_demo_get_acquirer (demo) != NULL)
    {
      self->acquirer = g_object_ref (offauth_demo_get_acquirer (demo));
      g_signal_connect_swapped (self->acquirer, "notify::running",
                                G_CALLBACK (offauth_demo_page_update), self);
    }
  offauth_plugin_watch_service (service, G_CALLBACK (offauth_demo_page_update), self);
  offauth_demo_page_update (self);
  return GTK_WIDGET (self);
}
