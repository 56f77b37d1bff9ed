/* offauth-wire.c: the offline OA1 messages (C, R, P, T, V, K), their text form, shared checks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-private.h"
#include "offauth-wire.h"
#include "offauth-wire-private.h"

#define get_u32 _offauth_get_u32
#define get_u64 _offauth_get_u64
#define put_u32 _offauth_put_u32
#define put_u64 _offauth_put_u64

gboolean
all_zero (const guint8 *p, gsize len)
{
  guint8 acc = 0;

  for (gsize i = 0; i < len; i++)
    acc |= p[i];
  return acc == 0;
}

gboolean
malformed (GError **error, const char *format, ...)
{
  va_list args;

  if (error != NULL)
    {
      va_start (args, format);
      *error = g_error_new_valist (OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, format, args);
      va_end (args);
    }
  return FALSE;
}

gboolean
check_header (const guint8  *data,
              gsize          len,
              gsize          min_len,
              char           type,
              gsize          reserved,
              const char    *what,
              GError       **error)
{
  if (len < min_len)
    return malformed (error, "%s: %" G_GSIZE_FORMAT " bytes, at least %" G_GSIZE_FORMAT
                      " needed", what, len, min_len);
  if (memcmp (data, "OA1", 3) != 0 || data[3] != (guint8) type)
    return malformed (error, "%s: wrong magic", what);
  if (data[4] != 1)
    return malformed (error, "%s: unsupported version %u", what, data[4]);
  if (!all_zero (data + 5, reserved))
    return malformed (error, "%s: reserved bytes are not zero", what);
  return TRUE;
}

gboolean
offauth_currency_valid (const char *currency)
{
  for (int i = 0; i < 3; i++)
    if (currency[i] < 'A' || currency[i] > 'Z')
      return FALSE;
  return currency[3] == '\0';
}

static gboolean
currency_bytes_valid (const guint8 *p)
{
  for (int i = 0; i < 3; i++)
    if (p[i] < 'A' || p[i] > 'Z')
      return FALSE;
  return TRUE;
}

static gboolean
merchant_char_valid (guint8 c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

gboolean
offauth_merchant_id_valid (const char *merchant_id)
{
  gsize len;

  if (merchant_id == NULL)
    return FALSE;
  len = strlen (merchant_id);
  if (len < 1 || len > OFFAUTH_MERCHANT_ID_SIZE)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!merchant_char_valid ((guint8) merchant_id[i]))
      return FALSE;
  return TRUE;
}

static gboolean
merchant_bytes_valid (const guint8 *p)
{
  gsize len = 0;

  while (len < OFFAUTH_MERCHANT_ID_SIZE && p[len] != 0)
    {
      if (!merchant_char_valid (p[len]))
        return FALSE;
      len++;
    }
  /* NUL only as trailing padding. */
  return len >= 1 && all_zero (p + len, OFFAUTH_MERCHANT_ID_SIZE - len);
}

/* Zeroes a message and writes its magic and version. */
void
write_header (guint8 *d,
              gsize   len,
              char    type)
{
  memset (d, 0, len);
  memcpy (d, "OA1", 3);
  d[3] = (guint8) type;
  d[4] = 1;
}

/* Text form */

gchar *
offauth_text_encode (char          type,
                     const guint8 *bin,
                     gsize         len)
{
  g_autofree gchar *b64 = offauth_b64_encode (bin, len);

  return g_strdup_printf ("OA1%c.%s", type, b64);
}

char
offauth_text_type (const char *text)
{
  if (text == NULL || strncmp (text, "OA1", 3) != 0 || text[3] == '\0' || text[4] != '.')
    return 0;
  return text[3];
}

