/* offauth-service-sales.h: the sales of the terminal for the merchant's status view: the
 * listing, "retry now" and the closes, each through the service's worker.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "offauth-service.h"

G_BEGIN_DECLS

/* How many sales one slice of the listing reads: one STATUS job each, so that a sale waits
 * for one slice at most, never for the whole listing. A slice is 1/50 of the terminal's sales,
 * at least OFFAUTH_SALES_SLICE (about 5 ms) and at most OFFAUTH_SALES_SLICE_MAX (about 14 ms):
 * the status read after each slice is the quick one (no table counts), so a million sales go
 * in 200 slices. */
#define OFFAUTH_SALES_SLICE     2000
#define OFFAUTH_SALES_SLICE_MAX 5000

/* STATUS, in slices (above) that queue themselves again (through the
 * main loop) until the last sale: every sale, in sale-number order. Each slice reads its
 * sales as they are then; a sale whose state changes between two slices is listed as it was
 * when its slice ran (the view lists again on the next change of the journal). */
void      offauth_service_list_sales_async   (OffauthService       *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* An array of OffauthSaleInfo, or NULL with error. */
GArray   *offauth_service_list_sales_finish  (OffauthService       *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* STATUS: asks a retry of a sale declined for insufficient funds on the next sync
 * (journaled until an answer carrying it is accepted). */
void      offauth_service_ask_retry_async    (OffauthService       *self,
                                              guint64               seq,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean  offauth_service_ask_retry_finish   (OffauthService       *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* STATUS: closes a late-declined sale (a kind-8 row): how is OFFAUTH_SALE_WRITTEN_OFF or
 * OFFAUTH_SALE_COLLECTED_OTHERWISE. A sale still retrying shows "closing" until the
 * acquirer's withdrawn comes back with the next sync. */
void      offauth_service_close_sale_async   (OffauthService       *self,
                                              guint64               seq,
                                              OffauthSaleState      how,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean  offauth_service_close_sale_finish  (OffauthService       *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
