/* offauth-settings.c: the plugin's settings, and the move of the key the app's schema held.
 *
 * The plugin has its own schema, io.github.tillpos.Till.plugins.offauth (terminal-db now;
 * the acquirer's address, upload intervals and timeouts join it). A kiosk that set the
 * app's old terminal-db key keeps its database: the value moves once to the plugin's key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include "offauth-settings.h"

void
offauth_settings_migrate (GSettings *host_settings,
                          GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GVariant) old = NULL;
  g_autoptr(GVariant) old_default = NULL;
  g_autoptr(GVariant) mine = NULL;

  if (host_settings == NULL || settings == NULL)
    return;
  g_object_get (host_settings, "settings-schema", &schema, NULL);
  if (!g_settings_schema_has_key (schema, "terminal-db"))
    return;
  old = g_settings_get_user_value (host_settings, "terminal-db");
  if (old == NULL)
    return;
  /* The kiosk keeps its database: a value set on the app's key, moved once to the plugin's
   * unless that one was set since; the app's key then goes back to its default. */
  old_default = g_settings_get_default_value (host_settings, "terminal-db");
  mine = g_settings_get_user_value (settings, "terminal-db");
  if (mine == NULL && !g_variant_equal (old, old_default))
    g_settings_set_value (settings, "terminal-db", old);
  g_settings_reset (host_settings, "terminal-db");
}

GSettings *
offauth_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, OFFAUTH_SETTINGS_SCHEMA_ID, TRUE);
  if (schema == NULL)
    {
      g_warning ("The settings schema %s is not installed: the offline terminal uses its defaults",
                 OFFAUTH_SETTINGS_SCHEMA_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}
