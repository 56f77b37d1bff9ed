/* offauth-uploader.c: the kiosk online: probes the acquirer and uploads the sales by itself.
 *
 * Connectivity is GNetworkMonitor's can_reach on the acquirer's address (its "network
 * available" is FALSE for a loopback acquirer) and then the acquirer's health probe, each
 * within the health timeout. A sync runs on reconnect, a few seconds after a new offline
 * sale while online (batched), on the sync interval and on "Sync now"; one at a time, with
 * back-off and jitter after failures. Its engine work (start, build a request, apply an
 * answer, load the trust data) runs as background jobs on the service's worker, so that a
 * sale waits for one slice at most; the HTTP requests run from the main loop between
 * those jobs and hold no engine lock. The OffauthSync lives between the jobs and is
 * touched on the worker only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "offauth-uploader.h"

/* A request carries at most this many rows: building one is a worker slice, and a sale
 * waits for one slice at most. */
#define UPLOAD_MAX_RECORDS  100
#define UPLOAD_MAX_BYTES    (1024 * 1024)
/* A new sale while online is uploaded after this many seconds, with those that follow. */
#define UPLOAD_BATCH_DELAY  3
/* Back-off after a failure: from this many seconds, doubling, up to the sync interval. */
#define BACKOFF_FIRST       5

struct _OffauthUploader
{
  GObject           parent_instance;

  OffauthService   *service;
  GSettings        *settings;       /* NULL: the defaults */
  GNetworkMonitor  *monitor;

  OffauthSyncState  state;
  guint64           uploading;
  gint64            last_sync;
  gchar            *stop_reason;
  guint64           late_count;
  guint64           late_total;
  gboolean          late_known;     /* counted once since the start */
  gboolean          verdicts_new;   /* this sync changed a sale: count the late declines */
  gboolean          pairing_problem;
  gboolean          refused_kiosk;  /* the last sync was answered 403 */
  guint64           wrong_terminal; /* sales declined as made for another terminal or scope */
  gboolean          work_offline;

  /* Inputs of the state */
  gboolean          probed;         /* a probe has answered, either way */
  gboolean          reachable;      /* ... and the acquirer answered it */
  gboolean          stopped;
  gboolean          probing;
  gboolean          syncing;
  gboolean          sync_again;     /* asked while a sync ran */
  gboolean          was_offline;    /* a reconnect: the drained queue is news */
  guint64           drained_count;  /* waiting when the reconnect's sync began */
  guint64           drained_total;
  guint64           last_unsettled; /* for "a new sale" */

  guint             failures;
  guint             max_records;    /* halved after a 413 */
  guint             interval_id;
  guint             batch_id;
  guint             backoff_id;
  guint             deadline_id;    /* the running request's timeout */
  GCancellable     *cancellable;    /* the running probe's or request's */
  gboolean          disposed;       /* callbacks still come, and do nothing */
  guint             n_jobs;         /* queued or running on the worker */

  /* The worker's: the sync between its jobs */
  OffauthSync      *sync;
};

G_DEFINE_FINAL_TYPE (OffauthUploader, offauth_uploader, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (OffauthSyncState, offauth_sync_state,
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_UNPAIRED, "unpaired"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_CHECKING, "checking"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_ONLINE, "online"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_UPLOADING, "uploading"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SYNC_STOPPED, "stopped"))

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_SYNC_STATE,
  PROP_UPLOADING,
  PROP_LAST_SYNC,
  PROP_STOP_REASON,
  PROP_LATE_DECLINES,
  PROP_LATE_DECLINES_TOTAL,
  PROP_PAIRING_PROBLEM,
  PROP_WORK_OFFLINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_NEWS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void offauth_uploader_check (OffauthUploader *self);
static void offauth_uploader_sync_start (OffauthUploader *self);

static guint
offauth_uploader_setting (OffauthUploader *self,
                          const char      *key,
                          guint            fallback)
{
  guint value = self->settings ? g_settings_get_uint (self->settings, key) : fallback;

  return value > 0 ? value : fallback;
}

static void
offauth_uploader_news (OffauthUploader    *self,
                       OffauthUploaderNews news,
                       guint64             count,
                       guint64             value)
{
  g_signal_emit (self, signals[SIGNAL_NEWS], 0, news, count, value);
}

/* The state follows from its inputs, in one place. */
static void
offauth_uploader_update_state (OffauthUploader *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);
  OffauthSyncState state;
  gboolean online;

  if (offauth_service_get_acquirer (self->service) == NULL)
    state = OFFAUTH_SYNC_UNPAIRED;
  else if (self->stopped)
    state = OFFAUTH_SYNC_STOPPED;
  else if (self->work_offline)
    state = OFFAUTH_SYNC_OFFLINE;
  else if (self->syncing && self->uploading > 0)
    state = OFFAUTH_SYNC_UPLOADING;
  else if (!self->probed)
    state = OFFAUTH_SYNC_CHECKING;
  else if (!self->reachable)
    state = OFFAUTH_SYNC_OFFLINE;
  else if (st->unsettled_count > 0)
    state = OFFAUTH_SYNC_WAITING;
  else
    state = OFFAUTH_SYNC_ONLINE;

  online = !self->work_offline && !self->stopped && self->reachable &&
           offauth_service_get_acquirer (self->service) != NULL;
  _offauth_service_set_online (self->service, online);
  if (state == self->state)
    return;
  g_debug ("Uploader: %s -> %s", g_enum_to_string (OFFAUTH_TYPE_SYNC_STATE, self->state),
           g_enum_to_string (OFFAUTH_TYPE_SYNC_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNC_STATE]);
}

