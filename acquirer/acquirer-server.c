/* acquirer-server.c: the HTTP routes of the acquirer (docs/api.md) on a SoupServer.
 *
 * Every route runs on the main loop. Error answers (4xx, 5xx) are unsigned JSON
 * {"error": ...} and change nothing. Bodies are capped before they are read: see
 * early_cb().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-acquirer"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "acquirer-server.h"
#include "acquirer-sync.h"

struct _AcquirerServer
{
  SoupServer             *soup;
  AcquirerDb             *db;
  const OffauthSecretKey *key;
  gchar                  *issuer_dir;
  guint64                 now;
  gboolean                tls;
};

typedef void (*RouteFunc) (AcquirerServer    *self,
                           SoupServerMessage *msg,
                           GHashTable        *query);

typedef struct
{
  const char *path;
  const char *method;
  gsize       body_max;
  RouteFunc   func;
} Route;

/* What a chunked body has brought so far, against its route's limit. */
typedef struct
{
  gsize    limit;
  gsize    seen;
  gboolean refused;
} BodyCap;

static guint64
server_now (AcquirerServer *self)
{
  return self->now ? self->now : (guint64) (g_get_real_time () / G_USEC_PER_SEC);
}

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            JsonBuilder       *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  gchar *text;
  gsize len;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  reply_json (msg, status, b);
}

/* One OA1 text per line. */
static void
reply_texts (SoupServerMessage *msg,
             GPtrArray         *texts)
{
  GString *out = g_string_new (NULL);
  gsize len;

  for (guint i = 0; i < texts->len; i++)
    g_string_append_printf (out, "%s\n", (const char *) texts->pdata[i]);
  len = out->len;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (out, FALSE), len);
}

static void
refuse_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  /* Whatever still comes is dropped as it arrives, and the connection ends after the
   * answer (a client that asked "Expect: 100-continue" never sends it at all). */
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body too large");
}

static void
health_route (AcquirerServer    *self,
              SoupServerMessage *msg,
              GHashTable        *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree gchar *key = offauth_b64_encode (self->key->pk, OFFAUTH_PK_SIZE);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, (gint64) MIN (server_now (self), (guint64) G_MAXINT64));
  json_builder_set_member_name (b, "acquirer_key");
  json_builder_add_string_value (b, key);
  json_builder_end_object (b);
  reply_json (msg, SOUP_STATUS_OK, b);
}

/* The issuer folder is read at every request, so that what the issuer publishes (and a
 * revocation settlement makes) is served at once. */
static OffauthIssuer *
open_issuer (AcquirerServer    *self,
             SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  OffauthIssuer *is = offauth_issuer_open (self->issuer_dir, &error);

  if (is == NULL)
    {
      g_warning ("The issuer folder cannot be read: %s", error->message);
      reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "issuer folder unavailable");
      return NULL;
    }
  if (self->now)
    offauth_issuer_set_now (is, self->now);
  return is;
}

static void
trust_route (AcquirerServer    *self,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  g_autoptr(OffauthIssuer) is = open_issuer (self, msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  gchar *text;

  if (is == NULL)
    return;
  if ((text = offauth_issuer_latest_bundle (is, &error)) == NULL)
    {
      if (g_error_matches (error, OFFAUTH_ERROR, OFFAUTH_ERROR_STATE))
        reply_error (msg, SOUP_STATUS_NOT_FOUND, "no trust bundle published");
      else
        {
          g_warning ("The trust bundle cannot be read: %s", error->message);
          reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "trust bundle unavailable");
        }
      return;
    }
  g_ptr_array_add (texts, text);
  reply_texts (msg, texts);
}

/* have=KEYID:SEQ,...: KEYID in hex (16 digits), SEQ in decimal; each key at most once. */
static GHashTable *
parse_have (const char *have)
{
  g_autoptr(GHashTable) out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) items = NULL;

  if (have == NULL || *have == '\0')
    return g_steal_pointer (&out);
  items = g_strsplit (have, ",", -1);
  for (gsize i = 0; items[i] != NULL; i++)
    {
      const char *colon = strchr (items[i], ':');
      guint8 key_id[OFFAUTH_KEY_ID_SIZE];
      guint64 seq;
      g_autofree gchar *hex = NULL;

      if (colon == NULL || colon - items[i] != 2 * OFFAUTH_KEY_ID_SIZE)
        return NULL;
      hex = g_ascii_strdown (items[i], colon - items[i]);
      if (!offauth_unhex (hex, key_id, sizeof key_id) ||
          !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT64, &seq, NULL) ||
          g_hash_table_contains (out, hex))
        return NULL;
      g_hash_table_insert (out, g_steal_pointer (&hex), g_memdup2 (&seq, sizeof seq));
    }
  return g_steal_pointer (&out);
}

