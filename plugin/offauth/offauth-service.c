/* offauth-service.c: the plugin's one terminal per process, behind its worker.
 *
 * Every call into the engine runs on the worker (offauth-worker.c), the open with its
 * journal check first, so that neither a sale's fsync nor a start-up check ever blocks the
 * screen; each call is one job at its priority, followed by the status it leaves, which
 * comes back to the main thread as properties. The journal verification reads on a
 * read-only connection of its own, beside the worker.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "offauth-demo.h"
#include "offauth-service-private.h"
#include "offauth-settings.h"
#include "offauth-worker.h"

struct _OffauthService
{
  GObject                parent_instance;

  OffauthWorker         *worker;
  OffauthDemo           *demo;         /* demo only; the worker's once the open is queued */
  gchar                 *db_path;      /* set once, read on any thread */

  /* The main thread's */
  GMainContext          *main_context;
  OffauthServiceState    state;
  GError                *error;
  OffauthTerminalStatus  status;
  GPtrArray             *after_open;   /* verifications asked for while STARTING */
  OffauthAcquirerClient *acquirer;     /* the pinned acquirer's, or NULL */

  /* The worker's: the last counts read (offauth_terminal_get_status), carried by the quick
   * status read after every other call */
  guint64                counts[3];
  gboolean               online;
};

G_DEFINE_FINAL_TYPE (OffauthService, offauth_service, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (OffauthServiceState, offauth_service_state,
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SERVICE_STARTING, "starting"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SERVICE_READY, "ready"),
                    G_DEFINE_ENUM_VALUE (OFFAUTH_SERVICE_FAILED, "failed"))

static OffauthTerminalStatus *
offauth_service_status_copy (const OffauthTerminalStatus *status)
{
  OffauthTerminalStatus *copy = g_memdup2 (status, sizeof *status);

  copy->root_fingerprint = g_strdup (status->root_fingerprint);
  return copy;
}

static void
offauth_service_status_free (OffauthTerminalStatus *status)
{
  offauth_terminal_status_clear (status);
  g_free (status);
}

G_DEFINE_BOXED_TYPE (OffauthTerminalStatus, offauth_terminal_status,
                     offauth_service_status_copy, offauth_service_status_free)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_STATUS,
  PROP_ERROR,
  PROP_DB_PATH,
  PROP_DEMO,
  PROP_ACQUIRER,
  PROP_ONLINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
offauth_service_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  OffauthService *self = OFFAUTH_SERVICE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS:
      g_value_set_boxed (value, &self->status);
      break;
    case PROP_ERROR:
      g_value_set_string (value, offauth_service_get_error (self));
      break;
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_DEMO:
      g_value_set_boolean (value, self->demo != NULL);
      break;
    case PROP_ACQUIRER:
      g_value_set_object (value, self->acquirer);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_service_finalize (GObject *object)
{
  OffauthService *self = OFFAUTH_SERVICE (object);

  /* Joins the worker thread; the demo is the worker's until then. */
  g_clear_object (&self->worker);
  g_clear_pointer (&self->demo, offauth_demo_free);
  g_clear_pointer (&self->after_open, g_ptr_array_unref);
  g_clear_object (&self->acquirer);
  g_clear_error (&self->error);
  g_free (self->db_path);
  offauth_terminal_status_clear (&self->status);
  g_main_context_unref (self->main_context);
  G_OBJECT_CLASS (offauth_service_parent_class)->finalize (object);
}

