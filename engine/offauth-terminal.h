/* offauth-terminal.h: the offline terminal: enrollment, trust material, requests, the
 * authorization decision and the hash-chained journal in one SQLite file.
 *
 * An OffauthTerminal is used from one thread at a time, and one process holds a
 * database at a time (a lock file beside it); read-only opens may run beside it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-reason.h"
#include "offauth-wire.h"

G_BEGIN_DECLS

typedef struct _OffauthTerminal OffauthTerminal;

typedef enum
{
  OFFAUTH_OPEN_DEFAULT   = 0,
  /* Open even if the start-up check fails, to inspect or verify the journal. */
  OFFAUTH_OPEN_NO_CHECK  = 1 << 0,
  /* No writes, no lock: safe beside the process that holds the terminal. */
  OFFAUTH_OPEN_READ_ONLY = 1 << 1,
} OffauthOpenFlags;

typedef enum
{
  OFFAUTH_MODE_OFFLINE = 0,
  OFFAUTH_MODE_ONLINE  = 1,
} OffauthMode;

/* A sale's state (../shared/DESIGN.md, "Sale states"). The six stored states are the
 * acquirer's verdict states with their wire numbers (0 waiting: no verdict yet); the two
 * after them live only in memory and in listings, never in the database or on the wire.
 * offauth_sale_state_from_wire() and _to_wire() map explicitly: no code copies a wire byte
 * into this type. */
typedef enum
{
  OFFAUTH_SALE_WAITING             = 0,
  OFFAUTH_SALE_SETTLED             = 1,
  OFFAUTH_SALE_DECLINED            = 2,
  OFFAUTH_SALE_RETRY               = 3,
  OFFAUTH_SALE_WRITTEN_OFF         = 4,
  OFFAUTH_SALE_COLLECTED_OTHERWISE = 5,
  /* In memory only: a sync carries the sale now. */
  OFFAUTH_SALE_UPLOADING           = 6,
  /* In memory only: the close of a state-3 sale was journaled, withdrawn has not come. */
  OFFAUTH_SALE_CLOSING             = 7,
} OffauthSaleState;

/* Journal record kinds (docs/protocol.md, "Journal records"). */
typedef enum
{
  OFFAUTH_RECORD_SALE_APPROVED   = 1,
  OFFAUTH_RECORD_ENROLLED        = 2,
  OFFAUTH_RECORD_TRUST_LOADED    = 3,
  OFFAUTH_RECORD_REVOCATIONS     = 4,
  OFFAUTH_RECORD_CLOCK_ACCEPTED  = 5,
  OFFAUTH_RECORD_SETTING         = 6,
  OFFAUTH_RECORD_NEGATIVE_LIST   = 7,
  OFFAUTH_RECORD_SALE_STATE      = 8,   /* normative (PROTOCOL.md) */
  OFFAUTH_RECORD_SYNC_ACCEPTED   = 9,   /* normative (PROTOCOL.md) */
  OFFAUTH_RECORD_ACQUIRER_PINNED = 10,
} OffauthRecordKind;

typedef struct
{
  guint64 floor_limit;       /* offline amount above this needs online; 0 = no floor */
  guint64 cap_total;         /* unsettled value that pauses offline sales; 0 = no cap */
  guint64 cap_count;         /* unsettled sales that pause offline sales; 0 = no cap */
  guint64 stale_cap;         /* largest amount with stale revocation data */
  guint64 upload_deadline;   /* seconds an unsettled sale may wait */
  guint64 request_lifetime;  /* seconds a payment request stays valid */
  guint32 scope;             /* the merchant's scope, written into requests */
  guint64 online_timeout;    /* ms an online decision may take; 0: the default, 3000 */
} OffauthTerminalConfig;

