/* offauth-plugin.c: registers the plugin's extensions with libpeas.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <libpeas/peas.h>
#include <till.h>

#include "offauth-addin.h"
#include "offauth-provider.h"

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  peas_object_module_register_extension_type (module, TILL_TYPE_PAYMENT_PROVIDER,
                                              OFFAUTH_TYPE_PROVIDER);
  peas_object_module_register_extension_type (module, TILL_TYPE_HOST_ADDIN,
                                              OFFAUTH_TYPE_ADDIN);
}
