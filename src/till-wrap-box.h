/* till-wrap-box.h: children in one row when they fit, else one under the other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TILL_TYPE_WRAP_BOX (till_wrap_box_get_type ())
G_DECLARE_FINAL_TYPE (TillWrapBox, till_wrap_box, TILL, WRAP_BOX, GtkWidget)

gboolean till_wrap_box_get_wrapped (TillWrapBox *self);

G_END_DECLS