#define OFFAUTH_DEFAULT_CAP_TOTAL        100000
#define OFFAUTH_DEFAULT_CAP_COUNT        500
#define OFFAUTH_DEFAULT_STALE_CAP        1000
#define OFFAUTH_DEFAULT_UPLOAD_DEADLINE  (24 * 3600)
#define OFFAUTH_DEFAULT_REQUEST_LIFETIME 300
#define OFFAUTH_DEFAULT_ONLINE_TIMEOUT   3000

typedef struct
{
  const char *category;
  guint64     amount;
} OffauthSaleLine;

typedef struct
{
  OffauthReason reason;          /* OFFAUTH_REASON_NONE when approved */
  gboolean      approved;
  gboolean      already_recorded; /* approved again: the sale was recorded before */
  gboolean      garbled;         /* the text did not decode: "scan again" */
  /* With storage_unavailable: the commit of this sale failed at or after COMMIT, so it
   * may be recorded; the terminal is paused until it knows ("scan the same code again"). */
  gboolean      outcome_unknown;
  OffauthMode   mode;
  guint8        sale_id[OFFAUTH_SALE_ID_SIZE];
  guint64       sale_number;     /* the sale's journal row */
  guint64       amount;
  char          currency[4];
  guint64       time;            /* when the sale was recorded */
  guint8        journal_hash[OFFAUTH_HASH_SIZE];
  char          detail[256];     /* technical detail for logs and support, no secrets */
  /* Declined by the acquirer online (offauth-online.h): reason stays the offline decision's,
   * online_reason is the acquirer's (OffauthSettleReason). */
  gboolean      declined_online;
  guint8        online_reason;
} OffauthDecision;

typedef struct
{
  gboolean enrolled;
  char     merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint8   terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8   terminal_public_key[OFFAUTH_PK_SIZE];  /* zero when not enrolled */
  gchar   *root_fingerprint;
  gboolean root_trusted_on_first_use;
  OffauthTerminalConfig config;
  guint64  bundle_sequence;
  guint64  bundle_issued_at;
  guint64  bundle_expires_at;
  guint    n_issuer_keys;
  guint    n_revocation_lists;
  guint64  oldest_revocation_issued_at;  /* 0 when there is none */
  guint64  now;
  guint64  time_floor;
  OffauthReason state;            /* OFFAUTH_REASON_NONE when offline sales are possible */
  guint64  unsettled_count;
  guint64  unsettled_total;
  guint64  oldest_unsettled_time; /* 0 when nothing waits */
  guint64  journal_rows;
  guint8   journal_head[OFFAUTH_HASH_SIZE];
  guint64  n_sales;
  guint64  n_credentials;
  guint64  n_negative;
} OffauthTerminalStatus;

typedef guint64 (*OffauthNowFunc) (gpointer user_data);

void              offauth_terminal_config_init    (OffauthTerminalConfig *config);

OffauthTerminal  *offauth_terminal_open           (const char            *db_path,
                                                   OffauthOpenFlags       flags,
                                                   GError               **error);
void              offauth_terminal_free           (OffauthTerminal       *terminal);
void              offauth_terminal_set_now_func   (OffauthTerminal       *terminal,
                                                   OffauthNowFunc         func,
                                                   gpointer               user_data);
guint64           offauth_terminal_now            (OffauthTerminal       *terminal);

gboolean          offauth_terminal_enroll         (OffauthTerminal       *terminal,
                                                   const char            *bundle_text,
                                                   const char            *merchant_id,
                                                   const char            *root_fingerprint,
                                                   const OffauthTerminalConfig *config,
                                                   GError               **error);
gboolean          offauth_terminal_set_config     (OffauthTerminal       *terminal,
                                                   const OffauthTerminalConfig *config,
                                                   GError               **error);
gboolean          offauth_terminal_set_category_floor (OffauthTerminal   *terminal,
                                                   const char            *category,
                                                   guint64                floor,
                                                   GError               **error);
gboolean          offauth_terminal_load_bundle    (OffauthTerminal       *terminal,
                                                   const char            *bundle_text,
                                                   GError               **error);
