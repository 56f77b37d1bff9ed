/* offauth-provider.c: the wallet as a TillPaymentProvider: its button, whether it can pay
 * now, and a pay page per payment.
 *
 * The page (offauth-pay-page.c) shows the request and decides the payer's code; the
 * provider only says whether the terminal takes payments, from the service's status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "offauth-pay-page.h"
#include "offauth-plugin-private.h"
#include "offauth-provider.h"
#include "offauth-provider-sales.h"

struct _OffauthProvider
{
  GObject              parent_instance;
  TillHost            *host;
  OffauthService      *service;        /* watched for the terminal's state */
  OffauthServiceState  service_state;
  OffauthReason        state;          /* OFFAUTH_N_REASONS until the first status */
  gchar               *unavailable;
};

static void offauth_provider_iface_init (TillPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthProvider, offauth_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER,
                                                      offauth_provider_iface_init))

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
offauth_provider_service_changed_cb (OffauthProvider *self)
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
  offauth_plugin_watch_service (self->service, G_CALLBACK (offauth_provider_service_changed_cb),
                                self);
  offauth_provider_service_changed_cb (self);
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

static void
offauth_provider_pay_async (TillPaymentProvider *provider,
                            TillPayment         *payment,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  OffauthProvider *self = OFFAUTH_PROVIDER (provider);
  g_autoptr(TillPaymentTask) task = till_payment_task_new (provider, payment, cancellable,
                                                           callback, user_data);
  g_autoptr(GtkWidget) page = g_object_ref_sink (offauth_pay_page_new (self->service, task));

  /* The page owns the task from here and completes it once. A payment the offline rules
   * refuse for a limit, the floor or stale data goes online when the kiosk is online, never
   * silently: the page says "Checking online…" (offauth-service-online.c). */
  offauth_pay_page_start (OFFAUTH_PAY_PAGE (page));
}

static TillPaymentResult *
offauth_provider_pay_finish (TillPaymentProvider  *provider,
                             GAsyncResult         *result,
                             GError              **error)
{
  return till_payment_task_propagate (result, error);
}

static const char *
offauth_provider_get_id (TillPaymentProvider *provider)
{
  return "offauth";
}

static const char *
offauth_provider_get_name (TillPaymentProvider *provider)
{
  return C_("payment method", "Wallet");
}

static const char *
offauth_provider_get_icon_name (TillPaymentProvider *provider)
{
  return "till-wallet-symbolic";
}

static int
offauth_provider_get_order (TillPaymentProvider *provider)
{
  return 10;
}

static const char *
offauth_provider_get_unavailable_reason (TillPaymentProvider *provider)
{
  return OFFAUTH_PROVIDER (provider)->unavailable;
}

static void
offauth_provider_list_sales_async (TillPaymentProvider *provider,
                                   gint64               since,
                                   gint64               until,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  offauth_provider_sales_list_async (G_OBJECT (provider), OFFAUTH_PROVIDER (provider)->service,
                                     since, until, cancellable, callback, user_data);
}

static GPtrArray *
offauth_provider_list_sales_finish (TillPaymentProvider  *provider,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  return offauth_provider_sales_list_finish (result, error);
}

static void
offauth_provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_unavailable_reason = offauth_provider_get_unavailable_reason;
  iface->get_id = offauth_provider_get_id;
  iface->get_name = offauth_provider_get_name;
  iface->get_icon_name = offauth_provider_get_icon_name;
  iface->get_order = offauth_provider_get_order;
  iface->pay_async = offauth_provider_pay_async;
  iface->pay_finish = offauth_provider_pay_finish;
  iface->list_sales_async = offauth_provider_list_sales_async;
  iface->list_sales_finish = offauth_provider_list_sales_finish;
}
