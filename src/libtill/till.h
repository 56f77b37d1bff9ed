/* till.h: the API that till's plugins use.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define TILL_INSIDE
#include "till-host.h"
#include "till-money.h"
#include "till-payment.h"
#include "till-payment-provider.h"
#include "till-payment-task.h"
#undef TILL_INSIDE
