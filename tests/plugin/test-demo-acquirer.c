/* test-demo-acquirer.c: the demo's own acquirer, a child process of the app.
 *
 * A demo service in a temporary TILL_DEMO_DIR starts the real offauth-acquirer (TILL_ACQUIRER)
 * on loopback and pins it, so that the service has a client whose health answers; the child
 * goes with the service and with a process killed by SIGKILL; "network down" and "back"
 * (same port); the payer with a low balance is declined late at a sync, and settled after a
 * top-up and the next sync. Syncs run as the uploader will: engine steps as jobs on the
 * service's worker, the network exchange on the main loop between them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "offauth-demo.h"
#include "offauth-service-private.h"
#include "offauth-sync.h"

static const char *self_path;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
iterate_until (gboolean *done)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!*done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*done);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits for the open; says how long it took from here. */
static void
wait_ready (OffauthService *service)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + 30 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, tick_cb, NULL);

  while (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_READY);
  g_test_message ("open: %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
}

/* A process that is gone (or a zombie nobody reaps yet: it serves nothing). */
static gboolean
pid_gone (pid_t pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree gchar *stat = NULL;
  const char *end;

  if (kill (pid, 0) != 0 && errno == ESRCH)
    return TRUE;
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && (end[2] == 'Z' || end[2] == 'X');
}

static void
assert_pid_gone (pid_t pid)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!pid_gone (pid) && g_get_monotonic_time () < end)
    g_usleep (20 * 1000);
  g_assert_true (pid_gone (pid));
}

/* Lets go of a service and waits until it is finalized (a status on its way to the main
 * thread holds it): its terminal is closed and its child acquirer killed then. */
static void
finalize_service (OffauthService **service)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gpointer weak = *service;

  g_object_add_weak_pointer (weak, &weak);
  g_clear_object (service);
  while (weak != NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (weak);
}

static OffauthDemoAcquirer *
demo_acquirer (OffauthService *service)
{
  OffauthDemo *demo = _offauth_service_get_demo (service);

  g_assert_nonnull (demo);
  g_assert_nonnull (offauth_demo_get_acquirer (demo));
  return offauth_demo_get_acquirer (demo);
}

static pid_t
acquirer_pid (OffauthService *service)
{
  const char *pid = offauth_demo_acquirer_get_pid (demo_acquirer (service));

  g_assert_nonnull (pid);
  return (pid_t) g_ascii_strtoll (pid, NULL, 10);
}

/* One async call, run to its end */

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

static GAsyncResult *
wait_result (Wait *w)
{
  iterate_until (&w->done);
  w->done = FALSE;
  return w->result;
}

static JsonObject *
health (OffauthService *service,
        GError        **error)
{
  OffauthAcquirerClient *client = offauth_service_get_acquirer (service);
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  g_assert_nonnull (client);
  offauth_acquirer_client_health_async (client, NULL, store_cb, &w);
  result = wait_result (&w);
  return offauth_acquirer_client_health_finish (client, result, error);
}

/* A sale, as the pay page makes it: a request, a demo payer, the decision. */
static guint64
sell (OffauthService *service,
      guint           payer,
      guint64         amount)
{
  OffauthSaleLine line = { "food", amount };
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *request = NULL;
  g_autofree gchar *payment = NULL;
  OffauthReason reason;
  OffauthDecision decision;
  Wait w = { 0 };

  offauth_service_request_async (service, amount, "EUR", NULL, store_cb, &w);
  r1 = wait_result (&w);
  request = offauth_service_request_finish (service, r1, &reason, &error);
  g_assert_no_error (error);
  g_assert_nonnull (request);
  offauth_service_demo_pay_async (service, payer, request, NULL, store_cb, &w);
  r2 = wait_result (&w);
  payment = offauth_service_demo_pay_finish (service, r2, &error);
  g_assert_no_error (error);
  offauth_service_authorize_async (service, payment, &line, 1, NULL, NULL, NULL, store_cb, &w);
  r3 = wait_result (&w);
  g_assert_true (offauth_service_authorize_finish (service, r3, &decision, &error));
  g_assert_true (decision.approved);
  g_assert_cmpint (decision.mode, ==, OFFAUTH_MODE_OFFLINE);
  return decision.sale_number;
}

/* A sync, as the uploader runs it: the engine's steps as jobs on the worker (build the
 * request; apply the answer and build the next), the exchange on the main loop. */

typedef struct
{
  OffauthSync *sync;
  gchar       *request;
  gchar       *answer;
  gboolean     done;
  GArray      *sales;
} SyncRun;

static gboolean
sync_begin_run (OffauthService  *self,
                OffauthTerminal *terminal,
                gpointer         data,
                GError         **error)
{
  SyncRun *s = data;

  if ((s->sync = offauth_sync_new (terminal, error)) == NULL)
    return FALSE;
  s->request = offauth_sync_next_request (s->sync, 0, 0, error);
  return s->request != NULL;
}

