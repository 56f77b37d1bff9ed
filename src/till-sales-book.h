/* till-sales-book.h: the app's own book of sales (cash and wallet alike), in SQLite.
 *
 * GLib and SQLite only: no GTK and nothing of a provider's insides. Money is in minor
 * units; times are Unix seconds; a business day is "YYYY-MM-DD" and starts at the hour
 * the book is given (a day that runs past midnight).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TILL_SALES_BOOK_ERROR (till_sales_book_error_quark ())

typedef enum
{
  TILL_SALES_BOOK_ERROR_CORRUPT,      /* not a sales book, or damaged */
  TILL_SALES_BOOK_ERROR_TOO_NEW,      /* written by a newer version of the app */
  TILL_SALES_BOOK_ERROR_STORAGE,      /* a read or write failed (full disk, locked, I/O) */
  TILL_SALES_BOOK_ERROR_INVALID,      /* a sale the book cannot hold (an amount over 2^63) */
  TILL_SALES_BOOK_ERROR_NOT_FOUND,
  TILL_SALES_BOOK_ERROR_NOT_VOIDABLE, /* not a cash sale, or already voided */
} TillSalesBookError;

GQuark till_sales_book_error_quark (void);

/* One line of a sale. */
typedef struct
{
  gchar   *name;
  gchar   *category;    /* NULL: none */
  guint    quantity;
  guint64  unit_price;
  guint64  amount;      /* the line's total */
} TillBookLine;

/* One sale as the book holds it. */
typedef struct
{
  gint64     id;             /* the book's number, set by till_sales_book_record() */
  gint64     time;           /* Unix seconds */
  gchar     *day;            /* the business day, set by the book */
  gchar     *method;         /* the provider's id: "cash", "offauth" */
  gchar     *method_name;    /* as the result screen said it: "Cash", "Wallet" */
  gint       mode;           /* TillPaymentMode: cash, offline, online */
  guint64    amount;
  gchar     *currency;
  gchar     *provider_ref;   /* the provider's reference (the terminal's sale number), or NULL */
  gchar     *reference;      /* the reference for people ("Sale 17"), or NULL */
  gboolean   repaired;       /* recorded at a start, from the provider's own records */
  gboolean   voided;
  gint64     void_time;
  GPtrArray *lines;          /* TillBookLine */
} TillBookSale;

TillBookSale *till_book_sale_new       (void);
void          till_book_sale_add_line  (TillBookSale *sale,
                                        const char   *name,
                                        const char   *category,
                                        guint         quantity,
                                        guint64       unit_price,
                                        guint64       amount);
/* "2 × Beer, 1 × Water", with `separator` between the lines. */
gchar        *till_book_sale_dup_items (const TillBookSale *sale,
                                        const char         *separator);
void          till_book_sale_free      (TillBookSale *sale);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillBookSale, till_book_sale_free)

/* A total of one group (a method, a category, a currency...). */
typedef struct
{
  gchar   *key;       /* the method's id, the category ("" for none) */
  gchar   *label;     /* the method's name; the category again */
  gchar   *currency;
  guint    count;     /* sales (per method) or items (per category) */
  guint64  amount;
} TillBookTotal;

/* A business day's totals; voided sales are left out of every total but the voids'. */
typedef struct
{
  gchar     *day;
  guint      count;
  gint64     first_time;   /* 0: no sale */
  gint64     last_time;
  guint      n_voids;
  GPtrArray *voids;        /* TillBookTotal per currency */
  GPtrArray *totals;       /* TillBookTotal per currency: everything sold */
  GPtrArray *methods;      /* TillBookTotal per method and currency */
  GPtrArray *categories;   /* TillBookTotal per category and currency */
} TillBookSummary;

void till_book_summary_free (TillBookSummary *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillBookSummary, till_book_summary_free)

#define TILL_TYPE_SALES_BOOK (till_sales_book_get_type ())
G_DECLARE_FINAL_TYPE (TillSalesBook, till_sales_book, TILL, SALES_BOOK, GObject)

/* $TILL_SALES_BOOK if set; else sales.db in the demo's folder ($TILL_DEMO_DIR, or
 * DATA/till/demo) for the demo, in DATA/till for real sales (DATA: g_get_user_data_dir). */
gchar         *till_sales_book_default_path  (gboolean        demo);

/* Opens (creating it and its folder) or fails with a TILL_SALES_BOOK_ERROR. */
TillSalesBook *till_sales_book_open          (const char     *path,
                                              GError        **error);
/* Moves a damaged book aside (PATH.damaged-TIME, with its -wal and -shm), so that a new
 * one can start; the old file is kept for support. Returns the new name. */
gchar         *till_sales_book_set_aside     (const char     *path,
                                              GError        **error);
const char    *till_sales_book_get_path      (TillSalesBook  *self);

/* The hour (0-23) at which a business day starts: 4 puts a sale at 03:59 in the day before. */
void           till_sales_book_set_day_starts_at (TillSalesBook *self,
                                                  guint          hour);
guint          till_sales_book_get_day_starts_at (TillSalesBook *self);
/* The business day of a local time, "YYYY-MM-DD"; and its bounds, [start, end). */
gchar         *till_sales_book_business_day  (TillSalesBook  *self,
                                              GDateTime      *time);
gboolean       till_sales_book_day_bounds    (TillSalesBook  *self,
                                              const char     *day,
                                              gint64         *start,
                                              gint64         *end);

/* Records a sale in one transaction, durable (synchronous=FULL) when it returns TRUE;
 * sets its id and day. A sale whose provider reference is already in the book (the same
 * wallet code approved again) is not recorded twice: its first id is set, and TRUE. */
gboolean       till_sales_book_record        (TillSalesBook  *self,
                                              TillBookSale   *sale,
                                              GError        **error);
/* Whether a provider's reference is in the book. */
gboolean       till_sales_book_has_reference (TillSalesBook  *self,
                                              const char     *method,
                                              const char     *provider_ref,
                                              gboolean       *found,
                                              GError        **error);
/* Voids a cash sale: journaled (a row of its own), never deleted; it leaves the totals. */
gboolean       till_sales_book_void          (TillSalesBook  *self,
                                              gint64          id,
                                              gint64          time,
                                              GError        **error);

/* The day's sales in time order (TillBookSale, lines included), or NULL and an error. */
GPtrArray     *till_sales_book_list_day      (TillSalesBook  *self,
                                              const char     *day,
                                              GError        **error);
TillBookSummary *till_sales_book_summarize   (TillSalesBook  *self,
                                              const char     *day,
                                              GError        **error);
/* When the book was created (Unix seconds): a repair never looks further back. */
gint64         till_sales_book_get_created   (TillSalesBook  *self);

G_END_DECLS
