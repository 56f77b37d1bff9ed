/* offauth-provider-sales.c: lists the terminal's sales for the app's sales book (repair at
 * start, the wallet's states in the end-of-day report), through the service's one call path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n-lib.h>

#include "offauth-provider-sales.h"
#include "offauth-service-sales.h"
#include "offauth-sync.h"

typedef struct
{
  gint64     since;
  gint64     until;
  GPtrArray *sales;   /* TillProviderSale */
} ListSales;

static void
list_sales_free (ListSales *list)
{
  g_clear_pointer (&list->sales, g_ptr_array_unref);
  g_free (list);
}

/* The terminal's states in the app's coarser terms, with the merchant's word for each. */
static TillSettlement
offauth_provider_sales_settlement (OffauthSaleState  state,
                                   const char      **name)
{
  switch (state)
    {
    case OFFAUTH_SALE_WAITING:
      *name = C_("sale state", "Waiting");
      return TILL_SETTLEMENT_PENDING;
    case OFFAUTH_SALE_UPLOADING:
      *name = C_("sale state", "Uploading");
      return TILL_SETTLEMENT_PENDING;
    case OFFAUTH_SALE_SETTLED:
      *name = C_("sale state", "Settled");
      return TILL_SETTLEMENT_SETTLED;
    case OFFAUTH_SALE_DECLINED:
      *name = C_("sale state", "Declined late");
      return TILL_SETTLEMENT_DECLINED;
    case OFFAUTH_SALE_RETRY:
      *name = C_("sale state", "Retry scheduled");
      return TILL_SETTLEMENT_DECLINED;
    case OFFAUTH_SALE_CLOSING:
      *name = C_("sale state", "Closing");
      return TILL_SETTLEMENT_DECLINED;
    case OFFAUTH_SALE_WRITTEN_OFF:
      *name = C_("sale state", "Written off");
      return TILL_SETTLEMENT_WRITTEN_OFF;
    case OFFAUTH_SALE_COLLECTED_OTHERWISE:
      *name = C_("sale state", "Collected otherwise");
      return TILL_SETTLEMENT_COLLECTED_OTHERWISE;
    default:
      *name = NULL;
      return TILL_SETTLEMENT_UNKNOWN;
    }
}

/* On the main thread: the listing's sales of the time asked, as the app's rows. */
static void
offauth_provider_sales_listed_cb (GObject      *source,
                                  GAsyncResult *result,
                                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListSales *list = g_task_get_task_data (task);
  g_autoptr(GArray) infos = NULL;
  GError *error = NULL;

  infos = offauth_service_list_sales_finish (OFFAUTH_SERVICE (source), result, &error);
  if (infos == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  list->sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_provider_sale_free);
  for (guint i = 0; i < infos->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (infos, OffauthSaleInfo, i);
      TillProviderSale *sale;
      const char *name;

      if ((gint64) info->time < list->since || (gint64) info->time >= list->until)
        continue;
      sale = till_provider_sale_new ();
      sale->provider_ref = g_strdup_printf ("%" PRIu64, info->seq);
      /* Translators: the sale number on the result screen and receipt */
      sale->reference = g_strdup_printf (_("Sale %" PRIu64), info->seq);
      sale->time = (gint64) info->time;
      sale->amount = info->amount;
      sale->currency = g_strndup (info->currency, 3);
      sale->mode = info->mode == OFFAUTH_MODE_ONLINE ? TILL_PAYMENT_MODE_ONLINE
                                                     : TILL_PAYMENT_MODE_OFFLINE;
      sale->settlement = offauth_provider_sales_settlement (info->state, &name);
      sale->state_name = g_strdup (name);
      g_ptr_array_add (list->sales, sale);
    }
  g_task_return_pointer (task, g_steal_pointer (&list->sales), (GDestroyNotify) g_ptr_array_unref);
}

/* The status view's listing: in slices on the worker, so that a sale at start-up waits for
 * one slice at most, never for a million sales. */
void
offauth_provider_sales_list_async (GObject             *source,
                                   OffauthService      *service,
                                   gint64               since,
                                   gint64               until,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task = g_task_new (source, cancellable, callback, user_data);
  ListSales *list = g_new0 (ListSales, 1);

  g_task_set_source_tag (task, offauth_provider_sales_list_async);
  list->since = since;
  list->until = until;
  g_task_set_task_data (task, list, (GDestroyNotify) list_sales_free);
  offauth_service_list_sales_async (service, cancellable, offauth_provider_sales_listed_cb, task);
}

GPtrArray *
offauth_provider_sales_list_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_provider_sales_list_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
