/* offauth-journal.c: transactions carrying the head, append, chain, walk, checkpoints, resolve.
 *
 * h_i = H("OA1.JRNL" || u64 i || h_(i-1) || u32 len(record_i) || record_i), h_0 = 32 zero
 * bytes (docs/protocol.md, "The journal"). The head (last_seq, last_hash) is kept in memory;
 * a transaction remembers where it stood, so that a rollback moves it back too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "offauth-private.h"
#include "offauth-terminal-private.h"

gboolean
_offauth_tx_begin (OffauthTerminal *t,
                   GError         **error)
{
  if (t->flags & OFFAUTH_OPEN_READ_ONLY)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "the terminal is open read-only");
      return FALSE;
    }
  t->tx_seq = t->last_seq;
  memcpy (t->tx_hash, t->last_hash, OFFAUTH_HASH_SIZE);
  return _offauth_db_run (t, ST_BEGIN, error);
}

void
_offauth_tx_rollback (OffauthTerminal *t)
{
  if (!sqlite3_get_autocommit (t->db))
    _offauth_db_run (t, ST_ROLLBACK, NULL);
  t->last_seq = t->tx_seq;
  memcpy (t->last_hash, t->tx_hash, OFFAUTH_HASH_SIZE);
}

/* The durable commit: one fsync of the WAL (synchronous=FULL).
 *
 * Once COMMIT is issued, a failure no longer means "not written": the frames may be in the
 * write-ahead log, synced or not, and a restart may replay them. Only reopening the
 * database tells (offauth_terminal_resolve); until then the terminal is paused. */
gboolean
_offauth_tx_commit (OffauthTerminal *t,
                    GError         **error)
{
  OffauthStmt *s = _offauth_db_stmt (t, ST_COMMIT, error);

  if (s == NULL)
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }
  if (!_offauth_db_step_done (t, s, error))
    {
      _offauth_tx_rollback (t);
      t->unresolved = TRUE;
      t->unresolved_sale = FALSE;
      t->resolve_due = 0;
      t->resolve_backoff = OFFAUTH_RESOLVE_FIRST_BACKOFF;
      return FALSE;
    }
  return TRUE;
}

void
_offauth_chain_hash (guint8        out[OFFAUTH_HASH_SIZE],
                     guint64       seq,
                     const guint8  prev[OFFAUTH_HASH_SIZE],
                     const guint8 *record,
                     gsize         len)
{
  crypto_generichash_state st;
  guint8 buf[12];

  crypto_generichash_init (&st, NULL, 0, OFFAUTH_HASH_SIZE);
  crypto_generichash_update (&st, (const guint8 *) OFFAUTH_TAG_JRNL, OFFAUTH_TAG_SIZE);
  _offauth_put_u64 (buf, seq);
  crypto_generichash_update (&st, buf, 8);
  crypto_generichash_update (&st, prev, OFFAUTH_HASH_SIZE);
  _offauth_put_u32 (buf, (guint32) len);
  crypto_generichash_update (&st, buf, 4);
  crypto_generichash_update (&st, record, len);
  crypto_generichash_final (&st, out, OFFAUTH_HASH_SIZE);
}

/* Appends a row inside the caller's transaction and moves the head in memory, which the
 * transaction's rollback moves back. seq_out and hash_out may be NULL. */
gboolean
_offauth_journal_append (OffauthTerminal     *t,
                         const OffauthRecord *rec,
                         guint64             *seq_out,
                         guint8              *hash_out,
                         GError             **error)
{
  gsize len;
  g_autofree guint8 *record = offauth_record_encode (rec, &len, error);
  guint64 seq = t->last_seq + 1;
  guint8 hash[OFFAUTH_HASH_SIZE];
  OffauthStmt *s;

  g_assert (!sqlite3_get_autocommit (t->db));

  if (record == NULL)
    return FALSE;
  _offauth_chain_hash (hash, seq, t->last_hash, record, len);
  s = _offauth_db_stmt (t, ST_INSERT_JOURNAL, error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  sqlite3_bind_int (s, 2, (int) rec->kind);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) rec->time);
  sqlite3_bind_blob (s, 4, record, (int) len, SQLITE_STATIC);
  sqlite3_bind_blob (s, 5, hash, OFFAUTH_HASH_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step_done (t, s, error))
    return FALSE;

  t->last_seq = seq;
  memcpy (t->last_hash, hash, OFFAUTH_HASH_SIZE);
  if (seq_out != NULL)
    *seq_out = seq;
  if (hash_out != NULL)
    memcpy (hash_out, hash, OFFAUTH_HASH_SIZE);
  return TRUE;
}

/* Journals a setting (kind 6) and stores it, inside the caller's transaction. */
gboolean
_offauth_journal_setting (OffauthTerminal *t,
                          const char      *name,
                          guint64          value,
                          guint64          time,
                          GError         **error)
{
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_SETTING, .time = time,
                        .setting = { (gchar *) name, value } };

  return _offauth_journal_append (t, &rec, NULL, NULL, error) &&
         _offauth_setting_set (t, name, NULL, value, error);
}

