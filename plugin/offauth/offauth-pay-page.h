/* offauth-pay-page.h: the screen of one wallet payment: the request as a QR code, the scan
 * entry for the payer's code, and the decision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <till.h>

#include "offauth-service.h"

G_BEGIN_DECLS

#define OFFAUTH_TYPE_PAY_PAGE (offauth_pay_page_get_type ())
G_DECLARE_FINAL_TYPE (OffauthPayPage, offauth_pay_page, OFFAUTH, PAY_PAGE, GtkBox)

/* The page completes task once, with a TillPaymentResult or as cancelled, and holds it
 * until then. */
GtkWidget  *offauth_pay_page_new         (OffauthService  *service,
                                          TillPaymentTask *task);
/* Asks the terminal for a request; the page presents itself through the payment once it
 * has one, or completes the task with the terminal's refusal. */
void        offauth_pay_page_start       (OffauthPayPage  *self);
/* The request the QR code shows, as text; NULL until the terminal made it. */
const char *offauth_pay_page_get_request (OffauthPayPage  *self);

G_END_DECLS
