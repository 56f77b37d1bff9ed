/* offauth-addin.h: what the plugin adds to the host's window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

G_BEGIN_DECLS

#define OFFAUTH_TYPE_ADDIN (offauth_addin_get_type ())
G_DECLARE_FINAL_TYPE (OffauthAddin, offauth_addin, OFFAUTH, ADDIN, GObject)

G_END_DECLS
