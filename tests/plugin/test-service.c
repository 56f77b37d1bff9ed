/* test-service.c: the plugin's worker, service and settings, without a window.
 *
 * The worker's order (priority, then arrival; slices), the service's start (the open on the
 * worker, STARTING then READY or FAILED, calls made meanwhile), its calls on a real demo
 * terminal, and the move of terminal-db from the app's schema to the plugin's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "offauth-demo.h"
#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "offauth-testing-private.h"
#include "offauth-worker.h"

static GThread *main_thread;

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

static gchar *
make_tmp (void)
{
  g_autoptr(GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("till-service-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
iterate_until (gboolean *done)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!*done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*done);
}

/* The worker */

typedef struct
{
  GMutex     lock;
  GCond      cond;
  gboolean   started;    /* the first job runs */
  gboolean   open;       /* it may finish */
  GPtrArray *order;      /* names, in the order jobs ran */
  GThread   *thread;
  guint      slices;     /* slices left for "slices" */
  guint      pending;    /* tasks not yet completed */
} Run;

static void
run_init (Run *r)
{
  memset (r, 0, sizeof *r);
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->order = g_ptr_array_new_with_free_func (g_free);
}

static void
run_clear (Run *r)
{
  g_ptr_array_unref (r->order);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

static void
run_record (Run        *r,
            const char *name)
{
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->order, g_strdup (name));
  r->thread = g_thread_self ();
  g_mutex_unlock (&r->lock);
}

/* Records name, says the worker is busy and holds it until run_open(). */
static void
gate_wait (Run        *r,
           const char *name)
{
  run_record (r, name);
  g_mutex_lock (&r->lock);
  r->started = TRUE;
  g_cond_broadcast (&r->cond);
  while (!r->open)
    g_cond_wait (&r->cond, &r->lock);
  g_mutex_unlock (&r->lock);
}

static gboolean
gate_job (OffauthWorker   *worker,
          OffauthTerminal *terminal,
          GTask           *task,
          gpointer         user_data)
{
  gate_wait (user_data, g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
  return FALSE;
}

static gboolean
named_job (OffauthWorker   *worker,
           OffauthTerminal *terminal,
           GTask           *task,
           gpointer         user_data)
{
  run_record (user_data, g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
  return FALSE;
}

/* A long background task in slices: each slice is recorded, the task completes after the
 * last. The first slice holds until the test lets it go, as gate_job does. */
static gboolean
slice_job (OffauthWorker   *worker,
           OffauthTerminal *terminal,
           GTask           *task,
           gpointer         user_data)
{
  Run *r = user_data;
  gboolean first;

  g_mutex_lock (&r->lock);
  first = !r->started;
  g_mutex_unlock (&r->lock);
  if (first)
    gate_wait (r, g_task_get_task_data (task));
  else
    run_record (r, g_task_get_task_data (task));
  if (--r->slices > 0)
    return TRUE;
  g_task_return_boolean (task, TRUE);
  return FALSE;
}

static void
job_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *r = user_data;

  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (g_task_propagate_boolean (G_TASK (result), NULL));
  r->pending--;
}

static void
push (OffauthWorker        *worker,
      Run                  *r,
      OffauthWorkerPriority priority,
      const char           *name,
      OffauthWorkerFunc     func)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, job_done_cb, r);

  g_task_set_task_data (task, g_strdup (name), g_free);
  r->pending++;
  offauth_worker_push (worker, priority, task, func, r);
}

static void
run_wait_started (Run *r)
{
  g_mutex_lock (&r->lock);
  while (!r->started)
    g_cond_wait (&r->cond, &r->lock);
  g_mutex_unlock (&r->lock);
}

static void
run_open (Run *r)
{
  g_mutex_lock (&r->lock);
  r->open = TRUE;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
}

static void
run_finish (Run *r)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (r->pending > 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (r->pending, ==, 0);
}

static gchar *
run_order (Run *r)
{
  g_ptr_array_add (r->order, NULL);
  return g_strjoinv (" ", (gchar **) r->order->pdata);
}

/* Whatever waits, a sale goes first, then status, then background work; the job that
 * runs finishes first. */
static void
test_worker_priority (void)
{
  g_autoptr(OffauthWorker) worker = offauth_worker_new ();
  g_autofree gchar *order = NULL;
  Run r;

  run_init (&r);
  push (worker, &r, OFFAUTH_WORKER_BACKGROUND, "long", gate_job);
  run_wait_started (&r);
  push (worker, &r, OFFAUTH_WORKER_BACKGROUND, "upload", named_job);
  push (worker, &r, OFFAUTH_WORKER_STATUS, "status", named_job);
  push (worker, &r, OFFAUTH_WORKER_SALE, "sale", named_job);
  run_open (&r);
  run_finish (&r);
  order = run_order (&r);
  g_assert_cmpstr (order, ==, "long sale status upload");
  g_assert_true (r.thread != main_thread);
  run_clear (&r);
}

