/* offauth-result.h: a terminal's decision as the result screen and the receipt show it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <till.h>

#include "offauth.h"

G_BEGIN_DECLS

/* A payment that was not made: why, what to do next, and the reason code for support.
 * detail (may be NULL) is the small print after the code. */
TillPaymentResult *offauth_result_new_refusal       (OffauthReason          reason,
                                                     const char            *detail);
/* The decision on a scanned code: approved (new or already recorded) or refused. */
TillPaymentResult *offauth_result_new_from_decision (const OffauthDecision *decision);

G_END_DECLS
