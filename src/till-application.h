/* till-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_APPLICATION (till_application_get_type ())
G_DECLARE_FINAL_TYPE (TillApplication, till_application, TILL, APPLICATION, AdwApplication)

TillApplication *till_application_new           (void);
/* Adds the plugin folders (TILL_PLUGIN_PATH, then the installed one) and loads the
 * plugins the settings enable. Called once; the app works with none. */
void             till_application_load_plugins  (GSettings *settings);
gboolean         till_application_get_demo      (TillApplication *self);

G_END_DECLS
