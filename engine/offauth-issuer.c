/* offauth-issuer.c: an issuer in a folder: keys, credentials, bundles, revocation lists.
 *
 * The directory holds root.key and one issuer-KEYID.key per issuer key (mode 0600), and
 * issuer.ini (public state: key windows, sequences, revoked and issued credential ids).
 * What it publishes is kept beside them, for an acquirer to serve: bundle.txt (the latest
 * trust bundle) and revocation-KEYID.txt (the latest list of each key), each one text and
 * an LF, written only after issuer.ini has recorded its sequence.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "offauth-issuer.h"

struct _OffauthIssuer
{
  gchar            *dir;
  gchar            *state_path;
  GKeyFile         *state;
  OffauthSecretKey *root;
  guint64           now;
};

static guint64
issuer_now (OffauthIssuer *is)
{
  return is->now ? is->now : (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

void
offauth_issuer_set_now (OffauthIssuer *is,
                        guint64        now)
{
  is->now = now;
}

void
offauth_issuer_free (OffauthIssuer *is)
{
  if (is == NULL)
    return;
  g_free (is->dir);
  g_free (is->state_path);
  g_clear_pointer (&is->state, g_key_file_unref);
  offauth_secret_key_free (is->root);
  g_free (is);
}

static gboolean
save_state (OffauthIssuer *is,
            GError       **error)
{
  gsize len;
  g_autofree gchar *data = g_key_file_to_data (is->state, &len, NULL);

  return offauth_write_file_atomic (is->state_path, data, len, 0644, error);
}

static gboolean
save_published (OffauthIssuer *is,
                const char    *name,
                const char    *text,
                GError       **error)
{
  g_autofree gchar *path = g_build_filename (is->dir, name, NULL);
  g_autofree gchar *line = g_strconcat (text, "\n", NULL);

  return offauth_write_file_atomic (path, line, strlen (line), 0644, error);
}

static gchar *
revocation_file_name (const char *key_hex)
{
  return g_strdup_printf ("revocation-%s.txt", key_hex);
}

static gchar *
key_group (const guint8 key_id[OFFAUTH_KEY_ID_SIZE])
{
  g_autofree gchar *hex = offauth_hex (key_id, OFFAUTH_KEY_ID_SIZE);

  return g_strdup_printf ("key %s", hex);
}

static gchar *
key_path (OffauthIssuer *is,
          const char    *key_hex)
{
  g_autofree gchar *name = g_strdup_printf ("issuer-%s.key", key_hex);

  return g_build_filename (is->dir, name, NULL);
}

static gboolean
add_issuer_key (OffauthIssuer *is,
                guint          key_days,
                guint32        scope,
                GError       **error)
{
  g_autoptr(OffauthSecretKey) key = offauth_secret_key_generate ();
  guint8 key_id[OFFAUTH_KEY_ID_SIZE];
  g_autofree gchar *hex = NULL;
  g_autofree gchar *group = NULL;
  g_autofree gchar *path = NULL;
  guint64 now = issuer_now (is);

  offauth_key_id (key_id, key->pk);
  hex = offauth_hex (key_id, sizeof key_id);
  group = key_group (key_id);
  path = key_path (is, hex);
  if (!offauth_secret_key_save (key, path, error))
    return FALSE;
  /* Back-dated like credentials, so that a lagging kiosk accepts a fresh key. */
  g_key_file_set_uint64 (is->state, group, "not_before", now - OFFAUTH_ISSUER_BACKDATE);
  g_key_file_set_uint64 (is->state, group, "not_after", now + (guint64) key_days * 86400);
  g_key_file_set_uint64 (is->state, group, "scope", scope);
  g_key_file_set_uint64 (is->state, group, "revocation_sequence", 0);
  g_key_file_set_string (is->state, "issuer", "current", hex);
  return save_state (is, error);
}

OffauthIssuer *
offauth_issuer_create (const char  *dir,
                       guint        key_days,
                       guint64      now,
                       GError     **error)
{
  g_autoptr(OffauthIssuer) is = g_new0 (OffauthIssuer, 1);
  g_autofree gchar *root_path = g_build_filename (dir, "root.key", NULL);

  if (!offauth_init ())
    return NULL;
  is->dir = g_strdup (dir);
  is->now = now;
  is->state_path = g_build_filename (dir, "issuer.ini", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "Cannot create %s: %s", dir,
                   g_strerror (saved));
      return NULL;
    }
  if (g_file_test (is->state_path, G_FILE_TEST_EXISTS) || g_file_test (root_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "%s already holds an issuer; it is never overwritten", dir);
      return NULL;
    }
  is->root = offauth_secret_key_generate ();
  if (!offauth_secret_key_save (is->root, root_path, error))
    return NULL;
  is->state = g_key_file_new ();
  g_key_file_set_uint64 (is->state, "issuer", "bundle_sequence", 0);
  if (!add_issuer_key (is, key_days, 0, error))
    return NULL;
  return g_steal_pointer (&is);
}