static void
offauth_service_class_init (OffauthServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = offauth_service_get_property;
  object_class->finalize = offauth_service_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, OFFAUTH_TYPE_SERVICE_STATE, OFFAUTH_SERVICE_STARTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_boxed ("status", NULL, NULL, OFFAUTH_TYPE_TERMINAL_STATUS,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DB_PATH] =
    g_param_spec_string ("db-path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEMO] =
    g_param_spec_boolean ("demo", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACQUIRER] =
    g_param_spec_object ("acquirer", NULL, NULL, OFFAUTH_TYPE_ACQUIRER_CLIENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
offauth_service_init (OffauthService *self)
{
  self->main_context = g_main_context_ref_thread_default ();
  self->state = OFFAUTH_SERVICE_STARTING;
  self->status.state = OFFAUTH_REASON_NOT_ENROLLED;
  self->after_open = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Status goes from the worker to the main thread by copy. */

typedef struct
{
  OffauthService        *self;
  OffauthTerminalStatus  status;
} OffauthServiceStatusUpdate;

static void
offauth_service_set_status (OffauthService              *self,
                            const OffauthTerminalStatus *status)
{
  offauth_terminal_status_clear (&self->status);
  self->status = *status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static gboolean
offauth_service_apply_status_cb (gpointer data)
{
  OffauthServiceStatusUpdate *u = data;

  offauth_service_set_status (u->self, &u->status);
  g_object_unref (u->self);
  g_free (u);
  return G_SOURCE_REMOVE;
}

/* On the worker: the status with its counts read again, kept for the quick reads. */
static void
offauth_service_read_status (OffauthService        *self,
                             OffauthTerminal       *terminal,
                             OffauthTerminalStatus *status)
{
  offauth_terminal_get_status (terminal, status);
  self->counts[0] = status->n_sales;
  self->counts[1] = status->n_credentials;
  self->counts[2] = status->n_negative;
}

/* On the worker, after a call. */
static void
offauth_service_post_status (OffauthService  *self,
                             OffauthTerminal *terminal,
                             gboolean         counts)
{
  OffauthServiceStatusUpdate *u = g_new0 (OffauthServiceStatusUpdate, 1);
  GSource *source = g_idle_source_new ();

  u->self = g_object_ref (self);
  if (counts)
    offauth_service_read_status (self, terminal, &u->status);
  else
    {
      offauth_terminal_get_status_quick (terminal, &u->status);
      u->status.n_sales = self->counts[0];
      u->status.n_credentials = self->counts[1];
      u->status.n_negative = self->counts[2];
    }
  /* Always through the main context's loop: "notify" updates widgets. At the
   * tasks' priority, so that a call's callback finds the status it left. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, offauth_service_apply_status_cb, u, NULL);
  g_source_set_static_name (source, "[offauth] status");
  g_source_attach (source, self->main_context);
  g_source_unref (source);
}

/* One path for every call: run on the worker at the call's priority, post the status the
 * call left, complete the task. The task data is the call's. */

static gboolean
offauth_service_call_job (OffauthWorker   *worker,
                          OffauthTerminal *terminal,
                          GTask           *task,
                          gpointer         user_data)
{
  const OffauthServiceCall *call = user_data;
  OffauthService *self = g_task_get_source_object (task);
  GError *error = NULL;
  gboolean ok;

  if (terminal == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s",
                               _("The offline terminal is not open"));
      return FALSE;
    }
  ok = call->run (self, terminal, g_task_get_task_data (task), &error);
  offauth_service_post_status (self, terminal, call->counts);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  return FALSE;
}

void
_offauth_service_call (OffauthService           *self,
                       GTask                    *task,
                       const OffauthServiceCall *call)
{
  offauth_worker_push (self->worker, call->priority, task, offauth_service_call_job, (gpointer) call);
}

/* Opening: the first job, before anything else. */

typedef struct
{
  OffauthService  *self;
  OffauthTerminal *terminal;
  GError          *error;
} OffauthServiceOpen;

/* What the open leaves for the main thread. */
typedef struct
{
  OffauthTerminalStatus  status;
  gchar                 *acquirer_url;   /* the pinned acquirer's, or NULL */
} OffauthServiceOpened;

static void
offauth_service_opened_free (OffauthServiceOpened *opened)
{
  offauth_terminal_status_clear (&opened->status);
  g_free (opened->acquirer_url);
  g_free (opened);
}

/* The open reads the whole journal for its check (seconds at a million sales) while the
 * window draws its first frames: it runs on a thread of its own at a lower CPU priority,
 * which the worker waits for. (The worker itself keeps its priority for the sales: an
 * unprivileged thread cannot raise its priority again.) */
static gpointer
offauth_service_open_thread (gpointer data)
{
  OffauthServiceOpen *open = data;
  OffauthService *self = open->self;

#ifdef __linux__
  /* On Linux, PRIO_PROCESS with a thread id sets that thread's nice value only. */
  setpriority (PRIO_PROCESS, (id_t) gettid (), 10);
#endif
  if (self->demo != NULL)
    open->terminal = offauth_demo_open (self->demo, &open->error);
  /* A kiosk is enrolled by the operator (offauth-terminal init); an empty database made
   * here would only be in the way. */
  else if (!g_file_test (self->db_path, G_FILE_TEST_EXISTS))
    g_set_error (&open->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("This kiosk is not enrolled for offline payments. The merchant "
                   "enrols it with: offauth-terminal init %s --trust BUNDLE "
                   "--merchant ID --root FINGERPRINT"), self->db_path);
  else
    open->terminal = offauth_terminal_open (self->db_path, OFFAUTH_OPEN_DEFAULT, &open->error);
  return NULL;
}

static gboolean
offauth_service_open_job (OffauthWorker   *worker,
                          OffauthTerminal *terminal,
                          GTask           *task,
                          gpointer         user_data)
{
  OffauthServiceOpen open = { g_task_get_source_object (task), NULL, NULL };
  OffauthServiceOpened *opened;
  guint8 acquirer_pk[OFFAUTH_PK_SIZE];

  g_thread_join (g_thread_new ("offauth-open", offauth_service_open_thread, &open));
  if (open.terminal == NULL)
    {
      g_task_return_error (task, open.error);
      return FALSE;
    }
  offauth_worker_set_terminal (worker, open.terminal);
  /* The demo's acquirer starts here, on the worker's thread, which it dies with. */
  if (open.self->demo != NULL)
    offauth_demo_start_acquirer (open.self->demo, open.terminal);
  opened = g_new0 (OffauthServiceOpened, 1);
  offauth_service_read_status (open.self, open.terminal, &opened->status);
  offauth_terminal_get_acquirer (open.terminal, &opened->acquirer_url, acquirer_pk);
  g_task_return_pointer (task, opened, (GDestroyNotify) offauth_service_opened_free);
  return FALSE;
}

static void offauth_service_verify_start (OffauthService *self, GTask *task);

static void
offauth_service_opened_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  OffauthService *self = OFFAUTH_SERVICE (source);
  g_autoptr(GPtrArray) waiting = NULL;
  OffauthServiceOpened *opened;

  opened = g_task_propagate_pointer (G_TASK (result), &self->error);
  g_object_freeze_notify (G_OBJECT (self));
  self->state = opened != NULL ? OFFAUTH_SERVICE_READY : OFFAUTH_SERVICE_FAILED;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (opened != NULL)
    {
      g_autoptr(GError) error = NULL;

      offauth_service_set_status (self, &opened->status);
      memset (&opened->status, 0, sizeof opened->status);
      if (opened->acquirer_url != NULL)
        {
          g_autoptr(OffauthAcquirerClient) client =
            offauth_acquirer_client_new (opened->acquirer_url, 0, &error);

          if (client == NULL)
            g_warning ("Offline payments: the pinned acquirer: %s", error->message);
          _offauth_service_set_acquirer (self, client);
        }
      offauth_service_opened_free (opened);
    }
  else
    {
      g_message ("Offline payments: %s", self->error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  g_object_thaw_notify (G_OBJECT (self));

  waiting = g_steal_pointer (&self->after_open);
  self->after_open = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiting->len; i++)
    offauth_service_verify_start (self, waiting->pdata[i]);
}

OffauthService *
_offauth_service_new (GSettings *host_settings,
                      GSettings *settings,
                      gboolean   demo)
{
  OffauthService *self = g_object_new (OFFAUTH_TYPE_SERVICE, NULL);
  g_autoptr(GTask) open = NULL;

  offauth_settings_migrate (host_settings, settings);
  if (demo)
    {
      self->demo = offauth_demo_new (g_getenv ("TILL_DEMO_DIR"));
      self->db_path = g_strdup (offauth_demo_get_db_path (self->demo));
    }
  else
    {
      g_autofree gchar *configured = settings ? g_settings_get_string (settings, "terminal-db") : NULL;

      self->db_path = configured && *configured
                        ? g_steal_pointer (&configured)
                        : g_build_filename (g_get_user_data_dir (), "till", "terminal.db", NULL);
    }
  self->worker = offauth_worker_new ();
  open = g_task_new (self, NULL, offauth_service_opened_cb, NULL);
  g_task_set_source_tag (open, _offauth_service_new);
  offauth_worker_push (self->worker, OFFAUTH_WORKER_OPEN, open, offauth_service_open_job, NULL);
  return self;
}

OffauthService *
offauth_service_get (GSettings *host_settings,
                     gboolean   demo)
{
  static OffauthService *service;

  /* Lives as long as the process: the terminal's lock goes with it. */
  if (service == NULL)
    {
      g_autoptr(GSettings) settings = offauth_settings_new ();

      service = _offauth_service_new (host_settings, settings, demo);
    }
  return service;
}

OffauthServiceState
offauth_service_get_state (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), OFFAUTH_SERVICE_FAILED);

  return self->state;
}

const OffauthTerminalStatus *
offauth_service_get_status (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), NULL);

  return &self->status;
}

const char *
offauth_service_get_db_path (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), NULL);

  return self->db_path;
}

