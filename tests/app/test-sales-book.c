/* test-sales-book.c: the app's sales book: record, restart, business day, totals, voids,
 * damaged files, failed writes, the repair from a provider, and the CSV export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <sqlite3.h>
#include <glib/gstdio.h>

#include "fake-provider.h"
#include "till-report-csv.h"
#include "till-sales-book.h"
#include "till-sales-record.h"

static gchar *tmp_dir;

static gchar *
book_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static gint64
local_time (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) t = g_date_time_new_local (y, mo, d, h, mi, s);

  return g_date_time_to_unix (t);
}

static TillBookSale *
cash_sale (gint64 time)
{
  TillBookSale *sale = till_book_sale_new ();

  sale->time = time;
  sale->method = g_strdup ("cash");
  sale->method_name = g_strdup ("Cash");
  sale->amount = 950;
  sale->currency = g_strdup ("EUR");
  till_book_sale_add_line (sale, "Beer", "Drinks", 2, 400, 800);
  till_book_sale_add_line (sale, "Water", "Drinks", 1, 150, 150);
  return sale;
}

static TillBookSale *
wallet_sale (gint64 time, const char *ref)
{
  TillBookSale *sale = till_book_sale_new ();

  sale->time = time;
  sale->method = g_strdup ("offauth");
  sale->method_name = g_strdup ("Wallet");
  sale->mode = 1;
  sale->amount = 900;
  sale->currency = g_strdup ("EUR");
  sale->provider_ref = g_strdup (ref);
  sale->reference = g_strdup_printf ("Sale %s", ref);
  till_book_sale_add_line (sale, "Lemonade", "Drinks", 1, 350, 350);
  till_book_sale_add_line (sale, "Bratwurst", "Food", 1, 550, 550);
  return sale;
}

static TillSalesBook *
open_book (const char *path)
{
  g_autoptr(GError) error = NULL;
  TillSalesBook *book = till_sales_book_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (book);
  return book;
}

static void
record (TillSalesBook *book, TillBookSale *sale)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (till_sales_book_record (book, sale, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sale->id, >, 0);
}

static const TillBookTotal *
find_total (GPtrArray *totals, const char *key)
{
  for (guint i = 0; i < totals->len; i++)
    if (g_str_equal (((TillBookTotal *) totals->pdata[i])->key, key))
      return totals->pdata[i];
  return NULL;
}

/* A sale is on disk when record() returns: a new process (a second open) reads it. */
static void
test_record_reopen (void)
{
  g_autofree gchar *path = book_path ("reopen.db");
  gint64 t = local_time (2026, 7, 4, 15, 30, 0);
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cash_id, wallet_id;

  {
    g_autoptr(TillSalesBook) book = open_book (path);
    g_autoptr(TillBookSale) cash = cash_sale (t);
    g_autoptr(TillBookSale) wallet = wallet_sale (t + 60, "17");
    g_autoptr(TillBookSale) again = wallet_sale (t + 90, "17");

    record (book, cash);
    record (book, wallet);
    g_assert_cmpstr (cash->day, ==, "2026-07-04");
    cash_id = cash->id;
    wallet_id = wallet->id;
    /* The same wallet code approved again ("Already paid") is the same sale. */
    record (book, again);
    g_assert_cmpint (again->id, ==, wallet_id);
  }
  {
    g_autoptr(TillSalesBook) book = open_book (path);
    const TillBookSale *s;
    const TillBookLine *line;
    gboolean found = FALSE;

    sales = till_sales_book_list_day (book, "2026-07-04", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sales->len, ==, 2);
    s = sales->pdata[0];
    g_assert_cmpint (s->id, ==, cash_id);
    g_assert_cmpstr (s->method, ==, "cash");
    g_assert_cmpuint (s->amount, ==, 950);
    g_assert_null (s->provider_ref);
    g_assert_cmpuint (s->lines->len, ==, 2);
    line = s->lines->pdata[0];
    g_assert_cmpstr (line->name, ==, "Beer");
    g_assert_cmpstr (line->category, ==, "Drinks");
    g_assert_cmpuint (line->quantity, ==, 2);
    g_assert_cmpuint (line->unit_price, ==, 400);
    g_assert_cmpuint (line->amount, ==, 800);
    s = sales->pdata[1];
    g_assert_cmpint (s->id, ==, wallet_id);
    g_assert_cmpstr (s->provider_ref, ==, "17");
    g_assert_cmpstr (s->reference, ==, "Sale 17");
    g_assert_cmpint (s->mode, ==, 1);
    g_assert_true (till_sales_book_has_reference (book, "offauth", "17", &found, &error));
    g_assert_true (found);
    g_assert_true (till_sales_book_has_reference (book, "offauth", "18", &found, &error));
    g_assert_false (found);
  }
}

