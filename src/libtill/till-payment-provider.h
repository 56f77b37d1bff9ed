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

/* Where a provider's approved sale stands after the sale (a wallet's settlement). */
typedef enum
{
  TILL_SETTLEMENT_UNKNOWN = 0,
  TILL_SETTLEMENT_PENDING,             /* not settled yet (waiting, uploading, retrying): at risk */
  TILL_SETTLEMENT_SETTLED,             /* the money is the merchant's */
  TILL_SETTLEMENT_DECLINED,            /* declined after the sale, for the merchant to act on: at risk */
  TILL_SETTLEMENT_WRITTEN_OFF,         /* declined and given up */
  TILL_SETTLEMENT_COLLECTED_OTHERWISE, /* declined, then paid another way (cash in the drawer) */
} TillSettlement;

/* One approved sale as its provider remembers it (list_sales). */
typedef struct
{
  gchar           *provider_ref;  /* as TillPaymentResult's provider_ref */
  gchar           *reference;     /* for people ("Sale 17"), or NULL */
  gint64           time;          /* Unix seconds */
  guint64          amount;        /* minor units */
  gchar           *currency;
  TillPaymentMode  mode;
  TillSettlement   settlement;
  gchar           *state_name;    /* the provider's word for the state ("Declined late"), or NULL */
} TillProviderSale;

TillProviderSale *till_provider_sale_new  (void);
void              till_provider_sale_free (TillProviderSale *sale);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillProviderSale, till_provider_sale_free)

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

  /* Appended after 0.1.0. Optional: the approved sales with a time in [since, until), as a
   * GPtrArray of TillProviderSale, each with where it stands now. The app repairs its sales
   * book from it at start (a sale approved while the book could not be written) and shows
   * the wallet's money at risk in the end-of-day report. Must not block the main loop. */
  void               (*list_sales_async)  (TillPaymentProvider  *self,
                                           gint64                since,
                                           gint64                until,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
  GPtrArray         *(*list_sales_finish) (TillPaymentProvider  *self,
                                           GAsyncResult         *result,
                                           GError              **error);
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
gboolean           till_payment_provider_can_list_sales (TillPaymentProvider *self);
/* Fails with G_IO_ERROR_NOT_SUPPORTED when the provider cannot list its sales. */
void               till_payment_provider_list_sales_async  (TillPaymentProvider  *self,
                                                            gint64                since,
                                                            gint64                until,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GPtrArray         *till_payment_provider_list_sales_finish (TillPaymentProvider  *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

G_END_DECLS