static void
offauth_uploader_set_uploading (OffauthUploader *self,
                                guint64          rows)
{
  if (self->uploading == rows)
    return;
  self->uploading = rows;
  /* The state first: the pill reads both, and "Uploading · 0" is no state. */
  offauth_uploader_update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPLOADING]);
}

/* Timers */

static gboolean
offauth_uploader_interval_cb (gpointer user_data)
{
  offauth_uploader_check (user_data);
  return G_SOURCE_CONTINUE;
}

static void
offauth_uploader_restart_interval (OffauthUploader *self)
{
  g_clear_handle_id (&self->interval_id, g_source_remove);
  self->interval_id = g_timeout_add_seconds (offauth_uploader_setting (self, "sync-interval", 300),
                                             offauth_uploader_interval_cb, self);
}

static gboolean
offauth_uploader_backoff_cb (gpointer user_data)
{
  OffauthUploader *self = user_data;

  self->backoff_id = 0;
  offauth_uploader_check (self);
  return G_SOURCE_REMOVE;
}

/* After a failure: BACKOFF_FIRST doubling up to the interval, ±50 % so that kiosks that
 * lost the acquirer together do not come back together. */
static void
offauth_uploader_back_off (OffauthUploader *self)
{
  guint interval = offauth_uploader_setting (self, "sync-interval", 300);
  gdouble delay = BACKOFF_FIRST * (gdouble) (1u << MIN (self->failures, 16u));

  self->failures++;
  delay = MIN (delay, (gdouble) interval) * g_random_double_range (0.5, 1.5);
  g_clear_handle_id (&self->backoff_id, g_source_remove);
  self->backoff_id = g_timeout_add ((guint) (delay * 1000), offauth_uploader_backoff_cb, self);
}

static gboolean
offauth_uploader_batch_cb (gpointer user_data)
{
  OffauthUploader *self = user_data;

  self->batch_id = 0;
  offauth_uploader_sync_start (self);
  return G_SOURCE_REMOVE;
}

/* A network call's deadline: its cancellable is cancelled when the time is up. */

static gboolean
offauth_uploader_deadline_cb (gpointer user_data)
{
  OffauthUploader *self = user_data;

  self->deadline_id = 0;
  g_cancellable_cancel (self->cancellable);
  return G_SOURCE_REMOVE;
}

static GCancellable *
offauth_uploader_deadline_start (OffauthUploader *self,
                                 guint            seconds)
{
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  g_set_object (&self->cancellable, NULL);
  self->cancellable = g_cancellable_new ();
  self->deadline_id = g_timeout_add_seconds (seconds, offauth_uploader_deadline_cb, self);
  return self->cancellable;
}

static void
offauth_uploader_deadline_stop (OffauthUploader *self)
{
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  g_clear_object (&self->cancellable);
}

/* Connectivity: can_reach, then the health probe. */

static void
offauth_uploader_probed (OffauthUploader *self,
                         gboolean         reachable)
{
  gboolean reconnect = reachable && (!self->probed || !self->reachable);

  self->probing = FALSE;
  self->probed = TRUE;
  self->reachable = reachable;
  if (!reachable)
    self->was_offline = TRUE;
  offauth_uploader_update_state (self);
  if (!reachable)
    {
      offauth_uploader_back_off (self);
      return;
    }
  if (reconnect)
    g_debug ("Uploader: the acquirer answers");
  offauth_uploader_sync_start (self);
}

static void
offauth_uploader_health_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(OffauthUploader) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) health = NULL;

  health = offauth_acquirer_client_health_finish (OFFAUTH_ACQUIRER_CLIENT (source), result, &error);
  if (self->disposed)
    return;
  offauth_uploader_deadline_stop (self);
  if (health == NULL)
    g_debug ("Uploader: the health probe: %s", error->message);
  offauth_uploader_probed (self, health != NULL);
}

static void
offauth_uploader_reach_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(OffauthUploader) self = user_data;
  g_autoptr(GError) error = NULL;
  OffauthAcquirerClient *client;

  if (!g_network_monitor_can_reach_finish (G_NETWORK_MONITOR (source), result, &error))
    {
      if (self->disposed)
        return;
      offauth_uploader_deadline_stop (self);
      g_debug ("Uploader: the acquirer cannot be reached: %s", error->message);
      offauth_uploader_probed (self, FALSE);
      return;
    }
  if (self->disposed)
    return;
  client = offauth_service_get_acquirer (self->service);
  if (client == NULL)
    {
      self->probing = FALSE;
      offauth_uploader_update_state (self);
      return;
    }
  offauth_acquirer_client_health_async (client, self->cancellable, offauth_uploader_health_cb,
                                        g_object_ref (self));
}

