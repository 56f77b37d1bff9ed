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

/* The process's one service, configured from the host (its settings, demo or not). */
static inline OffauthService *
offauth_plugin_service (TillHost *host)
{
  return offauth_service_get (host ? till_host_get_settings (host) : NULL,
                              host ? till_host_is_demo (host) : FALSE);
}

G_END_DECLS
