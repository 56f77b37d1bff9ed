/* tool-inspect.h: `inspect TEXT`, shared by the offauth-* tools.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The options of inspect: --key, --acquirer-key. */
extern const GOptionEntry tool_inspect_entries[];

/* Decodes any OA1 text (argv[1]: the text, a file or "-") to its fields, checks the
 * signatures whose key is known, and prints them as "name: value" lines or JSON.
 * Exit status: 0 decoded and every checked signature valid, 1 a signature does not
 * verify, 2 bad usage or a malformed message. */
int   tool_inspect          (gboolean   json,
                             int        argc,
                             char     **argv);

G_END_DECLS