/* A night that runs past midnight is one business day: with 4, 03:59 is the day before. */
static void
test_business_day (void)
{
  g_autofree gchar *path = book_path ("day.db");
  g_autoptr(TillSalesBook) book = open_book (path);
  g_autoptr(TillBookSale) late = cash_sale (local_time (2026, 7, 5, 3, 59, 59));
  g_autoptr(TillBookSale) early = cash_sale (local_time (2026, 7, 5, 4, 0, 0));
  g_autoptr(TillBookSale) midnight = cash_sale (local_time (2026, 7, 5, 0, 10, 0));
  gint64 start, end;

  g_assert_cmpuint (till_sales_book_get_day_starts_at (book), ==, 4);
  record (book, late);
  record (book, early);
  record (book, midnight);
  g_assert_cmpstr (late->day, ==, "2026-07-04");
  g_assert_cmpstr (midnight->day, ==, "2026-07-04");
  g_assert_cmpstr (early->day, ==, "2026-07-05");
  g_assert_true (till_sales_book_day_bounds (book, "2026-07-04", &start, &end));
  g_assert_cmpint (start, ==, local_time (2026, 7, 4, 4, 0, 0));
  g_assert_cmpint (end, ==, local_time (2026, 7, 5, 4, 0, 0));
  g_assert_false (till_sales_book_day_bounds (book, "2026-02-30", &start, &end));

  /* The night the clocks go forward (Europe/Berlin, 29 March 2026, 02:00 → 03:00): 04:30
   * is still that day, and the day before lasts 23 hours. */
  {
    g_autoptr(TillBookSale) dst = cash_sale (local_time (2026, 3, 29, 4, 30, 0));

    record (book, dst);
    g_assert_cmpstr (dst->day, ==, "2026-03-29");
    g_assert_true (till_sales_book_day_bounds (book, "2026-03-28", &start, &end));
    g_assert_cmpint (end - start, ==, 23 * 3600);
  }

  /* Midnight as the start: the calendar day. The setting decides sales recorded later. */
  till_sales_book_set_day_starts_at (book, 0);
  {
    g_autoptr(TillBookSale) sale = cash_sale (local_time (2026, 7, 6, 3, 0, 0));

    record (book, sale);
    g_assert_cmpstr (sale->day, ==, "2026-07-06");
  }
  g_object_set (book, "day-starts-at", 6, NULL);
  {
    g_autoptr(TillBookSale) sale = cash_sale (local_time (2026, 7, 7, 5, 59, 0));

    record (book, sale);
    g_assert_cmpstr (sale->day, ==, "2026-07-06");
  }
}

