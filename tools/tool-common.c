/* tool-common.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-tool"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "offauth.h"
#include "tool-common.h"

void
tool_init (void)
{
  /* Uninstalled (meson devenv, tests), the build tree's compiled catalogs. */
  const char *localedir = g_getenv ("TILL_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (!offauth_init ())
    {
      g_printerr ("libsodium could not start\n");
      exit (TOOL_USAGE);
    }
}

int
tool_fail (gboolean    json,
           int         status,
           const char *code,
           const char *format,
           ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  g_printerr ("%s: %s\n", g_get_prgname (), message);
  return status;
}

int
tool_fail_error (gboolean      json,
                 const GError *error,
                 int           status,
                 const char   *code)
{
  if (g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STORAGE) ||
      g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_IO))
    return tool_fail (json, TOOL_REFUSED, "storage_unavailable", "%s", error->message);
  return tool_fail (json, status, code, "%s", error->message);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

gchar *
tool_read_arg_bytes (const char  *arg,
                     gsize       *len,
                     GError     **error)
{
  gchar *contents = NULL;
  gsize n = 0, start = 0;

  if (arg == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("a message is missing"));
      return NULL;
    }
  if (g_str_has_prefix (arg, "OA1"))
    {
      *len = strlen (arg);
      return g_strdup (arg);
    }
  if (strcmp (arg, "-") == 0)
    {
      GString *s = g_string_new (NULL);
      char buf[4096];
      size_t got;
      while ((got = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (s, buf, (gssize) got);
      n = s->len;
      contents = g_string_free (s, FALSE);
    }
  else if (!g_file_get_contents (arg, &contents, &n, error))
    return NULL;
  /* Files and pipes end in a newline or spaces; the code itself has none. By length, not
   * by strlen: what follows a NUL byte is part of the input too. */
  while (n > 0 && is_space (contents[n - 1]))
    n--;
  while (start < n && is_space (contents[start]))
    start++;
  memmove (contents, contents + start, n - start);
  contents[n - start] = '\0';
  *len = n - start;
  return contents;
}

gchar *
tool_read_arg (const char  *arg,
               GError     **error)
{
  gsize len;
  g_autofree gchar *text = tool_read_arg_bytes (arg, &len, error);

  if (text == NULL)
    return NULL;
  if (memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("the message contains a NUL byte"));
      return NULL;
    }
  return g_steal_pointer (&text);
}

gboolean
tool_parse_u64 (const char *text,
                guint64    *out)
{
  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL);
}

/* OFFAUTH_NOW fixes the clock (seconds since 1970): for tests and reproducible sessions. */
gboolean
tool_fixed_now (guint64 *out)
{
  return tool_parse_u64 (g_getenv ("OFFAUTH_NOW"), out);
}

guint64
tool_now (void)
{
  guint64 now;

  if (tool_fixed_now (&now))
    return now;
  return (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

/* Numbers of 2^63 and above travel through the builder as a string between two markers
 * that no other member can hold (a control character is escaped by the generator as
 * \u0001), and are put back as bare digits in the text. */
#define U64_MARK "\001u64:"
#define U64_MARK_JSON "\"\\u0001u64:"

void
tool_json_u64 (JsonBuilder *b,
               const char  *name,
               guint64      v)
{
  json_builder_set_member_name (b, name);
  if (v <= G_MAXINT64)
    json_builder_add_int_value (b, (gint64) v);
  else
    {
      g_autofree gchar *marked = g_strdup_printf (U64_MARK "%" G_GUINT64_FORMAT, v);
      json_builder_add_string_value (b, marked);
    }
}

void
tool_print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree gchar *text = NULL;
  GString *out;
  const char *p, *mark;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, FALSE);
  text = json_generator_to_data (gen, NULL);
  out = g_string_new (NULL);
  for (p = text; (mark = strstr (p, U64_MARK_JSON)) != NULL;)
    {
      const char *digits = mark + strlen (U64_MARK_JSON);
      const char *end = digits + strspn (digits, "0123456789");

      g_string_append_len (out, p, mark - p);
      if (*end == '"' && end > digits)
        {
          g_string_append_len (out, digits, end - digits);
          p = end + 1;
        }
      else
        {
          g_string_append_len (out, mark, digits - mark);
          p = digits;
        }
    }
  g_string_append (out, p);
  g_print ("%s\n", out->str);
  g_string_free (out, TRUE);
}

void
tool_json_hex (JsonBuilder  *b,
               const char   *name,
               const guint8 *data,
               gsize         len)
{
  g_autofree gchar *hex = offauth_hex (data, len);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, hex);
}

void
tool_print_texts (gboolean    json,
                  const char *member,
                  GPtrArray  *texts)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, member);
      json_builder_begin_array (b);
      for (guint i = 0; i < texts->len; i++)
        json_builder_add_string_value (b, texts->pdata[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      tool_print_json (b);
      return;
    }
  for (guint i = 0; i < texts->len; i++)
    g_print ("%s\n", (const char *) texts->pdata[i]);
}

void
tool_print_text (gboolean    json,
                 const char *member,
                 const char *text)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, member);
      json_builder_add_string_value (b, text);
      json_builder_end_object (b);
      tool_print_json (b);
      return;
    }
  g_print ("%s\n", text);
}

static void
print_commands (const char        *prgname,
                const ToolCommand *commands,
                gsize              n_commands)
{
  g_print (_("Usage: %s COMMAND [OPTION…]"), prgname);
  g_print ("\n\n");
  for (gsize i = 0; i < n_commands; i++)
    g_print ("  %-12s %-26s %s\n", commands[i].name, commands[i].params, _(commands[i].summary));
  g_print ("\n%s\n", _("Each command takes --help and --json. Amounts are integers in minor units. "
                        "Exit status: 0 success or approval, 1 refusal, 2 bad usage or input."));
}

int
tool_main (const char         *prgname,
           const ToolCommand  *commands,
           gsize               n_commands,
           const GOptionEntry *common,
           int                 argc,
           char              **argv)
{
  const ToolCommand *cmd = NULL;
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *params = NULL;

  static gboolean version;
  static const GOptionEntry version_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  tool_init ();
  g_set_prgname (prgname);
  if (argc >= 2 && strcmp (argv[1], "--version") == 0)
    {
      g_print ("%s %s\n", prgname, PACKAGE_VERSION);
      return TOOL_OK;
    }
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_commands (prgname, commands, n_commands);
      return argc < 2 ? TOOL_USAGE : TOOL_OK;
    }
  for (gsize i = 0; i < n_commands; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      cmd = &commands[i];
  if (cmd == NULL)
    {
      print_commands (prgname, commands, n_commands);
      return tool_fail (FALSE, TOOL_USAGE, "usage", _("unknown command %s"), argv[1]);
    }
  params = g_strdup_printf ("%s %s", cmd->name, cmd->params);
  ctx = g_option_context_new (params);
  g_option_context_set_summary (ctx, _(cmd->summary));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, common, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, version_entries, GETTEXT_PACKAGE);
  if (cmd->entries != NULL)
    g_option_context_add_main_entries (ctx, cmd->entries, GETTEXT_PACKAGE);
  /* The command name takes the place of the program name for the parser. */
  argc--;
  argv++;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return tool_fail (FALSE, TOOL_USAGE, "usage", "%s", error->message);
  if (version)
    {
      g_print ("%s %s\n", prgname, PACKAGE_VERSION);
      return TOOL_OK;
    }
  return cmd->run (argc, argv);
}