/* Within a priority, jobs run in the order they came. */
static void
test_worker_fifo (void)
{
  g_autoptr(OffauthWorker) worker = offauth_worker_new ();
  g_autofree gchar *order = NULL;
  Run r;

  run_init (&r);
  push (worker, &r, OFFAUTH_WORKER_SALE, "gate", gate_job);
  run_wait_started (&r);
  push (worker, &r, OFFAUTH_WORKER_STATUS, "s1", named_job);
  push (worker, &r, OFFAUTH_WORKER_SALE, "a1", named_job);
  push (worker, &r, OFFAUTH_WORKER_STATUS, "s2", named_job);
  push (worker, &r, OFFAUTH_WORKER_SALE, "a2", named_job);
  push (worker, &r, OFFAUTH_WORKER_SALE, "a3", named_job);
  push (worker, &r, OFFAUTH_WORKER_STATUS, "s3", named_job);
  run_open (&r);
  run_finish (&r);
  order = run_order (&r);
  g_assert_cmpstr (order, ==, "gate a1 a2 a3 s1 s2 s3");
  run_clear (&r);
}

/* A sale that arrives during a long background task waits for one slice, not the task. */
static void
test_worker_slices (void)
{
  g_autoptr(OffauthWorker) worker = offauth_worker_new ();
  g_autofree gchar *order = NULL;
  Run r;

  run_init (&r);
  r.slices = 4;
  push (worker, &r, OFFAUTH_WORKER_BACKGROUND, "slice", slice_job);
  run_wait_started (&r);
  /* While the first slice runs. */
  push (worker, &r, OFFAUTH_WORKER_BACKGROUND, "later", named_job);
  push (worker, &r, OFFAUTH_WORKER_SALE, "sale", named_job);
  run_open (&r);
  run_finish (&r);
  order = run_order (&r);
  /* The sale right after the slice that ran; the next slice queues behind "later". */
  g_assert_cmpstr (order, ==, "slice sale later slice slice slice");
  run_clear (&r);
}

/* A job whose task was cancelled before its turn does not run. */
static void
test_worker_cancelled (void)
{
  g_autoptr(OffauthWorker) worker = offauth_worker_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GTask) task = NULL;
  g_autofree gchar *order = NULL;
  Run r;

  run_init (&r);
  push (worker, &r, OFFAUTH_WORKER_SALE, "gate", gate_job);
  run_wait_started (&r);
  task = g_task_new (NULL, cancellable, NULL, NULL);
  g_task_set_task_data (task, g_strdup ("cancelled"), g_free);
  offauth_worker_push (worker, OFFAUTH_WORKER_SALE, task, named_job, &r);
  g_cancellable_cancel (cancellable);
  push (worker, &r, OFFAUTH_WORKER_SALE, "after", named_job);
  run_open (&r);
  run_finish (&r);
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (g_task_propagate_boolean (task, NULL));
  order = run_order (&r);
  g_assert_cmpstr (order, ==, "gate after");
  run_clear (&r);
}

/* The service */

/* A demo folder with an enrolled terminal, made as the demo makes it, plus n stored sales. */
static gchar *
make_demo (const char *dir,
           guint64     n_sales)
{
  g_autoptr(OffauthDemo) demo = offauth_demo_new (dir);
  g_autoptr(OffauthTerminal) terminal = NULL;
  g_autoptr(GError) error = NULL;

  terminal = offauth_demo_open (demo, &error);
  g_assert_no_error (error);
  if (n_sales > 0)
    {
      g_assert_true (_offauth_terminal_fill_settled (terminal, n_sales, &error));
      g_assert_no_error (error);
    }
  return g_strdup (offauth_demo_get_db_path (demo));
}

static GSettings *
plugin_settings (const char *db_path)
{
  GSettings *settings = g_settings_new (OFFAUTH_SETTINGS_SCHEMA_ID);

  if (db_path != NULL)
    g_settings_set_string (settings, "terminal-db", db_path);
  else
    g_settings_reset (settings, "terminal-db");
  return settings;
}

static void
wait_state (OffauthService     *service,
            OffauthServiceState state)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (offauth_service_get_state (service), ==, state);
}

