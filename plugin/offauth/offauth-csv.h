/* offauth-csv.h: the status view's export as CSV for the locale's spreadsheets.
 *
 * Pure: no I/O, no GTK. Amounts are written from integer minor units, never through a double.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct
{
  char     separator;         /* ';' where the decimal mark is ',', else ',' */
  char     decimal_mark[8];   /* the locale's (LC_NUMERIC) */
  gboolean crlf;              /* every line ends in CRLF (else LF) */
} OffauthCsvFormat;

/* The format for a decimal mark ("." or ","): the separator follows from it. */
void   offauth_csv_format_init   (OffauthCsvFormat       *format,
                                  const char             *decimal_mark,
                                  gboolean                crlf);
/* The current locale's decimal mark (LC_NUMERIC), CRLF lines (what spreadsheets expect). */
void   offauth_csv_format_locale (OffauthCsvFormat       *format);

/* 123450 with exponent 2 → "1234,50" or "1234.50": no thousands separator, no symbol. */
gchar *offauth_csv_amount        (guint64                 amount,
                                  guint                   exponent,
                                  const char             *decimal_mark);
/* Appends one cell: a cell starting with = + - @ tab or CR gets a leading apostrophe (a
 * spreadsheet would read it as a formula); a cell holding the separator, a quote, CR or LF
 * is quoted, its quotes doubled. */
void   offauth_csv_append_cell   (GString                *out,
                                  const char             *cell,
                                  const OffauthCsvFormat *format);
/* Appends cells (NULL-terminated) as one line. */
void   offauth_csv_append_row    (GString                *out,
                                  const char * const     *cells,
                                  const OffauthCsvFormat *format);
/* A header line, then one line per sale: sale, time (local, ISO 8601), amount, currency,
 * payer, mode, state, reason, what to do. */
gchar *offauth_csv_sales         (const OffauthSaleInfo  *sales,
                                  guint                   n_sales,
                                  const OffauthCsvFormat *format);

G_END_DECLS
