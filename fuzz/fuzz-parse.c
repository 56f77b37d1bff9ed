/* fuzz-parse.c: libFuzzer harnesses for the engine's parsers, one executable per
 * FUZZ_TARGET (see meson.build):
 *
 *   text        offauth_text_decode() for each type letter C R P T V K, offauth_text_type()
 *               and the small string validators
 *   parse-text  every offauth_*_parse_text()
 *   b64         offauth_b64_decode_exact() and offauth_unhex()
 *   credential  offauth_credential_parse()
 *   request     offauth_request_parse()
 *   payment     offauth_payment_parse() (+ offauth_payment_verify())
 *   bundle      offauth_bundle_parse() (+ verify, find_key)
 *   revocation  offauth_revocation_list_parse() (+ contains, verify)
 *   checkpoint  offauth_checkpoint_parse() (+ verify)
 *   sync-request  offauth_sync_request_parse() (+ encode, hash, verify)
 *   sync-answer offauth_sync_answer_parse() (+ encode, hash, verify)
 *   online      offauth_online_request_parse() and offauth_online_decision_parse() (+ verify)
 *   record      offauth_record_parse() (+ encode: a parsed record encodes to its bytes)
 *
 * Besides the sanitizers, each harness checks properties the engine promises: parsing is
 * total (a message, or an OFFAUTH_ERROR_MALFORMED error), an accepted text is canonical
 * (encoding what it decoded to gives the same text back), and an accepted binary is the
 * encoding of the fields it was parsed into.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-fuzz"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz-common.h"

#define FUZZ_T_TEXT        1
#define FUZZ_T_PARSE_TEXT  2
#define FUZZ_T_B64         3
#define FUZZ_T_CREDENTIAL  4
#define FUZZ_T_REQUEST     5
#define FUZZ_T_PAYMENT     6
#define FUZZ_T_BUNDLE      7
#define FUZZ_T_REVOCATION  8
#define FUZZ_T_CHECKPOINT  9
#define FUZZ_T_SYNC_REQUEST 10
#define FUZZ_T_SYNC_ANSWER 11
#define FUZZ_T_ONLINE      12
#define FUZZ_T_RECORD      13

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=FUZZ_T_..."
#endif

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A key nobody uses, to exercise the verify functions on parsed messages. */
static OffauthSecretKey *other_key;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  guint8 seed[OFFAUTH_SEED_SIZE];

  FUZZ_CHECK (offauth_init ());
  memset (seed, 0x77, sizeof seed);
  other_key = offauth_secret_key_from_seed (seed);
  return 0;
}

/* The result of a parse: either success and no error, or failure and a MALFORMED error. */
G_GNUC_UNUSED static void
check_result (gboolean ok, GError *error)
{
  if (ok)
    FUZZ_CHECK (error == NULL);
  else
    FUZZ_CHECK (error != NULL && error->domain == OFFAUTH_ERROR &&
                error->code == OFFAUTH_ERROR_MALFORMED && error->message != NULL);
}

