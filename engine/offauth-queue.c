/* offauth-queue.c: the sale queue: the pinned acquirer, sale states and their rules, listing, retry asks, closes.
 *
 * A sale's stored state is the acquirer's last verdict with its wire number (0 waiting,
 * 1 settled, 2 declined, 3 retry, 4 written off, 5 collected otherwise). The rules that
 * change it (_offauth_sale_row_verdict, _offauth_sale_row_close) are the only ones: the
 * sync applies them to answers, and the start-up check replays kind-8 rows through them,
 * so that what the tables hold and what the journal says cannot drift apart.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-private.h"
#include "offauth-sync.h"
#include "offauth-terminal-private.h"

/* The rules */

void
_offauth_sale_row_init (OffauthSaleRow *row,
                        guint           mode)
{
  memset (row, 0, sizeof *row);
  row->online = mode == OFFAUTH_MODE_ONLINE;
  /* An online sale is settled provisionally until its verdict arrives. */
  row->state = row->online ? OFFAUTH_WIRE_STATE_SETTLED : 0;
}

static gboolean
state_is_final (guint8 state)
{
  return state == OFFAUTH_WIRE_STATE_SETTLED || state == OFFAUTH_WIRE_STATE_DECLINED ||
         state == OFFAUTH_WIRE_STATE_WRITTEN_OFF ||
         state == OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE;
}

/* PROTOCOL.md: a verdict that would change a sale already final (other than an online
 * sale's first verdict) or lower its attempt is not applied. A closed state-3 sale ends
 * closed when "withdrawn" arrives; settled first, it stays settled (give back). */
OffauthVerdictEffect
_offauth_sale_row_verdict (OffauthSaleRow       *row,
                          const OffauthVerdict *v)
{
  guint8 shown = v->state;
  gboolean same;

  if (row->closing != 0 && row->state == OFFAUTH_WIRE_STATE_RETRY &&
      v->state == OFFAUTH_WIRE_STATE_DECLINED && v->reason == OFFAUTH_SETTLE_WITHDRAWN)
    shown = row->closing;
  /* A closed declined sale (4, 5) keeps its decline's reason and attempt underneath. */
  same = (row->state == shown ||
          ((row->state == OFFAUTH_WIRE_STATE_WRITTEN_OFF ||
            row->state == OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE) &&
           v->state == OFFAUTH_WIRE_STATE_DECLINED)) &&
         row->reason == v->reason && row->attempt == v->attempt &&
         row->retry_after == v->retry_after;
  if (same && row->verdict_seen)
    return OFFAUTH_VERDICT_SAME;
  if (state_is_final (row->state) && !(row->online && !row->verdict_seen) && !same)
    return OFFAUTH_VERDICT_REFUSED;
  if (v->attempt < row->attempt)
    return OFFAUTH_VERDICT_REFUSED;
  if (!same)
    {
      row->state = shown;
      row->reason = v->reason;
      row->attempt = v->attempt;
      row->retry_after = v->retry_after;
    }
  row->verdict_seen = TRUE;
  return OFFAUTH_VERDICT_APPLIED;
}

gboolean
_offauth_sale_row_close (OffauthSaleRow *row,
                         guint8          close_state)
{
  if (close_state != OFFAUTH_WIRE_STATE_WRITTEN_OFF &&
      close_state != OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE)
    return FALSE;
  if (row->state == OFFAUTH_WIRE_STATE_DECLINED)
    {
      row->state = close_state;
      return TRUE;
    }
  if (row->state == OFFAUTH_WIRE_STATE_RETRY && row->closing == 0)
    {
      row->closing = close_state;
      return TRUE;
    }
  return FALSE;
}

