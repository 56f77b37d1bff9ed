/* till-report-csv.h: the day's sales from the sales book as CSV for spreadsheets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "till-sales-book.h"

G_BEGIN_DECLS

/* The current locale's conventions: its decimal mark, and ';' as the separator where the
 * decimal mark is a comma (as spreadsheets there expect), ',' elsewhere. */
void   till_report_csv_locale   (char        *separator,
                                 const char **decimal_mark);
/* An amount in minor units as a plain number for a spreadsheet: "1234.50", "1234,50". */
gchar *till_report_csv_amount   (guint64     amount,
                                 const char *currency,
                                 const char *decimal_mark);
/* One row per sale (TillBookSale): number, date, time, business day, method, reference,
 * items, amount, currency, voided. A header row first; CRLF line ends (RFC 4180). Cells
 * that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) start with '. */
gchar *till_report_csv_build    (GPtrArray  *sales,
                                 char        separator,
                                 const char *decimal_mark);

G_END_DECLS
