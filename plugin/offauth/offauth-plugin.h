/* offauth-plugin.h: the offline-authorization plugin's types.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth.h"
#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_PROVIDER (offauth_provider_get_type ())
G_DECLARE_FINAL_TYPE (OffauthProvider, offauth_provider, OFFAUTH, PROVIDER, GObject)

#define OFFAUTH_TYPE_ADDIN (offauth_addin_get_type ())
G_DECLARE_FINAL_TYPE (OffauthAddin, offauth_addin, OFFAUTH, ADDIN, GObject)

OffauthService *offauth_plugin_service (TillHost   *host);
GdkTexture     *offauth_qr_texture     (const char *text,
                                        int         module_px);
/* "3 h 5 min", "2 d 4 h", "40 s" */
gchar          *offauth_format_duration (gint64     seconds);

G_END_DECLS
