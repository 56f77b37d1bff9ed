/* till-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>
#include <libpeas/peas.h>

#include "till-application.h"
#include "till-window.h"

struct _TillApplication
{
  AdwApplication  parent_instance;
  gboolean        kiosk;
  gboolean        demo;
  gchar          *catalog_path;
  gint64          started;
};

G_DEFINE_FINAL_TYPE (TillApplication, till_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "kiosk", 'k', 0, G_OPTION_ARG_NONE, NULL, N_("Fullscreen kiosk mode, without window controls"), NULL },
  { "demo", 'd', 0, G_OPTION_ARG_NONE, NULL, N_("Demo: a local issuer, an enrolled terminal and a payer to try it with"), NULL },
  { "catalog", 'c', 0, G_OPTION_ARG_FILENAME, NULL, N_("The product catalog to sell from"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

void
till_application_load_plugins (GSettings *settings)
{
  static gboolean loaded;
  PeasEngine *engine;
  const char *path = g_getenv ("TILL_PLUGIN_PATH");
  g_auto(GStrv) enabled = NULL;
  const GList *plugins;

  if (loaded)
    return;
  loaded = TRUE;
  engine = peas_engine_get_default ();
  /* Development and tests first (the build dir), then the installed plugins. */
  if (path != NULL)
    {
      g_auto(GStrv) dirs = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
      for (gsize i = 0; dirs[i] != NULL; i++)
        if (*dirs[i] != '\0')
          peas_engine_add_search_path (engine, dirs[i], NULL);
    }
  peas_engine_add_search_path (engine, PLUGINDIR, NULL);

  enabled = g_settings_get_strv (settings, "enabled-plugins");
  for (plugins = peas_engine_get_plugin_list (engine); plugins != NULL; plugins = plugins->next)
    {
      PeasPluginInfo *info = plugins->data;

      if (!g_strv_contains ((const char * const *) enabled, peas_plugin_info_get_module_name (info)))
        continue;
      if (!peas_engine_load_plugin (engine, info))
        g_warning ("Plugin %s could not be loaded", peas_plugin_info_get_module_name (info));
    }
}

static gint
till_application_handle_local_options (GApplication *app,
                                       GVariantDict *dict)
{
  TillApplication *self = TILL_APPLICATION (app);

  if (g_variant_dict_contains (dict, "version"))
    {
      g_print ("%s %s\n", "till", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (dict, "kiosk", "b", &self->kiosk);
  g_variant_dict_lookup (dict, "demo", "b", &self->demo);
  g_variant_dict_lookup (dict, "catalog", "^ay", &self->catalog_path);
  {
    g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);

    /* Before GTK starts (in startup): GTK_DEBUG=interactive would open the Inspector. */
    if (self->kiosk || g_settings_get_boolean (settings, "kiosk-mode"))
      g_unsetenv ("GTK_DEBUG");
  }
  return -1;
}

static TillCatalog *
load_catalog (TillApplication *self,
              GSettings       *settings,
              GError         **error)
{
  g_autofree gchar *path = self->catalog_path ? g_strdup (self->catalog_path)
                                              : g_settings_get_string (settings, "catalog-path");

  if (path != NULL && *path != '\0')
    return till_catalog_new_from_file (path, error);
  return till_catalog_new_from_resource ("/io/github/tillpos/Till/catalog/festival.ini", error);
}

static void
first_frame_cb (GdkFrameClock *clock,
                TillApplication *self)
{
  /* TILL_STARTUP_BENCH: print the time to the first painted frame and quit. */
  g_signal_handlers_disconnect_by_func (clock, first_frame_cb, self);
  g_print ("first frame after %.1f ms\n", (g_get_monotonic_time () - self->started) / 1000.0);
  g_application_quit (G_APPLICATION (self));
}

static void
till_application_activate (GApplication *app)
{
  TillApplication *self = TILL_APPLICATION (app);
  g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);
  g_autoptr(TillCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  gboolean kiosk = self->kiosk || g_settings_get_boolean (settings, "kiosk-mode");

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }
  catalog = load_catalog (self, settings, &error);
  if (catalog == NULL)
    {
      g_printerr ("%s\n", error->message);
      g_application_quit (app);
      return;
    }
  till_application_load_plugins (settings);
  window = GTK_WINDOW (till_window_new (self, catalog, self->demo));
  till_window_set_kiosk (TILL_WINDOW (window), kiosk);
  if (g_getenv ("TILL_STARTUP_BENCH") != NULL)
    {
      gtk_widget_realize (GTK_WIDGET (window));
      g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                        G_CALLBACK (first_frame_cb), self);
    }
  gtk_window_present (window);
}

static void
till_application_finalize (GObject *object)
{
  g_free (TILL_APPLICATION (object)->catalog_path);
  G_OBJECT_CLASS (till_application_parent_class)->finalize (object);
}

static void
till_application_class_init (TillApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = till_application_finalize;
  app_class->activate = till_application_activate;
  app_class->handle_local_options = till_application_handle_local_options;
}

static void
till_application_init (TillApplication *self)
{
  self->started = g_get_monotonic_time ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

TillApplication *
till_application_new (void)
{
  /* Unique: a second launch (a second tap on the launcher) activates this one, which
   * presents its window, instead of a second till that would find the terminal locked.
   * Tests that run several windows at once set G_APPLICATION_NON_UNIQUE before registering. */
  return g_object_new (TILL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", "/io/github/tillpos/Till",
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

gboolean
till_application_get_demo (TillApplication *self)
{
  return self->demo;
}
