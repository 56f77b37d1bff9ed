/* offauth-status-pill.h: the header's status pill (can I sell, how much waits) and its
 * money-at-risk popover.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_STATUS_PILL (offauth_status_pill_get_type ())
G_DECLARE_FINAL_TYPE (OffauthStatusPill, offauth_status_pill, OFFAUTH, STATUS_PILL, AdwBin)

/* Follows the service's status; amounts in the host's currency. */
GtkWidget *offauth_status_pill_new (OffauthService *service,
                                    TillHost       *host);

G_END_DECLS
