/* offauth-wire.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-private.h"
#include "offauth-wire.h"

#define get_u32 _offauth_get_u32
#define get_u64 _offauth_get_u64
#define put_u32 _offauth_put_u32
#define put_u64 _offauth_put_u64

static gboolean
all_zero (const guint8 *p, gsize len)
{
  guint8 acc = 0;

  for (gsize i = 0; i < len; i++)
    acc |= p[i];
  return acc == 0;
}

static gboolean
malformed (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
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

static gboolean
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
static void
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

typedef gboolean (*ParseFunc) (void *out, const guint8 *data, gsize len, GError **error);

static gboolean
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

/* Reconciliation: names, verdicts */

static const char *settle_reason_names[] = {
  [OFFAUTH_SETTLE_OK] = "settled",
  [OFFAUTH_SETTLE_MALFORMED] = "malformed",
  [OFFAUTH_SETTLE_BAD_SIGNATURE] = "bad_signature",
  [OFFAUTH_SETTLE_WRONG_TERMINAL] = "wrong_terminal",
  [OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL] = "unknown_credential",
  [OFFAUTH_SETTLE_DOUBLE_SPEND] = "double_spend",
  [OFFAUTH_SETTLE_REVOKED] = "revoked",
  [OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT] = "over_offline_limit",
  [OFFAUTH_SETTLE_INSUFFICIENT_FUNDS] = "insufficient_funds",
  [OFFAUTH_SETTLE_RETRIES_EXHAUSTED] = "retries_exhausted",
  [OFFAUTH_SETTLE_WITHDRAWN] = "withdrawn",
  [OFFAUTH_SETTLE_REVERSED] = "reversed",
  [OFFAUTH_SETTLE_INVALID_CREDENTIAL] = "invalid_credential",
};

const char *
offauth_settle_reason_name (guint reason)
{
  return reason < G_N_ELEMENTS (settle_reason_names) ? settle_reason_names[reason] : "?";
}

static const char *wire_state_names[] = {
  [OFFAUTH_WIRE_STATE_SETTLED] = "settled",
  [OFFAUTH_WIRE_STATE_DECLINED] = "declined",
  [OFFAUTH_WIRE_STATE_RETRY] = "retry",
  [OFFAUTH_WIRE_STATE_WRITTEN_OFF] = "written_off",
  [OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE] = "collected_otherwise",
};

const char *
offauth_wire_state_name (guint state)
{
  return state >= 1 && state < G_N_ELEMENTS (wire_state_names) ? wire_state_names[state] : "?";
}

/* The (state, reason) pairs a terminal accepts in an answer, retry_after non-zero exactly
 * for (3, 8), and attempt 1 at upload, one more per scheduled attempt, at most 5. */
const char *
offauth_verdict_problem (const OffauthVerdict *v)
{
  gboolean pair_ok;

  switch (v->state)
    {
    case OFFAUTH_WIRE_STATE_SETTLED:
      pair_ok = v->reason == OFFAUTH_SETTLE_OK;
      break;
    case OFFAUTH_WIRE_STATE_DECLINED:
      pair_ok = (v->reason >= 1 && v->reason <= 3) || (v->reason >= 5 && v->reason <= 7) ||
                v->reason == 9 || v->reason == 10 || v->reason == 12;
      break;
    case OFFAUTH_WIRE_STATE_RETRY:
      pair_ok = (v->reason >= 2 && v->reason <= 4) || v->reason == 8;
      break;
    default:
      return "state is not 1, 2 or 3";
    }
  if (!pair_ok)
    return "reason is not one of its state";
  if (v->state == OFFAUTH_WIRE_STATE_RETRY && v->reason == OFFAUTH_SETTLE_INSUFFICIENT_FUNDS)
    {
      if (v->retry_after == 0)
        return "retry_after is 0 for insufficient_funds";
    }
  else if (v->retry_after != 0)
    return "retry_after is not 0";
  if (v->attempt < 1 || v->attempt > OFFAUTH_VERDICT_MAX_ATTEMPT)
    return "attempt is not 1 to 5";
  return NULL;
}