const char *
offauth_service_get_error (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), NULL);

  return self->error != NULL ? self->error->message : NULL;
}

OffauthAcquirerClient *
offauth_service_get_acquirer (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), NULL);

  return self->acquirer;
}

void
_offauth_service_set_acquirer (OffauthService        *self,
                               OffauthAcquirerClient *client)
{
  g_return_if_fail (OFFAUTH_IS_SERVICE (self));
  g_return_if_fail (client == NULL || OFFAUTH_IS_ACQUIRER_CLIENT (client));

  if (g_set_object (&self->acquirer, client))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACQUIRER]);
}

gboolean
offauth_service_get_online (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), FALSE);

  return self->online;
}

void
_offauth_service_set_online (OffauthService *self,
                             gboolean        online)
{
  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  online = !!online;
  if (self->online == online)
    return;
  self->online = online;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

OffauthDemo *
_offauth_service_get_demo (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), NULL);

  return self->demo;
}

gboolean
offauth_service_is_demo (OffauthService *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (self), FALSE);

  return self->demo != NULL;
}

/* Status: the wrapper posts it. */

static gboolean
offauth_service_refresh_run (OffauthService  *self,
                             OffauthTerminal *terminal,
                             gpointer         data,
                             GError         **error)
{
  return TRUE;
}

