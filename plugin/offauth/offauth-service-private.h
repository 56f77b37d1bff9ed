/* offauth-service-private.h: a service of its own, for the tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "offauth-service.h"

G_BEGIN_DECLS

/* A service of its own, not the process's one: host_settings is the app's GSettings and
 * settings the plugin's (either may be NULL: no migration, the default database). */
OffauthService *_offauth_service_new (GSettings *host_settings,
                                      GSettings *settings,
                                      gboolean   demo);

G_END_DECLS