/* Probes the acquirer, then syncs when it answers. */
static void
offauth_uploader_check (OffauthUploader *self)
{
  OffauthAcquirerClient *client = offauth_service_get_acquirer (self->service);
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  offauth_uploader_update_state (self);
  if (client == NULL || self->stopped || self->work_offline || self->probing || self->syncing ||
      offauth_service_get_state (self->service) != OFFAUTH_SERVICE_READY)
    return;
  address = g_network_address_parse_uri (offauth_acquirer_client_get_base_url (client), 443, &error);
  if (address == NULL)
    {
      g_warning ("Uploader: the acquirer's address: %s", error->message);
      return;
    }
  g_clear_handle_id (&self->backoff_id, g_source_remove);
  self->probing = TRUE;
  cancellable = offauth_uploader_deadline_start (self, offauth_uploader_setting (self, "health-timeout", 3));
  g_network_monitor_can_reach_async (self->monitor, address, cancellable, offauth_uploader_reach_cb,
                                     g_object_ref (self));
}

/* A sync: jobs on the worker, requests from the main loop. */

typedef enum
{
  STEP_NEXT,     /* start the sync when none runs; build the next request, or find it done */
  STEP_APPLY,    /* apply the answer (STEP_NEXT follows) */
  STEP_FINISH,   /* the sync is over (done or not): free it */
  STEP_TRUST,    /* load the trust bundle and the lists, count the late declines */
} OffauthUploadStep;

typedef struct
{
  OffauthUploader  *self;          /* the worker reads sync; the task's callback holds a ref */
  OffauthUploadStep step;
  gchar            *answer;        /* STEP_APPLY */
  gchar            *bundle;        /* STEP_TRUST, may be NULL */
  GStrv             lists;         /* STEP_TRUST, may be NULL */
  guint             max_records;
  gboolean          count_late;    /* STEP_TRUST: the sales changed, count them */
  /* Results */
  guint             n_applied;     /* STEP_APPLY: verdicts that changed a sale */
  gchar            *request;       /* the next request, or NULL when done */
  guint64           rows_left;
  guint64           late_count;
  guint64           late_total;
  guint64           wrong_terminal;
} OffauthUploadJob;

static void
offauth_upload_job_free (OffauthUploadJob *job)
{
  g_free (job->answer);
  g_free (job->bundle);
  g_strfreev (job->lists);
  g_free (job->request);
  g_free (job);
}

static gboolean
offauth_uploader_next (OffauthUploadJob  *job,
                       OffauthTerminal   *terminal,
                       GError           **error)
{
  OffauthUploader *self = job->self;

  if (self->sync == NULL && (self->sync = offauth_sync_new (terminal, error)) == NULL)
    return FALSE;
  job->rows_left = offauth_sync_rows_left (self->sync);
  if (offauth_sync_is_done (self->sync))
    {
      g_clear_pointer (&self->sync, offauth_sync_free);
      return TRUE;
    }
  job->request = offauth_sync_next_request (self->sync, job->max_records, UPLOAD_MAX_BYTES, error);
  return job->request != NULL;
}

static void
offauth_uploader_load_trust (OffauthUploadJob *job,
                             OffauthTerminal  *terminal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = NULL;

  /* Newer data is loaded; older or equal is what the terminal holds already. */
  if (job->bundle != NULL && !offauth_terminal_load_bundle (terminal, job->bundle, &error) &&
      !g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK))
    g_message ("Uploader: the trust bundle was refused: %s", error->message);
  g_clear_error (&error);
  for (gsize i = 0; job->lists != NULL && job->lists[i] != NULL; i++)
    {
      if (!offauth_terminal_load_revocations (terminal, job->lists[i], &error) &&
          !g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_ROLLBACK))
        g_message ("Uploader: a revocation list was refused: %s", error->message);
      g_clear_error (&error);
    }
  /* The late declines the merchant has to act on: a scan of the sales, so only once after
   * the start and after a sync that changed one. */
  if (!job->count_late)
    return;
  sales = offauth_terminal_list_sales (terminal, FALSE, 0, &error);
  for (guint i = 0; sales != NULL && i < sales->len; i++)
    {
      const OffauthSaleInfo *info = &g_array_index (sales, OffauthSaleInfo, i);

      if (info->state == OFFAUTH_SALE_DECLINED || info->state == OFFAUTH_SALE_RETRY)
        {
          job->late_count++;
          job->late_total += info->amount;
          job->wrong_terminal += info->reason == OFFAUTH_SETTLE_WRONG_TERMINAL;
        }
    }
}

static gboolean offauth_uploader_job_step (OffauthUploadJob *job, OffauthUploader *self,
                                           OffauthTerminal *terminal, GError **error);

static gboolean
offauth_uploader_job_run (OffauthService  *service,
                          OffauthTerminal *terminal,
                          gpointer         data,
                          GError         **error)
{
  OffauthUploadJob *job = data;
  OffauthUploader *self = job->self;
  gint64 start = g_get_monotonic_time ();
  gboolean ok = offauth_uploader_job_step (job, self, terminal, error);

  g_debug ("Uploader: step %d took %.1f ms", job->step, (g_get_monotonic_time () - start) / 1000.0);
  return ok;
}

