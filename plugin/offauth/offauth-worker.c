/* offauth-worker.c: the one thread that calls the engine, with priorities.
 *
 * The engine is synchronous and a terminal is used from one thread at a time: every job
 * runs on one exclusive thread of a GThreadPool, in the order a sort function gives the
 * queue (priority, then arrival), as Builder's ide_thread_pool_push_with_priority does.
 * Work that could hold a sale back (a long background task) comes in slices that queue
 * themselves again; work that needs no lock (network I/O) happens on the main loop between
 * two jobs, never in one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include "offauth-worker.h"

struct _OffauthWorker
{
  GObject          parent_instance;

  GThreadPool     *pool;       /* one exclusive thread */
  GMutex           push_lock;  /* numbers and pushes jobs together, so FIFO holds */
  guint64          next_seq;
  GThread         *thread;     /* the pool's thread, once a job ran */
  OffauthTerminal *terminal;   /* the worker thread's only */
};

G_DEFINE_FINAL_TYPE (OffauthWorker, offauth_worker, G_TYPE_OBJECT)

typedef struct
{
  OffauthWorkerPriority priority;
  guint64               seq;
  GTask                *task;
  OffauthWorkerFunc     func;
  gpointer              user_data;
} OffauthWorkerJob;

static gboolean
offauth_worker_unref_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
offauth_worker_job_free (OffauthWorkerJob *job)
{
  GSource *source = g_idle_source_new ();

  /* The task may hold the last reference to its source object, which may own this worker:
   * let go of it on the task's context, never on the worker's thread (it would join
   * itself). */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, offauth_worker_unref_cb, job->task, NULL);
  g_source_set_static_name (source, "[offauth] job done");
  g_source_attach (source, g_task_get_context (job->task));
  g_source_unref (source);
  g_free (job);
}

static gint
offauth_worker_compare_cb (gconstpointer a,
                           gconstpointer b,
                           gpointer      user_data)
{
  const OffauthWorkerJob *x = a, *y = b;

  if (x->priority != y->priority)
    return x->priority < y->priority ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
offauth_worker_enqueue (OffauthWorker    *self,
                        OffauthWorkerJob *job)
{
  g_mutex_lock (&self->push_lock);
  job->seq = self->next_seq++;
  g_thread_pool_push (self->pool, job, NULL);
  g_mutex_unlock (&self->push_lock);
}

static void
offauth_worker_run_cb (gpointer data,
                       gpointer user_data)
{
  OffauthWorker *self = user_data;
  OffauthWorkerJob *job = data;

  self->thread = g_thread_self ();
  if (!g_task_return_error_if_cancelled (job->task) &&
      job->func (self, self->terminal, job->task, job->user_data))
    {
      /* Another slice, behind what waits at its priority and above. */
      offauth_worker_enqueue (self, job);
      return;
    }
  offauth_worker_job_free (job);
}

static void
offauth_worker_finalize (GObject *object)
{
  OffauthWorker *self = OFFAUTH_WORKER (object);

  /* A job must not drop the last reference: the pool would wait for itself. */
  g_assert (self->thread == NULL || self->thread != g_thread_self ());
  /* Runs what is queued, then joins the thread. */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_clear_pointer (&self->terminal, offauth_terminal_free);
  g_mutex_clear (&self->push_lock);
  G_OBJECT_CLASS (offauth_worker_parent_class)->finalize (object);
}

static void
offauth_worker_class_init (OffauthWorkerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = offauth_worker_finalize;
}

static void
offauth_worker_init (OffauthWorker *self)
{
  g_autoptr(GError) error = NULL;

  g_mutex_init (&self->push_lock);
  self->pool = g_thread_pool_new (offauth_worker_run_cb, self, 1, TRUE, &error);
  /* An exclusive pool starts its thread now; a process that cannot start one is broken. */
  if (self->pool == NULL)
    g_error ("Cannot start the offline terminal's worker thread: %s", error->message);
  g_thread_pool_set_sort_function (self->pool, offauth_worker_compare_cb, NULL);
}

OffauthWorker *
offauth_worker_new (void)
{
  return g_object_new (OFFAUTH_TYPE_WORKER, NULL);
}

void
offauth_worker_push (OffauthWorker         *self,
                     OffauthWorkerPriority  priority,
                     GTask                 *task,
                     OffauthWorkerFunc      func,
                     gpointer               user_data)
{
  OffauthWorkerJob *job;

  g_return_if_fail (OFFAUTH_IS_WORKER (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (func != NULL);
  g_return_if_fail (priority <= OFFAUTH_WORKER_BACKGROUND);

  job = g_new0 (OffauthWorkerJob, 1);
  job->priority = priority;
  job->task = g_object_ref (task);
  job->func = func;
  job->user_data = user_data;
  offauth_worker_enqueue (self, job);
}

void
offauth_worker_set_terminal (OffauthWorker   *self,
                             OffauthTerminal *terminal)
{
  g_return_if_fail (OFFAUTH_IS_WORKER (self));
  g_return_if_fail (self->thread == g_thread_self ());

  if (self->terminal != terminal)
    g_clear_pointer (&self->terminal, offauth_terminal_free);
  self->terminal = terminal;
}
