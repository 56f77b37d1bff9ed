/* gen-vectors.c: writes the OA1 test vectors described in tests/vectors/README.md.
 *
 *   gen-vectors OUTDIR
 *
 * writes OUTDIR/messages.txt, OUTDIR/invalid.txt, OUTDIR/decisions/NN-<reason>*.vec and
 * OUTDIR/settlement/NN-*.vec.
 * Everything comes from fixed seeds, ids, challenges and times, and Ed25519 in libsodium
 * is deterministic, so two runs give the same bytes (test-vectors checks this against the
 * files checked in). To update the checked-in files after a deliberate change:
 *
 *   build/tests/vectors/gen-vectors tests/vectors
 *
 * The expected outcome of every decision step is written here from PROTOCOL.md and the
 * engine's documented choices; it is not taken from a run of the engine. test-vectors
 * replays the scenarios through the engine and compares.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "offauth.h"

#define T0       G_GUINT64_CONSTANT (1767225600) /* 2026-01-01 00:00:00 UTC */
#define DAY      G_GUINT64_CONSTANT (86400)
#define MERCHANT "kiosk-1"

enum
{
  K_ROOT,
  K_ISSUER_A,
  K_ISSUER_B,
  K_ISSUER_C,
  K_PAYER,
  K_STRANGER,
  K_TERMINAL,
  K_OTHER_TERMINAL,
  K_ACQUIRER,
  N_KEYS
};

static const struct
{
  const char *name;
  guint8      fill;   /* the seed is 32 times this byte */
  const char *role;
} key_defs[N_KEYS] = {
  [K_ROOT] = { "root", 0x11, "the scheme root key: signs the trust bundles" },
  [K_ISSUER_A] = { "issuer-a", 0x22, "issuer key A: in bundle-1, scope 0, valid T0-1d..T0+365d" },
  [K_ISSUER_B] = { "issuer-b", 0x33, "issuer key B: in bundle-1, scope 0, valid T0-1d..T0+2d" },
  [K_ISSUER_C] = { "issuer-c", 0x44, "issuer key C: in bundle-1, scope 7, valid T0-1d..T0+365d" },
  [K_PAYER] = { "payer", 0x55, "the payer key of every credential" },
  [K_STRANGER] = { "stranger", 0x66, "a key in no bundle" },
  [K_TERMINAL] = { "terminal", 0x77, "the terminal key of the terminal of merchant kiosk-1 in every scenario" },
  [K_OTHER_TERMINAL] = { "other-terminal", 0x78, "another terminal's key" },
  [K_ACQUIRER] = { "acquirer", 0x79, "the acquirer key that 'terminal' pins: signs sync answers and decisions" },
};

static OffauthSecretKey *keys[N_KEYS];
static guint8 terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
static guint8 other_terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
static OffauthBundle bundle1, bundle2;
static gchar *bundle1_text, *bundle2_text;
static gchar *root_fpr;
static gchar *rev_a1_text, *rev_b1_text, *rev_c1_text;
static const char *outdir;

/* Output */

static void
kv (GString    *o,
    const char *key,
    const char *format,
    ...) G_GNUC_PRINTF (3, 4);

static void
kv (GString    *o,
    const char *key,
    const char *format,
    ...)
{
  va_list args;

  g_assert (strchr (format, '\n') == NULL);
  g_string_append_printf (o, "%s: ", key);
  va_start (args, format);
  g_string_append_vprintf (o, format, args);
  va_end (args);
  g_string_append_c (o, '\n');
}

static void
kv_u64 (GString *o, const char *key, guint64 v)
{
  kv (o, key, "%" G_GUINT64_FORMAT, v);
}

static void
kv_hex (GString *o, const char *key, const guint8 *data, gsize len)
{
  g_autofree gchar *hex = offauth_hex (data, len);

  g_assert (len > 0);
  kv (o, key, "%s", hex);
}

static void
kv_b64 (GString *o, const char *key, const guint8 *data, gsize len)
{
  g_autofree gchar *b64 = offauth_b64_encode (data, len);

  kv (o, key, "%s", b64);
}

static void
kv_text (GString *o, const char *key, char type, const guint8 *data, gsize len)
{
  g_autofree gchar *text = offauth_text_encode (type, data, len);

  kv (o, key, "%s", text);
}

static void
write_out (const char *name,
           GString    *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_build_filename (outdir, name, NULL);

  if (!g_file_set_contents (path, contents->str, (gssize) contents->len, &error))
    g_error ("%s", error->message);
}

static void
file_header (GString *o, const char *what)
{
  g_string_append_printf (o,
                          "# OA1 test vectors: %s\n"
                          "# Written by tests/vectors/gen-vectors.c from fixed seeds: do not edit, regenerate.\n"
                          "# Format: tests/vectors/README.md. Times are seconds since 1970; T0 = %" G_GUINT64_FORMAT
                          " (2026-01-01 00:00:00 UTC).\n",
                          what, T0);
}

/* Messages */

static void
resign (guint8 *raw, gsize len, const char *tag, int key)
{
  offauth_sign (raw + len - OFFAUTH_SIG_SIZE, tag, raw, len - OFFAUTH_SIG_SIZE, keys[key]->sk);
}

/* A second valid Ed25519 signature of the same message, with a nonce of our choosing (as a
 * wallet with a randomised Ed25519 would make): R = r·B, S = r + H(R || A || M)·a mod L. */
static void
sign_with_nonce (guint8       sig[OFFAUTH_SIG_SIZE],
                 const char  *tag,
                 const guint8 *body,
                 gsize        len,
                 int          key,
                 const char  *nonce_label)
{
  guint8 az[64], wide[64] = { 0 }, a[32], r[32], k[32], ka[32];
  crypto_hash_sha512_state st;

  crypto_hash_sha512 (az, keys[key]->sk, OFFAUTH_SEED_SIZE);
  az[0] &= 248;
  az[31] &= 127;
  az[31] |= 64;
  memcpy (wide, az, 32);
  crypto_core_ed25519_scalar_reduce (a, wide);
  crypto_hash_sha512 (wide, (const guint8 *) nonce_label, strlen (nonce_label));
  crypto_core_ed25519_scalar_reduce (r, wide);
  if (crypto_scalarmult_ed25519_base_noclamp (sig, r) != 0)
    g_error ("bad nonce");
  crypto_hash_sha512_init (&st);
  crypto_hash_sha512_update (&st, sig, 32);
  crypto_hash_sha512_update (&st, keys[key]->pk, OFFAUTH_PK_SIZE);
  crypto_hash_sha512_update (&st, (const guint8 *) tag, OFFAUTH_TAG_SIZE);
  crypto_hash_sha512_update (&st, body, len);
  crypto_hash_sha512_final (&st, wide);
  crypto_core_ed25519_scalar_reduce (k, wide);
  crypto_core_ed25519_scalar_mul (ka, k, a);
  crypto_core_ed25519_scalar_add (sig + 32, r, ka);
  g_assert (offauth_verify (sig, tag, body, len, keys[key]->pk));
}

static void
cred_init (OffauthCredential *c,
           guint8             id_fill)
{
  memset (c, 0, sizeof *c);
  memset (c->credential_id, id_fill, OFFAUTH_CREDENTIAL_ID_SIZE);
  memcpy (c->payer_public_key, keys[K_PAYER]->pk, OFFAUTH_PK_SIZE);
  memcpy (c->currency, "EUR", 4);
  c->max_offline_count = 5;
  c->per_payment_limit = 2000;
  c->offline_total_limit = 5000;
  c->not_before = T0 - 600;
  c->not_after = T0 + 7 * DAY;
  c->scope = 0;
}

/* Names id_key's key id as the issuer and signs with sign_key's key. */
static void
cred_sign (OffauthCredential *c,
           int                id_key,
           int                sign_key)
{
  offauth_key_id (c->issuer_key_id, keys[id_key]->pk);
  offauth_credential_sign (c, keys[sign_key]);
}

static void
request_build (OffauthRequest *r,
               const char     *merchant,
               const guint8   *tid,
               guint32         scope,
               const char     *currency,
               guint64         amount,
               guint64         created_at,
               guint8          challenge_fill)
{
  memset (r, 0, sizeof *r);
  g_strlcpy (r->merchant_id, merchant, sizeof r->merchant_id);
  memcpy (r->terminal_id, tid, OFFAUTH_TERMINAL_ID_SIZE);
  r->scope = scope;
  memcpy (r->currency, currency, 4);
  r->amount = amount;
  r->created_at = created_at;
  memset (r->challenge, challenge_fill, OFFAUTH_CHALLENGE_SIZE);
  offauth_request_encode (r);
}

static void
pay_with (OffauthPayment          *p,
          const OffauthCredential *c,
          const OffauthRequest    *r,
          guint32                  counter,
          int                      key)
{
  g_free (offauth_payment_make (c, r, counter, keys[key], p));
}

static void
pay (OffauthPayment          *p,
     const OffauthCredential *c,
     const OffauthRequest    *r,
     guint32                  counter)
{
  pay_with (p, c, r, counter, K_PAYER);
}

static gchar *
payment_text (const OffauthPayment *p)
{
  return offauth_text_encode ('P', p->raw, OFFAUTH_PAYMENT_SIZE);
}

/* The same payment signed with another nonce: other signature bytes, the same sale. */
static void
payment_resigned (OffauthPayment       *out,
                  const OffauthPayment *p,
                  const char           *nonce_label)
{
  *out = *p;
  sign_with_nonce (out->signature, OFFAUTH_TAG_PAYM, out->raw, OFFAUTH_PAYMENT_SIGNED, K_PAYER,
                   nonce_label);
  memcpy (out->raw + OFFAUTH_PAYMENT_SIGNED, out->signature, OFFAUTH_SIG_SIZE);
  g_assert (memcmp (out->raw, p->raw, OFFAUTH_PAYMENT_SIZE) != 0);
}

static void
issuer_key_init (OffauthIssuerKey *k,
                 int               key,
                 guint64           not_before,
                 guint64           not_after,
                 guint32           scope)
{
  memset (k, 0, sizeof *k);
  memcpy (k->public_key, keys[key]->pk, OFFAUTH_PK_SIZE);
  offauth_key_id (k->key_id, k->public_key);
  k->not_before = not_before;
  k->not_after = not_after;
  k->scope = scope;
}

static OffauthRevocationList *
revocation_build (int           key,
                  guint64       sequence,
                  guint64       issued_at,
                  guint64       next_update,
                  const guint8 *ids,
                  guint32       n_ids)
{
  guint8 key_id[OFFAUTH_KEY_ID_SIZE];

  offauth_key_id (key_id, keys[key]->pk);
  return offauth_revocation_list_build (key_id, sequence, issued_at, next_update, ids, n_ids,
                                        keys[key]);
}

static gchar *
revocation_text (const OffauthRevocationList *list)
{
  gsize len;
  const guint8 *raw = g_bytes_get_data (list->raw, &len);

  return offauth_text_encode ('V', raw, len);
}

static gchar *
revocation_text_for (int key, guint64 sequence, guint64 issued_at, guint64 next_update,
                     const guint8 *ids, guint32 n_ids)
{
  g_autoptr(OffauthRevocationList) list = revocation_build (key, sequence, issued_at, next_update,
                                                            ids, n_ids);

  return revocation_text (list);
}

static void
setup (void)
{
  for (int i = 0; i < N_KEYS; i++)
    {
      guint8 seed[OFFAUTH_SEED_SIZE];

      memset (seed, key_defs[i].fill, sizeof seed);
      keys[i] = offauth_secret_key_from_seed (seed);
    }
  offauth_terminal_id_from_key (terminal_id, keys[K_TERMINAL]->pk);
  offauth_terminal_id_from_key (other_terminal_id, keys[K_OTHER_TERMINAL]->pk);
  root_fpr = offauth_root_fingerprint (keys[K_ROOT]->pk);

  memset (&bundle1, 0, sizeof bundle1);
  bundle1.sequence = 1;
  bundle1.issued_at = T0 - 3600;
  bundle1.expires_at = T0 + 30 * DAY;
  bundle1.n_keys = 3;
  issuer_key_init (&bundle1.keys[0], K_ISSUER_A, T0 - DAY, T0 + 365 * DAY, 0);
  issuer_key_init (&bundle1.keys[1], K_ISSUER_B, T0 - DAY, T0 + 2 * DAY, 0);
  issuer_key_init (&bundle1.keys[2], K_ISSUER_C, T0 - DAY, T0 + 365 * DAY, 7);
  offauth_bundle_sign (&bundle1, keys[K_ROOT]);
  bundle1_text = offauth_text_encode ('T', bundle1.raw, bundle1.raw_len);

  memset (&bundle2, 0, sizeof bundle2);
  bundle2.sequence = 2;
  bundle2.issued_at = T0 + DAY;
  bundle2.expires_at = T0 + 31 * DAY;
  bundle2.n_keys = 1;
  issuer_key_init (&bundle2.keys[0], K_ISSUER_A, T0 - DAY, T0 + 365 * DAY, 0);
  offauth_bundle_sign (&bundle2, keys[K_ROOT]);
  bundle2_text = offauth_text_encode ('T', bundle2.raw, bundle2.raw_len);

  rev_a1_text = revocation_text_for (K_ISSUER_A, 1, T0, T0 + DAY, NULL, 0);
  rev_b1_text = revocation_text_for (K_ISSUER_B, 1, T0, T0 + DAY, NULL, 0);
  rev_c1_text = revocation_text_for (K_ISSUER_C, 1, T0, T0 + DAY, NULL, 0);
}

static void
write_keys (GString *o)
{
  for (int i = 0; i < N_KEYS; i++)
    {
      guint8 seed[OFFAUTH_SEED_SIZE], key_id[OFFAUTH_KEY_ID_SIZE];

      memset (seed, key_defs[i].fill, sizeof seed);
      offauth_key_id (key_id, keys[i]->pk);
      g_string_append_printf (o, "\n# %s\n", key_defs[i].role);
      kv (o, "key", "%s", key_defs[i].name);
      kv_hex (o, "seed", seed, sizeof seed);
      kv_b64 (o, "public_key", keys[i]->pk, OFFAUTH_PK_SIZE);
      kv_hex (o, "public_key_hex", keys[i]->pk, OFFAUTH_PK_SIZE);
      kv_hex (o, "key_id", key_id, sizeof key_id);
      if (i == K_ROOT)
        {
          g_autofree gchar *fpr = offauth_root_fingerprint (keys[i]->pk);
          kv (o, "fingerprint", "%s", fpr);
        }
      if (i == K_TERMINAL || i == K_OTHER_TERMINAL)
        {
          guint8 tid[OFFAUTH_TERMINAL_ID_SIZE];
          offauth_terminal_id_from_key (tid, keys[i]->pk);
          kv_hex (o, "terminal_id", tid, sizeof tid);
        }
    }
}

