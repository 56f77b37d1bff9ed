/* offauth-fill: stores N queued sales in an enrolled terminal, for the start-up benchmark
 * with a large journal (bench/till-startup.sh --sales N).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-bench"

#include "config.h"

#include <stdio.h>

#include "offauth.h"
#include "offauth-testing-private.h"

int
main (int argc, char **argv)
{
  g_autoptr(OffauthTerminal) terminal = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n;

  if (argc != 3 || !g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT64, &n, NULL))
    {
      fprintf (stderr, "usage: offauth-fill DB N\n");
      return 2;
    }
  terminal = offauth_terminal_open (argv[1], OFFAUTH_OPEN_NO_CHECK, &error);
  if (terminal == NULL || !_offauth_terminal_fill_settled (terminal, n, &error))
    {
      fprintf (stderr, "offauth-fill: %s\n", error->message);
      return 1;
    }
  return 0;
}
