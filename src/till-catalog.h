/* till-catalog.h: the products a stall sells, from a key file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TILL_TYPE_PRODUCT (till_product_get_type ())
G_DECLARE_FINAL_TYPE (TillProduct, till_product, TILL, PRODUCT, GObject)

const char  *till_product_get_id       (TillProduct *self);
const char  *till_product_get_name     (TillProduct *self);
guint64      till_product_get_price    (TillProduct *self);
const char  *till_product_get_category (TillProduct *self);
const char  *till_product_get_color    (TillProduct *self);

#define TILL_TYPE_CATALOG (till_catalog_get_type ())
G_DECLARE_FINAL_TYPE (TillCatalog, till_catalog, TILL, CATALOG, GObject)

TillCatalog *till_catalog_new_from_file       (const char   *path,
                                               GError      **error);
TillCatalog *till_catalog_new_from_resource   (const char   *resource,
                                               GError      **error);
const char  *till_catalog_get_name            (TillCatalog  *self);
const char  *till_catalog_get_currency        (TillCatalog  *self);
/* A GListModel of TillProduct, in the catalog's order. */
GListModel  *till_catalog_get_products        (TillCatalog  *self);
const char  *till_catalog_get_category_name   (TillCatalog  *self,
                                               const char   *category);

G_END_DECLS