/* Totals per method and per category, first and last sale, count; a void leaves them. */
static void
test_totals_and_void (void)
{
  g_autofree gchar *path = book_path ("totals.db");
  g_autoptr(GError) error = NULL;
  gint64 t = local_time (2026, 7, 4, 12, 0, 0);
  gint64 voided_id, wallet_id;

  {
    g_autoptr(TillSalesBook) book = open_book (path);
    g_autoptr(TillSalesBook) unused = NULL;
    g_autoptr(TillBookSummary) summary = NULL;
    const TillBookTotal *total;

    for (guint i = 0; i < 3; i++)
      {
        g_autoptr(TillBookSale) sale = cash_sale (t + i * 600);

        record (book, sale);
        voided_id = sale->id;
      }
    {
      g_autoptr(TillBookSale) sale = wallet_sale (t - 3600, "5");

      record (book, sale);
      wallet_id = sale->id;
    }
    summary = till_sales_book_summarize (book, "2026-07-04", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (summary->count, ==, 4);
    g_assert_cmpint (summary->first_time, ==, t - 3600);
    g_assert_cmpint (summary->last_time, ==, t + 1200);
    g_assert_cmpuint (summary->totals->len, ==, 1);
    g_assert_cmpuint (((TillBookTotal *) summary->totals->pdata[0])->amount, ==, 3 * 950 + 900);
    total = find_total (summary->methods, "cash");
    g_assert_nonnull (total);
    g_assert_cmpuint (total->count, ==, 3);
    g_assert_cmpuint (total->amount, ==, 2850);
    g_assert_cmpstr (total->label, ==, "Cash");
    total = find_total (summary->methods, "offauth");
    g_assert_cmpuint (total->count, ==, 1);
    g_assert_cmpuint (total->amount, ==, 900);
    total = find_total (summary->categories, "Drinks");
    g_assert_cmpuint (total->count, ==, 3 * 3 + 1);
    g_assert_cmpuint (total->amount, ==, 3 * 950 + 350);
    total = find_total (summary->categories, "Food");
    g_assert_cmpuint (total->count, ==, 1);
    g_assert_cmpuint (total->amount, ==, 550);
    g_assert_cmpuint (summary->n_voids, ==, 0);

    /* Voids: a cash sale once; never a wallet sale; never an unknown one. */
    g_assert_true (till_sales_book_void (book, voided_id, t + 2000, &error));
    g_assert_no_error (error);
    g_assert_false (till_sales_book_void (book, voided_id, 0, &error));
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_VOIDABLE);
    g_clear_error (&error);
    g_assert_false (till_sales_book_void (book, wallet_id, 0, &error));
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_VOIDABLE);
    g_clear_error (&error);
    g_assert_false (till_sales_book_void (book, 9999, 0, &error));
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  {
    /* After a restart: the voided sale is still in the book, marked, and out of the totals. */
    g_autoptr(TillSalesBook) book = open_book (path);
    g_autoptr(TillBookSummary) summary = till_sales_book_summarize (book, "2026-07-04", &error);
    g_autoptr(GPtrArray) sales = till_sales_book_list_day (book, "2026-07-04", &error);
    const TillBookTotal *total;
    guint n_voided = 0;

    g_assert_no_error (error);
    g_assert_cmpuint (summary->count, ==, 3);
    g_assert_cmpint (summary->last_time, ==, t + 600);
    g_assert_cmpuint (summary->n_voids, ==, 1);
    g_assert_cmpuint (((TillBookTotal *) summary->voids->pdata[0])->amount, ==, 950);
    total = find_total (summary->methods, "cash");
    g_assert_cmpuint (total->count, ==, 2);
    g_assert_cmpuint (total->amount, ==, 1900);
    total = find_total (summary->categories, "Drinks");
    g_assert_cmpuint (total->amount, ==, 2 * 950 + 350);
    g_assert_cmpuint (sales->len, ==, 4);
    for (guint i = 0; i < sales->len; i++)
      {
        const TillBookSale *s = sales->pdata[i];

        if (s->voided)
          {
            n_voided++;
            g_assert_cmpint (s->id, ==, voided_id);
            g_assert_cmpint (s->void_time, ==, t + 2000);
          }
      }
    g_assert_cmpuint (n_voided, ==, 1);
  }
}

/* A file that is not a sales book is refused with a clear error, never a crash; set
 * aside, a new book starts. */
