/* offauth-service-online.c: a sale's decision: offline on the worker, then online when it may.
 *
 * PROTOCOL.md, "Online authorization": a payment the offline rules refuse only for a limit,
 * the floor limit or stale revocation data may be authorized online by the pinned acquirer.
 * Three steps, of which only the first and the last touch the engine:
 *   1. a SALE job: the offline decision, and when it may go online (the kiosk online, an
 *      acquirer pinned) the online request O, built in the same job;
 *   2. on the main loop: O sent with the acquirer's client, a timer of the terminal's online
 *      timeout started at the send (monotonic clock); no job waits on the network;
 *   3. a SALE job: the acquirer's decision D applied with the time it took.
 * Anything but an answer the engine applies (no answer in time, a transport error, an answer
 * that does not verify) leaves the offline decision: the caller gets one decision, never
 * both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include "offauth-online.h"
#include "offauth-service-private.h"

typedef struct
{
  gchar                        *text;
  GStrv                         categories;
  GArray                       *lines;         /* OffauthSaleLine pointing into categories */
  gboolean                      may_go_online; /* online and paired when the call was made */
  OffauthDecision               decision;      /* the offline decision, then the one to show */
  OffauthAuthorizeProgressFunc  progress;
  gpointer                      progress_data;

  /* The online step (main thread, but request and answer are read by the jobs) */
  gchar                        *request;       /* O, when the decision may go online */
  guint64                       timeout_ms;
  gint64                        sent_at;       /* monotonic, µs */
  guint64                       elapsed_ms;
  gchar                        *answer;        /* D's text, as it came */
  GCancellable                 *http_cancellable;
  gulong                        cancelled_id;
  GSource                      *timer;
  gboolean                      done;          /* the outer task returned */
} OffauthServiceAuthorize;

static void
offauth_service_authorize_free (OffauthServiceAuthorize *d)
{
  g_assert (d->timer == NULL);
  g_free (d->text);
  g_strfreev (d->categories);
  g_array_unref (d->lines);
  g_free (d->request);
  g_free (d->answer);
  g_clear_object (&d->http_cancellable);
  g_free (d);
}

/* Step 1, on the worker */

static gboolean
offauth_service_authorize_run (OffauthService  *self,
                               OffauthTerminal *terminal,
                               gpointer         data,
                               GError         **error)
{
  OffauthServiceAuthorize *d = data;
  const OffauthSaleLine *lines = (const OffauthSaleLine *) (gpointer) d->lines->data;
  g_autoptr(GError) local = NULL;

  offauth_terminal_authorize (terminal, d->text, -1, lines, d->lines->len, &d->decision);
  if (!d->may_go_online || d->decision.approved || !offauth_reason_allows_online (d->decision.reason))
    return TRUE;
  d->timeout_ms = offauth_terminal_online_timeout (terminal);
  d->request = offauth_terminal_online_request (terminal, d->text, -1, lines, d->lines->len,
                                                &d->decision, &local);
  if (d->request == NULL)
    g_message ("Offline payments: not authorized online: %s", local->message);
  return TRUE;
}

static const OffauthServiceCall authorize_call = { OFFAUTH_WORKER_SALE, offauth_service_authorize_run };

/* Step 3, on the worker */

static gboolean
offauth_service_apply_run (OffauthService  *self,
                           OffauthTerminal *terminal,
                           gpointer         data,
                           GError         **error)
{
  OffauthServiceAuthorize *d = data;
  g_autoptr(GError) local = NULL;
  OffauthDecision online;

  if (offauth_terminal_online_apply (terminal, d->request, d->answer, -1, d->elapsed_ms,
                                     &online, &local))
    d->decision = online;
  else
    g_message ("Offline payments: the online decision was discarded, the offline decision "
               "stands: %s", local->message);
  return TRUE;
}

static const OffauthServiceCall apply_call = { OFFAUTH_WORKER_SALE, offauth_service_apply_run };

/* The outer task returns once, with the decision it holds then. */
static void
offauth_service_authorize_return (GTask *task)
{
  OffauthServiceAuthorize *d = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (!d->done);
  d->done = TRUE;
  if (d->timer != NULL)
    {
      g_source_destroy (d->timer);
      g_clear_pointer (&d->timer, g_source_unref);
    }
  if (d->cancelled_id != 0)
    {
      g_cancellable_disconnect (cancellable, d->cancelled_id);
      d->cancelled_id = 0;
    }
  g_task_return_boolean (task, TRUE);
}

/* An inner task: one job of the call path, its data the outer task's. */
static void
offauth_service_authorize_push (GTask                    *task,
                                const OffauthServiceCall *call,
                                GCancellable             *cancellable,
                                GAsyncReadyCallback       callback)
{
  OffauthService *self = g_task_get_source_object (task);
  g_autoptr(GTask) job = g_task_new (self, cancellable, callback, g_object_ref (task));

  g_task_set_source_tag (job, offauth_service_authorize_push);
  g_task_set_task_data (job, g_task_get_task_data (task), NULL);
  _offauth_service_call (self, job, call);
}

static void
offauth_service_applied_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The job itself never fails; the terminal may have closed since (then the offline
   * decision stands, as for any other failure of the online step). */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_message ("Offline payments: the online decision was not applied: %s", error->message);
  offauth_service_authorize_return (task);
}

