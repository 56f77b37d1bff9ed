/* offauth-testing-private.h: hooks for tests, test vectors, fuzzers and the benchmark only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "offauth-terminal.h"

G_BEGIN_DECLS

sqlite3 *_offauth_terminal_get_db              (OffauthTerminal *terminal);
/* Issues a request with a given challenge, so that test vectors are deterministic. */
gchar   *_offauth_terminal_create_request_with (OffauthTerminal *terminal,
                                                guint64          amount,
                                                const char      *currency,
                                                const guint8     challenge[OFFAUTH_CHALLENGE_SIZE],
                                                OffauthReason   *reason,
                                                GError         **error);
/* Enrolls with a given terminal key seed (deterministic test vectors). */
gboolean _offauth_terminal_enroll_with_seed    (OffauthTerminal *terminal,
                                                const guint8     seed[OFFAUTH_SEED_SIZE],
                                                const char      *bundle_text,
                                                const char      *merchant_id,
                                                const char      *root_fingerprint,
                                                const OffauthTerminalConfig *config,
                                                GError         **error);
/* Stores n queued sales without a decision, in batches (benchmark fill only). */
gboolean _offauth_terminal_fill_settled        (OffauthTerminal *terminal,
                                                guint64          n,
                                                GError         **error);

/* The journal's chain step (offauth-journal.c), for tests that forge a row. */
void     _offauth_chain_hash                   (guint8           out[OFFAUTH_HASH_SIZE],
                                                guint64          seq,
                                                const guint8     prev[OFFAUTH_HASH_SIZE],
                                                const guint8    *record,
                                                gsize            len);

G_END_DECLS
