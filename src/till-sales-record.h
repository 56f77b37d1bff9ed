/* till-sales-record.h: payments and providers' sales written into the sales book.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

#include "till-sales-book.h"

G_BEGIN_DECLS

/* Opens the book at its place (till_sales_book_default_path) with the business day's start
 * from the app's settings ("day-starts-at", kept in step). A damaged book is set aside and a
 * new one started, and `notice` says so for the merchant. NULL if no book could be opened
 * (logged, and in `notice`): the app still sells. */
TillSalesBook *till_sales_record_open_book   (GSettings               *settings,
                                              gboolean                 demo,
                                              gchar                  **notice);
/* A payment the provider approved, as the book keeps it. */
TillBookSale *till_sales_record_from_payment (TillPayment             *payment,
                                              const TillPaymentResult *result,
                                              const char              *method);
/* Records an approved payment before its approval is shown. A failure is logged (the
 * payer paid: the sale stays approved) and returned; a book that could not be opened
 * (NULL) is a failure too. */
gboolean      till_sales_record_payment      (TillSalesBook           *book,
                                              TillPayment             *payment,
                                              const TillPaymentResult *result,
                                              const char              *method,
                                              GError                 **error);

/* At start: every provider that can list its sales is asked for those approved since the
 * book began (or since the current business day began, if earlier); those missing from
 * the book (approved while it could not be written) are recorded, not itemised. The
 * result is the number of sales added. */
void          till_sales_record_repair_async  (TillSalesBook           *book,
                                               GPtrArray               *providers,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
guint         till_sales_record_repair_finish (TillSalesBook           *book,
                                               GAsyncResult            *result,
                                               GError                 **error);

G_END_DECLS
