/* till-payment-provider.h: a way to pay (cash, an offline wallet, a card reader...).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (TILL_INSIDE) && !defined (TILL_COMPILATION)
# error "Only <till.h> can be included directly."
#endif

#include <gio/gio.h>

#include "till-host.h"
#include "till-payment.h"

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT_PROVIDER (till_payment_provider_get_type ())
G_DECLARE_INTERFACE (TillPaymentProvider, till_payment_provider, TILL, PAYMENT_PROVIDER, GObject)

/* Providers from plugins are created with their "host" property set to the window. */
struct _TillPaymentProviderInterface
{
  GTypeInterface parent_iface;

  /* A stable id ("cash", "offauth"), the translated name for the method button, and an
   * icon name. */
  const char        *(*get_id)        (TillPaymentProvider  *self);
  const char        *(*get_name)      (TillPaymentProvider  *self);
  const char        *(*get_icon_name) (TillPaymentProvider  *self);
  /* Lower comes first on the payment screen. */
  int                (*get_order)     (TillPaymentProvider  *self);

  /* Takes the payment: presents a screen with till_payment_present() if it needs one,
   * and completes with a result once the payment is decided and, when approved, durably
   * recorded. Cancelling (the cashier's Cancel) completes with G_IO_ERROR_CANCELLED. */
  void               (*pay_async)     (TillPaymentProvider  *self,
                                       TillPayment          *payment,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
  TillPaymentResult *(*pay_finish)    (TillPaymentProvider  *self,
                                       GAsyncResult         *result,
                                       GError              **error);

  /* NULL when the method can take a payment now; otherwise a short reason for the
   * cashier ("Paused: upload the waiting sales"). Emit "availability-changed" when it
   * changes. Optional: providers without it are always available. */
  const char        *(*get_unavailable_reason) (TillPaymentProvider *self);
};

const char        *till_payment_provider_get_id        (TillPaymentProvider  *self);
const char        *till_payment_provider_get_name      (TillPaymentProvider  *self);
const char        *till_payment_provider_get_icon_name (TillPaymentProvider  *self);
int                till_payment_provider_get_order     (TillPaymentProvider  *self);
const char        *till_payment_provider_get_unavailable_reason (TillPaymentProvider *self);
void               till_payment_provider_pay_async     (TillPaymentProvider  *self,
                                                        TillPayment          *payment,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
TillPaymentResult *till_payment_provider_pay_finish    (TillPaymentProvider  *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_END_DECLS
