/* till-payment-provider.c: the interface of a way to pay (cash, an offline wallet, ...).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till.h"

G_DEFINE_INTERFACE (TillPaymentProvider, till_payment_provider, G_TYPE_OBJECT)

static int
till_payment_provider_real_get_order (TillPaymentProvider *self)
{
  return 100;
}

static void
till_payment_provider_default_init (TillPaymentProviderInterface *iface)
{
  iface->get_order = till_payment_provider_real_get_order;

  /**
   * TillPaymentProvider:host:
   *
   * The window the provider serves; set at construction by the app.
   */
  /**
   * TillPaymentProvider::availability-changed:
   *
   * The method became available or unavailable (see get_unavailable_reason).
   */
  g_signal_new ("availability-changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_object_interface_install_property (iface,
                                       g_param_spec_object ("host", NULL, NULL, TILL_TYPE_HOST,
                                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                            G_PARAM_STATIC_STRINGS));
}

const char *
till_payment_provider_get_id (TillPaymentProvider *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->get_id (self);
}

const char *
till_payment_provider_get_name (TillPaymentProvider *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->get_name (self);
}

const char *
till_payment_provider_get_icon_name (TillPaymentProvider *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->get_icon_name (self);
}

int
till_payment_provider_get_order (TillPaymentProvider *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), 0);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->get_order (self);
}

const char *
till_payment_provider_get_unavailable_reason (TillPaymentProvider *self)
{
  TillPaymentProviderInterface *iface;

  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);
  iface = TILL_PAYMENT_PROVIDER_GET_IFACE (self);
  return iface->get_unavailable_reason ? iface->get_unavailable_reason (self) : NULL;
}

void
till_payment_provider_pay_async (TillPaymentProvider *self,
                                 TillPayment         *payment,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TILL_IS_PAYMENT_PROVIDER (self));
  g_return_if_fail (TILL_IS_PAYMENT (payment));
  TILL_PAYMENT_PROVIDER_GET_IFACE (self)->pay_async (self, payment, cancellable, callback, user_data);
}

TillPaymentResult *
till_payment_provider_pay_finish (TillPaymentProvider  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->pay_finish (self, result, error);
}

TillProviderSale *
till_provider_sale_new (void)
{
  return g_new0 (TillProviderSale, 1);
}

void
till_provider_sale_free (TillProviderSale *sale)
{
  if (sale == NULL)
    return;
  g_free (sale->provider_ref);
  g_free (sale->reference);
  g_free (sale->currency);
  g_free (sale->state_name);
  g_free (sale);
}

gboolean
till_payment_provider_can_list_sales (TillPaymentProvider *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), FALSE);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->list_sales_async != NULL;
}

void
till_payment_provider_list_sales_async (TillPaymentProvider *self,
                                        gint64               since,
                                        gint64               until,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  TillPaymentProviderInterface *iface;

  g_return_if_fail (TILL_IS_PAYMENT_PROVIDER (self));

  iface = TILL_PAYMENT_PROVIDER_GET_IFACE (self);
  if (iface->list_sales_async == NULL)
    {
      g_task_report_new_error (self, callback, user_data, till_payment_provider_list_sales_async,
                               G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "%s cannot list its sales", till_payment_provider_get_id (self));
      return;
    }
  iface->list_sales_async (self, since, until, cancellable, callback, user_data);
}

GPtrArray *
till_payment_provider_list_sales_finish (TillPaymentProvider  *self,
                                         GAsyncResult         *result,
                                         GError              **error)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (self), NULL);

  if (g_async_result_is_tagged (result, till_payment_provider_list_sales_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return TILL_PAYMENT_PROVIDER_GET_IFACE (self)->list_sales_finish (self, result, error);
}
