/* testutil.h: the helpers that tests/, tests/vectors/, fuzz/ and bench/ share (temporary
 * folders, keys from fixed seeds, signed bundles, a terminal on a test clock), and the
 * TestWorld of real keys and signed messages for the engine's tests.
 *
 * Everything in a TestWorld is derived from fixed seeds, so that a failure reproduces.
 * Every helper aborts on failure (through g_assert or g_error): a test, fuzzer or
 * benchmark cannot go on without what it asked for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"
#include "offauth-testing-private.h"

G_BEGIN_DECLS

#define TEST_NOW 1767225600 /* 2026-01-01 00:00:00 UTC */

/* A new folder named prefix-XXXXXX: in the system's temporary folder (g_dir_make_tmp)
 * when parent is NULL, else in parent (for a benchmark that measures a given disk). */
gchar            *test_tmp_dir          (const char        *parent,
                                         const char        *prefix);
/* Removes path and everything below it. */
void              test_remove_dir       (const char        *path);

/* A seed made of one repeated byte. */
OffauthSecretKey *test_key              (guint8             fill);

/* Signs b (its fields and keys filled in) with root and returns its text form. */
gchar            *test_bundle_sign      (OffauthBundle     *b,
                                         const OffauthSecretKey *root);
/* The text form of a signed revocation list. */
gchar            *test_revocations_encode (const OffauthRevocationList *list);
/* Zeroes cred and fills in the payer, EUR and the window; the caller sets the id and the
 * limits, then signs (test_credential_sign). */
void              test_credential_init  (OffauthCredential *cred,
                                         const OffauthSecretKey *payer,
                                         guint64            not_before,
                                         guint64            not_after);

/* Opens the terminal at db_path (OFFAUTH_OPEN_DEFAULT); when now is not NULL the
 * terminal's clock reads *now. */
OffauthTerminal  *test_terminal_open    (const char        *db_path,
                                         guint64           *now);
/* Enrolls t with the key of seed (a new random key when NULL), trusting root (on first
 * use when NULL); config NULL for the default limits. */
void              test_terminal_enroll  (OffauthTerminal   *t,
                                         const guint8      *seed,
                                         const char        *bundle_text,
                                         const char        *merchant,
                                         const OffauthSecretKey *root,
                                         const OffauthTerminalConfig *config);

/* The rows first .. first + count - 1 (count < 0: to the end) of the journal of the
 * terminal database at db_path, as GBytes; prev_hash gets the hash of row first - 1 (zeros
 * before row 1). For the stand-ins of the terminal's sync client in tests and bench. */
GPtrArray        *test_journal_rows     (const char        *db_path,
                                         gint64             first,
                                         gint64             count,
                                         guint8             prev_hash[OFFAUTH_HASH_SIZE]);

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

/* The world's clock: user_data is the TestWorld. */
guint64           test_world_now_cb     (gpointer           user_data);

/* Creates keys, a bundle (sequence 1, valid 30 days) and an enrolled terminal with
 * default limits and a current revocation list of each issuer key. */
TestWorld        *test_world_new        (void);
void              test_world_free       (TestWorld         *w);
void              test_world_reopen     (TestWorld         *w);

/* Fills b with the world's two issuer keys: the second one valid for 2 days only. */
void              test_bundle_init      (TestWorld         *w,
                                         OffauthBundle     *b,
                                         guint64            sequence,
                                         guint64            issued_at,
                                         guint64            expires_at);
/* A bundle of test_bundle_init, signed by the root; it becomes w->bundle. */
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

/* The acquirer's answer to a sync request (its text): acknowledges up to acked_seq (which
 * must lie within the request's rows, or be its first_seq - 1), h_acked taken from the
 * request's chain unless h_acked is given, signed by acquirer. */
gchar            *test_answer_text      (const OffauthSecretKey *acquirer,
                                         const char        *request_text,
                                         guint64            acked_seq,
                                         const guint8      *h_acked,
                                         guint64            acquirer_time,
                                         guint64            cursor,
                                         guint32            flags,
                                         const OffauthVerdict *verdicts,
                                         guint32            n_verdicts);

/* The acquirer's decision (D) on an online request (its text), signed by acquirer: for the
 * request's terminal, for its sale unless sale_id is given and for its amount unless amount
 * is not 0. */
gchar            *test_online_decision_text (const OffauthSecretKey *acquirer,
                                         const char        *request_text,
                                         guint8             result,
                                         guint8             reason,
                                         guint64            acquirer_time,
                                         const guint8      *sale_id,
                                         guint64            amount);

#define test_assert_reason(d, r)                                                            \
  G_STMT_START {                                                                            \
    if ((d)->reason != (r))                                                                 \
      g_error ("expected %s, got %s (%s)", offauth_reason_code (r),                         \
               offauth_reason_code ((d)->reason), (d)->detail);                             \
  } G_STMT_END

G_END_DECLS
