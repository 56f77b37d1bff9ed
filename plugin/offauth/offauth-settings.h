/* offauth-settings.h: the plugin's settings, and the move of the key the app's schema held.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define OFFAUTH_SETTINGS_SCHEMA_ID "io.github.tillpos.Till.plugins.offauth"

/* The plugin's settings, or NULL (with a warning) when its schema is not installed. */
GSettings *offauth_settings_new     (void);
/* Moves a terminal-db the app's schema still holds into the plugin's, once: the plugin's
 * key takes it unless it was set since, and the app's key goes back to its default. */
void       offauth_settings_migrate (GSettings *host_settings,
                                     GSettings *settings);

G_END_DECLS
