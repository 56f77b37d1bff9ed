/* tool-inspect.c: decodes any OA1 text to its fields and checks the signatures it can.
 *
 * Which key checks what: a payment's payer signature is checked with the payer key inside
 * its credential, and a trust bundle's root signature with the root key inside it (that
 * shows integrity, not trust: compare root_fingerprint with the one given out of band).
 * Every other signature needs --key: the issuer key (C, V; the credential inside a
 * payment P), the terminal key (K, U, O; its terminal_id is checked against it) or the
 * acquirer key (A, D); U and O also need --acquirer-key, whose key id they are bound to.
 * A signature whose key is not given is reported as not checked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-tool"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "offauth.h"
#include "tool-common.h"
#include "tool-inspect.h"

static gchar *opt_key;
static gchar *opt_acquirer_key;

const GOptionEntry tool_inspect_entries[] = {
  { "key", 0, 0, G_OPTION_ARG_STRING, &opt_key,
    N_("The signer's public key: issuer (C, V, P), terminal (K, U, O) or acquirer (A, D)"),
    "PUBKEY" },
  { "acquirer-key", 0, 0, G_OPTION_ARG_STRING, &opt_acquirer_key,
    N_("The acquirer key that U and O are bound to"), "PUBKEY" },
  { NULL }
};

/* One writer for both outputs: JSON members, or "name: value" lines whose names carry
 * the path of nested objects ("records.0.kind"). */
typedef struct
{
  JsonBuilder *b;
  GString     *text;
  GString     *prefix;
  GArray      *marks;          /* prefix lengths to go back to */
  gboolean     any_invalid;
} Out;

static void
out_name (Out        *o,
          const char *name)
{
  if (o->b != NULL)
    json_builder_set_member_name (o->b, name);
  else
    g_string_append_printf (o->text, "%s%s: ", o->prefix->str, name);
}

static void
out_str (Out        *o,
         const char *name,
         const char *value)
{
  out_name (o, name);
  if (o->b != NULL)
    json_builder_add_string_value (o->b, value);
  else
    g_string_append_printf (o->text, "%s\n", value);
}

static void
out_u64 (Out        *o,
         const char *name,
         guint64     value)
{
  if (o->b != NULL)
    tool_json_u64 (o->b, name, value);
  else
    g_string_append_printf (o->text, "%s%s: %" G_GUINT64_FORMAT "\n", o->prefix->str, name,
                            value);
}

static void
out_hex (Out          *o,
         const char   *name,
         const guint8 *data,
         gsize         len)
{
  g_autofree gchar *hex = offauth_hex (data, len);

  out_str (o, name, hex);
}

static void
out_key (Out          *o,
         const char   *name,
         const guint8  pk[OFFAUTH_PK_SIZE])
{
  g_autofree gchar *b64 = offauth_b64_encode (pk, OFFAUTH_PK_SIZE);

  out_str (o, name, b64);
}

static void
out_bool (Out        *o,
          const char *name,
          gboolean    value)
{
  out_name (o, name);
  if (o->b != NULL)
    json_builder_add_boolean_value (o->b, value);
  else
    g_string_append (o->text, value ? "true\n" : "false\n");
}

static void
out_begin (Out        *o,
           const char *name)
{
  gsize mark = o->prefix->len;

  if (o->b != NULL)
    {
      if (name != NULL)
        json_builder_set_member_name (o->b, name);
      json_builder_begin_object (o->b);
      return;
    }
  g_array_append_val (o->marks, mark);
  g_string_append_printf (o->prefix, "%s.", name);
}

static void
out_end (Out *o)
{
  if (o->b != NULL)
    {
      json_builder_end_object (o->b);
      return;
    }
  g_string_truncate (o->prefix, g_array_index (o->marks, gsize, o->marks->len - 1));
  g_array_set_size (o->marks, o->marks->len - 1);
}

/* An array of objects: in JSON an array, in text a name with the index ("verdicts.0."). */
static void
out_begin_array (Out        *o,
                 const char *name)
{
  if (o->b != NULL)
    {
      json_builder_set_member_name (o->b, name);
      json_builder_begin_array (o->b);
    }
}

static void
out_end_array (Out *o)
{
  if (o->b != NULL)
    json_builder_end_array (o->b);
}

static void
out_begin_item (Out        *o,
                const char *array,
                guint       i)
{
  g_autofree gchar *name = g_strdup_printf ("%s.%u", array, i);

  out_begin (o, o->b != NULL ? NULL : name);
}