gboolean
_offauth_sale_row_read (OffauthTerminal *t,
                        guint64          seq,
                        OffauthSaleRow  *row,
                        guint8           sale_id[OFFAUTH_SALE_ID_SIZE],
                        guint8           credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                        gboolean        *found,
                        GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_SALE_ROW, error);

  *found = FALSE;
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  if (!_offauth_db_step (t, s, found, error))
    return FALSE;
  if (!*found)
    return TRUE;
  if (sqlite3_column_bytes (s, 0) != OFFAUTH_SALE_ID_SIZE ||
      sqlite3_column_bytes (s, 1) != OFFAUTH_CREDENTIAL_ID_SIZE)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED, "sale %" G_GUINT64_FORMAT
                   " is damaged", seq);
      return FALSE;
    }
  memcpy (sale_id, sqlite3_column_blob (s, 0), OFFAUTH_SALE_ID_SIZE);
  if (credential_id != NULL)
    memcpy (credential_id, sqlite3_column_blob (s, 1), OFFAUTH_CREDENTIAL_ID_SIZE);
  row->state = (guint8) sqlite3_column_int (s, 2);
  row->reason = (guint8) sqlite3_column_int (s, 3);
  row->attempt = (guint16) sqlite3_column_int (s, 4);
  row->retry_after = (guint64) sqlite3_column_int64 (s, 5);
  row->closing = (guint8) sqlite3_column_int (s, 6);
  row->verdict_seen = sqlite3_column_int (s, 7) != 0;
  row->online = sqlite3_column_int (s, 8) == OFFAUTH_MODE_ONLINE;
  return TRUE;
}

gboolean
_offauth_sale_row_write (OffauthTerminal      *t,
                         guint64               seq,
                         const OffauthSaleRow *row,
                         GError              **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_SET_SALE_ROW, error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_int (s, 2, row->state);
  sqlite3_bind_int (s, 3, row->reason);
  sqlite3_bind_int (s, 4, row->attempt);
  sqlite3_bind_int64 (s, 5, (sqlite3_int64) row->retry_after);
  sqlite3_bind_int (s, 6, row->closing);
  sqlite3_bind_int (s, 7, row->verdict_seen ? 1 : 0);
  return _offauth_db_step_done (t, s, error);
}

/* The pinned acquirer */

gboolean
_offauth_load_acquirer (OffauthTerminal *t,
                        GError         **error)
{
  g_autofree gchar *pk_hex = NULL;
  gboolean found;

  t->has_acquirer = FALSE;
  g_clear_pointer (&t->acquirer_url, g_free);
  t->acked_seq = t->verdict_cursor = t->kind9_time = 0;
  if (!_offauth_setting_get (t, "acquirer_pk", &found, NULL, &pk_hex, error))
    return FALSE;
  if (found && pk_hex != NULL)
    {
      if (!offauth_unhex (pk_hex, t->acquirer_pk, OFFAUTH_PK_SIZE))
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_TAMPERED,
                       "the pinned acquirer key is damaged");
          return FALSE;
        }
      if (!_offauth_setting_get (t, "acquirer_url", &found, NULL, &t->acquirer_url, error))
        return FALSE;
      t->has_acquirer = TRUE;
    }
  return _offauth_setting_get (t, "acked_seq", &found, &t->acked_seq, NULL, error) &&
         _offauth_setting_get (t, "verdict_cursor", &found, &t->verdict_cursor, NULL, error) &&
         _offauth_setting_get (t, "kind9_time", &found, &t->kind9_time, NULL, error);
}

static gboolean
host_is_loopback (const char *host)
{
  gchar **parts;
  gboolean ok;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0 || strcmp (host, "::1") == 0 ||
      strcmp (host, "[::1]") == 0)
    return TRUE;
  parts = g_strsplit (host, ".", -1);
  ok = g_strv_length (parts) == 4 && strcmp (parts[0], "127") == 0;
  for (guint i = 0; ok && i < 4; i++)
    ok = g_ascii_string_to_unsigned (parts[i], 10, 0, 255, NULL, NULL);
  g_strfreev (parts);
  return ok;
}