guint8 *
offauth_text_decode (const char  *text,
                     gssize       text_len,
                     char         type,
                     gsize       *out_len,
                     GError     **error)
{
  gsize len, body_len, max_bin;
  const char *body;
  guint8 *bin;

  if (text == NULL)
    {
      malformed (error, "no code");
      return NULL;
    }
  len = text_len < 0 ? strlen (text) : (gsize) text_len;
  if (len > 0 && text[len - 1] == '\n')
    len--;
  if (len < 5 || memcmp (text, "OA1", 3) != 0 || text[4] != '.')
    {
      malformed (error, "not an OA1 code");
      return NULL;
    }
  if (text[3] != type)
    {
      malformed (error, "an OA1 code of type %c where %c is expected",
                 g_ascii_isprint (text[3]) ? text[3] : '?', type);
      return NULL;
    }
  body = text + 5;
  body_len = len - 5;
  /* Refused before anything else is read: a sync message may be 64 Mi characters, every
   * other type at most a revocation list of 2^20 ids (about 16 MiB). */
  if (type == 'U' || type == 'A' ? len > OFFAUTH_SYNC_MAX_TEXT
      : body_len > 4 * ((OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) OFFAUTH_REVOCATION_MAX_IDS) / 3 + 1))
    {
      malformed (error, "code too long");
      return NULL;
    }
  for (gsize i = 0; i < body_len; i++)
    {
      guint8 c = (guint8) body[i];
      if (!(g_ascii_isalnum (c) || c == '-' || c == '_'))
        {
          malformed (error, "character %" G_GSIZE_FORMAT " is not base64url", i + 5);
          return NULL;
        }
    }
  max_bin = body_len * 3 / 4;
  bin = g_malloc (max_bin + 1);
  if (body_len % 4 == 1 || !offauth_b64_decode_exact (body, body_len, bin, max_bin))
    {
      g_free (bin);
      malformed (error, "bad base64url (length, padding or unused bits)");
      return NULL;
    }
  if (max_bin < 4 || memcmp (bin, "OA1", 3) != 0 || bin[3] != (guint8) type)
    {
      g_free (bin);
      malformed (error, "the type letter does not match the magic");
      return NULL;
    }
  *out_len = max_bin;
  return bin;
}


gboolean
parse_text (void        *out,
            const char  *text,
            gssize       text_len,
            char         type,
            ParseFunc    parse,
            GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, text_len, type, &len, error);
  if (bin == NULL)
    return FALSE;
  return parse (out, bin, len, error);
}

/* Credential */

gboolean
offauth_credential_parse (OffauthCredential  *out,
                          const guint8       *d,
                          gsize               len,
                          GError            **error)
{
  if (!check_header (d, len, OFFAUTH_CREDENTIAL_SIZE, 'C', 3, "credential", error))
    return FALSE;
  if (len != OFFAUTH_CREDENTIAL_SIZE)
    return malformed (error, "credential: %" G_GSIZE_FORMAT " bytes instead of 172", len);
  if (!currency_bytes_valid (d + 64))
    return malformed (error, "credential: currency is not 3 uppercase letters");
  if (d[67] != 0)
    return malformed (error, "credential: reserved bytes are not zero");

  memcpy (out->issuer_key_id, d + 8, 8);
  memcpy (out->credential_id, d + 16, 16);
  memcpy (out->payer_public_key, d + 32, 32);
  memcpy (out->currency, d + 64, 3);
  out->currency[3] = '\0';
  out->max_offline_count = get_u32 (d + 68);
  out->per_payment_limit = get_u64 (d + 72);
  out->offline_total_limit = get_u64 (d + 80);
  out->not_before = get_u64 (d + 88);
  out->not_after = get_u64 (d + 96);
  out->scope = get_u32 (d + 104);
  memcpy (out->signature, d + 108, 64);
  memcpy (out->raw, d, OFFAUTH_CREDENTIAL_SIZE);

  if (out->max_offline_count < 1)
    return malformed (error, "credential: max_offline_count is 0");
  if (out->per_payment_limit < 1)
    return malformed (error, "credential: per_payment_limit is 0");
  if (out->offline_total_limit < out->per_payment_limit)
    return malformed (error, "credential: offline_total_limit below per_payment_limit");
  if (out->not_after <= out->not_before)
    return malformed (error, "credential: not_after is not after not_before");
  return TRUE;
}

