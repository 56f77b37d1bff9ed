/* till-cart.h: the sale being rung up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-catalog.h"

G_BEGIN_DECLS

#define TILL_TYPE_CART_LINE (till_cart_line_get_type ())
G_DECLARE_FINAL_TYPE (TillCartLine, till_cart_line, TILL, CART_LINE, GObject)

TillProduct *till_cart_line_get_product  (TillCartLine *self);
guint        till_cart_line_get_quantity (TillCartLine *self);
guint64      till_cart_line_get_total    (TillCartLine *self);

#define TILL_TYPE_CART (till_cart_get_type ())
G_DECLARE_FINAL_TYPE (TillCart, till_cart, TILL, CART, GObject)

TillCart    *till_cart_new          (void);
/* A GListModel of TillCartLine, one per product, in the order they were first added. */
GListModel  *till_cart_get_lines    (TillCart    *self);
void         till_cart_add          (TillCart    *self,
                                     TillProduct *product);
/* Removes one; the line goes when its quantity reaches zero. */
void         till_cart_remove_one   (TillCart    *self,
                                     TillProduct *product);
void         till_cart_clear        (TillCart    *self);
guint64      till_cart_get_total    (TillCart    *self);
guint        till_cart_get_n_items  (TillCart    *self);

G_END_DECLS
