/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "till-application.h"

int
main (int argc, char **argv)
{
  g_autoptr(TillApplication) app = NULL;
  /* Uninstalled (meson devenv, tests), the build tree's compiled catalogs. */
  const char *localedir = g_getenv ("TILL_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("till");
  g_set_application_name (_("Till"));

  app = till_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