void
offauth_verdict_read (OffauthVerdict *out,
                      const guint8    d[OFFAUTH_VERDICT_SIZE])
{
  out->sale_seq = get_u64 (d);
  memcpy (out->sale_id, d + 8, OFFAUTH_SALE_ID_SIZE);
  out->state = d[40];
  out->reason = d[41];
  out->attempt = (guint16) (d[42] | d[43] << 8);
  out->retry_after = get_u64 (d + 48);
}

void
offauth_verdict_write (const OffauthVerdict *v,
                       guint8                d[OFFAUTH_VERDICT_SIZE])
{
  put_u64 (d, v->sale_seq);
  memcpy (d + 8, v->sale_id, OFFAUTH_SALE_ID_SIZE);
  d[40] = v->state;
  d[41] = v->reason;
  d[42] = v->attempt & 0xff;
  d[43] = v->attempt >> 8;
  put_u32 (d + 44, 0);
  put_u64 (d + 48, v->retry_after);
}

/* U and O are signed over TAG || key id of the pinned acquirer key || body. */
static gboolean
bound_signature (guint8       *sig_out,
                 const guint8 *sig_in,
                 const char   *tag,
                 const guint8  acquirer_pk[OFFAUTH_PK_SIZE],
                 const guint8 *body,
                 gsize         len,
                 const guint8 *sk,
                 const guint8 *pk)
{
  gsize total = OFFAUTH_TAG_SIZE + OFFAUTH_KEY_ID_SIZE + len;
  g_autofree guint8 *buf = g_malloc (total);

  memcpy (buf, tag, OFFAUTH_TAG_SIZE);
  offauth_key_id (buf + OFFAUTH_TAG_SIZE, acquirer_pk);
  memcpy (buf + OFFAUTH_TAG_SIZE + OFFAUTH_KEY_ID_SIZE, body, len);
  if (sk != NULL)
    {
      crypto_sign_detached (sig_out, NULL, buf, total, sk);
      return TRUE;
    }
  return crypto_sign_verify_detached (sig_in, buf, total, pk) == 0;
}

static void
hash_bytes (GBytes *raw,
            guint8  out[OFFAUTH_HASH_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (raw, &len);

  offauth_hash (out, d, len);
}

static void *
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void *
refuse (GError **error, const char *format, ...)
{
  va_list args;

  if (error != NULL)
    {
      va_start (args, format);
      *error = g_error_new_valist (OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, format, args);
      va_end (args);
    }
  return NULL;
}

/* Sync request U */

void
offauth_sync_request_free (OffauthSyncRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->asks);
  g_free (request->records);
  g_bytes_unref (request->raw);
  g_free (request);
}

