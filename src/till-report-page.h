/* till-report-page.h: the merchant's "Today": the day's sales and end-of-day report.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "till-sales-book.h"

G_BEGIN_DECLS

/* One sale in the day's list. */
#define TILL_TYPE_REPORT_ROW (till_report_row_get_type ())
G_DECLARE_FINAL_TYPE (TillReportRow, till_report_row, TILL, REPORT_ROW, GObject)

gint64      till_report_row_get_sale_id  (TillReportRow  *row);
/* "14:02 · Wallet · Sale 17" */
const char *till_report_row_get_title    (TillReportRow  *row);
gboolean    till_report_row_get_voided   (TillReportRow  *row);

#define TILL_TYPE_REPORT_PAGE (till_report_page_get_type ())
G_DECLARE_FINAL_TYPE (TillReportPage, till_report_page, TILL, REPORT_PAGE, AdwBin)

/* The book to read (NULL: it could not be opened, the page says so). */
void        till_report_page_set_book      (TillReportPage *self,
                                            TillSalesBook  *book);
/* The window's payment providers (TillPaymentProvider), shared: asked for the states of
 * their sales of the day. */
void        till_report_page_set_providers (TillReportPage *self,
                                            GPtrArray      *providers);
/* Shows a business day ("YYYY-MM-DD"; NULL: the current one) and reads it from the book. The
 * page also reads the current day each time it is shown. */
void        till_report_page_show_day      (TillReportPage *self,
                                            const char     *day);
const char *till_report_page_get_day       (TillReportPage *self);
/* The day's sales, TillReportRow in time order. */
GListModel *till_report_page_get_sales     (TillReportPage *self);
/* The report as plain text (the receipt's width), as printed. */
gchar      *till_report_page_build_text    (TillReportPage *self);

G_END_DECLS