/* A NUL-terminated copy of the input, for the functions that take a C string. */
G_GNUC_UNUSED static gchar *
nul_terminated (const uint8_t *data, size_t size)
{
  gchar *s = g_malloc (size + 1);

  if (size > 0)
    memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

#if FUZZ_TARGET == FUZZ_T_TEXT

static const char type_letters[] = "CRPTVKUAOD";

static void
check_decode (const char *text, gssize text_len, gsize len, char type)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bin = NULL;
  gsize out_len = 0;

  bin = offauth_text_decode (text, text_len, type, &out_len, &error);
  check_result (bin != NULL, error);
  if (bin == NULL)
    return;

  /* Accepted: "OA1" T "." base64url, the magic matches, and the text is canonical. */
  FUZZ_CHECK (out_len >= 4 && memcmp (bin, "OA1", 3) == 0 && bin[3] == (guint8) type);
  FUZZ_CHECK (offauth_text_type (text) == type);
  {
    g_autofree gchar *again = offauth_text_encode (type, bin, out_len);
    gsize body = len > 0 && text[len - 1] == '\n' ? len - 1 : len;

    FUZZ_CHECK (strlen (again) == body && memcmp (again, text, body) == 0);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *s = nul_terminated (data, size);

  for (const char *t = type_letters; *t != '\0'; t++)
    {
      /* With an explicit length (no NUL needed), and as a C string. */
      check_decode ((const char *) data, (gssize) size, size, *t);
      check_decode (s, -1, strlen (s), *t);
    }
  (void) offauth_text_type (s);

  /* The small validators of the same texts. */
  (void) offauth_merchant_id_valid (s);
  if (size >= 4)
    (void) offauth_currency_valid (s);
  {
    OffauthReason r = offauth_reason_from_code (s);

    /* OFFAUTH_N_REASONS for an unknown code; a known code names its reason. */
    FUZZ_CHECK ((guint) r <= OFFAUTH_N_REASONS);
    if (r < OFFAUTH_N_REASONS)
      FUZZ_CHECK (strcmp (offauth_reason_code (r), s) == 0);
  }
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_PARSE_TEXT

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *s = nul_terminated (data, size);
  g_autofree OffauthBundle *bundle = g_new (OffauthBundle, 1);
  OffauthCredential cred;
  OffauthRequest req;
  OffauthPayment pay;
  OffauthCheckpoint ckpt;
  gboolean ok;

  {
    g_autoptr(GError) error = NULL;
    ok = offauth_credential_parse_text (&cred, s, &error);
    check_result (ok, error);
  }
  {
    g_autoptr(GError) error = NULL;
    ok = offauth_request_parse_text (&req, s, &error);
    check_result (ok, error);
  }
  {
    g_autoptr(GError) error = NULL;
    ok = offauth_payment_parse_text (&pay, s, -1, &error);
    check_result (ok, error);
    if (ok)
      (void) offauth_payment_verify (&pay);
  }
  {
    /* The payment with an explicit length: the input need not be NUL-terminated. */
    g_autoptr(GError) error = NULL;
    ok = offauth_payment_parse_text (&pay, (const char *) data, (gssize) size, &error);
    check_result (ok, error);
  }
  {
    g_autoptr(GError) error = NULL;
    ok = offauth_bundle_parse_text (bundle, s, &error);
    check_result (ok, error);
    if (ok)
      (void) offauth_bundle_verify (bundle, bundle->root_public_key);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(OffauthRevocationList) list = offauth_revocation_list_parse_text (s, &error);
    check_result (list != NULL, error);
    if (list != NULL)
      (void) offauth_revocation_list_verify (list, other_key->pk);
  }
  {
    g_autoptr(GError) error = NULL;
    ok = offauth_checkpoint_parse_text (&ckpt, s, &error);
    check_result (ok, error);
    if (ok)
      (void) offauth_checkpoint_verify (&ckpt, other_key->pk);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse_text ((const char *) data,
                                                                       (gssize) size, &error);
    check_result (u != NULL, error);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse_text (s, -1, &error);
    check_result (a != NULL, error);
  }
  {
    g_autoptr(GError) error = NULL;
    OffauthOnlineRequest o;
    ok = offauth_online_request_parse_text (&o, s, -1, &error);
    check_result (ok, error);
  }
  {
    g_autoptr(GError) error = NULL;
    OffauthOnlineDecision d;
    ok = offauth_online_decision_parse_text (&d, s, -1, &error);
    check_result (ok, error);
  }
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_B64

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  g_autofree gchar *s = nul_terminated (data, size);

  /* The length the text would decode to, and the neighbouring lengths (all refused
   * unless the text has exactly the right size). */
  for (gsize len = size * 3 / 4 > 0 ? size * 3 / 4 - 1 : 0; len <= size * 3 / 4 + 1; len++)
    {
      g_autofree guint8 *out = g_malloc (len + 1);

      if (offauth_b64_decode_exact (text, size, out, len))
        {
          g_autofree gchar *again = offauth_b64_encode (out, len);

          /* Canonical: one text for one binary (no padding, unused bits zero, only the
           * base64url alphabet). libsodium 1.0.18's sodium_base642bin() reads the text
           * as signed chars and decodes every byte 0x80-0xff as '_': the engine must
           * refuse those bytes itself. */
          FUZZ_CHECK (strlen (again) == size && memcmp (again, text, size) == 0);
        }
    }

  /* Hex ids and keys of the sizes the engine reads. */
  {
    static const gsize lens[] = { 8, 16, 32 };

    for (guint i = 0; i < G_N_ELEMENTS (lens); i++)
      {
        guint8 out[32];

        if (offauth_unhex (s, out, lens[i]))
          {
            g_autofree gchar *again = offauth_hex (out, lens[i]);

            FUZZ_CHECK (g_ascii_strcasecmp (again, s) == 0);
          }
      }
  }
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_CREDENTIAL

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  OffauthCredential cred;
  gboolean ok = offauth_credential_parse (&cred, data, size, &error);

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (size == OFFAUTH_CREDENTIAL_SIZE && memcmp (cred.raw, data, size) == 0);
  FUZZ_CHECK (cred.max_offline_count >= 1 && cred.per_payment_limit >= 1 &&
              cred.offline_total_limit >= cred.per_payment_limit &&
              cred.not_after > cred.not_before && offauth_currency_valid (cred.currency));
  {
    OffauthCredential again = cred;

    offauth_credential_encode (&again);
    FUZZ_CHECK (memcmp (again.raw, data, size) == 0);
  }
  (void) offauth_credential_verify (&cred, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_REQUEST

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  OffauthRequest req;
  gboolean ok = offauth_request_parse (&req, data, size, &error);

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (size == OFFAUTH_REQUEST_SIZE && memcmp (req.raw, data, size) == 0);
  FUZZ_CHECK (req.amount >= 1 && offauth_currency_valid (req.currency) &&
              offauth_merchant_id_valid (req.merchant_id));
  {
    OffauthRequest again = req;

    offauth_request_encode (&again);
    FUZZ_CHECK (memcmp (again.raw, data, size) == 0);
  }
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_PAYMENT

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  OffauthPayment pay;
  gboolean ok = offauth_payment_parse (&pay, data, size, &error);

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (size == OFFAUTH_PAYMENT_SIZE && memcmp (pay.raw, data, size) == 0);
  FUZZ_CHECK (pay.counter >= 1);
  FUZZ_CHECK (memcmp (pay.credential.raw, data + 8, OFFAUTH_CREDENTIAL_SIZE) == 0);
  FUZZ_CHECK (memcmp (pay.request.raw, data + 180, OFFAUTH_REQUEST_SIZE) == 0);
  {
    g_autofree OffauthPayment *again = g_memdup2 (&pay, sizeof pay);

    offauth_payment_encode (again);
    FUZZ_CHECK (memcmp (again->raw, data, size) == 0);
    FUZZ_CHECK (memcmp (again->sale_id, pay.sale_id, OFFAUTH_SALE_ID_SIZE) == 0);
  }
  (void) offauth_payment_verify (&pay);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_BUNDLE

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree OffauthBundle *b = g_new (OffauthBundle, 1);
  gboolean ok = offauth_bundle_parse (b, data, size, &error);

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (b->n_keys >= 1 && b->n_keys <= OFFAUTH_BUNDLE_MAX_KEYS);
  FUZZ_CHECK (b->raw_len == size && size == OFFAUTH_BUNDLE_MIN_SIZE +
              OFFAUTH_BUNDLE_ENTRY_SIZE * (gsize) b->n_keys);
  FUZZ_CHECK (memcmp (b->raw, data, size) == 0);
  FUZZ_CHECK (b->expires_at > b->issued_at);
  for (guint i = 0; i < b->n_keys; i++)
    {
      guint8 id[OFFAUTH_KEY_ID_SIZE];

      FUZZ_CHECK (offauth_bundle_find_key (b, b->keys[i].key_id) == &b->keys[i]);
      offauth_key_id (id, b->keys[i].public_key);
      FUZZ_CHECK (memcmp (id, b->keys[i].key_id, OFFAUTH_KEY_ID_SIZE) == 0);
    }
  (void) offauth_bundle_verify (b, b->root_public_key);
  (void) offauth_bundle_verify (b, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_REVOCATION

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthRevocationList) list = offauth_revocation_list_parse (data, size, &error);
  guint8 probe[OFFAUTH_CREDENTIAL_ID_SIZE];
  gsize raw_len = 0;
  const guint8 *raw;

  check_result (list != NULL, error);
  if (list == NULL)
    return 0;
  raw = g_bytes_get_data (list->raw, &raw_len);
  FUZZ_CHECK (raw_len == size && memcmp (raw, data, size) == 0);
  FUZZ_CHECK (list->n_ids <= OFFAUTH_REVOCATION_MAX_IDS &&
              size == OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) list->n_ids);
  FUZZ_CHECK (list->ids == raw + 48);
  FUZZ_CHECK (list->next_update >= list->issued_at);

  /* Every listed id is found, and ids just around them are found exactly when listed. */
  for (guint32 i = 0; i < list->n_ids; i++)
    {
      const guint8 *id = list->ids + 16 * (gsize) i;

      FUZZ_CHECK (offauth_revocation_list_contains (list, id));
      memcpy (probe, id, sizeof probe);
      probe[15] ^= 1;
      {
        gboolean listed = FALSE;

        for (guint32 j = 0; j < list->n_ids && !listed; j++)
          listed = memcmp (list->ids + 16 * (gsize) j, probe, 16) == 0;
        FUZZ_CHECK (offauth_revocation_list_contains (list, probe) == listed);
      }
      if (i >= 64)
        break;
    }
  memset (probe, 0, sizeof probe);
  (void) offauth_revocation_list_contains (list, probe);
  memset (probe, 0xff, sizeof probe);
  (void) offauth_revocation_list_contains (list, probe);
  (void) offauth_revocation_list_verify (list, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_CHECKPOINT

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  OffauthCheckpoint ckpt;
  gboolean ok = offauth_checkpoint_parse (&ckpt, data, size, &error);

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (size == OFFAUTH_CHECKPOINT_SIZE && memcmp (ckpt.raw, data, size) == 0);
  FUZZ_CHECK (memcmp (ckpt.signature, data + 72, OFFAUTH_SIG_SIZE) == 0);
  (void) offauth_checkpoint_verify (&ckpt, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_SYNC_REQUEST

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse (data, size, &error);
  g_autoptr(GBytes) again = NULL;
  guint8 h[OFFAUTH_HASH_SIZE];

  check_result (u != NULL, error);
  if (u == NULL)
    return 0;
  /* Accepted: the records are views inside the binary, and the fields encode to it. */
  FUZZ_CHECK (size >= OFFAUTH_SYNC_REQUEST_MIN_SIZE && size <= OFFAUTH_SYNC_MAX_SIZE);
  for (guint32 i = 0; i < u->n_records; i++)
    FUZZ_CHECK (u->records[i].len >= OFFAUTH_SYNC_RECORD_MIN &&
                u->records[i].data >= (const guint8 *) g_bytes_get_data (u->raw, NULL) &&
                u->records[i].data + u->records[i].len <=
                (const guint8 *) g_bytes_get_data (u->raw, NULL) + size - OFFAUTH_SIG_SIZE);
  again = offauth_sync_request_encode (u, NULL);
  FUZZ_CHECK (again != NULL && g_bytes_equal (again, u->raw));
  offauth_sync_request_hash (u, h);
  (void) offauth_sync_request_verify (u, other_key->pk, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_SYNC_ANSWER

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse (data, size, &error);
  g_autoptr(GBytes) again = NULL;
  guint8 h[OFFAUTH_HASH_SIZE];

  check_result (a != NULL, error);
  if (a == NULL)
    return 0;
  FUZZ_CHECK (size == OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) a->n_verdicts);
  for (guint32 i = 0; i < a->n_verdicts; i++)
    FUZZ_CHECK (offauth_verdict_problem (&a->verdicts[i]) == NULL &&
                a->verdicts[i].sale_seq >= 1 && a->verdicts[i].sale_seq <= a->acked_seq);
  again = offauth_sync_answer_encode (a, NULL);
  FUZZ_CHECK (again != NULL && g_bytes_equal (again, a->raw));
  offauth_sync_answer_hash (a, h);
  (void) offauth_sync_answer_verify (a, other_key->pk);
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_ONLINE

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  OffauthOnlineRequest o, o2;
  OffauthOnlineDecision d, d2;
  gboolean ok;

  {
    g_autoptr(GError) error = NULL;
    ok = offauth_online_request_parse (&o, data, size, &error);
    check_result (ok, error);
    if (ok)
      {
        o2 = o;
        offauth_online_request_encode (&o2);
        FUZZ_CHECK (size == OFFAUTH_ONLINE_REQUEST_SIZE && memcmp (o2.raw, data, size) == 0);
        (void) offauth_online_request_verify (&o, other_key->pk, other_key->pk);
      }
  }
  {
    g_autoptr(GError) error = NULL;
    ok = offauth_online_decision_parse (&d, data, size, &error);
    check_result (ok, error);
    if (ok)
      {
        d2 = d;
        offauth_online_decision_encode (&d2);
        FUZZ_CHECK (size == OFFAUTH_ONLINE_DECISION_SIZE && memcmp (d2.raw, data, size) == 0);
        (void) offauth_online_decision_verify (&d, other_key->pk);
      }
  }
  return 0;
}

#elif FUZZ_TARGET == FUZZ_T_RECORD

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_auto(OffauthRecord) rec = { 0 };
  gboolean ok = offauth_record_parse (&rec, data, size, &error);
  g_autofree guint8 *again = NULL;
  gsize len = 0;

  check_result (ok, error);
  if (!ok)
    return 0;
  FUZZ_CHECK (size >= OFFAUTH_RECORD_HEADER_SIZE && size <= OFFAUTH_RECORD_MAX_SIZE);
  /* A parsed record encodes to its bytes (an enrollment's pinned byte is written as 1; a
   * setting's value and a negative list's reason are text, read leniently). */
  again = offauth_record_encode (&rec, &len, NULL);
  FUZZ_CHECK (again != NULL);
  if (rec.kind != OFFAUTH_RECORD_SETTING && rec.kind != OFFAUTH_RECORD_NEGATIVE_LIST)
    FUZZ_CHECK (len == size);
  if (rec.kind != OFFAUTH_RECORD_SETTING && rec.kind != OFFAUTH_RECORD_NEGATIVE_LIST &&
      rec.kind != OFFAUTH_RECORD_ENROLLED)
    FUZZ_CHECK (memcmp (again, data, size) == 0);
  return 0;
}

#else
#error "unknown FUZZ_TARGET"
#endif