static gboolean
offauth_uploader_job_step (OffauthUploadJob *job,
                           OffauthUploader  *self,
                           OffauthTerminal  *terminal,
                           GError          **error)
{
  switch (job->step)
    {
    case STEP_APPLY:
      {
        OffauthSyncReport report;

        if (self->sync == NULL)
          {
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "No sync runs");
            return FALSE;
          }
        if (!offauth_sync_apply_answer (self->sync, job->answer, -1, &report, error))
          return FALSE;
        job->n_applied = report.n_applied;
        if (report.refused != NULL)
          g_message ("Uploader: verdicts not applied (they would change a final sale):\n%s",
                     report.refused);
        offauth_sync_report_clear (&report);
        /* The next request is a slice of its own. */
        return TRUE;
      }
    case STEP_NEXT:
      return offauth_uploader_next (job, terminal, error);
    case STEP_FINISH:
      g_clear_pointer (&self->sync, offauth_sync_free);
      return TRUE;
    case STEP_TRUST:
      offauth_uploader_load_trust (job, terminal);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static const OffauthServiceCall upload_call = { OFFAUTH_WORKER_BACKGROUND, offauth_uploader_job_run };

static void offauth_uploader_job_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
offauth_uploader_push_job (OffauthUploader  *self,
                           OffauthUploadJob *job)
{
  /* The callback's reference, dropped on the main thread. */
  g_autoptr(GTask) task = g_task_new (self->service, NULL, offauth_uploader_job_done_cb,
                                      g_object_ref (self));

  g_task_set_source_tag (task, offauth_uploader_push_job);
  self->n_jobs++;
  job->max_records = self->max_records;
  g_task_set_task_data (task, job, (GDestroyNotify) offauth_upload_job_free);
  _offauth_service_call (self->service, task, &upload_call);
}

/* Takes answer. */
static void
offauth_uploader_push (OffauthUploader   *self,
                       OffauthUploadStep  step,
                       gchar             *answer)
{
  OffauthUploadJob *job = g_new0 (OffauthUploadJob, 1);

  job->self = self;
  job->step = step;
  job->answer = answer;
  offauth_uploader_push_job (self, job);
}

/* The sync is over: free it on the worker; a failure backs off. */
static void
offauth_uploader_sync_end (OffauthUploader *self,
                           gboolean         ok)
{
  offauth_uploader_push (self, STEP_FINISH, NULL);
  self->syncing = FALSE;
  offauth_uploader_set_uploading (self, 0);
  if (!ok)
    {
      self->was_offline = TRUE;
      offauth_uploader_back_off (self);
    }
  offauth_uploader_update_state (self);
  /* A probe asked for while the sync ran (back online, a new pairing) runs now. */
  if (!self->probed)
    offauth_uploader_check (self);
  else if (ok && self->sync_again)
    {
      self->sync_again = FALSE;
      offauth_uploader_sync_start (self);
    }
}

/* "Check the pairing": the acquirer does not know this kiosk (403), or declined sales as made
 * for another merchant or scope. */
static void
offauth_uploader_update_pairing (OffauthUploader *self)
{
  gboolean problem = self->refused_kiosk || self->wrong_terminal > 0;

  if (self->pairing_problem == problem)
    return;
  self->pairing_problem = problem;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAIRING_PROBLEM]);
}

static void
offauth_uploader_stop (OffauthUploader *self,
                       const GError    *error)
{
  guint status = offauth_net_error_get_status (error);
  g_autofree gchar *why = NULL;

  if (status == 403)
    why = g_strdup_printf (_("The acquirer does not know this kiosk (%s). Check the pairing on the "
                             "Pairing page, or ask the acquirer to register this terminal; then "
                             "press Sync now."), error->message);
  else if (status == 409)
    why = g_strdup_printf (_("The acquirer holds a different journal for this kiosk (%s): it may "
                             "have been restored from a backup. Call support before you press "
                             "Sync now."), error->message);
  else
    why = g_strdup_printf (_("The acquirer refused the upload (%s). Call support, then press Sync "
                             "now, or pair again."), error->message);
  g_message ("Uploader: syncing stops: %s", error->message);
  self->stopped = TRUE;
  g_free (self->stop_reason);
  self->stop_reason = g_steal_pointer (&why);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
  self->refused_kiosk = status == 403;
  offauth_uploader_update_pairing (self);
  offauth_uploader_sync_end (self, TRUE);
  offauth_uploader_news (self, OFFAUTH_UPLOADER_NEWS_STOPPED, 0, 0);
}

static void
offauth_uploader_trust_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
offauth_uploader_lists_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

/* Every answer accepted: the trust data, as a last step. */
static void
offauth_uploader_fetch_trust (OffauthUploader *self)
{
  OffauthAcquirerClient *client = offauth_service_get_acquirer (self->service);
  GCancellable *cancellable = offauth_uploader_deadline_start (self, offauth_uploader_setting (self, "sync-timeout", 30));

  offauth_acquirer_client_trust_async (client, cancellable, offauth_uploader_trust_cb, g_object_ref (self));
}

