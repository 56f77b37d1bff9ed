/* offauth-service-sales.c: the terminal's sales for the merchant's status view, through the
 * service's one call path: the listing in slices, "retry now" and the closes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "offauth-service-private.h"
#include "offauth-service-sales.h"

/* The listing: one slice per job, the next one queued when the last one's task completes,
 * behind whatever the worker has waiting (a sale first). */

typedef struct
{
  GArray  *sales;      /* OffauthSaleInfo, what the slices read so far */
  guint64  after;      /* the last sale number read */
  guint    slice;      /* sales per slice */
  gboolean done;       /* the last slice read fewer than a slice */
} OffauthSalesListing;

static void
offauth_sales_listing_free (OffauthSalesListing *l)
{
  g_clear_pointer (&l->sales, g_array_unref);
  g_free (l);
}

static gboolean
offauth_sales_slice_run (OffauthService  *self,
                         OffauthTerminal *terminal,
                         gpointer         data,
                         GError         **error)
{
  OffauthSalesListing *l = data;
  g_autoptr(GArray) page = NULL;

  page = offauth_terminal_list_sales_after (terminal, l->after, l->slice, error);
  if (page == NULL)
    return FALSE;
  if (page->len > 0)
    {
      l->after = g_array_index (page, OffauthSaleInfo, page->len - 1).seq;
      g_array_append_vals (l->sales, page->data, page->len);
    }
  l->done = page->len < l->slice;
  return TRUE;
}

static const OffauthServiceCall slice_call = { OFFAUTH_WORKER_STATUS, offauth_sales_slice_run };

static void offauth_sales_push_slice (GTask *task);

static void
offauth_sales_slice_done_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;   /* the caller's */
  OffauthSalesListing *l = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else if (g_task_return_error_if_cancelled (task))
    ;
  else if (l->done)
    g_task_return_pointer (task, g_steal_pointer (&l->sales), (GDestroyNotify) g_array_unref);
  else
    offauth_sales_push_slice (g_steal_pointer (&task));
}

/* Takes task (the caller's). */
static void
offauth_sales_push_slice (GTask *task)
{
  OffauthService *self = g_task_get_source_object (task);
  g_autoptr(GTask) slice = g_task_new (self, g_task_get_cancellable (task),
                                       offauth_sales_slice_done_cb, task);

  g_task_set_source_tag (slice, offauth_sales_push_slice);
  /* The slice's data is the listing's: one slice at a time reads or writes it. */
  g_task_set_task_data (slice, g_task_get_task_data (task), NULL);
  _offauth_service_call (self, slice, &slice_call);
}

void
offauth_service_list_sales_async (OffauthService      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  OffauthSalesListing *l;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_list_sales_async);
  l = g_new0 (OffauthSalesListing, 1);
  l->sales = g_array_new (FALSE, TRUE, sizeof (OffauthSaleInfo));
  /* The status may be older than the listing (or not read yet): only the slice depends on it. */
  l->slice = (guint) CLAMP (offauth_service_get_status (self)->n_sales / 50, OFFAUTH_SALES_SLICE,
                            OFFAUTH_SALES_SLICE_MAX);
  g_task_set_task_data (task, l, (GDestroyNotify) offauth_sales_listing_free);
  offauth_sales_push_slice (task);
}

GArray *
offauth_service_list_sales_finish (OffauthService  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_list_sales_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Retry now, close: one journaled row each. */

typedef struct
{
  guint64          seq;
  OffauthSaleState how;
} OffauthSalesAct;

static gboolean
offauth_sales_retry_run (OffauthService  *self,
                         OffauthTerminal *terminal,
                         gpointer         data,
                         GError         **error)
{
  const OffauthSalesAct *act = data;

  return offauth_terminal_ask_retry (terminal, act->seq, error);
}

static gboolean
offauth_sales_close_run (OffauthService  *self,
                         OffauthTerminal *terminal,
                         gpointer         data,
                         GError         **error)
{
  const OffauthSalesAct *act = data;

  return offauth_terminal_close_sale (terminal, act->seq, act->how, error);
}

static const OffauthServiceCall retry_call = { OFFAUTH_WORKER_STATUS, offauth_sales_retry_run };
static const OffauthServiceCall close_call = { OFFAUTH_WORKER_STATUS, offauth_sales_close_run };

static void
offauth_sales_act (OffauthService           *self,
                   const OffauthServiceCall *call,
                   gpointer                  tag,
                   guint64                   seq,
                   OffauthSaleState          how,
                   GCancellable             *cancellable,
                   GAsyncReadyCallback       callback,
                   gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  OffauthSalesAct *act = g_new0 (OffauthSalesAct, 1);

  g_task_set_source_tag (task, tag);
  act->seq = seq;
  act->how = how;
  g_task_set_task_data (task, act, g_free);
  _offauth_service_call (self, task, call);
}

void
offauth_service_ask_retry_async (OffauthService      *self,
                                 guint64              seq,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  offauth_sales_act (self, &retry_call, offauth_service_ask_retry_async, seq, OFFAUTH_SALE_RETRY,
                     cancellable, callback, user_data);
}

gboolean
offauth_service_ask_retry_finish (OffauthService  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
offauth_service_close_sale_async (OffauthService      *self,
                                  guint64              seq,
                                  OffauthSaleState     how,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (OFFAUTH_IS_SERVICE (self));
  g_return_if_fail (how == OFFAUTH_SALE_WRITTEN_OFF || how == OFFAUTH_SALE_COLLECTED_OTHERWISE);

  offauth_sales_act (self, &close_call, offauth_service_close_sale_async, seq, how,
                     cancellable, callback, user_data);
}

gboolean
offauth_service_close_sale_finish (OffauthService  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