gboolean
offauth_terminal_pin_acquirer (OffauthTerminal *t,
                               const char      *url,
                               const guint8     acquirer_pk[OFFAUTH_PK_SIZE],
                               GError         **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree gchar *pk_hex = NULL;
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_ACQUIRER_PINNED };
  const char *scheme;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (acquirer_pk != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || strlen (url) > OFFAUTH_RECORD_ACQUIRER_URL_MAX ||
      (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "%s is not an http or https URL", url);
      return FALSE;
    }
  /* Rows carry payer identifiers: plain HTTP only where nothing leaves the machine. */
  if (g_strcmp0 (scheme, "http") == 0 && !host_is_loopback (g_uri_get_host (uri)))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s is plain HTTP to another machine: use https", url);
      return FALSE;
    }
  rec.time = offauth_terminal_now (t);
  memcpy (rec.acquirer.acquirer_pk, acquirer_pk, OFFAUTH_PK_SIZE);
  rec.acquirer.url = (gchar *) url;
  pk_hex = offauth_hex (acquirer_pk, OFFAUTH_PK_SIZE);
  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      !_offauth_setting_set (t, "acquirer_pk", pk_hex, 0, error) ||
      !_offauth_setting_set (t, "acquirer_url", url, 0, error) ||
      !_offauth_setting_set (t, "acked_seq", NULL, 0, error) ||
      !_offauth_setting_set (t, "verdict_cursor", NULL, 0, error) ||
      !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }
  /* Every sale waits again until the new acquirer acknowledges it. */
  return _offauth_load_acquirer (t, error) && _offauth_terminal_load_state (t, error);
}

gboolean
offauth_terminal_get_acquirer (OffauthTerminal *t,
                               gchar          **url,
                               guint8           acquirer_pk[OFFAUTH_PK_SIZE])
{
  g_return_val_if_fail (t != NULL, FALSE);

  if (!t->has_acquirer)
    return FALSE;
  if (url != NULL)
    *url = g_strdup (t->acquirer_url);
  if (acquirer_pk != NULL)
    memcpy (acquirer_pk, t->acquirer_pk, OFFAUTH_PK_SIZE);
  return TRUE;
}

guint64
offauth_terminal_get_acked_seq (OffauthTerminal *t)
{
  g_return_val_if_fail (t != NULL, 0);

  return t->acked_seq;
}

/* Listing */