gboolean
offauth_credential_parse_text (OffauthCredential  *out,
                               const char         *text,
                               GError            **error)
{
  return parse_text (out, text, -1, 'C', (ParseFunc) offauth_credential_parse, error);
}

void
offauth_credential_encode (OffauthCredential *c)
{
  guint8 *d = c->raw;

  write_header (d, OFFAUTH_CREDENTIAL_SIZE, 'C');
  memcpy (d + 8, c->issuer_key_id, 8);
  memcpy (d + 16, c->credential_id, 16);
  memcpy (d + 32, c->payer_public_key, 32);
  memcpy (d + 64, c->currency, 3);
  put_u32 (d + 68, c->max_offline_count);
  put_u64 (d + 72, c->per_payment_limit);
  put_u64 (d + 80, c->offline_total_limit);
  put_u64 (d + 88, c->not_before);
  put_u64 (d + 96, c->not_after);
  put_u32 (d + 104, c->scope);
  memcpy (d + 108, c->signature, 64);
}

void
offauth_credential_sign (OffauthCredential      *c,
                         const OffauthSecretKey *issuer_key)
{
  offauth_credential_encode (c);
  offauth_sign (c->signature, OFFAUTH_TAG_CRED, c->raw, 108, issuer_key->sk);
  memcpy (c->raw + 108, c->signature, 64);
}

gboolean
offauth_credential_verify (const OffauthCredential *c,
                           const guint8             issuer_pk[OFFAUTH_PK_SIZE])
{
  return offauth_verify (c->raw + 108, OFFAUTH_TAG_CRED, c->raw, 108, issuer_pk);
}

/* Payment request */

gboolean
offauth_request_parse (OffauthRequest  *out,
                       const guint8    *d,
                       gsize            len,
                       GError         **error)
{
  if (!check_header (d, len, OFFAUTH_REQUEST_SIZE, 'R', 3, "request", error))
    return FALSE;
  if (len != OFFAUTH_REQUEST_SIZE)
    return malformed (error, "request: %" G_GSIZE_FORMAT " bytes instead of 80", len);
  if (!merchant_bytes_valid (d + 8))
    return malformed (error, "request: merchant_id is not 1 to 16 of [A-Za-z0-9._-]");
  if (!currency_bytes_valid (d + 44))
    return malformed (error, "request: currency is not 3 uppercase letters");
  if (d[47] != 0)
    return malformed (error, "request: reserved bytes are not zero");

  memcpy (out->merchant_id, d + 8, 16);
  out->merchant_id[16] = '\0';
  memcpy (out->terminal_id, d + 24, 16);
  out->scope = get_u32 (d + 40);
  memcpy (out->currency, d + 44, 3);
  out->currency[3] = '\0';
  out->amount = get_u64 (d + 48);
  out->created_at = get_u64 (d + 56);
  memcpy (out->challenge, d + 64, 16);
  memcpy (out->raw, d, OFFAUTH_REQUEST_SIZE);

  if (out->amount < 1)
    return malformed (error, "request: amount is 0");
  return TRUE;
}

gboolean
offauth_request_parse_text (OffauthRequest  *out,
                            const char      *text,
                            GError         **error)
{
  return parse_text (out, text, -1, 'R', (ParseFunc) offauth_request_parse, error);
}

void
offauth_request_encode (OffauthRequest *r)
{
  guint8 *d = r->raw;

  write_header (d, OFFAUTH_REQUEST_SIZE, 'R');
  memcpy (d + 8, r->merchant_id, strnlen (r->merchant_id, OFFAUTH_MERCHANT_ID_SIZE));
  memcpy (d + 24, r->terminal_id, 16);
  put_u32 (d + 40, r->scope);
  memcpy (d + 44, r->currency, 3);
  put_u64 (d + 48, r->amount);
  put_u64 (d + 56, r->created_at);
  memcpy (d + 64, r->challenge, 16);
}

