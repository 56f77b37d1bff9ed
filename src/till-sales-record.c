/* till-sales-record.c: writes approved payments, and sales a provider remembers, into the book.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-book"

#include "config.h"

#include <glib/gi18n.h>

#include "till-sales-record.h"

TillSalesBook *
till_sales_record_open_book (GSettings  *settings,
                             gboolean    demo,
                             gchar     **notice)
{
  g_autofree gchar *path = till_sales_book_default_path (demo);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *aside = NULL;
  TillSalesBook *book;

  book = till_sales_book_open (path, &error);
  if (book == NULL && g_error_matches (error, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_CORRUPT))
    {
      /* A damaged book is kept for support; the day goes on in a new one, and the wallet's
       * sales of the day come back from the terminal (till_sales_record_repair_async). */
      g_warning ("%s", error->message);
      g_clear_error (&error);
      aside = till_sales_book_set_aside (path, &error);
      if (aside != NULL)
        book = till_sales_book_open (path, &error);
    }
  if (book == NULL)
    {
      g_warning ("No sales book: %s", error->message);
      if (notice != NULL)
        *notice = g_strdup_printf (_("The day's sales book could not be opened: %s"),
                                   error->message);
      return NULL;
    }
  if (aside != NULL && notice != NULL)
    /* Translators: %s is the file the damaged book was moved to */
    *notice = g_strdup_printf (_("The sales book was damaged: it was kept as %s and a new one started."),
                               aside);
  if (settings != NULL)
    g_settings_bind (settings, "day-starts-at", book, "day-starts-at", G_SETTINGS_BIND_GET);
  return book;
}

TillBookSale *
till_sales_record_from_payment (TillPayment             *payment,
                                const TillPaymentResult *result,
                                const char              *method)
{
  TillBookSale *sale = till_book_sale_new ();

  g_return_val_if_fail (TILL_IS_PAYMENT (payment), NULL);
  g_return_val_if_fail (result != NULL && method != NULL, NULL);

  sale->method = g_strdup (method);
  sale->method_name = g_strdup (result->method && *result->method ? result->method : method);
  sale->mode = (gint) result->mode;
  sale->amount = till_payment_get_amount (payment);
  sale->currency = g_strdup (till_payment_get_currency (payment));
  sale->provider_ref = g_strdup (result->provider_ref);
  sale->reference = g_strdup (result->reference);
  for (guint i = 0; i < till_payment_get_n_lines (payment); i++)
    {
      const char *name, *category;
      guint quantity;
      guint64 amount;

      till_payment_get_line (payment, i, &name, &category, &quantity, &amount);
      /* A payment carries each line's total; the unit price is what one of them cost. */
      till_book_sale_add_line (sale, name, category, quantity,
                               quantity ? amount / quantity : amount, amount);
    }
  return sale;
}