/* The sales after sale number `after`, at most `limit` of them (< 0: all). */
static GArray *
offauth_terminal_list_range (OffauthTerminal  *t,
                             guint64           after,
                             gint64            limit,
                             gboolean          filter,
                             OffauthSaleState  state,
                             GError          **error)
{
  g_autoptr(OffauthStmt) s = NULL;
  g_autoptr(GArray) sales = g_array_new (FALSE, TRUE, sizeof (OffauthSaleInfo));
  gboolean ok, row;

  if ((s = _offauth_db_stmt (t, ST_LIST_SALES, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) MIN (after, (guint64) G_MAXINT64));
  sqlite3_bind_int64 (s, 2, limit);
  while ((ok = _offauth_db_step (t, s, &row, error)) && row)
    {
      OffauthSaleInfo info = { 0 };
      const char *currency = (const char *) sqlite3_column_text (s, 4);
      guint8 closing = (guint8) sqlite3_column_int (s, 11);

      info.seq = (guint64) sqlite3_column_int64 (s, 0);
      if (sqlite3_column_bytes (s, 1) == OFFAUTH_SALE_ID_SIZE)
        memcpy (info.sale_id, sqlite3_column_blob (s, 1), OFFAUTH_SALE_ID_SIZE);
      if (sqlite3_column_bytes (s, 2) == OFFAUTH_CREDENTIAL_ID_SIZE)
        memcpy (info.credential_id, sqlite3_column_blob (s, 2), OFFAUTH_CREDENTIAL_ID_SIZE);
      info.amount = (guint64) sqlite3_column_int64 (s, 3);
      g_strlcpy (info.currency, currency ? currency : "", sizeof info.currency);
      info.time = (guint64) sqlite3_column_int64 (s, 5);
      info.mode = sqlite3_column_int (s, 6) == OFFAUTH_MODE_ONLINE ? OFFAUTH_MODE_ONLINE
                                                                   : OFFAUTH_MODE_OFFLINE;
      if (!offauth_sale_state_from_wire ((guint) sqlite3_column_int (s, 7), &info.state))
        info.state = OFFAUTH_SALE_WAITING;
      info.reason = (guint8) sqlite3_column_int (s, 8);
      info.attempt = (guint16) sqlite3_column_int (s, 9);
      info.retry_after = (guint64) sqlite3_column_int64 (s, 10);
      info.retry_asked = sqlite3_column_int (s, 12) != 0;
      info.waiting = info.seq > t->acked_seq;
      if (info.state == OFFAUTH_SALE_RETRY && closing != 0)
        info.state = OFFAUTH_SALE_CLOSING;
      info.give_back = info.state == OFFAUTH_SALE_SETTLED && closing != 0;
      if (!filter || info.state == state)
        g_array_append_val (sales, info);
    }
  return ok ? g_steal_pointer (&sales) : NULL;
}

GArray *
offauth_terminal_list_sales (OffauthTerminal  *t,
                             gboolean          filter,
                             OffauthSaleState  state,
                             GError          **error)
{
  g_return_val_if_fail (t != NULL, NULL);

  return offauth_terminal_list_range (t, 0, -1, filter, state, error);
}

GArray *
offauth_terminal_list_sales_after (OffauthTerminal  *t,
                                   guint64           after,
                                   guint             limit,
                                   GError          **error)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (limit > 0, NULL);

  return offauth_terminal_list_range (t, after, limit, FALSE, 0, error);
}

gboolean
offauth_terminal_find_sale (OffauthTerminal *t,
                            const char      *sale,
                            guint64         *seq,
                            GError         **error)
{
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
  guint8 credential_id[OFFAUTH_CREDENTIAL_ID_SIZE];
  OffauthSaleRow row;
  gboolean found = FALSE;
  guint64 number = 0;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (sale != NULL, FALSE);

  if (strlen (sale) == 2 * OFFAUTH_SALE_ID_SIZE && offauth_unhex (sale, sale_id, sizeof sale_id))
    {
      g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_FIND_SALE, error);

      if (s == NULL)
        return FALSE;
      sqlite3_bind_blob (s, 1, sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
      if (!_offauth_db_step (t, s, &found, error))
        return FALSE;
      if (found)
        number = (guint64) sqlite3_column_int64 (s, 0);
    }
  else if (g_ascii_string_to_unsigned (sale, 10, 1, G_MAXINT64, &number, NULL) &&
           !_offauth_sale_row_read (t, number, &row, sale_id, credential_id, &found, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "There is no sale %s", sale);
      return FALSE;
    }
  *seq = number;
  return TRUE;
}

/* Retry asks and closes */

