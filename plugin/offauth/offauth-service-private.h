/* offauth-service-private.h: the service for its tests, and its settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_SETTINGS_SCHEMA_ID "io.github.tillpos.Till.plugins.offauth"

/* A service of its own, not the process's one: host_settings is the app's GSettings and
 * settings the plugin's (either may be NULL: no migration, the default database). */
OffauthService *_offauth_service_new              (GSettings *host_settings,
                                                   GSettings *settings,
                                                   gboolean   demo);
/* Moves a terminal-db the app's schema still holds into the plugin's, once. */
void            _offauth_service_migrate_settings (GSettings *host_settings,
                                                   GSettings *settings);

G_END_DECLS
