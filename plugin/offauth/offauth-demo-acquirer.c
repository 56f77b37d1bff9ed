/* offauth-demo-acquirer.c: runs the demo's reference acquirer as a child process.
 *
 * `till --demo` is online out of the box: `offauth-acquirer serve` runs on loopback as a
 * child of the app, on a port it binds itself and reports on its first line. It never
 * outlives the app: the child asks the kernel for SIGKILL when its parent goes
 * (PR_SET_PDEATHSIG, set between fork and exec), and the app kills it at dispose and at
 * the application's shutdown. The acquirer commits every change before it answers, so a
 * kill loses nothing; "Simulate network down" is such a kill.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib/gi18n-lib.h>

#include "offauth-demo-acquirer.h"

#define LISTENING "listening on "
#define OUTPUT_PIPES (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE)

struct _OffauthDemoAcquirer
{
  GObject      parent_instance;

  gchar       *program;
  gchar       *dir;
  GSubprocess *process;    /* the running `serve`, or NULL */
  gchar       *url;        /* where it listened last */
  guint16      port;
};

G_DEFINE_FINAL_TYPE (OffauthDemoAcquirer, offauth_demo_acquirer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Uninstalled, the app loads the plugin from <build>/plugin/offauth (TILL_PLUGIN_PATH): the
 * acquirer of the same build is <build>/acquirer/offauth-acquirer. */
static gchar *
offauth_demo_acquirer_find_uninstalled (void)
{
  const char *path = g_getenv ("TILL_PLUGIN_PATH");
  g_auto(GStrv) dirs = path != NULL ? g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1) : NULL;

  for (gsize i = 0; dirs != NULL && dirs[i] != NULL; i++)
    {
      g_autofree gchar *program = NULL;

      if (*dirs[i] == '\0')
        continue;
      program = g_build_filename (dirs[i], "..", "..", "acquirer", "offauth-acquirer", NULL);
      if (g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
        return g_canonicalize_filename (program, NULL);
    }
  return NULL;
}

gchar *
offauth_demo_acquirer_find_program (void)
{
  const char *env = g_getenv ("TILL_ACQUIRER");
  g_autofree gchar *installed = g_build_filename (BINDIR, "offauth-acquirer", NULL);
  gchar *program;

  if (env != NULL)
    return *env != '\0' ? g_strdup (env) : NULL;
  if ((program = offauth_demo_acquirer_find_uninstalled ()) != NULL)
    return program;
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_find_program_in_path ("offauth-acquirer");
}

/* In the child, between fork and exec: die with the parent, even when the parent is killed. */
static void
offauth_demo_acquirer_child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
  /* The parent died before the prctl: nobody would ever stop this child. */
  if (getppid () != (pid_t) GPOINTER_TO_INT (user_data))
    _exit (127);
}

static GSubprocess *
offauth_demo_acquirer_spawn (OffauthDemoAcquirer  *self,
                             GSubprocessFlags      flags,
                             const char *const    *args,
                             GError              **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, self->program);
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_set_child_setup (launcher, offauth_demo_acquirer_child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
}

/* A finished command: its exit status, and what it said when it failed. */
static gboolean
offauth_demo_acquirer_check_exit (OffauthDemoAcquirer  *self,
                                  GSubprocess          *process,
                                  const char           *command,
                                  const char           *out,
                                  const char           *err,
                                  GError              **error)
{
  g_autofree gchar *said = NULL;

  if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    return TRUE;
  said = g_strstrip (g_strconcat (out ? out : "", " ", err ? err : "", NULL));
  if (*said == '\0')
    {
      g_free (said);
      said = g_subprocess_get_if_exited (process)
               ? g_strdup_printf (_("exit status %d"), g_subprocess_get_exit_status (process))
               : g_strdup_printf (_("signal %d"), g_subprocess_get_term_sig (process));
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               /* Translators: "offauth-acquirer topup failed: {the program's message}" */
               _("%s %s failed: %s"), self->program, command, said);
  return FALSE;
}

