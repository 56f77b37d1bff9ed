/* offauth-sale-item.h: one listed sale as a row object, and the list model of the rows the
 * status view shows (made on demand from the listing, so that a long listing costs no
 * object per sale).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "offauth.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_SALE_ITEM (offauth_sale_item_get_type ())
G_DECLARE_FINAL_TYPE (OffauthSaleItem, offauth_sale_item, OFFAUTH, SALE_ITEM, GObject)

/* Properties (read-only): "number" guint64; "time-text", "amount-text", "payer", "mode-text",
 * "state-text", "reason-text" (NULL when none), "next-step" (NULL when none) gchar*;
 * "needs-attention", "can-retry", "can-close" gboolean. */
OffauthSaleItem       *offauth_sale_item_new      (const OffauthSaleInfo *sale);
const OffauthSaleInfo *offauth_sale_item_get_info (OffauthSaleItem       *self);

#define OFFAUTH_TYPE_SALE_LIST (offauth_sale_list_get_type ())
G_DECLARE_FINAL_TYPE (OffauthSaleList, offauth_sale_list, OFFAUTH, SALE_LIST, GObject)

/* A GListModel of OffauthSaleItem: the sales of a listing at the given indices. */
OffauthSaleList       *offauth_sale_list_new      (void);
/* Takes a reference on sales; indices (into sales) are copied. */
void                   offauth_sale_list_set      (OffauthSaleList *self,
                                                   GArray          *sales,
                                                   const guint     *indices,
                                                   guint            n_indices);
/* The sale at position, or NULL. */
const OffauthSaleInfo *offauth_sale_list_peek     (OffauthSaleList *self,
                                                   guint            position);

G_END_DECLS
