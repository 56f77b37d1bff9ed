/* offauth-pairing-page.h: the merchant's page about the acquirer this kiosk uploads to:
 * which one is pinned, the last sync, and pinning a new one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth-service.h"
#include "offauth-uploader.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_PAIRING_PAGE (offauth_pairing_page_get_type ())
G_DECLARE_FINAL_TYPE (OffauthPairingPage, offauth_pairing_page, OFFAUTH, PAIRING_PAGE,
                      AdwPreferencesPage)

GtkWidget *offauth_pairing_page_new (OffauthService  *service,
                                     OffauthUploader *uploader);

G_END_DECLS
