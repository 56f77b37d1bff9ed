/* offauth-wallet: a payer's wallet on the command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-wallet"

#include "config.h"

#include <glib/gi18n.h>

#include "offauth.h"
#include "tool-common.h"
#include "tool-inspect.h"

static gboolean opt_json;

static const GOptionEntry json_entry[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the result as JSON"), NULL },
  { NULL }
};

static int
print_public_key (int argc, char **argv, gboolean create)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthWallet) w = NULL;
  g_autofree gchar *pk = NULL;

  if (argc != 2)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      create ? _("usage: offauth-wallet new FILE") : _("usage: offauth-wallet pubkey FILE"));
  w = create ? offauth_wallet_create (argv[1], &error) : offauth_wallet_open (argv[1], &error);
  if (w == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  pk = offauth_wallet_public_key_text (w);
  tool_print_text (opt_json, "public_key", pk);
  return TOOL_OK;
}

static int
cmd_new (int argc, char **argv)
{
  return print_public_key (argc, argv, TRUE);
}

static int
cmd_pubkey (int argc, char **argv)
{
  return print_public_key (argc, argv, FALSE);
}

static int
cmd_pay (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthWallet) w = NULL;
  g_autofree gchar *cred = NULL;
  g_autofree gchar *req = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *amount = NULL;
  OffauthPayment p;

  if (argc != 4)
    return tool_fail (opt_json, TOOL_USAGE, "usage",
                      _("usage: offauth-wallet pay FILE CREDENTIAL REQUEST"));
  if ((cred = tool_read_arg (argv[2], &error)) == NULL ||
      (req = tool_read_arg (argv[3], &error)) == NULL ||
      (w = offauth_wallet_open (argv[1], &error)) == NULL)
    return tool_fail_error (opt_json, error, TOOL_USAGE, "bad_input");
  text = offauth_wallet_pay (w, cred, req, &p, &error);
  if (text == NULL)
    return tool_fail_error (opt_json, error, g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED)
                                  ? TOOL_USAGE : TOOL_REFUSED,
                      "refused");
  amount = money_format_amount (p.request.amount, p.request.currency);
  if (opt_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "payment");
      json_builder_add_string_value (b, text);
      json_builder_set_member_name (b, "merchant_id");
      json_builder_add_string_value (b, p.request.merchant_id);
      tool_json_u64 (b, "amount", p.request.amount);
      json_builder_set_member_name (b, "currency");
      json_builder_add_string_value (b, p.request.currency);
      json_builder_set_member_name (b, "counter");
      json_builder_add_int_value (b, p.counter);
      tool_json_hex (b, "sale_id", p.sale_id, sizeof p.sale_id);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    {
      /* What the payer confirms, on stderr so that the payment alone goes to stdout. */
      g_printerr (_("Paying %s to %s (payment %u of this credential)\n"), amount,
                  p.request.merchant_id, p.counter);
      g_print ("%s\n", text);
    }
  return TOOL_OK;
}

static int
cmd_inspect (int argc, char **argv)
{
  return tool_inspect (opt_json, argc, argv);
}

static const ToolCommand commands[] = {
  { "new", "FILE", N_("Create a wallet (prints its public key)"), cmd_new, NULL },
  { "pubkey", "FILE", N_("Print the wallet's public key"), cmd_pubkey, NULL },
  { "pay", "FILE CREDENTIAL REQUEST", N_("Sign a payment for a request (prints the payment)"), cmd_pay, NULL },
  { "inspect", "TEXT", N_("Decode any OA1 text to its fields and check its signatures"), cmd_inspect, tool_inspect_entries },
};

int
main (int argc, char **argv)
{
  return tool_main ("offauth-wallet", commands, G_N_ELEMENTS (commands), json_entry, argc, argv);
}