/* Payment */

static void
payment_sale_id (OffauthPayment *p)
{
  crypto_generichash_state st;

  crypto_generichash_init (&st, NULL, 0, OFFAUTH_SALE_ID_SIZE);
  crypto_generichash_update (&st, (const guint8 *) OFFAUTH_TAG_PAYM, OFFAUTH_TAG_SIZE);
  crypto_generichash_update (&st, p->raw, OFFAUTH_PAYMENT_SIGNED);
  crypto_generichash_final (&st, p->sale_id, OFFAUTH_SALE_ID_SIZE);
}

gboolean
offauth_payment_parse (OffauthPayment  *out,
                       const guint8    *d,
                       gsize            len,
                       GError         **error)
{
  g_autoptr(GError) inner = NULL;

  if (!check_header (d, len, OFFAUTH_PAYMENT_SIZE, 'P', 3, "payment", error))
    return FALSE;
  if (len != OFFAUTH_PAYMENT_SIZE)
    return malformed (error, "payment: %" G_GSIZE_FORMAT " bytes instead of 328", len);
  if (!offauth_credential_parse (&out->credential, d + 8, OFFAUTH_CREDENTIAL_SIZE, &inner) ||
      !offauth_request_parse (&out->request, d + 180, OFFAUTH_REQUEST_SIZE, &inner))
    return malformed (error, "payment: %s", inner->message);
  out->counter = get_u32 (d + 260);
  memcpy (out->signature, d + 264, 64);
  memcpy (out->raw, d, OFFAUTH_PAYMENT_SIZE);
  if (out->counter < 1)
    return malformed (error, "payment: counter is 0");
  payment_sale_id (out);
  return TRUE;
}

gboolean
offauth_payment_parse_text (OffauthPayment  *out,
                            const char      *text,
                            gssize           text_len,
                            GError         **error)
{
  return parse_text (out, text, text_len, 'P', (ParseFunc) offauth_payment_parse, error);
}

void
offauth_payment_encode (OffauthPayment *p)
{
  guint8 *d = p->raw;

  write_header (d, OFFAUTH_PAYMENT_SIZE, 'P');
  memcpy (d + 8, p->credential.raw, OFFAUTH_CREDENTIAL_SIZE);
  memcpy (d + 180, p->request.raw, OFFAUTH_REQUEST_SIZE);
  put_u32 (d + 260, p->counter);
  memcpy (d + 264, p->signature, 64);
  payment_sale_id (p);
}

void
offauth_payment_sign (OffauthPayment         *p,
                      const OffauthSecretKey *payer_key)
{
  guint8 *d = p->raw;

  write_header (d, OFFAUTH_PAYMENT_SIZE, 'P');
  memcpy (d + 8, p->credential.raw, OFFAUTH_CREDENTIAL_SIZE);
  memcpy (d + 180, p->request.raw, OFFAUTH_REQUEST_SIZE);
  put_u32 (d + 260, p->counter);
  offauth_sign (p->signature, OFFAUTH_TAG_PAYM, d, OFFAUTH_PAYMENT_SIGNED, payer_key->sk);
  memcpy (d + 264, p->signature, 64);
  payment_sale_id (p);
}

gboolean
offauth_payment_verify (const OffauthPayment *p)
{
  return offauth_verify (p->raw + OFFAUTH_PAYMENT_SIGNED, OFFAUTH_TAG_PAYM, p->raw,
                         OFFAUTH_PAYMENT_SIGNED, p->credential.payer_public_key);
}

/* Trust bundle */

