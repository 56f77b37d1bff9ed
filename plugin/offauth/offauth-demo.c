/* offauth-demo.c: the demo's issuer, enrolled terminal and payer, in one folder.
 *
 * `till --demo` sells with no scheme around it: a local issuer enrolls the terminal and
 * credits a payer's wallet, and both are kept fresh as a connected kiosk's would be (a new
 * trust bundle before the old expires, revocation lists every few hours). Everything here
 * blocks: the service runs it on its worker, as the first job.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "offauth-demo.h"

struct _OffauthDemo
{
  gchar         *dir;
  gchar         *db_path;
  OffauthWallet *wallet;
  gchar         *credential;
};

OffauthDemo *
offauth_demo_new (const char *dir)
{
  OffauthDemo *demo = g_new0 (OffauthDemo, 1);

  demo->dir = dir != NULL ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "till", "demo", NULL);
  demo->db_path = g_build_filename (demo->dir, "terminal.db", NULL);
  return demo;
}

void
offauth_demo_free (OffauthDemo *demo)
{
  if (demo == NULL)
    return;
  g_clear_pointer (&demo->wallet, offauth_wallet_free);
  g_free (demo->credential);
  g_free (demo->db_path);
  g_free (demo->dir);
  g_free (demo);
}

const char *
offauth_demo_get_db_path (OffauthDemo *demo)
{
  return demo->db_path;
}

static OffauthIssuer *
offauth_demo_open_issuer (OffauthDemo  *demo,
                          GError      **error)
{
  g_autofree gchar *issuer_dir = g_build_filename (demo->dir, "issuer", NULL);

  if (g_mkdir_with_parents (demo->dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot create %s: %s"),
                   demo->dir, g_strerror (saved));
      return NULL;
    }
  if (g_file_test (issuer_dir, G_FILE_TEST_IS_DIR))
    return offauth_issuer_open (issuer_dir, error);
  return offauth_issuer_create (issuer_dir, 365, 0, error);
}

/* Enrolls a fresh terminal, or loads a new bundle and revocation lists when they age. */
static gboolean
offauth_demo_refresh_trust (OffauthTerminal  *terminal,
                            OffauthIssuer    *issuer,
                            gboolean          fresh,
                            GError          **error)
{
  g_autofree gchar *fpr = offauth_issuer_root_fingerprint (issuer);
  g_autoptr(GPtrArray) lists = NULL;
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  OffauthTerminalStatus st;
  gboolean enrolled, bundle_ages, lists_age;

  offauth_terminal_get_status (terminal, &st);
  enrolled = st.enrolled;
  bundle_ages = st.bundle_expires_at < now + 7 * 86400;
  lists_age = st.n_revocation_lists == 0 || st.oldest_revocation_issued_at + 6 * 3600 < now;
  offauth_terminal_status_clear (&st);

  if (fresh || !enrolled)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);

      /* The demo stall sells alcohol: above €20.00 of it, a sale needs an online check. */
      if (bundle == NULL ||
          !offauth_terminal_enroll (terminal, bundle, "festival-demo", fpr, NULL, error) ||
          !offauth_terminal_set_category_floor (terminal, "alcohol", 2000, error))
        return FALSE;
    }
  else if (bundle_ages)
    {
      g_autofree gchar *bundle = offauth_issuer_bundle (issuer, 30, error);

      if (bundle == NULL || !offauth_terminal_load_bundle (terminal, bundle, error))
        return FALSE;
    }
  /* Fresh revocation lists, as a connected kiosk would fetch them. */
  if (fresh || lists_age)
    {
      lists = offauth_issuer_revocation_lists (issuer, 24, error);
      if (lists == NULL)
        return FALSE;
      for (guint i = 0; i < lists->len; i++)
        if (!offauth_terminal_load_revocations (terminal, lists->pdata[i], error))
          return FALSE;
    }
  return TRUE;
}

static gchar *
offauth_demo_read_text (const char *path)
{
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strstrip (text);
}

/* The payer's wallet, and a credential valid for at least another day. */
static gboolean
offauth_demo_prepare_payer (OffauthDemo    *demo,
                            OffauthIssuer  *issuer,
                            GError        **error)
{
  g_autofree gchar *wallet_path = g_build_filename (demo->dir, "payer.wallet", NULL);
  g_autofree gchar *cred_path = g_build_filename (demo->dir, "credential.txt", NULL);
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  OffauthCredentialSpec spec = { 0 };
  OffauthCredential cred;

  g_clear_pointer (&demo->wallet, offauth_wallet_free);
  demo->wallet = g_file_test (wallet_path, G_FILE_TEST_EXISTS) ? offauth_wallet_open (wallet_path, error)
                                                               : offauth_wallet_create (wallet_path, error);
  if (demo->wallet == NULL)
    return FALSE;
  g_free (demo->credential);
  demo->credential = offauth_demo_read_text (cred_path);
  if (demo->credential != NULL && offauth_credential_parse_text (&cred, demo->credential, NULL) &&
      cred.not_after >= now + 86400)
    return TRUE;

  spec.payer_public_key = offauth_wallet_public_key (demo->wallet);
  spec.currency = "EUR";
  spec.per_payment_limit = 5000;
  spec.offline_total_limit = 50000;
  spec.max_offline_count = 100;
  spec.days = 30;
  g_free (demo->credential);
  demo->credential = offauth_issuer_credential (issuer, &spec, error);
  return demo->credential != NULL &&
         offauth_write_file_atomic (cred_path, demo->credential, strlen (demo->credential), 0600, error);
}

OffauthTerminal *
offauth_demo_open (OffauthDemo  *demo,
                   GError      **error)
{
  g_autoptr(OffauthIssuer) issuer = NULL;
  g_autoptr(OffauthTerminal) terminal = NULL;
  gboolean fresh;

  g_return_val_if_fail (demo != NULL, NULL);

  issuer = offauth_demo_open_issuer (demo, error);
  if (issuer == NULL)
    return NULL;
  fresh = !g_file_test (demo->db_path, G_FILE_TEST_EXISTS);
  terminal = offauth_terminal_open (demo->db_path, OFFAUTH_OPEN_DEFAULT, error);
  if (terminal == NULL ||
      !offauth_demo_refresh_trust (terminal, issuer, fresh, error) ||
      !offauth_demo_prepare_payer (demo, issuer, error))
    return NULL;
  return g_steal_pointer (&terminal);
}

gchar *
offauth_demo_pay (OffauthDemo  *demo,
                  const char   *request_text,
                  GError      **error)
{
  g_return_val_if_fail (demo != NULL, NULL);
  g_return_val_if_fail (request_text != NULL, NULL);

  if (demo->wallet == NULL || demo->credential == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s", _("The demo’s payer is not set up"));
      return NULL;
    }
  return offauth_wallet_pay (demo->wallet, demo->credential, request_text, NULL, error);
}
