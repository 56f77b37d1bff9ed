/* online-world.h: a world for online authorization tests: the real tools' issuer, acquirer
 * (served on loopback) and an enrolled terminal with a floor limit that pinned it, with two
 * payers. Every helper aborts the test on failure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct
{
  gchar      *dir;
  gchar      *db;            /* the terminal: enrolled, the acquirer pinned */
  gchar      *url;           /* the acquirer's, on loopback */
  GPid        server;
  GIOChannel *server_out;    /* kept open: the server may write more */
  gchar      *rich_wallet, *rich_cred, *rich_id;   /* balance 100000, room for 200 payments */
  gchar      *poor_wallet, *poor_cred;             /* balance 100 */
} OnlineWorld;

/* The tools come from the environment: ISSUER, WALLET, TERMINAL, ACQUIRER. */
OnlineWorld *online_world_new            (guint64      floor_limit);
/* Stops the acquirer (SIGTERM) and removes the folder. */
void         online_world_free           (OnlineWorld *w);
/* Runs the tool named by env with the arguments (NULL-terminated) in the world's folder:
 * its standard output, trimmed. */
gchar       *online_world_tool           (OnlineWorld *w,
                                          const char  *env,
                                          ...) G_GNUC_NULL_TERMINATED;
/* The payer's wallet pays the request, as a phone would: the payment's text. */
gchar       *online_world_pay            (OnlineWorld *w,
                                          const char  *wallet,
                                          const char  *cred,
                                          const char  *request);
/* The payer's balance at the acquirer. */
gint64       online_world_balance        (OnlineWorld *w,
                                          const char  *cred_id);
/* The mode the terminal's journal holds for a sale, read beside its owner. */
OffauthMode  online_world_journaled_mode (OnlineWorld *w,
                                          guint64      sale_number);
/* Runs the main loop until *done, for at most 30 s. */
void         online_world_iterate_until  (gboolean    *done);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OnlineWorld, online_world_free)

G_END_DECLS