gboolean
offauth_bundle_parse (OffauthBundle  *out,
                      const guint8   *d,
                      gsize           len,
                      GError        **error)
{
  guint n;

  if (!check_header (d, len, OFFAUTH_BUNDLE_MIN_SIZE, 'T', 1, "trust bundle", error))
    return FALSE;
  n = (guint) d[6] | (guint) d[7] << 8;
  if (n < 1 || n > OFFAUTH_BUNDLE_MAX_KEYS)
    return malformed (error, "trust bundle: %u issuer keys, 1 to 64 allowed", n);
  if (len != OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * (gsize) n)
    return malformed (error, "trust bundle: %" G_GSIZE_FORMAT " bytes, %u keys need %u",
                      len, n, OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * n);

  memcpy (out->root_public_key, d + 8, 32);
  out->sequence = get_u64 (d + 40);
  out->issued_at = get_u64 (d + 48);
  out->expires_at = get_u64 (d + 56);
  out->n_keys = n;
  if (out->expires_at <= out->issued_at)
    return malformed (error, "trust bundle: expires_at is not after issued_at");

  for (guint i = 0; i < n; i++)
    {
      const guint8 *e = d + 64 + OFFAUTH_BUNDLE_ENTRY_SIZE * i;
      OffauthIssuerKey *k = &out->keys[i];
      guint8 expect[OFFAUTH_KEY_ID_SIZE];

      memcpy (k->key_id, e, 8);
      memcpy (k->public_key, e + 8, 32);
      k->not_before = get_u64 (e + 40);
      k->not_after = get_u64 (e + 48);
      k->scope = get_u32 (e + 56);
      if (!all_zero (e + 60, 4))
        return malformed (error, "trust bundle: entry %u has non-zero reserved bytes", i);
      offauth_key_id (expect, k->public_key);
      if (memcmp (expect, k->key_id, 8) != 0)
        return malformed (error, "trust bundle: entry %u key id does not match its key", i);
      if (i > 0 && memcmp (out->keys[i - 1].key_id, k->key_id, 8) >= 0)
        return malformed (error, "trust bundle: key ids not strictly ascending at entry %u", i);
    }
  memcpy (out->signature, d + len - 64, 64);
  memcpy (out->raw, d, len);
  out->raw_len = len;
  return TRUE;
}

gboolean
offauth_bundle_parse_text (OffauthBundle  *out,
                           const char     *text,
                           GError        **error)
{
  return parse_text (out, text, -1, 'T', (ParseFunc) offauth_bundle_parse, error);
}

static int
compare_issuer_keys (gconstpointer a, gconstpointer b)
{
  return memcmp (((const OffauthIssuerKey *) a)->key_id, ((const OffauthIssuerKey *) b)->key_id,
                 OFFAUTH_KEY_ID_SIZE);
}

void
offauth_bundle_sign (OffauthBundle          *b,
                     const OffauthSecretKey *root_key)
{
  guint8 *d = b->raw;

  g_return_if_fail (b->n_keys >= 1 && b->n_keys <= OFFAUTH_BUNDLE_MAX_KEYS);

  for (guint i = 0; i < b->n_keys; i++)
    offauth_key_id (b->keys[i].key_id, b->keys[i].public_key);
  qsort (b->keys, b->n_keys, sizeof b->keys[0], compare_issuer_keys);
  b->raw_len = OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * b->n_keys;
  write_header (d, b->raw_len, 'T');
  d[6] = b->n_keys & 0xff;
  d[7] = (b->n_keys >> 8) & 0xff;
  memcpy (b->root_public_key, root_key->pk, 32);
  memcpy (d + 8, b->root_public_key, 32);
  put_u64 (d + 40, b->sequence);
  put_u64 (d + 48, b->issued_at);
  put_u64 (d + 56, b->expires_at);
  for (guint i = 0; i < b->n_keys; i++)
    {
      guint8 *e = d + 64 + OFFAUTH_BUNDLE_ENTRY_SIZE * i;
      OffauthIssuerKey *k = &b->keys[i];

      memcpy (e, k->key_id, 8);
      memcpy (e + 8, k->public_key, 32);
      put_u64 (e + 40, k->not_before);
      put_u64 (e + 48, k->not_after);
      put_u32 (e + 56, k->scope);
    }
  offauth_sign (b->signature, OFFAUTH_TAG_TRST, d, b->raw_len - 64, root_key->sk);
  memcpy (d + b->raw_len - 64, b->signature, 64);
}

