/* offauth-acquirer-client.c: carries OA1 texts to the acquirer and back over HTTP.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-net"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

#include "offauth-acquirer-client.h"

/* The longest answer each path may send: a sync answer's text (PROTOCOL.md: 67,108,864
 * characters and its LF), a decision's, a bundle, every revocation list, the health JSON. */
#define SYNC_ANSWER_MAX      (67108864 + 2)
#define DECISION_ANSWER_MAX  4096
#define TRUST_ANSWER_MAX     (16 * 1024 * 1024)
#define LISTS_ANSWER_MAX     (64 * 1024 * 1024)
#define HEALTH_ANSWER_MAX    65536
#define READ_CHUNK           65536

struct _OffauthAcquirerClient
{
  GObject      parent_instance;
  gchar       *base_url;
  guint        timeout;
  SoupSession *session;
};

G_DEFINE_TYPE (OffauthAcquirerClient, offauth_acquirer_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_BASE_URL,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (offauth-net-error-quark, offauth_net_error)

typedef enum
{
  ANSWER_TEXT,    /* one OA1 text */
  ANSWER_LINES,   /* OA1 texts, one per line, maybe none */
  ANSWER_JSON,    /* a JSON object */
} AnswerKind;

typedef struct
{
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *body;
  gsize         limit;
  AnswerKind    kind;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->msg);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_free (call);
}

gboolean
offauth_net_error_is_offline (const GError *error)
{
  return error != NULL && error->domain == OFFAUTH_NET_ERROR &&
         (error->code == OFFAUTH_NET_ERROR_SERVER || error->code == OFFAUTH_NET_ERROR_TIMEOUT ||
          error->code == OFFAUTH_NET_ERROR_BROKEN || error->code == OFFAUTH_NET_ERROR_GARBAGE);
}

/* Every status error's message begins "HTTP NNN". */
guint
offauth_net_error_get_status (const GError *error)
{
  if (error == NULL || error->domain != OFFAUTH_NET_ERROR ||
      !g_str_has_prefix (error->message, "HTTP "))
    return 0;
  return (guint) strtoul (error->message + 5, NULL, 10);
}

gboolean
offauth_acquirer_url_is_allowed (const char *url, GError **error)
{
  g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (uri == NULL || host == NULL || *host == '\0' ||
      (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0))
    {
      g_set_error (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_URL,
                   "%s is not an http or https URL", url ? url : "(none)");
      return FALSE;
    }
  if (strcmp (scheme, "https") == 0 || g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  /* Rows carry payer identifiers: plain HTTP only where nothing leaves the machine. */
  address = g_inet_address_new_from_string (host);
  if (address != NULL && g_inet_address_get_is_loopback (address))
    return TRUE;
  g_set_error (error, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_URL,
               "%s is plain HTTP to another machine: use https", url);
  return FALSE;
}

static void
offauth_acquirer_client_finalize (GObject *object)
{
  OffauthAcquirerClient *self = OFFAUTH_ACQUIRER_CLIENT (object);

  g_clear_pointer (&self->base_url, g_free);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (offauth_acquirer_client_parent_class)->finalize (object);
}

static void
offauth_acquirer_client_get_property (GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  OffauthAcquirerClient *self = OFFAUTH_ACQUIRER_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_acquirer_client_set_property (GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  OffauthAcquirerClient *self = OFFAUTH_ACQUIRER_CLIENT (object);
  const char *url;

  switch (prop_id)
    {
    case PROP_BASE_URL:
      /* Without its trailing slashes, so that paths append as they are. */
      url = g_value_get_string (value);
      g_free (self->base_url);
      self->base_url = g_strdup (url ? url : "");
      while (g_str_has_suffix (self->base_url, "/"))
        self->base_url[strlen (self->base_url) - 1] = '\0';
      break;
    case PROP_TIMEOUT:
      offauth_acquirer_client_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_acquirer_client_class_init (OffauthAcquirerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = offauth_acquirer_client_finalize;
  object_class->get_property = offauth_acquirer_client_get_property;
  object_class->set_property = offauth_acquirer_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 10,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
offauth_acquirer_client_init (OffauthAcquirerClient *self)
{
  self->timeout = 10;
  self->session = soup_session_new_with_options ("timeout", self->timeout,
                                                 "user-agent", "offauth-terminal/" PACKAGE_VERSION,
                                                 NULL);
}

OffauthAcquirerClient *
offauth_acquirer_client_new (const char *base_url, guint timeout, GError **error)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  if (!offauth_acquirer_url_is_allowed (base_url, error))
    return NULL;
  return g_object_new (OFFAUTH_TYPE_ACQUIRER_CLIENT, "base-url", base_url, "timeout", timeout,
                       NULL);
}

const char *
offauth_acquirer_client_get_base_url (OffauthAcquirerClient *self)
{
  g_return_val_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self), NULL);
  return self->base_url;
}

guint
offauth_acquirer_client_get_timeout (OffauthAcquirerClient *self)
{
  g_return_val_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self), 0);
  return self->timeout;
}

