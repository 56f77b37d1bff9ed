/* offauth-addin.c: loads the plugin's views into the host's window (the status pill and the
 * merchant's page) and unloads them; tells the host when offline payments pause or resume.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "offauth-addin.h"
#include "offauth-demo-page.h"
#include "offauth-pairing-page.h"
#include "offauth-plugin-private.h"
#include "offauth-sales-page.h"
#include "offauth-status-pill.h"
#include "offauth-terminal-page.h"
#include "offauth-uploader.h"

struct _OffauthAddin
{
  GObject         parent_instance;
  TillHost       *host;        /* weak */
  OffauthService *service;
  OffauthUploader *uploader;
  guint           tick_id;
  OffauthReason   last_state;  /* OFFAUTH_N_REASONS until the first status */

  GtkWidget      *pill;        /* owned by the host's window */
  GtkWidget      *page;        /* owned by the host's window */
  GtkWidget      *sales_page;  /* owned by the host's window */
  GtkWidget      *demo_page;   /* the demo's only; owned by the host's window */
  GtkWidget      *pairing;     /* owned by the host's window */
};

static void offauth_addin_iface_init (TillHostAddinInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthAddin, offauth_addin, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_HOST_ADDIN,
                                                      offauth_addin_iface_init))

enum
{
  PROP_0,
  PROP_HOST,
  N_PROPS
};

/* Nothing is silent: a terminal that pauses, or resumes, says so. (While it opens, its
 * status says nothing yet.) */
static void
offauth_addin_service_changed_cb (OffauthAddin *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);

  if (offauth_service_get_state (self->service) == OFFAUTH_SERVICE_STARTING)
    return;
  if (st->state == self->last_state || self->host == NULL)
    return;
  if (st->state != OFFAUTH_REASON_NONE)
    till_host_notify_review (self->host, offauth_reason_message (st->state),
                             offauth_reason_detail (st->state), "offauth");
  else if (self->last_state != OFFAUTH_N_REASONS)
    till_host_notify_review (self->host, _("Offline payments are possible again."), NULL, NULL);
  self->last_state = st->state;
}

/* The uploader's news, in the shop's currency. */
static void
offauth_addin_news_cb (OffauthAddin        *self,
                       OffauthUploaderNews  news,
                       guint64              count,
                       guint64              value)
{
  const char *currency = till_host_get_currency (self->host);
  g_autofree gchar *amount = NULL;
  g_autofree gchar *body = NULL;
  guint64 late, late_total;

  if (self->host == NULL)
    return;
  switch (news)
    {
    case OFFAUTH_UPLOADER_NEWS_LATE_DECLINES:
      late = offauth_uploader_get_late_declines (self->uploader, &late_total);
      amount = till_format_amount (late_total, currency);
      /* Two sentences, each with its own plural: "1 more sale was declined by the acquirer
       * after the sale. 3 sales (€12.50) need you now." */
      {
        g_autofree gchar *more = NULL;
        g_autofree gchar *need = NULL;

        /* Translators: the first sentence of the late-decline notification */
        more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u more sale was declined by the acquirer "
                                             "after the sale.",
                                             "%u more sales were declined by the acquirer "
                                             "after the sale.", (gulong) count), (guint) count);
        /* Translators: the second sentence of the late-decline notification, e.g. "3 sales
         * (€12.50) need you now." */
        need = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale (%s) needs you now.",
                                             "%u sales (%s) need you now.", (gulong) late),
                                (guint) late, amount);
        body = g_strdup_printf ("%s %s", more, need);
      }
      till_host_notify_review (self->host, _("Late declines"), body, "offauth-sales");
      break;
    case OFFAUTH_UPLOADER_NEWS_DRAINED:
      amount = till_format_amount (value, currency);
      /* Translators: "Back online: 12 waiting sales (€84.50) are uploaded." */
      body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Back online: %u waiting sale (%s) is uploaded.",
                                           "Back online: %u waiting sales (%s) are uploaded.",
                                           (gulong) count), (guint) count, amount);
      till_host_notify_review (self->host, _("Queue uploaded"), body, NULL);
      break;
    case OFFAUTH_UPLOADER_NEWS_STOPPED:
      till_host_notify_review (self->host, _("Sync stopped"),
                               offauth_uploader_get_stop_reason (self->uploader), "offauth-pairing");
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
offauth_addin_tick_cb (gpointer user_data)
{
  OffauthAddin *self = user_data;

  /* Ages move on, and a deadline can pass with no sale: read the state again. */
  offauth_service_refresh (self->service);
  return G_SOURCE_CONTINUE;
}

