/* till-host.c: the host a plugin's extensions see (the window), and the addin interface.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till.h"

G_DEFINE_INTERFACE (TillHost, till_host, G_TYPE_OBJECT)
G_DEFINE_INTERFACE (TillHostAddin, till_host_addin, G_TYPE_OBJECT)

static void
till_host_default_init (TillHostInterface *iface)
{
}

static void
till_host_addin_default_init (TillHostAddinInterface *iface)
{
  /**
   * TillHostAddin:host:
   *
   * The window the addin extends; set at construction by the app.
   */
  g_object_interface_install_property (iface,
                                       g_param_spec_object ("host", NULL, NULL, TILL_TYPE_HOST,
                                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                            G_PARAM_STATIC_STRINGS));
}

void
till_host_add_status_widget (TillHost  *self,
                             GtkWidget *widget)
{
  g_return_if_fail (TILL_IS_HOST (self));
  g_return_if_fail (GTK_IS_WIDGET (widget));
  TILL_HOST_GET_IFACE (self)->add_status_widget (self, widget);
}

void
till_host_add_merchant_page (TillHost   *self,
                             const char *id,
                             const char *title,
                             GtkWidget  *page)
{
  g_return_if_fail (TILL_IS_HOST (self));
  g_return_if_fail (GTK_IS_WIDGET (page));
  TILL_HOST_GET_IFACE (self)->add_merchant_page (self, id, title, page);
}

void
till_host_remove_widget (TillHost  *self,
                         GtkWidget *widget)
{
  g_return_if_fail (TILL_IS_HOST (self));
  TILL_HOST_GET_IFACE (self)->remove_widget (self, widget);
}

void
till_host_notify (TillHost   *self,
                  const char *message,
                  gboolean    urgent)
{
  g_return_if_fail (TILL_IS_HOST (self));
  TILL_HOST_GET_IFACE (self)->notify (self, message, urgent);
}

void
till_host_notify_review (TillHost   *self,
                         const char *title,
                         const char *body,
                         const char *review_page)
{
  g_return_if_fail (TILL_IS_HOST (self));
  g_return_if_fail (title != NULL);

  if (TILL_HOST_GET_IFACE (self)->notify_review != NULL)
    TILL_HOST_GET_IFACE (self)->notify_review (self, title, body, review_page);
  else
    TILL_HOST_GET_IFACE (self)->notify (self, title, TRUE);
}

gboolean
till_host_is_demo (TillHost *self)
{
  g_return_val_if_fail (TILL_IS_HOST (self), FALSE);
  return TILL_HOST_GET_IFACE (self)->is_demo (self);
}

const char *
till_host_get_currency (TillHost *self)
{
  g_return_val_if_fail (TILL_IS_HOST (self), NULL);
  return TILL_HOST_GET_IFACE (self)->get_currency (self);
}

GSettings *
till_host_get_settings (TillHost *self)
{
  g_return_val_if_fail (TILL_IS_HOST (self), NULL);
  return TILL_HOST_GET_IFACE (self)->get_settings (self);
}

void
till_host_addin_load (TillHostAddin *self,
                      TillHost      *host)
{
  g_return_if_fail (TILL_IS_HOST_ADDIN (self));
  if (TILL_HOST_ADDIN_GET_IFACE (self)->load)
    TILL_HOST_ADDIN_GET_IFACE (self)->load (self, host);
}

void
till_host_addin_unload (TillHostAddin *self,
                        TillHost      *host)
{
  g_return_if_fail (TILL_IS_HOST_ADDIN (self));
  if (TILL_HOST_ADDIN_GET_IFACE (self)->unload)
    TILL_HOST_ADDIN_GET_IFACE (self)->unload (self, host);
}
