/* offauth-terminal-page.h: the merchant's page about the offline terminal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_TERMINAL_PAGE (offauth_terminal_page_get_type ())
G_DECLARE_FINAL_TYPE (OffauthTerminalPage, offauth_terminal_page, OFFAUTH, TERMINAL_PAGE,
                      AdwPreferencesPage)

/* Follows the service's status; amounts in the host's currency, errors as its notices. */
GtkWidget *offauth_terminal_page_new (OffauthService *service,
                                      TillHost       *host);

G_END_DECLS