static gboolean
tick_cb (gpointer user_data)
{
  OffauthService *service = user_data;
  guint *ticks = g_object_get_data (G_OBJECT (service), "ticks");

  if (offauth_service_get_state (service) == OFFAUTH_SERVICE_STARTING)
    (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static void
notify_main_thread_cb (GObject    *object,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  GPtrArray *seen = user_data;

  g_assert_true (g_thread_self () == main_thread);
  g_ptr_array_add (seen, g_strdup (pspec->name));
}

typedef struct
{
  gboolean            done;
  OffauthServiceState state_then;
  gchar              *text;
  OffauthReason       reason;
  GError             *error;
} Call;

static void
requested_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *c = user_data;

  c->state_then = offauth_service_get_state (OFFAUTH_SERVICE (source));
  c->text = offauth_service_request_finish (OFFAUTH_SERVICE (source), result, &c->reason, &c->error);
  c->done = TRUE;
}

/* A terminal with a long journal opens on the worker: the service returns at once in
 * STARTING, the main loop runs while the journal is checked, then READY with a status;
 * the properties are notified on the main thread. A request made meanwhile completes
 * after the open. */
static void
test_service_open (void)
{
  g_autofree gchar *dir = make_tmp ();
  g_autofree gchar *db = make_demo (dir, 50000);
  g_autoptr(GSettings) settings = plugin_settings (db);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(OffauthService) service = NULL;
  OffauthTerminalStatus *status = NULL;
  OffauthServiceState state;
  guint ticks = 0, tick_id;
  gint64 t0 = g_get_monotonic_time (), created;
  Call c = { 0 };

  service = _offauth_service_new (NULL, settings, FALSE);
  created = g_get_monotonic_time () - t0;
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_STARTING);
  g_assert_cmpint (offauth_service_get_status (service)->state, ==, OFFAUTH_REASON_NOT_ENROLLED);
  g_assert_cmpstr (offauth_service_get_db_path (service), ==, db);
  g_assert_null (offauth_service_get_error (service));
  g_assert_false (offauth_service_is_demo (service));
  g_signal_connect (service, "notify", G_CALLBACK (notify_main_thread_cb), seen);
  g_object_set_data (G_OBJECT (service), "ticks", &ticks);
  tick_id = g_timeout_add (1, tick_cb, service);
  offauth_service_request_async (service, 450, "EUR", NULL, requested_cb, &c);

  wait_state (service, OFFAUTH_SERVICE_READY);
  g_test_message ("service created in %.1f ms; READY after %.1f ms, %u main loop ticks while STARTING",
                  created / 1000.0, (g_get_monotonic_time () - t0) / 1000.0, ticks);
  g_source_remove (tick_id);
  g_assert_cmpuint (ticks, >, 0);
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "state", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "status", g_str_equal, NULL));
  g_object_get (service, "state", &state, "status", &status, NULL);
  g_assert_cmpint (state, ==, OFFAUTH_SERVICE_READY);
  g_assert_true (status->enrolled);
  g_assert_cmpuint (status->n_sales, ==, 50000);
  g_boxed_free (OFFAUTH_TYPE_TERMINAL_STATUS, status);
  g_assert_cmpuint (offauth_service_get_status (service)->n_sales, ==, 50000);

  iterate_until (&c.done);
  g_assert_cmpint (c.state_then, ==, OFFAUTH_SERVICE_READY);
  g_assert_no_error (c.error);
  /* 50,000 sales wait to be uploaded: above the cap, the terminal refuses, as it should. */
  g_assert_null (c.text);
  g_assert_cmpint (c.reason, !=, OFFAUTH_REASON_NONE);
  g_assert_cmpint (c.reason, ==, offauth_service_get_status (service)->state);

  g_clear_object (&service);
  remove_tree (dir);
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Call *c = user_data;

  c->state_then = offauth_service_get_state (OFFAUTH_SERVICE (source));
  offauth_service_verify_finish (OFFAUTH_SERVICE (source), result, &c->error);
  c->done = TRUE;
}

/* No database: FAILED, with an error that says how to enrol; calls made while STARTING
 * are refused as by an unenrolled terminal. */
