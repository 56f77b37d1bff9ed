/* till-sell-layout.h: the sell page's arrangement, by the width it gets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Below this width the cart goes under the product grid. */
#define TILL_SELL_LAYOUT_NARROW 900

#define TILL_TYPE_SELL_LAYOUT (till_sell_layout_get_type ())
G_DECLARE_FINAL_TYPE (TillSellLayout, till_sell_layout, TILL, SELL_LAYOUT, GtkWidget)

gboolean till_sell_layout_get_narrow (TillSellLayout *self);

G_END_DECLS