static void
test_corrupt (void)
{
  g_autofree gchar *path = book_path ("corrupt.db");
  g_autofree gchar *other = book_path ("other.db");
  g_autofree gchar *newer = book_path ("newer.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(TillSalesBook) book = NULL;
  g_autofree gchar *aside = NULL;
  gchar garbage[4096];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (gchar) (i * 7 + 3);
  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, NULL));
  book = till_sales_book_open (path, &error);
  g_assert_null (book);
  g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "corrupt.db"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  aside = till_sales_book_set_aside (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  book = open_book (path);
  g_clear_object (&book);

  /* A good book damaged in the middle: its first read fails, clearly. */
  {
    g_autoptr(TillSalesBook) good = open_book (other);
    g_autoptr(TillBookSale) sale = cash_sale (local_time (2026, 7, 4, 12, 0, 0));
    g_autofree gchar *contents = NULL;
    gsize length;

    record (good, sale);
    g_clear_object (&good);
    g_assert_true (g_file_get_contents (other, &contents, &length, NULL));
    g_assert_cmpuint (length, >=, 4096);
    memset (contents, 0x55, 100);   /* the header */
    g_assert_true (g_file_set_contents (other, contents, (gssize) length, NULL));
    good = till_sales_book_open (other, &error);
    g_assert_null (good);
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_CORRUPT);
    g_clear_error (&error);
  }

  /* Another program's database, and a book of a newer version. */
  {
    sqlite3 *db;

    g_assert_cmpint (sqlite3_open (newer, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x); ", NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
    book = till_sales_book_open (newer, &error);
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_CORRUPT);
    g_clear_error (&error);
    g_assert_cmpint (sqlite3_open (newer, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "DROP TABLE t; PRAGMA application_id = 1414089804; "
                                       "PRAGMA user_version = 99; CREATE TABLE t (x);", NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
    book = till_sales_book_open (newer, &error);
    g_assert_null (book);
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_TOO_NEW);
  }
}

/* A write that fails (here: another connection holds the write lock, as a stuck process
 * or a full disk would make it fail) is reported, leaves nothing half-written, and the
 * next write succeeds. */
static void
test_failed_write (void)
{
  g_autofree gchar *path = book_path ("locked.db");
  g_autoptr(TillSalesBook) book = open_book (path);
  g_autoptr(TillBookSale) sale = cash_sale (local_time (2026, 7, 4, 12, 0, 0));
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *other;

  g_assert_cmpint (sqlite3_open (path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_false (till_sales_book_record (book, sale, &error));
  g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_STORAGE);
  g_test_message ("%s", error->message);
  g_assert_cmpint (sale->id, ==, 0);
  g_clear_error (&error);
  sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (other);

  sales = till_sales_book_list_day (book, "2026-07-04", &error);
  g_assert_cmpuint (sales->len, ==, 0);
  record (book, sale);

  /* An amount SQLite cannot hold is refused, not wrapped. */
  {
    g_autoptr(TillBookSale) huge = cash_sale (0);

    huge->amount = G_MAXUINT64;
    g_assert_false (till_sales_book_record (book, huge, &error));
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_INVALID);
    g_clear_error (&error);
  }

  /* The window's path: no book at all is a failure that is logged, not a crash. */
  {
    g_autoptr(TillPayment) payment = till_payment_new (950, "EUR");
    g_autoptr(TillPaymentResult) result = till_payment_result_new (TRUE, TILL_PAYMENT_MODE_CASH, "Cash", "Paid");

    till_payment_add_line (payment, "Beer", "Drinks", 2, 800);
    g_test_expect_message ("till-book", G_LOG_LEVEL_WARNING, "*not in the sales book*");
    g_assert_false (till_sales_record_payment (NULL, payment, result, "cash", &error));
    g_test_assert_expected_messages ();
    g_assert_error (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_STORAGE);
    g_clear_error (&error);
    g_assert_true (till_sales_record_payment (book, payment, result, "cash", &error));
    g_assert_no_error (error);
  }
}

