/* till-payment.h: one payment for one sale, handed to a payment provider.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (TILL_INSIDE) && !defined (TILL_COMPILATION)
# error "Only <till.h> can be included directly."
#endif

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT (till_payment_get_type ())
G_DECLARE_FINAL_TYPE (TillPayment, till_payment, TILL, PAYMENT, GObject)

/* The kind of approval, as the receipt prints it. */
typedef enum
{
  TILL_PAYMENT_MODE_CASH,
  TILL_PAYMENT_MODE_OFFLINE,
  TILL_PAYMENT_MODE_ONLINE,
} TillPaymentMode;

TillPayment  *till_payment_new            (guint64      amount,
                                           const char  *currency);
void          till_payment_add_line       (TillPayment *self,
                                           const char  *name,
                                           const char  *category,
                                           guint        quantity,
                                           guint64      amount);
guint64       till_payment_get_amount     (TillPayment *self);
const char   *till_payment_get_currency   (TillPayment *self);
guint         till_payment_get_n_lines    (TillPayment *self);
void          till_payment_get_line       (TillPayment *self,
                                           guint        index,
                                           const char **name,
                                           const char **category,
                                           guint       *quantity,
                                           guint64     *amount);
/* A provider shows its own screen for the payment (a QR code, a scan entry...) in the
 * window's payment area; the host listens to the "present" signal. */
void          till_payment_present        (TillPayment *self,
                                           GtkWidget   *page);
GtkWidget    *till_payment_get_page       (TillPayment *self);

/* What the cashier should do next, as the result screen's primary button offers it. */
typedef enum
{
  TILL_PAYMENT_ACTION_BACK_TO_SALE = 0, /* the default: back to the sale (or a new one) */
  TILL_PAYMENT_ACTION_OTHER_METHOD,     /* ask for another method: the method choice, same cart */
  TILL_PAYMENT_ACTION_RETRY,            /* the same method afresh, e.g. a new payment code */
} TillPaymentAction;

#define TILL_TYPE_PAYMENT_RESULT (till_payment_result_get_type ())

typedef struct _TillPaymentResult TillPaymentResult;

/* What the result screen and the receipt say. Strings are translated, for people. */
struct _TillPaymentResult
{
  gboolean         approved;
  TillPaymentMode  mode;
  gchar           *method;       /* "Cash", "Wallet" */
  gchar           *title;        /* "Approved offline", "Already paid", "Declined" */
  gchar           *message;      /* the reason in plain words, or NULL */
  gchar           *next_step;    /* what to do next, or NULL */
  gchar           *reason_code;  /* small print for support, or NULL */
  gchar           *reference;    /* "Sale 17", or NULL */
  GPtrArray       *receipt;      /* extra receipt lines (gchar *) */
  /* Appended after 0.1.0: till_payment_result_new() zeroes them, so a provider that does
   * not know them gets the default (TILL_PAYMENT_ACTION_BACK_TO_SALE, no label). */
  TillPaymentAction next_action;  /* the recommended next step, for the primary button */
  gchar           *action_label; /* the provider's words for RETRY ("Scan a new code"), or NULL */
  gchar           *highlight;    /* what the cashier must act on, in very large type ("Change:
                                  * €10.50"): the result then stays until tapped; or NULL */
  /* Appended after 0.1.0: the provider's own reference of an approved sale, for machines
   * (the wallet terminal's sale number, "17"), which the app's sales book keeps so that a
   * sale can be followed from the receipt to its settlement; NULL when it has none (cash). */
  gchar           *provider_ref;
};

GType              till_payment_result_get_type (void) G_GNUC_CONST;
TillPaymentResult *till_payment_result_new      (gboolean                 approved,
                                                 TillPaymentMode          mode,
                                                 const char              *method,
                                                 const char              *title);
TillPaymentResult *till_payment_result_copy     (const TillPaymentResult *result);
void               till_payment_result_free     (TillPaymentResult       *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillPaymentResult, till_payment_result_free)

G_END_DECLS
