/* acquirer-db.h: the acquirer's SQLite file: terminals, payer accounts, settings, and
 * settlement's tables: each terminal's copy of its chain, sales in arrival order with
 * their verdicts and versions, debits, answers sent, issuer keys and revocation lists.
 *
 * Errors are OFFAUTH_ERROR_STORAGE (the database failed), OFFAUTH_ERROR_STATE or
 * OFFAUTH_ERROR_INVALID, so that the tools report them like the engine's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

typedef struct _AcquirerDb AcquirerDb;

/* A registered terminal. from_seq and from_hash: the row up to which an earlier acquirer
 * acknowledged the terminal's chain (0 and zeros for a terminal new to acquirers). */
typedef struct
{
  guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8  public_key[OFFAUTH_PK_SIZE];
  char    merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint32 scope;
  guint64 from_seq;
  guint8  from_hash[OFFAUTH_HASH_SIZE];
  guint64 registered_at;
} AcquirerTerminal;

/* The payer accounts of one currency. */
typedef struct
{
  char    currency[4];
  guint64 count;
  guint64 balance;
} AcquirerAccountTotal;

/* A payer's balance by credential id (the sum when ids are shared). */
typedef struct
{
  guint8  credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  guint64 balance;
} AcquirerBalance;

/* create: make the file and its schema (init); otherwise the file must exist. */
AcquirerDb *acquirer_db_open             (const char              *path,
                                          gboolean                 create,
                                          GError                 **error);
void        acquirer_db_free             (AcquirerDb              *db);

/* One durable transaction (BEGIN IMMEDIATE ... COMMIT, synchronous=FULL). */
gboolean    acquirer_db_begin            (AcquirerDb              *db,
                                          GError                 **error);
gboolean    acquirer_db_commit           (AcquirerDb              *db,
                                          GError                 **error);
void        acquirer_db_rollback         (AcquirerDb              *db);
/* Whether the bundle and lists of the issuer folder in this state (an opaque string, see
 * acquirer_settle_refresh) are in the tables already: set after a refresh, forgotten by a
 * rollback and by a revocation the acquirer writes (NULL). */
gboolean    acquirer_db_issuer_seen      (AcquirerDb              *db,
                                          const char              *state);
void        acquirer_db_set_issuer_seen  (AcquirerDb              *db,
                                          const char              *state);

gboolean    acquirer_db_set_setting      (AcquirerDb              *db,
                                          const char              *name,
                                          const char              *value,
                                          GError                 **error);
/* NULL without an error when the setting is absent. */
gchar      *acquirer_db_get_setting      (AcquirerDb              *db,
                                          const char              *name,
                                          GError                 **error);

/* Inside a transaction. *existed tells whether the key was registered already; an
 * existing registration is replaced only when replace is TRUE (else OFFAUTH_ERROR_STATE). */
gboolean    acquirer_db_register_terminal (AcquirerDb             *db,
                                          const AcquirerTerminal  *terminal,
                                          gboolean                 replace,
                                          gboolean                *existed,
                                          GError                 **error);
/* Every registered terminal, by merchant then terminal id. */
GArray     *acquirer_db_terminals        (AcquirerDb              *db,
                                          GError                 **error);

gboolean    acquirer_db_find_terminal    (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          AcquirerTerminal        *terminal,
                                          gboolean                *found,
                                          GError                 **error);

/* The whole credentials (172 bytes each, concatenated) of the accounts whose credential
 * has this id: usually one; more when credentials share an id. */
GBytes     *acquirer_db_credentials_by_id (AcquirerDb             *db,
                                          const guint8             credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                          GError                 **error);
/* Inside a transaction: credits the account of the whole credential, creating it, and
 * keeps the top-up in the ledger. */
gboolean    acquirer_db_credit           (AcquirerDb              *db,
                                          const OffauthCredential *credential,
                                          guint64                  amount,
                                          guint64                  now,
                                          guint64                 *balance,
                                          gboolean                *created,
                                          GError                 **error);
GArray     *acquirer_db_balances         (AcquirerDb              *db,
                                          GError                 **error);
/* Per currency: how many accounts and their balances. */
GArray     *acquirer_db_account_totals   (AcquirerDb              *db,
                                          GError                 **error);

/* Settlement. Everything below runs inside the caller's transaction. */