gboolean          offauth_terminal_load_revocations (OffauthTerminal     *terminal,
                                                   const char            *list_text,
                                                   GError               **error);
gboolean          offauth_terminal_add_negative   (OffauthTerminal       *terminal,
                                                   const guint8           credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                                   const char            *reason,
                                                   GError               **error);
gboolean          offauth_terminal_accept_clock   (OffauthTerminal       *terminal,
                                                   GError               **error);

OffauthReason     offauth_terminal_check_state    (OffauthTerminal       *terminal,
                                                   guint64                amount);
gchar            *offauth_terminal_create_request (OffauthTerminal       *terminal,
                                                   guint64                amount,
                                                   const char            *currency,
                                                   OffauthReason         *reason,
                                                   GError               **error);
void              offauth_terminal_authorize      (OffauthTerminal       *terminal,
                                                   const char            *payment_text,
                                                   gssize                 text_len,
                                                   const OffauthSaleLine *lines,
                                                   gsize                  n_lines,
                                                   OffauthDecision       *decision);

/* After a commit whose outcome is unknown (the state storage_unavailable): reopens the
 * database, empties its log and looks the sale up. TRUE when nothing is left unresolved.
 * The terminal also tries by itself whenever its state is checked or a code is scanned,
 * with back-off (100 ms doubling to 30 s) between the tries of the state checks. */
gboolean          offauth_terminal_resolve        (OffauthTerminal       *terminal,
                                                   GError               **error);

void              offauth_terminal_get_status     (OffauthTerminal       *terminal,
                                                   OffauthTerminalStatus *status);
/* The same without n_sales, n_credentials and n_negative (left 0): those walk their tables
 * (about 0.1-0.4 s at a million sales), everything else is in memory. For a status read
 * after every sale. */
void              offauth_terminal_get_status_quick (OffauthTerminal     *terminal,
                                                   OffauthTerminalStatus *status);
void              offauth_terminal_status_clear   (OffauthTerminalStatus *status);

/* Walks the whole journal: the chain, the derived tables and the stored checkpoints.
 * On failure, *bad_seq is the first broken or missing row and error says why. */
gboolean          offauth_terminal_verify         (OffauthTerminal       *terminal,
                                                   guint64               *bad_seq,
                                                   GError               **error);
/* Checks a checkpoint that left the device against the journal (and the journal itself).
 * On failure, *bad_seq is the first broken or missing row (0 when no row is to blame). */
gboolean          offauth_terminal_verify_checkpoint (OffauthTerminal    *terminal,
                                                   const char            *checkpoint_text,
                                                   guint64               *bad_seq,
                                                   GError               **error);
gchar            *offauth_terminal_make_checkpoint (OffauthTerminal      *terminal,
                                                   GError               **error);

typedef gboolean (*OffauthJournalFunc) (guint64       seq,
                                        guint         kind,
                                        guint64       time,
                                        const guint8 *payload,
                                        gsize         payload_len,
                                        const guint8  hash[OFFAUTH_HASH_SIZE],
                                        gpointer      user_data);
gboolean          offauth_terminal_foreach_record (OffauthTerminal       *terminal,
                                                   guint64                from_seq,
                                                   OffauthJournalFunc     func,
                                                   gpointer               user_data,
                                                   GError               **error);

/* The words of UX.md ("waiting", "settled", "declined", "retry", "written-off",
 * "collected-otherwise", "uploading", "closing"); "unknown" for anything else. */
const char       *offauth_sale_state_name         (OffauthSaleState       state);
/* A stored or kind-8 state byte (0-5) to the enum: FALSE for any other byte. */
gboolean          offauth_sale_state_from_wire    (guint                  wire_state,
                                                   OffauthSaleState      *state);
/* The enum to its stored byte; the in-memory states give the state they show over
 * (uploading: waiting, closing: retry). */
guint8            offauth_sale_state_to_wire      (OffauthSaleState       state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthTerminal, offauth_terminal_free)

G_END_DECLS
