/* offauth-sync.h: the terminal's side of reconciliation: the pinned acquirer, the sale
 * queue (states, listing, retry asks, closes) and one sync as a series of requests (U)
 * and answers (A), exactly as ../shared/PROTOCOL.md, "Reconciliation", says.
 *
 * The engine does no network I/O: it builds each request's text and applies each answer's
 * text; a client (net/) carries them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth-terminal.h"

G_BEGIN_DECLS

/* One sale of the queue, as listed. */
typedef struct
{
  guint64          seq;            /* the sale number: its journal row */
  guint8           sale_id[OFFAUTH_SALE_ID_SIZE];
  guint8           credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  guint64          time;
  guint64          amount;
  char             currency[4];
  OffauthMode      mode;
  OffauthSaleState state;          /* CLOSING for a closed state-3 sale */
  guint8           reason;         /* the acquirer's code (OffauthSettleReason) */
  guint16          attempt;
  guint64          retry_after;    /* next retry (acquirer clock), 0 when none */
  gboolean         waiting;        /* not yet acknowledged by the acquirer */
  gboolean         retry_asked;    /* a retry ask waits for the next sync */
  gboolean         give_back;      /* closed, then settled: give back what was collected */
} OffauthSaleInfo;

/* Pins the acquirer (a kind-10 row): its URL (https, or http on loopback only) and key.
 * Resets acked_seq and verdict_cursor to 0. */
gboolean     offauth_terminal_pin_acquirer   (OffauthTerminal  *terminal,
                                              const char       *url,
                                              const guint8      acquirer_pk[OFFAUTH_PK_SIZE],
                                              GError          **error);
/* FALSE when no acquirer is pinned; url (may be NULL) is newly allocated. */
gboolean     offauth_terminal_get_acquirer   (OffauthTerminal  *terminal,
                                              gchar           **url,
                                              guint8            acquirer_pk[OFFAUTH_PK_SIZE]);
guint64      offauth_terminal_get_acked_seq  (OffauthTerminal  *terminal);

/* Every sale in sale-number order, or only those whose (shown) state is `state` when
 * `filter` is TRUE. An array of OffauthSaleInfo. */
GArray      *offauth_terminal_list_sales     (OffauthTerminal  *terminal,
                                              gboolean          filter,
                                              OffauthSaleState  state,
                                              GError          **error);
/* A page of the listing: at most `limit` (> 0) sales whose number is above `after`, in
 * sale-number order (an empty array after the last one), so that a long listing runs in
 * slices. */
GArray      *offauth_terminal_list_sales_after (OffauthTerminal  *terminal,
                                                guint64           after,
                                                guint             limit,
                                                GError          **error);
/* SALE as the sale number, or its sale id in hex (64 digits). */
gboolean     offauth_terminal_find_sale      (OffauthTerminal  *terminal,
                                              const char       *sale,
                                              guint64          *seq,
                                              GError          **error);
/* Asks a retry of a sale in state 3 (insufficient funds) on the next sync: kept until an
 * answer to a request carrying it is accepted. */
gboolean     offauth_terminal_ask_retry      (OffauthTerminal  *terminal,
                                              guint64           seq,
                                              GError          **error);
/* Closes a declined sale (state 2) or withdraws a retryable one (state 3: "closing" until
 * withdrawn arrives): a kind-8 row with state WRITTEN_OFF or COLLECTED_OTHERWISE. */
gboolean     offauth_terminal_close_sale     (OffauthTerminal  *terminal,
                                              guint64           seq,
                                              OffauthSaleState  how,
                                              GError          **error);

typedef struct _OffauthSync OffauthSync;

/* What applying one answer did. */
typedef struct
{
  guint64  acked_seq;
  guint64  previous_acked_seq;
  guint64  acquirer_time;
  guint    n_applied;        /* verdicts that changed a sale (kind-8 rows) */
  guint    n_refused;        /* verdicts that would change a final sale: not applied */
  guint    n_blocked;        /* credentials put on the negative list (hard declines) */
  gboolean journaled_sync;   /* a kind-9 row was written */
  gboolean clock_ahead;      /* acquirer_time is more than 300 s ahead of the clock */
  gchar   *refused;          /* the refused verdicts, one line each, for the operator */
} OffauthSyncReport;

void         offauth_sync_report_clear       (OffauthSyncReport *report);

/* Starts a sync: rows up to the current last row go with it. Fails when no acquirer is
 * pinned or another sync of this terminal runs. */
OffauthSync *offauth_sync_new                (OffauthTerminal  *terminal,
                                              GError          **error);
void         offauth_sync_free               (OffauthSync      *sync);
/* TRUE once an accepted answer acknowledged every row of the sync with no more verdicts. */
gboolean     offauth_sync_is_done            (OffauthSync      *sync);
/* The text of the next request: at most max_records rows (0 = the protocol's bound) and
 * about max_bytes (0 = none; one row always goes), retry asks, the verdict cursor. */
gchar       *offauth_sync_next_request       (OffauthSync      *sync,
                                              guint             max_records,
                                              gsize             max_bytes,
                                              GError          **error);
/* How many rows the last request carried (to halve it after a 413). */
guint        offauth_sync_last_n_records     (OffauthSync      *sync);
/* Checks the answer to the last request against every rule of the spec and applies it.
 * An answer that fails a check changes nothing (OFFAUTH_ERROR_TAMPERED or _MALFORMED). */
gboolean     offauth_sync_apply_answer       (OffauthSync      *sync,
                                              const char       *answer_text,
                                              gssize            text_len,
                                              OffauthSyncReport *report,
                                              GError          **error);
/* Rows still to upload in this sync (for a progress line). */
guint64      offauth_sync_rows_left          (OffauthSync      *sync);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OffauthSync, offauth_sync_free)

G_END_DECLS
