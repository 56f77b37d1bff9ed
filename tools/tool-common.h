/* tool-common.h: what the offauth-* tools share: arguments, JSON, exit codes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Exit status: 0 success or approval, 1 a refusal, 2 bad usage or input. */
enum
{
  TOOL_OK      = 0,
  TOOL_REFUSED = 1,
  TOOL_USAGE   = 2,
};

void      tool_init          (void);
int       tool_fail          (gboolean     json,
                              int          status,
                              const char  *code,
                              const char  *format,
                              ...) G_GNUC_PRINTF (4, 5);
/* A message argument: the text itself, "-" for standard input, or a file; stripped of
 * surrounding white space. A NUL byte inside is refused (the code would end there). */
/* Fails with what the error says: a storage fault (the database or a key file cannot be
 * read or written: a full disk, a read-only medium, a file-size limit) is reported as
 * storage_unavailable with status 1, whatever the command; any other error with the
 * status and code given. */
int       tool_fail_error    (gboolean      json,
                              const GError *error,
                              int           status,
                              const char   *code);
gchar    *tool_read_arg      (const char  *arg,
                              GError     **error);
/* The same, keeping every byte (NULs included) for the engine to judge: *len is the
 * length after stripping. */
gchar    *tool_read_arg_bytes (const char  *arg,
                               gsize       *len,
                               GError     **error);
gboolean  tool_parse_u64     (const char  *text,
                              guint64     *out);
guint64   tool_now           (void);
gboolean  tool_fixed_now     (guint64     *out);
void      tool_print_json    (JsonBuilder *builder);
/* An unsigned 64-bit number, exactly: json-glib has only gint64, so values of 2^63 and
 * above are written through tool_print_json() as their decimal digits. */
void      tool_json_u64      (JsonBuilder *builder,
                              const char  *name,
                              guint64      value);
void      tool_json_hex      (JsonBuilder *builder,
                              const char  *name,
                              const guint8 *data,
                              gsize        len);

void      tool_print_text    (gboolean     json,
                              const char  *member,
                              const char  *text);
void      tool_print_texts   (gboolean     json,
                              const char  *member,
                              GPtrArray   *texts);

typedef struct
{
  const char         *name;
  const char         *params;
  const char         *summary;
  int               (*run) (int argc, char **argv);
  const GOptionEntry *entries;
} ToolCommand;

/* Runs argv[1] as one of the commands, with the common options and its own. */
int       tool_main          (const char        *prgname,
                              const ToolCommand *commands,
                              gsize              n_commands,
                              const GOptionEntry *common,
                              int                argc,
                              char             **argv);

G_END_DECLS