gboolean
offauth_demo_acquirer_run (OffauthDemoAcquirer  *self,
                           const char *const    *args,
                           gchar               **out,
                           GError              **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autofree gchar *stdout_text = NULL;
  g_autofree gchar *stderr_text = NULL;

  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), FALSE);
  g_return_val_if_fail (args != NULL && args[0] != NULL, FALSE);

  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, "--json");
  g_ptr_array_add (argv, NULL);
  process = offauth_demo_acquirer_spawn (self, OUTPUT_PIPES, (const char *const *) argv->pdata,
                                         error);
  if (process == NULL ||
      !g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, error) ||
      !offauth_demo_acquirer_check_exit (self, process, args[0], stdout_text, stderr_text, error))
    return FALSE;
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

/* Serving */

static GSubprocess *
offauth_demo_acquirer_spawn_serve (OffauthDemoAcquirer  *self,
                                   guint16               port,
                                   GError              **error)
{
  g_autofree gchar *listen = g_strdup_printf ("127.0.0.1:%u", port);
  const char *args[] = { "serve", self->dir, "--listen", listen, NULL };

  /* Its messages (and "stopped") go where the app's go. */
  return offauth_demo_acquirer_spawn (self, G_SUBPROCESS_FLAGS_STDOUT_PIPE, args, error);
}

/* The first line of a `serve` just started: "listening on URL", or nothing when it failed. */
static gboolean
offauth_demo_acquirer_take (OffauthDemoAcquirer  *self,
                            GSubprocess          *process,
                            const char           *line,
                            GError              **error)
{
  g_autoptr(GUri) uri = NULL;

  if (line != NULL && g_str_has_prefix (line, LISTENING))
    uri = g_uri_parse (line + strlen (LISTENING), G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_port (uri) <= 0)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _("The demo acquirer did not start (its messages say why)"));
      return FALSE;
    }
  g_set_object (&self->process, process);
  g_free (self->url);
  self->url = g_strdup (line + strlen (LISTENING));
  self->port = (guint16) g_uri_get_port (uri);
  return TRUE;
}

gboolean
offauth_demo_acquirer_start (OffauthDemoAcquirer  *self,
                             guint16               port,
                             GError              **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree gchar *line = NULL;

  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), FALSE);

  if (offauth_demo_acquirer_is_running (self))
    return TRUE;
  if ((process = offauth_demo_acquirer_spawn_serve (self, port, error)) == NULL)
    return FALSE;
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, error);
  return offauth_demo_acquirer_take (self, process, line, error);
}

static void
offauth_demo_acquirer_line_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OffauthDemoAcquirer *self = g_task_get_source_object (task);
  GSubprocess *process = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree gchar *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (!offauth_demo_acquirer_take (self, process, line, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_task_return_boolean (task, TRUE);
}

void
offauth_demo_acquirer_start_async (OffauthDemoAcquirer *self,
                                   guint16              port,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  GSubprocess *process;
  GError *error = NULL;

  g_return_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_demo_acquirer_start_async);
  if (offauth_demo_acquirer_is_running (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if ((process = offauth_demo_acquirer_spawn_serve (self, port, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, process, g_object_unref);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, cancellable,
                                       offauth_demo_acquirer_line_cb, g_steal_pointer (&task));
}

gboolean
offauth_demo_acquirer_start_finish (OffauthDemoAcquirer  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
offauth_demo_acquirer_stop (OffauthDemoAcquirer *self)
{
  g_autoptr(GSubprocess) process = NULL;

  g_return_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self));

  if ((process = g_steal_pointer (&self->process)) == NULL)
    return;
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
offauth_demo_acquirer_is_running (OffauthDemoAcquirer *self)
{
  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), FALSE);

  /* The identifier goes once the child has been reaped (it died by itself). */
  return self->process != NULL && g_subprocess_get_identifier (self->process) != NULL;
}

const char *
offauth_demo_acquirer_get_url (OffauthDemoAcquirer *self)
{
  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), NULL);

  return self->url;
}

