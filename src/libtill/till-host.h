/* till-host.h: what the app's window offers to plugins, and the addin interface a plugin
 * implements to use it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (TILL_INSIDE) && !defined (TILL_COMPILATION)
# error "Only <till.h> can be included directly."
#endif

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TILL_TYPE_HOST (till_host_get_type ())
G_DECLARE_INTERFACE (TillHost, till_host, TILL, HOST, GObject)

struct _TillHostInterface
{
  GTypeInterface parent_iface;

  /* A widget in the header bar, always visible (the status pill). */
  void       (*add_status_widget)  (TillHost    *self,
                                    GtkWidget   *widget);
  /* A page in the merchant area (behind the PIN). */
  void       (*add_merchant_page)  (TillHost    *self,
                                    const char  *id,
                                    const char  *title,
                                    GtkWidget   *page);
  void       (*remove_widget)      (TillHost    *self,
                                    GtkWidget   *widget);
  /* A short message on screen; also a desktop notification when urgent. */
  void       (*notify)             (TillHost    *self,
                                    const char  *message,
                                    gboolean     urgent);
  /* News the merchant acts on: a toast and a desktop notification, each with a "Review"
   * button opening the merchant page review_page (behind the PIN) when it is not NULL. */
  void       (*notify_review)      (TillHost    *self,
                                    const char  *title,
                                    const char  *body,
                                    const char  *review_page);
  gboolean   (*is_demo)            (TillHost    *self);
  /* The currency the shop sells in (ISO 4217), for amounts without a sale. */
  const char*(*get_currency)       (TillHost    *self);
  GSettings *(*get_settings)       (TillHost    *self);
};

void       till_host_add_status_widget (TillHost   *self,
                                        GtkWidget  *widget);
void       till_host_add_merchant_page (TillHost   *self,
                                        const char *id,
                                        const char *title,
                                        GtkWidget  *page);
void       till_host_remove_widget     (TillHost   *self,
                                        GtkWidget  *widget);
void       till_host_notify            (TillHost   *self,
                                        const char *message,
                                        gboolean    urgent);
void       till_host_notify_review     (TillHost   *self,
                                        const char *title,
                                        const char *body,
                                        const char *review_page);
gboolean   till_host_is_demo           (TillHost   *self);
const char *till_host_get_currency     (TillHost   *self);
GSettings *till_host_get_settings      (TillHost   *self);

#define TILL_TYPE_HOST_ADDIN (till_host_addin_get_type ())
G_DECLARE_INTERFACE (TillHostAddin, till_host_addin, TILL, HOST_ADDIN, GObject)

/* Addins are created with their "host" property set to the window, then loaded. */
struct _TillHostAddinInterface
{
  GTypeInterface parent_iface;

  void (*load)   (TillHostAddin *self,
                  TillHost      *host);
  void (*unload) (TillHostAddin *self,
                  TillHost      *host);
};

void till_host_addin_load   (TillHostAddin *self,
                             TillHost      *host);
void till_host_addin_unload (TillHostAddin *self,
                             TillHost      *host);

G_END_DECLS