OffauthSyncRequest *
offauth_sync_request_parse (const guint8  *data,
                            gsize          len,
                            GError       **error)
{
  g_autoptr(OffauthSyncRequest) u = NULL;
  const guint8 *d;
  guint32 r, n;
  gsize pos, end;

  if (!check_header (data, len, OFFAUTH_SYNC_REQUEST_MIN_SIZE, 'U', 3, "sync request", error))
    return NULL;
  if (len > OFFAUTH_SYNC_MAX_SIZE)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes, at most 50331644 allowed",
                   len);
  r = get_u32 (data + 80);
  n = get_u32 (data + 84);
  if (r > OFFAUTH_SYNC_MAX_ASKS)
    return refuse (error, "sync request: %u retry asks, at most 1024 allowed", r);
  if (n > OFFAUTH_SYNC_MAX_RECORDS)
    return refuse (error, "sync request: %u records, at most 65536 allowed", n);
  end = len - OFFAUTH_SIG_SIZE;
  pos = 88 + 8 * (gsize) r;
  /* Every record takes at least 4 + 9 bytes: checked before anything is allocated. */
  if (pos + 13 * (gsize) n > end)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes cannot hold %u retry asks"
                   " and %u records", len, r, n);
  if (get_u64 (data + 24) < 1)
    return refuse (error, "sync request: first_seq is 0");
  if (n > 0 && get_u64 (data + 24) > G_MAXUINT64 - (n - 1))
    return refuse (error, "sync request: the rows run past the largest seq");

  u = g_new0 (OffauthSyncRequest, 1);
  u->raw = g_bytes_new (data, len);
  d = g_bytes_get_data (u->raw, NULL);
  memcpy (u->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  u->first_seq = get_u64 (d + 24);
  memcpy (u->prev_hash, d + 32, OFFAUTH_HASH_SIZE);
  u->created_at = get_u64 (d + 64);
  u->verdict_cursor = get_u64 (d + 72);
  u->n_asks = r;
  u->asks = g_new (guint64, MAX (r, 1));
  for (guint32 i = 0; i < r; i++)
    {
      u->asks[i] = get_u64 (d + 88 + 8 * (gsize) i);
      if (u->asks[i] < 1)
        return refuse (error, "sync request: retry ask %u names row 0", i);
      if (i > 0 && u->asks[i - 1] >= u->asks[i])
        return refuse (error, "sync request: retry asks not strictly ascending at %u", i);
    }
  u->n_records = n;
  u->records = g_new (OffauthView, MAX (n, 1));
  for (guint32 i = 0; i < n; i++)
    {
      guint32 rlen;

      if (end - pos < 4)
        return refuse (error, "sync request: record %u has no length", i);
      rlen = get_u32 (d + pos);
      if (rlen < OFFAUTH_SYNC_RECORD_MIN || rlen > OFFAUTH_SYNC_RECORD_MAX)
        return refuse (error, "sync request: record %u is %u bytes, 9 to 1048576 allowed", i,
                       rlen);
      pos += 4;
      if (end - pos < rlen)
        return refuse (error, "sync request: record %u runs into the signature", i);
      u->records[i].data = d + pos;
      u->records[i].len = rlen;
      pos += rlen;
    }
  if (pos != end)
    return refuse (error, "sync request: %" G_GSIZE_FORMAT " bytes after the last record",
                   end - pos);
  memcpy (u->signature, d + end, OFFAUTH_SIG_SIZE);
  return g_steal_pointer (&u);
}

OffauthSyncRequest *
offauth_sync_request_parse_text (const char  *text,
                                 gssize       text_len,
                                 GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, text_len, 'U', &len, error);
  if (bin == NULL)
    return NULL;
  return offauth_sync_request_parse (bin, len, error);
}

/* The binary with the fields' signature bytes; the parser checks every bound. */
static guint8 *
sync_request_bytes (const OffauthSyncRequest *f,
                    gsize                    *len_out,
                    GError                  **error)
{
  gsize len = OFFAUTH_SYNC_REQUEST_MIN_SIZE + 8 * (gsize) f->n_asks, pos;
  guint8 *d;

  if (f->n_asks > OFFAUTH_SYNC_MAX_ASKS || f->n_records > OFFAUTH_SYNC_MAX_RECORDS)
    return refuse (error, "sync request: too many retry asks or records");
  for (guint32 i = 0; i < f->n_records; i++)
    {
      if (f->records[i].len > OFFAUTH_SYNC_RECORD_MAX)
        return refuse (error, "sync request: record %u is longer than 1048576 bytes", i);
      len += 4 + f->records[i].len;
      if (len > OFFAUTH_SYNC_MAX_SIZE)
        return refuse (error, "sync request: longer than 50331644 bytes");
    }
  d = g_malloc (len);
  write_header (d, 88, 'U');
  memcpy (d + 8, f->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, f->first_seq);
  memcpy (d + 32, f->prev_hash, OFFAUTH_HASH_SIZE);
  put_u64 (d + 64, f->created_at);
  put_u64 (d + 72, f->verdict_cursor);
  put_u32 (d + 80, f->n_asks);
  put_u32 (d + 84, f->n_records);
  pos = 88;
  for (guint32 i = 0; i < f->n_asks; i++, pos += 8)
    put_u64 (d + pos, f->asks[i]);
  for (guint32 i = 0; i < f->n_records; i++)
    {
      put_u32 (d + pos, (guint32) f->records[i].len);
      if (f->records[i].len > 0)
        memcpy (d + pos + 4, f->records[i].data, f->records[i].len);
      pos += 4 + f->records[i].len;
    }
  memcpy (d + pos, f->signature, OFFAUTH_SIG_SIZE);
  *len_out = len;
  return d;
}

