/* offauth-issuer: the issuer's and scheme root's tool.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-issuer"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "offauth.h"
#include "tool-common.h"
#include "tool-inspect.h"

static gboolean opt_json;
static gint opt_days = 0;
static gint opt_hours = 24;
static gchar *opt_payer;
static gchar *opt_currency;
static gchar *opt_per_payment;
static gchar *opt_total;
static gchar *opt_count;
static gchar *opt_scope;

static const GOptionEntry json_entry[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the result as JSON"), NULL },
  { NULL }
};

static OffauthIssuer *
open_issuer (const char *dir, GError **error)
{
  OffauthIssuer *is = offauth_issuer_open (dir, error);
  guint64 now;

  if (is != NULL && tool_fixed_now (&now))
    offauth_issuer_set_now (is, now);
  return is;
}

static int
cmd_init (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *fpr = NULL;
  guint64 now;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-issuer init DIR"));
  if (!tool_fixed_now (&now))
    now = 0;
  is = offauth_issuer_create (argv[1], opt_days > 0 ? (guint) opt_days : 365, now, &error);
  if (is == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "init_failed");
  fpr = offauth_issuer_root_fingerprint (is);
  if (opt_json)
    tool_print_text (opt_json, "root_fingerprint", fpr);
  else
    g_print (_("Root fingerprint (give it to every terminal out of band):\n%s\n"), fpr);
  return TOOL_OK;
}

static int
cmd_fingerprint (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *fpr = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-issuer fingerprint DIR"));
  is = open_issuer (argv[1], &error);
  if (is == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  fpr = offauth_issuer_root_fingerprint (is);
  tool_print_text (opt_json, "root_fingerprint", fpr);
  return TOOL_OK;
}

static int
cmd_rotate (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  guint64 scope = 0;

  if (argc != 2 || (opt_scope && (!tool_parse_u64 (opt_scope, &scope) || scope > G_MAXUINT32)))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-issuer rotate DIR [--days N] [--scope N]"));
  is = open_issuer (argv[1], &error);
  if (is == NULL || !offauth_issuer_rotate (is, opt_days > 0 ? (guint) opt_days : 365,
                                            (guint32) scope, &error))
    return tool_fail_error (opt_json, error, TOOL_USAGE, "rotate_failed");
  if (opt_json)
    tool_print_text (opt_json, "result", "rotated");
  else
    g_print (_("A new issuer key signs credentials from now on; publish a new trust bundle.\n"));
  return TOOL_OK;
}

static int
cmd_credential (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *text = NULL;
  OffauthCredentialSpec spec = { 0 };
  guint8 payer[OFFAUTH_PK_SIZE];
  guint64 per = 0, total = 0, count = 0, scope = 0;

  if (argc != 2 || opt_payer == NULL || opt_currency == NULL ||
      !tool_parse_u64 (opt_per_payment, &per) || !tool_parse_u64 (opt_total, &total) ||
      !tool_parse_u64 (opt_count, &count) || count > G_MAXUINT32 || opt_days <= 0 ||
      (opt_scope != NULL && (!tool_parse_u64 (opt_scope, &scope) || scope > G_MAXUINT32)))
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-issuer credential DIR --payer PUBKEY --currency EUR "
                        "--per-payment N --total N --count N --days N [--scope N]"));
  if (!offauth_b64_decode_exact (opt_payer, strlen (opt_payer), payer, sizeof payer))
    return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                      _("--payer is not a public key (43 characters of base64url)"));
  spec.payer_public_key = payer;
  spec.currency = opt_currency;
  spec.per_payment_limit = per;
  spec.offline_total_limit = total;
  spec.max_offline_count = (guint32) count;
  spec.days = (guint) opt_days;
  spec.scope = (guint32) scope;
  is = open_issuer (argv[1], &error);
  if (is == NULL || (text = offauth_issuer_credential (is, &spec, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      OffauthCredential cred;

      /* The id, so that the operator can revoke what was just issued. */
      if (!offauth_credential_parse_text (&cred, text, &error))
        return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "credential");
      json_builder_add_string_value (b, text);
      tool_json_hex (b, "credential_id", cred.credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
      tool_json_hex (b, "issuer_key_id", cred.issuer_key_id, OFFAUTH_KEY_ID_SIZE);
      json_builder_end_object (b);
      tool_print_json (b);
      return TOOL_OK;
    }
  tool_print_text (opt_json, "credential", text);
  return TOOL_OK;
}

