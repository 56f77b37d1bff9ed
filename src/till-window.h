/* till-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till.h"
#include "till-cart.h"
#include "till-catalog.h"

G_BEGIN_DECLS

typedef struct _TillApplication TillApplication;

#define TILL_TYPE_WINDOW (till_window_get_type ())
G_DECLARE_FINAL_TYPE (TillWindow, till_window, TILL, WINDOW, AdwApplicationWindow)

TillWindow  *till_window_new         (TillApplication *app,
                                      TillCatalog     *catalog,
                                      gboolean         demo);
TillCart    *till_window_get_cart    (TillWindow      *self);
TillCatalog *till_window_get_catalog (TillWindow      *self);
void         till_window_set_kiosk   (TillWindow      *self,
                                      gboolean         kiosk);
gboolean     till_window_get_kiosk   (TillWindow      *self);
guint        till_window_get_inhibit_cookie (TillWindow *self);
/* "sell", "pay", "result", "receipt" or "merchant". */
const char  *till_window_get_page    (TillWindow      *self);

G_END_DECLS