static gboolean
sync_apply_run (OffauthService  *self,
                OffauthTerminal *terminal,
                gpointer         data,
                GError         **error)
{
  SyncRun *s = data;
  OffauthSyncReport report;

  g_clear_pointer (&s->request, g_free);
  if (!offauth_sync_apply_answer (s->sync, s->answer, -1, &report, error))
    return FALSE;
  offauth_sync_report_clear (&report);
  if ((s->done = offauth_sync_is_done (s->sync)))
    {
      g_clear_pointer (&s->sync, offauth_sync_free);
      return TRUE;
    }
  s->request = offauth_sync_next_request (s->sync, 0, 0, error);
  return s->request != NULL;
}

static gboolean
list_run (OffauthService  *self,
          OffauthTerminal *terminal,
          gpointer         data,
          GError         **error)
{
  SyncRun *s = data;

  g_clear_pointer (&s->sales, g_array_unref);
  s->sales = offauth_terminal_list_sales (terminal, FALSE, 0, error);
  return s->sales != NULL;
}

static const OffauthServiceCall sync_begin_call = { OFFAUTH_WORKER_BACKGROUND, sync_begin_run };
static const OffauthServiceCall sync_apply_call = { OFFAUTH_WORKER_BACKGROUND, sync_apply_run };
static const OffauthServiceCall list_call = { OFFAUTH_WORKER_STATUS, list_run };

static void
run_call (OffauthService           *service,
          const OffauthServiceCall *call,
          SyncRun                  *s)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { 0 };

  task = g_task_new (service, NULL, store_cb, &w);
  g_task_set_task_data (task, s, NULL);
  _offauth_service_call (service, task, call);
  result = wait_result (&w);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_no_error (error);
}

static void
sync_now (OffauthService *service,
          SyncRun        *s)
{
  OffauthAcquirerClient *client = offauth_service_get_acquirer (service);
  guint rounds = 0;

  s->done = FALSE;
  run_call (service, &sync_begin_call, s);
  while (!s->done)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      Wait w = { 0 };

      g_assert_cmpuint (++rounds, <, 20);
      offauth_acquirer_client_sync_async (client, s->request, NULL, store_cb, &w);
      result = wait_result (&w);
      g_free (s->answer);
      s->answer = offauth_acquirer_client_sync_finish (client, result, &error);
      g_assert_no_error (error);
      run_call (service, &sync_apply_call, s);
    }
  run_call (service, &list_call, s);
}

static const OffauthSaleInfo *
find_sale (SyncRun *s,
           guint64  seq)
{
  for (guint i = 0; i < s->sales->len; i++)
    if (g_array_index (s->sales, OffauthSaleInfo, i).seq == seq)
      return &g_array_index (s->sales, OffauthSaleInfo, i);
  g_assert_not_reached ();
}

static void
sync_run_clear (SyncRun *s)
{
  g_clear_pointer (&s->sync, offauth_sync_free);
  g_clear_pointer (&s->sales, g_array_unref);
  g_free (s->request);
  g_free (s->answer);
}

/* The tests */

/* Online out of the box: the child serves, the terminal pins it, its health answers; the
 * child goes with the service. */
static void
test_demo_online (void)
{
  g_autoptr(OffauthService) service = _offauth_service_new (NULL, NULL, TRUE);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  OffauthDemoAcquirer *acquirer;
  pid_t pid;

  wait_ready (service);
  acquirer = demo_acquirer (service);
  g_assert_true (offauth_demo_acquirer_is_running (acquirer));
  g_assert_null (offauth_demo_get_acquirer_error (_offauth_service_get_demo (service)));
  g_assert_nonnull (offauth_service_get_acquirer (service));
  g_assert_cmpstr (offauth_acquirer_client_get_base_url (offauth_service_get_acquirer (service)),
                   ==, offauth_demo_acquirer_get_url (acquirer));
  g_assert_true (g_str_has_prefix (offauth_demo_acquirer_get_url (acquirer), "http://127.0.0.1:"));
  answer = health (service, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (answer, "acquirer_key"));
  g_test_message ("the demo acquirer: %s, pid %s", offauth_demo_acquirer_get_url (acquirer),
                  offauth_demo_acquirer_get_pid (acquirer));

  pid = acquirer_pid (service);
  finalize_service (&service);
  assert_pid_gone (pid);
}

