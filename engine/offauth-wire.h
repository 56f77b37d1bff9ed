/* offauth-wire.h: the OA1 messages, byte for byte (see docs/protocol.md).
 *
 * Parsing is total: any byte string gives a message or an OFFAUTH_ERROR_MALFORMED
 * error saying what is wrong. Parsing checks layout and bounds only; signatures are
 * checked by the offauth_*_verify() functions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-crypto.h"

G_BEGIN_DECLS

#define OFFAUTH_CREDENTIAL_SIZE   172
#define OFFAUTH_REQUEST_SIZE      80
#define OFFAUTH_PAYMENT_SIZE      328
#define OFFAUTH_PAYMENT_SIGNED    264
#define OFFAUTH_CHECKPOINT_SIZE   136
#define OFFAUTH_BUNDLE_MIN_SIZE   128
#define OFFAUTH_BUNDLE_ENTRY_SIZE 64
#define OFFAUTH_BUNDLE_MAX_KEYS   64
#define OFFAUTH_REVOCATION_MIN_SIZE 112
#define OFFAUTH_REVOCATION_MAX_IDS  1048576
#define OFFAUTH_CREDENTIAL_ID_SIZE 16
#define OFFAUTH_CHALLENGE_SIZE    16
#define OFFAUTH_MERCHANT_ID_SIZE  16
#define OFFAUTH_TERMINAL_ID_SIZE  16
#define OFFAUTH_SALE_ID_SIZE      32
#define OFFAUTH_PAYMENT_TEXT_LEN  443

/* Clock tolerances fixed by the protocol, in seconds. */
#define OFFAUTH_CLOCK_SKEW        300

typedef struct
{
  guint8  issuer_key_id[OFFAUTH_KEY_ID_SIZE];
  guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  guint8  payer_public_key[OFFAUTH_PK_SIZE];
  char    currency[4];
  guint32 max_offline_count;
  guint64 per_payment_limit;
  guint64 offline_total_limit;
  guint64 not_before;
  guint64 not_after;
  guint32 scope;
  guint8  signature[OFFAUTH_SIG_SIZE];
  guint8  raw[OFFAUTH_CREDENTIAL_SIZE];
} OffauthCredential;

typedef struct
{
  char    merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint32 scope;
  char    currency[4];
  guint64 amount;
  guint64 created_at;
  guint8  challenge[OFFAUTH_CHALLENGE_SIZE];
  guint8  raw[OFFAUTH_REQUEST_SIZE];
} OffauthRequest;

typedef struct
{
  OffauthCredential credential;
  OffauthRequest    request;
  guint32           counter;
  guint8            signature[OFFAUTH_SIG_SIZE];
  guint8            sale_id[OFFAUTH_SALE_ID_SIZE];
  guint8            raw[OFFAUTH_PAYMENT_SIZE];
} OffauthPayment;

typedef struct
{
  guint8  key_id[OFFAUTH_KEY_ID_SIZE];
  guint8  public_key[OFFAUTH_PK_SIZE];
  guint64 not_before;
  guint64 not_after;
  guint32 scope;
} OffauthIssuerKey;

typedef struct
{
  guint8           root_public_key[OFFAUTH_PK_SIZE];
  guint64          sequence;
  guint64          issued_at;
  guint64          expires_at;
  guint            n_keys;
  OffauthIssuerKey keys[OFFAUTH_BUNDLE_MAX_KEYS];
  guint8           signature[OFFAUTH_SIG_SIZE];
  gsize            raw_len;
  guint8           raw[OFFAUTH_BUNDLE_MIN_SIZE + OFFAUTH_BUNDLE_ENTRY_SIZE * OFFAUTH_BUNDLE_MAX_KEYS];
} OffauthBundle;

typedef struct
{
  guint8        issuer_key_id[OFFAUTH_KEY_ID_SIZE];
  guint64       sequence;
  guint64       issued_at;
  guint64       next_update;
  guint32       n_ids;
  const guint8 *ids;        /* n_ids × 16 bytes, strictly ascending, inside raw */
  guint8        signature[OFFAUTH_SIG_SIZE];
  GBytes       *raw;
} OffauthRevocationList;

typedef struct
{
  guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint64 seq;
  guint8  chain_hash[OFFAUTH_HASH_SIZE];
  guint64 created_at;
  guint8  signature[OFFAUTH_SIG_SIZE];
  guint8  raw[OFFAUTH_CHECKPOINT_SIZE];
} OffauthCheckpoint;

