/* testutil.h: a world of real keys and signed messages for the engine's tests.
 *
 * Everything is derived from fixed seeds, so that a failure reproduces.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"
#include "offauth-testing-private.h"

G_BEGIN_DECLS

#define TEST_NOW 1767225600 /* 2026-01-01 00:00:00 UTC */

typedef struct
{
  gchar            *dir;
  gchar            *db_path;
  guint64           now;
  OffauthSecretKey *root;
  OffauthSecretKey *issuer;
  OffauthSecretKey *issuer2;     /* a second key, in the bundle too */
  OffauthSecretKey *payer;
  OffauthSecretKey *stranger;    /* a key nobody trusts */
  OffauthBundle     bundle;
  gchar            *bundle_text;
  OffauthTerminal  *terminal;
  guint8            next_id;     /* credential ids and challenges are counted, not random */
} TestWorld;

/* A seed made of one repeated byte. */
OffauthSecretKey *test_key              (guint8             fill);
guint64           test_world_now_cb     (gpointer           user_data);

/* Creates keys, a bundle (sequence 1, valid 30 days) and an enrolled terminal with
 * default limits and a current revocation list of each issuer key. */
TestWorld        *test_world_new        (void);
void              test_world_free       (TestWorld         *w);
void              test_world_reopen     (TestWorld         *w);

gchar            *test_bundle_text      (TestWorld         *w,
                                         guint64            sequence,
                                         guint64            issued_at,
                                         guint64            expires_at);
gchar            *test_revocations_text (TestWorld         *w,
                                         const OffauthSecretKey *issuer,
                                         guint64            sequence,
                                         const guint8      *ids,
                                         guint32            n_ids);

/* Reads the terminal's limits, lets edit() change them, and saves them (journaled). */
void              test_world_config     (TestWorld         *w,
                                         void             (*edit) (OffauthTerminalConfig *c));

/* A credential for the payer from the first issuer key: EUR, 2000 per payment,
 * 5000 in all, 5 payments, valid from now - 600 for 7 days, scope 0. */
void              test_credential       (TestWorld         *w,
                                         OffauthCredential *cred);
void              test_credential_sign  (TestWorld         *w,
                                         OffauthCredential *cred,
                                         const OffauthSecretKey *issuer);
/* Issues a request at the terminal (with a counted challenge) and parses it. */
void              test_request          (TestWorld         *w,
                                         guint64            amount,
                                         OffauthRequest    *req);
gchar            *test_pay              (TestWorld         *w,
                                         const OffauthCredential *cred,
                                         const OffauthRequest    *req,
                                         guint32            counter);
/* Request, sign and authorize in one step. */
void              test_sale             (TestWorld         *w,
                                         const OffauthCredential *cred,
                                         guint64            amount,
                                         guint32            counter,
                                         OffauthDecision   *d);

#define test_assert_reason(d, r)                                                            \
  G_STMT_START {                                                                            \
    if ((d)->reason != (r))                                                                 \
      g_error ("expected %s, got %s (%s)", offauth_reason_code (r),                         \
               offauth_reason_code ((d)->reason), (d)->detail);                             \
  } G_STMT_END

G_END_DECLS