/* A second start serves the same address (the pin does not change at every start). */
static void
test_demo_restart (void)
{
  g_autoptr(OffauthService) first = _offauth_service_new (NULL, NULL, TRUE);
  g_autoptr(OffauthService) second = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *url = NULL;

  wait_ready (first);
  url = g_strdup (offauth_demo_acquirer_get_url (demo_acquirer (first)));
  finalize_service (&first);
  second = _offauth_service_new (NULL, NULL, TRUE);
  wait_ready (second);
  g_test_message ("first %s, then %s", url, offauth_demo_acquirer_get_url (demo_acquirer (second)));
  answer = health (second, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (offauth_acquirer_client_get_base_url (offauth_service_get_acquirer (second)), ==,
                   offauth_demo_acquirer_get_url (demo_acquirer (second)));
  finalize_service (&second);
}

/* Network down: the child is gone and the acquirer does not answer; back: the same port
 * answers again. */
static void
test_demo_network (void)
{
  g_autoptr(OffauthService) service = _offauth_service_new (NULL, NULL, TRUE);
  g_autoptr(JsonObject) down = NULL;
  g_autoptr(JsonObject) back = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *url = NULL;
  OffauthDemoAcquirer *acquirer;
  Wait w = { 0 };
  pid_t pid;

  wait_ready (service);
  acquirer = demo_acquirer (service);
  url = g_strdup (offauth_demo_acquirer_get_url (acquirer));
  pid = acquirer_pid (service);

  offauth_demo_acquirer_stop (acquirer);
  g_assert_false (offauth_demo_acquirer_is_running (acquirer));
  assert_pid_gone (pid);
  down = health (service, &error);
  g_assert_null (down);
  g_assert_true (offauth_net_error_is_offline (error));
  g_clear_error (&error);
  /* Sales go on offline. */
  sell (service, OFFAUTH_DEMO_PAYER_RICH, 250);

  offauth_demo_acquirer_start_async (acquirer, offauth_demo_acquirer_get_port (acquirer), NULL,
                                     store_cb, &w);
  result = wait_result (&w);
  g_assert_true (offauth_demo_acquirer_start_finish (acquirer, result, &error));
  g_assert_no_error (error);
  g_assert_true (offauth_demo_acquirer_is_running (acquirer));
  g_assert_cmpstr (offauth_demo_acquirer_get_url (acquirer), ==, url);
  back = health (service, &error);
  g_assert_no_error (error);
  finalize_service (&service);
}

/* The payer with a low balance: approved offline, declined late at the sync (insufficient
 * funds, to retry); after "Top up demo payer", the next sync shows it settled. The rich
 * payer's sale settles at the first sync. */
static void
test_demo_late_decline (void)
{
  g_autoptr(OffauthService) service = _offauth_service_new (NULL, NULL, TRUE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SyncRun s = { 0 };
  guint64 rich, poor;
  const OffauthSaleInfo *info;
  const char *credential;
  Wait w = { 0 };

  wait_ready (service);
  rich = sell (service, OFFAUTH_DEMO_PAYER_RICH, 450);
  poor = sell (service, OFFAUTH_DEMO_PAYER_POOR, 450);

  sync_now (service, &s);
  g_assert_cmpint (find_sale (&s, rich)->state, ==, OFFAUTH_SALE_SETTLED);
  info = find_sale (&s, poor);
  g_assert_cmpint (info->state, ==, OFFAUTH_SALE_RETRY);
  g_assert_cmpint (info->reason, ==, OFFAUTH_SETTLE_INSUFFICIENT_FUNDS);
  g_assert_false (info->waiting);

  credential = offauth_demo_get_credential_path (_offauth_service_get_demo (service),
                                                 OFFAUTH_DEMO_PAYER_POOR);
  offauth_demo_acquirer_topup_async (demo_acquirer (service), credential, 5000, NULL, store_cb, &w);
  result = wait_result (&w);
  g_assert_true (offauth_demo_acquirer_topup_finish (demo_acquirer (service), result, &error));
  g_assert_no_error (error);

  sync_now (service, &s);
  g_assert_cmpint (find_sale (&s, poor)->state, ==, OFFAUTH_SALE_SETTLED);
  g_assert_cmpint (find_sale (&s, rich)->state, ==, OFFAUTH_SALE_SETTLED);
  sync_run_clear (&s);
  finalize_service (&service);
}

/* No acquirer to run: the demo sells offline, and says why. */
static void
test_demo_unavailable (void)
{
  g_autofree gchar *saved_dir = g_strdup (g_getenv ("TILL_DEMO_DIR"));
  g_autofree gchar *saved_acquirer = g_strdup (g_getenv ("TILL_ACQUIRER"));
  g_autofree gchar *dir = g_build_filename (saved_dir, "offline", NULL);
  g_autoptr(OffauthService) service = NULL;
  OffauthDemo *demo;

  g_setenv ("TILL_DEMO_DIR", dir, TRUE);
  g_setenv ("TILL_ACQUIRER", "/bin/false", TRUE);
  service = _offauth_service_new (NULL, NULL, TRUE);
  g_setenv ("TILL_DEMO_DIR", saved_dir, TRUE);
  g_setenv ("TILL_ACQUIRER", saved_acquirer, TRUE);
  wait_ready (service);
  demo = _offauth_service_get_demo (service);
  g_assert_nonnull (offauth_demo_get_acquirer_error (demo));
  g_test_message ("offline only: %s", offauth_demo_get_acquirer_error (demo));
  g_assert_false (offauth_demo_acquirer_is_running (offauth_demo_get_acquirer (demo)));
  g_assert_null (offauth_service_get_acquirer (service));
  sell (service, OFFAUTH_DEMO_PAYER_RICH, 300);
  sell (service, OFFAUTH_DEMO_PAYER_POOR, 300);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Where the program is found: TILL_ACQUIRER (empty: nowhere), else beside the build tree's
 * plugin. */
static void
test_demo_find_program (void)
{
  g_autofree gchar *saved = g_strdup (g_getenv ("TILL_ACQUIRER"));
  g_autofree gchar *build = g_path_get_dirname (saved);
  g_autofree gchar *root = g_path_get_dirname (build);
  g_autofree gchar *plugin_dir = g_build_filename (root, "plugin", "offauth", NULL);
  g_autofree gchar *found = NULL;
  g_autofree gchar *expected = g_canonicalize_filename (saved, NULL);
  g_autofree gchar *none = NULL;

  g_setenv ("TILL_ACQUIRER", "", TRUE);
  none = offauth_demo_acquirer_find_program ();
  g_assert_null (none);
  g_unsetenv ("TILL_ACQUIRER");
  g_setenv ("TILL_PLUGIN_PATH", plugin_dir, TRUE);
  found = offauth_demo_acquirer_find_program ();
  g_unsetenv ("TILL_PLUGIN_PATH");
  g_setenv ("TILL_ACQUIRER", saved, TRUE);
  g_assert_cmpstr (found, ==, expected);
}

/* The app killed with SIGKILL: no time for dispose or shutdown; the kernel kills the child
 * (PR_SET_PDEATHSIG). The "app" is this program in its --app mode. */
static void
test_demo_app_killed (void)
{
  const char *argv[] = { self_path, "--app", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *dir = g_build_filename (g_getenv ("TILL_DEMO_DIR"), "app", NULL);
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *line = NULL;
  pid_t pid;

  /* A demo of its own: this process's services hold theirs. The app goes with this test
   * when an assertion ends it. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "TILL_DEMO_DIR", dir, TRUE);
  app = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app));
  /* Its messages ("# …") first. */
  do
    {
      g_free (line);
      line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  while (line != NULL && g_str_has_prefix (line, "#"));
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "acquirer "));
  pid = (pid_t) g_ascii_strtoll (line + strlen ("acquirer "), NULL, 10);
  g_assert_cmpint (pid, >, 0);
  g_assert_false (pid_gone (pid));

  g_subprocess_send_signal (app, SIGKILL);
  g_subprocess_wait (app, NULL, &error);
  g_assert_no_error (error);
  assert_pid_gone (pid);
  g_test_message ("the app killed, its acquirer %d is gone", (int) pid);
}

/* --app: a demo service in TILL_DEMO_DIR, its acquirer's pid on stdout, then it waits to be
 * killed. */
static int
run_app (void)
{
  g_autoptr(OffauthService) service = _offauth_service_new (NULL, NULL, TRUE);

  wait_ready (service);
  g_print ("acquirer %d\n", (int) acquirer_pid (service));
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *demo_dir = NULL;
  int status;

  self_path = argv[0];
  if (argc == 2 && strcmp (argv[1], "--app") == 0)
    return run_app ();

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("TILL_ACQUIRER") == NULL || *g_getenv ("TILL_ACQUIRER") == '\0')
    {
      g_print ("1..0 # SKIP TILL_ACQUIRER is not set\n");
      return 0;
    }
  demo_dir = g_dir_make_tmp ("till-demo-acquirer-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);

  g_test_add_func ("/DemoAcquirer/find-program", test_demo_find_program);
  g_test_add_func ("/DemoAcquirer/online", test_demo_online);
  g_test_add_func ("/DemoAcquirer/restart", test_demo_restart);
  g_test_add_func ("/DemoAcquirer/network", test_demo_network);
  g_test_add_func ("/DemoAcquirer/late-decline", test_demo_late_decline);
  g_test_add_func ("/DemoAcquirer/unavailable", test_demo_unavailable);
  g_test_add_func ("/DemoAcquirer/app-killed", test_demo_app_killed);
  status = g_test_run ();
  remove_tree (demo_dir);
  return status;
}