GBytes *
offauth_sync_request_encode (const OffauthSyncRequest *fields,
                             GError                  **error)
{
  g_autoptr(OffauthSyncRequest) check = NULL;
  gsize len;
  guint8 *d;

  g_return_val_if_fail (fields != NULL, NULL);

  d = sync_request_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  check = offauth_sync_request_parse (d, len, error);
  if (check == NULL)
    {
      g_free (d);
      return NULL;
    }
  return g_bytes_new_take (d, len);
}

OffauthSyncRequest *
offauth_sync_request_sign (const OffauthSyncRequest *fields,
                           const guint8              acquirer_pk[OFFAUTH_PK_SIZE],
                           const OffauthSecretKey   *terminal_key,
                           GError                  **error)
{
  g_autofree guint8 *d = NULL;
  gsize len;

  g_return_val_if_fail (fields != NULL && acquirer_pk != NULL && terminal_key != NULL, NULL);

  d = sync_request_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  bound_signature (d + len - OFFAUTH_SIG_SIZE, NULL, OFFAUTH_TAG_UPLD, acquirer_pk, d,
                   len - OFFAUTH_SIG_SIZE, terminal_key->sk, NULL);
  return offauth_sync_request_parse (d, len, error);
}

gboolean
offauth_sync_request_verify (const OffauthSyncRequest *u,
                             const guint8              acquirer_pk[OFFAUTH_PK_SIZE],
                             const guint8              terminal_pk[OFFAUTH_PK_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (u->raw, &len);

  return bound_signature (NULL, d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_UPLD, acquirer_pk, d,
                          len - OFFAUTH_SIG_SIZE, NULL, terminal_pk);
}

void
offauth_sync_request_hash (const OffauthSyncRequest *u,
                           guint8                    out[OFFAUTH_HASH_SIZE])
{
  hash_bytes (u->raw, out);
}

/* Sync answer A */

void
offauth_sync_answer_free (OffauthSyncAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->verdicts);
  g_bytes_unref (answer->raw);
  g_free (answer);
}

static int
compare_sale_ids (gconstpointer a, gconstpointer b)
{
  return memcmp (*(const guint8 * const *) a, *(const guint8 * const *) b, OFFAUTH_SALE_ID_SIZE);
}

/* No sale twice: the sale ids of the verdicts are distinct. */
static gboolean
sale_ids_distinct (const OffauthVerdict *v,
                   guint32               n)
{
  g_autofree const guint8 **ids = NULL;

  if (n < 2)
    return TRUE;
  ids = g_new (const guint8 *, n);
  for (guint32 i = 0; i < n; i++)
    ids[i] = v[i].sale_id;
  qsort (ids, n, sizeof ids[0], compare_sale_ids);
  for (guint32 i = 1; i < n; i++)
    if (memcmp (ids[i - 1], ids[i], OFFAUTH_SALE_ID_SIZE) == 0)
      return FALSE;
  return TRUE;
}

