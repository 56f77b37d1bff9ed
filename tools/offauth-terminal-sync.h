/* offauth-terminal-sync.h: offauth-terminal's commands that talk to the acquirer or list
 * its verdicts (acquirer, sync, sales, retry, close).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "offauth.h"

G_BEGIN_DECLS

/* From offauth-terminal.c: --json, and the terminal opened as every command opens it. */
extern gboolean opt_json;
OffauthTerminal *open_terminal (const char        *path,
                                OffauthOpenFlags   flags,
                                GError           **error);

extern const GOptionEntry terminal_acquirer_entries[];
extern const GOptionEntry terminal_sync_entries[];
extern const GOptionEntry terminal_sales_entries[];
extern const GOptionEntry terminal_close_entries[];

int terminal_cmd_acquirer (int argc, char **argv);
int terminal_cmd_sync     (int argc, char **argv);
int terminal_cmd_sales    (int argc, char **argv);
int terminal_cmd_retry    (int argc, char **argv);
int terminal_cmd_close    (int argc, char **argv);

G_END_DECLS