void
offauth_acquirer_client_set_timeout (OffauthAcquirerClient *self, guint timeout)
{
  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));

  if (self->timeout == timeout)
    return;
  self->timeout = timeout;
  soup_session_set_timeout (self->session, timeout);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/* A transport error as the spec sorts it; cancelling stays G_IO_ERROR_CANCELLED. */
static void
return_transport_error (GTask *task, GError *error)
{
  Call *call = g_task_get_task_data (task);
  g_autofree gchar *uri = g_uri_to_string (soup_message_get_uri (call->msg));
  int code = OFFAUTH_NET_ERROR_BROKEN;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    code = OFFAUTH_NET_ERROR_TIMEOUT;
  else if (error->domain == SOUP_SESSION_ERROR &&
           (error->code == SOUP_SESSION_ERROR_PARSING || error->code == SOUP_SESSION_ERROR_ENCODING))
    code = OFFAUTH_NET_ERROR_GARBAGE;
  g_task_return_new_error (task, OFFAUTH_NET_ERROR, code, "%s: %s", uri, error->message);
  g_error_free (error);
}

/* An OA1 text as the wire writes it: "OA1", then printable ASCII without spaces. */
static gboolean
is_oa1_text (const char *text, gsize len)
{
  if (len < 5 || strncmp (text, "OA1", 3) != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] <= ' ' || (guchar) text[i] > '~')
      return FALSE;
  return TRUE;
}

static void
return_status_error (GTask *task, guint status, const char *body, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *why = NULL;
  JsonNode *root;
  int code;

  switch (status)
    {
    case 400: code = OFFAUTH_NET_ERROR_BAD_REQUEST; break;
    case 403: code = OFFAUTH_NET_ERROR_FORBIDDEN; break;
    case 409: code = OFFAUTH_NET_ERROR_CONFLICT; break;
    case 413: code = OFFAUTH_NET_ERROR_TOO_LARGE; break;
    default: code = status >= 500 && status < 600 ? OFFAUTH_NET_ERROR_SERVER : OFFAUTH_NET_ERROR_HTTP;
    }
  /* 4xx answers are {"error": …}: the acquirer's words, when it sent them. */
  if (len > 0 && len < HEALTH_ANSWER_MAX && json_parser_load_from_data (parser, body, len, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    why = json_object_get_string_member_with_default (json_node_get_object (root), "error", NULL);
  g_task_return_new_error (task, OFFAUTH_NET_ERROR, code, "HTTP %u %s%s%s", status,
                           soup_status_get_phrase (status), why ? ": " : "", why ? why : "");
}

static void
return_answer (GTask *task)
{
  Call *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->msg);
  gsize len = call->body->len;
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  g_byte_array_append (call->body, (const guint8 *) "", 1);
  text = (gchar *) g_byte_array_free (g_steal_pointer (&call->body), FALSE);
  if (status != SOUP_STATUS_OK)
    {
      return_status_error (task, status, text, len);
      return;
    }
  if (memchr (text, '\0', len) != NULL)
    goto garbage;
  switch (call->kind)
    {
    case ANSWER_TEXT:
      g_strstrip (text);
      if (!is_oa1_text (text, strlen (text)))
        goto garbage;
      g_task_return_pointer (task, g_steal_pointer (&text), g_free);
      return;
    case ANSWER_LINES:
      {
        g_autoptr(GStrvBuilder) out = g_strv_builder_new ();

        lines = g_strsplit (text, "\n", -1);
        for (gsize i = 0; lines[i] != NULL; i++)
          {
            g_strstrip (lines[i]);
            if (lines[i][0] == '\0')
              continue;
            if (!is_oa1_text (lines[i], strlen (lines[i])))
              goto garbage;
            g_strv_builder_add (out, lines[i]);
          }
        g_task_return_pointer (task, g_strv_builder_end (out), (GDestroyNotify) g_strfreev);
        return;
      }
    case ANSWER_JSON:
      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, text, len, NULL) ||
          (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        goto garbage;
      g_task_return_pointer (task, json_object_ref (json_node_get_object (root)),
                             (GDestroyNotify) json_object_unref);
      return;
    default:
      g_assert_not_reached ();
    }

garbage:
  g_task_return_new_error (task, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_GARBAGE,
                           "HTTP 200 with an answer that is not what %s answers",
                           g_uri_get_path (soup_message_get_uri (call->msg)));
}

static void read_next (GTask *task);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              &error);

  if (bytes == NULL)
    {
      return_transport_error (task, error);
      return;
    }
  if (g_bytes_get_size (bytes) == 0)
    {
      return_answer (task);
      return;
    }
  if (call->body->len + g_bytes_get_size (bytes) > call->limit)
    {
      g_task_return_new_error (task, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_GARBAGE,
                               "an answer longer than %s takes (%" G_GSIZE_FORMAT " bytes)",
                               g_uri_get_path (soup_message_get_uri (call->msg)), call->limit);
      return;
    }
  g_byte_array_append (call->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (call->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

static void
send_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;

  call->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (call->stream == NULL)
    {
      return_transport_error (task, error);
      g_object_unref (task);
      return;
    }
  /* An error status's body is only read for its {"error": …}. */
  if (soup_message_get_status (call->msg) != SOUP_STATUS_OK)
    call->limit = MIN (call->limit, HEALTH_ANSWER_MAX);
  read_next (task);
}

static void
start_call (OffauthAcquirerClient *self,
            const char            *method,
            const char            *path_and_query,
            const char            *body,
            AnswerKind             kind,
            gsize                  limit,
            gpointer               source_tag,
            GCancellable          *cancellable,
            GAsyncReadyCallback    callback,
            gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree gchar *uri = NULL;
  GError *error = NULL;
  Call *call;

  g_task_set_source_tag (task, source_tag);
  /* The URL is checked again at every call: base-url may have been set directly. */
  if (!offauth_acquirer_url_is_allowed (self->base_url, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  call = g_new0 (Call, 1);
  call->kind = kind;
  call->limit = limit;
  call->body = g_byte_array_new ();
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  uri = g_strconcat (self->base_url, path_and_query, NULL);
  call->msg = soup_message_new (method, uri);
  if (call->msg == NULL)
    {
      g_task_return_new_error (task, OFFAUTH_NET_ERROR, OFFAUTH_NET_ERROR_URL,
                               "%s is not a valid URL", uri);
      return;
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (call->msg, "text/plain", bytes);
    }
  soup_session_send_async (self->session, call->msg, G_PRIORITY_DEFAULT, cancellable, send_cb,
                           g_steal_pointer (&task));
}

static gpointer
finish_call (OffauthAcquirerClient *self, GAsyncResult *result, gpointer source_tag,
             GError **error)
{
  g_return_val_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
offauth_acquirer_client_sync_async (OffauthAcquirerClient *self,
                                    const char            *request_text,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));
  g_return_if_fail (request_text != NULL);

  start_call (self, "POST", "/v1/sync", request_text, ANSWER_TEXT, SYNC_ANSWER_MAX,
              offauth_acquirer_client_sync_async, cancellable, callback, user_data);
}

gchar *
offauth_acquirer_client_sync_finish (OffauthAcquirerClient *self, GAsyncResult *result,
                                     GError **error)
{
  return finish_call (self, result, offauth_acquirer_client_sync_async, error);
}

void
offauth_acquirer_client_authorize_async (OffauthAcquirerClient *self,
                                         const char            *request_text,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data)
{
  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));
  g_return_if_fail (request_text != NULL);

  start_call (self, "POST", "/v1/authorize", request_text, ANSWER_TEXT, DECISION_ANSWER_MAX,
              offauth_acquirer_client_authorize_async, cancellable, callback, user_data);
}

