/* till-payment.c: a payment being taken (amount, lines, the provider's page) and its result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till.h"

typedef struct
{
  gchar   *name;
  gchar   *category;
  guint    quantity;
  guint64  amount;
} Line;

struct _TillPayment
{
  GObject    parent_instance;
  guint64    amount;
  gchar     *currency;
  GArray    *lines;
  GtkWidget *page;
};

G_DEFINE_FINAL_TYPE (TillPayment, till_payment, G_TYPE_OBJECT)

enum
{
  PRESENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_line (gpointer data)
{
  Line *line = data;

  g_free (line->name);
  g_free (line->category);
}

static void
till_payment_finalize (GObject *object)
{
  TillPayment *self = TILL_PAYMENT (object);

  g_free (self->currency);
  g_array_unref (self->lines);
  g_clear_object (&self->page);
  G_OBJECT_CLASS (till_payment_parent_class)->finalize (object);
}

static void
till_payment_class_init (TillPaymentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_payment_finalize;

  /**
   * TillPayment::present:
   * @page: the provider's screen for this payment
   *
   * A provider wants its screen shown in the payment area.
   */
  signals[PRESENT] = g_signal_new ("present", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, GTK_TYPE_WIDGET);
}

static void
till_payment_init (TillPayment *self)
{
  self->lines = g_array_new (FALSE, TRUE, sizeof (Line));
  g_array_set_clear_func (self->lines, clear_line);
}

TillPayment *
till_payment_new (guint64     amount,
                  const char *currency)
{
  TillPayment *self;

  g_return_val_if_fail (currency != NULL, NULL);

  self = g_object_new (TILL_TYPE_PAYMENT, NULL);
  self->amount = amount;
  self->currency = g_strdup (currency);
  return self;
}

void
till_payment_add_line (TillPayment *self,
                       const char  *name,
                       const char  *category,
                       guint        quantity,
                       guint64      amount)
{
  Line line = { g_strdup (name), g_strdup (category), quantity, amount };

  g_return_if_fail (TILL_IS_PAYMENT (self));
  g_array_append_val (self->lines, line);
}

guint64
till_payment_get_amount (TillPayment *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT (self), 0);
  return self->amount;
}

const char *
till_payment_get_currency (TillPayment *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT (self), NULL);
  return self->currency;
}

guint
till_payment_get_n_lines (TillPayment *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT (self), 0);
  return self->lines->len;
}

void
till_payment_get_line (TillPayment  *self,
                       guint         index,
                       const char  **name,
                       const char  **category,
                       guint        *quantity,
                       guint64      *amount)
{
  const Line *line;

  g_return_if_fail (TILL_IS_PAYMENT (self));
  g_return_if_fail (index < self->lines->len);

  line = &g_array_index (self->lines, Line, index);
  if (name)
    *name = line->name;
  if (category)
    *category = line->category;
  if (quantity)
    *quantity = line->quantity;
  if (amount)
    *amount = line->amount;
}

void
till_payment_present (TillPayment *self,
                      GtkWidget   *page)
{
  g_return_if_fail (TILL_IS_PAYMENT (self));
  g_return_if_fail (GTK_IS_WIDGET (page));

  g_object_ref_sink (page);
  g_clear_object (&self->page);
  self->page = page;
  g_signal_emit (self, signals[PRESENT], 0, page);
}

GtkWidget *
till_payment_get_page (TillPayment *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT (self), NULL);
  return self->page;
}

G_DEFINE_BOXED_TYPE (TillPaymentResult, till_payment_result, till_payment_result_copy,
                     till_payment_result_free)

TillPaymentResult *
till_payment_result_new (gboolean         approved,
                         TillPaymentMode  mode,
                         const char      *method,
                         const char      *title)
{
  TillPaymentResult *r = g_new0 (TillPaymentResult, 1);

  r->approved = approved;
  r->mode = mode;
  r->method = g_strdup (method);
  r->title = g_strdup (title);
  r->receipt = g_ptr_array_new_with_free_func (g_free);
  return r;
}

TillPaymentResult *
till_payment_result_copy (const TillPaymentResult *r)
{
  TillPaymentResult *copy = till_payment_result_new (r->approved, r->mode, r->method, r->title);

  copy->message = g_strdup (r->message);
  copy->next_step = g_strdup (r->next_step);
  copy->reason_code = g_strdup (r->reason_code);
  copy->reference = g_strdup (r->reference);
  copy->next_action = r->next_action;
  copy->action_label = g_strdup (r->action_label);
  copy->highlight = g_strdup (r->highlight);
  copy->provider_ref = g_strdup (r->provider_ref);
  for (guint i = 0; i < r->receipt->len; i++)
    g_ptr_array_add (copy->receipt, g_strdup (r->receipt->pdata[i]));
  return copy;
}

void
till_payment_result_free (TillPaymentResult *r)
{
  if (r == NULL)
    return;
  g_free (r->method);
  g_free (r->title);
  g_free (r->message);
  g_free (r->next_step);
  g_free (r->reason_code);
  g_free (r->reference);
  g_free (r->action_label);
  g_free (r->highlight);
  g_free (r->provider_ref);
  g_ptr_array_unref (r->receipt);
  g_free (r);
}