static void
test_service_missing (void)
{
  g_autofree gchar *dir = make_tmp ();
  g_autofree gchar *db = g_build_filename (dir, "nobody-enrolled.db", NULL);
  g_autoptr(GSettings) settings = plugin_settings (db);
  g_autoptr(OffauthService) service = _offauth_service_new (NULL, settings, FALSE);
  g_autofree gchar *error = NULL;
  Call request = { 0 }, verify = { 0 };

  offauth_service_request_async (service, 450, "EUR", NULL, requested_cb, &request);
  offauth_service_verify_async (service, NULL, verified_cb, &verify);
  wait_state (service, OFFAUTH_SERVICE_FAILED);
  g_object_get (service, "error", &error, NULL);
  g_assert_nonnull (strstr (error, "not enrolled"));
  g_assert_nonnull (strstr (error, db));
  g_assert_cmpint (offauth_service_get_status (service)->state, ==, OFFAUTH_REASON_NOT_ENROLLED);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));

  iterate_until (&request.done);
  g_assert_cmpint (request.state_then, ==, OFFAUTH_SERVICE_FAILED);
  g_assert_no_error (request.error);
  g_assert_null (request.text);
  g_assert_cmpint (request.reason, ==, OFFAUTH_REASON_NOT_ENROLLED);
  iterate_until (&verify.done);
  g_assert_error (verify.error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&verify.error);

  g_clear_object (&service);
  remove_tree (dir);
}

/* A file that is not a terminal: FAILED, with the engine's error. */
static void
test_service_broken (void)
{
  g_autofree gchar *dir = make_tmp ();
  g_autofree gchar *db = g_build_filename (dir, "terminal.db", NULL);
  g_autoptr(GSettings) settings = plugin_settings (db);
  g_autoptr(OffauthService) service = NULL;

  g_assert_true (g_file_set_contents (db, "not a database, not at all, no", -1, NULL));
  service = _offauth_service_new (NULL, settings, FALSE);
  wait_state (service, OFFAUTH_SERVICE_FAILED);
  g_assert_nonnull (offauth_service_get_error (service));
  g_test_message ("error: %s", offauth_service_get_error (service));
  g_clear_object (&service);
  remove_tree (dir);
}

typedef struct
{
  gboolean        done;
  gchar          *text;
  OffauthDecision decision;
  gboolean        ok;
  GError         *error;
} Pay;

static void
paid_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pay *p = user_data;

  p->text = offauth_service_demo_pay_finish (OFFAUTH_SERVICE (source), result, &p->error);
  p->done = TRUE;
}

static void
authorized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pay *p = user_data;

  p->ok = offauth_service_authorize_finish (OFFAUTH_SERVICE (source), result, &p->decision, &p->error);
  p->done = TRUE;
}

static void
clock_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Pay *p = user_data;

  p->ok = offauth_service_accept_clock_finish (OFFAUTH_SERVICE (source), result, &p->error);
  p->done = TRUE;
}

/* The demo sets itself up on the worker; a request, the demo's payer, the decision, the
 * clock and the journal check, each through the service. */
static void
test_service_demo (void)
{
  const char *dir = g_getenv ("TILL_DEMO_DIR");
  g_autoptr(OffauthService) service = NULL;
  g_autofree gchar *db = g_build_filename (dir, "terminal.db", NULL);
  OffauthSaleLine lines[] = { { "drinks", 300 }, { "food", 150 } };
  Call request = { 0 }, verify = { 0 };
  Pay pay = { 0 }, authorize = { 0 }, clock = { 0 };

  service = _offauth_service_new (NULL, NULL, TRUE);
  g_assert_true (offauth_service_is_demo (service));
  g_assert_cmpstr (offauth_service_get_db_path (service), ==, db);
  offauth_service_request_async (service, 450, "EUR", NULL, requested_cb, &request);
  iterate_until (&request.done);
  g_assert_cmpint (offauth_service_get_state (service), ==, OFFAUTH_SERVICE_READY);
  g_assert_no_error (request.error);
  g_assert_nonnull (request.text);

  offauth_service_demo_pay_async (service, OFFAUTH_DEMO_PAYER_RICH, request.text, NULL, paid_cb, &pay);
  iterate_until (&pay.done);
  g_assert_no_error (pay.error);
  g_assert_true (g_str_has_prefix (pay.text, "OA1P."));

  offauth_service_authorize_async (service, pay.text, lines, G_N_ELEMENTS (lines), NULL, NULL, NULL,
                                   authorized_cb, &authorize);
  iterate_until (&authorize.done);
  g_assert_true (authorize.ok);
  g_assert_true (authorize.decision.approved);
  g_assert_cmpuint (authorize.decision.amount, ==, 450);
  /* The callback finds the status the sale left. */
  g_assert_cmpuint (offauth_service_get_status (service)->unsettled_count, ==, 1);
  g_assert_cmpuint (offauth_service_get_status (service)->unsettled_total, ==, 450);

  offauth_service_accept_clock_async (service, NULL, clock_cb, &clock);
  iterate_until (&clock.done);
  g_test_message ("accept clock: %s", clock.ok ? "accepted" : clock.error->message);
  g_clear_error (&clock.error);

  offauth_service_verify_async (service, NULL, verified_cb, &verify);
  iterate_until (&verify.done);
  g_assert_no_error (verify.error);

  g_free (request.text);
  g_free (pay.text);
  g_clear_object (&service);
}