static void
write_credential (GString                 *o,
                  const char              *name,
                  const char              *signer,
                  const OffauthCredential *c,
                  const char              *comment)
{
  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "C");
  kv (o, "signed_by", "%s", signer);
  kv_hex (o, "issuer_key_id", c->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
  kv_hex (o, "credential_id", c->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  kv_b64 (o, "payer_public_key", c->payer_public_key, OFFAUTH_PK_SIZE);
  kv (o, "currency", "%s", c->currency);
  kv_u64 (o, "max_offline_count", c->max_offline_count);
  kv_u64 (o, "per_payment_limit", c->per_payment_limit);
  kv_u64 (o, "offline_total_limit", c->offline_total_limit);
  kv_u64 (o, "not_before", c->not_before);
  kv_u64 (o, "not_after", c->not_after);
  kv_u64 (o, "scope", c->scope);
  kv_hex (o, "signature", c->raw + 108, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", c->raw, OFFAUTH_CREDENTIAL_SIZE);
  kv_text (o, "text", 'C', c->raw, OFFAUTH_CREDENTIAL_SIZE);
}

static void
write_request (GString              *o,
               const char           *name,
               const OffauthRequest *r,
               const char           *comment)
{
  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "R");
  kv (o, "merchant_id", "%s", r->merchant_id);
  kv_hex (o, "terminal_id", r->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv_u64 (o, "scope", r->scope);
  kv (o, "currency", "%s", r->currency);
  kv_u64 (o, "amount", r->amount);
  kv_u64 (o, "created_at", r->created_at);
  kv_hex (o, "challenge", r->challenge, OFFAUTH_CHALLENGE_SIZE);
  kv_hex (o, "hex", r->raw, OFFAUTH_REQUEST_SIZE);
  kv_text (o, "text", 'R', r->raw, OFFAUTH_REQUEST_SIZE);
}

static void
write_payment (GString              *o,
               const char           *name,
               const char           *cred_name,
               const char           *req_name,
               const OffauthPayment *p,
               const char           *comment)
{
  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "P");
  kv (o, "signed_by", "payer");
  kv (o, "credential", "%s", cred_name);
  kv (o, "request", "%s", req_name);
  kv_u64 (o, "counter", p->counter);
  kv_hex (o, "signature", p->raw + OFFAUTH_PAYMENT_SIGNED, OFFAUTH_SIG_SIZE);
  kv_hex (o, "sale_id", p->sale_id, OFFAUTH_SALE_ID_SIZE);
  kv_hex (o, "hex", p->raw, OFFAUTH_PAYMENT_SIZE);
  kv_text (o, "text", 'P', p->raw, OFFAUTH_PAYMENT_SIZE);
}

static void
write_bundle (GString             *o,
              const char          *name,
              const OffauthBundle *b,
              const char          *comment)
{
  g_autofree gchar *fpr = offauth_root_fingerprint (b->root_public_key);

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "T");
  kv (o, "signed_by", "root");
  kv_b64 (o, "root_public_key", b->root_public_key, OFFAUTH_PK_SIZE);
  kv (o, "root_fingerprint", "%s", fpr);
  kv_u64 (o, "n", b->n_keys);
  kv_u64 (o, "sequence", b->sequence);
  kv_u64 (o, "issued_at", b->issued_at);
  kv_u64 (o, "expires_at", b->expires_at);
  for (guint i = 0; i < b->n_keys; i++)
    {
      g_autofree gchar *k_id = g_strdup_printf ("entry.%u.key_id", i);
      g_autofree gchar *k_pk = g_strdup_printf ("entry.%u.public_key", i);
      g_autofree gchar *k_nb = g_strdup_printf ("entry.%u.not_before", i);
      g_autofree gchar *k_na = g_strdup_printf ("entry.%u.not_after", i);
      g_autofree gchar *k_sc = g_strdup_printf ("entry.%u.scope", i);

      kv_hex (o, k_id, b->keys[i].key_id, OFFAUTH_KEY_ID_SIZE);
      kv_b64 (o, k_pk, b->keys[i].public_key, OFFAUTH_PK_SIZE);
      kv_u64 (o, k_nb, b->keys[i].not_before);
      kv_u64 (o, k_na, b->keys[i].not_after);
      kv_u64 (o, k_sc, b->keys[i].scope);
    }
  kv_hex (o, "signature", b->raw + b->raw_len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", b->raw, b->raw_len);
  kv_text (o, "text", 'T', b->raw, b->raw_len);
}

static void
write_revocation (GString                     *o,
                  const char                  *name,
                  const char                  *signer,
                  const OffauthRevocationList *l,
                  const char                  *comment)
{
  gsize len;
  const guint8 *raw = g_bytes_get_data (l->raw, &len);

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "V");
  kv (o, "signed_by", "%s", signer);
  kv_hex (o, "issuer_key_id", l->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
  kv_u64 (o, "sequence", l->sequence);
  kv_u64 (o, "issued_at", l->issued_at);
  kv_u64 (o, "next_update", l->next_update);
  kv_u64 (o, "n", l->n_ids);
  for (guint32 i = 0; i < l->n_ids; i++)
    kv_hex (o, "revoked", l->ids + 16 * (gsize) i, 16);
  kv_hex (o, "signature", raw + len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", raw, len);
  kv_text (o, "text", 'V', raw, len);
}

static void
write_checkpoint (GString                 *o,
                  const char              *name,
                  const OffauthCheckpoint *k,
                  const char              *comment)
{
  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "K");
  kv (o, "signed_by", "terminal");
  kv_hex (o, "terminal_id", k->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv_u64 (o, "seq", k->seq);
  kv_hex (o, "chain_hash", k->chain_hash, OFFAUTH_HASH_SIZE);
  kv_u64 (o, "created_at", k->created_at);
  kv_hex (o, "signature", k->raw + 72, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", k->raw, OFFAUTH_CHECKPOINT_SIZE);
  kv_text (o, "text", 'K', k->raw, OFFAUTH_CHECKPOINT_SIZE);
}

/* The journal example's rows: record bytes and h_i, for the sync requests. */
static GPtrArray *chain_records;
static GByteArray *chain_hashes;

/* h_i = H("OA1.JRNL" || u64 i || h_(i-1) || u32 len(record_i) || record_i), written out
 * here from PROTOCOL.md rather than taken from the engine. */
static void
journal_hash (guint8        out[OFFAUTH_HASH_SIZE],
              guint64       seq,
              const guint8  prev[OFFAUTH_HASH_SIZE],
              const guint8 *record,
              gsize         len)
{
  GByteArray *buf = g_byte_array_new ();
  guint8 n[8];

  g_byte_array_append (buf, (const guint8 *) OFFAUTH_TAG_JRNL, OFFAUTH_TAG_SIZE);
  for (int i = 0; i < 8; i++)
    n[i] = (guint8) (seq >> (8 * i));
  g_byte_array_append (buf, n, 8);
  g_byte_array_append (buf, prev, OFFAUTH_HASH_SIZE);
  for (int i = 0; i < 4; i++)
    n[i] = (guint8) ((guint64) len >> (8 * i));
  g_byte_array_append (buf, n, 4);
  g_byte_array_append (buf, record, (guint) len);
  offauth_hash (out, buf->data, buf->len);
  g_byte_array_unref (buf);
}

static void
write_journal_row (GString      *o,
                   guint64       seq,
                   guint         kind,
                   guint64       when,
                   const guint8 *payload,
                   gsize         payload_len,
                   guint8        prev_inout[OFFAUTH_HASH_SIZE],
                   const char   *comment)
{
  g_autofree guint8 *record = g_malloc (9 + payload_len);
  guint8 h[OFFAUTH_HASH_SIZE];

  record[0] = (guint8) kind;
  for (int i = 0; i < 8; i++)
    record[1 + i] = (guint8) (when >> (8 * i));
  memcpy (record + 9, payload, payload_len);
  journal_hash (h, seq, prev_inout, record, 9 + payload_len);

  g_string_append_printf (o, "\n# %s\n", comment);
  kv_u64 (o, "journal", seq);
  kv_u64 (o, "kind", kind);
  kv_u64 (o, "time", when);
  kv_hex (o, "payload", payload, payload_len);
  kv_hex (o, "record", record, 9 + payload_len);
  kv_hex (o, "prev_hash", prev_inout, OFFAUTH_HASH_SIZE);
  kv_hex (o, "hash", h, OFFAUTH_HASH_SIZE);
  memcpy (prev_inout, h, OFFAUTH_HASH_SIZE);
  g_ptr_array_add (chain_records, g_bytes_new (record, 9 + payload_len));
  g_byte_array_append (chain_hashes, h, OFFAUTH_HASH_SIZE);
}

/* The payments used by more than one file. */
static OffauthCredential cred_1;
static OffauthRequest request_1;
static OffauthPayment payment_1;

/* Reconciliation: U, A, O, D written byte by byte from PROTOCOL.md, and journal rows of
 * kinds 1 (online), 8 and 9. */

static guint64
rd64le (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void
w64 (GByteArray *a, guint64 v)
{
  guint8 b[8];

  for (int i = 0; i < 8; i++)
    b[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (a, b, 8);
}

static void
w32 (GByteArray *a, guint32 v)
{
  guint8 b[4];

  for (int i = 0; i < 4; i++)
    b[i] = (guint8) (v >> (8 * i));
  g_byte_array_append (a, b, 4);
}

static void
w_header (GByteArray *a, char type)
{
  const guint8 h[8] = { 'O', 'A', '1', (guint8) type, 1, 0, 0, 0 };

  g_byte_array_append (a, h, 8);
}

/* Appends the Ed25519 signature over TAG || [key id of the acquirer ||] body. */
static void
w_sign (GByteArray *a, const char *tag, gboolean bound, int key)
{
  GByteArray *m = g_byte_array_new ();
  guint8 sig[OFFAUTH_SIG_SIZE], id[OFFAUTH_KEY_ID_SIZE];

  g_byte_array_append (m, (const guint8 *) tag, OFFAUTH_TAG_SIZE);
  if (bound)
    {
      offauth_key_id (id, keys[K_ACQUIRER]->pk);
      g_byte_array_append (m, id, sizeof id);
    }
  g_byte_array_append (m, a->data, a->len);
  crypto_sign_detached (sig, NULL, m->data, m->len, keys[key]->sk);
  g_byte_array_append (a, sig, sizeof sig);
  g_byte_array_unref (m);
}

typedef struct
{
  guint64 sale_seq;
  const guint8 *sale_id;
  guint8  state, reason;
  guint16 attempt;
  guint64 retry_after;
} Verdict;

static void
w_verdict (GByteArray *a, const Verdict *v)
{
  guint8 b[4] = { v->state, v->reason, (guint8) v->attempt, (guint8) (v->attempt >> 8) };

  w64 (a, v->sale_seq);
  g_byte_array_append (a, v->sale_id, OFFAUTH_SALE_ID_SIZE);
  g_byte_array_append (a, b, 4);
  w32 (a, 0);
  w64 (a, v->retry_after);
}

static const guint8 *
chain_hash (guint64 seq)
{
  static const guint8 zero[OFFAUTH_HASH_SIZE];

  return seq == 0 ? zero : chain_hashes->data + OFFAUTH_HASH_SIZE * (seq - 1);
}

/* A U of terminal key `key`: rows first_seq .. first_seq + n - 1 of `records` (element i
 * is row i + 1), prev_hash `prev`. */
static GByteArray *
sync_request_bytes (int key, GPtrArray *records, const guint8 *prev, guint64 first_seq,
                    guint64 created_at, guint64 cursor, const guint64 *asks, guint32 r, guint32 n)
{
  GByteArray *a = g_byte_array_new ();
  guint8 tid[OFFAUTH_TERMINAL_ID_SIZE];

  offauth_terminal_id_from_key (tid, keys[key]->pk);
  w_header (a, 'U');
  g_byte_array_append (a, tid, OFFAUTH_TERMINAL_ID_SIZE);
  w64 (a, first_seq);
  g_byte_array_append (a, prev, OFFAUTH_HASH_SIZE);
  w64 (a, created_at);
  w64 (a, cursor);
  w32 (a, r);
  w32 (a, n);
  for (guint32 i = 0; i < r; i++)
    w64 (a, asks[i]);
  for (guint32 i = 0; i < n; i++)
    {
      GBytes *rec = g_ptr_array_index (records, first_seq - 1 + i);
      w32 (a, (guint32) g_bytes_get_size (rec));
      g_byte_array_append (a, g_bytes_get_data (rec, NULL), (guint) g_bytes_get_size (rec));
    }
  w_sign (a, OFFAUTH_TAG_UPLD, TRUE, key);
  return a;
}

static void
write_sync_request (GString *o, const char *name, guint64 first_seq, guint64 created_at,
                    guint64 cursor, const guint64 *asks, guint32 r, guint32 n,
                    GByteArray **out, const char *comment)
{
  GByteArray *a = sync_request_bytes (K_TERMINAL, chain_records, chain_hash (first_seq - 1),
                                      first_seq, created_at, cursor, asks, r, n);
  guint8 id[OFFAUTH_KEY_ID_SIZE], h[OFFAUTH_HASH_SIZE];

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "U");
  kv (o, "signed_by", "terminal");
  kv (o, "bound_to", "acquirer");
  kv_hex (o, "terminal_id", terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv_u64 (o, "first_seq", first_seq);
  kv_hex (o, "prev_hash", chain_hash (first_seq - 1), OFFAUTH_HASH_SIZE);
  kv_u64 (o, "created_at", created_at);
  kv_u64 (o, "verdict_cursor", cursor);
  kv_u64 (o, "r", r);
  kv_u64 (o, "n", n);
  for (guint32 i = 0; i < r; i++)
    {
      g_autofree gchar *k = g_strdup_printf ("retry_ask.%u", i);
      kv_u64 (o, k, asks[i]);
    }
  for (guint32 i = 0; i < n; i++)
    {
      g_autofree gchar *k = g_strdup_printf ("record.%u", i);
      GBytes *rec = g_ptr_array_index (chain_records, first_seq - 1 + i);
      kv_hex (o, k, g_bytes_get_data (rec, NULL), g_bytes_get_size (rec));
    }
  offauth_key_id (id, keys[K_ACQUIRER]->pk);
  kv_hex (o, "acquirer_key_id", id, sizeof id);
  kv_hex (o, "signature", a->data + a->len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  offauth_hash (h, a->data, a->len);
  kv_hex (o, "request_hash", h, sizeof h);
  kv_hex (o, "hex", a->data, a->len);
  kv_text (o, "text", 'U', a->data, a->len);
  *out = a;
}

/* The A that answers the U `u` (its terminal id and H(u) taken from it). */
static GByteArray *
sync_answer_bytes (const GByteArray *u, guint64 acked_seq, const guint8 *h_acked,
                   guint64 acquirer_time, guint64 cursor, guint32 flags, const Verdict *v,
                   guint32 n)
{
  GByteArray *a = g_byte_array_new ();
  guint8 uh[OFFAUTH_HASH_SIZE];

  offauth_hash (uh, u->data, u->len);
  w_header (a, 'A');
  g_byte_array_append (a, u->data + 8, OFFAUTH_TERMINAL_ID_SIZE);
  w64 (a, acked_seq);
  g_byte_array_append (a, h_acked, OFFAUTH_HASH_SIZE);
  w64 (a, acquirer_time);
  g_byte_array_append (a, uh, sizeof uh);
  w64 (a, cursor);
  w32 (a, n);
  w32 (a, flags);
  for (guint32 i = 0; i < n; i++)
    w_verdict (a, &v[i]);
  w_sign (a, OFFAUTH_TAG_ACKN, FALSE, K_ACQUIRER);
  g_assert (a->len == 184 + 56 * n);
  return a;
}

static void
write_sync_answer (GString *o, const char *name, const char *answers, const GByteArray *u,
                   guint64 acked_seq, guint64 acquirer_time, guint64 cursor, guint32 flags,
                   const Verdict *v, guint32 n, GByteArray **out, const char *comment)
{
  GByteArray *a = sync_answer_bytes (u, acked_seq, chain_hash (acked_seq), acquirer_time, cursor,
                                     flags, v, n);
  guint8 h[OFFAUTH_HASH_SIZE], uh[OFFAUTH_HASH_SIZE];

  offauth_hash (uh, u->data, u->len);

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "A");
  kv (o, "signed_by", "acquirer");
  kv (o, "answers", "%s", answers);
  kv_hex (o, "terminal_id", terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv_u64 (o, "acked_seq", acked_seq);
  kv_hex (o, "h_acked", chain_hash (acked_seq), OFFAUTH_HASH_SIZE);
  kv_u64 (o, "acquirer_time", acquirer_time);
  kv_hex (o, "request_hash", uh, sizeof uh);
  kv_u64 (o, "verdict_cursor", cursor);
  kv_u64 (o, "n", n);
  kv_u64 (o, "flags", flags);
  for (guint32 i = 0; i < n; i++)
    {
#define VK(f) g_autofree gchar *k_##f = g_strdup_printf ("verdict.%u." #f, i)
      VK (sale_seq); VK (sale_id); VK (state); VK (reason); VK (attempt); VK (retry_after);
#undef VK
      kv_u64 (o, k_sale_seq, v[i].sale_seq);
      kv_hex (o, k_sale_id, v[i].sale_id, OFFAUTH_SALE_ID_SIZE);
      kv_u64 (o, k_state, v[i].state);
      kv_u64 (o, k_reason, v[i].reason);
      kv_u64 (o, k_attempt, v[i].attempt);
      kv_u64 (o, k_retry_after, v[i].retry_after);
    }
  kv_hex (o, "signature", a->data + a->len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  offauth_hash (h, a->data, a->len);
  kv_hex (o, "answer_hash", h, sizeof h);
  kv_hex (o, "hex", a->data, a->len);
  kv_text (o, "text", 'A', a->data, a->len);
  *out = a;
}

static GByteArray *
online_request_bytes (const OffauthPayment *p, guint64 created_at)
{
  GByteArray *a = g_byte_array_new ();

  w_header (a, 'O');
  g_byte_array_append (a, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  w64 (a, created_at);
  g_byte_array_append (a, p->raw, OFFAUTH_PAYMENT_SIZE);
  w_sign (a, OFFAUTH_TAG_ONLN, TRUE, K_TERMINAL);
  g_assert (a->len == OFFAUTH_ONLINE_REQUEST_SIZE);
  return a;
}

static GByteArray *
decision_bytes (const guint8 *sale_id, guint8 result, guint8 reason, guint64 acquirer_time,
                guint64 amount)
{
  GByteArray *a = g_byte_array_new ();
  const guint8 rr[8] = { result, reason, 0, 0, 0, 0, 0, 0 };

  w_header (a, 'D');
  g_byte_array_append (a, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  g_byte_array_append (a, sale_id, OFFAUTH_SALE_ID_SIZE);
  g_byte_array_append (a, rr, 8);
  w64 (a, acquirer_time);
  w64 (a, amount);
  w_sign (a, OFFAUTH_TAG_DECN, FALSE, K_ACQUIRER);
  g_assert (a->len == OFFAUTH_ONLINE_DECISION_SIZE);
  return a;
}

static void
write_online_request (GString *o, const char *name, const char *payment, const GByteArray *a,
                      guint64 created_at, const char *comment)
{
  guint8 id[OFFAUTH_KEY_ID_SIZE];

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "O");
  kv (o, "signed_by", "terminal");
  kv (o, "bound_to", "acquirer");
  kv_hex (o, "terminal_id", terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv_u64 (o, "created_at", created_at);
  kv (o, "payment", "%s", payment);
  offauth_key_id (id, keys[K_ACQUIRER]->pk);
  kv_hex (o, "acquirer_key_id", id, sizeof id);
  kv_hex (o, "signature", a->data + 360, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", a->data, a->len);
  kv_text (o, "text", 'O', a->data, a->len);
}

static void
write_decision (GString *o, const char *name, const GByteArray *a, const char *comment)
{
  const guint8 *d = a->data;

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "vector", "%s", name);
  kv (o, "type", "D");
  kv (o, "signed_by", "acquirer");
  kv_hex (o, "terminal_id", d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  kv_hex (o, "sale_id", d + 24, OFFAUTH_SALE_ID_SIZE);
  kv_u64 (o, "result", d[56]);
  kv_u64 (o, "reason", d[57]);
  kv_u64 (o, "acquirer_time", rd64le (d + 64));
  kv_u64 (o, "amount", rd64le (d + 72));
  kv_hex (o, "signature", d + 80, OFFAUTH_SIG_SIZE);
  kv_hex (o, "hex", d, a->len);
  kv_text (o, "text", 'D', d, a->len);
}

static void
sale_state_payload (guint8 out[56], const Verdict *v)
{
  GByteArray *a = g_byte_array_new ();

  w_verdict (a, v);
  g_assert (a->len == 56);
  memcpy (out, a->data, 56);
  g_byte_array_unref (a);
}

static OffauthPayment payment_3;
static GByteArray *decision_1, *online_1, *sync_u1, *sync_u2, *sync_a1;

static void
gen_sync_messages (GString *o, guint8 h[OFFAUTH_HASH_SIZE])
{
  OffauthRequest request_3;
  GByteArray *online = NULL, *decision_2 = NULL, *u1 = NULL, *u2 = NULL, *u3 = NULL;
  GByteArray *a1 = NULL, *a2 = NULL, *a3 = NULL;
  guint8 payload[OFFAUTH_PAYMENT_SIZE + 1 + OFFAUTH_ONLINE_DECISION_SIZE], state[56], sync[56];
  guint8 ah[OFFAUTH_HASH_SIZE];
  guint64 asks[] = { 2 };

  g_string_append (o, "\n# Reconciliation (PROTOCOL.md \"Reconciliation\"). U and O are signed by 'terminal' over\n"
                      "# TAG || key id of 'acquirer' (acquirer_key_id) || body; A and D by 'acquirer' over\n"
                      "# TAG || body. request_hash = H(U binary), answer_hash = H(A binary), signature included.\n");
  request_build (&request_3, MERCHANT, terminal_id, 0, "EUR", 3000, T0 + 170, 0x03);
  write_request (o, "request-3", &request_3,
                 "A request of 30.00 EUR, above the terminal's floor: authorized online");
  pay (&payment_3, &cred_1, &request_3, 2);
  write_payment (o, "payment-3", "credential-1", "request-3", &payment_3,
                 "credential-1 pays request-3 with counter 2");
  online = online_request_bytes (&payment_3, T0 + 180);
  write_online_request (o, "online-request-1", "payment-3", online, T0 + 180,
                        "The online request of payment-3 by 'terminal', bound to 'acquirer'");
  decision_1 = decision_bytes (payment_3.sale_id, 1, 0, T0 + 181, 3000);
  write_decision (o, "decision-1", decision_1,
                  "The acquirer approves online-request-1: result 1, reason 0, amount 3000");
  decision_2 = decision_bytes (payment_3.sale_id, 2, 8, T0 + 181, 3000);
  write_decision (o, "decision-2", decision_2,
                  "The same sale declined instead: result 2, reason 8 (insufficient_funds)");

  g_string_append (o, "\n# The journal example goes on: an online sale (kind 1, mode 1 and the decision), then\n"
                      "# after sync-answer-1 the sale states (kind 8) and the answer accepted (kind 9).\n");
  memcpy (payload, payment_3.raw, OFFAUTH_PAYMENT_SIZE);
  payload[OFFAUTH_PAYMENT_SIZE] = 1;
  memcpy (payload + OFFAUTH_PAYMENT_SIZE + 1, decision_1->data, OFFAUTH_ONLINE_DECISION_SIZE);
  write_journal_row (o, 4, 1, T0 + 182, payload, sizeof payload, h,
                     "sale approved online: payment-3 || u8 mode 1 || decision-1 (record 482 bytes)");

  write_sync_request (o, "sync-request-1", 1, T0 + 200, 0, NULL, 0, 4, &u1,
                      "The first sync: rows 1 to 4 of the journal example, prev_hash h_0, cursor 0");
  {
    Verdict v[] = {
      { 2, payment_1.sale_id, 3, 8, 1, T0 + 201 + 3600 },
      { 4, payment_3.sale_id, 1, 0, 1, 0 },
    };
    write_sync_answer (o, "sync-answer-1", "sync-request-1", u1, 4, T0 + 201, 2, 0, v, 2, &a1,
                       "Its answer: rows 1 to 4 stored; sale 2 declined for now (3, insufficient_funds, "
                       "attempt 1, retry at T0+201+1h), sale 4 settled; cursor 2");
    sale_state_payload (state, &v[0]);
    write_journal_row (o, 5, 8, T0 + 202, state, sizeof state, h,
                       "sale state (kind 8): the first verdict of sync-answer-1, a verdict's 56 bytes");
    sale_state_payload (state, &v[1]);
    write_journal_row (o, 6, 8, T0 + 202, state, sizeof state, h,
                       "sale state (kind 8): the second verdict of sync-answer-1");
  }
  offauth_hash (ah, a1->data, a1->len);
  {
    GByteArray *b = g_byte_array_new ();
    w64 (b, 4);
    w64 (b, T0 + 201);
    w64 (b, 2);
    g_byte_array_append (b, ah, OFFAUTH_HASH_SIZE);
    g_assert (b->len == sizeof sync);
    memcpy (sync, b->data, sizeof sync);
    g_byte_array_unref (b);
  }
  write_journal_row (o, 7, 9, T0 + 202, sync, sizeof sync, h,
                     "sync answer accepted (kind 9): u64 acked_seq || u64 acquirer_time || u64 "
                     "verdict_cursor || H(sync-answer-1)");

  write_sync_request (o, "sync-request-2", 5, T0 + 4000, 2, asks, 1, 3, &u2,
                      "The next sync: rows 5 to 7, prev_hash h_4, cursor 2, and a retry ask for sale 2");
  {
    Verdict v[] = { { 2, payment_1.sale_id, 1, 0, 2, 0 } };
    write_sync_answer (o, "sync-answer-2", "sync-request-2", u2, 7, T0 + 4001, 3,
                       OFFAUTH_SYNC_FLAG_MORE, v, 1, &a2,
                       "Its answer: rows up to 7 stored; the retry (attempt 2) settled sale 2; cursor 3; "
                       "flags bit 0: more verdicts remain");
  }
  write_sync_request (o, "sync-request-3", 8, T0 + 4002, 3, NULL, 0, 0, &u3,
                      "A poll (n = 0): first_seq = acked_seq + 1, prev_hash h_7, cursor 3; 152 bytes");
  write_sync_answer (o, "sync-answer-3", "sync-request-3", u3, 7, T0 + 4003, 3, 0, NULL, 0, &a3,
                     "Its answer: no verdict left; 184 bytes");

  online_1 = online;
  sync_u1 = u1;
  sync_u2 = u2;
  sync_a1 = a1;
  g_byte_array_unref (decision_2);
  g_byte_array_unref (u3);
  g_byte_array_unref (a2);
  g_byte_array_unref (a3);
}


static void
gen_messages (void)
{
  GString *o = g_string_new (NULL);
  OffauthCredential cred_2;
  OffauthRequest request_2;
  OffauthPayment payment_2, payment_1b;
  g_autoptr(OffauthRevocationList) rev1 = NULL;
  g_autoptr(OffauthRevocationList) rev2 = NULL;
  OffauthCheckpoint ckpt = { 0 };
  guint8 ids[3 * 16], h[OFFAUTH_HASH_SIZE] = { 0 }, payload[OFFAUTH_PAYMENT_SIZE + 1], clock[16];

  file_header (o, "messages, one record per key, message and journal row");
  g_string_append (o, "# Key records first (seed: the Ed25519 seed of crypto_sign_seed_keypair), then the\n"
                      "# messages (signed_by, credential and request name key records and vectors above).\n");
  write_keys (o);

  cred_init (&cred_1, 0xa1);
  cred_sign (&cred_1, K_ISSUER_A, K_ISSUER_A);
  write_credential (o, "credential-1", "issuer-a", &cred_1,
                    "A credential from issuer key A: EUR, 5 payments of at most 2000, 5000 in all, "
                    "valid T0-600..T0+7d, any merchant (scope 0)");

  cred_init (&cred_2, 0xa2);
  memcpy (cred_2.currency, "JPY", 4);
  cred_2.max_offline_count = G_MAXUINT32;
  cred_2.per_payment_limit = G_GUINT64_CONSTANT (0x0102030405060708);
  cred_2.offline_total_limit = G_GUINT64_CONSTANT (0x1112131415161718);
  cred_2.not_before = T0 - 600;
  cred_2.not_after = T0 + 30 * DAY;
  cred_2.scope = 7;
  cred_sign (&cred_2, K_ISSUER_C, K_ISSUER_C);
  write_credential (o, "credential-2", "issuer-c", &cred_2,
                    "A credential from issuer key C with large limits (byte order) and scope 7");

  request_build (&request_1, MERCHANT, terminal_id, 0, "EUR", 1250, T0 + 100, 0x01);
  write_request (o, "request-1", &request_1,
                 "A request of terminal 'terminal' of merchant kiosk-1: 12.50 EUR");

  request_build (&request_2, "Stall_7.north-B", other_terminal_id, 7, "JPY",
                 G_GUINT64_CONSTANT (0x0000000100000002), T0 + 200, 0xc3);
  write_request (o, "request-2", &request_2,
                 "A request of terminal 'other-terminal' of merchant Stall_7.north-B (scope 7), "
                 "a large JPY amount");

  pay (&payment_1, &cred_1, &request_1, 1);
  write_payment (o, "payment-1", "credential-1", "request-1", &payment_1,
                 "credential-1 pays request-1 with counter 1");

  payment_resigned (&payment_1b, &payment_1, "OA1 test vector nonce 1");
  write_payment (o, "payment-1-resigned", "credential-1", "request-1", &payment_1b,
                 "payment-1 signed again with another (valid) Ed25519 nonce, as a randomising wallet "
                 "would: other signature bytes, the same sale id");

  pay (&payment_2, &cred_2, &request_2, 0x01020304);
  write_payment (o, "payment-2", "credential-2", "request-2", &payment_2,
                 "credential-2 pays request-2 with counter 16909060");

  write_bundle (o, "bundle-1", &bundle1,
                "The trust bundle of the decision scenarios: sequence 1, issued T0-3600, expires "
                "T0+30d, issuer keys A, B and C (entries sorted by key id)");

  write_bundle (o, "bundle-2", &bundle2, "A later trust bundle with issuer key A only");

  rev1 = revocation_build (K_ISSUER_A, 1, T0, T0 + DAY, NULL, 0);
  write_revocation (o, "revocation-1", "issuer-a", rev1,
                    "The (empty) revocation list of issuer key A loaded by the decision scenarios");

  memset (ids, 0xa5, 16);
  memset (ids + 16, 0x10, 16);
  memset (ids + 32, 0xfe, 16);
  ids[47] = 0xff;
  rev2 = revocation_build (K_ISSUER_A, 2, T0 + 50, T0 + DAY, ids, 3);
  write_revocation (o, "revocation-2", "issuer-a", rev2,
                    "The next list of issuer key A: three credential ids, ascending bytewise");

  g_string_append (o, "\n# Journal chain example: h_0 is 32 zero bytes, record = u8 kind || u64 time || payload,\n"
                      "# h_i = H(\"OA1.JRNL\" || u64 i || h_(i-1) || u32 len(record) || record).\n"
                      "# Kind 1 (sale approved) has the payload of PROTOCOL.md; kinds 3 and 5 carry what our\n"
                      "# engine writes (docs/protocol.md); the chain does not depend on what a payload means.\n");
  write_journal_row (o, 1, 3, T0, bundle1.raw, bundle1.raw_len, h,
                     "trust bundle loaded: the bundle-1 binary");
  memcpy (payload, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  payload[OFFAUTH_PAYMENT_SIZE] = 0;
  write_journal_row (o, 2, 1, T0 + 110, payload, sizeof payload, h,
                     "sale approved: payment-1 || u8 mode 0 (offline)");
  for (int i = 0; i < 8; i++)
    {
      clock[i] = (guint8) ((T0 - 3600) >> (8 * i));
      clock[8 + i] = (guint8) ((T0 + 110) >> (8 * i));
    }
  write_journal_row (o, 3, 5, T0 + 150, clock, sizeof clock, h,
                     "clock accepted by the operator: u64 time floor || u64 latest sale time");

  memcpy (ckpt.terminal_id, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  ckpt.seq = 3;
  memcpy (ckpt.chain_hash, h, OFFAUTH_HASH_SIZE);
  ckpt.created_at = T0 + 160;
  offauth_checkpoint_sign (&ckpt, keys[K_TERMINAL]);
  write_checkpoint (o, "checkpoint-1", &ckpt,
                    "A checkpoint of the journal example above (seq 3, chain hash h_3) by 'terminal'");
  gen_sync_messages (o, h);

  write_out ("messages.txt", o);
  g_string_free (o, TRUE);
}

/* Invalid forms */

static void
inv_header (GString *o, const char *name, char type, const char *rule)
{
  g_string_append_c (o, '\n');
  kv (o, "invalid", "%s", name);
  kv (o, "type", "%c", type);
  kv (o, "rule", "%s", rule);
}

static gboolean
printable (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guint8) s[i] < 0x21 || (guint8) s[i] > 0x7e)
      return FALSE;
  return len > 0;
}

static void
inv_text (GString *o, const char *name, char type, const char *rule, const char *text, gsize len)
{
  inv_header (o, name, type, rule);
  if (printable (text, len))
    kv (o, "text", "%.*s", (int) len, text);
  else
    kv_hex (o, "text_hex", (const guint8 *) text, len);
}

static void
inv_bin (GString *o, const char *name, char type, const char *rule, const guint8 *bin, gsize len)
{
  inv_header (o, name, type, rule);
  kv_text (o, "text", type, bin, len);
  kv_hex (o, "binary", bin, len);
}

static void
put64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

/* A payment of credential-1 for request-1 whose binary is changed by the caller and then
 * signed again, so that only the rule named is broken. */
static void
inv_payment (GString *o, const char *name, const char *rule, guint8 *raw, gsize len)
{
  if (len >= OFFAUTH_PAYMENT_SIZE)
    offauth_sign (raw + OFFAUTH_PAYMENT_SIGNED, OFFAUTH_TAG_PAYM, raw, OFFAUTH_PAYMENT_SIGNED,
                  keys[K_PAYER]->sk);
  inv_bin (o, name, 'P', rule, raw, len);
}

static void
inv_credential (GString *o, const char *name, const char *rule, guint8 *raw, gsize len)
{
  if (len >= OFFAUTH_CREDENTIAL_SIZE)
    offauth_sign (raw + 108, OFFAUTH_TAG_CRED, raw, 108, keys[K_ISSUER_A]->sk);
  inv_bin (o, name, 'C', rule, raw, len);
}

/* The request is unsigned: the caller's bytes as they are. */
static void
inv_request (GString *o, const char *name, const char *rule, const guint8 *raw, gsize len)
{
  inv_bin (o, name, 'R', rule, raw, len);
}

/* A credential broken inside a payment: the payment is signed over it. */
static void
inv_payment_with_credential (GString *o, const char *name, const char *rule,
                             const guint8 cred_raw[OFFAUTH_CREDENTIAL_SIZE])
{
  guint8 raw[OFFAUTH_PAYMENT_SIZE];

  memcpy (raw, payment_1.raw, sizeof raw);
  memcpy (raw + 8, cred_raw, OFFAUTH_CREDENTIAL_SIZE);
  inv_payment (o, name, rule, raw, sizeof raw);
}

static void
inv_bundle_sign (GString *o, const char *name, const char *rule, guint8 *raw, gsize len)
{
  if (len >= OFFAUTH_BUNDLE_MIN_SIZE)
    resign (raw, len, OFFAUTH_TAG_TRST, K_ROOT);
  inv_bin (o, name, 'T', rule, raw, len);
}

static void
inv_revocation_sign (GString *o, const char *name, const char *rule, guint8 *raw, gsize len)
{
  if (len >= OFFAUTH_REVOCATION_MIN_SIZE)
    resign (raw, len, OFFAUTH_TAG_REVK, K_ISSUER_A);
  inv_bin (o, name, 'V', rule, raw, len);
}

static void
inv_checkpoint_sign (GString *o, const char *name, const char *rule, guint8 *raw, gsize len)
{
  if (len >= OFFAUTH_CHECKPOINT_SIZE)
    resign (raw, len, OFFAUTH_TAG_CHKP, K_TERMINAL);
  inv_bin (o, name, 'K', rule, raw, len);
}

/* Sets the lowest of the 6 bits a base64url character stands for (an unused bit at the end). */
static void
set_low_bit (char *c)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char *at = strchr (alphabet, *c);

  g_assert (at != NULL && *c != '\0' && ((at - alphabet) & 1) == 0);
  *c = alphabet[(at - alphabet) | 1];
}

static int
compare_key_ids (gconstpointer a, gconstpointer b)
{
  return memcmp (((const OffauthIssuerKey *) a)->key_id, ((const OffauthIssuerKey *) b)->key_id,
                 OFFAUTH_KEY_ID_SIZE);
}

/* Reconciliation messages: each starts from sync-request-1 or -2, sync-answer-1,
 * online-request-1 or decision-1, broken in one place and signed again. */
static void
inv_sync (GString *o, const char *name, char type, const char *rule, GByteArray *valid,
          void (*change) (GByteArray *a))
{
  GByteArray *a = g_byte_array_new ();
  GByteArray *m = g_byte_array_new ();
  gboolean bound = type == 'U' || type == 'O';
  const char *tag = type == 'U' ? OFFAUTH_TAG_UPLD : type == 'A' ? OFFAUTH_TAG_ACKN
                    : type == 'O' ? OFFAUTH_TAG_ONLN : OFFAUTH_TAG_DECN;
  int key = bound ? K_TERMINAL : K_ACQUIRER;
  guint8 id[OFFAUTH_KEY_ID_SIZE];

  g_byte_array_append (a, valid->data, valid->len - OFFAUTH_SIG_SIZE);
  change (a);
  g_byte_array_append (m, (const guint8 *) tag, OFFAUTH_TAG_SIZE);
  if (bound)
    {
      offauth_key_id (id, keys[K_ACQUIRER]->pk);
      g_byte_array_append (m, id, sizeof id);
    }
  g_byte_array_append (m, a->data, a->len);
  g_byte_array_set_size (a, a->len + OFFAUTH_SIG_SIZE);
  crypto_sign_detached (a->data + a->len - OFFAUTH_SIG_SIZE, NULL, m->data, m->len, keys[key]->sk);
  inv_bin (o, name, type, rule, a->data, a->len);
  g_byte_array_unref (a);
  g_byte_array_unref (m);
}

static void u_reserved (GByteArray *a) { a->data[6] = 1; }
static void u_version (GByteArray *a) { a->data[4] = 2; }
static void u_first_seq_0 (GByteArray *a) { put64 (a->data + 24, 0); }
static void u_r_1025 (GByteArray *a) { put32 (a->data + 80, 1025); }
static void u_n_65537 (GByteArray *a) { put32 (a->data + 84, 65537); }
static void u_n_more (GByteArray *a) { put32 (a->data + 84, 5); }
static void u_n_fewer (GByteArray *a) { put32 (a->data + 84, 3); }
static void u_trailing (GByteArray *a) { g_byte_array_append (a, (const guint8 *) "\0", 1); }
static void u_len_8 (GByteArray *a) { put32 (a->data + 88, 8); }
static void u_len_big (GByteArray *a) { put32 (a->data + 88, 1048577); }
static void u_ask_0 (GByteArray *a) { put64 (a->data + 88, 0); }
static void u_ask_twice (GByteArray *a)
{
  /* sync-request-2 with two asks for sale 2: not strictly ascending. */
  guint len = a->len;

  g_byte_array_set_size (a, len + 8);
  memmove (a->data + 96, a->data + 88, len - 88);
  put32 (a->data + 80, 2);
}
static void u_rows_overflow (GByteArray *a) { put64 (a->data + 24, G_MAXUINT64 - 1); }

static void a_reserved (GByteArray *a) { a->data[5] = 1; }
static void a_n_more (GByteArray *a) { put32 (a->data + 112, 3); }
static void a_flags (GByteArray *a) { put32 (a->data + 116, 2); }
static void a_h_acked (GByteArray *a)
{
  /* acked_seq 0 and no verdicts, but h_acked left non-zero. */
  put64 (a->data + 24, 0);
  put32 (a->data + 112, 0);
  g_byte_array_set_size (a, 120);
}
static void a_above_acked (GByteArray *a) { put64 (a->data + 24, 3); }
static void a_not_ascending (GByteArray *a) { put64 (a->data + 120 + 56, 2); }
static void a_seq_0 (GByteArray *a) { put64 (a->data + 120, 0); }
static void a_same_sale (GByteArray *a) { memcpy (a->data + 120 + 56 + 8, a->data + 120 + 8, 32); }
static void a_v_reserved (GByteArray *a) { a->data[120 + 44] = 1; }
static void a_state_4 (GByteArray *a) { a->data[120 + 56 + 40] = 4; }
static void a_pair (GByteArray *a) { a->data[120 + 56 + 41] = 8; }
static void a_retry_no_time (GByteArray *a) { put64 (a->data + 120 + 48, 0); }
static void a_retry_held_time (GByteArray *a) { a->data[120 + 41] = 4; }
static void a_settled_time (GByteArray *a) { put64 (a->data + 120 + 56 + 48, 1); }
static void a_attempt_0 (GByteArray *a) { a->data[120 + 42] = 0; }
static void a_attempt_6 (GByteArray *a) { a->data[120 + 42] = 6; }

static void o_reserved (GByteArray *a) { a->data[7] = 1; }
static void o_short (GByteArray *a) { g_byte_array_set_size (a, a->len - 1); }
static void o_counter_0 (GByteArray *a) { put32 (a->data + 32 + 260, 0); }
static void o_payment_magic (GByteArray *a) { a->data[32 + 3] = 'C'; }

static void d_reserved (GByteArray *a) { a->data[63] = 1; }
static void d_result_3 (GByteArray *a) { a->data[56] = 3; }
static void d_approved_reason (GByteArray *a) { a->data[57] = 8; }
static void d_declined_7 (GByteArray *a) { a->data[56] = 2; a->data[57] = 7; }
static void d_declined_0 (GByteArray *a) { a->data[56] = 2; }
static void d_long (GByteArray *a) { g_byte_array_append (a, (const guint8 *) "\0", 1); }

static void
gen_invalid_sync (GString *o)
{
  static const struct
  {
    const char *name;
    char        type;
    int         from;        /* 0 U1, 1 U2, 2 A1, 3 O, 4 D */
    void      (*change) (GByteArray *a);
    const char *rule;
  } cases[] = {
    { "sync-request-reserved", 'U', 0, u_reserved, "reserved bytes (5..7) are zero" },
    { "sync-request-version", 'U', 0, u_version, "version is 1" },
    { "sync-request-first-seq-0", 'U', 0, u_first_seq_0, "first_seq >= 1" },
    { "sync-request-rows-overflow", 'U', 0, u_rows_overflow, "rows first_seq .. first_seq + n - 1 are u64 row numbers" },
    { "sync-request-r-1025", 'U', 0, u_r_1025, "r <= 1024" },
    { "sync-request-n-65537", 'U', 0, u_n_65537, "n <= 65,536" },
    { "sync-request-n-more", 'U', 0, u_n_more, "n records follow (n = 5, 4 present)" },
    { "sync-request-n-fewer", 'U', 0, u_n_fewer, "nothing follows the last record (n = 3, 4 present)" },
    { "sync-request-trailing-byte", 'U', 0, u_trailing, "U is exactly 152 + 8r + sum(4 + len_i) bytes (one more here)" },
    { "sync-request-record-len-8", 'U', 0, u_len_8, "every record is 9 to 1,048,576 bytes (8 here)" },
    { "sync-request-record-len-big", 'U', 0, u_len_big, "every record is 9 to 1,048,576 bytes (1,048,577 here)" },
    { "sync-request-ask-twice", 'U', 1, u_ask_twice, "retry asks strictly ascending (2, 2 here)" },
    { "sync-request-ask-row-0", 'U', 1, u_ask_0, "a retry ask names a journal row (rows are numbered from 1)" },
    { "sync-answer-reserved", 'A', 2, a_reserved, "reserved bytes (5..7) are zero" },
    { "sync-answer-n-more", 'A', 2, a_n_more, "A is exactly 184 + 56n bytes (n = 3, 2 verdicts present)" },
    { "sync-answer-flags", 'A', 2, a_flags, "flags bits other than bit 0 are 0" },
    { "sync-answer-h-acked", 'A', 2, a_h_acked, "h_acked is zero when acked_seq = 0" },
    { "sync-answer-verdict-above-acked", 'A', 2, a_above_acked, "a verdict names a row <= acked_seq (4 > 3 here)" },
    { "sync-answer-verdict-row-0", 'A', 2, a_seq_0, "a verdict names a journal row (0 here)" },
    { "sync-answer-not-ascending", 'A', 2, a_not_ascending, "verdicts in strictly ascending sale_seq (2, 2 here)" },
    { "sync-answer-same-sale", 'A', 2, a_same_sale, "at most one verdict per sale (one sale id twice here)" },
    { "sync-answer-verdict-reserved", 'A', 2, a_v_reserved, "a verdict's reserved u32 is zero" },
    { "sync-answer-state-4", 'A', 2, a_state_4, "a verdict's state is 1, 2 or 3" },
    { "sync-answer-pair", 'A', 2, a_pair, "(state, reason) is an allowed pair ((1, 8) here)" },
    { "sync-answer-retry-no-time", 'A', 2, a_retry_no_time, "(3, 8) has retry_after non-zero" },
    { "sync-answer-held-with-time", 'A', 2, a_retry_held_time, "(3, 2 | 3 | 4) has retry_after 0 ((3, 4) with a time here)" },
    { "sync-answer-settled-with-time", 'A', 2, a_settled_time, "retry_after is 0 outside state 3" },
    { "sync-answer-attempt-0", 'A', 2, a_attempt_0, "attempt is never 0" },
    { "sync-answer-attempt-6", 'A', 2, a_attempt_6, "attempt is at most 5 (1 at upload, 4 scheduled retries)" },
    { "online-request-reserved", 'O', 3, o_reserved, "reserved bytes (5..7) are zero" },
    { "online-request-short", 'O', 3, o_short, "O is 424 bytes (423 here)" },
    { "online-request-payment-counter-0", 'O', 3, o_counter_0, "the payment inside is well-formed (counter >= 1)" },
    { "online-request-payment-magic", 'O', 3, o_payment_magic, "the payment inside starts with \"OA1P\"" },
    { "decision-reserved", 'D', 4, d_reserved, "reserved bytes (58..63) are zero" },
    { "decision-result-3", 'D', 4, d_result_3, "result is 1 or 2" },
    { "decision-approved-with-reason", 'D', 4, d_approved_reason, "an approval has reason 0" },
    { "decision-declined-7", 'D', 4, d_declined_7, "a decline has reason 1-6, 8, 11 or 12 (7 here)" },
    { "decision-declined-0", 'D', 4, d_declined_0, "a decline has reason 1-6, 8, 11 or 12 (0 here)" },
    { "decision-long", 'D', 4, d_long, "D is 144 bytes (145 here)" },
  };
  GByteArray *from[] = { sync_u1, sync_u2, sync_a1, online_1, decision_1 };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    inv_sync (o, cases[i].name, cases[i].type, cases[i].rule, from[cases[i].from], cases[i].change);

  /* The text cap: longer than 67,108,864 characters (without the LF) is refused before it
   * is decoded. Written as a rule only: the text itself would be 64 MiB. */
}

/* Journal records a reader refuses (kinds 1, 8 and 9): the record's bytes. */
static void
inv_record (GString *o, const char *name, const char *rule, const guint8 *rec, gsize len)
{
  g_string_append_c (o, '\n');
  kv (o, "invalid_record", "%s", name);
  kv (o, "rule", "%s", rule);
  kv_hex (o, "record", rec, len);
}

static void
gen_invalid_records (GString *o)
{
  GBytes *r5 = g_ptr_array_index (chain_records, 4);   /* kind 8, (3, 8) */
  GBytes *r6 = g_ptr_array_index (chain_records, 5);   /* kind 8, (1, 0) */
  GBytes *r7 = g_ptr_array_index (chain_records, 6);   /* kind 9 */
  GBytes *r4 = g_ptr_array_index (chain_records, 3);   /* kind 1, online */
  GBytes *r2 = g_ptr_array_index (chain_records, 1);   /* kind 1, offline */
  guint8 b[9 + 473 + 1];

#define FROM(r) memcpy (b, g_bytes_get_data (r, NULL), g_bytes_get_size (r))
  FROM (r5); b[9 + 40] = 0;
  inv_record (o, "sale-state-0", "a kind-8 state is 1 to 5 (0 here)", b, 65);
  FROM (r5); b[9 + 40] = 6;
  inv_record (o, "sale-state-6", "a kind-8 state is 1 to 5 (6 here)", b, 65);
  FROM (r5); b[9 + 45] = 1;
  inv_record (o, "sale-state-reserved", "a kind-8 reserved u32 is zero", b, 65);
  FROM (r5);
  inv_record (o, "sale-state-short", "a kind-8 record is 65 bytes (64 here)", b, 64);
  FROM (r5); b[65] = 0;
  inv_record (o, "sale-state-long", "a kind-8 record is 65 bytes (66 here)", b, 66);
  FROM (r6); b[9 + 40] = 4; b[9 + 42] = 0; b[9 + 41] = 1;
  inv_record (o, "sale-state-close-reason", "a close (state 4 or 5) has reason, attempt and retry_after 0", b, 65);
  FROM (r6); b[9 + 41] = 4;
  inv_record (o, "sale-state-pair", "states 1-3 carry a verdict's allowed (state, reason) pair ((1, 4) here)", b, 65);
  FROM (r6); memset (b + 9, 0, 8);
  inv_record (o, "sale-state-row-0", "sale_seq names a journal row (0 here)", b, 65);
  FROM (r7);
  inv_record (o, "sync-accepted-short", "a kind-9 record is 65 bytes (64 here)", b, 64);
  FROM (r4); b[9 + 328] = 0;
  inv_record (o, "sale-online-mode-0", "a 482-byte sale record has mode 1", b, 482);
  FROM (r4); b[9 + 329 + 56] = 3;
  inv_record (o, "sale-online-bad-decision", "the decision of an online sale is well-formed (result 3 here)", b, 482);
  FROM (r2); b[9 + 328] = 1;
  inv_record (o, "sale-offline-mode-1", "a 338-byte sale record has mode 0", b, 338);
  FROM (r2); b[9 + 328] = 2;
  inv_record (o, "sale-mode-2", "mode is 0 or 1", b, 338);
#undef FROM
}

static void
gen_invalid (void)
{
  GString *o = g_string_new (NULL);
  g_autofree gchar *ptext = payment_text (&payment_1);
  g_autofree gchar *rtext = offauth_text_encode ('R', request_1.raw, OFFAUTH_REQUEST_SIZE);
  g_autofree gchar *ctext = offauth_text_encode ('C', cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);
  gsize plen = strlen (ptext), rlen = strlen (rtext);
  guint8 p[OFFAUTH_PAYMENT_SIZE + 1], c[OFFAUTH_CREDENTIAL_SIZE + 1], r[OFFAUTH_REQUEST_SIZE];
  guint8 k[OFFAUTH_CHECKPOINT_SIZE + 1];
  guint8 t[OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * (OFFAUTH_BUNDLE_MAX_KEYS + 1)];
  g_autoptr(OffauthRevocationList) rev = NULL;
  guint8 ids[3 * 16];
  guint8 v[OFFAUTH_REVOCATION_MIN_SIZE + 3 * 16];
  gsize vlen;
  OffauthCheckpoint ckpt = { 0 };

  file_header (o, "forms a reader must refuse as malformed, one rule broken in each");
  g_string_append (o, "# Each entry breaks the rule named and, as far as the rule allows, no other: signed\n"
                      "# messages are signed again after the change. A reader of the type given must refuse\n"
                      "# the text (text, or text_hex for the exact bytes) and, when given, the binary.\n"
                      "# The valid texts they start from are payment-1, request-1 and credential-1 of\n"
                      "# messages.txt.\n");

  /* The text form. */
  {
    gchar *s = NULL;

    s = g_strdup_printf ("OA2P.%s", ptext + 5);
    inv_text (o, "text-prefix-oa2", 'P', "the text starts with \"OA1\"", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("oa1P.%s", ptext + 5);
    inv_text (o, "text-prefix-lowercase", 'P', "the text starts with \"OA1\" (upper case)", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("OA1P%s", ptext + 5);
    inv_text (o, "text-no-dot", 'P', "the type letter is followed by \".\"", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("OA1p.%s", ptext + 5);
    inv_text (o, "text-type-letter-lowercase", 'P', "the type letter is upper case and matches the magic",
              s, strlen (s));
    inv_text (o, "text-other-type", 'P',
              "a reader of payments refuses another type (here a valid credential)", ctext, strlen (ctext));
    inv_text (o, "text-prefix-only", 'P', "base64url of a binary of the type's size follows the \".\"",
              "OA1P.", 5);
    inv_text (o, "text-prefix-no-dot-only", 'P', "the text is \"OA1\" T \".\" base64url", "OA1P", 4);
    g_free (s);
    s = g_strdup_printf ("%s==", ptext);
    inv_text (o, "text-padding", 'P', "no base64 padding '='", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s=", rtext);
    inv_text (o, "text-padding-request", 'R', "no base64 padding '=' (80 bytes, one '=' if padded)", s,
              strlen (s));
    g_free (s);
    s = g_strdup (ptext);
    /* 328 bytes: the last of 438 characters carries 4 unused bits. */
    g_assert ((plen - 5) % 4 == 2);
    set_low_bit (s + plen - 1);
    inv_text (o, "text-unused-bits", 'P', "the unused bits of the last base64url character are zero", s,
              strlen (s));
    g_free (s);
    /* 80 bytes: the last of 107 characters carries 2 unused bits. */
    g_assert ((rlen - 5) % 4 == 3);
    s = g_strdup (rtext);
    set_low_bit (s + rlen - 1);
    inv_text (o, "text-unused-bits-request", 'R', "the unused bits of the last base64url character are zero",
              s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s\r\n", ptext);
    inv_text (o, "text-crlf", 'P', "one trailing LF is allowed, a CR is not", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s\r", ptext);
    inv_text (o, "text-cr", 'P', "no CR", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s\n\n", ptext);
    inv_text (o, "text-two-lf", 'P', "at most one trailing LF", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("\n%s", ptext);
    inv_text (o, "text-leading-lf", 'P', "nothing before \"OA1\"", s, strlen (s));
    g_free (s);
    s = g_strdup_printf (" %s", ptext);
    inv_text (o, "text-leading-space", 'P', "no spaces", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s ", ptext);
    inv_text (o, "text-trailing-space", 'P', "no spaces", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%.200s %s", ptext, ptext + 200);
    inv_text (o, "text-inner-space", 'P', "no spaces", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%.200s\n%s", ptext, ptext + 200);
    inv_text (o, "text-inner-lf", 'P', "no line breaks inside", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%s\t", ptext);
    inv_text (o, "text-trailing-tab", 'P', "no other characters", s, strlen (s));
    g_free (s);
    {
      gsize n = plen + 1;
      gchar *z = g_malloc (n);
      memcpy (z, ptext, 200);
      z[200] = '\0';
      memcpy (z + 201, ptext + 200, plen - 200);
      inv_text (o, "text-inner-nul", 'P', "no NUL (the text is its whole length)", z, n);
      g_free (z);
    }
    s = g_strdup_printf ("%.200s\xc3\xa9%s", ptext, ptext + 202);
    inv_text (o, "text-non-ascii", 'P', "only the base64url alphabet after the \".\"", s, strlen (s));
    g_free (s);
    s = g_strdup (ptext);
    {
      char *at = strpbrk (s + 5, "-_");
      g_assert (at != NULL);
      *at = *at == '-' ? '+' : '/';
    }
    inv_text (o, "text-standard-alphabet", 'P', "the base64url alphabet: '-' and '_', not '+' and '/'", s,
              strlen (s));
    g_free (s);
    s = g_strndup (ptext, plen - 1);
    inv_text (o, "text-length-1-mod-4", 'P', "a base64url length that decodes to whole bytes", s, strlen (s));
    g_free (s);
    s = g_strndup (ptext, plen - 2);
    inv_text (o, "text-truncated", 'P', "the binary is exactly the type's size (327 bytes here)", s, strlen (s));
    g_free (s);
    s = g_strdup_printf ("%sA", ptext);
    inv_text (o, "text-extended", 'P', "the binary is exactly the type's size (329 bytes here)", s, strlen (s));
    g_free (s);
  }

  /* Payments. */
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[0] = 'X';
  inv_payment (o, "payment-magic", "the magic is \"OA1P\"", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[3] = 'R';
  inv_payment (o, "payment-letter-not-magic", "the type letter of the text (P) matches the magic (here OA1R)",
               p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[4] = 2;
  inv_payment (o, "payment-version-2", "version is 1", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[4] = 0;
  inv_payment (o, "payment-version-0", "version is 1", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[5] = 1;
  inv_payment (o, "payment-reserved-5", "reserved bytes (5..7) are zero", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[7] = 0x80;
  inv_payment (o, "payment-reserved-7", "reserved bytes (5..7) are zero", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  inv_payment (o, "payment-short", "a payment is 328 bytes (327 here: the signature's last byte is missing)",
               p, OFFAUTH_PAYMENT_SIZE - 1);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[OFFAUTH_PAYMENT_SIZE] = 0;
  inv_payment (o, "payment-long", "a payment is 328 bytes (329 here: a zero byte appended)", p,
               OFFAUTH_PAYMENT_SIZE + 1);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  put32 (p + 260, 0);
  inv_payment (o, "payment-counter-0", "counter >= 1", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (c, cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);
  memcpy (c + 64, "eur", 3);
  offauth_sign (c + 108, OFFAUTH_TAG_CRED, c, 108, keys[K_ISSUER_A]->sk);
  inv_payment_with_credential (o, "payment-credential-currency", "the credential inside is well-formed "
                               "(its currency is 3 upper-case letters)", c);
  memcpy (c, cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);
  put64 (c + 80, 1999);
  offauth_sign (c + 108, OFFAUTH_TAG_CRED, c, 108, keys[K_ISSUER_A]->sk);
  inv_payment_with_credential (o, "payment-credential-limits", "the credential inside is well-formed "
                               "(offline_total_limit >= per_payment_limit)", c);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  put64 (p + 180 + 48, 0);
  inv_payment (o, "payment-request-amount-0", "the request inside is well-formed (amount >= 1)", p,
               OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[180 + 8 + 5] = 0;
  inv_payment (o, "payment-request-merchant-nul", "the request inside is well-formed (merchant_id "
               "\"kiosk\\0-1\": NUL only as trailing padding)", p, OFFAUTH_PAYMENT_SIZE);
  memcpy (p, payment_1.raw, OFFAUTH_PAYMENT_SIZE);
  p[180 + 3] = 'C';
  inv_payment (o, "payment-request-magic", "the request inside has the magic \"OA1R\"", p,
               OFFAUTH_PAYMENT_SIZE);

  /* Credentials. */
#define CRED_CASE(name, rule, change)                                         \
  G_STMT_START {                                                              \
    memcpy (c, cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);                          \
    change;                                                                   \
    inv_credential (o, name, rule, c, OFFAUTH_CREDENTIAL_SIZE);               \
  } G_STMT_END
  CRED_CASE ("credential-magic", "the magic is \"OA1C\"", c[2] = '2');
  CRED_CASE ("credential-version-2", "version is 1", c[4] = 2);
  CRED_CASE ("credential-reserved-6", "reserved bytes (5..7) are zero", c[6] = 1);
  CRED_CASE ("credential-reserved-67", "the reserved byte 67 is zero", c[67] = 1);
  CRED_CASE ("credential-currency-lowercase", "currency: 3 upper-case ASCII letters", memcpy (c + 64, "eur", 3));
  CRED_CASE ("credential-currency-mixed", "currency: 3 upper-case ASCII letters", memcpy (c + 64, "EuR", 3));
  CRED_CASE ("credential-currency-digit", "currency: 3 upper-case ASCII letters", memcpy (c + 64, "EU1", 3));
  CRED_CASE ("credential-currency-nul", "currency: 3 upper-case ASCII letters", memcpy (c + 64, "EU\0", 3));
  CRED_CASE ("credential-max-offline-count-0", "max_offline_count >= 1", put32 (c + 68, 0));
  CRED_CASE ("credential-per-payment-limit-0", "per_payment_limit >= 1 (offline_total_limit 5000)",
             put64 (c + 72, 0));
  CRED_CASE ("credential-limits-out-of-order", "offline_total_limit >= per_payment_limit (1999 < 2000)",
             put64 (c + 80, 1999));
  CRED_CASE ("credential-not-after-equal", "not_after > not_before (equal here)",
             put64 (c + 96, cred_1.not_before));
  CRED_CASE ("credential-not-after-before", "not_after > not_before",
             put64 (c + 96, cred_1.not_before - 1));
#undef CRED_CASE
  memcpy (c, cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);
  inv_credential (o, "credential-short", "a credential is 172 bytes (171 here)", c, OFFAUTH_CREDENTIAL_SIZE - 1);
  memcpy (c, cred_1.raw, OFFAUTH_CREDENTIAL_SIZE);
  c[OFFAUTH_CREDENTIAL_SIZE] = 0;
  inv_credential (o, "credential-long", "a credential is 172 bytes (173 here)", c, OFFAUTH_CREDENTIAL_SIZE + 1);

  /* Requests. */
#define REQ_CASE(name, rule, change)                                          \
  G_STMT_START {                                                              \
    memcpy (r, request_1.raw, OFFAUTH_REQUEST_SIZE);                          \
    change;                                                                   \
    inv_request (o, name, rule, r, OFFAUTH_REQUEST_SIZE);                     \
  } G_STMT_END
  REQ_CASE ("request-magic", "the magic is \"OA1R\"", r[3] = 'P');
  REQ_CASE ("request-version-2", "version is 1", r[4] = 2);
  REQ_CASE ("request-reserved-5", "reserved bytes (5..7) are zero", r[5] = 1);
  REQ_CASE ("request-reserved-47", "the reserved byte 47 is zero", r[47] = 1);
  REQ_CASE ("request-amount-0", "amount >= 1", put64 (r + 48, 0));
  REQ_CASE ("request-currency-lowercase", "currency: 3 upper-case ASCII letters", memcpy (r + 44, "eur", 3));
  REQ_CASE ("request-currency-latin1", "currency: 3 upper-case ASCII letters", r[46] = 0xc9);
  REQ_CASE ("request-merchant-inner-nul", "merchant_id: NUL only as trailing padding (\"kiosk\\0-1\")",
            r[8 + 5] = 0);
  REQ_CASE ("request-merchant-empty", "merchant_id: 1 to 16 characters (all NUL here)", memset (r + 8, 0, 16));
  REQ_CASE ("request-merchant-leading-nul", "merchant_id: NUL only as trailing padding",
            memmove (r + 9, r + 8, 15); r[8] = 0);
  REQ_CASE ("request-merchant-slash", "merchant_id: characters of [A-Za-z0-9._-] (\"kiosk/1\")", r[8 + 5] = '/');
  REQ_CASE ("request-merchant-space", "merchant_id: characters of [A-Za-z0-9._-] (\"kiosk 1\")", r[8 + 5] = ' ');
  REQ_CASE ("request-merchant-high-byte", "merchant_id: characters of [A-Za-z0-9._-]", r[8 + 1] = 0xe9);
#undef REQ_CASE
  memcpy (r, request_1.raw, OFFAUTH_REQUEST_SIZE);
  inv_request (o, "request-short", "a request is 80 bytes (79 here)", r, OFFAUTH_REQUEST_SIZE - 1);

  /* Trust bundles: bundle-1 changed and signed again by the root. */
  {
    gsize blen = bundle1.raw_len;

#define BUNDLE_CASE(name, rule, change)                                       \
  G_STMT_START {                                                              \
    memcpy (t, bundle1.raw, blen);                                            \
    change;                                                                   \
    inv_bundle_sign (o, name, rule, t, blen);                                 \
  } G_STMT_END
    BUNDLE_CASE ("bundle-magic", "the magic is \"OA1T\"", t[0] = 'o');
    BUNDLE_CASE ("bundle-version-2", "version is 1", t[4] = 2);
    BUNDLE_CASE ("bundle-reserved-5", "the reserved byte 5 is zero", t[5] = 1);
    BUNDLE_CASE ("bundle-n-too-large-for-length", "the size is 128 + 64 n (n 4, three entries here)", t[6] = 4);
    BUNDLE_CASE ("bundle-n-too-small-for-length", "the size is 128 + 64 n (n 2, three entries here)", t[6] = 2);
    BUNDLE_CASE ("bundle-expires-equal", "expires_at > issued_at (equal here)",
                 put64 (t + 56, bundle1.issued_at));
    BUNDLE_CASE ("bundle-expires-before", "expires_at > issued_at", put64 (t + 56, bundle1.issued_at - 1));
    BUNDLE_CASE ("bundle-entry-reserved", "an entry's reserved bytes (60..63) are zero", t[64 + 64 + 63] = 1);
    BUNDLE_CASE ("bundle-key-id-not-its-key", "each entry's key id is the key id of its key (entry 0's "
                 "last key id byte changed)", t[64 + 7] ^= 1);
    BUNDLE_CASE ("bundle-key-ids-not-ascending", "entry key ids strictly ascending (entries 0 and 1 swapped)",
                 {
                   guint8 tmp[64];
                   memcpy (tmp, t + 64, 64);
                   memcpy (t + 64, t + 128, 64);
                   memcpy (t + 128, tmp, 64);
                 });
    BUNDLE_CASE ("bundle-key-ids-repeated", "entry key ids unique (entry 0 twice)", memcpy (t + 128, t + 64, 64));
#undef BUNDLE_CASE

    /* n = 0: the header and the signature only. */
    memcpy (t, bundle1.raw, 64);
    t[6] = 0;
    inv_bundle_sign (o, "bundle-n-0", "n, the number of issuer keys, is 1..64 (0 here)", t,
                     OFFAUTH_BUNDLE_MIN_SIZE);
    /* n = 65 with 65 well-formed, ascending entries. */
    {
      OffauthIssuerKey many[OFFAUTH_BUNDLE_MAX_KEYS + 1];
      gsize len = OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * G_N_ELEMENTS (many);

      for (guint i = 0; i < G_N_ELEMENTS (many); i++)
        {
          guint8 seed[OFFAUTH_SEED_SIZE];
          g_autoptr(OffauthSecretKey) key = NULL;

          memset (seed, 0, sizeof seed);
          seed[0] = 0xb0;
          seed[1] = (guint8) i;
          key = offauth_secret_key_from_seed (seed);
          memset (&many[i], 0, sizeof many[i]);
          memcpy (many[i].public_key, key->pk, OFFAUTH_PK_SIZE);
          offauth_key_id (many[i].key_id, key->pk);
          many[i].not_before = T0 - DAY;
          many[i].not_after = T0 + 365 * DAY;
        }
      qsort (many, G_N_ELEMENTS (many), sizeof many[0], compare_key_ids);
      memcpy (t, bundle1.raw, 64);
      t[6] = G_N_ELEMENTS (many);
      t[7] = 0;
      for (guint i = 0; i < G_N_ELEMENTS (many); i++)
        {
          guint8 *e = t + 64 + 64 * i;
          memset (e, 0, 64);
          memcpy (e, many[i].key_id, 8);
          memcpy (e + 8, many[i].public_key, 32);
          put64 (e + 40, many[i].not_before);
          put64 (e + 48, many[i].not_after);
        }
      inv_bundle_sign (o, "bundle-n-65", "n, the number of issuer keys, is 1..64 (65 well-formed entries here)",
                       t, len);
    }
    memcpy (t, bundle1.raw, blen);
    inv_bundle_sign (o, "bundle-short", "the size is 128 + 64 n (one byte short)", t, blen - 1);
  }

  /* Revocation lists: revocation-2 of messages.txt changed and signed again. */
  memset (ids, 0xa5, 16);
  memset (ids + 16, 0x10, 16);
  memset (ids + 32, 0xfe, 16);
  ids[47] = 0xff;
  rev = revocation_build (K_ISSUER_A, 2, T0 + 50, T0 + DAY, ids, 3);
  {
    const guint8 *raw = g_bytes_get_data (rev->raw, &vlen);

    g_assert (vlen == sizeof v);
#define REV_CASE(name, rule, change)                                          \
  G_STMT_START {                                                              \
    memcpy (v, raw, vlen);                                                    \
    change;                                                                   \
    inv_revocation_sign (o, name, rule, v, vlen);                             \
  } G_STMT_END
    REV_CASE ("revocation-magic", "the magic is \"OA1V\"", v[3] = 'T');
    REV_CASE ("revocation-version-2", "version is 1", v[4] = 2);
    REV_CASE ("revocation-reserved-7", "reserved bytes (5..7) are zero", v[7] = 1);
    REV_CASE ("revocation-reserved-44", "reserved bytes (44..47) are zero", v[44] = 1);
    REV_CASE ("revocation-next-update-before", "next_update >= issued_at", put64 (v + 32, T0 + 49));
    REV_CASE ("revocation-ids-not-ascending", "ids strictly ascending, bytewise (ids 0 and 1 swapped)",
              {
                guint8 tmp[16];
                memcpy (tmp, v + 48, 16);
                memcpy (v + 48, v + 64, 16);
                memcpy (v + 64, tmp, 16);
              });
    REV_CASE ("revocation-ids-repeated", "ids strictly ascending (id 1 twice)", memcpy (v + 80, v + 64, 16));
    REV_CASE ("revocation-n-too-large-for-length", "the size is 112 + 16 n (n 4, three ids here)",
              put32 (v + 40, 4));
    REV_CASE ("revocation-n-too-small-for-length", "the size is 112 + 16 n (n 2, three ids here)",
              put32 (v + 40, 2));
    REV_CASE ("revocation-n-over-limit", "n <= 1048576 (1048577 here; the size does not match either)",
              put32 (v + 40, OFFAUTH_REVOCATION_MAX_IDS + 1));
#undef REV_CASE
    memcpy (v, raw, vlen);
    inv_revocation_sign (o, "revocation-short", "the size is 112 + 16 n (one byte short)", v, vlen - 1);
  }

  /* Checkpoints. */
  memcpy (ckpt.terminal_id, terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  ckpt.seq = 3;
  memset (ckpt.chain_hash, 0x3c, OFFAUTH_HASH_SIZE);
  ckpt.created_at = T0 + 160;
  offauth_checkpoint_sign (&ckpt, keys[K_TERMINAL]);
#define CKPT_CASE(name, rule, change)                                         \
  G_STMT_START {                                                              \
    memcpy (k, ckpt.raw, OFFAUTH_CHECKPOINT_SIZE);                            \
    change;                                                                   \
    inv_checkpoint_sign (o, name, rule, k, OFFAUTH_CHECKPOINT_SIZE);          \
  } G_STMT_END
  CKPT_CASE ("checkpoint-magic", "the magic is \"OA1K\"", k[3] = 'C');
  CKPT_CASE ("checkpoint-version-2", "version is 1", k[4] = 2);
  CKPT_CASE ("checkpoint-reserved-6", "reserved bytes (5..7) are zero", k[6] = 1);
#undef CKPT_CASE
  memcpy (k, ckpt.raw, OFFAUTH_CHECKPOINT_SIZE);
  inv_checkpoint_sign (o, "checkpoint-short", "a checkpoint is 136 bytes (135 here)", k,
                       OFFAUTH_CHECKPOINT_SIZE - 1);
  memcpy (k, ckpt.raw, OFFAUTH_CHECKPOINT_SIZE);
  k[OFFAUTH_CHECKPOINT_SIZE] = 0;
  inv_checkpoint_sign (o, "checkpoint-long", "a checkpoint is 136 bytes (137 here)", k,
                       OFFAUTH_CHECKPOINT_SIZE + 1);

  gen_invalid_sync (o);
  gen_invalid_records (o);
  write_out ("invalid.txt", o);
  g_string_free (o, TRUE);
}

/* Decision scenarios */

typedef struct
{
  const char           *dir;
  const char           *file;
  GString              *out;
  OffauthTerminalConfig config;
  guint                 n_requests;
  gchar                *note;
} Scenario;

static Scenario *
sc_new_in (const char *dir,
           const char *file,
           const char *covers,
           const char *description,
           const char *pending)
{
  Scenario *sc = g_new0 (Scenario, 1);

  sc->dir = dir;
  sc->file = file;
  sc->out = g_string_new (NULL);
  offauth_terminal_config_init (&sc->config);
  file_header (sc->out, "a decision scenario, replayed step by step on a new terminal");
  kv (sc->out, "scenario", "%s", file);
  kv (sc->out, "covers", "%s", covers);
  kv (sc->out, "description", "%s", description);
  if (pending != NULL)
    kv (sc->out, "pending", "%s", pending);
  return sc;
}

static Scenario *
sc_new (const char *file,
        const char *covers,
        const char *description)
{
  return sc_new_in ("decisions", file, covers, description, NULL);
}

static void
sc_end (Scenario *sc)
{
  g_autofree gchar *name = g_strdup_printf ("%s/%s.vec", sc->dir, sc->file);

  g_assert (sc->note == NULL);
  write_out (name, sc->out);
  g_string_free (sc->out, TRUE);
  g_free (sc);
}

static void
sc_note (Scenario   *sc,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static void
sc_note (Scenario   *sc,
         const char *format,
         ...)
{
  va_list args;

  g_assert (sc->note == NULL);
  va_start (args, format);
  sc->note = g_strdup_vprintf (format, args);
  va_end (args);
}

static void
sc_step (Scenario   *sc,
         const char *step,
         guint64     when)
{
  g_string_append_c (sc->out, '\n');
  if (sc->note != NULL)
    {
      g_string_append_printf (sc->out, "# %s\n", sc->note);
      g_clear_pointer (&sc->note, g_free);
    }
  kv (sc->out, "step", "%s", step);
  kv_u64 (sc->out, "time", when);
}

static void
write_config (GString *o, const OffauthTerminalConfig *c)
{
  kv_u64 (o, "floor_limit", c->floor_limit);
  kv_u64 (o, "cap_total", c->cap_total);
  kv_u64 (o, "cap_count", c->cap_count);
  kv_u64 (o, "stale_cap", c->stale_cap);
  kv_u64 (o, "upload_deadline", c->upload_deadline);
  kv_u64 (o, "request_lifetime", c->request_lifetime);
  kv_u64 (o, "scope", c->scope);
}

/* fingerprint: the root fingerprint the operator gives, "none" to trust on first use. */
static void
sc_enroll_with (Scenario                    *sc,
                guint64                      when,
                const OffauthTerminalConfig *config,
                const char                  *fingerprint,
                gboolean                     ok)
{
  if (ok)
    sc->config = *config;
  sc_step (sc, "enroll", when);
  kv_hex (sc->out, "terminal_seed", (const guint8 *) keys[K_TERMINAL]->sk, OFFAUTH_SEED_SIZE);
  kv_hex (sc->out, "terminal_id", terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  kv (sc->out, "merchant_id", MERCHANT);
  kv (sc->out, "root_fingerprint", "%s", fingerprint);
  write_config (sc->out, config);
  kv (sc->out, "bundle", "%s", bundle1_text);
  kv (sc->out, "expect", ok ? "ok" : "error");
}

static void
sc_enroll_full (Scenario                    *sc,
                guint64                      when,
                const OffauthTerminalConfig *config,
                gboolean                     tofu)
{
  sc_enroll_with (sc, when, config, tofu ? "none" : root_fpr, TRUE);
}

static void
sc_revocations_expect (Scenario *sc, guint64 when, const char *text, gboolean ok)
{
  sc_step (sc, "revocations", when);
  kv (sc->out, "list", "%s", text);
  kv (sc->out, "expect", ok ? "ok" : "error");
}

static void
sc_revocations (Scenario *sc, guint64 when, const char *text)
{
  sc_revocations_expect (sc, when, text, TRUE);
}

static void
sc_bundle (Scenario *sc, guint64 when, const char *text, gboolean ok)
{
  sc_step (sc, "bundle", when);
  kv (sc->out, "bundle", "%s", text);
  kv (sc->out, "expect", ok ? "ok" : "error");
}

/* Enrolls at T0 with bundle-1 and loads the lists of issuer keys A, B and C. */
static void
sc_preamble (Scenario *sc, const OffauthTerminalConfig *config)
{
  sc_enroll_full (sc, T0, config, FALSE);
  sc_revocations (sc, T0, rev_a1_text);
  sc_revocations (sc, T0, rev_b1_text);
  sc_revocations (sc, T0, rev_c1_text);
}

static void
sc_request_step (Scenario *sc, guint64 when, guint64 amount, const char *currency, OffauthRequest *r)
{
  guint8 fill = (guint8) ++sc->n_requests;

  request_build (r, MERCHANT, terminal_id, sc->config.scope, currency, amount, when, fill);
  sc_step (sc, "request", when);
  kv_u64 (sc->out, "amount", amount);
  kv (sc->out, "currency", "%s", currency);
  kv_hex (sc->out, "challenge", r->challenge, OFFAUTH_CHALLENGE_SIZE);
}

static void
sc_request (Scenario *sc, guint64 when, guint64 amount, const char *currency, OffauthRequest *r)
{
  sc_request_step (sc, when, amount, currency, r);
  kv (sc->out, "expect", "ok");
  kv_text (sc->out, "request", 'R', r->raw, OFFAUTH_REQUEST_SIZE);
}

static void
sc_request_refused (Scenario *sc, guint64 when, guint64 amount, OffauthReason reason)
{
  OffauthRequest r;

  sc_request_step (sc, when, amount, "EUR", &r);
  kv (sc->out, "expect", "refused %s", offauth_reason_code (reason));
}

static void
sc_authorize_step (Scenario *sc, guint64 when, const char *text, const char *const *lines)
{
  sc_step (sc, "authorize", when);
  kv (sc->out, "payment", "%s", text);
  for (gsize i = 0; lines != NULL && lines[i] != NULL; i++)
    kv (sc->out, "line", "%s", lines[i]);
}

static void
sc_approve_lines (Scenario *sc, guint64 when, const OffauthPayment *p, const char *const *lines)
{
  g_autofree gchar *text = payment_text (p);

  sc_authorize_step (sc, when, text, lines);
  kv (sc->out, "expect", "approved");
  kv_hex (sc->out, "sale_id", p->sale_id, OFFAUTH_SALE_ID_SIZE);
  kv_u64 (sc->out, "sale_amount", p->request.amount);
  kv_u64 (sc->out, "sale_time", when);
}

static void
sc_approve (Scenario *sc, guint64 when, const OffauthPayment *p)
{
  sc_approve_lines (sc, when, p, NULL);
}

static void
sc_again (Scenario *sc, guint64 when, const OffauthPayment *p, guint64 first_time)
{
  g_autofree gchar *text = payment_text (p);

  sc_authorize_step (sc, when, text, NULL);
  kv (sc->out, "expect", "approved-again");
  kv_hex (sc->out, "sale_id", p->sale_id, OFFAUTH_SALE_ID_SIZE);
  kv_u64 (sc->out, "sale_amount", p->request.amount);
  kv_u64 (sc->out, "sale_time", first_time);
}

static void
sc_refuse_text (Scenario *sc, guint64 when, const char *text, OffauthReason reason,
                const char *const *lines)
{
  sc_authorize_step (sc, when, text, lines);
  kv (sc->out, "expect", "refused %s", offauth_reason_code (reason));
}

static void
sc_refuse (Scenario *sc, guint64 when, const OffauthPayment *p, OffauthReason reason)
{
  g_autofree gchar *text = payment_text (p);

  sc_refuse_text (sc, when, text, reason, NULL);
}

static void
sc_refuse_recorded (Scenario *sc, guint64 when, const OffauthPayment *p, guint64 first_time)
{
  g_autofree gchar *text = payment_text (p);

  sc_authorize_step (sc, when, text, NULL);
  kv (sc->out, "expect", "refused %s", offauth_reason_code (OFFAUTH_REASON_ALREADY_RECORDED));
  kv_hex (sc->out, "sale_id", p->sale_id, OFFAUTH_SALE_ID_SIZE);
  kv_u64 (sc->out, "sale_amount", p->request.amount);
  kv_u64 (sc->out, "sale_time", first_time);
}

static void
sc_config (Scenario *sc, guint64 when, const OffauthTerminalConfig *config)
{
  sc->config = *config;
  sc_step (sc, "config", when);
  write_config (sc->out, config);
  kv (sc->out, "expect", "ok");
}

static void
sc_simple (Scenario *sc, const char *step, guint64 when)
{
  sc_step (sc, step, when);
  kv (sc->out, "expect", "ok");
}

/* One request and its payment, approved. */
static void
sc_sale (Scenario *sc, guint64 when, guint64 amount, const OffauthCredential *c, guint32 counter,
         OffauthPayment *p_out)
{
  OffauthRequest r;
  OffauthPayment p;

  sc_request (sc, when, amount, "EUR", &r);
  pay (&p, c, &r, counter);
  sc_approve (sc, when + 10, &p);
  if (p_out != NULL)
    *p_out = p;
}

/* One request and its payment, refused. */
static void
sc_refused_sale (Scenario *sc, guint64 when, guint64 amount, const OffauthCredential *c,
                 guint32 counter, OffauthReason reason)
{
  OffauthRequest r;
  OffauthPayment p;

  sc_request (sc, when, amount, "EUR", &r);
  pay (&p, c, &r, counter);
  sc_refuse (sc, when + 10, &p, reason);
}

static void
default_cred (OffauthCredential *c, guint8 id_fill)
{
  cred_init (c, id_fill);
  cred_sign (c, K_ISSUER_A, K_ISSUER_A);
}

static void
scen_approved (void)
{
  Scenario *sc = sc_new ("00-approved", "approved",
                         "Offline sales approved up to the credential's per-payment and total "
                         "limits; a double scan of the latest payment is approved again (already "
                         "recorded) and records nothing, also when signed again with another nonce.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p1, p1b, p;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xa1);
  sc_preamble (sc, &cfg);
  sc_note (sc, "credential 'a1' (issuer A: EUR, at most 2000 each, 5000 in all, 5 payments)");
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p1, &c, &r, 1);
  sc_approve (sc, T0 + 110, &p1);
  sc_note (sc, "the same code scanned again: approved again as the sale already recorded");
  sc_again (sc, T0 + 115, &p1, T0 + 110);
  payment_resigned (&p1b, &p1, "00-approved");
  sc_note (sc, "the same payment with another valid signature (randomised Ed25519): the same sale id");
  sc_again (sc, T0 + 116, &p1b, T0 + 110);
  sc_note (sc, "the terminal restarts (as after a crash between the commit and the screen)");
  sc_simple (sc, "restart", T0 + 117);
  sc_again (sc, T0 + 118, &p1, T0 + 110);
  sc_note (sc, "exactly the per-payment limit; above the stale cap with a current revocation list");
  sc_request (sc, T0 + 200, 2000, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_approve (sc, T0 + 210, &p);
  sc_request (sc, T0 + 300, 1000, "EUR", &r);
  pay (&p, &c, &r, 3);
  sc_approve (sc, T0 + 310, &p);
  sc_note (sc, "the offline total reaches exactly the credential's 5000");
  sc_request (sc, T0 + 400, 750, "EUR", &r);
  pay (&p, &c, &r, 4);
  sc_approve (sc, T0 + 410, &p);
  sc_end (sc);
}

static void
scen_approved_again_blocked (void)
{
  Scenario *sc = sc_new ("00-approved-again-blocked", "approved",
                         "The double scan of the latest payment is approved again even when the "
                         "terminal state would now refuse (the check comes before the terminal "
                         "state): here the terminal cap of 1 sale, then an expired bundle.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p, pb;

  offauth_terminal_config_init (&cfg);
  cfg.cap_count = 1;
  default_cred (&c, 0xa1);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_approve (sc, T0 + 110, &p);
  sc_note (sc, "one unsettled sale reaches cap_count 1: no new request");
  sc_request_refused (sc, T0 + 120, 100, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  sc_again (sc, T0 + 130, &p, T0 + 110);
  payment_resigned (&pb, &p, "00-approved-again-blocked");
  sc_again (sc, T0 + 131, &pb, T0 + 110);
  sc_note (sc, "past the bundle's expires_at (and the upload deadline): still the same sale");
  sc_again (sc, T0 + 30 * DAY + 1, &p, T0 + 110);
  sc_request_refused (sc, T0 + 30 * DAY + 1, 100, OFFAUTH_REASON_BUNDLE_EXPIRED);
  sc_end (sc);
}

static void
scen_approved_scope (void)
{
  Scenario *sc = sc_new ("00-approved-scope", "approved",
                         "A merchant of scope 7, enrolled trusting the root on first use: "
                         "credentials of scope 7 or 0 from key A, and of scope 7 from key C "
                         "(whose bundle entry has scope 7), are approved; scope 3 is not.");
  OffauthTerminalConfig cfg;
  OffauthCredential c7, cc, c0, c3;

  offauth_terminal_config_init (&cfg);
  cfg.scope = 7;
  cred_init (&c7, 0xb7);
  c7.scope = 7;
  cred_sign (&c7, K_ISSUER_A, K_ISSUER_A);
  cred_init (&cc, 0xbc);
  cc.scope = 7;
  cred_sign (&cc, K_ISSUER_C, K_ISSUER_C);
  default_cred (&c0, 0xb0);
  cred_init (&c3, 0xb3);
  c3.scope = 3;
  cred_sign (&c3, K_ISSUER_A, K_ISSUER_A);

  sc_enroll_full (sc, T0, &cfg, TRUE);
  sc_revocations (sc, T0, rev_a1_text);
  sc_revocations (sc, T0, rev_b1_text);
  sc_revocations (sc, T0, rev_c1_text);
  sc_note (sc, "credential of scope 7 from key A");
  sc_sale (sc, T0 + 100, 500, &c7, 1, NULL);
  sc_note (sc, "credential of scope 7 from key C (scope 7)");
  sc_sale (sc, T0 + 200, 500, &cc, 1, NULL);
  sc_note (sc, "credential of scope 0 (any merchant) from key A");
  sc_sale (sc, T0 + 300, 500, &c0, 1, NULL);
  sc_note (sc, "credential of scope 3 from key A");
  sc_refused_sale (sc, T0 + 400, 500, &c3, 1, OFFAUTH_REASON_OUT_OF_SCOPE);
  sc_end (sc);
}

static void
scen_not_enrolled (void)
{
  Scenario *sc = sc_new ("01-not_enrolled", "not_enrolled",
                         "A terminal that was never enrolled issues no request and approves nothing; "
                         "the terminal state is checked before the payment, even a garbled one.");
  g_autofree gchar *text = payment_text (&payment_1);
  g_autofree gchar *wrong = offauth_root_fingerprint (keys[K_STRANGER]->pk);
  OffauthTerminalConfig cfg;

  offauth_terminal_config_init (&cfg);
  sc_request_refused (sc, T0, 1250, OFFAUTH_REASON_NOT_ENROLLED);
  sc_note (sc, "enrollment refused: the operator's root fingerprint (of key 'stranger') is not bundle-1's root");
  sc_enroll_with (sc, T0 + 5, &cfg, wrong, FALSE);
  sc_note (sc, "payment-1 of messages.txt");
  sc_refuse_text (sc, T0 + 10, text, OFFAUTH_REASON_NOT_ENROLLED, NULL);
  sc_refuse_text (sc, T0 + 20, "hello", OFFAUTH_REASON_NOT_ENROLLED, NULL);
  sc_end (sc);
}

static void
scen_bundle_expired (void)
{
  Scenario *sc = sc_new ("02-bundle_expired", "bundle_expired",
                         "Past the trust bundle's expires_at (T0+30d) the terminal issues no request "
                         "and approves nothing offline.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;
  guint64 expires = T0 + 30 * DAY;

  offauth_terminal_config_init (&cfg);
  cred_init (&c, 0xa2);
  c.not_after = T0 + 60 * DAY;
  cred_sign (&c, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "credential valid until T0+60d; the bundle expires at T0+30d");
  sc_sale (sc, expires - 20, 500, &c, 1, NULL);
  sc_request (sc, expires - 2, 600, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_note (sc, "a payment for a request issued before expiry, shown after it");
  sc_refuse (sc, expires + 1, &p, OFFAUTH_REASON_BUNDLE_EXPIRED);
  sc_request_refused (sc, expires + 1, 600, OFFAUTH_REASON_BUNDLE_EXPIRED);
  sc_end (sc);
}

/* PROTOCOL.md: "Past expires_at the terminal approves nothing offline": at expires_at itself
 * the bundle still holds (as a credential at its not_after, a revocation list at its
 * next_update). */
static void
scen_bundle_expiry_boundary (void)
{
  Scenario *sc = sc_new ("02-bundle_expired-boundary", "bundle_expired",
                         "At the trust bundle's expires_at (T0+30d) itself offline sales go on; "
                         "one second past it they stop.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;
  guint64 expires = T0 + 30 * DAY;

  offauth_terminal_config_init (&cfg);
  cred_init (&c, 0xa2);
  c.not_after = T0 + 60 * DAY;
  cred_sign (&c, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_request (sc, expires - 10, 500, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "authorized at expires_at");
  sc_approve (sc, expires, &p);
  sc_note (sc, "a request issued at expires_at");
  sc_request (sc, expires, 600, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_approve (sc, expires, &p);
  sc_request_refused (sc, expires + 1, 600, OFFAUTH_REASON_BUNDLE_EXPIRED);
  sc_end (sc);
}

static void
scen_clock_untrusted (void)
{
  Scenario *sc = sc_new ("03-clock_untrusted", "clock_untrusted",
                         "The clock more than 300 s behind the trusted time floor (the bundle's "
                         "issued_at, T0-3600) blocks the terminal until the merchant accepts the clock.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;
  guint64 floor = T0 - 3600;

  offauth_terminal_config_init (&cfg);
  cred_init (&c, 0xa3);
  c.not_before = T0 - 7200;
  cred_sign (&c, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "exactly 300 s behind the floor: still trusted");
  sc_request (sc, floor - 300, 500, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "301 s behind the floor");
  sc_request_refused (sc, floor - 301, 500, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  sc_refuse (sc, floor - 301, &p, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  sc_note (sc, "the merchant accepts the current clock (recorded in the journal)");
  sc_simple (sc, "accept-clock", floor - 301);
  sc_approve (sc, floor - 299, &p);
  sc_end (sc);
}

static void
scen_clock_backwards (void)
{
  Scenario *sc = sc_new ("03-clock_untrusted-backwards", "clock_untrusted",
                         "The clock more than 300 s behind the latest recorded sale (it went "
                         "backwards) blocks the terminal until the merchant accepts the clock.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xa4);
  sc_preamble (sc, &cfg);
  sc_note (sc, "the latest sale is at T0+1010");
  sc_sale (sc, T0 + 1000, 500, &c, 1, NULL);
  sc_note (sc, "301 s behind the latest sale");
  sc_request_refused (sc, T0 + 709, 500, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  sc_note (sc, "exactly 300 s behind the latest sale: still trusted");
  sc_request (sc, T0 + 710, 500, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_approve (sc, T0 + 710, &p);
  sc_note (sc, "the clock goes back further; the state is checked before the payment (whose request is used)");
  pay (&p, &c, &r, 3);
  sc_refuse (sc, T0 + 500, &p, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  sc_request_refused (sc, T0 + 500, 500, OFFAUTH_REASON_CLOCK_UNTRUSTED);
  sc_simple (sc, "accept-clock", T0 + 500);
  sc_request (sc, T0 + 500, 500, "EUR", &r);
  pay (&p, &c, &r, 4);
  sc_approve (sc, T0 + 505, &p);
  sc_end (sc);
}

static void
scen_upload_overdue (void)
{
  Scenario *sc = sc_new ("04-upload_overdue", "upload_overdue",
                         "An unsettled sale older than the upload deadline (3600 s here) blocks the "
                         "terminal.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  cfg.upload_deadline = 3600;
  default_cred (&c, 0xa5);
  sc_preamble (sc, &cfg);
  sc_note (sc, "the oldest unsettled sale is at T0+110");
  sc_sale (sc, T0 + 100, 500, &c, 1, NULL);
  sc_note (sc, "exactly 3600 s later: not yet overdue");
  sc_request (sc, T0 + 3710, 500, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_refuse (sc, T0 + 3711, &p, OFFAUTH_REASON_UPLOAD_OVERDUE);
  sc_request_refused (sc, T0 + 3711, 500, OFFAUTH_REASON_UPLOAD_OVERDUE);
  sc_end (sc);
}

static void
scen_over_terminal_cap (void)
{
  Scenario *sc = sc_new ("05-over_terminal_cap", "over_terminal_cap",
                         "The unsettled value (cap_total, including the amount being asked for) or "
                         "count (cap_count) over the terminal's cap pauses offline sales.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  cfg.cap_count = 2;
  cfg.cap_total = 3000;
  default_cred (&c, 0xa6);
  sc_preamble (sc, &cfg);
  sc_sale (sc, T0 + 100, 1250, &c, 1, NULL);
  sc_note (sc, "1250 unsettled + 1751 > 3000");
  sc_request_refused (sc, T0 + 200, 1751, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  sc_note (sc, "1250 unsettled + 1750 = 3000");
  sc_request (sc, T0 + 210, 1750, "EUR", &r);
  pay (&p, &c, &r, 2);
  cfg.cap_total = 2500;
  sc_config (sc, T0 + 215, &cfg);
  sc_refuse (sc, T0 + 220, &p, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  cfg.cap_total = 3000;
  sc_config (sc, T0 + 225, &cfg);
  sc_approve (sc, T0 + 230, &p);
  sc_note (sc, "two unsettled sales reach cap_count 2");
  sc_request_refused (sc, T0 + 300, 1, OFFAUTH_REASON_OVER_TERMINAL_CAP);
  sc_end (sc);
}

static void
scen_malformed (void)
{
  Scenario *sc = sc_new ("06-malformed", "malformed",
                         "Codes that are not well-formed payments are refused as malformed "
                         "(invalid.txt has one for each rule); the request stays open.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p, bad;
  g_autofree gchar *text = NULL;
  g_autofree gchar *padded = NULL;
  g_autofree gchar *rtext = NULL;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xa7);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_refuse_text (sc, T0 + 101, "hello", OFFAUTH_REASON_MALFORMED, NULL);
  sc_note (sc, "counter 0 (signed by the payer)");
  bad = p;
  bad.counter = 0;
  offauth_payment_sign (&bad, keys[K_PAYER]);
  sc_refuse (sc, T0 + 102, &bad, OFFAUTH_REASON_MALFORMED);
  sc_note (sc, "base64 padding");
  text = payment_text (&p);
  padded = g_strdup_printf ("%s==", text);
  sc_refuse_text (sc, T0 + 103, padded, OFFAUTH_REASON_MALFORMED, NULL);
  sc_note (sc, "the request itself shown instead of a payment");
  rtext = offauth_text_encode ('R', r.raw, OFFAUTH_REQUEST_SIZE);
  sc_refuse_text (sc, T0 + 104, rtext, OFFAUTH_REASON_MALFORMED, NULL);
  sc_approve (sc, T0 + 110, &p);
  sc_end (sc);
}

static void
scen_bad_payer_signature (void)
{
  Scenario *sc = sc_new ("07-bad_payer_signature", "bad_payer_signature",
                         "The payer's signature (by the key inside the credential) must verify.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, cs;
  OffauthRequest r;
  OffauthPayment p, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xa8);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "one bit of the signature's R changed");
  bad = p;
  bad.raw[OFFAUTH_PAYMENT_SIGNED] ^= 0x01;
  sc_refuse (sc, T0 + 101, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  sc_note (sc, "signed by another key than the credential's payer key");
  pay_with (&bad, &c, &r, 1, K_STRANGER);
  sc_refuse (sc, T0 + 102, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  sc_note (sc, "the counter changed to 2 after signing");
  bad = p;
  bad.raw[260] = 2;
  sc_refuse (sc, T0 + 103, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  sc_note (sc, "the signature's S changed to S + L (not canonical; strict verification refuses it)");
  bad = p;
  {
    /* L, the order of the Ed25519 base point, little-endian. */
    static const guint8 order[32] = {
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    };
    guint carry = 0;
    guint8 *s = bad.raw + OFFAUTH_PAYMENT_SIGNED + 32;

    for (int i = 0; i < 32; i++)
      {
        carry += (guint) s[i] + order[i];
        s[i] = (guint8) carry;
        carry >>= 8;
      }
    g_assert (carry == 0);
  }
  sc_refuse (sc, T0 + 104, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  sc_note (sc, "a credential (issuer A) whose payer key is the identity point, of small order, and a "
           "signature R = identity, S = 0: a cofactorless verifier that accepts small-order keys and R "
           "would accept it for any message; strict verification refuses it");
  {
    OffauthCredential small;

    cred_init (&small, 0xa6);
    memset (small.payer_public_key, 0, OFFAUTH_PK_SIZE);
    small.payer_public_key[0] = 0x01;
    cred_sign (&small, K_ISSUER_A, K_ISSUER_A);
    memset (&bad, 0, sizeof bad);
    bad.credential = small;
    bad.request = r;
    bad.counter = 1;
    memset (bad.signature, 0, OFFAUTH_SIG_SIZE);
    bad.signature[0] = 0x01;
    offauth_payment_encode (&bad);
    sc_refuse (sc, T0 + 105, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  }
  sc_note (sc, "a bad payer signature comes before an unknown issuer key");
  cred_init (&cs, 0xa9);
  cred_sign (&cs, K_STRANGER, K_STRANGER);
  pay_with (&bad, &cs, &r, 1, K_STRANGER);
  sc_refuse (sc, T0 + 106, &bad, OFFAUTH_REASON_BAD_PAYER_SIGNATURE);
  sc_approve (sc, T0 + 110, &p);
  sc_end (sc);
}

static void
scen_already_recorded (void)
{
  Scenario *sc = sc_new ("08-already_recorded", "already_recorded",
                         "An approved payment shown again after a newer request is an old payment "
                         "shown again: refused, naming the first sale's id, amount and time.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p1, p1b, p2;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xaa);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p1, &c, &r, 1);
  sc_approve (sc, T0 + 110, &p1);
  sc_request (sc, T0 + 200, 800, "EUR", &r);
  pay (&p2, &c, &r, 2);
  sc_note (sc, "the first payment shown again for the new request");
  sc_refuse_recorded (sc, T0 + 205, &p1, T0 + 110);
  sc_note (sc, "the same, signed again with another nonce: the same sale id");
  payment_resigned (&p1b, &p1, "08-already_recorded");
  sc_refuse_recorded (sc, T0 + 206, &p1b, T0 + 110);
  sc_approve (sc, T0 + 210, &p2);
  sc_again (sc, T0 + 215, &p2, T0 + 210);
  sc_refuse_recorded (sc, T0 + 220, &p1, T0 + 110);
  sc_end (sc);
}

static void
scen_unknown_issuer_key (void)
{
  Scenario *sc = sc_new ("09-unknown_issuer_key", "unknown_issuer_key",
                         "A credential whose issuer key is not in the trust bundle.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, cs, cb;
  OffauthPayment pb;

  offauth_terminal_config_init (&cfg);
  cfg.upload_deadline = 7 * DAY;
  default_cred (&c, 0xab);
  cred_init (&cs, 0xac);
  cred_sign (&cs, K_STRANGER, K_STRANGER);
  cred_init (&cb, 0xa0);
  cb.not_after = T0 + 2 * DAY;
  cred_sign (&cb, K_ISSUER_B, K_ISSUER_B);
  sc_preamble (sc, &cfg);
  sc_note (sc, "issued and signed by the key 'stranger'");
  sc_refused_sale (sc, T0 + 100, 500, &cs, 1, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY);
  sc_note (sc, "the same, also over its per-payment limit: the issuer is checked first");
  sc_refused_sale (sc, T0 + 200, 2500, &cs, 2, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY);
  sc_sale (sc, T0 + 300, 500, &c, 1, NULL);
  sc_note (sc, "a credential of issuer key B, approved while B is in the bundle");
  sc_sale (sc, T0 + 400, 500, &cb, 1, &pb);
  sc_note (sc, "bundle-2 (sequence 2, key A only) is issued at T0+1d: more than 300 s ahead of the clock");
  sc_bundle (sc, T0 + DAY - 301, bundle2_text, FALSE);
  sc_bundle (sc, T0 + DAY - 300, bundle2_text, TRUE);
  sc_note (sc, "bundle-1 again: not a higher sequence (rollback)");
  sc_bundle (sc, T0 + DAY - 290, bundle1_text, FALSE);
  {
    OffauthBundle foreign = bundle2;
    g_autofree gchar *text = NULL;

    foreign.sequence = 5;
    offauth_bundle_sign (&foreign, keys[K_STRANGER]);
    text = offauth_text_encode ('T', foreign.raw, foreign.raw_len);
    sc_note (sc, "a bundle of sequence 5 with the root key 'stranger': a foreign root");
    sc_bundle (sc, T0 + DAY - 280, text, FALSE);
  }
  sc_note (sc, "issuer key B is no longer in the bundle");
  sc_refused_sale (sc, T0 + DAY - 200, 500, &cb, 2, OFFAUTH_REASON_UNKNOWN_ISSUER_KEY);
  sc_note (sc, "the earlier sale of key B shown again (its request is no longer the latest): already "
           "recorded comes before the issuer key");
  sc_refuse_recorded (sc, T0 + DAY - 180, &pb, T0 + 410);
  sc_sale (sc, T0 + DAY - 100, 500, &c, 2, NULL);
  sc_end (sc);
}

static void
scen_issuer_key_expired (void)
{
  Scenario *sc = sc_new ("10-issuer_key_expired", "issuer_key_expired",
                         "A credential of issuer key B used after the key's not_after (T0+2d) in the "
                         "bundle.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;

  offauth_terminal_config_init (&cfg);
  cfg.upload_deadline = 7 * DAY;
  cred_init (&c, 0xad);
  c.not_after = T0 + 2 * DAY;
  cred_sign (&c, K_ISSUER_B, K_ISSUER_B);
  sc_preamble (sc, &cfg);
  sc_sale (sc, T0 + 100, 500, &c, 1, NULL);
  sc_note (sc, "authorized exactly at the key's not_after: still valid");
  sc_sale (sc, T0 + 2 * DAY - 10, 500, &c, 2, NULL);
  sc_note (sc, "authorized 10 s after the key's not_after");
  sc_refused_sale (sc, T0 + 2 * DAY, 500, &c, 3, OFFAUTH_REASON_ISSUER_KEY_EXPIRED);
  sc_end (sc);
}

static void
scen_bad_issuer_signature (void)
{
  Scenario *sc = sc_new ("11-bad_issuer_signature", "bad_issuer_signature",
                         "A credential naming issuer key A whose signature does not verify under it.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xae);
  sc_preamble (sc, &cfg);
  sc_note (sc, "names key A, signed by 'stranger'");
  cred_init (&bad, 0xaf);
  cred_sign (&bad, K_ISSUER_A, K_STRANGER);
  sc_refused_sale (sc, T0 + 100, 500, &bad, 1, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE);
  sc_note (sc, "names key A, signed by key B (also in the bundle)");
  cred_init (&bad, 0xaf);
  cred_sign (&bad, K_ISSUER_A, K_ISSUER_B);
  sc_refused_sale (sc, T0 + 200, 500, &bad, 2, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE);
  sc_note (sc, "signed by key A, then per_payment_limit raised to 1000000 and offline_total_limit to "
           "2000000");
  default_cred (&bad, 0xaf);
  bad.per_payment_limit = 1000000;
  bad.offline_total_limit = 2000000;
  offauth_credential_encode (&bad);
  sc_refused_sale (sc, T0 + 300, 500, &bad, 3, OFFAUTH_REASON_BAD_ISSUER_SIGNATURE);
  sc_sale (sc, T0 + 400, 500, &c, 1, NULL);
  sc_end (sc);
}

static void
scen_wrong_terminal (void)
{
  Scenario *sc = sc_new ("12-wrong_terminal", "wrong_terminal",
                         "A payment for a request naming another terminal or another merchant.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r, other;
  OffauthPayment p, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb1);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "the request of terminal 'other-terminal' of merchant kiosk-1, another challenge");
  request_build (&other, MERCHANT, other_terminal_id, 0, "EUR", 1250, T0 + 100, 0x99);
  pay (&bad, &c, &other, 2);
  sc_refuse (sc, T0 + 101, &bad, OFFAUTH_REASON_WRONG_TERMINAL);
  sc_note (sc, "the terminal's request with terminal_id of 'other-terminal', the same challenge");
  request_build (&other, MERCHANT, other_terminal_id, 0, "EUR", 1250, T0 + 100, 0x01);
  pay (&bad, &c, &other, 3);
  sc_refuse (sc, T0 + 102, &bad, OFFAUTH_REASON_WRONG_TERMINAL);
  sc_note (sc, "the terminal's request with merchant_id kiosk-2");
  request_build (&other, "kiosk-2", terminal_id, 0, "EUR", 1250, T0 + 100, 0x01);
  pay (&bad, &c, &other, 4);
  sc_refuse (sc, T0 + 103, &bad, OFFAUTH_REASON_WRONG_TERMINAL);
  sc_approve (sc, T0 + 110, &p);
  sc_end (sc);
}

static void
scen_request_unknown (void)
{
  Scenario *sc = sc_new ("13-request_unknown", "request_unknown",
                         "A payment for a request of this terminal whose challenge it never issued.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r, forged;
  OffauthPayment p, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb2);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  request_build (&forged, MERCHANT, terminal_id, 0, "EUR", 1250, T0 + 100, 0xee);
  pay (&bad, &c, &forged, 2);
  sc_refuse (sc, T0 + 101, &bad, OFFAUTH_REASON_REQUEST_UNKNOWN);
  sc_approve (sc, T0 + 110, &p);
  sc_end (sc);
}

static void
scen_request_superseded (void)
{
  Scenario *sc = sc_new ("14-request_superseded", "request_superseded",
                         "Issuing a request supersedes the open one: a payment for the older request "
                         "is refused.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p1, p2;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb4);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p1, &c, &r, 1);
  sc_request (sc, T0 + 105, 1200, "EUR", &r);
  pay (&p2, &c, &r, 2);
  sc_refuse (sc, T0 + 110, &p1, OFFAUTH_REASON_REQUEST_SUPERSEDED);
  sc_approve (sc, T0 + 111, &p2);
  sc_end (sc);
}

static void
scen_request_mismatch (void)
{
  Scenario *sc = sc_new ("15-request_mismatch", "request_mismatch",
                         "A payment whose request carries the open request's challenge but other bytes.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r, changed;
  OffauthPayment p, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb5);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "amount 125 instead of 1250");
  changed = r;
  changed.amount = 125;
  offauth_request_encode (&changed);
  pay (&bad, &c, &changed, 2);
  sc_refuse (sc, T0 + 101, &bad, OFFAUTH_REASON_REQUEST_MISMATCH);
  sc_note (sc, "created_at one second later");
  changed = r;
  changed.created_at++;
  offauth_request_encode (&changed);
  pay (&bad, &c, &changed, 3);
  sc_refuse (sc, T0 + 102, &bad, OFFAUTH_REASON_REQUEST_MISMATCH);
  sc_note (sc, "scope 7 instead of 0");
  changed = r;
  changed.scope = 7;
  offauth_request_encode (&changed);
  pay (&bad, &c, &changed, 4);
  sc_refuse (sc, T0 + 103, &bad, OFFAUTH_REASON_REQUEST_MISMATCH);
  sc_approve (sc, T0 + 110, &p);
  sc_end (sc);
}

static void
scen_request_used (void)
{
  Scenario *sc = sc_new ("16-request_used", "request_used",
                         "A request already paid by another payment (another credential, or another "
                         "counter of the same credential).");
  OffauthTerminalConfig cfg;
  OffauthCredential c, c2;
  OffauthRequest r;
  OffauthPayment p, bad;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb6);
  default_cred (&c2, 0xb8);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_approve (sc, T0 + 110, &p);
  pay (&bad, &c2, &r, 1);
  sc_refuse (sc, T0 + 111, &bad, OFFAUTH_REASON_REQUEST_USED);
  pay (&bad, &c, &r, 2);
  sc_refuse (sc, T0 + 112, &bad, OFFAUTH_REASON_REQUEST_USED);
  sc_end (sc);
}

static void
scen_request_expired (void)
{
  Scenario *sc = sc_new ("17-request_expired", "request_expired",
                         "A request older than the request lifetime (300 s by default, then 60 s).");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xb9);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 500, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_note (sc, "301 s after the request");
  sc_refuse (sc, T0 + 401, &p, OFFAUTH_REASON_REQUEST_EXPIRED);
  sc_note (sc, "exactly 300 s after the request");
  sc_request (sc, T0 + 500, 500, "EUR", &r);
  pay (&p, &c, &r, 2);
  sc_approve (sc, T0 + 800, &p);
  cfg.request_lifetime = 60;
  sc_config (sc, T0 + 900, &cfg);
  sc_request (sc, T0 + 1000, 500, "EUR", &r);
  pay (&p, &c, &r, 3);
  sc_refuse (sc, T0 + 1061, &p, OFFAUTH_REASON_REQUEST_EXPIRED);
  sc_request (sc, T0 + 1100, 500, "EUR", &r);
  pay (&p, &c, &r, 4);
  sc_note (sc, "the age of a request is measured from its created_at by a terminal restarted since");
  sc_simple (sc, "restart", T0 + 1150);
  sc_approve (sc, T0 + 1160, &p);
  sc_request (sc, T0 + 1200, 500, "EUR", &r);
  pay (&p, &c, &r, 5);
  sc_simple (sc, "restart", T0 + 1210);
  sc_refuse (sc, T0 + 1261, &p, OFFAUTH_REASON_REQUEST_EXPIRED);
  sc_end (sc);
}

static void
scen_not_yet_valid (void)
{
  Scenario *sc = sc_new ("18-not_yet_valid", "not_yet_valid",
                         "A credential whose not_before is more than 300 s ahead of the clock.");
  OffauthTerminalConfig cfg;
  OffauthCredential future, edge;

  offauth_terminal_config_init (&cfg);
  cred_init (&future, 0xba);
  future.not_before = T0 + 411;
  cred_sign (&future, K_ISSUER_A, K_ISSUER_A);
  cred_init (&edge, 0xbb);
  edge.not_before = T0 + 410;
  cred_sign (&edge, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "not_before T0+411, now T0+110: 301 s ahead");
  sc_refused_sale (sc, T0 + 100, 500, &future, 1, OFFAUTH_REASON_NOT_YET_VALID);
  sc_note (sc, "not_before T0+410, now T0+110: exactly 300 s ahead");
  sc_sale (sc, T0 + 100, 500, &edge, 1, NULL);
  sc_end (sc);
}

static void
scen_expired (void)
{
  Scenario *sc = sc_new ("19-expired", "expired",
                         "A credential past its not_after (no tolerance).");
  OffauthTerminalConfig cfg;
  OffauthCredential c;

  offauth_terminal_config_init (&cfg);
  cred_init (&c, 0xbd);
  c.not_after = T0 + 210;
  cred_sign (&c, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "at not_after: still valid");
  sc_sale (sc, T0 + 200, 500, &c, 1, NULL);
  sc_note (sc, "one second after not_after");
  sc_refused_sale (sc, T0 + 201, 500, &c, 2, OFFAUTH_REASON_EXPIRED);
  sc_end (sc);
}

static void
scen_currency_mismatch (void)
{
  Scenario *sc = sc_new ("20-currency_mismatch", "currency_mismatch",
                         "A credential in another currency than the request's.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, usd;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xbe);
  cred_init (&usd, 0xbf);
  memcpy (usd.currency, "USD", 4);
  cred_sign (&usd, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "a USD credential for a EUR request");
  sc_refused_sale (sc, T0 + 100, 500, &usd, 1, OFFAUTH_REASON_CURRENCY_MISMATCH);
  sc_note (sc, "a EUR credential for a USD request");
  sc_request (sc, T0 + 200, 500, "USD", &r);
  pay (&p, &c, &r, 1);
  sc_refuse (sc, T0 + 210, &p, OFFAUTH_REASON_CURRENCY_MISMATCH);
  sc_note (sc, "the USD credential for a USD request");
  sc_request (sc, T0 + 300, 500, "USD", &r);
  pay (&p, &usd, &r, 2);
  sc_approve (sc, T0 + 310, &p);
  sc_end (sc);
}

static void
scen_revoked (void)
{
  Scenario *sc = sc_new ("21-revoked", "revoked",
                         "A credential on its issuer key's revocation list; another key's list does "
                         "not count.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, rc;
  guint8 ids[3 * 16];
  g_autofree gchar *rev_a2 = NULL;
  g_autofree gchar *rev_b2 = NULL;
  g_autofree gchar *rev_a3 = NULL;
  g_autofree gchar *rev_x = NULL;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xc1);
  default_cred (&rc, 0xa5);
  memset (ids, 0xa5, 16);
  memset (ids + 16, 0x10, 16);
  memset (ids + 32, 0xfe, 16);
  ids[47] = 0xff;
  rev_a2 = revocation_text_for (K_ISSUER_A, 2, T0 + 50, T0 + DAY, ids, 3);
  memset (ids, 0xc1, 16);
  rev_b2 = revocation_text_for (K_ISSUER_B, 2, T0 + 50, T0 + DAY, ids, 1);
  memset (ids, 0xa5, 16);
  rev_a3 = revocation_text_for (K_ISSUER_A, 3, T0 + 390, T0 + DAY, ids, 1);
  rev_x = revocation_text_for (K_STRANGER, 1, T0, T0 + DAY, NULL, 0);
  sc_preamble (sc, &cfg);
  sc_note (sc, "revocation-2 of messages.txt: key A's list with credential a5a5...");
  sc_revocations (sc, T0 + 60, rev_a2);
  sc_note (sc, "key A's list of sequence 1 again: not newer (rollback)");
  sc_revocations_expect (sc, T0 + 60, rev_a1_text, FALSE);
  sc_note (sc, "key B's list names credential c1c1..., a credential of key A");
  sc_revocations (sc, T0 + 60, rev_b2);
  sc_note (sc, "revoked comes before the negative list");
  sc_step (sc, "block", T0 + 70);
  kv_hex (sc->out, "credential_id", rc.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  kv (sc->out, "reason", "also on the negative list");
  kv (sc->out, "expect", "ok");
  sc_note (sc, "key A's list of sequence 3 (a5a5... only) is issued at T0+390: more than 300 s ahead");
  sc_revocations_expect (sc, T0 + 89, rev_a3, FALSE);
  sc_revocations (sc, T0 + 90, rev_a3);
  sc_note (sc, "a list of the key 'stranger', which is not in the bundle");
  sc_revocations_expect (sc, T0 + 95, rev_x, FALSE);
  sc_refused_sale (sc, T0 + 100, 500, &rc, 1, OFFAUTH_REASON_REVOKED);
  sc_sale (sc, T0 + 200, 500, &c, 1, NULL);
  sc_end (sc);
}

static void
scen_negative_list (void)
{
  Scenario *sc = sc_new ("22-negative_list", "negative_list",
                         "A credential the merchant's negative list blocks.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, blocked;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xc2);
  default_cred (&blocked, 0xc3);
  sc_preamble (sc, &cfg);
  sc_step (sc, "block", T0 + 50);
  kv_hex (sc->out, "credential_id", blocked.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  kv (sc->out, "reason", "restored wallet reused counters");
  kv (sc->out, "expect", "ok");
  sc_refused_sale (sc, T0 + 100, 500, &blocked, 1, OFFAUTH_REASON_NEGATIVE_LIST);
  sc_sale (sc, T0 + 200, 500, &c, 1, NULL);
  sc_end (sc);
}

static void
scen_out_of_scope (void)
{
  Scenario *sc = sc_new ("23-out_of_scope", "out_of_scope",
                         "At a merchant of scope 0: a credential of scope 7, and a credential of "
                         "scope 0 from key C whose bundle entry has scope 7.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, c7, cc;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xc4);
  cred_init (&c7, 0xc5);
  c7.scope = 7;
  cred_sign (&c7, K_ISSUER_A, K_ISSUER_A);
  cred_init (&cc, 0xc6);
  cred_sign (&cc, K_ISSUER_C, K_ISSUER_C);
  sc_preamble (sc, &cfg);
  sc_refused_sale (sc, T0 + 100, 500, &c7, 1, OFFAUTH_REASON_OUT_OF_SCOPE);
  sc_refused_sale (sc, T0 + 200, 500, &cc, 1, OFFAUTH_REASON_OUT_OF_SCOPE);
  sc_sale (sc, T0 + 300, 500, &c, 1, NULL);
  sc_end (sc);
}

static void
scen_counter_reused (void)
{
  Scenario *sc = sc_new ("24-counter_reused", "counter_reused",
                         "A credential's counter that belongs to another approved sale (a double "
                         "spend by the payer's own signatures).");
  OffauthTerminalConfig cfg;
  OffauthCredential c;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xc7);
  sc_preamble (sc, &cfg);
  sc_sale (sc, T0 + 100, 500, &c, 1, NULL);
  sc_refused_sale (sc, T0 + 200, 600, &c, 1, OFFAUTH_REASON_COUNTER_REUSED);
  sc_sale (sc, T0 + 300, 600, &c, 2, NULL);
  sc_end (sc);
}

static void
scen_over_payment_limit (void)
{
  Scenario *sc = sc_new ("25-over_payment_limit", "over_payment_limit",
                         "An amount above the credential's per_payment_limit (2000).");
  OffauthTerminalConfig cfg;
  OffauthCredential c;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xc8);
  sc_preamble (sc, &cfg);
  sc_refused_sale (sc, T0 + 100, 2001, &c, 1, OFFAUTH_REASON_OVER_PAYMENT_LIMIT);
  sc_sale (sc, T0 + 200, 2000, &c, 2, NULL);
  sc_end (sc);
}

static void
scen_revocation_stale (void)
{
  Scenario *sc = sc_new ("26-revocation_stale", "revocation_stale",
                         "Above the stale cap (1000), a credential needs a current revocation list of "
                         "its issuer key: none loaded, or now past its next_update.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, c2;

  offauth_terminal_config_init (&cfg);
  cfg.upload_deadline = 7 * DAY;
  default_cred (&c, 0xc9);
  default_cred (&c2, 0xca);
  sc_enroll_full (sc, T0, &cfg, FALSE);
  sc_note (sc, "no list for issuer key A");
  sc_revocations (sc, T0, rev_b1_text);
  sc_revocations (sc, T0, rev_c1_text);
  sc_note (sc, "over the per-payment limit and the stale cap: the per-payment limit is checked first");
  sc_refused_sale (sc, T0 + 50, 2001, &c, 1, OFFAUTH_REASON_OVER_PAYMENT_LIMIT);
  sc_refused_sale (sc, T0 + 100, 1001, &c, 1, OFFAUTH_REASON_REVOCATION_STALE);
  sc_note (sc, "up to the stale cap");
  sc_sale (sc, T0 + 150, 1000, &c, 2, NULL);
  sc_note (sc, "revocation-1 of messages.txt: next_update T0+86400");
  sc_revocations (sc, T0 + 200, rev_a1_text);
  sc_sale (sc, T0 + 300, 1500, &c, 3, NULL);
  sc_note (sc, "at next_update: still current");
  sc_sale (sc, T0 + DAY - 10, 1500, &c2, 1, NULL);
  sc_note (sc, "one second past next_update");
  sc_refused_sale (sc, T0 + DAY - 9, 1001, &c2, 2, OFFAUTH_REASON_REVOCATION_STALE);
  sc_sale (sc, T0 + DAY + 100, 1000, &c2, 3, NULL);
  sc_end (sc);
}

static void
scen_over_offline_count (void)
{
  Scenario *sc = sc_new ("27-over_offline_count", "over_offline_count",
                         "A counter above the credential's max_offline_count.");
  OffauthTerminalConfig cfg;
  OffauthCredential c, c2;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xcb);
  cred_init (&c2, 0xcc);
  c2.max_offline_count = 2;
  cred_sign (&c2, K_ISSUER_A, K_ISSUER_A);
  sc_preamble (sc, &cfg);
  sc_note (sc, "credential cccc... allows 2 offline payments");
  sc_sale (sc, T0 + 100, 500, &c2, 1, NULL);
  sc_sale (sc, T0 + 200, 500, &c2, 2, NULL);
  sc_refused_sale (sc, T0 + 300, 500, &c2, 3, OFFAUTH_REASON_OVER_OFFLINE_COUNT);
  sc_note (sc, "credential cbcb... allows 5: counter 6 on its first sale here");
  sc_refused_sale (sc, T0 + 400, 500, &c, 6, OFFAUTH_REASON_OVER_OFFLINE_COUNT);
  sc_sale (sc, T0 + 500, 500, &c, 5, NULL);
  sc_end (sc);
}

static void
scen_over_offline_total (void)
{
  Scenario *sc = sc_new ("28-over_offline_total", "over_offline_total",
                         "The credential's approved offline sales here plus this one above its "
                         "offline_total_limit (5000).");
  OffauthTerminalConfig cfg;
  OffauthCredential c;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xcd);
  sc_preamble (sc, &cfg);
  sc_sale (sc, T0 + 100, 2000, &c, 1, NULL);
  sc_sale (sc, T0 + 200, 2000, &c, 2, NULL);
  sc_refused_sale (sc, T0 + 300, 1001, &c, 3, OFFAUTH_REASON_OVER_OFFLINE_TOTAL);
  sc_sale (sc, T0 + 400, 1000, &c, 4, NULL);
  sc_end (sc);
}

static void
scen_over_floor_limit (void)
{
  Scenario *sc = sc_new ("29-over_floor_limit", "over_floor_limit",
                         "An amount above the terminal's floor limit (1000), or sale lines of a "
                         "category above its floor (alcohol 500), needs an online authorization.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;
  static const char *const over[] = { "alcohol=300", "food=350", "alcohol=250", NULL };
  static const char *const under[] = { "alcohol=500", "food=400", NULL };

  offauth_terminal_config_init (&cfg);
  cfg.floor_limit = 1000;
  default_cred (&c, 0xce);
  sc_preamble (sc, &cfg);
  sc_refused_sale (sc, T0 + 100, 1001, &c, 1, OFFAUTH_REASON_OVER_FLOOR_LIMIT);
  sc_sale (sc, T0 + 200, 1000, &c, 2, NULL);
  sc_step (sc, "category-floor", T0 + 250);
  kv (sc->out, "category", "alcohol");
  kv_u64 (sc->out, "floor", 500);
  kv (sc->out, "expect", "ok");
  sc_note (sc, "alcohol lines sum to 550");
  sc_request (sc, T0 + 300, 900, "EUR", &r);
  pay (&p, &c, &r, 3);
  {
    g_autofree gchar *text = payment_text (&p);
    sc_refuse_text (sc, T0 + 311, text, OFFAUTH_REASON_OVER_FLOOR_LIMIT, over);
  }
  sc_note (sc, "alcohol lines sum to 500");
  sc_request (sc, T0 + 400, 900, "EUR", &r);
  pay (&p, &c, &r, 4);
  sc_approve_lines (sc, T0 + 410, &p, under);
  sc_end (sc);
}

static void
scen_storage_unavailable (void)
{
  Scenario *sc = sc_new ("30-storage_unavailable", "storage_unavailable",
                         "The commit of an approved sale fails: nothing is approved, nothing "
                         "recorded; the same payment is approved once storage works again.");
  OffauthTerminalConfig cfg;
  OffauthCredential c;
  OffauthRequest r;
  OffauthPayment p;

  offauth_terminal_config_init (&cfg);
  default_cred (&c, 0xcf);
  sc_preamble (sc, &cfg);
  sc_request (sc, T0 + 100, 1250, "EUR", &r);
  pay (&p, &c, &r, 1);
  sc_simple (sc, "storage-full", T0 + 105);
  sc_refuse (sc, T0 + 110, &p, OFFAUTH_REASON_STORAGE_UNAVAILABLE);
  sc_simple (sc, "storage-ok", T0 + 115);
  sc_approve (sc, T0 + 120, &p);
  sc_again (sc, T0 + 125, &p, T0 + 120);
  sc_end (sc);
}

static void
gen_decisions (void)
{
  scen_approved ();
  scen_approved_again_blocked ();
  scen_approved_scope ();
  scen_not_enrolled ();
  scen_bundle_expired ();
  scen_bundle_expiry_boundary ();
  scen_clock_untrusted ();
  scen_clock_backwards ();
  scen_upload_overdue ();
  scen_over_terminal_cap ();
  scen_malformed ();
  scen_bad_payer_signature ();
  scen_already_recorded ();
  scen_unknown_issuer_key ();
  scen_issuer_key_expired ();
  scen_bad_issuer_signature ();
  scen_wrong_terminal ();
  scen_request_unknown ();
  scen_request_superseded ();
  scen_request_mismatch ();
  scen_request_used ();
  scen_request_expired ();
  scen_not_yet_valid ();
  scen_expired ();
  scen_currency_mismatch ();
  scen_revoked ();
  scen_negative_list ();
  scen_out_of_scope ();
  scen_counter_reused ();
  scen_over_payment_limit ();
  scen_revocation_stale ();
  scen_over_offline_count ();
  scen_over_offline_total ();
  scen_over_floor_limit ();
  scen_storage_unavailable ();
}

/* Settlement scenarios (README.md, "Settlement scenarios"): a sequence of sync requests
 * and top-ups against a new acquirer, with the answer every step must get, written here
 * from PROTOCOL.md "Settlement of one sale, at the acquirer" and the retry schedule. */

/* PROTOCOL.md's numbers: record kinds, verdict states and settlement reasons. */
enum
{
  KIND_SALE = 1, KIND_BUNDLE = 3, KIND_STATE = 8, KIND_ACCEPTED = 9,
  SETTLED = 1, DECLINED = 2, RETRY = 3, WRITTEN_OFF = 4,
  RS_OK = 0, RS_DOUBLE_SPEND = 5, RS_INSUFFICIENT_FUNDS = 8, RS_RETRIES_EXHAUSTED = 9,
  RS_WITHDRAWN = 10,
};

typedef struct
{
  const char *name;       /* its key record in messages.txt */
  int         key;
  const char *merchant;
  GPtrArray  *records;    /* element i: the record of row i + 1 */
  GByteArray *hashes;     /* element i: h_(i + 1) */
  guint64     cursor;     /* the verdict cursor of the last answer it accepted */
  guint64     acked;      /* its acked_seq */
} STerminal;

typedef struct
{
  const char       *name;
  OffauthCredential cred;
  guint64           balance;  /* expected, after the step being written */
} SAccount;

typedef struct
{
  Scenario  *sc;
  SAccount  *accounts;
  guint      n_accounts;
} Settle;

static void
st_terminal_init (STerminal *t, const char *name, int key, const char *merchant)
{
  t->name = name;
  t->key = key;
  t->merchant = merchant;
  t->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  t->hashes = g_byte_array_new ();
  t->cursor = 0;
  t->acked = 0;
}

static void
st_terminal_clear (STerminal *t)
{
  g_ptr_array_unref (t->records);
  g_byte_array_unref (t->hashes);
}

static const guint8 *
st_hash (const STerminal *t, guint64 seq)
{
  static const guint8 zero[OFFAUTH_HASH_SIZE];

  return seq == 0 ? zero : t->hashes->data + OFFAUTH_HASH_SIZE * (seq - 1);
}

/* Journals a row on the terminal: u8 kind || u64 time || payload. */
static void
st_row (STerminal *t, guint kind, guint64 when, const guint8 *payload, gsize len)
{
  g_autofree guint8 *record = g_malloc (9 + len);
  guint8 h[OFFAUTH_HASH_SIZE];
  guint64 seq = t->records->len + 1;

  record[0] = (guint8) kind;
  for (int i = 0; i < 8; i++)
    record[1 + i] = (guint8) (when >> (8 * i));
  memcpy (record + 9, payload, len);
  journal_hash (h, seq, st_hash (t, seq - 1), record, 9 + len);
  g_ptr_array_add (t->records, g_bytes_new (record, 9 + len));
  g_byte_array_append (t->hashes, h, OFFAUTH_HASH_SIZE);
}

/* A sale the terminal approved offline: a request of its own, paid with the counter. */
static void
st_sale (STerminal *t, const OffauthCredential *c, guint64 amount, guint32 counter,
         guint64 created_at, guint8 challenge, guint64 when, OffauthPayment *p)
{
  OffauthRequest r;
  guint8 tid[OFFAUTH_TERMINAL_ID_SIZE], payload[OFFAUTH_PAYMENT_SIZE + 1];

  offauth_terminal_id_from_key (tid, keys[t->key]->pk);
  request_build (&r, t->merchant, tid, 0, "EUR", amount, created_at, challenge);
  pay (p, c, &r, counter);
  memcpy (payload, p->raw, OFFAUTH_PAYMENT_SIZE);
  payload[OFFAUTH_PAYMENT_SIZE] = 0;
  st_row (t, KIND_SALE, when, payload, sizeof payload);
}

/* The terminal applies an accepted answer: a kind-8 row per verdict that changes its sale
 * (given), then the kind-9 row (acked_seq || acquirer_time || cursor || H(answer)). */
static void
st_accept (STerminal *t, const GByteArray *a, const Verdict *changed, guint n, guint64 when)
{
  guint8 state[56];
  GByteArray *b = g_byte_array_new ();
  guint8 h[OFFAUTH_HASH_SIZE];

  t->acked = rd64le (a->data + 24);
  t->cursor = rd64le (a->data + 104);
  for (guint i = 0; i < n; i++)
    {
      sale_state_payload (state, &changed[i]);
      st_row (t, KIND_STATE, when, state, sizeof state);
    }
  offauth_hash (h, a->data, a->len);
  w64 (b, rd64le (a->data + 24));
  w64 (b, rd64le (a->data + 64));
  w64 (b, rd64le (a->data + 104));
  g_byte_array_append (b, h, sizeof h);
  st_row (t, KIND_ACCEPTED, when, b->data, b->len);
  g_byte_array_unref (b);
}

static Settle *
st_new (const char *file, const char *covers, const char *description, guint64 setup_time)
{
  Settle *st = g_new0 (Settle, 1);
  Scenario *sc = g_new0 (Scenario, 1);
  guint8 seed[OFFAUTH_SEED_SIZE];

  sc->dir = "settlement";
  sc->file = file;
  sc->out = g_string_new (NULL);
  st->sc = sc;
  file_header (sc->out, "a settlement scenario, replayed step by step on a new acquirer");
  g_string_append (sc->out, "# The acquirer: key 'acquirer' of messages.txt, holding bundle-1 (its issuer keys), no\n"
                            "# revocation list; set up at `time` with the terminals and accounts below.\n");
  kv (sc->out, "scenario", "%s", file);
  kv (sc->out, "covers", "%s", covers);
  kv (sc->out, "description", "%s", description);
  kv_u64 (sc->out, "time", setup_time);
  memset (seed, key_defs[K_ACQUIRER].fill, sizeof seed);
  kv_hex (sc->out, "acquirer_seed", seed, sizeof seed);
  kv_b64 (sc->out, "acquirer_public_key", keys[K_ACQUIRER]->pk, OFFAUTH_PK_SIZE);
  kv (sc->out, "bundle", "%s", bundle1_text);
  return st;
}

static void
st_register (Settle *st, const STerminal *t)
{
  GString *o = st->sc->out;
  guint8 tid[OFFAUTH_TERMINAL_ID_SIZE];

  offauth_terminal_id_from_key (tid, keys[t->key]->pk);
  g_string_append_printf (o, "\n# a registered terminal (its key record in messages.txt)\n");
  kv (o, "terminal", "%s", t->name);
  kv_b64 (o, "public_key", keys[t->key]->pk, OFFAUTH_PK_SIZE);
  kv_hex (o, "terminal_id", tid, sizeof tid);
  kv (o, "merchant_id", "%s", t->merchant);
  kv_u64 (o, "scope", 0);
}

static void
st_account (Settle *st, SAccount *a, const char *comment)
{
  GString *o = st->sc->out;
  g_autofree gchar *text = offauth_text_encode ('C', a->cred.raw, OFFAUTH_CREDENTIAL_SIZE);

  g_string_append_printf (o, "\n# %s\n", comment);
  kv (o, "account", "%s", a->name);
  kv (o, "credential", "%s", text);
  kv_u64 (o, "balance", a->balance);
}

static void
st_balances (Settle *st)
{
  for (guint i = 0; i < st->n_accounts; i++)
    {
      g_autofree gchar *k = g_strdup_printf ("balance.%s", st->accounts[i].name);
      kv_u64 (st->sc->out, k, st->accounts[i].balance);
    }
}

/* A sync step: the terminal sends u at `when` (the acquirer's clock), which must be
 * answered (200) with these fields; the answer comes back (for the terminal's kind-9). */
static GByteArray *
st_sync (Settle *st, const STerminal *t, guint64 when, const GByteArray *u, guint64 acked_seq,
         guint64 cursor, guint32 flags, const Verdict *v, guint32 n)
{
  GString *o = st->sc->out;
  GByteArray *a = sync_answer_bytes (u, acked_seq, st_hash (t, acked_seq), when, cursor, flags,
                                     v, n);
  guint8 h[OFFAUTH_HASH_SIZE];

  sc_step (st->sc, "sync", when);
  kv (o, "terminal", "%s", t->name);
  kv_text (o, "request", 'U', u->data, u->len);
  offauth_hash (h, u->data, u->len);
  kv_hex (o, "request_hash", h, sizeof h);
  kv_u64 (o, "status", 200);
  kv_u64 (o, "acked_seq", acked_seq);
  kv_hex (o, "h_acked", st_hash (t, acked_seq), OFFAUTH_HASH_SIZE);
  kv_u64 (o, "acquirer_time", when);
  kv_u64 (o, "verdict_cursor", cursor);
  kv_u64 (o, "flags", flags);
  kv_u64 (o, "n", n);
  for (guint32 i = 0; i < n; i++)
    {
#define VK(f) g_autofree gchar *k_##f = g_strdup_printf ("verdict.%u." #f, i)
      VK (sale_seq); VK (sale_id); VK (state); VK (reason); VK (attempt); VK (retry_after);
#undef VK
      kv_u64 (o, k_sale_seq, v[i].sale_seq);
      kv_hex (o, k_sale_id, v[i].sale_id, OFFAUTH_SALE_ID_SIZE);
      kv_u64 (o, k_state, v[i].state);
      kv_u64 (o, k_reason, v[i].reason);
      kv_u64 (o, k_attempt, v[i].attempt);
      kv_u64 (o, k_retry_after, v[i].retry_after);
    }
  offauth_hash (h, a->data, a->len);
  kv_hex (o, "answer_hash", h, sizeof h);
  kv_text (o, "answer", 'A', a->data, a->len);
  st_balances (st);
  return a;
}

/* The terminal's next request: rows first_seq .. its last, its cursor, these asks. */
static GByteArray *
st_request (const STerminal *t, guint64 first_seq, guint64 created_at, const guint64 *asks,
            guint32 r)
{
  return sync_request_bytes (t->key, t->records, st_hash (t, first_seq - 1), first_seq,
                             created_at, t->cursor, asks, r,
                             (guint32) (t->records->len + 1 - first_seq));
}

/* The request after the last answer it accepted: every row not acknowledged yet. */
static GByteArray *
st_next (const STerminal *t, guint64 created_at, const guint64 *asks, guint32 r)
{
  return st_request (t, t->acked + 1, created_at, asks, r);
}

static void
st_topup (Settle *st, guint64 when, const SAccount *a, guint64 amount)
{
  sc_step (st->sc, "topup", when);
  kv (st->sc->out, "account", "%s", a->name);
  kv_u64 (st->sc->out, "amount", amount);
  st_balances (st);
}

static void
st_end (Settle *st)
{
  sc_end (st->sc);
  g_free (st);
}

#define HOUR G_GUINT64_CONSTANT (3600)

static void
settle_basic (void)
{
  Settle *st = st_new ("01-settled-retry-topup", "settled insufficient_funds resend retry topup",
                       "Two offline sales of one payer: the first settled, the second declined "
                       "for now (insufficient_funds, retry_after by the schedule); the same "
                       "request again changes nothing; an early retry ask uses no attempt; a "
                       "due one runs attempt 2; a top-up settles the sale and the next sync "
                       "carries its verdict.",
                       T0);
  STerminal t;
  SAccount acc = { .name = "a1", .balance = 2000 };
  OffauthPayment p1, p2;
  GByteArray *u, *a;
  guint64 ask[] = { 3 };

  st_terminal_init (&t, "terminal", K_TERMINAL, MERCHANT);
  default_cred (&acc.cred, 0xa1);
  st->accounts = &acc;
  st->n_accounts = 1;
  st_register (st, &t);
  st_account (st, &acc,
              "credential 'a1' (issuer A: EUR, 5000 offline in all): 20.00 EUR on account");

  st_row (&t, KIND_BUNDLE, T0, bundle1.raw, bundle1.raw_len);
  st_sale (&t, &acc.cred, 1250, 1, T0 + 100, 0x01, T0 + 110, &p1);
  st_sale (&t, &acc.cred, 1500, 2, T0 + 200, 0x02, T0 + 210, &p2);

  sc_note (st->sc, "rows 1-3: bundle-1 loaded (kind 3), sale 2 (12.50, counter 1), sale 3 "
                   "(15.00, counter 2); version 1: sale 2 settled (balance 2000 - 1250 = 750), "
                   "version 2: sale 3 short, attempt 1, retry_after = now + 1 h");
  u = st_request (&t, 1, T0 + 300, NULL, 0);
  acc.balance = 750;
  {
    Verdict v[] = {
      { 2, p1.sale_id, SETTLED, RS_OK, 1, 0 },
      { 3, p2.sale_id, RETRY, RS_INSUFFICIENT_FUNDS, 1, T0 + 300 + HOUR },
    };
    g_byte_array_unref (st_sync (st, &t, T0 + 300, u, 3, 2, 0, v, 2));
    sc_note (st->sc, "the answer was lost: the same request again gets the current verdicts, "
                     "nothing debited twice (only acquirer_time differs)");
    a = st_sync (st, &t, T0 + 400, u, 3, 2, 0, v, 2);
    g_byte_array_unref (u);
    t.cursor = 2;
    st_accept (&t, a, v, 2, T0 + 401);
    g_byte_array_unref (a);
  }

  sc_note (st->sc, "rows 4-6 (kind 8 for sales 2 and 3, kind 9) and an early retry ask for "
                   "sale 3 (before its retry_after): its verdict unchanged, no attempt used");
  u = st_request (&t, 4, T0 + 1000, ask, 1);
  {
    Verdict v[] = { { 3, p2.sale_id, RETRY, RS_INSUFFICIENT_FUNDS, 1, T0 + 300 + HOUR } };
    g_byte_array_unref (st_sync (st, &t, T0 + 1000, u, 6, 2, 0, v, 1));
  }
  g_byte_array_unref (u);

  sc_note (st->sc, "a poll with the retry ask once due: attempt 2 runs and finds 750 < 1500; "
                   "attempt 3 is due at the first decline + 6 h (T0+300+6h, later than now + 1 h)");
  u = st_request (&t, 7, T0 + 4000, ask, 1);
  {
    Verdict v[] = { { 3, p2.sale_id, RETRY, RS_INSUFFICIENT_FUNDS, 2, T0 + 300 + 6 * HOUR } };
    a = st_sync (st, &t, T0 + 4000, u, 6, 3, 0, v, 1);
    t.cursor = 3;
    st_accept (&t, a, v, 1, T0 + 4001);
    g_byte_array_unref (a);
  }
  g_byte_array_unref (u);

  sc_note (st->sc, "the payer tops up 10.00: 1750 covers sale 3, settled at once with no "
                   "attempt used (version 4); 1750 - 1500 = 250");
  acc.balance = 250;
  st_topup (st, T0 + 5000, &acc, 1000);

  sc_note (st->sc, "rows 7-8 (kind 8, kind 9): the answer carries version 4, sale 3 settled");
  u = st_request (&t, 7, T0 + 5100, NULL, 0);
  {
    Verdict v[] = { { 3, p2.sale_id, SETTLED, RS_OK, 2, 0 } };
    g_byte_array_unref (st_sync (st, &t, T0 + 5100, u, 8, 4, 0, v, 1));
  }
  g_byte_array_unref (u);
  st_terminal_clear (&t);
  st_end (st);
}

static void
settle_double_spend (void)
{
  Settle *st = st_new ("02-double-spend", "settled double_spend",
                       "A wallet restored from a backup pays at two terminals with the same "
                       "counter: the sale that reaches the acquirer first is settled, the later "
                       "one is declined as a double spend (state 2, reason 5) and debits "
                       "nothing; the earlier keeps its verdict.",
                       T0);
  STerminal t, o;
  SAccount acc = { .name = "a1", .balance = 5000 };
  OffauthPayment px, py;
  GByteArray *u, *a;

  st_terminal_init (&t, "terminal", K_TERMINAL, MERCHANT);
  st_terminal_init (&o, "other-terminal", K_OTHER_TERMINAL, "kiosk-2");
  default_cred (&acc.cred, 0xa1);
  st->accounts = &acc;
  st->n_accounts = 1;
  st_register (st, &t);
  st_register (st, &o);
  st_account (st, &acc, "credential 'a1' (issuer A): 50.00 EUR on account");

  st_row (&t, KIND_BUNDLE, T0, bundle1.raw, bundle1.raw_len);
  st_sale (&t, &acc.cred, 1000, 1, T0 + 100, 0x01, T0 + 110, &px);
  st_row (&o, KIND_BUNDLE, T0, bundle1.raw, bundle1.raw_len);
  st_sale (&o, &acc.cred, 800, 1, T0 + 120, 0x01, T0 + 130, &py);

  sc_note (st->sc, "'terminal' uploads rows 1-2 (sale 2: 10.00, counter 1) first: settled, "
                   "5000 - 1000 = 4000");
  u = st_next (&t, T0 + 300, NULL, 0);
  acc.balance = 4000;
  {
    Verdict v[] = { { 2, px.sale_id, SETTLED, RS_OK, 1, 0 } };
    a = st_sync (st, &t, T0 + 300, u, 2, 1, 0, v, 1);
    st_accept (&t, a, v, 1, T0 + 301);
  }
  g_byte_array_unref (u);
  g_byte_array_unref (a);

  sc_note (st->sc, "'other-terminal' (merchant kiosk-2) uploads its sale 2 (8.00, counter 1 "
                   "again, another sale id): an earlier sale with the same credential and "
                   "counter, payer-signed for the terminal that uploaded it: double_spend, final; "
                   "versions count per terminal");
  u = st_next (&o, T0 + 400, NULL, 0);
  {
    Verdict v[] = { { 2, py.sale_id, DECLINED, RS_DOUBLE_SPEND, 1, 0 } };
    a = st_sync (st, &o, T0 + 400, u, 2, 1, 0, v, 1);
    st_accept (&o, a, v, 1, T0 + 401);
  }
  g_byte_array_unref (u);
  g_byte_array_unref (a);

  sc_note (st->sc, "'terminal' uploads rows 3-4 (kind 8, kind 9): no verdict changed, its sale "
                   "stays settled");
  u = st_next (&t, T0 + 500, NULL, 0);
  g_byte_array_unref (st_sync (st, &t, T0 + 500, u, 4, 1, 0, NULL, 0));
  g_byte_array_unref (u);
  st_terminal_clear (&t);
  st_terminal_clear (&o);
  st_end (st);
}

static void
settle_close (void)
{
  Settle *st = st_new ("03-close-withdrawn", "insufficient_funds withdrawn",
                       "A sale declined for now (insufficient_funds) is closed by the merchant "
                       "(a kind-8 row, state 4 written off): the acquirer ends it as withdrawn "
                       "(state 2, reason 10) when it stores the row; a later top-up debits "
                       "nothing for it.",
                       T0);
  STerminal t;
  SAccount acc = { .name = "a1", .balance = 500 };
  OffauthPayment p;
  GByteArray *u, *a;
  guint8 close[56];

  st_terminal_init (&t, "terminal", K_TERMINAL, MERCHANT);
  default_cred (&acc.cred, 0xa1);
  st->accounts = &acc;
  st->n_accounts = 1;
  st_register (st, &t);
  st_account (st, &acc, "credential 'a1' (issuer A): 5.00 EUR on account");

  st_row (&t, KIND_BUNDLE, T0, bundle1.raw, bundle1.raw_len);
  st_sale (&t, &acc.cred, 1000, 1, T0 + 100, 0x01, T0 + 110, &p);

  sc_note (st->sc, "rows 1-2: sale 2 (10.00) short: state 3, reason 8, attempt 1, retry_after "
                   "now + 1 h");
  u = st_next (&t, T0 + 300, NULL, 0);
  {
    Verdict v[] = { { 2, p.sale_id, RETRY, RS_INSUFFICIENT_FUNDS, 1, T0 + 300 + HOUR } };
    a = st_sync (st, &t, T0 + 300, u, 2, 1, 0, v, 1);
    st_accept (&t, a, v, 1, T0 + 301);
  }
  g_byte_array_unref (u);
  g_byte_array_unref (a);

  {
    Verdict c = { 2, p.sale_id, WRITTEN_OFF, RS_OK, 0, 0 };
    sale_state_payload (close, &c);
    st_row (&t, KIND_STATE, T0 + 600, close, sizeof close);
  }
  sc_note (st->sc, "rows 3-5: kind 8 and kind 9 of the answer, then the merchant's close of "
                   "sale 2 (kind 8: state 4, reason, attempt and retry_after 0): withdrawn, "
                   "version 2, attempt kept");
  u = st_next (&t, T0 + 1000, NULL, 0);
  {
    Verdict v[] = { { 2, p.sale_id, DECLINED, RS_WITHDRAWN, 1, 0 } };
    a = st_sync (st, &t, T0 + 1000, u, 5, 2, 0, v, 1);
    st_accept (&t, a, v, 1, T0 + 1001);
  }
  g_byte_array_unref (u);
  g_byte_array_unref (a);

  sc_note (st->sc, "the payer tops up 10.00: the withdrawn sale is not settled, nothing debited");
  acc.balance = 1500;
  st_topup (st, T0 + 2000, &acc, 1000);

  sc_note (st->sc, "rows 6-7 (kind 8 withdrawn, kind 9), no retry ask (the sale is closed): "
                   "no verdict changed");
  u = st_next (&t, T0 + 2100, NULL, 0);
  g_byte_array_unref (st_sync (st, &t, T0 + 2100, u, 7, 2, 0, NULL, 0));
  g_byte_array_unref (u);
  st_terminal_clear (&t);
  st_end (st);
}

static void
settle_exhausted (void)
{
  Settle *st = st_new ("04-retries-exhausted", "insufficient_funds retries_exhausted",
                       "A sale short at every attempt: attempts 2 to 5 run by retry asks at or "
                       "after their retry_after (first decline + 1 h, 6 h, 24 h, 72 h, or the "
                       "attempt just run + 1 h when later); attempt 5 ends it as "
                       "retries_exhausted (state 2, reason 9, attempt 5).",
                       T0);
  STerminal t;
  SAccount acc = { .name = "a1", .balance = 100 };
  OffauthPayment p;
  guint64 ask[] = { 2 };
  const guint64 first = T0 + 300;
  /* When each sync runs, and the verdict it must give. */
  const struct
  {
    guint64     when;
    guint8      state, reason;
    guint16     attempt;
    guint64     retry_after;
    const char *note;
  } runs[] = {
    { first, RETRY, RS_INSUFFICIENT_FUNDS, 1, first + HOUR,
      "rows 1-2: sale 2 (10.00) short: attempt 1, retry_after first decline + 1 h" },
    { first + HOUR, RETRY, RS_INSUFFICIENT_FUNDS, 2, first + 6 * HOUR,
      "rows 3-4 and the retry ask exactly at retry_after: attempt 2; next due first + 6 h" },
    { T0 + 80000, RETRY, RS_INSUFFICIENT_FUNDS, 3, first + 24 * HOUR,
      "rows 5-6, asked late: attempt 3; next due first + 24 h (later than now + 1 h)" },
    { T0 + 258000, RETRY, RS_INSUFFICIENT_FUNDS, 4, T0 + 258000 + HOUR,
      "rows 7-8, asked late: attempt 4; first + 72 h is sooner than now + 1 h, so now + 1 h" },
    { T0 + 258000 + HOUR, DECLINED, RS_RETRIES_EXHAUSTED, 5, 0,
      "rows 9-10, at retry_after: attempt 5 finds the balance short: retries_exhausted" },
  };

  st_terminal_init (&t, "terminal", K_TERMINAL, MERCHANT);
  default_cred (&acc.cred, 0xa1);
  st->accounts = &acc;
  st->n_accounts = 1;
  st_register (st, &t);
  st_account (st, &acc, "credential 'a1' (issuer A): 1.00 EUR on account");

  st_row (&t, KIND_BUNDLE, T0, bundle1.raw, bundle1.raw_len);
  st_sale (&t, &acc.cred, 1000, 1, T0 + 100, 0x01, T0 + 110, &p);
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      Verdict v = { 2, p.sale_id, runs[i].state, runs[i].reason, runs[i].attempt,
                    runs[i].retry_after };
      GByteArray *u = st_next (&t, runs[i].when, ask, i == 0 ? 0 : 1);
      GByteArray *a;

      sc_note (st->sc, "%s", runs[i].note);
      a = st_sync (st, &t, runs[i].when, u, t.records->len, i + 1, 0, &v, 1);
      st_accept (&t, a, &v, 1, runs[i].when + 1);
      g_byte_array_unref (u);
      g_byte_array_unref (a);
    }
  st_terminal_clear (&t);
  st_end (st);
}

static void
gen_settlement (void)
{
  settle_basic ();
  settle_double_spend ();
  settle_close ();
  settle_exhausted ();
}

int
main (int argc, char **argv)
{
  g_autofree gchar *decisions = NULL;
  g_autofree gchar *pending = NULL;
  g_autofree gchar *settlement = NULL;

  if (argc != 2)
    {
      g_printerr ("Usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  if (!offauth_init ())
    g_error ("libsodium could not start");
  outdir = argv[1];
  decisions = g_build_filename (outdir, "decisions", NULL);
  pending = g_build_filename (outdir, "pending", NULL);
  settlement = g_build_filename (outdir, "settlement", NULL);
  if (g_mkdir_with_parents (decisions, 0755) != 0 || g_mkdir_with_parents (pending, 0755) != 0 ||
      g_mkdir_with_parents (settlement, 0755) != 0)
    g_error ("Cannot create %s, %s and %s", decisions, pending, settlement);

  setup ();
  chain_records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  chain_hashes = g_byte_array_new ();
  gen_messages ();
  gen_invalid ();
  gen_decisions ();
  gen_settlement ();

  for (int i = 0; i < N_KEYS; i++)
    offauth_secret_key_free (keys[i]);
  g_free (bundle1_text);
  g_free (bundle2_text);
  g_free (root_fpr);
  g_free (rev_a1_text);
  g_free (rev_b1_text);
  g_free (rev_c1_text);
  return 0;
}
