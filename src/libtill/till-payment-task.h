/* till-payment-task.h: the completion protocol of a payment, written once for every provider.
 *
 * A payment completes exactly once: with a result, or as cancelled. The cashier's Cancel
 * completes it at once, unless a decision is in flight (a code being checked, a sale being
 * recorded): then the Cancel waits for the decision, because a recorded sale wins over
 * Cancel (the payer paid). The provider's page holds the task until it completes, and lets
 * go of it then, so that the payment, its page and its task are freed with the sale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (TILL_INSIDE) && !defined (TILL_COMPILATION)
# error "Only <till.h> can be included directly."
#endif

#include <gtk/gtk.h>

#include "till-payment.h"
#include "till-payment-provider.h"

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT_TASK (till_payment_task_get_type ())
G_DECLARE_FINAL_TYPE (TillPaymentTask, till_payment_task, TILL, PAYMENT_TASK, GObject)

/* In a provider's pay_async: the task that its pay_finish will read with
 * till_payment_task_propagate(). The cancellable is the cashier's Cancel. */
TillPaymentTask   *till_payment_task_new               (TillPaymentProvider *provider,
                                                        TillPayment         *payment,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
TillPayment       *till_payment_task_get_payment       (TillPaymentTask     *self);
TillPaymentProvider *till_payment_task_get_provider    (TillPaymentTask     *self);

/* Shows the provider's page (till_payment_present) and lets the page hold the task until
 * the payment completes. */
void               till_payment_task_present           (TillPaymentTask     *self,
                                                        GtkWidget           *page);

/* A decision is in flight: a Cancel from now on waits for it ("cancel-requested" is
 * emitted, so the page can say "Cancelling…"). */
void               till_payment_task_begin_decision    (TillPaymentTask     *self);
/* The decision is in. Returns TRUE when the cashier cancelled meanwhile: the provider then
 * completes with the decision if it recorded a sale, and with till_payment_task_cancel()
 * otherwise. */
gboolean           till_payment_task_end_decision      (TillPaymentTask     *self);
gboolean           till_payment_task_get_deciding      (TillPaymentTask     *self);
gboolean           till_payment_task_get_cancel_requested (TillPaymentTask  *self);
/* TRUE once the payment has completed: later scans, taps or decisions are too late. */
gboolean           till_payment_task_get_done          (TillPaymentTask     *self);

/* Each completes the payment once and returns TRUE; after completion they do nothing (the
 * result is freed) and return FALSE. */
gboolean           till_payment_task_return_result     (TillPaymentTask     *self,
                                                        TillPaymentResult   *result);
gboolean           till_payment_task_cancel            (TillPaymentTask     *self);

/* In a provider's pay_finish. */
TillPaymentResult *till_payment_task_propagate         (GAsyncResult        *result,
                                                        GError             **error);

G_END_DECLS