OffauthIssuer *
offauth_issuer_open (const char  *dir,
                     GError     **error)
{
  g_autoptr(OffauthIssuer) is = g_new0 (OffauthIssuer, 1);
  g_autofree gchar *root_path = g_build_filename (dir, "root.key", NULL);

  if (!offauth_init ())
    return NULL;
  is->dir = g_strdup (dir);
  is->state_path = g_build_filename (dir, "issuer.ini", NULL);
  is->state = g_key_file_new ();
  if (!g_key_file_load_from_file (is->state, is->state_path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, "%s is not an issuer directory: ", dir);
      return NULL;
    }
  is->root = offauth_secret_key_load (root_path, error);
  if (is->root == NULL)
    return NULL;
  return g_steal_pointer (&is);
}

gchar *
offauth_issuer_root_fingerprint (OffauthIssuer *is)
{
  return offauth_root_fingerprint (is->root->pk);
}

gboolean
offauth_issuer_rotate (OffauthIssuer *is,
                       guint          key_days,
                       guint32        scope,
                       GError       **error)
{
  return add_issuer_key (is, key_days, scope, error);
}

static OffauthSecretKey *
load_issuer_key (OffauthIssuer *is,
                 const char    *hex,
                 GError       **error)
{
  g_autofree gchar *path = key_path (is, hex);

  return offauth_secret_key_load (path, error);
}

gchar *
offauth_issuer_credential (OffauthIssuer               *is,
                           const OffauthCredentialSpec *spec,
                           GError                     **error)
{
  g_autofree gchar *hex = g_key_file_get_string (is->state, "issuer", "current", NULL);
  g_autoptr(OffauthSecretKey) key = NULL;
  g_autofree gchar *group = NULL;
  g_autofree gchar *id_hex = NULL;
  OffauthCredential cred = { 0 };
  guint64 now = issuer_now (is), key_not_after;
  GError *local = NULL;

  if (spec->currency == NULL || !offauth_currency_valid (spec->currency) ||
      spec->max_offline_count < 1 || spec->per_payment_limit < 1 ||
      spec->offline_total_limit < spec->per_payment_limit || spec->days < 1)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                   "A credential needs a currency of 3 capital letters, a count and a per-payment "
                   "limit of at least 1, a total of at least the per-payment limit, and 1 day or more");
      return NULL;
    }
  if (hex == NULL || (key = load_issuer_key (is, hex, error)) == NULL)
    return NULL;
  offauth_key_id (cred.issuer_key_id, key->pk);
  group = key_group (cred.issuer_key_id);
  key_not_after = g_key_file_get_uint64 (is->state, group, "not_after", &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  randombytes_buf (cred.credential_id, sizeof cred.credential_id);
  memcpy (cred.payer_public_key, spec->payer_public_key, OFFAUTH_PK_SIZE);
  memcpy (cred.currency, spec->currency, 4);
  cred.max_offline_count = spec->max_offline_count;
  cred.per_payment_limit = spec->per_payment_limit;
  cred.offline_total_limit = spec->offline_total_limit;
  cred.not_before = now - OFFAUTH_ISSUER_BACKDATE;
  /* A credential never outlives its issuer key. */
  cred.not_after = MIN (now + (guint64) spec->days * 86400, key_not_after);
  cred.scope = spec->scope;
  if (cred.not_after <= cred.not_before)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE,
                   "The current issuer key has expired: rotate it first");
      return NULL;
    }
  offauth_credential_sign (&cred, key);

  id_hex = offauth_hex (cred.credential_id, sizeof cred.credential_id);
  g_key_file_set_string (is->state, "credentials", id_hex, hex);
  if (!save_state (is, error))
    return NULL;
  return offauth_text_encode ('C', cred.raw, OFFAUTH_CREDENTIAL_SIZE);
}