OffauthSyncAnswer *
offauth_sync_answer_parse (const guint8  *data,
                           gsize          len,
                           GError       **error)
{
  g_autoptr(OffauthSyncAnswer) a = NULL;
  const guint8 *d;
  guint32 n;

  if (!check_header (data, len, OFFAUTH_SYNC_ANSWER_MIN_SIZE, 'A', 3, "sync answer", error))
    return NULL;
  if (len > OFFAUTH_SYNC_MAX_SIZE)
    return refuse (error, "sync answer: %" G_GSIZE_FORMAT " bytes, at most 50331644 allowed",
                   len);
  n = get_u32 (data + 112);
  if (len != OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) n)
    return refuse (error, "sync answer: %" G_GSIZE_FORMAT " bytes, %u verdicts need %"
                   G_GSIZE_FORMAT, len, n,
                   OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) n);
  if ((get_u32 (data + 116) & ~OFFAUTH_SYNC_FLAG_MORE) != 0)
    return refuse (error, "sync answer: unknown flags are set");
  if (get_u64 (data + 24) == 0 && !all_zero (data + 32, OFFAUTH_HASH_SIZE))
    return refuse (error, "sync answer: h_acked is not zero while acked_seq is 0");

  a = g_new0 (OffauthSyncAnswer, 1);
  a->raw = g_bytes_new (data, len);
  d = g_bytes_get_data (a->raw, NULL);
  memcpy (a->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  a->acked_seq = get_u64 (d + 24);
  memcpy (a->h_acked, d + 32, OFFAUTH_HASH_SIZE);
  a->acquirer_time = get_u64 (d + 64);
  memcpy (a->request_hash, d + 72, OFFAUTH_HASH_SIZE);
  a->verdict_cursor = get_u64 (d + 104);
  a->n_verdicts = n;
  a->flags = get_u32 (d + 116);
  a->verdicts = g_new (OffauthVerdict, MAX (n, 1));
  for (guint32 i = 0; i < n; i++)
    {
      const guint8 *e = d + 120 + OFFAUTH_VERDICT_SIZE * (gsize) i;
      OffauthVerdict *v = &a->verdicts[i];
      const char *problem;

      offauth_verdict_read (v, e);
      if (!all_zero (e + 44, 4))
        return refuse (error, "sync answer: verdict %u has non-zero reserved bytes", i);
      if (v->sale_seq < 1 || v->sale_seq > a->acked_seq)
        return refuse (error, "sync answer: verdict %u names row %" G_GUINT64_FORMAT
                       ", not one of 1 to acked_seq", i, v->sale_seq);
      if (i > 0 && a->verdicts[i - 1].sale_seq >= v->sale_seq)
        return refuse (error, "sync answer: verdicts not strictly ascending at %u", i);
      if ((problem = offauth_verdict_problem (v)) != NULL)
        return refuse (error, "sync answer: verdict %u: %s", i, problem);
    }
  if (!sale_ids_distinct (a->verdicts, n))
    return refuse (error, "sync answer: two verdicts for one sale id");
  memcpy (a->signature, d + len - OFFAUTH_SIG_SIZE, OFFAUTH_SIG_SIZE);
  return g_steal_pointer (&a);
}

OffauthSyncAnswer *
offauth_sync_answer_parse_text (const char  *text,
                                gssize       text_len,
                                GError     **error)
{
  g_autofree guint8 *bin = NULL;
  gsize len = 0;

  bin = offauth_text_decode (text, text_len, 'A', &len, error);
  if (bin == NULL)
    return NULL;
  return offauth_sync_answer_parse (bin, len, error);
}

static guint8 *
sync_answer_bytes (const OffauthSyncAnswer *f,
                   gsize                   *len_out,
                   GError                 **error)
{
  gsize len;
  guint8 *d;

  if (f->n_verdicts > (OFFAUTH_SYNC_MAX_SIZE - OFFAUTH_SYNC_ANSWER_MIN_SIZE) / OFFAUTH_VERDICT_SIZE)
    return refuse (error, "sync answer: longer than 50331644 bytes");
  len = OFFAUTH_SYNC_ANSWER_MIN_SIZE + OFFAUTH_VERDICT_SIZE * (gsize) f->n_verdicts;
  d = g_malloc (len);
  write_header (d, 120, 'A');
  memcpy (d + 8, f->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, f->acked_seq);
  memcpy (d + 32, f->h_acked, OFFAUTH_HASH_SIZE);
  put_u64 (d + 64, f->acquirer_time);
  memcpy (d + 72, f->request_hash, OFFAUTH_HASH_SIZE);
  put_u64 (d + 104, f->verdict_cursor);
  put_u32 (d + 112, f->n_verdicts);
  put_u32 (d + 116, f->flags);
  for (guint32 i = 0; i < f->n_verdicts; i++)
    offauth_verdict_write (&f->verdicts[i], d + 120 + OFFAUTH_VERDICT_SIZE * (gsize) i);
  memcpy (d + len - OFFAUTH_SIG_SIZE, f->signature, OFFAUTH_SIG_SIZE);
  *len_out = len;
  return d;
}

GBytes *
offauth_sync_answer_encode (const OffauthSyncAnswer *fields,
                            GError                 **error)
{
  g_autoptr(OffauthSyncAnswer) check = NULL;
  gsize len;
  guint8 *d;

  g_return_val_if_fail (fields != NULL, NULL);

  d = sync_answer_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  check = offauth_sync_answer_parse (d, len, error);
  if (check == NULL)
    {
      g_free (d);
      return NULL;
    }
  return g_bytes_new_take (d, len);
}