gchar *
offauth_acquirer_client_authorize_finish (OffauthAcquirerClient *self, GAsyncResult *result,
                                          GError **error)
{
  return finish_call (self, result, offauth_acquirer_client_authorize_async, error);
}

void
offauth_acquirer_client_trust_async (OffauthAcquirerClient *self,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));

  start_call (self, "GET", "/v1/trust", NULL, ANSWER_TEXT, TRUST_ANSWER_MAX,
              offauth_acquirer_client_trust_async, cancellable, callback, user_data);
}

gchar *
offauth_acquirer_client_trust_finish (OffauthAcquirerClient *self, GAsyncResult *result,
                                      GError **error)
{
  return finish_call (self, result, offauth_acquirer_client_trust_async, error);
}

void
offauth_acquirer_client_revocations_async (OffauthAcquirerClient *self,
                                           const char            *have,
                                           GCancellable          *cancellable,
                                           GAsyncReadyCallback    callback,
                                           gpointer               user_data)
{
  g_autofree gchar *escaped = NULL;
  g_autofree gchar *path = NULL;

  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));

  if (have != NULL && *have != '\0')
    {
      escaped = g_uri_escape_string (have, ":,", FALSE);
      path = g_strconcat ("/v1/revocations?have=", escaped, NULL);
    }
  start_call (self, "GET", path ? path : "/v1/revocations", NULL, ANSWER_LINES, LISTS_ANSWER_MAX,
              offauth_acquirer_client_revocations_async, cancellable, callback, user_data);
}

GStrv
offauth_acquirer_client_revocations_finish (OffauthAcquirerClient *self, GAsyncResult *result,
                                            GError **error)
{
  return finish_call (self, result, offauth_acquirer_client_revocations_async, error);
}

void
offauth_acquirer_client_health_async (OffauthAcquirerClient *self,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_return_if_fail (OFFAUTH_IS_ACQUIRER_CLIENT (self));

  start_call (self, "GET", "/v1/health", NULL, ANSWER_JSON, HEALTH_ANSWER_MAX,
              offauth_acquirer_client_health_async, cancellable, callback, user_data);
}

JsonObject *
offauth_acquirer_client_health_finish (OffauthAcquirerClient *self, GAsyncResult *result,
                                       GError **error)
{
  return finish_call (self, result, offauth_acquirer_client_health_async, error);
}
