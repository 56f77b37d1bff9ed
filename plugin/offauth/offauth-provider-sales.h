/* offauth-provider-sales.h: the wallet's approved sales for the app's sales book.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

/* The terminal's sales with a time in [since, until) as TillProviderSale, each with its
 * settlement state; listed on the worker at background priority. `source` is the provider
 * (the task's source object). */
void       offauth_provider_sales_list_async  (GObject              *source,
                                               OffauthService       *service,
                                               gint64                since,
                                               gint64                until,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
GPtrArray *offauth_provider_sales_list_finish (GAsyncResult         *result,
                                               GError              **error);

G_END_DECLS
