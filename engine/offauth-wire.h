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

/* Reconciliation (PROTOCOL.md "Reconciliation"). */
#define OFFAUTH_SYNC_REQUEST_MIN_SIZE 152       /* + 8·r + Σ(4 + len_i) */
#define OFFAUTH_SYNC_ANSWER_MIN_SIZE  184       /* + 56·n */
#define OFFAUTH_SYNC_MAX_SIZE         50331644  /* U and A, binary */
#define OFFAUTH_SYNC_MAX_TEXT         67108864  /* U and A, text without its LF */
#define OFFAUTH_SYNC_MAX_ASKS         1024
#define OFFAUTH_SYNC_MAX_RECORDS      65536
#define OFFAUTH_SYNC_RECORD_MIN       9
#define OFFAUTH_SYNC_RECORD_MAX       1048576
#define OFFAUTH_VERDICT_SIZE          56
#define OFFAUTH_VERDICT_MAX_ATTEMPT   5
#define OFFAUTH_ONLINE_REQUEST_SIZE   424
#define OFFAUTH_ONLINE_DECISION_SIZE         144

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

/* A sale's state on the wire (verdicts and kind-8 records): 1-3 in verdicts, 4-5 only in
 * a kind-8 record the merchant writes. 0 (waiting) is never on the wire. */
typedef enum
{
  OFFAUTH_WIRE_STATE_SETTLED             = 1,
  OFFAUTH_WIRE_STATE_DECLINED            = 2,
  OFFAUTH_WIRE_STATE_RETRY               = 3,
  OFFAUTH_WIRE_STATE_WRITTEN_OFF         = 4,
  OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE = 5,
} OffauthWireState;

/* The acquirer's reason codes (settlement table, online decisions). */
typedef enum
{
  OFFAUTH_SETTLE_OK                 = 0,
  OFFAUTH_SETTLE_MALFORMED          = 1,
  OFFAUTH_SETTLE_BAD_SIGNATURE      = 2,
  OFFAUTH_SETTLE_WRONG_TERMINAL     = 3,
  OFFAUTH_SETTLE_UNKNOWN_CREDENTIAL = 4,
  OFFAUTH_SETTLE_DOUBLE_SPEND       = 5,
  OFFAUTH_SETTLE_REVOKED            = 6,
  OFFAUTH_SETTLE_OVER_OFFLINE_LIMIT = 7,
  OFFAUTH_SETTLE_INSUFFICIENT_FUNDS = 8,
  OFFAUTH_SETTLE_RETRIES_EXHAUSTED  = 9,
  OFFAUTH_SETTLE_WITHDRAWN          = 10,
  OFFAUTH_SETTLE_REVERSED           = 11,
  OFFAUTH_SETTLE_INVALID_CREDENTIAL = 12,
} OffauthSettleReason;

/* One verdict: 56 bytes on the wire, in an answer (A) and in a kind-8 record. */
typedef struct
{
  guint64 sale_seq;
  guint8  sale_id[OFFAUTH_SALE_ID_SIZE];
  guint8  state;
  guint8  reason;
  guint16 attempt;
  guint64 retry_after;
} OffauthVerdict;

/* A view of bytes that live elsewhere (inside a message's raw, or the caller's memory). */
typedef struct
{
  const guint8 *data;
  gsize         len;
} OffauthView;

/* Sync request U. A parsed one owns raw, asks and records; records[i] points into raw.
 * To build one, fill a stack struct (raw NULL, the arrays anywhere) and call _sign. */
typedef struct
{
  guint8       terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint64      first_seq;
  guint8       prev_hash[OFFAUTH_HASH_SIZE];
  guint64      created_at;
  guint64      verdict_cursor;
  guint32      n_asks;
  guint64     *asks;          /* sale_seq of each retry ask, strictly ascending */
  guint32      n_records;
  OffauthView *records;       /* rows first_seq .. first_seq + n_records - 1 */
  guint8       signature[OFFAUTH_SIG_SIZE];
  GBytes      *raw;
} OffauthSyncRequest;

#define OFFAUTH_SYNC_FLAG_MORE 1u

/* Sync answer A. A parsed one owns raw and verdicts (decoded). Built like U. */
typedef struct
{
  guint8          terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint64         acked_seq;
  guint8          h_acked[OFFAUTH_HASH_SIZE];
  guint64         acquirer_time;
  guint8          request_hash[OFFAUTH_HASH_SIZE];
  guint64         verdict_cursor;
  guint32         n_verdicts;
  guint32         flags;
  OffauthVerdict *verdicts;   /* ascending sale_seq, one per sale */
  guint8          signature[OFFAUTH_SIG_SIZE];
  GBytes         *raw;
} OffauthSyncAnswer;

/* Online request O. */
typedef struct
{
  guint8         terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint64        created_at;
  OffauthPayment payment;
  guint8         signature[OFFAUTH_SIG_SIZE];
  guint8         raw[OFFAUTH_ONLINE_REQUEST_SIZE];
} OffauthOnlineRequest;

typedef enum
{
  OFFAUTH_ONLINE_APPROVED = 1,
  OFFAUTH_ONLINE_DECLINED = 2,
} OffauthOnlineResult;

