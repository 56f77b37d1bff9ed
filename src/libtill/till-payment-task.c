/* till-payment-task.c: a payment's completion (once; Cancel versus a decision in flight).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "till.h"

struct _TillPaymentTask
{
  GObject       parent_instance;

  GTask        *task;            /* the provider's async result */
  TillPayment  *payment;
  GCancellable *cancellable;
  gulong        cancelled_id;
  GtkWidget    *page;            /* weak: the page holds us, not the other way round */
  guint         in_cancelled : 1;  /* cancelled_cb ran: its handler must not be waited for */
  guint         deciding : 1;
  guint         cancel_requested : 1;
  guint         done : 1;
};

G_DEFINE_FINAL_TYPE (TillPaymentTask, till_payment_task, G_TYPE_OBJECT)

enum
{
  CANCEL_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The key under which a page holds its task: private to this file. */
#define PAGE_TASK_KEY "till-payment-task"

static void
till_payment_task_dispose (GObject *object)
{
  TillPaymentTask *self = TILL_PAYMENT_TASK (object);

  /* The last reference may go at the end of cancelled_cb, inside the cancellable's own
   * emission, where g_cancellable_disconnect() would wait for that very handler forever. */
  if (self->cancelled_id != 0 && self->in_cancelled)
    g_signal_handler_disconnect (self->cancellable, self->cancelled_id);
  else if (self->cancelled_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_weak_pointer (&self->page);
  G_OBJECT_CLASS (till_payment_task_parent_class)->dispose (object);
}

static void
till_payment_task_finalize (GObject *object)
{
  TillPaymentTask *self = TILL_PAYMENT_TASK (object);

  g_clear_object (&self->task);
  g_clear_object (&self->payment);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (till_payment_task_parent_class)->finalize (object);
}

static void
till_payment_task_class_init (TillPaymentTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_payment_task_dispose;
  object_class->finalize = till_payment_task_finalize;

  /* The cashier tapped Cancel while a decision is in flight: the page says it waits. */
  signals[CANCEL_REQUESTED] = g_signal_new ("cancel-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
}

static void
till_payment_task_init (TillPaymentTask *self)
{
}

/* Marks the payment done and lets the page go of the task: the cycle payment → page →
 * task → payment ends here. */
static gboolean
till_payment_task_claim (TillPaymentTask *self)
{
  if (self->done)
    return FALSE;
  self->done = TRUE;
  if (self->page != NULL)
    g_object_set_data (G_OBJECT (self->page), PAGE_TASK_KEY, NULL);
  return TRUE;
}

static void
till_payment_task_cancelled_cb (GCancellable    *cancellable,
                                TillPaymentTask *self)
{
  g_autoptr(TillPaymentTask) hold = g_object_ref (self);

  self->in_cancelled = TRUE;
  if (self->done)
    return;
  if (self->deciding)
    {
      self->cancel_requested = TRUE;
      g_signal_emit (self, signals[CANCEL_REQUESTED], 0);
      return;
    }
  till_payment_task_cancel (self);
}

TillPaymentTask *
till_payment_task_new (TillPaymentProvider *provider,
                       TillPayment         *payment,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  TillPaymentTask *self;

  g_return_val_if_fail (TILL_IS_PAYMENT_PROVIDER (provider), NULL);
  g_return_val_if_fail (TILL_IS_PAYMENT (payment), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  self = g_object_new (TILL_TYPE_PAYMENT_TASK, NULL);
  self->task = g_task_new (provider, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, till_payment_task_new);
  /* An approval that completes after Cancel must reach the window as the approval it is. */
  g_task_set_check_cancellable (self->task, FALSE);
  self->payment = g_object_ref (payment);
  if (cancellable != NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      /* Not a reference: whoever holds the task (the page, a call in flight) keeps it
       * alive, and dispose disconnects. Runs at once if already cancelled. */
      self->cancelled_id = g_cancellable_connect (cancellable,
                                                  G_CALLBACK (till_payment_task_cancelled_cb),
                                                  self, NULL);
    }
  return self;
}

TillPayment *
till_payment_task_get_payment (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), NULL);
  return self->payment;
}

TillPaymentProvider *
till_payment_task_get_provider (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), NULL);
  return g_task_get_source_object (self->task);
}

void
till_payment_task_present (TillPaymentTask *self,
                           GtkWidget       *page)
{
  g_return_if_fail (TILL_IS_PAYMENT_TASK (self));
  g_return_if_fail (GTK_IS_WIDGET (page));

  if (self->done)
    return;
  if (self->page != NULL)
    g_object_set_data (G_OBJECT (self->page), PAGE_TASK_KEY, NULL);
  g_set_weak_pointer (&self->page, page);
  g_object_set_data_full (G_OBJECT (page), PAGE_TASK_KEY, g_object_ref (self), g_object_unref);
  till_payment_present (self->payment, page);
}

void
till_payment_task_begin_decision (TillPaymentTask *self)
{
  g_return_if_fail (TILL_IS_PAYMENT_TASK (self));
  self->deciding = TRUE;
}

gboolean
till_payment_task_end_decision (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), FALSE);
  self->deciding = FALSE;
  return self->cancel_requested && !self->done;
}

gboolean
till_payment_task_get_deciding (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), FALSE);
  return self->deciding;
}

gboolean
till_payment_task_get_cancel_requested (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), FALSE);
  return self->cancel_requested;
}

gboolean
till_payment_task_get_done (TillPaymentTask *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), TRUE);
  return self->done;
}

gboolean
till_payment_task_return_result (TillPaymentTask   *self,
                                 TillPaymentResult *result)
{
  g_autoptr(TillPaymentTask) hold = NULL;

  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  hold = g_object_ref (self);
  if (!till_payment_task_claim (self))
    {
      till_payment_result_free (result);
      return FALSE;
    }
  g_task_return_pointer (self->task, result, (GDestroyNotify) till_payment_result_free);
  return TRUE;
}

gboolean
till_payment_task_cancel (TillPaymentTask *self)
{
  g_autoptr(TillPaymentTask) hold = NULL;

  g_return_val_if_fail (TILL_IS_PAYMENT_TASK (self), FALSE);

  hold = g_object_ref (self);
  if (!till_payment_task_claim (self))
    return FALSE;
  g_task_return_new_error (self->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                           _("The payment was cancelled"));
  return TRUE;
}

TillPaymentResult *
till_payment_task_propagate (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == till_payment_task_new, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