static void
repaired_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint *added = user_data;

  *added = till_sales_record_repair_finish (TILL_SALES_BOOK (source), result, &error);
  g_assert_no_error (error);
}

/* At start, a wallet sale the terminal approved but the book missed is recorded once. */
static void
test_repair (void)
{
  g_autofree gchar *path = book_path ("repair.db");
  g_autoptr(TillSalesBook) book = open_book (path);
  g_autoptr(GPtrArray) providers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(TillBookSale) known = NULL;
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *today = till_sales_book_business_day (book, now);
  g_autoptr(GError) error = NULL;
  guint added = G_MAXUINT;
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  FakeProvider *wallet = fake_provider_new ();

  /* The terminal approved two sales; the book missed the second. */
  fake_provider_add_sale (wallet, "40", now_s, 700, TILL_SETTLEMENT_SETTLED, NULL);
  fake_provider_add_sale (wallet, "41", now_s + 1, 701, TILL_SETTLEMENT_COLLECTED_OTHERWISE, NULL);
  known = wallet_sale (now_s, "40");
  record (book, known);
  g_ptr_array_add (providers, wallet);
  till_sales_record_repair_async (book, providers, NULL, repaired_cb, &added);
  while (added == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (added, ==, 1);
  sales = till_sales_book_list_day (book, today, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sales->len, ==, 2);
  {
    const TillBookSale *s = sales->pdata[1];

    g_assert_cmpstr (s->provider_ref, ==, "41");
    g_assert_cmpuint (s->amount, ==, 701);
    g_assert_true (s->repaired);
    g_assert_cmpstr (s->method_name, ==, "Wallet");
    g_assert_cmpuint (s->lines->len, ==, 1);
  }
  /* Twice is once. */
  added = G_MAXUINT;
  till_sales_record_repair_async (book, providers, NULL, repaired_cb, &added);
  while (added == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (added, ==, 0);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Figures, not checks: what the window waits for per sale (one transaction with its fsync,
 * on the main thread before the approval shows), and what "Today" reads for a busy day. */
static void
test_timing (void)
{
  g_autofree gchar *path = book_path ("timing.db");
  g_autoptr(TillSalesBook) book = open_book (path);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(TillBookSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t = local_time (2026, 7, 4, 10, 0, 0);
  guint n = g_test_slow () ? 2000 : 300;
  gint64 start;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TillBookSale) sale = i % 2 ? cash_sale (t + i) : wallet_sale (t + i, "x");
      gint64 before;

      if (sale->provider_ref != NULL)
        {
          g_free (sale->provider_ref);
          sale->provider_ref = g_strdup_printf ("%u", i);
        }
      before = g_get_monotonic_time ();
      record (book, sale);
      g_array_append_val (times, (gint64) { g_get_monotonic_time () - before });
    }
  g_array_sort (times, compare_gint64);
  start = g_get_monotonic_time ();
  summary = till_sales_book_summarize (book, "2026-07-04", &error);
  sales = till_sales_book_list_day (book, "2026-07-04", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sales->len, ==, n);
  g_test_message ("sales book on %s: record p50 %.2f ms, p99 %.2f ms (%u sales); a day of %u sales "
                  "summarized and listed in %.1f ms", tmp_dir,
                  g_array_index (times, gint64, n / 2) / 1000.0, g_array_index (times, gint64, n * 99 / 100) / 1000.0,
                  n, n, (g_get_monotonic_time () - start) / 1000.0);
}

/* The export: the locale's separator and decimal mark, a currency column, formulas defused. */
static void
test_csv (void)
{
  g_autoptr(GPtrArray) sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_book_sale_free);
  TillBookSale *sale;
  g_autofree gchar *semi = NULL;
  g_autofree gchar *comma = NULL;
  g_autofree gchar *yen = NULL;
  g_auto(GStrv) rows = NULL;

  sale = cash_sale (local_time (2026, 7, 4, 23, 5, 9));
  sale->id = 3;
  sale->day = g_strdup ("2026-07-04");
  g_ptr_array_add (sales, sale);
  sale = wallet_sale (local_time (2026, 7, 5, 1, 0, 0), "17");
  sale->id = 4;
  sale->day = g_strdup ("2026-07-04");
  sale->voided = FALSE;
  g_free (((TillBookLine *) sale->lines->pdata[0])->name);
  ((TillBookLine *) sale->lines->pdata[0])->name = g_strdup ("=HYPERLINK(\"x\")");
  sale->amount = 123456;
  g_ptr_array_add (sales, sale);
  sale = cash_sale (local_time (2026, 7, 5, 2, 0, 0));
  sale->id = 5;
  sale->day = g_strdup ("2026-07-04");
  sale->method_name = (g_free (sale->method_name), g_strdup ("-1+1"));
  sale->voided = TRUE;
  g_ptr_array_add (sales, sale);

  semi = till_report_csv_build (sales, ';', ",");
  rows = g_strsplit (semi, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 5);
  g_assert_cmpstr (rows[0], ==, "Sale;Date;Time;Business day;Method;Reference;Items;Amount;Currency;Voided");
  g_assert_cmpstr (rows[1], ==, "3;2026-07-04;23:05:09;2026-07-04;Cash;;\"2 × Beer; 1 × Water\";9,50;EUR;");
  g_assert_cmpstr (rows[2], ==,
                   "4;2026-07-05;01:00:00;2026-07-04;Wallet;Sale 17;"
                   "\"1 × =HYPERLINK(\"\"x\"\"); 1 × Bratwurst\";1234,56;EUR;");
  g_assert_cmpstr (rows[3], ==, "5;2026-07-05;02:00:00;2026-07-04;\"'-1+1\";;\"2 × Beer; 1 × Water\";9,50;EUR;yes");
  g_assert_cmpstr (rows[4], ==, "");

  /* "2 × Beer; 1 × Water" holds the separator where it is ';' only: quoted there. */
  comma = till_report_csv_build (sales, ',', ".");
  g_assert_nonnull (strstr (comma, "\r\n3,2026-07-04,23:05:09,2026-07-04,Cash,,2 × Beer; 1 × Water,9.50,EUR,\r\n"));
  g_assert_nonnull (strstr (comma, ",1234.56,EUR,"));

  yen = till_report_csv_amount (1500, "JPY", ",");
  g_assert_cmpstr (yen, ==, "1500");
  g_free (yen);
  yen = till_report_csv_amount (5, "EUR", ",");
  g_assert_cmpstr (yen, ==, "0,05");
  g_free (yen);
  yen = till_report_csv_amount (1234567, "KWD", ".");
  g_assert_cmpstr (yen, ==, "1234.567");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  /* The business day's tests need a zone with summer time. */
  g_setenv ("TZ", "Europe/Berlin", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("till-book-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/Till/SalesBook/record-reopen", test_record_reopen);
  g_test_add_func ("/Till/SalesBook/business-day", test_business_day);
  g_test_add_func ("/Till/SalesBook/totals-void", test_totals_and_void);
  g_test_add_func ("/Till/SalesBook/corrupt", test_corrupt);
  g_test_add_func ("/Till/SalesBook/failed-write", test_failed_write);
  g_test_add_func ("/Till/SalesBook/repair", test_repair);
  g_test_add_func ("/Till/SalesBook/csv", test_csv);
  g_test_add_func ("/Till/SalesBook/timing", test_timing);
  rc = g_test_run ();
  if (rc == 0)
    {
      /* The books and what was set aside: files only. */
      g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *file = g_build_filename (tmp_dir, name, NULL);

          g_unlink (file);
        }
      g_rmdir (tmp_dir);
    }
  return rc;
}
