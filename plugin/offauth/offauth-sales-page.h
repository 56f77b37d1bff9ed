/* offauth-sales-page.h: the merchant's status view of every wallet sale.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_SALES_PAGE (offauth_sales_page_get_type ())
G_DECLARE_FINAL_TYPE (OffauthSalesPage, offauth_sales_page, OFFAUTH, SALES_PAGE, GtkBox)

/* Lists the service's sales while shown, again whenever the journal changes; host (may be
 * NULL) gets the page's notices. */
GtkWidget *offauth_sales_page_new (OffauthService *service,
                                   TillHost       *host);

/* For the tests: the shown rows (a GListModel of OffauthSaleItem), the filters, the totals'
 * texts joined by newlines, and whether a listing runs. The state filter's positions: 0 all,
 * 1 needs attention, then 2 + OffauthSaleShown. */
GListModel  *offauth_sales_page_get_shown        (OffauthSalesPage *self);
GtkDropDown *offauth_sales_page_get_state_filter (OffauthSalesPage *self);
GtkDropDown *offauth_sales_page_get_day_filter   (OffauthSalesPage *self);
gchar       *offauth_sales_page_get_totals_text  (OffauthSalesPage *self);
gboolean     offauth_sales_page_is_listing       (OffauthSalesPage *self);

G_END_DECLS