static const OffauthServiceCall refresh_call = { OFFAUTH_WORKER_STATUS, offauth_service_refresh_run, TRUE };

void
offauth_service_refresh (OffauthService *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  if (self->state == OFFAUTH_SERVICE_FAILED)
    return;
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, offauth_service_refresh);
  _offauth_service_call (self, task, &refresh_call);
}

/* Requests */

typedef struct
{
  guint64       amount;
  gchar        *currency;
  gchar        *text;
  OffauthReason reason;
} OffauthServiceRequest;

static void
offauth_service_request_free (OffauthServiceRequest *d)
{
  g_free (d->currency);
  g_free (d->text);
  g_free (d);
}

static gboolean
offauth_service_request_run (OffauthService  *self,
                             OffauthTerminal *terminal,
                             gpointer         data,
                             GError         **error)
{
  OffauthServiceRequest *d = data;

  d->text = offauth_terminal_create_request (terminal, d->amount, d->currency, &d->reason, error);
  /* A refusal (paused) is a result, not an error. */
  if (d->text == NULL && d->reason != OFFAUTH_REASON_NONE)
    g_clear_error (error);
  return d->text != NULL || d->reason != OFFAUTH_REASON_NONE;
}

static const OffauthServiceCall request_call = { OFFAUTH_WORKER_SALE, offauth_service_request_run };

void
offauth_service_request_async (OffauthService      *self,
                               guint64              amount,
                               const char          *currency,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OffauthServiceRequest *d;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));
  g_return_if_fail (currency != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_request_async);
  d = g_new0 (OffauthServiceRequest, 1);
  d->amount = amount;
  d->currency = g_strdup (currency);
  g_task_set_task_data (task, d, (GDestroyNotify) offauth_service_request_free);
  _offauth_service_call (self, task, &request_call);
}

