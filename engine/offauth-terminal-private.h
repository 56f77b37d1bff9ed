/* offauth-terminal-private.h: struct _OffauthTerminal and the internal API its files share.
 *
 * The terminal is one opaque object implemented by several files, as gnome-text-editor's
 * EditorWindow is:
 * - offauth-terminal.c: open, load, enrollment, configuration, clock, status, and
 *   resolving a commit of unknown outcome (offauth_terminal_resolve);
 * - offauth-trust.c: trust material (bundle, revocation lists, negative list);
 * - offauth-db.c: every SQL statement, steps and settings;
 * - offauth-journal.c: transactions and the chain;
 * - offauth-authorize.c: requests and the decision;
 * - offauth-online.c: the online request and the acquirer's decision applied;
 * - offauth-verify.c: the start-up check;
 * - offauth-testing.c: hooks for tests and the benchmark.
 * They call each other only through this header. Nothing outside engine/ includes it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "offauth-record.h"
#include "offauth-terminal.h"

G_BEGIN_DECLS

/* Every statement the terminal runs (offauth-db.c holds their SQL). */
typedef enum
{
  ST_JOURNAL_MODE_WAL,
  ST_BEGIN,
  ST_BEGIN_READ,
  ST_COMMIT,
  ST_ROLLBACK,
  /* settings */
  ST_GET_SETTING,
  ST_SET_SETTING,
  /* state loaded at open */
  ST_CATEGORY_FLOORS,
  ST_TRUST,
  ST_REVOCATIONS,
  ST_JOURNAL_HEAD,
  ST_UNSETTLED,
  ST_LAST_SALE_CHALLENGE,
  ST_LATEST_SALE_TIME,
  ST_LATEST_REQUEST,
  ST_COUNTS,
  /* trust material and configuration */
  ST_SET_TRUST,
  ST_SET_REVOCATIONS,
  ST_SET_CATEGORY_FLOOR,
  ST_ADD_NEGATIVE,
  /* the journal */
  ST_INSERT_JOURNAL,
  ST_JOURNAL_HASH,
  ST_JOURNAL_FROM,
  ST_INSERT_CHECKPOINT,
  /* requests and the decision */
  ST_INSERT_REQUEST,
  ST_FIND_REQUEST,
  ST_FIND_SALE,
  ST_FIND_COUNTER,
  ST_CRED_TOTALS,
  ST_NEGATIVE,
  ST_INSERT_SALE,
  ST_UPSERT_CRED,
  /* the start-up check */
  ST_ALL_JOURNAL,
  ST_ALL_SALES,
  ST_ALL_CHECKPOINTS,
  ST_ALL_CREDENTIALS,
  ST_ALL_NEGATIVE,
  ST_FIND_SALE_ID,
  ST_COUNT_SALE_KEYS,
  /* the sale queue and the sync */
  ST_SALE_ROW,
  ST_SET_SALE_ROW,
  ST_SET_RETRY_ASK,
  ST_RETRY_ASKS,
  ST_SALE_BETWEEN,
  ST_UNVERDICTED,
  ST_LIST_SALES,
  N_STATEMENTS
} OffauthStatementId;

struct _OffauthTerminal
{
  sqlite3               *db;
  sqlite3_stmt          *stmts[N_STATEMENTS];
  gchar                 *path;
  gchar                 *key_path;
  gchar                 *copy_dir;      /* read-only media: the temporary copy that is open */
  int                    lock_fd;
  OffauthOpenFlags       flags;
  OffauthSecretKey      *key;

  OffauthNowFunc         now_func;
  gpointer               now_data;

  gboolean               enrolled;
  char                   merchant_id[OFFAUTH_MERCHANT_ID_SIZE + 1];
  guint8                 terminal_id[OFFAUTH_TERMINAL_ID_SIZE];
  guint8                 terminal_pk[OFFAUTH_PK_SIZE];
  gboolean               root_tofu;
  OffauthTerminalConfig  config;
  GHashTable            *category_floors;   /* category -> guint64* */

