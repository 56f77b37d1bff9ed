/* offauth-online.h: online authorization at the terminal: the online request (O) for a
 * payment the offline decision refused only for a reason the spec lets go online, and the
 * acquirer's decision (D) applied, exactly as ../shared/PROTOCOL.md, "Online authorization",
 * says.
 *
 * The engine does no network I/O: it builds O's text and checks and applies D's text; a
 * client (net/) carries them, and measures the time D took with a monotonic clock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-terminal.h"

G_BEGIN_DECLS

/* The online request for this payment: only when an acquirer is pinned and the offline
 * decision (offauth_terminal_authorize on the same payment and lines) refused it only for
 * over_payment_limit, over_offline_count, over_offline_total, revocation_stale or
 * over_floor_limit, every earlier check passed; the checks run again here and must give
 * the same answer. The text of O, signed over TAG || the pinned acquirer's key id || body;
 * NULL with OFFAUTH_ERROR_STATE otherwise. */
gchar    *offauth_terminal_online_request (OffauthTerminal       *terminal,
                                           const char            *payment_text,
                                           gssize                 text_len,
                                           const OffauthSaleLine *lines,
                                           gsize                  n_lines,
                                           const OffauthDecision *offline,
                                           GError               **error);

/* Applies the acquirer's decision to the online request sent (its text, as returned
 * above), elapsed_ms after it was sent. D is discarded (FALSE, and the offline decision
 * stands) unless its signature verifies under the pinned acquirer key, its terminal_id,
 * sale id and amount are the request's, (result, reason) is (1, 0) or (2, one of 1-6, 8,
 * 11, 12), and elapsed_ms is within the online timeout (the setting online_timeout).
 * Otherwise TRUE and decision is the one to show: an approval is journaled at once (a
 * kind-1 record with mode 1 and D; the sale settled until its verdict arrives) and shown
 * only once committed, with the offline path's outcomes when the commit fails or the
 * payment no longer passes checks 1-7; a decline has approved FALSE, reason the offline
 * refusal's, declined_online TRUE and online_reason the acquirer's reason. D's
 * acquirer_time moves neither the time floor nor the clock state. */
gboolean  offauth_terminal_online_apply   (OffauthTerminal       *terminal,
                                           const char            *request_text,
                                           const char            *decision_text,
                                           gssize                 decision_len,
                                           guint64                elapsed_ms,
                                           OffauthDecision       *decision,
                                           GError               **error);

/* The online timeout in milliseconds (the setting, or its default of 3000). */
guint64   offauth_terminal_online_timeout (OffauthTerminal       *terminal);

G_END_DECLS
