/* offauth-demo.h: the demo's issuer, enrolled terminal, payers and acquirer, in one folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"
#include "offauth-demo-acquirer.h"

G_BEGIN_DECLS

typedef struct _OffauthDemo OffauthDemo;

/* The demo's payers: the acquirer opens the first's account with €1,000.00, the second's
 * with €2.00, so that the second's offline sales are declined late at the next sync. */
enum
{
  OFFAUTH_DEMO_PAYER_RICH,
  OFFAUTH_DEMO_PAYER_POOR,
  OFFAUTH_DEMO_N_PAYERS
};

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
/* Blocking: a payer's wallet pays the request, as a phone would. Only after an open. */
gchar           *offauth_demo_pay         (OffauthDemo  *demo,
                                           guint         payer,
                                           const char   *request_text,
                                           GError      **error);
/* The payer's credential file (set at new; written by the open). */
const char      *offauth_demo_get_credential_path (OffauthDemo *demo,
                                                   guint        payer);

/* Blocking, on the worker right after the open (the worker's thread lives as long as the
 * service, and the child dies with the thread that started it): prepares the acquirer's
 * folder (init, the terminal registered, the payers' accounts opened once), starts it on
 * loopback and pins it in the terminal. FALSE, with the reason logged and kept for
 * offauth_demo_get_acquirer_error(), when it cannot: the demo then sells offline only. */
gboolean         offauth_demo_start_acquirer      (OffauthDemo     *demo,
                                                   OffauthTerminal *terminal);
/* The child acquirer (NULL when no offauth-acquirer was found). Main thread only, once the
 * service's open is done: "Simulate network down" stops it, "Network back" starts it on
 * the same port. */
OffauthDemoAcquirer *
                 offauth_demo_get_acquirer        (OffauthDemo     *demo);
/* Why the demo has no acquirer running since the open, or NULL. */
const char      *offauth_demo_get_acquirer_error  (OffauthDemo     *demo);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthDemo, offauth_demo_free)

G_END_DECLS