  gboolean               has_bundle;
  OffauthBundle          bundle;
  GHashTable            *revocations;       /* guint64 key id -> OffauthRevocationList */

  /* Journal head, and where it stood when the open transaction began */
  guint64                last_seq;
  guint8                 last_hash[OFFAUTH_HASH_SIZE];
  guint64                tx_seq;
  guint8                 tx_hash[OFFAUTH_HASH_SIZE];

  /* Derived from the journal at open and kept up to date by each commit. */
  guint64                latest_sale_time;
  /* Waiting sales, those above acked_seq: the offline ones count for the caps, all of
   * them for upload_overdue. */
  guint64                unsettled_count;
  guint64                unsettled_total;
  guint64                waiting_online;
  guint64                oldest_unsettled;
  guint8                 last_sale_challenge[OFFAUTH_CHALLENGE_SIZE];
  gboolean               has_sale;

  /* The pinned acquirer and the sync's place (settings, not journaled but by kind 9). */
  gboolean               has_acquirer;
  guint8                 acquirer_pk[OFFAUTH_PK_SIZE];
  gchar                 *acquirer_url;
  guint64                acked_seq;
  guint64                verdict_cursor;
  guint64                kind9_time;     /* acquirer_time of the last kind-9 row */
  gboolean               syncing;        /* an OffauthSync is running */

  /* Trusted time */
  guint64                acquirer_time;
  guint64                accepted_floor;   /* the floor the merchant let the clock lag */
  guint64                accepted_at;      /* the clock the merchant accepted */
  guint64                accepted_seq;     /* the journal row of that acceptance */

  /* Only the latest request can be paid: keep it at hand. */
  gint64                 latest_request_id;
  guint8                 latest_challenge[OFFAUTH_CHALLENGE_SIZE];
  gint64                 latest_request_mono;  /* 0 when issued by another process */

  /* A COMMIT that failed leaves its outcome unknown (docs/protocol.md, 6.4): the terminal
   * is paused until it has reopened the database and looked the sale up. */
  gboolean               unresolved;
  gboolean               unresolved_sale;     /* the commit was a sale's: its id follows */
  guint8                 unresolved_sale_id[OFFAUTH_SALE_ID_SIZE];
  gint64                 resolve_due;         /* monotonic time of the next try by itself */
  gint64                 resolve_backoff;     /* µs to wait after the next failed try */
};

#define OFFAUTH_RESOLVE_FIRST_BACKOFF (100 * G_TIME_SPAN_MILLISECOND)
#define OFFAUTH_RESOLVE_MAX_BACKOFF   (30 * G_TIME_SPAN_SECOND)

/* A statement of the table, borrowed: leaving the scope of a g_autoptr(OffauthStmt) resets
 * it, which ends its read; it is never finalized before offauth_terminal_free(). */
typedef sqlite3_stmt OffauthStmt;

