/* fake-provider.h: a payment provider that remembers the sales it is given (list_sales only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

G_BEGIN_DECLS

#define FAKE_TYPE_PROVIDER (fake_provider_get_type ())
G_DECLARE_FINAL_TYPE (FakeProvider, fake_provider, FAKE, PROVIDER, GObject)

/* id "offauth", name "Wallet", as the wallet's provider. */
FakeProvider *fake_provider_new      (void);
void          fake_provider_add_sale (FakeProvider   *self,
                                      const char     *provider_ref,
                                      gint64          time,
                                      guint64         amount,
                                      TillSettlement  settlement,
                                      const char     *state_name);

G_END_DECLS
