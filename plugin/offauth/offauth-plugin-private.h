/* offauth-plugin-private.h: what the plugin's files share: the resource path and the one
 * service of the host.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_RESOURCE_PATH "/io/github/tillpos/Till/plugins/offauth"

/* The process's one service, configured from the host (its settings, demo or not). It
 * starts opening the terminal on its worker (state STARTING). */
static inline OffauthService *
offauth_plugin_service (TillHost *host)
{
  return offauth_service_get (host ? till_host_get_settings (host) : NULL,
                              host ? till_host_is_demo (host) : FALSE);
}

/* Calls callback (object first, as G_CONNECT_SWAPPED) whenever the service's state or status
 * changes, for as long as object lives. Both are notified on the main thread. */
static inline void
offauth_plugin_watch_service (OffauthService *service,
                              GCallback       callback,
                              gpointer        object)
{
  g_signal_connect_object (service, "notify::state", callback, object, G_CONNECT_SWAPPED);
  g_signal_connect_object (service, "notify::status", callback, object, G_CONNECT_SWAPPED);
}

G_END_DECLS