static int
cmd_bundle (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autofree gchar *text = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage", _("usage: offauth-issuer bundle DIR [--days N]"));
  is = open_issuer (argv[1], &error);
  if (is == NULL || (text = offauth_issuer_bundle (is, opt_days > 0 ? (guint) opt_days : 30, &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_text (opt_json, "bundle", text);
  return TOOL_OK;
}

static int
cmd_revoke (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(GPtrArray) lists = NULL;
  g_autofree guint8 *ids = NULL;

  if (argc < 3)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-issuer revoke DIR CREDENTIAL_ID... [--hours N]"));
  ids = g_malloc (16 * (gsize) (argc - 2));
  for (int i = 2; i < argc; i++)
    if (!offauth_unhex (argv[i], ids + 16 * (i - 2), 16))
      return tool_fail (opt_json, TOOL_USAGE, "bad_input",
                        _("%s is not a credential id (32 hex digits)"), argv[i]);
  is = open_issuer (argv[1], &error);
  if (is == NULL ||
      (lists = offauth_issuer_revoke (is, ids, (guint) (argc - 2), (guint) MAX (opt_hours, 1), &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_texts (opt_json, "revocation_lists", lists);
  return TOOL_OK;
}

static int
cmd_revocations (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(GPtrArray) lists = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-issuer revocations DIR [--hours N]"));
  is = open_issuer (argv[1], &error);
  if (is == NULL || (lists = offauth_issuer_revocation_lists (is, (guint) MAX (opt_hours, 1), &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  tool_print_texts (opt_json, "revocation_lists", lists);
  return TOOL_OK;
}

static const GOptionEntry days_entries[] = {
  { "days", 0, 0, G_OPTION_ARG_INT, &opt_days, N_("Validity in days"), "N" },
  { NULL }
};

static const GOptionEntry rotate_entries[] = {
  { "days", 0, 0, G_OPTION_ARG_INT, &opt_days, N_("Validity of the new key in days (365)"), "N" },
  { "scope", 0, 0, G_OPTION_ARG_STRING, &opt_scope, N_("Restrict the key to a merchant scope"), "N" },
  { NULL }
};

static const GOptionEntry hours_entries[] = {
  { "hours", 0, 0, G_OPTION_ARG_INT, &opt_hours, N_("Hours until the list's next update (24)"), "N" },
  { NULL }
};

static const GOptionEntry credential_entries[] = {
  { "payer", 0, 0, G_OPTION_ARG_STRING, &opt_payer, N_("The wallet's public key"), "PUBKEY" },
  { "currency", 0, 0, G_OPTION_ARG_STRING, &opt_currency, N_("ISO 4217 currency"), "EUR" },
  { "per-payment", 0, 0, G_OPTION_ARG_STRING, &opt_per_payment, N_("Largest payment, minor units"), "N" },
  { "total", 0, 0, G_OPTION_ARG_STRING, &opt_total, N_("Cumulative offline limit, minor units"), "N" },
  { "count", 0, 0, G_OPTION_ARG_STRING, &opt_count, N_("Most offline payments"), "N" },
  { "days", 0, 0, G_OPTION_ARG_INT, &opt_days, N_("Validity in days"), "N" },
  { "scope", 0, 0, G_OPTION_ARG_STRING, &opt_scope, N_("Merchant scope (0 = any)"), "N" },
  { NULL }
};

static int
cmd_inspect (int argc, char **argv)
{
  return tool_inspect (opt_json, argc, argv);
}

static const ToolCommand commands[] = {
  { "init", "DIR", N_("Create the root key and a first issuer key in DIR"), cmd_init, days_entries },
  { "credential", "DIR", N_("Issue a credential to a wallet (prints its text)"), cmd_credential, credential_entries },
  { "revoke", "DIR CREDENTIAL_ID...", N_("Revoke credentials (prints the next revocation lists)"), cmd_revoke, hours_entries },
  { "revocations", "DIR", N_("Publish fresh revocation lists of every key"), cmd_revocations, hours_entries },
  { "bundle", "DIR", N_("Publish the next trust bundle (prints its text)"), cmd_bundle, days_entries },
  { "rotate", "DIR", N_("Add a new issuer key that signs from now on"), cmd_rotate, rotate_entries },
  { "fingerprint", "DIR", N_("Print the root key's fingerprint"), cmd_fingerprint, NULL },
  { "inspect", "TEXT", N_("Decode any OA1 text to its fields and check its signatures"), cmd_inspect, tool_inspect_entries },
};

int
main (int argc, char **argv)
{
  return tool_main ("offauth-issuer", commands, G_N_ELEMENTS (commands), json_entry, argc, argv);
}