OffauthSyncAnswer *
offauth_sync_answer_sign (const OffauthSyncAnswer *fields,
                          const OffauthSecretKey  *acquirer_key,
                          GError                 **error)
{
  g_autofree guint8 *d = NULL;
  gsize len;

  g_return_val_if_fail (fields != NULL && acquirer_key != NULL, NULL);

  d = sync_answer_bytes (fields, &len, error);
  if (d == NULL)
    return NULL;
  offauth_sign (d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_ACKN, d, len - OFFAUTH_SIG_SIZE,
                acquirer_key->sk);
  return offauth_sync_answer_parse (d, len, error);
}

gboolean
offauth_sync_answer_verify (const OffauthSyncAnswer *a,
                            const guint8             acquirer_pk[OFFAUTH_PK_SIZE])
{
  gsize len;
  const guint8 *d = g_bytes_get_data (a->raw, &len);

  return offauth_verify (d + len - OFFAUTH_SIG_SIZE, OFFAUTH_TAG_ACKN, d,
                         len - OFFAUTH_SIG_SIZE, acquirer_pk);
}

void
offauth_sync_answer_hash (const OffauthSyncAnswer *a,
                          guint8                   out[OFFAUTH_HASH_SIZE])
{
  hash_bytes (a->raw, out);
}

/* Online request O */

#define ONLINE_SIGNED (OFFAUTH_ONLINE_REQUEST_SIZE - OFFAUTH_SIG_SIZE)