static inline void
_offauth_stmt_release (OffauthStmt *s)
{
  sqlite3_reset (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthStmt, _offauth_stmt_release)

/* Overflow-safe sums of u64 amounts: a hostile but validly signed credential may carry
 * limits near 2^64. */
static inline guint64
_offauth_sat_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

/* offauth-db.c */
gboolean      _offauth_db_open          (OffauthTerminal    *t,
                                         GError            **error);
void          _offauth_db_close         (OffauthTerminal    *t);
gboolean      _offauth_db_reopen        (OffauthTerminal    *t,
                                         GError            **error);
gboolean      _offauth_db_error         (OffauthTerminal    *t,
                                         GError            **error,
                                         const char         *what);
gboolean      _offauth_db_exec          (OffauthTerminal    *t,
                                         const char         *sql,
                                         GError            **error);
OffauthStmt  *_offauth_db_stmt          (OffauthTerminal    *t,
                                         OffauthStatementId  id,
                                         GError            **error);
gboolean      _offauth_db_step          (OffauthTerminal    *t,
                                         OffauthStmt        *s,
                                         gboolean           *row,
                                         GError            **error);
gboolean      _offauth_db_step_done     (OffauthTerminal    *t,
                                         OffauthStmt        *s,
                                         GError            **error);
gboolean      _offauth_db_run           (OffauthTerminal    *t,
                                         OffauthStatementId  id,
                                         GError            **error);
gboolean      _offauth_db_blob_equals   (OffauthStmt        *s,
                                         int                 col,
                                         const guint8       *data,
                                         gsize               len);
gboolean      _offauth_setting_set      (OffauthTerminal    *t,
                                         const char         *name,
                                         const char         *text,
                                         guint64             value,
                                         GError            **error);
gboolean      _offauth_setting_get      (OffauthTerminal    *t,
                                         const char         *name,
                                         gboolean           *found,
                                         guint64            *value,
                                         gchar             **text,
                                         GError            **error);

/* offauth-journal.c */
gboolean      _offauth_tx_begin         (OffauthTerminal    *t,
                                         GError            **error);
gboolean      _offauth_tx_commit        (OffauthTerminal    *t,
                                         GError            **error);
void          _offauth_tx_rollback      (OffauthTerminal    *t);
void          _offauth_chain_hash       (guint8              out[OFFAUTH_HASH_SIZE],
                                         guint64             seq,
                                         const guint8        prev[OFFAUTH_HASH_SIZE],
                                         const guint8       *record,
                                         gsize               len);
gboolean      _offauth_journal_append   (OffauthTerminal    *t,
                                         const OffauthRecord *rec,
                                         guint64            *seq_out,
                                         guint8             *hash_out,
                                         GError            **error);
gboolean      _offauth_journal_setting  (OffauthTerminal    *t,
                                         const char         *name,
                                         guint64             value,
                                         guint64             time,
                                         GError            **error);
gboolean      _offauth_journal_hash     (OffauthTerminal    *t,
                                         guint64             seq,
                                         gboolean           *found,
                                         guint8              hash[OFFAUTH_HASH_SIZE],
                                         GError            **error);

/* offauth-terminal.c */
gboolean      _offauth_terminal_load_state       (OffauthTerminal *t,
                                                  GError         **error);
gboolean      _offauth_terminal_require_enrolled (OffauthTerminal *t,
                                                  GError         **error);
gboolean      _offauth_terminal_enroll           (OffauthTerminal             *t,
                                                  OffauthSecretKey            *key,
                                                  const char                  *bundle_text,
                                                  const char                  *merchant_id,
                                                  const char                  *root_fingerprint,
                                                  const OffauthTerminalConfig *config,
                                                  GError                     **error);
gboolean      _offauth_terminal_check_bundle_time (OffauthTerminal     *t,
                                                   const OffauthBundle *bundle,
                                                   GError             **error);
gboolean      _offauth_terminal_store_bundle     (OffauthTerminal     *t,
                                                  const OffauthBundle *bundle,
                                                  GError             **error);
guint64       _offauth_terminal_time_floor       (OffauthTerminal *t);
/* The terminal state a sale of this amount meets (PROTOCOL.md, "Decision order"). */
OffauthReason _offauth_terminal_check_state      (OffauthTerminal *t,
                                                  guint64          now,
                                                  guint64          amount);
/* TRUE unless a test set a clock of its own (offauth_terminal_set_now_func). */
gboolean      _offauth_terminal_has_real_clock   (OffauthTerminal *t);
/* Ids and key ids are hashes or random: their first bytes are a good hash already. */
guint         _offauth_id_hash                   (gconstpointer    id);
gboolean      _offauth_key_id_equal              (gconstpointer    a,
                                                  gconstpointer    b);
gboolean      _offauth_credential_id_equal       (gconstpointer    a,
                                                  gconstpointer    b);

/* offauth-authorize.c */
gchar        *_offauth_terminal_create_request   (OffauthTerminal *t,
                                                  guint64          amount,
                                                  const char      *currency,
                                                  const guint8    *challenge,
                                                  OffauthReason   *reason_out,
                                                  GError         **error);
/* Inserts the sales row of journal row seq, inside the caller's transaction. */
gboolean      _offauth_insert_sale               (OffauthTerminal      *t,
                                                  guint64               seq,
                                                  const OffauthPayment *p,
                                                  guint64               time,
                                                  OffauthMode           mode,
                                                  GError              **error);
/* The decision's checks for one payment (offauth-online.c uses the two other modes). */
typedef enum
{
  OFFAUTH_AUTHORIZE_OFFLINE,  /* every check, then the commit of an offline sale */
  OFFAUTH_AUTHORIZE_PROBE,    /* every check but the commit: may it go online? */
  OFFAUTH_AUTHORIZE_ONLINE,   /* checks up to 7, then the commit with the acquirer's approval */
} OffauthAuthorizeMode;
/* payment (may be NULL) receives the payment when it parsed. */
void          _offauth_authorize                 (OffauthTerminal             *t,
                                                  const char                  *text,
                                                  gssize                       text_len,
                                                  const OffauthSaleLine       *lines,
                                                  gsize                        n_lines,
                                                  OffauthAuthorizeMode         mode,
                                                  const OffauthOnlineDecision *online,
                                                  OffauthPayment              *payment,
                                                  OffauthDecision             *d);
gboolean      _offauth_set_credential_totals     (OffauthTerminal *t,
                                                  const guint8    *credential_id,
                                                  guint64          count,
                                                  guint64          total,
                                                  GError         **error);

/* offauth-trust.c */
gboolean      _offauth_negative_add    (OffauthTerminal    *t,
                                        const guint8        credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                        const char         *reason,
                                        guint64             now,
                                        GError            **error);

/* offauth-queue.c: a sale's stored state and the rules that change it, shared by the
 * sync (which applies verdicts and closes) and the start-up check (which replays them). */
typedef struct
{
  guint8   state;          /* stored wire state 0-5 */
  guint8   reason;
  guint16  attempt;
  guint64  retry_after;
  guint8   closing;        /* 0, or 4/5: a state-3 sale closed, withdrawn not yet back */
  gboolean verdict_seen;
  gboolean online;
} OffauthSaleRow;

typedef enum
{
  OFFAUTH_VERDICT_SAME,     /* nothing changes: not journaled */
  OFFAUTH_VERDICT_APPLIED,  /* the row changed: a kind-8 row */
  OFFAUTH_VERDICT_REFUSED,  /* it would change a final sale or lower its attempt */
} OffauthVerdictEffect;

void          _offauth_sale_row_init   (OffauthSaleRow     *row,
                                        guint               mode);
OffauthVerdictEffect
              _offauth_sale_row_verdict (OffauthSaleRow    *row,
                                         const OffauthVerdict *v);
gboolean      _offauth_sale_row_close  (OffauthSaleRow     *row,
                                        guint8              close_state);
gboolean      _offauth_sale_row_read   (OffauthTerminal    *t,
                                        guint64             seq,
                                        OffauthSaleRow     *row,
                                        guint8              sale_id[OFFAUTH_SALE_ID_SIZE],
                                        guint8              credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                                        gboolean           *found,
                                        GError            **error);
gboolean      _offauth_sale_row_write  (OffauthTerminal    *t,
                                        guint64             seq,
                                        const OffauthSaleRow *row,
                                        GError            **error);
gboolean      _offauth_load_acquirer   (OffauthTerminal    *t,
                                        GError            **error);

/* offauth-journal.c: the retries of a commit of unknown outcome, at most one per back-off */
gboolean      _offauth_terminal_resolve_if_due (OffauthTerminal *terminal);

/* offauth-terminal.c */
gboolean      _offauth_check_one_name  (const char         *path,
                                        int                 fd,
                                        GError            **error);

G_END_DECLS