static void
revocations_route (AcquirerServer    *self,
                   SoupServerMessage *msg,
                   GHashTable        *query)
{
  g_autoptr(GHashTable) have = NULL;
  g_autoptr(OffauthIssuer) is = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lists = NULL;
  g_autoptr(GPtrArray) newer = g_ptr_array_new ();

  have = parse_have (query ? g_hash_table_lookup (query, "have") : NULL);
  if (have == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "have is not a list of KEYID:SEQ");
      return;
    }
  if ((is = open_issuer (self, msg)) == NULL)
    return;
  if ((lists = offauth_issuer_latest_revocation_lists (is, &error)) == NULL)
    {
      g_warning ("The revocation lists cannot be read: %s", error->message);
      reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "revocation lists unavailable");
      return;
    }
  for (guint i = 0; i < lists->len; i++)
    {
      g_autoptr(OffauthRevocationList) list = NULL;
      g_autofree gchar *hex = NULL;
      const guint64 *seq;

      list = offauth_revocation_list_parse_text (lists->pdata[i], &error);
      if (list == NULL)
        {
          g_warning ("A published revocation list does not parse: %s", error->message);
          reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "revocation lists unavailable");
          return;
        }
      hex = offauth_hex (list->issuer_key_id, sizeof list->issuer_key_id);
      seq = g_hash_table_lookup (have, hex);
      if (seq == NULL || list->sequence > *seq)
        g_ptr_array_add (newer, lists->pdata[i]);
    }
  reply_texts (msg, newer);
}

/* The message's text answered 200, with the content type of the other texts. */
static void
reply_text (SoupServerMessage *msg,
            char               type,
            const guint8      *bin,
            gsize              len)
{
  gchar *text = offauth_text_encode (type, bin, len);
  gsize text_len = strlen (text);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_TAKE, text,
                                    text_len);
}

static void
reply_storage_error (SoupServerMessage *msg,
                     GError            *error)
{
  g_warning ("A request could not be settled: %s", error->message);
  reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "storage unavailable");
}

/* POST /v1/sync: the sync request U, answered with A (acquirer-sync.c). */
static void
handle_sync (AcquirerServer    *self,
             SoupServerMessage *msg,
             GBytes            *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OffauthSyncRequest) req = NULL;
  g_autoptr(OffauthSyncAnswer) answer = NULL;
  AcquirerSyncStatus status;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (data == NULL || (req = offauth_sync_request_parse_text (data, (gssize) len, &error)) == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "not a sync request");
      return;
    }
  if (!acquirer_sync_handle (self->db, self->key, self->issuer_dir, server_now (self), req, &status,
                             &answer, &error))
    {
      reply_storage_error (msg, error);
      return;
    }
  switch (status)
    {
    case ACQUIRER_SYNC_FORBIDDEN:
      reply_error (msg, SOUP_STATUS_FORBIDDEN, "terminal not registered or signature invalid");
      break;
    case ACQUIRER_SYNC_FORK:
      reply_error (msg, SOUP_STATUS_CONFLICT, "the rows rewrite the chain this acquirer holds");
      break;
    case ACQUIRER_SYNC_ANSWERED:
    default:
      reply_text (msg, 'A', g_bytes_get_data (answer->raw, NULL), g_bytes_get_size (answer->raw));
      break;
    }
}

/* POST /v1/authorize: the online request O, answered with the decision D. */
static void
handle_authorize (AcquirerServer    *self,
                  SoupServerMessage *msg,
                  GBytes            *body)
{
  g_autoptr(GError) error = NULL;
  OffauthOnlineRequest req;
  OffauthOnlineDecision decision;
  gboolean forbidden;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (data == NULL || !offauth_online_request_parse_text (&req, data, (gssize) len, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "not an online request");
      return;
    }
  if (!acquirer_online_handle (self->db, self->key, self->issuer_dir, server_now (self), &req,
                               &forbidden, &decision, &error))
    reply_storage_error (msg, error);
  else if (forbidden)
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "terminal not registered or signature invalid");
  else
    reply_text (msg, 'D', decision.raw, sizeof decision.raw);
}

static void
sync_route (AcquirerServer    *self,
            SoupServerMessage *msg,
            GHashTable        *query)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  handle_sync (self, msg, body);
}

static void
authorize_route (AcquirerServer    *self,
                 SoupServerMessage *msg,
                 GHashTable        *query)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  handle_authorize (self, msg, body);
}