static gint
compare_key_age (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  OffauthIssuer *is = user_data;
  const char *ga = *(const char * const *) a, *gb = *(const char * const *) b;
  guint64 na = g_str_has_prefix (ga, "key ") ? g_key_file_get_uint64 (is->state, ga, "not_after", NULL) : 0;
  guint64 nb = g_str_has_prefix (gb, "key ") ? g_key_file_get_uint64 (is->state, gb, "not_after", NULL) : 0;

  return na < nb ? 1 : na > nb ? -1 : 0;
}

gchar *
offauth_issuer_bundle (OffauthIssuer *is,
                       guint          days,
                       GError       **error)
{
  OffauthBundle b = { 0 };
  g_auto(GStrv) groups = g_key_file_get_groups (is->state, NULL);
  g_autofree gchar *text = NULL;
  guint64 now = issuer_now (is);

  /* The newest keys first: past 64 keys, the oldest leave the bundle, never the current. */
  g_qsort_with_data (groups, (gint) g_strv_length (groups), sizeof (gchar *), compare_key_age, is);
  for (gsize i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(OffauthSecretKey) key = NULL;
      OffauthIssuerKey *k;
      guint64 not_after;

      if (!g_str_has_prefix (groups[i], "key "))
        continue;
      not_after = g_key_file_get_uint64 (is->state, groups[i], "not_after", NULL);
      if (not_after <= now)
        continue;  /* expired keys leave the bundle */
      if (b.n_keys == OFFAUTH_BUNDLE_MAX_KEYS)
        break;
      key = load_issuer_key (is, groups[i] + 4, error);
      if (key == NULL)
        return NULL;
      k = &b.keys[b.n_keys++];
      memcpy (k->public_key, key->pk, OFFAUTH_PK_SIZE);
      k->not_before = g_key_file_get_uint64 (is->state, groups[i], "not_before", NULL);
      k->not_after = not_after;
      k->scope = (guint32) g_key_file_get_uint64 (is->state, groups[i], "scope", NULL);
    }
  if (b.n_keys == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE, "No issuer key is valid: rotate first");
      return NULL;
    }
  b.sequence = g_key_file_get_uint64 (is->state, "issuer", "bundle_sequence", NULL) + 1;
  b.issued_at = now;
  b.expires_at = now + (guint64) MAX (days, 1) * 86400;
  offauth_bundle_sign (&b, is->root);
  g_key_file_set_uint64 (is->state, "issuer", "bundle_sequence", b.sequence);
  text = offauth_text_encode ('T', b.raw, b.raw_len);
  if (!save_state (is, error) || !save_published (is, "bundle.txt", text, error))
    return NULL;
  return g_steal_pointer (&text);
}

static gchar *
next_list (OffauthIssuer *is,
           const char    *group,
           guint          hours_valid,
           GError       **error)
{
  g_autoptr(OffauthSecretKey) key = load_issuer_key (is, group + 4, error);
  g_auto(GStrv) revoked = NULL;
  g_autoptr(OffauthRevocationList) list = NULL;
  g_autofree guint8 *ids = NULL;
  guint8 key_id[OFFAUTH_KEY_ID_SIZE];
  gsize n = 0;
  guint64 seq, now = issuer_now (is);
  const guint8 *raw;
  gsize raw_len;

  if (key == NULL)
    return NULL;
  offauth_key_id (key_id, key->pk);
  revoked = g_key_file_get_string_list (is->state, group, "revoked", &n, NULL);
  ids = g_malloc (16 * (n + 1));
  for (gsize i = 0; i < n; i++)
    if (!offauth_unhex (revoked[i], ids + 16 * i, 16))
      {
        g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED, "issuer.ini: bad revoked id %s",
                     revoked[i]);
        return NULL;
      }
  seq = g_key_file_get_uint64 (is->state, group, "revocation_sequence", NULL) + 1;
  list = offauth_revocation_list_build (key_id, seq, now, now + (guint64) MAX (hours_valid, 1) * 3600,
                                        ids, (guint32) n, key);
  g_key_file_set_uint64 (is->state, group, "revocation_sequence", seq);
  raw = g_bytes_get_data (list->raw, &raw_len);
  return offauth_text_encode ('V', raw, raw_len);
}

/* After issuer.ini holds their sequences: the lists as the latest of their keys. */
static gboolean
save_lists (OffauthIssuer *is,
            GPtrArray     *groups,
            GPtrArray     *texts,
            GError       **error)
{
  for (guint i = 0; i < texts->len; i++)
    {
      g_autofree gchar *name = revocation_file_name ((const char *) groups->pdata[i] + 4);

      if (!save_published (is, name, texts->pdata[i], error))
        return FALSE;
    }
  return TRUE;
}