static void
offauth_uploader_trust_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(OffauthUploader) self = user_data;
  g_autoptr(GError) error = NULL;
  OffauthAcquirerClient *client = OFFAUTH_ACQUIRER_CLIENT (source);
  gchar *bundle = offauth_acquirer_client_trust_finish (client, result, &error);
  OffauthUploadJob *job;

  if (bundle == NULL)
    g_message ("Uploader: the trust bundle was not refreshed: %s", error->message);
  if (self->disposed)
    {
      g_free (bundle);
      return;
    }
  job = g_new0 (OffauthUploadJob, 1);
  job->self = g_object_ref (self);   /* lists_cb's */
  job->step = STEP_TRUST;
  job->bundle = bundle;
  job->count_late = self->verdicts_new || !self->late_known;
  job->n_applied = self->verdicts_new;
  self->verdicts_new = FALSE;
  offauth_acquirer_client_revocations_async (client, NULL, self->cancellable,
                                             offauth_uploader_lists_cb, job);
}

static void
offauth_uploader_lists_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  OffauthUploadJob *job = user_data;
  g_autoptr(OffauthUploader) self = job->self;
  g_autoptr(GError) error = NULL;

  job->lists = offauth_acquirer_client_revocations_finish (OFFAUTH_ACQUIRER_CLIENT (source), result, &error);
  if (job->lists == NULL)
    g_message ("Uploader: the revocation lists were not refreshed: %s", error->message);
  if (self->disposed)
    {
      offauth_upload_job_free (job);
      return;
    }
  offauth_uploader_deadline_stop (self);
  offauth_uploader_push_job (self, job);
}

static void
offauth_uploader_sync_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(OffauthUploader) self = user_data;
  g_autoptr(GError) error = NULL;
  gchar *answer;

  answer = offauth_acquirer_client_sync_finish (OFFAUTH_ACQUIRER_CLIENT (source), result, &error);
  if (self->disposed)
    {
      g_free (answer);
      return;
    }
  offauth_uploader_deadline_stop (self);
  if (answer != NULL)
    {
      offauth_uploader_push (self, STEP_APPLY, answer);
      return;
    }
  /* 413: half the rows, at once, down to one row. */
  if (g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_TOO_LARGE) && self->max_records > 1)
    {
      self->max_records = MAX (self->max_records / 2, 1);
      g_debug ("Uploader: 413, %u rows per request now", self->max_records);
      offauth_uploader_push (self, STEP_NEXT, NULL);
      return;
    }
  if (g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_BAD_REQUEST) ||
      g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_FORBIDDEN) ||
      g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_CONFLICT) ||
      g_error_matches (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_TOO_LARGE))
    {
      offauth_uploader_stop (self, error);
      return;
    }
  /* Offline (5xx, timeout, broken, garbage, or our deadline): nothing lost, later. */
  g_message ("Uploader: the upload failed, nothing is lost: %s", error->message);
  self->reachable = FALSE;
  offauth_uploader_sync_end (self, FALSE);
}

static void
offauth_uploader_send (OffauthUploader *self,
                       const char      *request)
{
  OffauthAcquirerClient *client = offauth_service_get_acquirer (self->service);
  GCancellable *cancellable;

  if (client == NULL || self->work_offline)
    {
      offauth_uploader_sync_end (self, FALSE);
      return;
    }
  cancellable = offauth_uploader_deadline_start (self, offauth_uploader_setting (self, "sync-timeout", 30));
  offauth_acquirer_client_sync_async (client, request, cancellable, offauth_uploader_sync_cb,
                                      g_object_ref (self));
}

/* The sync is done: the queue drained after a reconnect is news; so are new late
 * declines. */
static void
offauth_uploader_synced (OffauthUploader *self)
{
  self->failures = 0;
  self->max_records = UPLOAD_MAX_RECORDS;
  self->last_sync = g_get_real_time () / G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SYNC]);
  self->refused_kiosk = FALSE;
  offauth_uploader_update_pairing (self);
  if (self->was_offline && self->drained_count > 0)
    offauth_uploader_news (self, OFFAUTH_UPLOADER_NEWS_DRAINED, self->drained_count,
                           self->drained_total);
  self->was_offline = FALSE;
  offauth_uploader_fetch_trust (self);
}

/* applied: this sync changed sales (a rise then is news; the first count after the start
 * is not, unless its sync brought it). */
static void
offauth_uploader_late_declines (OffauthUploader *self,
                                guint64          count,
                                guint64          total,
                                gboolean         applied)
{
  gboolean rose = applied && count > self->late_count;
  guint64 new_count = count - MIN (count, self->late_count);

  self->late_known = TRUE;
  if (count == self->late_count && total == self->late_total)
    return;
  self->late_count = count;
  self->late_total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATE_DECLINES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATE_DECLINES_TOTAL]);
  if (rose)
    offauth_uploader_news (self, OFFAUTH_UPLOADER_NEWS_LATE_DECLINES, new_count, 0);
}

