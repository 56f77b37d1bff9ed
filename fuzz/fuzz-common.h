/* fuzz-common.h: a small, deterministic world of keys and signed OA1 messages shared by
 * the fuzzers and by fuzz-seeds, which writes their seed corpora.
 *
 * Everything comes from fixed seeds and a fixed clock, so that the terminal a fuzzer
 * builds in LLVMFuzzerInitialize issues the same requests (and the wallet signs the same
 * payments) as the one fuzz-seeds built: a crashing input reproduces.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "offauth.h"
#include "offauth-testing-private.h"

#include "testutil.h"

G_BEGIN_DECLS

#define FUZZ_NOW          1767225600 /* 2026-01-01 00:00:00 UTC */
#define FUZZ_MERCHANT     "kiosk-1"
#define FUZZ_AMOUNT       500
#define FUZZ_FLOOR        100000     /* terminal floor limit */
#define FUZZ_FOOD_FLOOR   300        /* floor of the "food" category */
#define FUZZ_KEY2_SCOPE   7          /* the second issuer key is restricted to scope 7 */
#define FUZZ_N_REVOKED    3

/* Stops the fuzzer with a finding when a property of the engine does not hold. */
#define FUZZ_CHECK(cond)                                                                     \
  G_STMT_START {                                                                             \
    if (G_UNLIKELY (!(cond)))                                                                \
      {                                                                                      \
        fprintf (stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond);       \
        abort ();                                                                            \
      }                                                                                      \
  } G_STMT_END

typedef struct
{
  OffauthSecretKey *root;
  OffauthSecretKey *issuer;      /* scope 0, has a revocation list */
  OffauthSecretKey *issuer2;     /* scope FUZZ_KEY2_SCOPE, no revocation list (stale) */
  OffauthSecretKey *issuer3;     /* in the bundle, but its window ended yesterday */
  OffauthSecretKey *payer;
  OffauthSecretKey *terminal;    /* the terminal's key, from a fixed seed */
  OffauthBundle     bundle;
  gchar            *bundle_text;
  OffauthCredential credential;  /* issuer, payer, EUR, generous limits */
  guint8            revoked[FUZZ_N_REVOKED][OFFAUTH_CREDENTIAL_ID_SIZE];
  guint8            negative[OFFAUTH_CREDENTIAL_ID_SIZE];

  guint64           now;           /* the terminal's clock, FUZZ_NOW at first */

  /* With a terminal only (fuzz_world_new (TRUE)). */
  gchar            *dir;
  gchar            *db_path;
  OffauthTerminal  *term;
  guint64           n_requests;
} FuzzWorld;

/* Keys, the bundle and a credential; with_terminal also enrolls a terminal in a new
 * temporary directory (test_tmp_dir), loads a revocation list, a negative-list entry and
 * a category floor. Aborts on failure: a fuzzer cannot run without its world. */
FuzzWorld *fuzz_world_new           (gboolean           with_terminal);
/* Frees everything and removes the temporary directory. */
void       fuzz_world_free          (FuzzWorld         *w);

/* Issues the next request at the terminal (a counted challenge: the n-th request of every
 * FuzzWorld is the same) and parses it. */
gboolean   fuzz_world_request       (FuzzWorld         *w,
                                     guint64            amount,
                                     OffauthRequest    *req,
                                     GError           **error);
/* The payer's payment for req with the given counter. */
void       fuzz_world_payment       (FuzzWorld         *w,
                                     const OffauthRequest *req,
                                     guint32            counter,
                                     OffauthPayment    *out);

/* A signed revocation list of the first issuer key (FUZZ_N_REVOKED ids, or none). */
OffauthRevocationList *fuzz_world_revocations (FuzzWorld *w,
                                               gboolean   with_ids);
/* A checkpoint signed by the terminal key. */
void       fuzz_world_checkpoint    (FuzzWorld         *w,
                                     OffauthCheckpoint *out);

G_END_DECLS
