/* offauth-demo-page.h: the merchant's "Demo" page: network down and back, a top-up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_DEMO_PAGE (offauth_demo_page_get_type ())
G_DECLARE_FINAL_TYPE (OffauthDemoPage, offauth_demo_page, OFFAUTH, DEMO_PAGE, AdwPreferencesPage)

/* Only for a demo service. Its notices go to the host. */
GtkWidget *offauth_demo_page_new (OffauthService *service,
                                  TillHost       *host);

G_END_DECLS