static void
offauth_uploader_job_done_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(OffauthUploader) self = user_data;
  OffauthUploadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->n_jobs--;
  if (self->disposed)
    {
      /* A sync the job left is freed on the worker. */
      if (job->step == STEP_NEXT || job->step == STEP_APPLY)
        offauth_uploader_push (self, STEP_FINISH, NULL);
      return;
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (job->step == STEP_FINISH || job->step == STEP_TRUST)
        return;
      /* An answer that fails the checks changes nothing: offline, later. */
      g_message ("Uploader: the sync failed, nothing is lost: %s", error->message);
      offauth_uploader_sync_end (self, FALSE);
      return;
    }
  switch (job->step)
    {
    case STEP_APPLY:
      self->verdicts_new |= job->n_applied > 0;
      offauth_uploader_push (self, STEP_NEXT, NULL);
      break;
    case STEP_NEXT:
      offauth_uploader_set_uploading (self, job->rows_left);
      offauth_uploader_update_state (self);
      if (job->request != NULL)
        offauth_uploader_send (self, job->request);
      else
        offauth_uploader_synced (self);
      break;
    case STEP_TRUST:
      if (job->count_late)
        {
          self->wrong_terminal = job->wrong_terminal;
          offauth_uploader_update_pairing (self);
          offauth_uploader_late_declines (self, job->late_count, job->late_total, job->n_applied > 0);
        }
      offauth_uploader_sync_end (self, TRUE);
      break;
    case STEP_FINISH:
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
offauth_uploader_sync_start (OffauthUploader *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);

  g_clear_handle_id (&self->batch_id, g_source_remove);
  if (self->syncing)
    {
      self->sync_again = TRUE;
      return;
    }
  /* A probe under way syncs when it answers. */
  if (self->stopped || self->work_offline || !self->reachable || self->probing ||
      offauth_service_get_acquirer (self->service) == NULL)
    return;
  self->syncing = TRUE;
  self->drained_count = st->unsettled_count;
  self->drained_total = st->unsettled_total;
  offauth_uploader_restart_interval (self);
  offauth_uploader_push (self, STEP_NEXT, NULL);
}

/* What the service says */

static void
offauth_uploader_status_cb (OffauthUploader *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);
  gboolean new_sale = st->unsettled_count > self->last_unsettled;

  self->last_unsettled = st->unsettled_count;
  offauth_uploader_update_state (self);
  /* A new sale while online: uploaded with those that follow within the batch delay. */
  if (new_sale && self->reachable && !self->syncing && self->batch_id == 0 &&
      !self->stopped && !self->work_offline)
    self->batch_id = g_timeout_add_seconds (UPLOAD_BATCH_DELAY, offauth_uploader_batch_cb, self);
}

static void
offauth_uploader_service_cb (OffauthUploader *self)
{
  offauth_uploader_update_state (self);
  offauth_uploader_check (self);
}