gboolean
offauth_bundle_verify (const OffauthBundle *b,
                       const guint8         root_pk[OFFAUTH_PK_SIZE])
{
  return offauth_verify (b->raw + b->raw_len - 64, OFFAUTH_TAG_TRST, b->raw, b->raw_len - 64,
                         root_pk);
}

const OffauthIssuerKey *
offauth_bundle_find_key (const OffauthBundle *b,
                         const guint8         key_id[OFFAUTH_KEY_ID_SIZE])
{
  for (guint i = 0; i < b->n_keys; i++)
    if (memcmp (b->keys[i].key_id, key_id, OFFAUTH_KEY_ID_SIZE) == 0)
      return &b->keys[i];
  return NULL;
}

/* Revocation list */

void
offauth_revocation_list_free (OffauthRevocationList *list)
{
  if (list == NULL)
    return;
  g_bytes_unref (list->raw);
  g_free (list);
}

OffauthRevocationList *
offauth_revocation_list_parse (const guint8  *d,
                               gsize          len,
                               GError       **error)
{
  g_autoptr(OffauthRevocationList) list = NULL;
  guint32 n;

  if (!check_header (d, len, OFFAUTH_REVOCATION_MIN_SIZE, 'V', 3, "revocation list", error))
    return NULL;
  n = get_u32 (d + 40);
  if (n > OFFAUTH_REVOCATION_MAX_IDS)
    {
      malformed (error, "revocation list: %u ids, at most 1048576 allowed", n);
      return NULL;
    }
  if (!all_zero (d + 44, 4))
    {
      malformed (error, "revocation list: reserved bytes are not zero");
      return NULL;
    }
  if (len != OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) n)
    {
      malformed (error, "revocation list: %" G_GSIZE_FORMAT " bytes, %u ids need %"
                 G_GSIZE_FORMAT, len, n, OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) n);
      return NULL;
    }

  list = g_new0 (OffauthRevocationList, 1);
  list->raw = g_bytes_new (d, len);
  d = g_bytes_get_data (list->raw, NULL);
  memcpy (list->issuer_key_id, d + 8, 8);
  list->sequence = get_u64 (d + 16);
  list->issued_at = get_u64 (d + 24);
  list->next_update = get_u64 (d + 32);
  list->n_ids = n;
  list->ids = d + 48;
  memcpy (list->signature, d + len - 64, 64);
  if (list->next_update < list->issued_at)
    {
      malformed (error, "revocation list: next_update is before issued_at");
      return NULL;
    }
  for (guint32 i = 1; i < n; i++)
    if (memcmp (list->ids + 16 * (i - 1), list->ids + 16 * i, 16) >= 0)
      {
        malformed (error, "revocation list: ids not strictly ascending at %u", i);
        return NULL;
      }
  return g_steal_pointer (&list);
}

OffauthRevocationList *
offauth_revocation_list_parse_text (const char  *text,
                                    GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, -1, 'V', &len, error);
  if (bin == NULL)
    return NULL;
  return offauth_revocation_list_parse (bin, len, error);
}

static int
compare_ids (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, OFFAUTH_CREDENTIAL_ID_SIZE);
}