/* Text form: "OA1" T "." base64url(binary), one trailing LF allowed. */
gchar    *offauth_text_encode            (char          type,
                                          const guint8 *bin,
                                          gsize         len);
guint8   *offauth_text_decode            (const char   *text,
                                          gssize        text_len,
                                          char          type,
                                          gsize        *out_len,
                                          GError      **error);
char      offauth_text_type              (const char   *text);

gboolean  offauth_merchant_id_valid      (const char   *merchant_id);
gboolean  offauth_currency_valid         (const char   *currency);

gboolean  offauth_credential_parse       (OffauthCredential      *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_credential_parse_text  (OffauthCredential      *out,
                                          const char             *text,
                                          GError                **error);
/* Writes the fields into raw; the signature bytes are left as they are. *//* Writes raw from the fields and the signature as they are. */
void      offauth_credential_encode      (OffauthCredential      *cred);
void      offauth_credential_sign        (OffauthCredential      *cred,
                                          const OffauthSecretKey *issuer_key);
gboolean  offauth_credential_verify      (const OffauthCredential *cred,
                                          const guint8            issuer_pk[OFFAUTH_PK_SIZE]);

gboolean  offauth_request_parse          (OffauthRequest         *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_request_parse_text     (OffauthRequest         *out,
                                          const char             *text,
                                          GError                **error);
void      offauth_request_encode         (OffauthRequest         *req);

gboolean  offauth_payment_parse          (OffauthPayment         *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_payment_parse_text     (OffauthPayment         *out,
                                          const char             *text,
                                          gssize                  text_len,
                                          GError                **error);
/* Writes raw from the fields and the signature as they are, and the sale id. */
void      offauth_payment_encode         (OffauthPayment         *payment);
void      offauth_payment_sign           (OffauthPayment         *payment,
                                          const OffauthSecretKey *payer_key);
gboolean  offauth_payment_verify         (const OffauthPayment   *payment);

gboolean  offauth_bundle_parse           (OffauthBundle          *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_bundle_parse_text      (OffauthBundle          *out,
                                          const char             *text,
                                          GError                **error);
void      offauth_bundle_sign            (OffauthBundle          *bundle,
                                          const OffauthSecretKey *root_key);
gboolean  offauth_bundle_verify          (const OffauthBundle    *bundle,
                                          const guint8            root_pk[OFFAUTH_PK_SIZE]);
const OffauthIssuerKey *
          offauth_bundle_find_key        (const OffauthBundle    *bundle,
                                          const guint8            key_id[OFFAUTH_KEY_ID_SIZE]);

OffauthRevocationList *
          offauth_revocation_list_parse  (const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
OffauthRevocationList *
          offauth_revocation_list_parse_text (const char         *text,
                                          GError                **error);
OffauthRevocationList *
          offauth_revocation_list_build  (const guint8            issuer_key_id[OFFAUTH_KEY_ID_SIZE],
                                          guint64                 sequence,
                                          guint64                 issued_at,
                                          guint64                 next_update,
                                          const guint8           *sorted_ids,
                                          guint32                 n_ids,
                                          const OffauthSecretKey *issuer_key);
gboolean  offauth_revocation_list_verify (const OffauthRevocationList *list,
                                          const guint8            issuer_pk[OFFAUTH_PK_SIZE]);
gboolean  offauth_revocation_list_contains (const OffauthRevocationList *list,
                                          const guint8            credential_id[OFFAUTH_CREDENTIAL_ID_SIZE]);
void      offauth_revocation_list_free   (OffauthRevocationList  *list);

gboolean  offauth_checkpoint_parse       (OffauthCheckpoint      *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_checkpoint_parse_text  (OffauthCheckpoint      *out,
                                          const char             *text,
                                          GError                **error);
void      offauth_checkpoint_sign        (OffauthCheckpoint      *ckpt,
                                          const OffauthSecretKey *terminal_key);
gboolean  offauth_checkpoint_verify      (const OffauthCheckpoint *ckpt,
                                          const guint8            terminal_pk[OFFAUTH_PK_SIZE]);

void      offauth_terminal_id_from_key   (guint8                  out[OFFAUTH_TERMINAL_ID_SIZE],
                                          const guint8            terminal_pk[OFFAUTH_PK_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthRevocationList, offauth_revocation_list_free)

G_END_DECLS