GPtrArray *
offauth_issuer_revoke (OffauthIssuer *is,
                       const guint8  *ids,
                       guint          n_ids,
                       guint          hours_valid,
                       GError       **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) touched = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_ids; i++)
    {
      g_autofree gchar *id_hex = offauth_hex (ids + 16 * i, 16);
      g_autofree gchar *key_hex = g_key_file_get_string (is->state, "credentials", id_hex, NULL);
      g_autofree gchar *group = NULL;
      g_auto(GStrv) revoked = NULL;
      gsize n = 0;

      if (key_hex == NULL)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                       "Credential %s was not issued here", id_hex);
          return NULL;
        }
      group = g_strdup_printf ("key %s", key_hex);
      revoked = g_key_file_get_string_list (is->state, group, "revoked", &n, NULL);
      if (revoked == NULL || !g_strv_contains ((const gchar * const *) revoked, id_hex))
        {
          g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
          g_auto(GStrv) list = NULL;
          if (revoked != NULL)
            g_strv_builder_addv (b, (const char **) revoked);
          g_strv_builder_add (b, id_hex);
          list = g_strv_builder_end (b);
          g_key_file_set_string_list (is->state, group, "revoked", (const char * const *) list,
                                      g_strv_length (list));
        }
      if (!g_ptr_array_find_with_equal_func (touched, group, g_str_equal, NULL))
        g_ptr_array_add (touched, g_steal_pointer (&group));
    }
  for (guint i = 0; i < touched->len; i++)
    {
      gchar *text = next_list (is, touched->pdata[i], hours_valid, error);
      if (text == NULL)
        return NULL;
      g_ptr_array_add (out, text);
    }
  if (!save_state (is, error) || !save_lists (is, touched, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

GPtrArray *
offauth_issuer_revocation_lists (OffauthIssuer *is,
                                 guint          hours_valid,
                                 GError       **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) listed = g_ptr_array_new ();
  g_auto(GStrv) groups = g_key_file_get_groups (is->state, NULL);
  guint64 now = issuer_now (is);

  for (gsize i = 0; groups[i] != NULL; i++)
    {
      gchar *text;

      if (!g_str_has_prefix (groups[i], "key ") ||
          g_key_file_get_uint64 (is->state, groups[i], "not_after", NULL) <= now)
        continue;
      text = next_list (is, groups[i], hours_valid, error);
      if (text == NULL)
        return NULL;
      g_ptr_array_add (out, text);
      g_ptr_array_add (listed, groups[i]);
    }
  if (!save_state (is, error) || !save_lists (is, listed, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

gchar *
offauth_issuer_latest_bundle (OffauthIssuer *is,
                              GError       **error)
{
  g_autofree gchar *path = g_build_filename (is->dir, "bundle.txt", NULL);
  g_autofree gchar *text = NULL;
  GError *local = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      gboolean missing = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT);

      g_set_error (error, OFFAUTH_ERROR, missing ? OFFAUTH_ERROR_STATE : OFFAUTH_ERROR_IO,
                   missing ? "No trust bundle has been published yet" : "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  return g_strchomp (g_steal_pointer (&text));
}

GPtrArray *
offauth_issuer_latest_revocation_lists (OffauthIssuer *is,
                                        GError       **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) groups = g_key_file_get_groups (is->state, NULL);
  guint64 now = issuer_now (is);

  for (gsize i = 0; groups[i] != NULL; i++)
    {
      g_autofree gchar *name = NULL;
      g_autofree gchar *path = NULL;
      gchar *text = NULL;
      GError *local = NULL;

      if (!g_str_has_prefix (groups[i], "key ") ||
          g_key_file_get_uint64 (is->state, groups[i], "not_after", NULL) <= now)
        continue;
      name = revocation_file_name (groups[i] + 4);
      path = g_build_filename (is->dir, name, NULL);
      if (!g_file_get_contents (path, &text, NULL, &local))
        {
          if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            {
              g_error_free (local);
              continue;  /* no list published for this key yet */
            }
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO, "%s", local->message);
          g_error_free (local);
          return NULL;
        }
      g_ptr_array_add (out, g_strchomp (text));
    }
  return g_steal_pointer (&out);
}