/* Decision D. */
typedef struct
{
  guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8  sale_id[OFFAUTH_SALE_ID_SIZE];
  guint8  result;
  guint8  reason;
  guint64 acquirer_time;
  guint64 amount;
  guint8  signature[OFFAUTH_SIG_SIZE];
  guint8  raw[OFFAUTH_ONLINE_DECISION_SIZE];
} OffauthOnlineDecision;

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

/* Reconciliation. */
const char *offauth_settle_reason_name   (guint                   reason);
const char *offauth_wire_state_name      (guint                   state);
/* NULL when (state, reason, attempt, retry_after) is a valid verdict of an answer,
 * otherwise what is wrong with it. */
const char *offauth_verdict_problem      (const OffauthVerdict   *verdict);
void      offauth_verdict_read           (OffauthVerdict         *out,
                                          const guint8            data[OFFAUTH_VERDICT_SIZE]);
void      offauth_verdict_write          (const OffauthVerdict   *verdict,
                                          guint8                  out[OFFAUTH_VERDICT_SIZE]);

OffauthSyncRequest *
          offauth_sync_request_parse     (const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
OffauthSyncRequest *
          offauth_sync_request_parse_text (const char            *text,
                                          gssize                  text_len,
                                          GError                **error);
/* The binary of the fields and the signature as they are, or NULL (MALFORMED) when a
 * field breaks a bound. */
GBytes   *offauth_sync_request_encode    (const OffauthSyncRequest *fields,
                                          GError                **error);
/* Encodes, signs over "OA1.UPLD" || key id of acquirer_pk || body and parses the result. */
OffauthSyncRequest *
          offauth_sync_request_sign      (const OffauthSyncRequest *fields,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                                          const OffauthSecretKey *terminal_key,
                                          GError                **error);
gboolean  offauth_sync_request_verify    (const OffauthSyncRequest *request,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                                          const guint8            terminal_pk[OFFAUTH_PK_SIZE]);
/* request_hash: H(the whole binary, signature included). */
void      offauth_sync_request_hash      (const OffauthSyncRequest *request,
                                          guint8                  out[OFFAUTH_HASH_SIZE]);
void      offauth_sync_request_free      (OffauthSyncRequest     *request);

OffauthSyncAnswer *
          offauth_sync_answer_parse      (const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
OffauthSyncAnswer *
          offauth_sync_answer_parse_text (const char             *text,
                                          gssize                  text_len,
                                          GError                **error);
GBytes   *offauth_sync_answer_encode     (const OffauthSyncAnswer *fields,
                                          GError                **error);
/* Encodes, signs over "OA1.ACKN" || body and parses the result. */
OffauthSyncAnswer *
          offauth_sync_answer_sign       (const OffauthSyncAnswer *fields,
                                          const OffauthSecretKey *acquirer_key,
                                          GError                **error);
gboolean  offauth_sync_answer_verify     (const OffauthSyncAnswer *answer,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE]);
/* H(answer): the hash a kind-9 record carries. */
void      offauth_sync_answer_hash       (const OffauthSyncAnswer *answer,
                                          guint8                  out[OFFAUTH_HASH_SIZE]);
void      offauth_sync_answer_free       (OffauthSyncAnswer      *answer);

gboolean  offauth_online_request_parse   (OffauthOnlineRequest   *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_online_request_parse_text (OffauthOnlineRequest *out,
                                          const char             *text,
                                          gssize                  text_len,
                                          GError                **error);
/* Writes raw from the fields and the signature as they are. */
void      offauth_online_request_encode  (OffauthOnlineRequest   *request);
/* Signs over "OA1.ONLN" || key id of acquirer_pk || bytes 0..359. */
void      offauth_online_request_sign    (OffauthOnlineRequest   *request,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                                          const OffauthSecretKey *terminal_key);
gboolean  offauth_online_request_verify  (const OffauthOnlineRequest *request,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE],
                                          const guint8            terminal_pk[OFFAUTH_PK_SIZE]);

gboolean  offauth_online_decision_parse         (OffauthOnlineDecision        *out,
                                          const guint8           *data,
                                          gsize                   len,
                                          GError                **error);
gboolean  offauth_online_decision_parse_text    (OffauthOnlineDecision        *out,
                                          const char             *text,
                                          gssize                  text_len,
                                          GError                **error);
void      offauth_online_decision_encode        (OffauthOnlineDecision        *decision);
void      offauth_online_decision_sign          (OffauthOnlineDecision        *decision,
                                          const OffauthSecretKey *acquirer_key);
gboolean  offauth_online_decision_verify        (const OffauthOnlineDecision  *decision,
                                          const guint8            acquirer_pk[OFFAUTH_PK_SIZE]);

void      offauth_terminal_id_from_key   (guint8                  out[OFFAUTH_TERMINAL_ID_SIZE],
                                          const guint8            terminal_pk[OFFAUTH_PK_SIZE]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthRevocationList, offauth_revocation_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthSyncRequest, offauth_sync_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthSyncAnswer, offauth_sync_answer_free)

G_END_DECLS