gboolean
till_sales_record_payment (TillSalesBook            *book,
                           TillPayment              *payment,
                           const TillPaymentResult  *result,
                           const char               *method,
                           GError                  **error)
{
  g_autoptr(TillBookSale) sale = NULL;
  g_autoptr(GError) local = NULL;

  if (book == NULL)
    g_set_error_literal (&local, TILL_SALES_BOOK_ERROR, TILL_SALES_BOOK_ERROR_STORAGE,
                         _("The sales book is not open."));
  else
    {
      sale = till_sales_record_from_payment (payment, result, method);
      till_sales_book_record (book, sale, &local);
    }
  if (local == NULL)
    return TRUE;
  g_warning ("An approved %s sale of %" G_GUINT64_FORMAT " %s (%s) is not in the sales book: %s",
             method, till_payment_get_amount (payment), till_payment_get_currency (payment),
             result->provider_ref ? result->provider_ref : "no reference", local->message);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* Repair */

typedef struct
{
  GPtrArray *providers;   /* those that can list their sales */
  guint      next;
  gint64     since;
  gint64     until;
  guint      added;
} Repair;

static void
repair_free (Repair *repair)
{
  g_ptr_array_unref (repair->providers);
  g_free (repair);
}

static void repair_next (GTask *task);

static gboolean
repair_record (TillSalesBook            *book,
               TillPaymentProvider      *provider,
               const TillProviderSale   *found,
               guint                    *added,
               GError                  **error)
{
  const char *method = till_payment_provider_get_id (provider);
  g_autoptr(TillBookSale) sale = NULL;
  gboolean known;

  if (found->provider_ref == NULL || found->currency == NULL)
    return TRUE;
  if (!till_sales_book_has_reference (book, method, found->provider_ref, &known, error))
    return FALSE;
  if (known)
    return TRUE;
  sale = till_book_sale_new ();
  sale->time = found->time;
  sale->method = g_strdup (method);
  sale->method_name = g_strdup (till_payment_provider_get_name (provider));
  sale->mode = (gint) found->mode;
  sale->amount = found->amount;
  sale->currency = g_strdup (found->currency);
  sale->provider_ref = g_strdup (found->provider_ref);
  sale->reference = g_strdup (found->reference);
  sale->repaired = TRUE;
  /* The provider knows the amount, not what was sold. */
  till_book_sale_add_line (sale, _("Not itemised (recorded from the payment terminal)"), NULL, 1,
                           found->amount, found->amount);
  if (!till_sales_book_record (book, sale, error))
    return FALSE;
  g_message ("Sales book repaired: %s sale %s of %" G_GUINT64_FORMAT " %s added", method,
             found->provider_ref, found->amount, found->currency);
  (*added)++;
  return TRUE;
}

static void
repair_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Repair *repair = g_task_get_task_data (task);
  TillSalesBook *book = g_task_get_source_object (task);
  TillPaymentProvider *provider = TILL_PAYMENT_PROVIDER (source);
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GError) error = NULL;

  sales = till_payment_provider_list_sales_finish (provider, result, &error);
  if (sales == NULL)
    {
      /* One provider that cannot answer (its terminal did not open: it says why itself)
       * does not stop the rest; the next start tries again. */
      g_message ("The sales book could not be checked against %s: %s",
                 till_payment_provider_get_id (provider), error->message);
      repair_next (g_steal_pointer (&task));
      return;
    }
  for (guint i = 0; i < sales->len; i++)
    if (!repair_record (book, provider, sales->pdata[i], &repair->added, &error))
      {
        g_task_return_error (task, g_steal_pointer (&error));
        return;
      }
  repair_next (g_steal_pointer (&task));
}

static void
repair_next (GTask *task)
{
  Repair *repair = g_task_get_task_data (task);
  TillPaymentProvider *provider;

  if (repair->next >= repair->providers->len)
    {
      g_task_return_int (task, repair->added);
      g_object_unref (task);
      return;
    }
  provider = repair->providers->pdata[repair->next++];
  till_payment_provider_list_sales_async (provider, repair->since, repair->until,
                                          g_task_get_cancellable (task), repair_listed_cb, task);
}

void
till_sales_record_repair_async (TillSalesBook       *book,
                                GPtrArray           *providers,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  Repair *repair;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *today = NULL;
  gint64 day_start, day_end;

  g_return_if_fail (TILL_IS_SALES_BOOK (book));
  g_return_if_fail (providers != NULL);

  task = g_task_new (book, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_sales_record_repair_async);
  repair = g_new0 (Repair, 1);
  repair->providers = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < providers->len; i++)
    if (till_payment_provider_can_list_sales (providers->pdata[i]))
      g_ptr_array_add (repair->providers, g_object_ref (providers->pdata[i]));
  /* Since the book began; a book started today (a first start, or a damaged book set
   * aside) takes the whole business day, so that today's report is whole. */
  repair->since = till_sales_book_get_created (book);
  today = till_sales_book_business_day (book, now);
  if (till_sales_book_day_bounds (book, today, &day_start, &day_end))
    repair->since = MIN (repair->since, day_start);
  repair->until = G_MAXINT64;
  g_task_set_task_data (task, repair, (GDestroyNotify) repair_free);
  repair_next (task);
}

guint
till_sales_record_repair_finish (TillSalesBook  *book,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  gssize added;

  g_return_val_if_fail (g_task_is_valid (result, book), 0);

  added = g_task_propagate_int (G_TASK (result), error);
  return added < 0 ? 0 : (guint) added;
}
