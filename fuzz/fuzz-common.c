/* fuzz-common.c: the fuzzers' world, built from the test helpers (tests/lib).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-fuzz"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fuzz-common.h"

static void
die (const char *what, GError *error)
{
  fprintf (stderr, "fuzz world: %s: %s\n", what, error != NULL ? error->message : "failed");
  abort ();
}

static void
make_bundle (FuzzWorld *w)
{
  OffauthBundle *b = &w->bundle;

  memset (b, 0, sizeof *b);
  b->sequence = 1;
  b->issued_at = FUZZ_NOW - 3600;
  b->expires_at = FUZZ_NOW + 30 * 86400;
  b->n_keys = 3;
  memcpy (b->keys[0].public_key, w->issuer->pk, OFFAUTH_PK_SIZE);
  b->keys[0].not_before = FUZZ_NOW - 86400;
  b->keys[0].not_after = FUZZ_NOW + 365 * 86400;
  b->keys[0].scope = 0;
  memcpy (b->keys[1].public_key, w->issuer2->pk, OFFAUTH_PK_SIZE);
  b->keys[1].not_before = FUZZ_NOW - 86400;
  b->keys[1].not_after = FUZZ_NOW + 2 * 86400;
  b->keys[1].scope = FUZZ_KEY2_SCOPE;
  memcpy (b->keys[2].public_key, w->issuer3->pk, OFFAUTH_PK_SIZE);
  b->keys[2].not_before = FUZZ_NOW - 10 * 86400;
  b->keys[2].not_after = FUZZ_NOW - 86400;
  w->bundle_text = test_bundle_sign (b, w->root);
}

static void
make_credential (FuzzWorld *w)
{
  OffauthCredential *c = &w->credential;

  test_credential_init (c, w->payer, FUZZ_NOW - 600, FUZZ_NOW + 7 * 86400);
  offauth_key_id (c->issuer_key_id, w->issuer->pk);
  memset (c->credential_id, 0xc0, sizeof c->credential_id);
  c->max_offline_count = 1000000;
  c->per_payment_limit = 2000;
  c->offline_total_limit = G_GUINT64_CONSTANT (1) << 40;
  offauth_credential_sign (c, w->issuer);
}

OffauthRevocationList *
fuzz_world_revocations (FuzzWorld *w,
                        gboolean   with_ids)
{
  guint8 key_id[OFFAUTH_KEY_ID_SIZE];

  offauth_key_id (key_id, w->issuer->pk);
  return offauth_revocation_list_build (key_id, 1, FUZZ_NOW - 60, FUZZ_NOW + 86400,
                                        with_ids ? &w->revoked[0][0] : NULL,
                                        with_ids ? FUZZ_N_REVOKED : 0, w->issuer);
}

void
fuzz_world_checkpoint (FuzzWorld         *w,
                       OffauthCheckpoint *out)
{
  memset (out, 0, sizeof *out);
  offauth_terminal_id_from_key (out->terminal_id, w->terminal->pk);
  out->seq = 1;
  memset (out->chain_hash, 0x42, sizeof out->chain_hash);
  out->created_at = FUZZ_NOW;
  offauth_checkpoint_sign (out, w->terminal);
}

static void
make_terminal (FuzzWorld *w)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthRevocationList) list = NULL;
  g_autofree gchar *list_text = NULL;
  OffauthTerminalConfig config;

  w->dir = test_tmp_dir (NULL, "offauth-fuzz");
  w->db_path = g_build_filename (w->dir, "terminal.db", NULL);
  w->term = test_terminal_open (w->db_path, &w->now);
  /* Durability is not under test here; speed is. */
  sqlite3_exec (_offauth_terminal_get_db (w->term), "PRAGMA synchronous = OFF", NULL, NULL, NULL);

  offauth_terminal_config_init (&config);
  config.cap_total = 0;        /* no terminal cap: the fuzzer may approve many sales */
  config.cap_count = 0;
  config.floor_limit = FUZZ_FLOOR;
  config.scope = FUZZ_KEY2_SCOPE;
  /* The first half of a libsodium Ed25519 secret key is its seed. */
  test_terminal_enroll (w->term, w->terminal->sk, w->bundle_text, FUZZ_MERCHANT, w->root,
                        &config);

  list = fuzz_world_revocations (w, TRUE);
  list_text = test_revocations_encode (list);
  if (!offauth_terminal_load_revocations (w->term, list_text, &error))
    die ("revocations", error);
  if (!offauth_terminal_add_negative (w->term, w->negative, "fuzz", &error))
    die ("negative list", error);
  if (!offauth_terminal_set_category_floor (w->term, "food", FUZZ_FOOD_FLOOR, &error))
    die ("category floor", error);
}

FuzzWorld *
fuzz_world_new (gboolean with_terminal)
{
  FuzzWorld *w = g_new0 (FuzzWorld, 1);

  w->now = FUZZ_NOW;

  if (!offauth_init ())
    die ("libsodium", NULL);
  w->root = test_key (1);
  w->issuer = test_key (2);
  w->issuer2 = test_key (3);
  w->issuer3 = test_key (7);
  w->payer = test_key (4);
  w->terminal = test_key (6);
  /* The credential's id is c0 c0 ... c0; one revoked id is close to it. */
  memset (w->revoked[0], 0x30, OFFAUTH_CREDENTIAL_ID_SIZE);
  memset (w->revoked[1], 0xc0, OFFAUTH_CREDENTIAL_ID_SIZE);
  w->revoked[1][15] = 0xc1;
  memset (w->revoked[2], 0xe0, OFFAUTH_CREDENTIAL_ID_SIZE);
  memset (w->negative, 0xc0, OFFAUTH_CREDENTIAL_ID_SIZE);
  w->negative[15] = 0xc2;
  make_bundle (w);
  make_credential (w);
  if (with_terminal)
    make_terminal (w);
  return w;
}

void
fuzz_world_free (FuzzWorld *w)
{
  if (w == NULL)
    return;
  g_clear_pointer (&w->term, offauth_terminal_free);
  if (w->dir != NULL)
    test_remove_dir (w->dir);
  offauth_secret_key_free (w->root);
  offauth_secret_key_free (w->issuer);
  offauth_secret_key_free (w->issuer2);
  offauth_secret_key_free (w->issuer3);
  offauth_secret_key_free (w->payer);
  offauth_secret_key_free (w->terminal);
  g_free (w->bundle_text);
  g_free (w->db_path);
  g_free (w->dir);
  g_free (w);
}

gboolean
fuzz_world_request (FuzzWorld       *w,
                    guint64          amount,
                    OffauthRequest  *req,
                    GError         **error)
{
  g_autofree gchar *text = NULL;
  guint8 challenge[OFFAUTH_CHALLENGE_SIZE] = { 'f', 'u', 'z', 'z' };
  OffauthReason reason;
  guint64 n = w->n_requests + 1;

  for (guint i = 0; i < 8; i++)
    challenge[8 + i] = (guint8) (n >> (8 * i));
  text = _offauth_terminal_create_request_with (w->term, amount, "EUR", challenge, &reason,
                                                error);
  if (text == NULL)
    return FALSE;
  w->n_requests = n;
  return offauth_request_parse_text (req, text, error);
}

void
fuzz_world_payment (FuzzWorld            *w,
                    const OffauthRequest *req,
                    guint32               counter,
                    OffauthPayment       *out)
{
  g_free (offauth_payment_make (&w->credential, req, counter, w->payer, out));
}
