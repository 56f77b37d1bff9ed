/* fake-provider.c: a payment provider for the tests that lists the sales it was given.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include "fake-provider.h"

struct _FakeProvider
{
  GObject    parent_instance;
  GPtrArray *sales;   /* TillProviderSale */
};

static void fake_provider_iface_init (TillPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeProvider, fake_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER,
                                                      fake_provider_iface_init))

static void
fake_provider_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_value_set_object (value, NULL);
}

static void
fake_provider_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
}

static void
fake_provider_finalize (GObject *object)
{
  g_ptr_array_unref (FAKE_PROVIDER (object)->sales);
  G_OBJECT_CLASS (fake_provider_parent_class)->finalize (object);
}

static void
fake_provider_class_init (FakeProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = fake_provider_get_property;
  object_class->set_property = fake_provider_set_property;
  object_class->finalize = fake_provider_finalize;
  g_object_class_override_property (object_class, 1, "host");
}

static void
fake_provider_init (FakeProvider *self)
{
  self->sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_provider_sale_free);
}

static const char *
fake_provider_get_id (TillPaymentProvider *provider)
{
  return "offauth";
}

static const char *
fake_provider_get_name (TillPaymentProvider *provider)
{
  return "Wallet";
}

static void
fake_provider_list_sales_async (TillPaymentProvider *provider, gint64 since, gint64 until,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  FakeProvider *self = FAKE_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  GPtrArray *sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_provider_sale_free);

  for (guint i = 0; i < self->sales->len; i++)
    {
      const TillProviderSale *known = self->sales->pdata[i];
      TillProviderSale *sale;

      if (known->time < since || known->time >= until)
        continue;
      sale = till_provider_sale_new ();
      *sale = *known;
      sale->provider_ref = g_strdup (known->provider_ref);
      sale->reference = g_strdup (known->reference);
      sale->currency = g_strdup (known->currency);
      sale->state_name = g_strdup (known->state_name);
      g_ptr_array_add (sales, sale);
    }
  g_task_return_pointer (task, sales, (GDestroyNotify) g_ptr_array_unref);
}

static GPtrArray *
fake_provider_list_sales_finish (TillPaymentProvider *provider, GAsyncResult *result,
                                 GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_id = fake_provider_get_id;
  iface->get_name = fake_provider_get_name;
  iface->list_sales_async = fake_provider_list_sales_async;
  iface->list_sales_finish = fake_provider_list_sales_finish;
}

FakeProvider *
fake_provider_new (void)
{
  return g_object_new (FAKE_TYPE_PROVIDER, NULL);
}

void
fake_provider_add_sale (FakeProvider   *self,
                        const char     *provider_ref,
                        gint64          time,
                        guint64         amount,
                        TillSettlement  settlement,
                        const char     *state_name)
{
  TillProviderSale *sale = till_provider_sale_new ();

  sale->provider_ref = g_strdup (provider_ref);
  sale->reference = g_strdup_printf ("Sale %s", provider_ref);
  sale->time = time;
  sale->amount = amount;
  sale->currency = g_strdup ("EUR");
  sale->mode = TILL_PAYMENT_MODE_OFFLINE;
  sale->settlement = settlement;
  sale->state_name = g_strdup (state_name);
  g_ptr_array_add (self->sales, sale);
}