gboolean
offauth_terminal_ask_retry (OffauthTerminal *t,
                            guint64          seq,
                            GError         **error)
{
  guint8 sale_id[OFFAUTH_SALE_ID_SIZE];
  OffauthSaleRow row;
  OffauthStmt *s;
  gboolean found;

  g_return_val_if_fail (t != NULL, FALSE);

  if (!_offauth_sale_row_read (t, seq, &row, sale_id, NULL, &found, error))
    return FALSE;
  if (!found || row.state != OFFAUTH_WIRE_STATE_RETRY || row.closing != 0 ||
      row.reason != OFFAUTH_SETTLE_INSUFFICIENT_FUNDS)
    {
      /* Held sales (reasons 2, 3, 4) are the acquirer's to run again, never asked. */
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "Sale %" G_GUINT64_FORMAT " is not waiting for a retry", seq);
      return FALSE;
    }
  if ((s = _offauth_db_stmt (t, ST_SET_RETRY_ASK, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_int (s, 2, 1);
  return _offauth_db_step_done (t, s, error);
}

gboolean
offauth_terminal_close_sale (OffauthTerminal  *t,
                             guint64           seq,
                             OffauthSaleState  how,
                             GError          **error)
{
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_SALE_STATE };
  OffauthSaleRow row;
  gboolean found;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (how == OFFAUTH_SALE_WRITTEN_OFF || how == OFFAUTH_SALE_COLLECTED_OTHERWISE,
                        FALSE);

  if (!_offauth_terminal_require_enrolled (t, error) ||
      !_offauth_sale_row_read (t, seq, &row, rec.sale_state.verdict.sale_id, NULL, &found, error))
    return FALSE;
  if (!found || !_offauth_sale_row_close (&row, offauth_sale_state_to_wire (how)))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "Sale %" G_GUINT64_FORMAT
                   " cannot be closed: only a declined or retryable sale can", seq);
      return FALSE;
    }
  rec.time = offauth_terminal_now (t);
  rec.sale_state.verdict.sale_seq = seq;
  rec.sale_state.verdict.state = offauth_sale_state_to_wire (how);
  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      !_offauth_sale_row_write (t, seq, &row, error) || !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }
  return TRUE;
}

/* Sale states: names, and the explicit mapping to and from the wire's verdict states. */

const char *
offauth_sale_state_name (OffauthSaleState state)
{
  switch (state)
    {
    case OFFAUTH_SALE_WAITING: return "waiting";
    case OFFAUTH_SALE_SETTLED: return "settled";
    case OFFAUTH_SALE_DECLINED: return "declined";
    case OFFAUTH_SALE_RETRY: return "retry";
    case OFFAUTH_SALE_WRITTEN_OFF: return "written-off";
    case OFFAUTH_SALE_COLLECTED_OTHERWISE: return "collected-otherwise";
    case OFFAUTH_SALE_UPLOADING: return "uploading";
    case OFFAUTH_SALE_CLOSING: return "closing";
    default: return "unknown";
    }
}

gboolean
offauth_sale_state_from_wire (guint             wire_state,
                              OffauthSaleState *state)
{
  switch (wire_state)
    {
    case 0: *state = OFFAUTH_SALE_WAITING; return TRUE;
    case OFFAUTH_WIRE_STATE_SETTLED: *state = OFFAUTH_SALE_SETTLED; return TRUE;
    case OFFAUTH_WIRE_STATE_DECLINED: *state = OFFAUTH_SALE_DECLINED; return TRUE;
    case OFFAUTH_WIRE_STATE_RETRY: *state = OFFAUTH_SALE_RETRY; return TRUE;
    case OFFAUTH_WIRE_STATE_WRITTEN_OFF: *state = OFFAUTH_SALE_WRITTEN_OFF; return TRUE;
    case OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE:
      *state = OFFAUTH_SALE_COLLECTED_OTHERWISE;
      return TRUE;
    default: return FALSE;
    }
}

guint8
offauth_sale_state_to_wire (OffauthSaleState state)
{
  switch (state)
    {
    case OFFAUTH_SALE_SETTLED: return OFFAUTH_WIRE_STATE_SETTLED;
    case OFFAUTH_SALE_DECLINED: return OFFAUTH_WIRE_STATE_DECLINED;
    case OFFAUTH_SALE_RETRY: return OFFAUTH_WIRE_STATE_RETRY;
    case OFFAUTH_SALE_WRITTEN_OFF: return OFFAUTH_WIRE_STATE_WRITTEN_OFF;
    case OFFAUTH_SALE_COLLECTED_OTHERWISE: return OFFAUTH_WIRE_STATE_COLLECTED_OTHERWISE;
    case OFFAUTH_SALE_CLOSING: return OFFAUTH_WIRE_STATE_RETRY;
    case OFFAUTH_SALE_WAITING:
    case OFFAUTH_SALE_UPLOADING:
    default:
      return 0;
    }
}