gboolean
offauth_online_request_parse (OffauthOnlineRequest  *out,
                              const guint8          *d,
                              gsize                  len,
                              GError               **error)
{
  g_autoptr(GError) inner = NULL;

  if (!check_header (d, len, OFFAUTH_ONLINE_REQUEST_SIZE, 'O', 3, "online request", error))
    return FALSE;
  if (len != OFFAUTH_ONLINE_REQUEST_SIZE)
    return malformed (error, "online request: %" G_GSIZE_FORMAT " bytes instead of 424", len);
  if (!offauth_payment_parse (&out->payment, d + 32, OFFAUTH_PAYMENT_SIZE, &inner))
    return malformed (error, "online request: %s", inner->message);
  memcpy (out->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  out->created_at = get_u64 (d + 24);
  memcpy (out->signature, d + ONLINE_SIGNED, OFFAUTH_SIG_SIZE);
  memcpy (out->raw, d, OFFAUTH_ONLINE_REQUEST_SIZE);
  return TRUE;
}

gboolean
offauth_online_request_parse_text (OffauthOnlineRequest  *out,
                                   const char            *text,
                                   gssize                 text_len,
                                   GError               **error)
{
  return parse_text (out, text, text_len, 'O', (ParseFunc) offauth_online_request_parse, error);
}

void
offauth_online_request_encode (OffauthOnlineRequest *o)
{
  guint8 *d = o->raw;

  write_header (d, OFFAUTH_ONLINE_REQUEST_SIZE, 'O');
  memcpy (d + 8, o->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  put_u64 (d + 24, o->created_at);
  memcpy (d + 32, o->payment.raw, OFFAUTH_PAYMENT_SIZE);
  memcpy (d + ONLINE_SIGNED, o->signature, OFFAUTH_SIG_SIZE);
}

void
offauth_online_request_sign (OffauthOnlineRequest   *o,
                             const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                             const OffauthSecretKey *terminal_key)
{
  offauth_online_request_encode (o);
  bound_signature (o->signature, NULL, OFFAUTH_TAG_ONLN, acquirer_pk, o->raw, ONLINE_SIGNED,
                   terminal_key->sk, NULL);
  memcpy (o->raw + ONLINE_SIGNED, o->signature, OFFAUTH_SIG_SIZE);
}

gboolean
offauth_online_request_verify (const OffauthOnlineRequest *o,
                               const guint8                acquirer_pk[OFFAUTH_PK_SIZE],
                               const guint8                terminal_pk[OFFAUTH_PK_SIZE])
{
  return bound_signature (NULL, o->raw + ONLINE_SIGNED, OFFAUTH_TAG_ONLN, acquirer_pk, o->raw,
                          ONLINE_SIGNED, NULL, terminal_pk);
}

/* Decision D */

#define DECISION_SIGNED (OFFAUTH_ONLINE_DECISION_SIZE - OFFAUTH_SIG_SIZE)

gboolean
offauth_online_decision_parse (OffauthOnlineDecision  *out,
                        const guint8     *d,
                        gsize             len,
                        GError          **error)
{
  guint8 result, reason;

  if (!check_header (d, len, OFFAUTH_ONLINE_DECISION_SIZE, 'D', 3, "decision", error))
    return FALSE;
  if (len != OFFAUTH_ONLINE_DECISION_SIZE)
    return malformed (error, "decision: %" G_GSIZE_FORMAT " bytes instead of 144", len);
  if (!all_zero (d + 58, 6))
    return malformed (error, "decision: reserved bytes are not zero");
  result = d[56];
  reason = d[57];
  if (result == OFFAUTH_ONLINE_APPROVED)
    {
      if (reason != OFFAUTH_SETTLE_OK)
        return malformed (error, "decision: an approval with reason %u", reason);
    }
  else if (result == OFFAUTH_ONLINE_DECLINED)
    {
      if (!((reason >= 1 && reason <= 6) || reason == 8 || reason == 11 || reason == 12))
        return malformed (error, "decision: a decline with reason %u", reason);
    }
  else
    return malformed (error, "decision: result %u is not 1 or 2", result);
  memcpy (out->terminal_id, d + 8, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (out->sale_id, d + 24, OFFAUTH_SALE_ID_SIZE);
  out->result = result;
  out->reason = reason;
  out->acquirer_time = get_u64 (d + 64);
  out->amount = get_u64 (d + 72);
  memcpy (out->signature, d + DECISION_SIGNED, OFFAUTH_SIG_SIZE);
  memcpy (out->raw, d, OFFAUTH_ONLINE_DECISION_SIZE);
  return TRUE;
}

gboolean
offauth_online_decision_parse_text (OffauthOnlineDecision  *out,
                             const char       *text,
                             gssize            text_len,
                             GError          **error)
{
  return parse_text (out, text, text_len, 'D', (ParseFunc) offauth_online_decision_parse, error);
}

void
offauth_online_decision_encode (OffauthOnlineDecision *dec)
{
  guint8 *d = dec->raw;

  write_header (d, OFFAUTH_ONLINE_DECISION_SIZE, 'D');
  memcpy (d + 8, dec->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  memcpy (d + 24, dec->sale_id, OFFAUTH_SALE_ID_SIZE);
  d[56] = dec->result;
  d[57] = dec->reason;
  put_u64 (d + 64, dec->acquirer_time);
  put_u64 (d + 72, dec->amount);
  memcpy (d + DECISION_SIGNED, dec->signature, OFFAUTH_SIG_SIZE);
}

void
offauth_online_decision_sign (OffauthOnlineDecision        *dec,
                       const OffauthSecretKey *acquirer_key)
{
  offauth_online_decision_encode (dec);
  offauth_sign (dec->signature, OFFAUTH_TAG_DECN, dec->raw, DECISION_SIGNED, acquirer_key->sk);
  memcpy (dec->raw + DECISION_SIGNED, dec->signature, OFFAUTH_SIG_SIZE);
}

gboolean
offauth_online_decision_verify (const OffauthOnlineDecision *dec,
                         const guint8           acquirer_pk[OFFAUTH_PK_SIZE])
{
  return offauth_verify (dec->raw + DECISION_SIGNED, OFFAUTH_TAG_DECN, dec->raw, DECISION_SIGNED,
                         acquirer_pk);
}

void
offauth_terminal_id_from_key (guint8       out[OFFAUTH_TERMINAL_ID_SIZE],
                              const guint8 terminal_pk[OFFAUTH_PK_SIZE])
{
  guint8 h[OFFAUTH_HASH_SIZE];

  offauth_hash (h, terminal_pk, OFFAUTH_PK_SIZE);
  memcpy (out, h, OFFAUTH_TERMINAL_ID_SIZE);
}