gchar *
offauth_service_request_finish (OffauthService  *self,
                                GAsyncResult    *result,
                                OffauthReason   *reason,
                                GError         **error)
{
  OffauthServiceRequest *d = g_task_get_task_data (G_TASK (result));
  GError *local = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_request_async, NULL);

  *reason = OFFAUTH_REASON_NONE;
  if (!g_task_propagate_boolean (G_TASK (result), &local))
    {
      /* Not open: the terminal refuses, as an unenrolled one does ("error" says why). */
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED))
        {
          *reason = OFFAUTH_REASON_NOT_ENROLLED;
          g_error_free (local);
        }
      else
        g_propagate_error (error, local);
      return NULL;
    }
  *reason = d->reason;
  return g_steal_pointer (&d->text);
}

/* Authorization: offauth-service-online.c (offline, then online when it may) */

/* The clock */

static gboolean
offauth_service_accept_clock_run (OffauthService  *self,
                                  OffauthTerminal *terminal,
                                  gpointer         data,
                                  GError         **error)
{
  return offauth_terminal_accept_clock (terminal, error);
}

static const OffauthServiceCall accept_clock_call = { OFFAUTH_WORKER_STATUS, offauth_service_accept_clock_run };

void
offauth_service_accept_clock_async (OffauthService      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_accept_clock_async);
  _offauth_service_call (self, task, &accept_clock_call);
}

gboolean
offauth_service_accept_clock_finish (OffauthService  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_accept_clock_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The demo's payer */

typedef struct
{
  guint  payer;
  gchar *request;
  gchar *payment;
} OffauthServiceDemoPay;

static void
offauth_service_demo_pay_free (OffauthServiceDemoPay *d)
{
  g_free (d->request);
  g_free (d->payment);
  g_free (d);
}

static gboolean
offauth_service_demo_pay_run (OffauthService  *self,
                              OffauthTerminal *terminal,
                              gpointer         data,
                              GError         **error)
{
  OffauthServiceDemoPay *d = data;

  d->payment = offauth_demo_pay (self->demo, d->payer, d->request, error);
  return d->payment != NULL;
}

static const OffauthServiceCall demo_pay_call = { OFFAUTH_WORKER_SALE, offauth_service_demo_pay_run };

void
offauth_service_demo_pay_async (OffauthService      *self,
                                guint                payer,
                                const char          *request_text,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OffauthServiceDemoPay *d;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));
  g_return_if_fail (payer < OFFAUTH_DEMO_N_PAYERS);
  g_return_if_fail (request_text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_demo_pay_async);
  if (self->demo == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", _("Only the demo has a payer"));
      return;
    }
  d = g_new0 (OffauthServiceDemoPay, 1);
  d->payer = payer;
  d->request = g_strdup (request_text);
  g_task_set_task_data (task, d, (GDestroyNotify) offauth_service_demo_pay_free);
  _offauth_service_call (self, task, &demo_pay_call);
}

gchar *
offauth_service_demo_pay_finish (OffauthService  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  OffauthServiceDemoPay *d = g_task_get_task_data (G_TASK (result));

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_demo_pay_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_steal_pointer (&d->payment);
}

/* Journal verification, beside the worker */

static void
offauth_service_verify_thread (GTask        *task,
                               gpointer      source,
                               gpointer      data,
                               GCancellable *cancellable)
{
  const char *db_path = data;
  g_autoptr(OffauthTerminal) reader = NULL;
  GError *error = NULL;
  gboolean ok;

  reader = offauth_terminal_open (db_path, OFFAUTH_OPEN_READ_ONLY | OFFAUTH_OPEN_NO_CHECK, &error);
  if (reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The check reads the journal and its derived tables in one read transaction of its
   * own, so that sales the worker commits meanwhile do not look like tampering. */
  ok = offauth_terminal_verify (reader, NULL, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
offauth_service_verify_start (OffauthService *self,
                              GTask          *task)
{
  if (self->state == OFFAUTH_SERVICE_FAILED)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s", self->error->message);
  else
    g_task_run_in_thread (task, offauth_service_verify_thread);
}

void
offauth_service_verify_async (OffauthService      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (OFFAUTH_IS_SERVICE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, offauth_service_verify_async);
  g_task_set_task_data (task, g_strdup (self->db_path), g_free);
  /* The demo's database may not exist before its open. */
  if (self->state == OFFAUTH_SERVICE_STARTING)
    g_ptr_array_add (self->after_open, g_steal_pointer (&task));
  else
    offauth_service_verify_start (self, task);
}

gboolean
offauth_service_verify_finish (OffauthService  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == offauth_service_verify_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
