/* acquirer-settle.c: credits payers and (next) settles their sales.
 *
 * Today: resolving the credential an operator names, checking it against the issuer, and
 * top-ups. Settlement of uploaded sales (sync) and online authorization build on these.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "acquirer-settle.h"

static gboolean
is_credential_id (const char *arg)
{
  guint8 id[OFFAUTH_CREDENTIAL_ID_SIZE];

  return strlen (arg) == 2 * OFFAUTH_CREDENTIAL_ID_SIZE && offauth_unhex (arg, id, sizeof id);
}

static gchar *
read_text (const char  *arg,
           GError     **error)
{
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (g_str_has_prefix (arg, "OA1"))
    return g_strstrip (g_strdup (arg));
  if (strcmp (arg, "-") == 0)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      char buf[4096];
      gsize got;

      /* A credential text is 235 characters: a little more than that is plenty. */
      while ((got = fread (buf, 1, sizeof buf, stdin)) > 0 && s->len < 65536)
        g_string_append_len (s, buf, (gssize) got);
      len = s->len;
      contents = g_string_free (g_steal_pointer (&s), FALSE);
    }
  else if (!g_file_get_contents (arg, &contents, &len, error))
    return NULL;
  if (memchr (contents, '\0', len) != NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   "The credential text contains a NUL byte");
      return NULL;
    }
  return g_strstrip (g_steal_pointer (&contents));
}

gboolean
acquirer_credential_resolve (AcquirerDb        *db,
                             const char        *arg,
                             OffauthCredential *out,
                             GError           **error)
{
  g_autofree gchar *text = NULL;

  /* An id, unless a file of that name exists (the text and "-" never look like one). */
  if (is_credential_id (arg) && !g_file_test (arg, G_FILE_TEST_EXISTS))
    {
      guint8 id[OFFAUTH_CREDENTIAL_ID_SIZE];
      g_autoptr(GBytes) found = NULL;
      gsize n;

      offauth_unhex (arg, id, sizeof id);
      if ((found = acquirer_db_credentials_by_id (db, id, error)) == NULL)
        return FALSE;
      n = g_bytes_get_size (found) / OFFAUTH_CREDENTIAL_SIZE;
      if (n != 1)
        {
          g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID,
                       n == 0 ? "No account holds a credential with id %s: give the credential's "
                                "text the first time"
                              : "Several accounts hold a credential with id %s: give the "
                                "credential's text",
                       arg);
          return FALSE;
        }
      return offauth_credential_parse (out, g_bytes_get_data (found, NULL),
                                       OFFAUTH_CREDENTIAL_SIZE, error);
    }
  if ((text = read_text (arg, error)) == NULL)
    return FALSE;
  return offauth_credential_parse_text (out, text, error);
}

gboolean
acquirer_credential_check (OffauthIssuer           *issuer,
                           const OffauthCredential *cred,
                           GError                 **error)
{
  g_autofree gchar *text = offauth_issuer_latest_bundle (issuer, error);
  g_autofree gchar *root = NULL;
  g_autofree gchar *bundle_root = NULL;
  OffauthBundle bundle;
  const OffauthIssuerKey *key;

  if (text == NULL)
    {
      g_prefix_error (error, "The credential cannot be checked: ");
      return FALSE;
    }
  if (!offauth_bundle_parse_text (&bundle, text, error))
    return FALSE;
  root = offauth_issuer_root_fingerprint (issuer);
  bundle_root = offauth_root_fingerprint (bundle.root_public_key);
  if (strcmp (root, bundle_root) != 0 || !offauth_bundle_verify (&bundle, bundle.root_public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The issuer's latest trust bundle is not signed by its root");
      return FALSE;
    }
  key = offauth_bundle_find_key (&bundle, cred->issuer_key_id);
  if (key == NULL)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_UNTRUSTED,
                   "The credential's issuer key is not in the issuer's latest trust bundle");
      return FALSE;
    }
  if (!offauth_credential_verify (cred, key->public_key))
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_BAD_SIGNATURE,
                   "The credential's issuer signature does not verify");
      return FALSE;
    }
  return TRUE;
}

/* Settlement's hook: the payer's sales held for want of an account (reason 4) or declined
 * as retryable (reason 8) are settled here, oldest first while the balance covers them,
 * in the top-up's transaction. Nothing is held before sync exists. */
static gboolean
settle_payer_sales (AcquirerDb              *db,
                    const OffauthCredential *credential,
                    guint64                  now,
                    guint                   *settled,
                    GError                 **error)
{
  *settled = 0;
  return TRUE;
}

gboolean
acquirer_topup (AcquirerDb              *db,
                const OffauthCredential *credential,
                guint64                  amount,
                guint64                  now,
                AcquirerTopup           *result,
                GError                 **error)
{
  memset (result, 0, sizeof *result);
  if (amount == 0)
    {
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_INVALID, "A top-up is at least 1 minor unit");
      return FALSE;
    }
  if (!acquirer_db_begin (db, error))
    return FALSE;
  if (!acquirer_db_credit (db, credential, amount, now, &result->balance, &result->created, error) ||
      !settle_payer_sales (db, credential, now, &result->settled, error))
    {
      acquirer_db_rollback (db);
      return FALSE;
    }
  return acquirer_db_commit (db, error);
}
