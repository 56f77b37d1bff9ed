/* till-cash-provider.c
 *
 * One tap: the cashier taps what the payer handed over, the screen says the change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>

#include "till-cash-provider.h"

struct _TillCashProvider
{
  GObject   parent_instance;
  TillHost *host;
};

static void provider_iface_init (TillPaymentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillCashProvider, till_cash_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TILL_TYPE_PAYMENT_PROVIDER, provider_iface_init))

enum
{
  PROP_0,
  PROP_HOST,
  N_PROPS
};

static void
till_cash_provider_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TillCashProvider *self = TILL_CASH_PROVIDER (object);

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
till_cash_provider_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TillCashProvider *self = TILL_CASH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cash_provider_finalize (GObject *object)
{
  g_clear_weak_pointer (&TILL_CASH_PROVIDER (object)->host);
  G_OBJECT_CLASS (till_cash_provider_parent_class)->finalize (object);
}

static void
till_cash_provider_class_init (TillCashProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = till_cash_provider_set_property;
  object_class->get_property = till_cash_provider_get_property;
  object_class->finalize = till_cash_provider_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
till_cash_provider_init (TillCashProvider *self)
{
}

guint
till_cash_suggestions (guint64  amount,
                       guint64 *out,
                       guint    n_out)
{
  /* Notes and coins in minor units; above the largest, whole multiples of it. */
  static const guint64 steps[] = { 500, 1000, 2000, 5000, 10000, 20000 };
  guint n = 0;

  if (n_out == 0)
    return 0;
  out[n++] = amount;
  for (gsize i = 0; i < G_N_ELEMENTS (steps) && n < n_out; i++)
    {
      guint64 up = (amount + steps[i] - 1) / steps[i] * steps[i];
      if (up > amount && up != out[n - 1])
        out[n++] = up;
    }
  return n;
}

static const char *
cash_get_id (TillPaymentProvider *provider)
{
  return "cash";
}

static const char *
cash_get_name (TillPaymentProvider *provider)
{
  return C_("payment method", "Cash");
}

static const char *
cash_get_icon_name (TillPaymentProvider *provider)
{
  return "till-cash-symbolic";
}

static int
cash_get_order (TillPaymentProvider *provider)
{
  return 0;
}

static void
tendered_cb (GtkButton       *button,
             TillPaymentTask *task)
{
  TillPayment *payment = till_payment_task_get_payment (task);
  guint64 given = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "amount"));
  guint64 amount = till_payment_get_amount (payment);
  const char *currency = till_payment_get_currency (payment);
  g_autofree gchar *given_text = till_format_amount (given, currency);
  g_autofree gchar *change_text = till_format_amount (given - amount, currency);
  TillPaymentResult *result;

  if (till_payment_task_get_done (task))
    return;
  result = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_CASH, C_("payment method", "Cash"), _("Paid in cash"));
  if (given > amount)
    {
      /* Translators: the money handed back to the payer, e.g. "Change: €7.50" */
      result->message = g_strdup_printf (C_("money handed back", "Change: %s"), change_text);
    }
  /* Translators: receipt line, e.g. "Cash given €20.00, change €7.50" */
  g_ptr_array_add (result->receipt, g_strdup_printf (_("Cash given %s, change %s"), given_text, change_text));
  till_payment_task_return_result (task, result);
}

static void
cash_pay_async (TillPaymentProvider *provider,
                TillPayment         *payment,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(TillPaymentTask) task = till_payment_task_new (provider, payment, cancellable,
                                                          callback, user_data);
  GtkWidget *page, *label, *grid;
  guint64 amounts[4];
  guint n;


  page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  gtk_widget_set_halign (page, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (page, GTK_ALIGN_CENTER);
  label = gtk_label_new (_("What did the payer give?"));
  gtk_widget_add_css_class (label, "title-2");
  gtk_box_append (GTK_BOX (page), label);

  grid = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (grid), GTK_SELECTION_NONE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (grid), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (grid), 4);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (grid), TRUE);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (grid), 16);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (grid), 16);
  n = till_cash_suggestions (till_payment_get_amount (payment), amounts, G_N_ELEMENTS (amounts));
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *text = till_format_amount (amounts[i], till_payment_get_currency (payment));
      /* Translators: the first cash button: the payer gives the exact amount, e.g. "Exact: €9.00" */
      g_autofree gchar *exact = i == 0 ? g_strdup_printf (_("Exact: %s"), text) : NULL;
      GtkWidget *button = gtk_button_new_with_label (exact ? exact : text);

      gtk_widget_add_css_class (button, "tender");
      gtk_widget_add_css_class (button, "numeric");
      if (i == 0)
        gtk_widget_add_css_class (button, "suggested-action");
      g_object_set_data (G_OBJECT (button), "amount", GSIZE_TO_POINTER (amounts[i]));
      g_signal_connect_object (button, "clicked", G_CALLBACK (tendered_cb), task, 0);
      gtk_flow_box_append (GTK_FLOW_BOX (grid), button);
    }
  gtk_box_append (GTK_BOX (page), grid);
  /* The page holds the task until one amount is tapped or the sale is cancelled. */
  till_payment_task_present (task, page);
}

static TillPaymentResult *
cash_pay_finish (TillPaymentProvider  *provider,
                 GAsyncResult         *result,
                 GError              **error)
{
  return till_payment_task_propagate (result, error);
}

static void
provider_iface_init (TillPaymentProviderInterface *iface)
{
  iface->get_id = cash_get_id;
  iface->get_name = cash_get_name;
  iface->get_icon_name = cash_get_icon_name;
  iface->get_order = cash_get_order;
  iface->pay_async = cash_pay_async;
  iface->pay_finish = cash_pay_finish;
}

TillPaymentProvider *
till_cash_provider_new (TillHost *host)
{
  return g_object_new (TILL_TYPE_CASH_PROVIDER, "host", host, NULL);
}