guint16
offauth_demo_acquirer_get_port (OffauthDemoAcquirer *self)
{
  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), 0);

  return self->port;
}

const char *
offauth_demo_acquirer_get_pid (OffauthDemoAcquirer *self)
{
  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), NULL);

  return self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;
}

const char *
offauth_demo_acquirer_get_dir (OffauthDemoAcquirer *self)
{
  g_return_val_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self), NULL);

  return self->dir;
}

/* Top-ups */

static void
offauth_demo_acquirer_topped_up_cb (GObject      *source,
                                    GAsyncResult *result,
                                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OffauthDemoAcquirer *self = g_task_get_source_object (task);
  GSubprocess *process = G_SUBPROCESS (source);
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error) ||
      !offauth_demo_acquirer_check_exit (self, process, "topup", out, err, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
offauth_demo_acquirer_topup_async (OffauthDemoAcquirer *self,
                                   const char          *credential,
                                   guint64              amount,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree gchar *amount_text = g_strdup_printf ("%" G_GUINT64_FORMAT, amount);
  const char *args[] = { "topup", self->dir, credential, amount_text, "--json", NULL };
  GError *error = NULL;

  g_return_if_fail (OFFAUTH_IS_DEMO_ACQUIRER (self));
  g_return_if_fail (credential != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_demo_acquirer_topup_async);
  process = offauth_demo_acquirer_spawn (self, OUTPUT_PIPES, args, &error);
  if (process == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_subprocess_communicate_utf8_async (process, NULL, cancellable,
                                       offauth_demo_acquirer_topped_up_cb, g_steal_pointer (&task));
}

gboolean
offauth_demo_acquirer_topup_finish (OffauthDemoAcquirer  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The object */

static void
offauth_demo_acquirer_dispose (GObject *object)
{
  OffauthDemoAcquirer *self = OFFAUTH_DEMO_ACQUIRER (object);

  /* Never left running. */
  if (self->process != NULL)
    {
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
      g_clear_object (&self->process);
    }
  G_OBJECT_CLASS (offauth_demo_acquirer_parent_class)->dispose (object);
}

static void
offauth_demo_acquirer_finalize (GObject *object)
{
  OffauthDemoAcquirer *self = OFFAUTH_DEMO_ACQUIRER (object);

  g_free (self->program);
  g_free (self->dir);
  g_free (self->url);
  G_OBJECT_CLASS (offauth_demo_acquirer_parent_class)->finalize (object);
}

static void
offauth_demo_acquirer_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  OffauthDemoAcquirer *self = OFFAUTH_DEMO_ACQUIRER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, offauth_demo_acquirer_is_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_demo_acquirer_class_init (OffauthDemoAcquirerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = offauth_demo_acquirer_dispose;
  object_class->finalize = offauth_demo_acquirer_finalize;
  object_class->get_property = offauth_demo_acquirer_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
offauth_demo_acquirer_init (OffauthDemoAcquirer *self)
{
}

OffauthDemoAcquirer *
offauth_demo_acquirer_new (const char *program,
                           const char *dir)
{
  OffauthDemoAcquirer *self;
  GApplication *app = g_application_get_default ();

  g_return_val_if_fail (program != NULL, NULL);
  g_return_val_if_fail (dir != NULL, NULL);

  self = g_object_new (OFFAUTH_TYPE_DEMO_ACQUIRER, NULL);
  self->program = g_strdup (program);
  self->dir = g_strdup (dir);
  /* The process's service is never finalized: the app's shutdown stops the child. */
  if (app != NULL)
    g_signal_connect_object (app, "shutdown", G_CALLBACK (offauth_demo_acquirer_stop), self,
                             G_CONNECT_SWAPPED);
  return self;
}