/* Per terminal: how far the acquirer holds its chain, and its verdict versions. */
typedef struct
{
  guint64 acked_seq;                      /* rows 1 .. acked_seq are stored */
  guint8  acked_hash[OFFAUTH_HASH_SIZE];  /* h_acked_seq (zeros at 0) */
  guint64 version;                        /* the highest verdict version given */
  guint64 k9_time;      /* acquirer_time of the last kind-9 row matching one of our answers */
  guint64 last_time;    /* the latest row time stored */
  guint64 last_sync;    /* acquirer time of the last sync request */
  guint64 backwards;    /* rows whose time ran backwards (more than the skew) */
  guint64 k9_unmatched; /* kind-9 rows matching no answer of ours */
} AcquirerChain;

/* One sale of one terminal (or online request), keyed on (terminal_id, sale_id). */
typedef struct
{
  gint64   arrival;           /* arrival order, from 1 */
  guint8   terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8   sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64  sale_seq;          /* its kind-1 row; 0 for an online approval not uploaded */
  gboolean has_payment;       /* FALSE for a malformed record */
  guint8   payment[OFFAUTH_PAYMENT_SIZE];
  guint32  counter;
  guint64  amount;
  guint8   mode;              /* 0 offline, 1 online */
  gboolean evidence;          /* signatures valid and the request names the uploader */
  guint64  t_sale;
  guint8   state;             /* OffauthWireState 1-3 */
  guint8   reason;
  guint16  attempt;
  guint64  retry_after;
  guint64  first_decline;     /* insufficient funds: the first decline's time */
  guint64  version;           /* the verdict's version (0: none given) */
  gboolean debited;
  gboolean reversed;          /* an online approval reversed */
  guint64  online_at;         /* the latest online request's created_at */
  guint64  decided_at;        /* the online decision's time (0: none) */
  guint8   decision[OFFAUTH_ONLINE_DECISION_SIZE];
  gint64   conflict;          /* double spend: the earlier sale's arrival */
  guint64  updated_at;
  gint64   cred;              /* its credential's number (0: none yet, or no payment) */
  gboolean stored;            /* in the table (FALSE: a new sale, checked before it is
                               * written once with its verdict) */
} AcquirerSale;

typedef enum
{
  ACQUIRER_SALES_AFTER_VERSION,   /* key: terminal id; value: cursor; value2: acked_seq */
  ACQUIRER_SALES_HELD,            /* key: terminal id: state 3 with reason 2, 3 or 4 */
  ACQUIRER_SALES_OF_CREDENTIAL,   /* key: credential (172 bytes): every sale in state 3 */
  ACQUIRER_SALES_ONLINE_PENDING,  /* key: terminal id: online approvals without a row */
  ACQUIRER_SALES_ONLINE_EXPIRED,  /* value: decided at or before it, without a row */
  ACQUIRER_SALES_ALL,
} AcquirerSalesQuery;

gboolean    acquirer_db_get_chain        (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          AcquirerChain           *chain,
                                          GError                 **error);
gboolean    acquirer_db_set_chain        (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          const AcquirerChain     *chain,
                                          GError                 **error);
/* The terminal's next verdict version: 1, 2, 3, ... without gaps. */
gboolean    acquirer_db_next_version     (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                 *version,
                                          GError                 **error);
/* Drops the rows after after_seq; their sales lose their row (sale_seq 0). */
gboolean    acquirer_db_truncate_rows    (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                  after_seq,
                                          GError                 **error);
/* record and k9_time may be NULL. */
gboolean    acquirer_db_get_row          (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                  seq,
                                          GBytes                 **record,
                                          guint8                   hash[OFFAUTH_HASH_SIZE],
                                          guint64                 *k9_time,
                                          gboolean                *found,
                                          GError                 **error);
gboolean    acquirer_db_insert_row       (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                  seq,
                                          const guint8            *record,
                                          gsize                    len,
                                          const guint8             hash[OFFAUTH_HASH_SIZE],
                                          guint64                  k9_time,
                                          GError                 **error);
gboolean    acquirer_db_find_sale        (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          const guint8             sale_id[OFFAUTH_SALE_ID_SIZE],
                                          AcquirerSale            *sale,
                                          gboolean                *found,
                                          GError                 **error);
gboolean    acquirer_db_sale_by_seq      (AcquirerDb              *db,
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                  sale_seq,
                                          AcquirerSale            *sale,
                                          gboolean                *found,
                                          GError                 **error);
/* The arrival a new sale gets (one after the last; inside the write transaction). */
gboolean    acquirer_db_next_arrival     (AcquirerDb              *db,
                                          gint64                  *arrival,
                                          GError                 **error);