/* A signature's status: "valid", "invalid" or "not checked" (the key is not known). */
static void
out_signature (Out        *o,
               const char *name,
               gboolean    checked,
               gboolean    valid)
{
  out_str (o, name, !checked ? "not checked" : valid ? "valid" : "invalid");
  if (checked && !valid)
    o->any_invalid = TRUE;
}

static void
out_credential (Out                     *o,
                const OffauthCredential *c,
                const guint8            *issuer_pk)
{
  out_hex (o, "issuer_key_id", c->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
  out_hex (o, "credential_id", c->credential_id, OFFAUTH_CREDENTIAL_ID_SIZE);
  out_key (o, "payer_public_key", c->payer_public_key);
  out_str (o, "currency", c->currency);
  out_u64 (o, "max_offline_count", c->max_offline_count);
  out_u64 (o, "per_payment_limit", c->per_payment_limit);
  out_u64 (o, "offline_total_limit", c->offline_total_limit);
  out_u64 (o, "not_before", c->not_before);
  out_u64 (o, "not_after", c->not_after);
  out_u64 (o, "scope", c->scope);
  out_hex (o, "signature", c->signature, OFFAUTH_SIG_SIZE);
  out_signature (o, "issuer_signature", issuer_pk != NULL,
                 issuer_pk != NULL && offauth_credential_verify (c, issuer_pk));
}

static void
out_request (Out                  *o,
             const OffauthRequest *r)
{
  out_str (o, "merchant_id", r->merchant_id);
  out_hex (o, "terminal_id", r->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  out_u64 (o, "scope", r->scope);
  out_str (o, "currency", r->currency);
  out_u64 (o, "amount", r->amount);
  out_u64 (o, "created_at", r->created_at);
  out_hex (o, "challenge", r->challenge, OFFAUTH_CHALLENGE_SIZE);
}

static void
out_payment (Out                  *o,
             const OffauthPayment *p,
             const guint8         *issuer_pk)
{
  out_begin (o, "credential");
  out_credential (o, &p->credential, issuer_pk);
  out_end (o);
  out_begin (o, "request");
  out_request (o, &p->request);
  out_end (o);
  out_u64 (o, "counter", p->counter);
  out_hex (o, "signature", p->signature, OFFAUTH_SIG_SIZE);
  out_hex (o, "sale_id", p->sale_id, OFFAUTH_SALE_ID_SIZE);
  out_signature (o, "payer_signature", TRUE, offauth_payment_verify (p));
}

static void
out_terminal_id (Out          *o,
                 const guint8  terminal_id[OFFAUTH_TERMINAL_ID_SIZE],
                 const guint8 *terminal_pk)
{
  guint8 expect[OFFAUTH_TERMINAL_ID_SIZE];

  out_hex (o, "terminal_id", terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
  if (terminal_pk == NULL)
    return;
  offauth_terminal_id_from_key (expect, terminal_pk);
  out_bool (o, "terminal_id_matches_key", memcmp (expect, terminal_id, sizeof expect) == 0);
  if (memcmp (expect, terminal_id, sizeof expect) != 0)
    o->any_invalid = TRUE;
}

static void
out_verdict (Out                  *o,
             const OffauthVerdict *v)
{
  out_u64 (o, "sale_seq", v->sale_seq);
  out_hex (o, "sale_id", v->sale_id, OFFAUTH_SALE_ID_SIZE);
  out_u64 (o, "state", v->state);
  out_str (o, "state_name", offauth_wire_state_name (v->state));
  out_u64 (o, "reason", v->reason);
  out_str (o, "reason_name", offauth_settle_reason_name (v->reason));
  out_u64 (o, "attempt", v->attempt);
  out_u64 (o, "retry_after", v->retry_after);
}

/* A journal record inside a sync request: its kind, time and length, and for a sale its
 * sale id and amount (records of other kinds are opaque to an acquirer). */
static void
out_record (Out              *o,
            guint64           seq,
            const OffauthView *view)
{
  g_auto(OffauthRecord) rec = { 0 };
  g_autoptr(GError) error = NULL;

  out_u64 (o, "seq", seq);
  out_u64 (o, "kind", view->data[0]);
  out_str (o, "kind_name", offauth_record_kind_name (view->data[0]));
  out_u64 (o, "time", (guint64) view->data[1] | (guint64) view->data[2] << 8 |
           (guint64) view->data[3] << 16 | (guint64) view->data[4] << 24 |
           (guint64) view->data[5] << 32 | (guint64) view->data[6] << 40 |
           (guint64) view->data[7] << 48 | (guint64) view->data[8] << 56);
  out_u64 (o, "length", view->len);
  if (!offauth_record_parse (&rec, view->data, view->len, &error))
    {
      if (offauth_record_kind_known (view->data[0]))
        out_str (o, "malformed", error->message);
      return;
    }
  if (rec.kind == OFFAUTH_RECORD_SALE_APPROVED)
    {
      out_hex (o, "sale_id", rec.sale.payment.sale_id, OFFAUTH_SALE_ID_SIZE);
      out_u64 (o, "amount", rec.sale.payment.request.amount);
      out_str (o, "currency", rec.sale.payment.request.currency);
      out_u64 (o, "mode", rec.sale.mode);
      out_signature (o, "payer_signature", TRUE, offauth_payment_verify (&rec.sale.payment));
    }
  else if (rec.kind == OFFAUTH_RECORD_SALE_STATE)
    {
      out_begin (o, "verdict");
      out_verdict (o, &rec.sale_state.verdict);
      out_end (o);
    }
}

static gboolean
parse_key (const char *arg,
           const char *option,
           guint8      out[OFFAUTH_PK_SIZE],
           GError    **error)
{
  if (arg == NULL)
    return TRUE;
  if (!offauth_b64_decode_exact (arg, strlen (arg), out, OFFAUTH_PK_SIZE))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s is not a public key (43 characters of base64url)"), option);
      return FALSE;
    }
  return TRUE;
}

/* Writes the fields of one message; FALSE with error when it is malformed. */
static gboolean
inspect_text (Out          *o,
              const char   *text,
              gsize         len,
              const guint8 *key,
              const guint8 *acq,
              GError      **error)
{
  char type = offauth_text_type (text);
  char letter[2] = { type, '\0' };

  switch (type)
    {
    case 'C':
      {
        OffauthCredential c;
        if (!offauth_credential_parse_text (&c, text, error))
          return FALSE;
        out_str (o, "type", letter);
        out_credential (o, &c, key);
        return TRUE;
      }
    case 'R':
      {
        OffauthRequest r;
        if (!offauth_request_parse_text (&r, text, error))
          return FALSE;
        out_str (o, "type", letter);
        out_request (o, &r);
        return TRUE;
      }
    case 'P':
      {
        OffauthPayment p;
        if (!offauth_payment_parse_text (&p, text, (gssize) len, error))
          return FALSE;
        out_str (o, "type", letter);
        out_payment (o, &p, key);
        return TRUE;
      }
    case 'T':
      {
        g_autofree OffauthBundle *b = g_new0 (OffauthBundle, 1);
        g_autofree gchar *fpr = NULL;
        if (!offauth_bundle_parse_text (b, text, error))
          return FALSE;
        fpr = offauth_root_fingerprint (b->root_public_key);
        out_str (o, "type", letter);
        out_key (o, "root_public_key", b->root_public_key);
        out_str (o, "root_fingerprint", fpr);
        out_u64 (o, "sequence", b->sequence);
        out_u64 (o, "issued_at", b->issued_at);
        out_u64 (o, "expires_at", b->expires_at);
        out_u64 (o, "n", b->n_keys);
        out_begin_array (o, "entries");
        for (guint i = 0; i < b->n_keys; i++)
          {
            out_begin_item (o, "entries", i);
            out_hex (o, "issuer_key_id", b->keys[i].key_id, OFFAUTH_KEY_ID_SIZE);
            out_key (o, "issuer_public_key", b->keys[i].public_key);
            out_u64 (o, "not_before", b->keys[i].not_before);
            out_u64 (o, "not_after", b->keys[i].not_after);
            out_u64 (o, "scope", b->keys[i].scope);
            out_end (o);
          }
        out_end_array (o);
        out_hex (o, "signature", b->signature, OFFAUTH_SIG_SIZE);
        out_signature (o, "root_signature", TRUE, offauth_bundle_verify (b, b->root_public_key));
        if (key != NULL)
          {
            out_bool (o, "root_matches_key", memcmp (key, b->root_public_key, OFFAUTH_PK_SIZE) == 0);
            if (memcmp (key, b->root_public_key, OFFAUTH_PK_SIZE) != 0)
              o->any_invalid = TRUE;
          }
        return TRUE;
      }
    case 'V':
      {
        g_autoptr(OffauthRevocationList) l = offauth_revocation_list_parse_text (text, error);
        if (l == NULL)
          return FALSE;
        out_str (o, "type", letter);
        out_hex (o, "issuer_key_id", l->issuer_key_id, OFFAUTH_KEY_ID_SIZE);
        out_u64 (o, "sequence", l->sequence);
        out_u64 (o, "issued_at", l->issued_at);
        out_u64 (o, "next_update", l->next_update);
        out_u64 (o, "n", l->n_ids);
        if (o->b != NULL)
          {
            json_builder_set_member_name (o->b, "revoked");
            json_builder_begin_array (o->b);
            for (guint32 i = 0; i < l->n_ids; i++)
              {
                g_autofree gchar *hex = offauth_hex (l->ids + 16 * (gsize) i, 16);
                json_builder_add_string_value (o->b, hex);
              }
            json_builder_end_array (o->b);
          }
        else
          for (guint32 i = 0; i < l->n_ids; i++)
            out_hex (o, "revoked", l->ids + 16 * (gsize) i, 16);
        out_hex (o, "signature", l->signature, OFFAUTH_SIG_SIZE);
        out_signature (o, "issuer_signature", key != NULL,
                       key != NULL && offauth_revocation_list_verify (l, key));
        return TRUE;
      }
    case 'K':
      {
        OffauthCheckpoint k;
        if (!offauth_checkpoint_parse_text (&k, text, error))
          return FALSE;
        out_str (o, "type", letter);
        out_terminal_id (o, k.terminal_id, key);
        out_u64 (o, "seq", k.seq);
        out_hex (o, "chain_hash", k.chain_hash, OFFAUTH_HASH_SIZE);
        out_u64 (o, "created_at", k.created_at);
        out_hex (o, "signature", k.signature, OFFAUTH_SIG_SIZE);
        out_signature (o, "terminal_signature", key != NULL,
                       key != NULL && offauth_checkpoint_verify (&k, key));
        return TRUE;
      }
    case 'U':
      {
        g_autoptr(OffauthSyncRequest) u = offauth_sync_request_parse_text (text, (gssize) len,
                                                                           error);
        guint8 h[OFFAUTH_HASH_SIZE];
        if (u == NULL)
          return FALSE;
        offauth_sync_request_hash (u, h);
        out_str (o, "type", letter);
        out_terminal_id (o, u->terminal_id, key);
        out_u64 (o, "first_seq", u->first_seq);
        out_hex (o, "prev_hash", u->prev_hash, OFFAUTH_HASH_SIZE);
        out_u64 (o, "created_at", u->created_at);
        out_u64 (o, "verdict_cursor", u->verdict_cursor);
        out_u64 (o, "r", u->n_asks);
        out_u64 (o, "n", u->n_records);
        if (o->b != NULL)
          {
            json_builder_set_member_name (o->b, "retry_asks");
            json_builder_begin_array (o->b);
            for (guint32 i = 0; i < u->n_asks; i++)
              json_builder_add_int_value (o->b, (gint64) MIN (u->asks[i], (guint64) G_MAXINT64));
            json_builder_end_array (o->b);
          }
        else
          for (guint32 i = 0; i < u->n_asks; i++)
            out_u64 (o, "retry_ask", u->asks[i]);
        out_begin_array (o, "records");
        for (guint32 i = 0; i < u->n_records; i++)
          {
            out_begin_item (o, "records", i);
            out_record (o, u->first_seq + i, &u->records[i]);
            out_end (o);
          }
        out_end_array (o);
        out_hex (o, "signature", u->signature, OFFAUTH_SIG_SIZE);
        out_hex (o, "request_hash", h, OFFAUTH_HASH_SIZE);
        out_signature (o, "terminal_signature", key != NULL && acq != NULL,
                       key != NULL && acq != NULL && offauth_sync_request_verify (u, acq, key));
        return TRUE;
      }
    case 'A':
      {
        g_autoptr(OffauthSyncAnswer) a = offauth_sync_answer_parse_text (text, (gssize) len,
                                                                         error);
        guint8 h[OFFAUTH_HASH_SIZE];
        if (a == NULL)
          return FALSE;
        offauth_sync_answer_hash (a, h);
        out_str (o, "type", letter);
        out_hex (o, "terminal_id", a->terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
        out_u64 (o, "acked_seq", a->acked_seq);
        out_hex (o, "h_acked", a->h_acked, OFFAUTH_HASH_SIZE);
        out_u64 (o, "acquirer_time", a->acquirer_time);
        out_hex (o, "request_hash", a->request_hash, OFFAUTH_HASH_SIZE);
        out_u64 (o, "verdict_cursor", a->verdict_cursor);
        out_u64 (o, "n", a->n_verdicts);
        out_u64 (o, "flags", a->flags);
        out_begin_array (o, "verdicts");
        for (guint32 i = 0; i < a->n_verdicts; i++)
          {
            out_begin_item (o, "verdicts", i);
            out_verdict (o, &a->verdicts[i]);
            out_end (o);
          }
        out_end_array (o);
        out_hex (o, "signature", a->signature, OFFAUTH_SIG_SIZE);
        out_hex (o, "answer_hash", h, OFFAUTH_HASH_SIZE);
        out_signature (o, "acquirer_signature", key != NULL,
                       key != NULL && offauth_sync_answer_verify (a, key));
        return TRUE;
      }
    case 'O':
      {
        OffauthOnlineRequest r;
        if (!offauth_online_request_parse_text (&r, text, (gssize) len, error))
          return FALSE;
        out_str (o, "type", letter);
        out_terminal_id (o, r.terminal_id, key);
        out_u64 (o, "created_at", r.created_at);
        out_begin (o, "payment");
        out_payment (o, &r.payment, NULL);
        out_end (o);
        out_hex (o, "signature", r.signature, OFFAUTH_SIG_SIZE);
        out_signature (o, "terminal_signature", key != NULL && acq != NULL,
                       key != NULL && acq != NULL && offauth_online_request_verify (&r, acq, key));
        return TRUE;
      }
    case 'D':
      {
        OffauthOnlineDecision d;
        if (!offauth_online_decision_parse_text (&d, text, (gssize) len, error))
          return FALSE;
        out_str (o, "type", letter);
        out_hex (o, "terminal_id", d.terminal_id, OFFAUTH_TERMINAL_ID_SIZE);
        out_hex (o, "sale_id", d.sale_id, OFFAUTH_SALE_ID_SIZE);
        out_u64 (o, "result", d.result);
        out_u64 (o, "reason", d.reason);
        out_str (o, "reason_name", offauth_settle_reason_name (d.reason));
        out_u64 (o, "acquirer_time", d.acquirer_time);
        out_u64 (o, "amount", d.amount);
        out_hex (o, "signature", d.signature, OFFAUTH_SIG_SIZE);
        out_signature (o, "acquirer_signature", key != NULL,
                       key != NULL && offauth_online_decision_verify (&d, key));
        return TRUE;
      }
    default:
      g_set_error (error, OFFAUTH_ERROR, OFFAUTH_ERROR_MALFORMED,
                   _("not an OA1 code of a known type (C, R, P, T, V, K, U, A, O, D)"));
      return FALSE;
    }
}

int
tool_inspect (gboolean   json,
              int        argc,
              char     **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autoptr(GString) prefix = g_string_new (NULL);
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint8 key[OFFAUTH_PK_SIZE], acq[OFFAUTH_PK_SIZE];
  Out o = { 0 };
  gsize len;

  if (argc != 2)
    return tool_fail (json, TOOL_USAGE, "usage",
                      _("usage: inspect TEXT [--key PUBKEY] [--acquirer-key PUBKEY]"));
  if (!parse_key (opt_key, "--key", key, &error) ||
      !parse_key (opt_acquirer_key, "--acquirer-key", acq, &error))
    return tool_fail (json, TOOL_USAGE, "bad_input", "%s", error->message);
  text = tool_read_arg (argv[1], &error);
  if (text == NULL)
    return tool_fail (json, TOOL_USAGE, "bad_input", "%s", error->message);
  len = strlen (text);
  if (json)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, TRUE);
    }
  o.b = b;
  o.text = lines;
  o.prefix = prefix;
  o.marks = marks;
  if (!inspect_text (&o, text, len, opt_key ? key : NULL, opt_acquirer_key ? acq : NULL, &error))
    return tool_fail (json, TOOL_USAGE, "malformed", "%s", error->message);
  if (json)
    {
      out_bool (&o, "signatures_valid", !o.any_invalid);
      json_builder_end_object (b);
      tool_print_json (b);
    }
  else
    g_print ("%s", lines->str);
  return o.any_invalid ? TOOL_REFUSED : TOOL_OK;
}