/* Settings */

typedef struct
{
  const char *old_value;     /* NULL: never set */
  const char *plugin_value;  /* NULL: never set */
  const char *expected;      /* the plugin's key afterwards */
} MigrateCase;

static const MigrateCase migrate_cases[] = {
  { "/srv/till/terminal.db", NULL, "/srv/till/terminal.db" },     /* moved */
  { "/srv/till/terminal.db", "/data/t.db", "/data/t.db" },        /* set since: kept */
  { NULL, NULL, "" },                                             /* nothing to move */
  { NULL, "/data/t.db", "/data/t.db" },
  { "", NULL, "" },                                               /* the default: nothing to move */
};

static void
test_settings_migrate (void)
{
  g_autoptr(GSettings) host = g_settings_new (SCHEMA_ID);
  g_autoptr(GSettings) settings = g_settings_new (OFFAUTH_SETTINGS_SCHEMA_ID);

  for (guint i = 0; i < G_N_ELEMENTS (migrate_cases); i++)
    {
      const MigrateCase *c = &migrate_cases[i];
      g_autofree gchar *value = NULL;
      g_autoptr(GVariant) old = NULL;

      g_settings_reset (host, "terminal-db");
      g_settings_reset (settings, "terminal-db");
      if (c->old_value != NULL)
        g_settings_set_string (host, "terminal-db", c->old_value);
      if (c->plugin_value != NULL)
        g_settings_set_string (settings, "terminal-db", c->plugin_value);
      offauth_settings_migrate (host, settings);
      value = g_settings_get_string (settings, "terminal-db");
      g_assert_cmpstr (value, ==, c->expected);
      old = g_settings_get_user_value (host, "terminal-db");
      g_assert_null (old);
      /* A second start moves nothing. */
      offauth_settings_migrate (host, settings);
      g_free (value);
      value = g_settings_get_string (settings, "terminal-db");
      g_assert_cmpstr (value, ==, c->expected);
    }
  g_settings_reset (settings, "terminal-db");
}

/* A kiosk that set the app's key still opens its terminal. */
static void
test_settings_migrated_service (void)
{
  g_autofree gchar *dir = make_tmp ();
  g_autofree gchar *db = make_demo (dir, 0);
  g_autoptr(GSettings) host = g_settings_new (SCHEMA_ID);
  g_autoptr(GSettings) settings = plugin_settings (NULL);
  g_autoptr(OffauthService) service = NULL;
  g_autofree gchar *moved = NULL;

  g_settings_set_string (host, "terminal-db", db);
  service = _offauth_service_new (host, settings, FALSE);
  g_assert_cmpstr (offauth_service_get_db_path (service), ==, db);
  moved = g_settings_get_string (settings, "terminal-db");
  g_assert_cmpstr (moved, ==, db);
  wait_state (service, OFFAUTH_SERVICE_READY);
  g_assert_true (offauth_service_get_status (service)->enrolled);
  g_clear_object (&service);
  g_settings_reset (settings, "terminal-db");
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *demo_dir = make_tmp ();
  int rc;

  /* Before any thread starts: the demo reads its folder from the environment. */
  g_setenv ("TILL_DEMO_DIR", demo_dir, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/Offauth/Worker/priority", test_worker_priority);
  g_test_add_func ("/Offauth/Worker/fifo", test_worker_fifo);
  g_test_add_func ("/Offauth/Worker/slices", test_worker_slices);
  g_test_add_func ("/Offauth/Worker/cancelled", test_worker_cancelled);
  g_test_add_func ("/Offauth/Service/open", test_service_open);
  g_test_add_func ("/Offauth/Service/missing", test_service_missing);
  g_test_add_func ("/Offauth/Service/broken", test_service_broken);
  g_test_add_func ("/Offauth/Service/demo", test_service_demo);
  g_test_add_func ("/Offauth/Settings/migrate", test_settings_migrate);
  g_test_add_func ("/Offauth/Settings/migrated-service", test_settings_migrated_service);
  rc = g_test_run ();
  remove_tree (demo_dir);
  return rc;
}