static const Route routes[] = {
  { "/v1/health", "GET", ACQUIRER_SMALL_BODY_MAX, health_route },
  { "/v1/trust", "GET", ACQUIRER_SMALL_BODY_MAX, trust_route },
  { "/v1/revocations", "GET", ACQUIRER_SMALL_BODY_MAX, revocations_route },
  { "/v1/sync", "POST", ACQUIRER_SYNC_BODY_MAX, sync_route },
  { "/v1/authorize", "POST", ACQUIRER_SMALL_BODY_MAX, authorize_route },
};

static const Route *
find_route (const char *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    if (strcmp (path, routes[i].path) == 0)
      return &routes[i];
  return NULL;
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  BodyCap *cap = user_data;

  if (cap->refused)
    return;
  cap->seen += g_bytes_get_size (chunk);
  if (cap->seen > cap->limit)
    {
      cap->refused = TRUE;
      refuse_body (msg);
    }
}

/* After the headers, before the body: a body longer than its route takes is answered
 * 413 at once from its Content-Length; one without a length is counted as it comes. A
 * status set here means the route's handler never runs. */
static void
early_cb (SoupServer        *soup,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const Route *route = find_route (path);
  gsize limit = route ? route->body_max : ACQUIRER_SMALL_BODY_MAX;
  BodyCap *cap;

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      break;
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > (goffset) limit)
        refuse_body (msg);
      break;
    default:
      cap = g_new0 (BodyCap, 1);
      cap->limit = limit;
      g_object_set_data_full (G_OBJECT (msg), "acquirer-body-cap", cap, g_free);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), cap);
      break;
    }
}

static void
request_cb (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  AcquirerServer *self = user_data;
  const Route *route = find_route (path);

  if (route == NULL)
    {
      reply_error (msg, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  if (strcmp (soup_server_message_get_method (msg), route->method) != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    route->method);
      reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  route->func (self, msg, query);
}

AcquirerServer *
acquirer_server_new (AcquirerDb             *db,
                     const OffauthSecretKey *key,
                     const char             *issuer_dir,
                     guint64                 now,
                     GTlsCertificate        *tls_certificate)
{
  AcquirerServer *self = g_new0 (AcquirerServer, 1);

  self->db = db;
  self->key = key;
  self->issuer_dir = g_strdup (issuer_dir);
  self->now = now;
  self->tls = tls_certificate != NULL;
  self->soup = soup_server_new ("server-header", "offauth-acquirer/" PACKAGE_VERSION " ", NULL);
  if (tls_certificate != NULL)
    soup_server_set_tls_certificate (self->soup, tls_certificate);
  /* Both at the root, so that the early handler sees every request and the routes are
   * matched exactly (not by prefix). */
  soup_server_add_early_handler (self->soup, NULL, early_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, request_cb, self, NULL);
  return self;
}

void
acquirer_server_free (AcquirerServer *self)
{
  if (self == NULL)
    return;
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_free (self->issuer_dir);
  g_free (self);
}

/* Connections the kernel queues before the server accepts them. SoupServer's own socket
 * listens with GSocket's default of 10: terminals reconnecting at once (after an outage,
 * or 50 at the same instant) got "Connection reset by peer". The kernel caps it at
 * net.core.somaxconn (4096 on current kernels). */
#define ACQUIRER_LISTEN_BACKLOG 1024

gchar *
acquirer_server_listen (AcquirerServer     *self,
                        GInetSocketAddress *address,
                        GError            **error)
{
  SoupServerListenOptions options = self->tls ? SOUP_SERVER_LISTEN_HTTPS : 0;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree gchar *host = NULL;
  GInetAddress *inet;
  GSList *listeners;

  socket = g_socket_new (g_socket_address_get_family (G_SOCKET_ADDRESS (address)),
                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, ACQUIRER_LISTEN_BACKLOG);
  if (!g_socket_bind (socket, G_SOCKET_ADDRESS (address), TRUE, error) ||
      !g_socket_listen (socket, error) ||
      !soup_server_listen_socket (self->soup, socket, options, error))
    return NULL;
  listeners = soup_server_get_listeners (self->soup);
  local = listeners ? g_socket_get_local_address (listeners->data, error) : NULL;
  g_slist_free (listeners);
  if (local == NULL)
    return NULL;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  host = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    {
      g_autofree gchar *bare = g_steal_pointer (&host);
      host = g_strdup_printf ("[%s]", bare);
    }
  return g_strdup_printf ("%s://%s:%u", self->tls ? "https" : "http", host,
                          (guint) g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
}