/* Step 2's end: an answer, a transport error, or the cancellation of the timer's. */
static void
offauth_service_answered_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OffauthServiceAuthorize *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *answer = NULL;
  gint64 now = g_get_monotonic_time ();

  answer = offauth_acquirer_client_authorize_finish (OFFAUTH_ACQUIRER_CLIENT (source), result, &error);
  if (d->done)
    return;   /* timed out: the offline decision went back already */
  d->elapsed_ms = (guint64) (now - d->sent_at) / 1000;
  if (answer == NULL)
    {
      g_message ("Offline payments: no online decision after %" G_GUINT64_FORMAT " ms, the "
                 "offline decision stands: %s", d->elapsed_ms, error->message);
      offauth_service_authorize_return (task);
      return;
    }
  /* The answer is in: the timer's work is done, the engine judges the time it took. */
  g_source_destroy (d->timer);
  g_clear_pointer (&d->timer, g_source_unref);
  d->answer = g_steal_pointer (&answer);
  offauth_service_authorize_push (task, &apply_call, NULL, offauth_service_applied_cb);
}

static gboolean
offauth_service_online_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  OffauthServiceAuthorize *d = g_task_get_task_data (task);

  g_message ("Offline payments: no online decision within %" G_GUINT64_FORMAT " ms, the "
             "offline decision stands", d->timeout_ms);
  g_cancellable_cancel (d->http_cancellable);
  offauth_service_authorize_return (task);
  return G_SOURCE_REMOVE;
}

static gboolean
offauth_service_abandon_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* The caller gave up (on any thread): the request is abandoned from the main loop, where
 * its callback may run at once (not inside this handler, which the cancellable's
 * disconnect would wait for); the offline decision stands. */
static void
offauth_service_caller_cancelled_cb (GCancellable *cancellable,
                                     gpointer      user_data)
{
  GTask *task = user_data;
  OffauthServiceAuthorize *d = g_task_get_task_data (task);
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, offauth_service_abandon_cb, g_object_ref (d->http_cancellable),
                         g_object_unref);
  g_source_set_static_name (idle, "[offauth] online abandoned");
  g_source_attach (idle, g_task_get_context (task));
  g_source_unref (idle);
}

static void
offauth_service_send_online (GTask                 *task,
                             OffauthAcquirerClient *client)
{
  OffauthService *self = g_task_get_source_object (task);
  OffauthServiceAuthorize *d = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (d->progress != NULL)
    d->progress (self, OFFAUTH_AUTHORIZE_CHECKING_ONLINE, d->timeout_ms, d->progress_data);
  d->http_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    d->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (offauth_service_caller_cancelled_cb),
                                             task, NULL);
  d->timer = g_timeout_source_new ((guint) d->timeout_ms);
  g_source_set_callback (d->timer, offauth_service_online_timeout_cb, g_object_ref (task), g_object_unref);
  g_source_set_static_name (d->timer, "[offauth] online timeout");
  g_source_attach (d->timer, g_task_get_context (task));
  d->sent_at = g_get_monotonic_time ();
  offauth_acquirer_client_authorize_async (client, d->request, d->http_cancellable,
                                           offauth_service_answered_cb, g_object_ref (task));
}

/* Step 1's end, on the main thread. */
static void
offauth_service_decided_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OffauthService *self = g_task_get_source_object (task);
  OffauthServiceAuthorize *d = g_task_get_task_data (task);
  OffauthAcquirerClient *client = offauth_service_get_acquirer (self);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Not open: declined as an unenrolled terminal declines. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED))
        {
          d->done = TRUE;
          g_task_return_error (task, error);
          return;
        }
      g_error_free (error);
      memset (&d->decision, 0, sizeof d->decision);
      d->decision.reason = OFFAUTH_REASON_NOT_ENROLLED;
      offauth_service_authorize_return (task);
      return;
    }
  /* Online and paired again now: either may have changed while the job ran. */
  if (d->request == NULL || client == NULL || !offauth_service_get_online (self) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      offauth_service_authorize_return (task);
      return;
    }
  offauth_service_send_online (task, client);
}

void
offauth_service_authorize_async (OffauthService               *self,
                                 const char                   *payment_text,
                                 const OffauthSaleLine        *lines,
                                 gsize                         n_lines,
                                 OffauthAuthorizeProgressFunc  progress,
                                 gpointer                      progress_data,
                                 GCancellable                 *cancellable,
                                 GAsyncReadyCallback           callback,
                                 gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;
  OffauthServiceAuthorize *d;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));
  g_return_if_fail (payment_text != NULL);
  g_return_if_fail (lines != NULL || n_lines == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_authorize_async);
  /* Once the terminal decided, a cancellation must not hide its decision. */
  g_task_set_check_cancellable (task, FALSE);
  d = g_new0 (OffauthServiceAuthorize, 1);
  d->text = g_strdup (payment_text);
  d->categories = g_new0 (gchar *, n_lines + 1);
  d->lines = g_array_sized_new (FALSE, FALSE, sizeof (OffauthSaleLine), (guint) n_lines);
  for (gsize i = 0; i < n_lines; i++)
    {
      OffauthSaleLine line = { d->categories[i] = g_strdup (lines[i].category), lines[i].amount };

      g_array_append_val (d->lines, line);
    }
  d->may_go_online = offauth_service_get_online (self) && offauth_service_get_acquirer (self) != NULL;
  d->progress = progress;
  d->progress_data = progress_data;
  g_task_set_task_data (task, d, (GDestroyNotify) offauth_service_authorize_free);
  offauth_service_authorize_push (task, &authorize_call, cancellable, offauth_service_decided_cb);
}

gboolean
offauth_service_authorize_finish (OffauthService   *self,
                                  GAsyncResult     *result,
                                  OffauthDecision  *decision,
                                  GError          **error)
{
  OffauthServiceAuthorize *d = g_task_get_task_data (G_TASK (result));

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_authorize_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *decision = d->decision;
  return TRUE;
}