static void
offauth_addin_load (TillHostAddin *addin,
                    TillHost      *host)
{
  OffauthAddin *self = OFFAUTH_ADDIN (addin);

  self->service = g_object_ref (offauth_plugin_service (host));
  self->uploader = g_object_ref (offauth_uploader_get (self->service));
  self->last_state = OFFAUTH_N_REASONS;
  self->pill = offauth_status_pill_new (self->service, host);
  self->page = offauth_terminal_page_new (self->service, host);
  till_host_add_status_widget (host, self->pill);
  till_host_add_merchant_page (host, "offauth", _("Offline payments"), self->page);
  self->sales_page = offauth_sales_page_new (self->service, host);
  till_host_add_merchant_page (host, "offauth-sales", _("Wallet sales"), self->sales_page);
  self->pairing = offauth_pairing_page_new (self->service, self->uploader);
  /* Translators: the merchant page with the acquirer this kiosk uploads to */
  till_host_add_merchant_page (host, "offauth-pairing", _("Pairing"), self->pairing);
  if (offauth_service_is_demo (self->service))
    till_host_add_merchant_page (host, "offauth-demo", _("Demo"),
                                 self->demo_page = offauth_demo_page_new (self->service, host));
  offauth_plugin_watch_service (self->service, G_CALLBACK (offauth_addin_service_changed_cb), self);
  g_signal_connect_object (self->uploader, "news", G_CALLBACK (offauth_addin_news_cb), self,
                           G_CONNECT_SWAPPED);
  self->tick_id = g_timeout_add_seconds (30, offauth_addin_tick_cb, self);
  offauth_addin_service_changed_cb (self);
}

static void
offauth_addin_unload (TillHostAddin *addin,
                      TillHost      *host)
{
  OffauthAddin *self = OFFAUTH_ADDIN (addin);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_signal_handlers_disconnect_by_data (self->uploader, self);
  if (self->pill != NULL)
    till_host_remove_widget (host, self->pill);
  if (self->page != NULL)
    till_host_remove_widget (host, self->page);
  if (self->sales_page != NULL)
    till_host_remove_widget (host, self->sales_page);
  if (self->pairing != NULL)
    till_host_remove_widget (host, self->pairing);
  if (self->demo_page != NULL)
    till_host_remove_widget (host, self->demo_page);
  self->pill = self->page = self->sales_page = self->pairing = self->demo_page = NULL;
  g_clear_object (&self->uploader);
  g_clear_object (&self->service);
}

static void
offauth_addin_iface_init (TillHostAddinInterface *iface)
{
  iface->load = offauth_addin_load;
  iface->unload = offauth_addin_unload;
}

static void
offauth_addin_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_HOST:
      g_set_weak_pointer (&OFFAUTH_ADDIN (object)->host, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_addin_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, OFFAUTH_ADDIN (object)->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_addin_finalize (GObject *object)
{
  OffauthAddin *self = OFFAUTH_ADDIN (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->uploader);
  g_clear_object (&self->service);
  g_clear_weak_pointer (&self->host);
  G_OBJECT_CLASS (offauth_addin_parent_class)->finalize (object);
}

static void
offauth_addin_class_init (OffauthAddinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = offauth_addin_set_property;
  object_class->get_property = offauth_addin_get_property;
  object_class->finalize = offauth_addin_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
offauth_addin_init (OffauthAddin *self)
{
}
