/* offauth-provider.h: the wallet as a payment method of the till.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

G_BEGIN_DECLS

#define OFFAUTH_TYPE_PROVIDER (offauth_provider_get_type ())
G_DECLARE_FINAL_TYPE (OffauthProvider, offauth_provider, OFFAUTH, PROVIDER, GObject)

G_END_DECLS
