/* offauth-demo.h: the demo's issuer, enrolled terminal and payer, in one folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct _OffauthDemo OffauthDemo;

/* The demo in dir (TILL_DEMO_DIR, or $XDG_DATA_HOME/till/demo when NULL). Nothing is read
 * or written until offauth_demo_open(). */
OffauthDemo     *offauth_demo_new         (const char   *dir);
void             offauth_demo_free        (OffauthDemo  *demo);
const char      *offauth_demo_get_db_path (OffauthDemo  *demo);
/* Blocking, for the worker: creates what is missing (issuer, enrolled terminal, payer's
 * wallet and credential), refreshes what is about to expire (the trust bundle, revocation
 * lists, the credential) and returns the open terminal, which the caller owns. */
OffauthTerminal *offauth_demo_open        (OffauthDemo  *demo,
                                           GError      **error);
/* Blocking: the payer's wallet pays the request, as a phone would. Only after an open. */
gchar           *offauth_demo_pay         (OffauthDemo  *demo,
                                           const char   *request_text,
                                           GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthDemo, offauth_demo_free)

G_END_DECLS