/* The stored hash of row seq; *found is FALSE when there is no such row. */
gboolean
_offauth_journal_hash (OffauthTerminal *t,
                       guint64          seq,
                       gboolean        *found,
                       guint8           hash[OFFAUTH_HASH_SIZE],
                       GError         **error)
{
  g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_JOURNAL_HASH, error);

  *found = FALSE;
  memset (hash, 0, OFFAUTH_HASH_SIZE);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) seq);
  if (!_offauth_db_step (t, s, found, error))
    return FALSE;
  if (*found && sqlite3_column_bytes (s, 0) == OFFAUTH_HASH_SIZE)
    memcpy (hash, sqlite3_column_blob (s, 0), OFFAUTH_HASH_SIZE);
  return TRUE;
}

gboolean
offauth_terminal_foreach_record (OffauthTerminal    *t,
                                 guint64             from_seq,
                                 OffauthJournalFunc  func,
                                 gpointer            user_data,
                                 GError            **error)
{
  g_autoptr(OffauthStmt) s = NULL;
  gboolean row;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if ((s = _offauth_db_stmt (t, ST_JOURNAL_FROM, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) from_seq);
  while (_offauth_db_step (t, s, &row, error))
    {
      const guint8 *record;
      gsize len;
      guint8 hash[OFFAUTH_HASH_SIZE] = { 0 };

      if (!row)
        return TRUE;
      record = sqlite3_column_blob (s, 1);
      len = (gsize) sqlite3_column_bytes (s, 1);
      if (len < OFFAUTH_RECORD_HEADER_SIZE)
        continue;
      if (sqlite3_column_bytes (s, 2) == OFFAUTH_HASH_SIZE)
        memcpy (hash, sqlite3_column_blob (s, 2), OFFAUTH_HASH_SIZE);
      if (!func ((guint64) sqlite3_column_int64 (s, 0), record[0], _offauth_get_u64 (record + 1),
                 record + OFFAUTH_RECORD_HEADER_SIZE, len - OFFAUTH_RECORD_HEADER_SIZE, hash,
                 user_data))
        return TRUE;
    }
  return FALSE;
}

gchar *
offauth_terminal_make_checkpoint (OffauthTerminal *t,
                                  GError         **error)
{
  OffauthCheckpoint k = { 0 };
  OffauthStmt *s;

  g_return_val_if_fail (t != NULL, NULL);

  if (!_offauth_terminal_require_enrolled (t, error))
    return NULL;
  if (t->key == NULL || t->last_seq == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "No checkpoint can be made here");
      return NULL;
    }
  memcpy (k.terminal_id, t->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  k.seq = t->last_seq;
  memcpy (k.chain_hash, t->last_hash, OFFAUTH_HASH_SIZE);
  k.created_at = offauth_terminal_now (t);
  offauth_checkpoint_sign (&k, t->key);

  if ((s = _offauth_db_stmt (t, ST_INSERT_CHECKPOINT, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (s, 1, (sqlite3_int64) k.seq);
  sqlite3_bind_blob (s, 2, k.raw, OFFAUTH_CHECKPOINT_SIZE, SQLITE_STATIC);
  if (!_offauth_db_step_done (t, s, error))
    return NULL;
  return offauth_text_encode ('K', k.raw, OFFAUTH_CHECKPOINT_SIZE);
}

/* Resolving a commit of unknown outcome */

gboolean
offauth_terminal_resolve (OffauthTerminal *t,
                          GError         **error)
{
  gint64 request_id, request_mono;
  int log_frames = 0, checkpointed = 0;

  g_return_val_if_fail (t != NULL, FALSE);

  if (!t->unresolved)
    return TRUE;
  request_id = t->latest_request_id;
  request_mono = t->latest_request_mono;
  /* Emptying the log settles the answer: what is committed is then in the database file,
   * synced, and no frame of the failed commit is left for a later recovery to replay. */
  if (!_offauth_db_reopen (t, error) || !_offauth_terminal_load_state (t, error) ||
      (sqlite3_wal_checkpoint_v2 (t->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                  &checkpointed) != SQLITE_OK &&
       !_offauth_db_error (t, error, "The write-ahead log could not be checkpointed")))
    {
      t->resolve_due = g_get_monotonic_time () + t->resolve_backoff;
      t->resolve_backoff = MIN (t->resolve_backoff * 2, OFFAUTH_RESOLVE_MAX_BACKOFF);
      return FALSE;
    }
  if (t->latest_request_id == request_id)
    t->latest_request_mono = request_mono;
  if (t->unresolved_sale)
    {
      g_autoptr(OffauthStmt) s = _offauth_db_stmt (t, ST_FIND_SALE, NULL);
      g_autofree gchar *hex = offauth_hex (t->unresolved_sale_id, OFFAUTH_SALE_ID_SIZE);
      gboolean found = FALSE;

      if (s != NULL)
        {
          sqlite3_bind_blob (s, 1, t->unresolved_sale_id, OFFAUTH_SALE_ID_SIZE, SQLITE_STATIC);
          _offauth_db_step (t, s, &found, NULL);
        }
      g_info ("The sale %s of the commit whose outcome was unknown is %s", hex,
              found ? "recorded" : "not recorded");
    }
  t->unresolved = FALSE;
  t->unresolved_sale = FALSE;
  return TRUE;
}

/* The terminal's own tries, whenever its state is checked: at most one per back-off. */
gboolean
_offauth_terminal_resolve_if_due (OffauthTerminal *t)
{
  if (g_get_monotonic_time () < t->resolve_due)
    return FALSE;
  return offauth_terminal_resolve (t, NULL);
}
