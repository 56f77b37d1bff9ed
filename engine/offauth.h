/* offauth.h: the offline authorization engine (GLib, libsodium and SQLite; no GTK).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "money.h"
#include "offauth-crypto.h"
#include "offauth-issuer.h"
#include "offauth-online.h"
#include "offauth-reason.h"
#include "offauth-record.h"
#include "offauth-sync.h"
#include "offauth-terminal.h"
#include "offauth-wallet.h"
#include "offauth-wire.h"
