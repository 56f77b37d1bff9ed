/* offauth-trust.c: trust material: the bundle, the issuers' revocation lists and the negative list.
 *
 * Each is checked (signature, sequence, time) before it is journaled and stored, so that
 * an older or foreign list never replaces the one held.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <string.h>

#include "offauth-terminal-private.h"

gboolean
_offauth_terminal_check_bundle_time (OffauthTerminal     *t,
                                     const OffauthBundle *bundle,
                                     GError             **error)
{
  guint64 now = offauth_terminal_now (t);

  if (bundle->issued_at > now + OFFAUTH_CLOCK_SKEW)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The trust bundle is issued %" G_GUINT64_FORMAT " s in the future: check the clock",
                   bundle->issued_at - now);
      return FALSE;
    }
  if (bundle->expires_at < now)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED, "The trust bundle has expired");
      return FALSE;
    }
  return TRUE;
}

/* Journals and stores a bundle, inside the caller's transaction. */
gboolean
_offauth_terminal_store_bundle (OffauthTerminal     *t,
                                const OffauthBundle *bundle,
                                GError             **error)
{
  g_autoptr(GBytes) raw = g_bytes_new_static (bundle->raw, bundle->raw_len);
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_TRUST_LOADED, .time = offauth_terminal_now (t),
                        .trust = { raw } };
  OffauthStmt *s;

  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      (s = _offauth_db_stmt (t, ST_SET_TRUST, error)) == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, bundle->raw, (int) bundle->raw_len, SQLITE_STATIC);
  return _offauth_db_step_done (t, s, error);
}

gboolean
offauth_terminal_load_bundle (OffauthTerminal *t,
                              const char      *bundle_text,
                              GError         **error)
{
  OffauthBundle bundle;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (bundle_text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error) ||
      !offauth_bundle_parse_text (&bundle, bundle_text, error))
    return FALSE;
  if (memcmp (bundle.root_public_key, t->bundle.root_public_key, OFFAUTH_PK_SIZE) != 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "The trust bundle is signed by another root key; a new root needs a new enrollment");
      return FALSE;
    }
  if (!offauth_bundle_verify (&bundle, t->bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The trust bundle's root signature does not verify");
      return FALSE;
    }
  if (bundle.sequence <= t->bundle.sequence)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "Trust bundle %" G_GUINT64_FORMAT " is not newer than the one held (%"
                   G_GUINT64_FORMAT "): refused as a rollback", bundle.sequence, t->bundle.sequence);
      return FALSE;
    }
  if (!_offauth_terminal_check_bundle_time (t, &bundle, error))
    return FALSE;

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_terminal_store_bundle (t, &bundle, error) || !_offauth_tx_commit (t, error))
    {
      _offauth_tx_rollback (t);
      return FALSE;
    }
  t->bundle = bundle;
  return TRUE;
}

gboolean
offauth_terminal_load_revocations (OffauthTerminal *t,
                                   const char      *list_text,
                                   GError         **error)
{
  g_autoptr(OffauthRevocationList) list = NULL;
  const OffauthIssuerKey *key;
  const OffauthRevocationList *held;
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_REVOCATIONS };
  OffauthStmt *s;
  gsize raw_len;
  const guint8 *raw;

  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (list_text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error))
    return FALSE;
  list = offauth_revocation_list_parse_text (list_text, error);
  if (list == NULL)
    return FALSE;
  key = offauth_bundle_find_key (&t->bundle, list->issuer_key_id);
  if (key == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The revocation list's issuer key is not in the trust bundle");
      return FALSE;
    }
  if (!offauth_revocation_list_verify (list, key->public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The revocation list's issuer signature does not verify");
      return FALSE;
    }
  held = g_hash_table_lookup (t->revocations, list->issuer_key_id);
  if (held != NULL && list->sequence <= held->sequence)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK,
                   "Revocation list %" G_GUINT64_FORMAT " is not newer than the one held (%"
                   G_GUINT64_FORMAT "): refused as a rollback", list->sequence, held->sequence);
      return FALSE;
    }
  if (list->issued_at > offauth_terminal_now (t) + OFFAUTH_CLOCK_SKEW)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The revocation list is issued in the future: check the clock");
      return FALSE;
    }

  raw = g_bytes_get_data (list->raw, &raw_len);
  rec.time = offauth_terminal_now (t);
  memcpy (rec.revocations.issuer_key_id, list->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
  rec.revocations.sequence = list->sequence;
  offauth_hash (rec.revocations.list_hash, raw, raw_len);

  if (!_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      (s = _offauth_db_stmt (t, ST_SET_REVOCATIONS, error)) == NULL)
    goto fail;
  sqlite3_bind_blob (s, 1, list->issuer_key_id, 8, SQLITE_STATIC);
  sqlite3_bind_blob (s, 2, raw, (int) raw_len, SQLITE_STATIC);
  if (!_offauth_db_step_done (t, s, error) || !_offauth_tx_commit (t, error))
    goto fail;
  {
    guint8 *key_id = g_memdup2 (list->issuer_key_id, 8);
    g_hash_table_insert (t->revocations, key_id, g_steal_pointer (&list));
  }
  return TRUE;

fail:
  _offauth_tx_rollback (t);
  return FALSE;
}

/* PROTOCOL.md: free text is cut to 256 bytes before it is journaled (at a character
 * boundary, so that the cut text stays UTF-8). */
#define NEGATIVE_REASON_MAX 256

static gchar *
cut_reason (const char *reason)
{
  gsize len = strlen (reason);

  if (len <= NEGATIVE_REASON_MAX)
    return g_strdup (reason);
  len = NEGATIVE_REASON_MAX;
  while (len > 0 && ((guint8) reason[len] & 0xc0) == 0x80)
    len--;
  return g_strndup (reason, len);
}

/* Blocks a credential, inside the caller's transaction: a kind-7 row and the table. */
gboolean
_offauth_negative_add (OffauthTerminal *t,
                       const guint8     credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                       const char      *reason,
                       guint64          now,
                       GError         **error)
{
  g_autofree gchar *cut = cut_reason (reason);
  OffauthRecord rec = { .kind = OFFAUTH_RECORD_NEGATIVE_LIST, .time = now };
  OffauthStmt *s;

  rec.negative.reason = cut;
  memcpy (rec.negative.credential_id, credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  if (!_offauth_journal_append (t, &rec, NULL, NULL, error) ||
      (s = _offauth_db_stmt (t, ST_ADD_NEGATIVE, error)) == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, credential_id, 16, SQLITE_STATIC);
  sqlite3_bind_text (s, 2, cut, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 3, (sqlite3_int64) now);
  return _offauth_db_step_done (t, s, error);
}

gboolean
offauth_terminal_add_negative (OffauthTerminal *t,
                               const guint8     credential_id[OFFAUTH_CREDENTIAL_ID_SIZE],
                               const char      *reason,
                               GError         **error)
{
  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (credential_id != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_offauth_terminal_require_enrolled (t, error) || !_offauth_tx_begin (t, error))
    return FALSE;
  if (!_offauth_negative_add (t, credential_id, reason, offauth_terminal_now (t), error) ||
      !_offauth_tx_commit (t, error))
    goto fail;
  return TRUE;

fail:
  _offauth_tx_rollback (t);
  return FALSE;
}