/* Inserts a new sale (sale->stored FALSE) with its arrival, or updates a stored one. */
gboolean    acquirer_db_update_sale      (AcquirerDb              *db,
                                          AcquirerSale            *sale,
                                          GError                 **error);
/* An array of AcquirerSale in arrival order (by version for AFTER_VERSION). */
GArray     *acquirer_db_sales            (AcquirerDb              *db,
                                          AcquirerSalesQuery       query,
                                          const guint8            *key,
                                          guint64                  value,
                                          guint64                  value2,
                                          guint64                  limit,
                                          GError                 **error);
/* Check 5: the arrival of an earlier sale with the same credential and counter, another
 * sale id and valid evidence; 0 when none. */
gboolean    acquirer_db_earlier_evidence (AcquirerDb              *db,
                                          AcquirerSale            *sale,
                                          gint64                  *earlier,
                                          GError                 **error);
/* Check 7: the amount of the credential's offline sales that arrived earlier and are
 * settled or in state 3 (from its running total; a sale with arrival 0, not stored yet,
 * arrives last). With OFFAUTH_ACQUIRER_CHECK_TOTALS set, also walked and compared. */
gboolean    acquirer_db_offline_sum      (AcquirerDb              *db,
                                          AcquirerSale            *sale,
                                          guint64                 *sum,
                                          GError                 **error);
gboolean    acquirer_db_balance          (AcquirerDb              *db,
                                          const guint8             credential[OFFAUTH_CREDENTIAL_SIZE],
                                          guint64                 *balance,
                                          gboolean                *exists,
                                          GError                 **error);
gboolean    acquirer_db_set_balance      (AcquirerDb              *db,
                                          const guint8             credential[OFFAUTH_CREDENTIAL_SIZE],
                                          guint64                  balance,
                                          guint64                  now,
                                          GError                 **error);
/* Whether a sale id is debited (at most once, whichever terminal carried it). */
gboolean    acquirer_db_debited          (AcquirerDb              *db,
                                          const guint8             sale_id[OFFAUTH_SALE_ID_SIZE],
                                          gboolean                *debited,
                                          GError                 **error);
/* Records (debit TRUE) or removes (a reversal) the sale id's debit. */
gboolean    acquirer_db_set_debit        (AcquirerDb              *db,
                                          const AcquirerSale      *sale,
                                          gboolean                 debit,
                                          guint64                  now,
                                          GError                 **error);
gboolean    acquirer_db_insert_answer    (AcquirerDb              *db,
                                          const guint8             hash[OFFAUTH_HASH_SIZE],
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                  acquirer_time,
                                          GError                 **error);
/* Keeps H(sync request); *seen when it was kept before (a replay). */
gboolean    acquirer_db_note_request     (AcquirerDb              *db,
                                          const guint8             hash[OFFAUTH_HASH_SIZE],
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          gboolean                *seen,
                                          GError                 **error);
gboolean    acquirer_db_find_answer      (AcquirerDb              *db,
                                          const guint8             hash[OFFAUTH_HASH_SIZE],
                                          const guint8             terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                                          guint64                 *acquirer_time,
                                          gboolean                *found,
                                          GError                 **error);
/* Keeps a bundle (already verified under the scheme root) and its issuer keys. */
gboolean    acquirer_db_put_bundle       (AcquirerDb              *db,
                                          const OffauthBundle     *bundle,
                                          GError                 **error);
gboolean    acquirer_db_issuer_key       (AcquirerDb              *db,
                                          const guint8             key_id[OFFAUTH_KEY_ID_SIZE],
                                          OffauthIssuerKey        *key,
                                          gboolean                *found,
                                          GError                 **error);
gboolean    acquirer_db_put_revocation_list (AcquirerDb           *db,
                                          const OffauthRevocationList *list,
                                          GError                 **error);
/* Every list kept of the key, by ascending sequence. */
GPtrArray  *acquirer_db_revocation_lists (AcquirerDb              *db,
                                          const guint8             key_id[OFFAUTH_KEY_ID_SIZE],
                                          GError                 **error);
/* *was_new: this credential was not marked before. */
gboolean    acquirer_db_mark_revoked     (AcquirerDb              *db,
                                          const guint8             credential[OFFAUTH_CREDENTIAL_SIZE],
                                          guint64                  now,
                                          gboolean                *was_new,
                                          GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AcquirerDb, acquirer_db_free)

G_END_DECLS