OffauthRevocationList *
offauth_revocation_list_build (const guint8            issuer_key_id[OFFAUTH_KEY_ID_SIZE],
                               guint64                 sequence,
                               guint64                 issued_at,
                               guint64                 next_update,
                               const guint8           *ids,
                               guint32                 n_ids,
                               const OffauthSecretKey *issuer_key)
{
  gsize len = OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) n_ids;
  guint8 *d = g_malloc (len);
  guint32 n_unique = 0;
  OffauthRevocationList *list;

  write_header (d, len, 'V');
  memcpy (d + 8, issuer_key_id, 8);
  put_u64 (d + 16, sequence);
  put_u64 (d + 24, issued_at);
  put_u64 (d + 32, next_update);
  /* Sort and drop duplicates: the wire format wants strictly ascending ids. */
  if (n_ids > 0)
    {
      memcpy (d + 48, ids, 16 * (gsize) n_ids);
      qsort (d + 48, n_ids, 16, compare_ids);
      n_unique = 1;
      for (guint32 i = 1; i < n_ids; i++)
        if (memcmp (d + 48 + 16 * (n_unique - 1), d + 48 + 16 * i, 16) != 0)
          memmove (d + 48 + 16 * n_unique++, d + 48 + 16 * i, 16);
    }
  len = OFFAUTH_REVOCATION_MIN_SIZE + 16 * (gsize) n_unique;
  put_u32 (d + 40, n_unique);
  offauth_sign (d + len - 64, OFFAUTH_TAG_REVK, d, len - 64, issuer_key->sk);
  list = offauth_revocation_list_parse (d, len, NULL);
  g_free (d);
  g_assert (list != NULL);
  return list;
}

gboolean
offauth_revocation_list_verify (const OffauthRevocationList *list,
                                const guint8                 issuer_pk[OFFAUTH_PK_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (list->raw, &len);

  return offauth_verify (d + len - 64, OFFAUTH_TAG_REVK, d, len - 64, issuer_pk);
}

gboolean
offauth_revocation_list_contains (const OffauthRevocationList *list,
                                  const guint8                 credential_id[OFFAUTH_CREDENTIAL_ID_SIZE])
{
  guint32 lo = 0, hi = list->n_ids;

  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      int c = memcmp (list->ids + 16 * (gsize) mid, credential_id, 16);

      if (c == 0)
        return TRUE;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return FALSE;
}

/* Journal checkpoint */

gboolean
offauth_checkpoint_parse (OffauthCheckpoint  *out,
                          const guint8       *d,
                          gsize               len,
                          GError            **error)
{
  if (!check_header (d, len, OFFAUTH_CHECKPOINT_SIZE, 'K', 3, "checkpoint", error))
    return FALSE;
  if (len != OFFAUTH_CHECKPOINT_SIZE)
    return malformed (error, "checkpoint: %" G_GSIZE_FORMAT " bytes instead of 136", len);
  memcpy (out->terminal_id, d + 8, 16);
  out->seq = get_u64 (d + 24);
  memcpy (out->chain_hash, d + 32, 32);
  out->created_at = get_u64 (d + 64);
  memcpy (out->signature, d + 72, 64);
  memcpy (out->raw, d, OFFAUTH_CHECKPOINT_SIZE);
  return TRUE;
}

gboolean
offauth_checkpoint_parse_text (OffauthCheckpoint  *out,
                               const char         *text,
                               GError            **error)
{
  return parse_text (out, text, -1, 'K', (ParseFunc) offauth_checkpoint_parse, error);
}

void
offauth_checkpoint_sign (OffauthCheckpoint      *k,
                         const OffauthSecretKey *terminal_key)
{
  guint8 *d = k->raw;

  write_header (d, OFFAUTH_CHECKPOINT_SIZE, 'K');
  memcpy (d + 8, k->terminal_id, 16);
  put_u64 (d + 24, k->seq);
  memcpy (d + 32, k->chain_hash, 32);
  put_u64 (d + 64, k->created_at);
  offauth_sign (k->signature, OFFAUTH_TAG_CHKP, d, 72, terminal_key->sk);
  memcpy (d + 72, k->signature, 64);
}

gboolean
offauth_checkpoint_verify (const OffauthCheckpoint *k,
                           const guint8             terminal_pk[OFFAUTH_PK_SIZE])
{
  return offauth_verify (k->raw + 72, OFFAUTH_TAG_CHKP, k->raw, 72, terminal_pk);
}