static void
offauth_uploader_acquirer_cb (OffauthUploader *self)
{
  /* A new pairing: whatever stopped the old one is gone (and what it declined as sold for
   * another terminal is history); ask at once. */
  self->refused_kiosk = FALSE;
  self->wrong_terminal = 0;
  offauth_uploader_update_pairing (self);
  self->probed = self->reachable = FALSE;
  self->failures = 0;
  if (self->stopped)
    {
      self->stopped = FALSE;
      g_clear_pointer (&self->stop_reason, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
    }
  offauth_uploader_check (self);
}

static void
offauth_uploader_network_cb (OffauthUploader *self)
{
  /* The network changed: ask now rather than at the end of a back-off. */
  if (!self->reachable)
    offauth_uploader_check (self);
}

/* The object */

OffauthUploader *
offauth_uploader_new (OffauthService *service,
                      GSettings      *settings)
{
  OffauthUploader *self;

  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (OFFAUTH_TYPE_UPLOADER, "service", service, NULL);
  g_set_object (&self->settings, settings);
  offauth_uploader_restart_interval (self);
  offauth_uploader_check (self);
  return self;
}

OffauthUploader *
offauth_uploader_get (OffauthService *service)
{
  static OffauthUploader *uploader;

  if (uploader == NULL)
    {
      g_autoptr(GSettings) settings = offauth_settings_new ();

      uploader = offauth_uploader_new (service, settings);
    }
  return uploader;
}

static void
offauth_uploader_constructed (GObject *object)
{
  OffauthUploader *self = OFFAUTH_UPLOADER (object);

  G_OBJECT_CLASS (offauth_uploader_parent_class)->constructed (object);
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->service, "notify::status",
                           G_CALLBACK (offauth_uploader_status_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->service, "notify::state",
                           G_CALLBACK (offauth_uploader_service_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->service, "notify::acquirer",
                           G_CALLBACK (offauth_uploader_acquirer_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (offauth_uploader_network_cb), self, G_CONNECT_SWAPPED);
  self->last_unsettled = offauth_service_get_status (self->service)->unsettled_count;
  offauth_uploader_update_state (self);
}

typedef struct
{
  OffauthSync *sync;
} OffauthUploaderLeftover;

static gboolean
offauth_uploader_free_sync_run (OffauthService  *service,
                                OffauthTerminal *terminal,
                                gpointer         data,
                                GError         **error)
{
  OffauthUploaderLeftover *left = data;

  g_clear_pointer (&left->sync, offauth_sync_free);
  return TRUE;
}

static const OffauthServiceCall free_sync_call = { OFFAUTH_WORKER_BACKGROUND, offauth_uploader_free_sync_run };

static void
offauth_uploader_dispose (GObject *object)
{
  OffauthUploader *self = OFFAUTH_UPLOADER (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->interval_id, g_source_remove);
  g_clear_handle_id (&self->batch_id, g_source_remove);
  g_clear_handle_id (&self->backoff_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  offauth_uploader_deadline_stop (self);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  /* When no job runs, the worker frees the sync they left (else the last one does). */
  if (self->n_jobs == 0 && self->sync != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self->service, NULL, NULL, NULL);
      OffauthUploaderLeftover *left = g_new0 (OffauthUploaderLeftover, 1);

      left->sync = g_steal_pointer (&self->sync);
      g_task_set_task_data (task, left, g_free);
      _offauth_service_call (self->service, task, &free_sync_call);
    }
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (offauth_uploader_parent_class)->dispose (object);
}

static void
offauth_uploader_finalize (GObject *object)
{
  OffauthUploader *self = OFFAUTH_UPLOADER (object);

  g_clear_object (&self->service);
  g_free (self->stop_reason);
  G_OBJECT_CLASS (offauth_uploader_parent_class)->finalize (object);
}

static void
offauth_uploader_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  OffauthUploader *self = OFFAUTH_UPLOADER (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_SYNC_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_UPLOADING:
      g_value_set_uint64 (value, self->uploading);
      break;
    case PROP_LAST_SYNC:
      g_value_set_int64 (value, self->last_sync);
      break;
    case PROP_STOP_REASON:
      g_value_set_string (value, self->stop_reason);
      break;
    case PROP_LATE_DECLINES:
      g_value_set_uint64 (value, self->late_count);
      break;
    case PROP_LATE_DECLINES_TOTAL:
      g_value_set_uint64 (value, self->late_total);
      break;
    case PROP_PAIRING_PROBLEM:
      g_value_set_boolean (value, self->pairing_problem);
      break;
    case PROP_WORK_OFFLINE:
      g_value_set_boolean (value, self->work_offline);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_uploader_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  OffauthUploader *self = OFFAUTH_UPLOADER (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    case PROP_WORK_OFFLINE:
      offauth_uploader_set_work_offline (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_uploader_class_init (OffauthUploaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = offauth_uploader_constructed;
  object_class->dispose = offauth_uploader_dispose;
  object_class->finalize = offauth_uploader_finalize;
  object_class->get_property = offauth_uploader_get_property;
  object_class->set_property = offauth_uploader_set_property;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, OFFAUTH_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNC_STATE] =
    g_param_spec_enum ("sync-state", NULL, NULL, OFFAUTH_TYPE_SYNC_STATE, OFFAUTH_SYNC_UNPAIRED, ro);
  properties[PROP_UPLOADING] =
    g_param_spec_uint64 ("uploading", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_LAST_SYNC] =
    g_param_spec_int64 ("last-sync", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_STOP_REASON] =
    g_param_spec_string ("stop-reason", NULL, NULL, NULL, ro);
  properties[PROP_LATE_DECLINES] =
    g_param_spec_uint64 ("late-declines", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_LATE_DECLINES_TOTAL] =
    g_param_spec_uint64 ("late-declines-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_PAIRING_PROBLEM] =
    g_param_spec_boolean ("pairing-problem", NULL, NULL, FALSE, ro);
  properties[PROP_WORK_OFFLINE] =
    g_param_spec_boolean ("work-offline", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_NEWS] =
    g_signal_new ("news", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
offauth_uploader_init (OffauthUploader *self)
{
  self->state = OFFAUTH_SYNC_UNPAIRED;
  self->max_records = UPLOAD_MAX_RECORDS;
}

/* Pairing: the pin is a job; the client follows on the main thread. */

typedef struct
{
  gchar   *url;                      /* in: the new one; out: the pinned one (NULL: none) */
  guint8   pk[OFFAUTH_PK_SIZE];
  gboolean pin;
} OffauthPairing;

static void
offauth_pairing_free (OffauthPairing *p)
{
  g_free (p->url);
  g_free (p);
}

static gboolean
offauth_pairing_run (OffauthService  *service,
                     OffauthTerminal *terminal,
                     gpointer         data,
                     GError         **error)
{
  OffauthPairing *p = data;

  if (p->pin)
    return offauth_terminal_pin_acquirer (terminal, p->url, p->pk, error);
  g_clear_pointer (&p->url, g_free);
  if (!offauth_terminal_get_acquirer (terminal, &p->url, p->pk))
    g_clear_pointer (&p->url, g_free);
  return TRUE;
}

static const OffauthServiceCall pairing_call = { OFFAUTH_WORKER_STATUS, offauth_pairing_run };

static void
offauth_uploader_pairing_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OffauthUploader *self = g_task_get_source_object (task);
  OffauthPairing *p = g_task_get_task_data (G_TASK (result));
  g_autoptr(OffauthAcquirerClient) client = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (p->pin)
    {
      if ((client = offauth_acquirer_client_new (p->url, 0, &error)) == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      /* notify::acquirer: the uploader asks the new acquirer at once. */
      _offauth_service_set_acquirer (self->service, client);
    }
  {
    OffauthPairing *out = g_new0 (OffauthPairing, 1);

    out->url = g_steal_pointer (&p->url);
    memcpy (out->pk, p->pk, OFFAUTH_PK_SIZE);
    g_task_return_pointer (task, out, (GDestroyNotify) offauth_pairing_free);
  }
}

static void
offauth_uploader_pairing_start (OffauthUploader     *self,
                                OffauthPairing      *p,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data,
                                gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) job = g_task_new (self->service, cancellable, offauth_uploader_pairing_cb, task);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (job, p, (GDestroyNotify) offauth_pairing_free);
  _offauth_service_call (self->service, job, &pairing_call);
}

void
offauth_uploader_pair_async (OffauthUploader     *self,
                             const char          *url,
                             const guint8         acquirer_pk[32],
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  OffauthPairing *p;

  g_return_if_fail (OFFAUTH_IS_UPLOADER (self));
  g_return_if_fail (url != NULL && acquirer_pk != NULL);

  p = g_new0 (OffauthPairing, 1);
  p->url = g_strdup (url);
  memcpy (p->pk, acquirer_pk, OFFAUTH_PK_SIZE);
  p->pin = TRUE;
  offauth_uploader_pairing_start (self, p, cancellable, callback, user_data,
                                  offauth_uploader_pair_async);
}

gboolean
offauth_uploader_pair_finish (OffauthUploader  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  OffauthPairing *p;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  p = g_task_propagate_pointer (G_TASK (result), error);
  g_clear_pointer (&p, offauth_pairing_free);
  return !g_task_had_error (G_TASK (result));
}

void
offauth_uploader_read_pairing_async (OffauthUploader     *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (OFFAUTH_IS_UPLOADER (self));

  offauth_uploader_pairing_start (self, g_new0 (OffauthPairing, 1), cancellable, callback,
                                  user_data, offauth_uploader_read_pairing_async);
}

gboolean
offauth_uploader_read_pairing_finish (OffauthUploader  *self,
                                      GAsyncResult     *result,
                                      gchar           **url,
                                      guint8            acquirer_pk[32],
                                      GError          **error)
{
  OffauthPairing *p;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if ((p = g_task_propagate_pointer (G_TASK (result), error)) == NULL)
    return FALSE;
  *url = g_steal_pointer (&p->url);
  memcpy (acquirer_pk, p->pk, OFFAUTH_PK_SIZE);
  offauth_pairing_free (p);
  return TRUE;
}

/* Public */

OffauthSyncState
offauth_uploader_get_sync_state (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), OFFAUTH_SYNC_UNPAIRED);

  return self->state;
}

guint64
offauth_uploader_get_uploading (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), 0);

  return self->uploading;
}

gint64
offauth_uploader_get_last_sync (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), 0);

  return self->last_sync;
}

const char *
offauth_uploader_get_stop_reason (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), NULL);

  return self->stop_reason;
}

