/* ui-helpers.h: the real window driven as a cashier or a merchant would, for the UI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-application.h"
#include "till-window.h"

G_BEGIN_DECLS

/* The test's application and window; make_window() makes the window from window_catalog
 * and window_demo, as the app does at start (TILL_TEST_SIZE=WxH: another size). */
extern TillApplication *app;
extern TillWindow      *window;
extern TillCatalog     *window_catalog;
extern gboolean         window_demo;

void         make_window        (void);

/* Runs the main loop for ms. */
void         spin               (guint ms);
/* Waits (at most 20 s) until the window shows page; returns how long it took, in ms. */
double       wait_page          (const char *page);
GtkWidget   *child              (const char *name);
const char  *label              (const char *name);
/* Emits "clicked" on a sensitive, mapped button. */
void         click              (GtkWidget  *button);
/* The first widget under root of type, with css_class and name (each NULL: any). */
GtkWidget   *find               (GtkWidget  *root,
                                 GType       type,
                                 const char *css_class,
                                 const char *name);
/* The first widget under root (depth first) that match accepts. */
typedef gboolean (*UiWidgetMatch) (GtkWidget *widget, gconstpointer data);
GtkWidget   *find_first         (GtkWidget     *root,
                                 UiWidgetMatch  match,
                                 gconstpointer  data);
void         add_product        (const char *name);
/* Saves the window as TILL_SCREENSHOT_DIR/NAME-WxH.png when that is set. */
void         screenshot         (const char *name);

/* Pay, then the method's button. */
void         choose_method      (const char *id);
GtkEntry    *scan_entry         (void);
void         scan               (GtkEntry   *entry,
                                 const char *code);
/* Taps "Simulate payer"; returns the code that went in. */
gchar       *simulate_payer     (GtkEntry   *entry);
void         back_to_sell       (void);

GtkWidget   *status_pill_button (void);
const char  *status_pill        (void);
void         wait_status        (const char *fragment);
void         wait_status_for    (const char *fragment,
                                 guint       seconds);

/* The merchant area: the PIN pad, the area, back to sales. */
const char  *merchant_page      (void);
gboolean     type_pin           (const char *pin);
void         open_merchant      (void);
void         lock_merchant      (void);
GtkWidget   *report_child       (const char *name);
void         open_today         (void);

G_END_DECLS
