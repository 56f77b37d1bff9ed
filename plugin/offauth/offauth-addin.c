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
#include "offauth-plugin-private.h"
#include "offauth-sales-page.h"
#include "offauth-status-pill.h"
#include "offauth-terminal-page.h"

struct _OffauthAddin
{
  GObject         parent_instance;
  TillHost       *host;        /* weak */
  OffauthService *service;
  guint           tick_id;
  OffauthReason   last_state;  /* OFFAUTH_N_REASONS until the first status */

  GtkWidget      *pill;        /* owned by the host's window */
  GtkWidget      *page;        /* owned by the host's window */
  GtkWidget      *sales_page;  /* owned by the host's window */
  GtkWidget      *demo_page;   /* the demo's only; owned by the host's window */
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
    till_host_notify (self->host, offauth_reason_message (st->state), TRUE);
  else if (self->last_state != OFFAUTH_N_REASONS)
    till_host_notify (self->host, _("Offline payments are possible again."), FALSE);
  self->last_state = st->state;
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
  self->last_state = OFFAUTH_N_REASONS;
  self->pill = offauth_status_pill_new (self->service, host);
  self->page = offauth_terminal_page_new (self->service, host);
  till_host_add_status_widget (host, self->pill);
  till_host_add_merchant_page (host, "offauth", _("Offline payments"), self->page);
  self->sales_page = offauth_sales_page_new (self->service, host);
  till_host_add_merchant_page (host, "offauth-sales", _("Wallet sales"), self->sales_page);
  if (offauth_service_is_demo (self->service))
    till_host_add_merchant_page (host, "offauth-demo", _("Demo"),
                                 self->demo_page = offauth_demo_page_new (self->service, host));
  offauth_plugin_watch_service (self->service, G_CALLBACK (offauth_addin_service_changed_cb), self);
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
  if (self->pill != NULL)
    till_host_remove_widget (host, self->pill);
  if (self->page != NULL)
    till_host_remove_widget (host, self->page);
  if (self->sales_page != NULL)
    till_host_remove_widget (host, self->sales_page);
  if (self->demo_page != NULL)
    till_host_remove_widget (host, self->demo_page);
  self->pill = self->page = self->sales_page = self->demo_page = NULL;
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