guint64
offauth_uploader_get_late_declines (OffauthUploader *self,
                                    guint64         *total)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), 0);

  if (total != NULL)
    *total = self->late_total;
  return self->late_count;
}

gboolean
offauth_uploader_get_pairing_problem (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), FALSE);

  return self->pairing_problem;
}

gboolean
offauth_uploader_get_work_offline (OffauthUploader *self)
{
  g_return_val_if_fail (OFFAUTH_IS_UPLOADER (self), FALSE);

  return self->work_offline;
}

void
offauth_uploader_sync_now (OffauthUploader *self)
{
  g_return_if_fail (OFFAUTH_IS_UPLOADER (self));

  if (self->stopped)
    {
      self->stopped = FALSE;
      g_clear_pointer (&self->stop_reason, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STOP_REASON]);
    }
  self->failures = 0;
  if (self->syncing)
    self->sync_again = TRUE;
  else if (self->reachable && !self->probing)
    offauth_uploader_sync_start (self);
  else
    offauth_uploader_check (self);
}

void
offauth_uploader_set_work_offline (OffauthUploader *self,
                                   gboolean         offline)
{
  g_return_if_fail (OFFAUTH_IS_UPLOADER (self));

  offline = !!offline;
  if (self->work_offline == offline)
    return;
  self->work_offline = offline;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORK_OFFLINE]);
  if (offline)
    {
      /* The running request is dropped: its sync ends as a failure would, nothing lost. */
      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      self->was_offline = TRUE;
      offauth_uploader_update_state (self);
      return;
    }
  self->failures = 0;
  self->probed = self->reachable = FALSE;
  offauth_uploader_check (self);
}
