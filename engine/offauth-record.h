/* offauth-record.h: the journal's records as typed structs, kinds 1-10 (docs/protocol.md,
 * "Record kinds written by this implementation"; kinds 1, 8 and 9 are normative).
 *
 * A record is u8 kind || u64 time || payload. Parsing is total: any byte string gives a
 * record or an OFFAUTH_ERROR_MALFORMED error saying what is wrong, and a kind this
 * implementation does not write is an error too (the start-up check skips such rows).
 * Encoding a parsed record gives its bytes again, except that a nonzero "root pinned"
 * byte of an enrollment is written back as 1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-terminal.h"
#include "offauth-wire.h"

G_BEGIN_DECLS

#define OFFAUTH_RECORD_HEADER_SIZE 9      /* u8 kind || u64 time */
#define OFFAUTH_RECORD_MAX_SIZE    1048576

/* Kind 1: the payment, then the mode: 0 offline, or 1 online followed by the acquirer's
 * decision D (offauth-online.c writes mode 1). */
typedef struct
{
  OffauthPayment        payment;
  guint8                mode;
  OffauthOnlineDecision decision;   /* mode 1 only */
} OffauthRecordSale;

#define OFFAUTH_RECORD_SALE_SIZE        (OFFAUTH_PAYMENT_SIZE + 1)
#define OFFAUTH_RECORD_SALE_ONLINE_SIZE (OFFAUTH_PAYMENT_SIZE + 1 + OFFAUTH_ONLINE_DECISION_SIZE)

/* Kind 2: once, at enrollment. */
typedef struct
{
  char     merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];   /* NUL-padded on the wire */
  guint8   terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8   root_public_key[OFFAUTH_PK_SIZE];
  gboolean root_pinned;                                  /* FALSE: trusted on first use */
  guint32  scope;
} OffauthRecordEnrolled;

#define OFFAUTH_RECORD_ENROLLED_SIZE (16 + 16 + 32 + 1 + 4)

/* Kind 3: the whole trust bundle as received. */
typedef struct
{
  GBytes *bundle;
} OffauthRecordTrust;

/* Kind 4: a revocation list is recorded by key, sequence and hash, never whole. */
typedef struct
{
  guint8  issuer_key_id[OFFAUTH_KEY_ID_SIZE];
  guint64 sequence;
  guint8  list_hash[OFFAUTH_HASH_SIZE];
} OffauthRecordRevocations;

#define OFFAUTH_RECORD_REVOCATIONS_SIZE (8 + 8 + 32)

/* Kind 5: the merchant accepts the clock; the record's time is the accepted clock. */
typedef struct
{
  guint64 floor;               /* the time floor at that moment */
  guint64 latest_sale_time;    /* the latest sale time it was measured against, or 0 */
} OffauthRecordClock;

#define OFFAUTH_RECORD_CLOCK_SIZE 16

/* Kind 6: ASCII "name=value", the value in decimal, no terminator. */
typedef struct
{
  gchar   *name;
  guint64  value;
} OffauthRecordSetting;

/* Kind 7: a credential blocked here, with the reason as text (may be empty). */
typedef struct
{
  guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  gchar  *reason;
} OffauthRecordNegative;

/* Kind 8: a sale's state changes, a verdict's layout (56 bytes): u64 sale_seq || sale id ||
 * u8 state || u8 reason || u16 attempt || u32 reserved || u64 retry_after. States 1-3 copy
 * an accepted verdict and follow its rules; 4 (written off) and 5 (collected otherwise)
 * are the merchant's closes, with reason, attempt and retry_after 0. */
typedef struct
{
  OffauthVerdict verdict;
} OffauthRecordSaleState;

#define OFFAUTH_RECORD_SALE_STATE_SIZE OFFAUTH_VERDICT_SIZE

/* Kind 9: a sync answer accepted: u64 acked_seq || u64 acquirer_time || u64 verdict_cursor
 * || H(answer binary). */
typedef struct
{
  guint64 acked_seq;
  guint64 acquirer_time;
  guint64 verdict_cursor;
  guint8  answer_hash[OFFAUTH_HASH_SIZE];
} OffauthRecordSyncAccepted;

#define OFFAUTH_RECORD_SYNC_ACCEPTED_SIZE (8 + 8 + 8 + 32)

/* Kind 10: the acquirer pinned: its public key (32) || its URL (UTF-8, no terminator). */
typedef struct
{
  guint8  acquirer_pk[OFFAUTH_PK_SIZE];
  gchar  *url;
} OffauthRecordAcquirer;

#define OFFAUTH_RECORD_ACQUIRER_URL_MAX 2048

typedef struct
{
  OffauthRecordKind kind;
  guint64           time;
  union
  {
    OffauthRecordSale        sale;
    OffauthRecordEnrolled    enrolled;
    OffauthRecordTrust       trust;
    OffauthRecordRevocations revocations;
    OffauthRecordClock       clock;
    OffauthRecordSetting     setting;
    OffauthRecordNegative    negative;
    OffauthRecordSaleState   sale_state;
    OffauthRecordSyncAccepted sync_accepted;
    OffauthRecordAcquirer    acquirer;
  };
} OffauthRecord;

gboolean    offauth_record_kind_known     (guint                kind);
/* A short name for listings ("sale", "enrolled", ...), "?" for a kind not known. */
const char *offauth_record_kind_name      (guint                kind);

/* Parses a whole record as stored in the journal. */
gboolean    offauth_record_parse          (OffauthRecord       *record,
                                           const guint8        *data,
                                           gsize                len,
                                           GError             **error);
/* Parses a record whose kind and time are already split off (OffauthJournalFunc). */
gboolean    offauth_record_parse_payload  (OffauthRecord       *record,
                                           guint                kind,
                                           guint64              time,
                                           const guint8        *payload,
                                           gsize                len,
                                           GError             **error);
/* The whole record's bytes: kind, time and payload; NULL (OFFAUTH_ERROR_MALFORMED) when
 * they would be longer than OFFAUTH_RECORD_MAX_SIZE or break the kind's bounds. */
guint8     *offauth_record_encode         (const OffauthRecord *record,
                                           gsize               *len,
                                           GError             **error);
/* Frees what a parsed or filled record owns (setting name, reason, bundle bytes). */
void        offauth_record_clear          (OffauthRecord       *record);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OffauthRecord, offauth_record_clear)

G_END_DECLS
