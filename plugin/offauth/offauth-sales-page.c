/* offauth-sales-page.c: the merchant's status view: every wallet sale with its state and what
 * to do, filters by state and day, totals per state, the actions (retry now, write off,
 * collected otherwise) one by one or in bulk, and the export as CSV.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "offauth-csv.h"
#include "offauth-plugin-private.h"
#include "offauth-sale-item.h"
#include "offauth-sale-words.h"
#include "offauth-sales-page.h"
#include "offauth-service-sales.h"

/* The state filter's first positions; then 2 + OffauthSaleShown. */
enum
{
  FILTER_ALL,
  FILTER_ATTENTION,
  FILTER_FIRST_STATE,
};

typedef enum
{
  ACTION_RETRY,
  ACTION_WRITE_OFF,
  ACTION_COLLECTED,
} OffauthSalesAction;

struct _OffauthSalesPage
{
  GtkBox              parent_instance;

  /* Template children */
  GtkDropDown        *state_dropdown;
  GtkDropDown        *day_dropdown;
  GtkMenuButton      *bulk_button;
  GtkPopover         *bulk_popover;
  GtkFlowBox         *totals_box;
  GtkLabel           *summary_label;
  GtkStack           *stack;
  GtkListView        *list_view;

  OffauthService     *service;
  TillHost           *host;            /* weak: the window owns the page */
  OffauthSaleList    *shown;
  GArray             *sales;           /* OffauthSaleInfo: the last listing, or NULL */
  GArray             *days;            /* guint32 per sale: its local day (yyyymmdd) */
  GArray             *day_keys;        /* guint32: the days in the day filter, newest first */
  GHashTable         *selected;        /* sale numbers (guint64 *) ticked by the merchant */
  GCancellable       *cancellable;     /* the listing under way */
  GtkFileChooserNative *chooser;
  guint64             listed_rows;     /* the journal the last listing started from */
  guint8              listed_head[OFFAUTH_HASH_SIZE];
  gboolean            listing;
  gboolean            dirty;           /* list again when the listing ends or when shown */
  gboolean            filter_chosen;   /* the merchant chose a state filter */
  gboolean            updating;        /* the page sets its filters: not the merchant */
};

G_DEFINE_FINAL_TYPE (OffauthSalesPage, offauth_sales_page, GTK_TYPE_BOX)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_HOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void offauth_sales_page_relist (OffauthSalesPage *self);

static void
offauth_sales_page_notice (OffauthSalesPage *self,
                           const char       *message,
                           gboolean          urgent)
{
  if (self->host != NULL)
    till_host_notify (self->host, message, urgent);
  else
    g_message ("%s", message);
}

/* Days */

/* yyyymmdd of time in local time, with the bounds of that day cached in *start and *end:
 * sales come in time order, so most lookups hit the cache. */
static guint32
offauth_sales_day_key (guint64  time,
                       gint64  *start,
                       gint64  *end,
                       guint32 *key)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) midnight = NULL;
  g_autoptr(GDateTime) next = NULL;

  if ((gint64) time >= *start && (gint64) time < *end)
    return *key;
  dt = g_date_time_new_from_unix_local ((gint64) MIN (time, G_MAXINT32));
  if (dt == NULL)
    return 0;
  midnight = g_date_time_new_local (g_date_time_get_year (dt), g_date_time_get_month (dt),
                                    g_date_time_get_day_of_month (dt), 0, 0, 0);
  next = g_date_time_add_days (midnight, 1);
  *start = g_date_time_to_unix (midnight);
  *end = g_date_time_to_unix (next);
  *key = (guint32) (g_date_time_get_year (dt) * 10000 + g_date_time_get_month (dt) * 100 +
                    g_date_time_get_day_of_month (dt));
  return *key;
}

static gchar *
offauth_sales_day_text (guint32 key)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local ((gint) (key / 10000), (gint) (key / 100 % 100),
                                                   (gint) (key % 100), 0, 0, 0);

  /* Translators: a day in the status view's day filter (see g_date_time_format)
   * xgettext:no-c-format */
  return dt != NULL ? g_date_time_format (dt, _("%A %x")) : g_strdup ("—");
}

static guint32
offauth_sales_page_chosen_day (OffauthSalesPage *self)
{
  guint pos = gtk_drop_down_get_selected (self->day_dropdown);

  if (self->day_keys == NULL || pos == 0 || pos == GTK_INVALID_LIST_POSITION ||
      pos > self->day_keys->len)
    return 0;
  return g_array_index (self->day_keys, guint32, pos - 1);
}

/* The day filter: "All days", then every day with a sale, newest first; the chosen day stays
 * chosen while it has sales. */
static void
offauth_sales_page_fill_days (OffauthSalesPage *self)
{
  guint32 chosen = offauth_sales_page_chosen_day (self);
  g_autoptr(GtkStringList) days = gtk_string_list_new (NULL);
  guint select = 0;

  g_array_set_size (self->day_keys, 0);
  gtk_string_list_append (days, _("All days"));
  for (guint i = self->days->len; i > 0; i--)
    {
      guint32 key = g_array_index (self->days, guint32, i - 1);
      g_autofree gchar *text = NULL;

      if (self->day_keys->len > 0 &&
          g_array_index (self->day_keys, guint32, self->day_keys->len - 1) == key)
        continue;
      /* Times are nearly in order; a clock set back may repeat a day: list it once. */
      for (guint k = 0; k < self->day_keys->len; k++)
        if (g_array_index (self->day_keys, guint32, k) == key)
          goto next;
      g_array_append_val (self->day_keys, key);
      text = offauth_sales_day_text (key);
      gtk_string_list_append (days, text);
      if (key == chosen)
        select = self->day_keys->len;
    next:
      ;
    }
  self->updating = TRUE;
  gtk_drop_down_set_model (self->day_dropdown, G_LIST_MODEL (days));
  gtk_drop_down_set_selected (self->day_dropdown, select);
  self->updating = FALSE;
}

/* Filters and totals */

static gboolean
offauth_sales_page_state_matches (guint                  filter,
                                  const OffauthSaleInfo *sale)
{
  if (filter == FILTER_ALL || filter == GTK_INVALID_LIST_POSITION)
    return TRUE;
  if (filter == FILTER_ATTENTION)
    return offauth_sale_needs_attention (sale);
  return offauth_sale_shown (sale) == filter - FILTER_FIRST_STATE;
}

static GtkWidget *
offauth_sales_page_total_label (const char *name,
                                guint       count,
                                guint64     value,
                                const char *currency)
{
  g_autofree gchar *amount = till_format_amount (value, currency);
  g_autofree gchar *sales = g_strdup_printf (ngettext ("%u sale", "%u sales", count), count);
  g_autofree gchar *text = NULL;
  GtkWidget *label;

  /* Translators: a total in the status view: state, count of sales, value */
  text = g_strdup_printf (_("%s: %s · %s"), name, sales, amount);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
offauth_sales_page_apply_filters (OffauthSalesPage *self)
{
  guint filter = gtk_drop_down_get_selected (self->state_dropdown);
  guint32 day = offauth_sales_page_chosen_day (self);
  g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) rest = g_array_new (FALSE, FALSE, sizeof (guint));
  guint counts[OFFAUTH_N_SALE_SHOWN] = { 0 }, n_attention = 0, n_day = 0;
  guint64 values[OFFAUTH_N_SALE_SHOWN] = { 0 }, attention_value = 0;
  const char *currency = "";
  g_autofree gchar *summary = NULL;
  GtkWidget *child;
  guint n_sales = self->sales != NULL ? self->sales->len : 0;

  /* Newest first; the sales that need the merchant before the others. */
  for (guint i = n_sales; i > 0; i--)
    {
      guint index = i - 1;
      const OffauthSaleInfo *sale = &g_array_index (self->sales, OffauthSaleInfo, index);
      gboolean attention = offauth_sale_needs_attention (sale);
      OffauthSaleShown shown = offauth_sale_shown (sale);

      if (day != 0 && g_array_index (self->days, guint32, index) != day)
        continue;
      n_day++;
      currency = sale->currency;
      counts[shown]++;
      values[shown] += sale->amount;
      if (attention)
        {
          n_attention++;
          attention_value += sale->amount;
        }
      if (offauth_sales_page_state_matches (filter, sale))
        g_array_append_val (attention ? first : rest, index);
    }
  g_array_append_vals (first, rest->data, rest->len);
  offauth_sale_list_set (self->shown, self->sales, (const guint *) first->data, first->len);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->totals_box))) != NULL)
    gtk_flow_box_remove (self->totals_box, child);
  if (n_attention > 0)
    {
      GtkWidget *label = offauth_sales_page_total_label (_("Needs attention"), n_attention,
                                                         attention_value, currency);

      gtk_widget_add_css_class (label, "error");
      gtk_flow_box_append (self->totals_box, label);
    }
  for (guint s = 0; s < OFFAUTH_N_SALE_SHOWN; s++)
    if (counts[s] > 0)
      gtk_flow_box_append (self->totals_box,
                           offauth_sales_page_total_label (offauth_sale_shown_name (s), counts[s],
                                                           values[s], currency));

  /* Translators: how many of the day's (or all) sales the filter shows */
  summary = g_strdup_printf (ngettext ("Showing %u of %u sale", "Showing %u of %u sales", n_day),
                             first->len, n_day);
  gtk_label_set_text (self->summary_label, summary);
  gtk_stack_set_visible_child_name (self->stack, first->len > 0 ? "list" : "empty");
}

static void
offauth_sales_page_filter_changed_cb (OffauthSalesPage *self,
                                      GParamSpec       *pspec,
                                      GtkDropDown      *dropdown)
{
  if (self->updating)
    return;
  if (dropdown == self->state_dropdown)
    self->filter_chosen = TRUE;
  offauth_sales_page_apply_filters (self);
}

/* Listing */

static void
offauth_sales_page_listed_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(OffauthSalesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sales = offauth_service_list_sales_finish (OFFAUTH_SERVICE (source), result,
                                                               &error);
  gint64 start = 0, end = 0;
  guint32 key = 0;
  gboolean attention = FALSE;

  self->listing = FALSE;
  if (sales == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree gchar *text = g_strdup_printf (_("The sales could not be listed: %s"),
                                                    error->message);

          g_warning ("%s", text);
          gtk_label_set_text (self->summary_label, text);
          gtk_stack_set_visible_child_name (self->stack, "empty");
        }
      return;
    }
  g_clear_pointer (&self->sales, g_array_unref);
  self->sales = g_steal_pointer (&sales);
  g_array_set_size (self->days, self->sales->len);
  for (guint i = 0; i < self->sales->len; i++)
    {
      const OffauthSaleInfo *sale = &g_array_index (self->sales, OffauthSaleInfo, i);

      g_array_index (self->days, guint32, i) =
        offauth_sales_day_key (sale->time, &start, &end, &key);
      attention = attention || offauth_sale_needs_attention (sale);
    }
  offauth_sales_page_fill_days (self);
  /* "Needs attention" first, until the merchant chooses another view. */
  if (!self->filter_chosen)
    {
      self->updating = TRUE;
      gtk_drop_down_set_selected (self->state_dropdown, attention ? FILTER_ATTENTION : FILTER_ALL);
      self->updating = FALSE;
    }
  offauth_sales_page_apply_filters (self);
  if (self->dirty)
    offauth_sales_page_relist (self);
}

static void
offauth_sales_page_relist (OffauthSalesPage *self)
{
  const OffauthTerminalStatus *st;

  /* Gone with its window (an action's callback may come after). */
  if (self->service == NULL)
    return;
  if (self->listing || !gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      offauth_service_get_state (self->service) != OFFAUTH_SERVICE_READY)
    {
      self->dirty = TRUE;
      return;
    }
  self->dirty = FALSE;
  self->listing = TRUE;
  st = offauth_service_get_status (self->service);
  self->listed_rows = st->journal_rows;
  memcpy (self->listed_head, st->journal_head, OFFAUTH_HASH_SIZE);
  if (self->sales == NULL)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  offauth_service_list_sales_async (self->service, self->cancellable, offauth_sales_page_listed_cb,
                                    g_object_ref (self));
}

/* Every call leaves a status; only a changed journal (a sale, a verdict, a close) changes
 * the listing. */
static void
offauth_sales_page_service_changed_cb (OffauthSalesPage *self)
{
  const OffauthTerminalStatus *st = offauth_service_get_status (self->service);

  if (offauth_service_get_state (self->service) != OFFAUTH_SERVICE_READY)
    return;
  if (self->sales != NULL && !self->dirty && st->journal_rows == self->listed_rows &&
      memcmp (st->journal_head, self->listed_head, OFFAUTH_HASH_SIZE) == 0)
    return;
  offauth_sales_page_relist (self);
}

static void
offauth_sales_page_map (GtkWidget *widget)
{
  OffauthSalesPage *self = OFFAUTH_SALES_PAGE (widget);

  GTK_WIDGET_CLASS (offauth_sales_page_parent_class)->map (widget);
  if (self->dirty || self->sales == NULL)
    offauth_sales_page_relist (self);
}

/* Actions */

typedef struct
{
  OffauthSalesPage   *self;     /* a reference */
  OffauthSalesAction  action;
  guint               n_left;
  guint               n_done;
  GError             *error;    /* the first failure */
} OffauthSalesBatch;

static void
offauth_sales_page_acted_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  OffauthSalesBatch *batch = user_data;
  OffauthSalesPage *self = batch->self;
  GError *error = NULL;
  gboolean ok;

  if (batch->action == ACTION_RETRY)
    ok = offauth_service_ask_retry_finish (OFFAUTH_SERVICE (source), result, &error);
  else
    ok = offauth_service_close_sale_finish (OFFAUTH_SERVICE (source), result, &error);
  if (ok)
    batch->n_done++;
  else if (batch->error == NULL)
    batch->error = error;
  else
    g_error_free (error);
  if (--batch->n_left > 0)
    return;

  if (batch->error != NULL)
    {
      g_autofree gchar *text = g_strdup_printf (_("Not every sale could be changed: %s"),
                                                batch->error->message);

      offauth_sales_page_notice (self, text, TRUE);
      g_error_free (batch->error);
    }
  else
    {
      g_autofree gchar *text = NULL;

      if (batch->action == ACTION_RETRY)
        text = g_strdup_printf (ngettext ("A retry of %u sale goes with the next upload.",
                                          "A retry of %u sales goes with the next upload.",
                                          batch->n_done), batch->n_done);
      else if (batch->action == ACTION_WRITE_OFF)
        text = g_strdup_printf (ngettext ("%u sale written off.", "%u sales written off.",
                                          batch->n_done), batch->n_done);
      else
        text = g_strdup_printf (ngettext ("%u sale marked as collected otherwise.",
                                          "%u sales marked as collected otherwise.",
                                          batch->n_done), batch->n_done);
      offauth_sales_page_notice (self, text, FALSE);
    }
  /* A retry ask changes a sale without a journal row of its own: list again anyway. */
  self->dirty = TRUE;
  offauth_sales_page_relist (self);
  g_object_unref (batch->self);
  g_free (batch);
}

static void
offauth_sales_page_run (OffauthSalesPage   *self,
                        OffauthSalesAction  action,
                        GArray             *seqs)
{
  OffauthSalesBatch *batch;

  if (seqs->len == 0)
    return;
  batch = g_new0 (OffauthSalesBatch, 1);
  batch->self = g_object_ref (self);
  batch->action = action;
  batch->n_left = seqs->len;
  for (guint i = 0; i < seqs->len; i++)
    {
      guint64 seq = g_array_index (seqs, guint64, i);

      g_hash_table_remove (self->selected, &seq);
      if (action == ACTION_RETRY)
        offauth_service_ask_retry_async (self->service, seq, NULL, offauth_sales_page_acted_cb,
                                         batch);
      else
        offauth_service_close_sale_async (self->service, seq,
                                          action == ACTION_WRITE_OFF
                                            ? OFFAUTH_SALE_WRITTEN_OFF
                                            : OFFAUTH_SALE_COLLECTED_OTHERWISE,
                                          NULL, offauth_sales_page_acted_cb, batch);
    }
}

static void
offauth_sales_page_confirmed_cb (AdwMessageDialog *dialog,
                                 const char       *response,
                                 OffauthSalesPage *self)
{
  GArray *seqs = g_object_get_data (G_OBJECT (dialog), "seqs");
  OffauthSalesAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "action"));

  if (g_strcmp0 (response, "apply") == 0)
    offauth_sales_page_run (self, action, seqs);
}

static guint64
offauth_sales_total (OffauthSalesPage *self,
                     GArray           *seqs,
                     const char      **currency)
{
  guint64 total = 0;

  /* Sale numbers are rows of the listing, in order: a binary search each. */
  for (guint i = 0; i < seqs->len; i++)
    {
      guint64 seq = g_array_index (seqs, guint64, i);
      guint lo = 0, hi = self->sales->len;

      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          const OffauthSaleInfo *sale = &g_array_index (self->sales, OffauthSaleInfo, mid);

          if (sale->seq < seq)
            lo = mid + 1;
          else
            {
              hi = mid;
              if (sale->seq == seq)
                {
                  total += sale->amount;
                  *currency = sale->currency;
                  break;
                }
            }
        }
    }
  return total;
}

/* A write-off or a "collected otherwise" is final: the merchant confirms it, and every
 * action on several sales. */
static void
offauth_sales_page_act (OffauthSalesPage   *self,
                        OffauthSalesAction  action,
                        GArray             *seqs)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *currency = "";
  guint64 total;
  g_autofree gchar *amount = NULL;
  g_autofree gchar *heading = NULL;
  g_autofree gchar *body = NULL;
  GtkWidget *dialog;
  guint n = seqs->len;

  if (n == 0)
    {
      offauth_sales_page_notice (self, _("None of these sales can take this action."), FALSE);
      return;
    }
  if ((action == ACTION_RETRY && n == 1) || !GTK_IS_WINDOW (root))
    {
      offauth_sales_page_run (self, action, seqs);
      return;
    }
  total = offauth_sales_total (self, seqs, &currency);
  amount = till_format_amount (total, currency);
  if (action == ACTION_RETRY)
    heading = g_strdup_printf (ngettext ("Retry %u sale now?", "Retry %u sales now?", n), n);
  else if (action == ACTION_WRITE_OFF)
    heading = g_strdup_printf (ngettext ("Write off %u sale?", "Write off %u sales?", n), n);
  else
    heading = g_strdup_printf (ngettext ("Mark %u sale as paid another way?",
                                         "Mark %u sales as paid another way?", n), n);
  if (action == ACTION_RETRY)
    /* Translators: %s is the value of the sales */
    body = g_strdup_printf (_("%s. The retries go to the acquirer with the next upload."), amount);
  else
    body = g_strdup_printf (_("%s. This is recorded in the journal and sent to the acquirer; it "
                              "cannot be undone."), amount);
  dialog = adw_message_dialog_new (GTK_WINDOW (root), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "apply", action == ACTION_RETRY ? _("_Retry now")
                                             : action == ACTION_WRITE_OFF ? _("_Write off")
                                             : _("_Paid another way"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "apply",
                                              action == ACTION_RETRY ? ADW_RESPONSE_SUGGESTED
                                                                     : ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "seqs", g_array_ref (seqs),
                          (GDestroyNotify) g_array_unref);
  g_object_set_data (G_OBJECT (dialog), "action", GINT_TO_POINTER (action));
  g_signal_connect_object (dialog, "response", G_CALLBACK (offauth_sales_page_confirmed_cb),
                           self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
offauth_sales_action_allowed (OffauthSalesAction     action,
                              const OffauthSaleInfo *sale)
{
  return action == ACTION_RETRY ? offauth_sale_can_retry (sale) : offauth_sale_can_close (sale);
}

/* The sale numbers of the shown rows that take action: the ticked ones, or every one that
 * needs attention. */
static GArray *
offauth_sales_page_collect (OffauthSalesPage   *self,
                            OffauthSalesAction  action,
                            gboolean            ticked)
{
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->shown));

  for (guint i = 0; i < n; i++)
    {
      const OffauthSaleInfo *sale = offauth_sale_list_peek (self->shown, i);

      if (ticked ? !g_hash_table_contains (self->selected, &sale->seq)
                 : !offauth_sale_needs_attention (sale))
        continue;
      if (offauth_sales_action_allowed (action, sale))
        g_array_append_val (seqs, sale->seq);
    }
  return seqs;
}

static void
offauth_sales_page_bulk (OffauthSalesPage   *self,
                         OffauthSalesAction  action,
                         gboolean            ticked)
{
  g_autoptr(GArray) seqs = offauth_sales_page_collect (self, action, ticked);

  gtk_popover_popdown (self->bulk_popover);
  offauth_sales_page_act (self, action, seqs);
}

static void
offauth_sales_page_bulk_retry_cb (OffauthSalesPage *self)
{
  offauth_sales_page_bulk (self, ACTION_RETRY, TRUE);
}

static void
offauth_sales_page_bulk_write_off_cb (OffauthSalesPage *self)
{
  offauth_sales_page_bulk (self, ACTION_WRITE_OFF, TRUE);
}

static void
offauth_sales_page_bulk_collected_cb (OffauthSalesPage *self)
{
  offauth_sales_page_bulk (self, ACTION_COLLECTED, TRUE);
}

static void
offauth_sales_page_attention_write_off_cb (OffauthSalesPage *self)
{
  offauth_sales_page_bulk (self, ACTION_WRITE_OFF, FALSE);
}

/* Rows: built in code, two to five lines that wrap, the actions below them. */

typedef struct
{
  GtkCheckButton *check;
  GtkLabel       *title;
  GtkLabel       *amount;
  GtkLabel       *meta;
  GtkLabel       *state;
  GtkLabel       *reason;
  GtkLabel       *next;
  GtkWidget      *retry;
  GtkWidget      *write_off;
  GtkWidget      *collected;
  guint64         seq;
} OffauthSalesRow;

static GtkLabel *
offauth_sales_row_label (GtkWidget  *box,
                         const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static void
offauth_sales_page_row_clicked_cb (GtkButton        *button,
                                   OffauthSalesPage *self)
{
  OffauthSalesRow *row = g_object_get_data (G_OBJECT (button), "row");
  OffauthSalesAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "action"));
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (guint64));

  g_array_append_val (seqs, row->seq);
  offauth_sales_page_act (self, action, seqs);
}

static void
offauth_sales_page_row_toggled_cb (GtkCheckButton   *check,
                                   OffauthSalesPage *self)
{
  OffauthSalesRow *row = g_object_get_data (G_OBJECT (check), "row");

  if (gtk_check_button_get_active (check))
    g_hash_table_add (self->selected, g_memdup2 (&row->seq, sizeof row->seq));
  else
    g_hash_table_remove (self->selected, &row->seq);
}

static GtkWidget *
offauth_sales_row_button (OffauthSalesPage   *self,
                          GtkWidget          *box,
                          OffauthSalesRow    *row,
                          const char         *label,
                          OffauthSalesAction  action)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_size_request (button, -1, 64);
  g_object_set_data (G_OBJECT (button), "row", row);
  g_object_set_data (G_OBJECT (button), "action", GINT_TO_POINTER (action));
  g_signal_connect_object (button, "clicked", G_CALLBACK (offauth_sales_page_row_clicked_cb),
                           self, 0);
  gtk_box_append (GTK_BOX (box), button);
  return button;
}

static void
offauth_sales_page_setup_cb (GtkSignalListItemFactory *factory,
                             GtkListItem              *item,
                             OffauthSalesPage         *self)
{
  OffauthSalesRow *row = g_new0 (OffauthSalesRow, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 16);
  GtkWidget *check = gtk_check_button_new ();

  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_size_request (check, 64, 64);
  gtk_widget_set_valign (check, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), check);
  row->check = GTK_CHECK_BUTTON (check);
  g_object_set_data (G_OBJECT (check), "row", row);
  g_signal_connect_object (check, "toggled", G_CALLBACK (offauth_sales_page_row_toggled_cb),
                           self, 0);

  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (text), top);
  row->title = offauth_sales_row_label (top, "heading");
  gtk_widget_set_hexpand (GTK_WIDGET (row->title), TRUE);
  row->amount = offauth_sales_row_label (top, "title-3");
  gtk_widget_add_css_class (GTK_WIDGET (row->amount), "numeric");
  gtk_label_set_xalign (row->amount, 1);
  row->meta = offauth_sales_row_label (text, "dim-label");
  row->state = offauth_sales_row_label (text, "heading");
  row->reason = offauth_sales_row_label (text, NULL);
  row->next = offauth_sales_row_label (text, "dim-label");
  gtk_box_append (GTK_BOX (text), actions);
  row->retry = offauth_sales_row_button (self, actions, row, _("Retry now"), ACTION_RETRY);
  row->write_off = offauth_sales_row_button (self, actions, row, _("Write off"), ACTION_WRITE_OFF);
  row->collected = offauth_sales_row_button (self, actions, row, _("Paid another way"),
                                             ACTION_COLLECTED);

  g_object_set_data_full (G_OBJECT (box), "row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
offauth_sales_row_name (GtkWidget *widget,
                        gchar     *name)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_free (name);
}

static void
offauth_sales_page_bind_cb (GtkSignalListItemFactory *factory,
                            GtkListItem              *item,
                            OffauthSalesPage         *self)
{
  OffauthSalesRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "row");
  OffauthSaleItem *sale_item = gtk_list_item_get_item (item);
  const OffauthSaleInfo *sale = offauth_sale_item_get_info (sale_item);
  g_autofree gchar *number = NULL;
  g_autofree gchar *title = NULL;
  g_autofree gchar *amount = NULL;
  g_autofree gchar *time = NULL;
  g_autofree gchar *payer = NULL;
  g_autofree gchar *meta = NULL;
  g_autofree gchar *state = NULL;
  g_autofree gchar *next = NULL;
  const char *reason;
  gboolean can_close = offauth_sale_can_close (sale);

  row->seq = sale->seq;
  g_object_get (sale_item, "amount-text", &amount, "time-text", &time, "payer", &payer,
                "state-text", &state, "next-step", &next, NULL);
  /* Translators: a row's title in the status view: the sale number */
  number = g_strdup_printf ("%" G_GUINT64_FORMAT, sale->seq);
  title = g_strdup_printf (_("Sale %s"), number);
  /* Translators: time · offline/online · the payer's short reference */
  meta = g_strdup_printf (_("%s · %s · payer %s"), time, offauth_sale_mode_text (sale), payer);
  gtk_label_set_text (row->title, title);
  gtk_label_set_text (row->amount, amount);
  gtk_label_set_text (row->meta, meta);
  gtk_label_set_text (row->state, state);
  reason = offauth_sale_reason_text (sale);
  gtk_label_set_text (row->reason, reason ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (row->reason), reason != NULL);
  gtk_label_set_text (row->next, next ? next : "");
  gtk_widget_set_visible (GTK_WIDGET (row->next), next != NULL);
  if (offauth_sale_needs_attention (sale))
    gtk_widget_add_css_class (GTK_WIDGET (row->state), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row->state), "error");
  gtk_widget_set_visible (row->retry, offauth_sale_can_retry (sale));
  gtk_widget_set_visible (row->write_off, can_close);
  gtk_widget_set_visible (row->collected, can_close);
  gtk_widget_set_visible (gtk_widget_get_parent (row->retry),
                          can_close || offauth_sale_can_retry (sale));
  g_signal_handlers_block_by_func (row->check, offauth_sales_page_row_toggled_cb, self);
  gtk_check_button_set_active (row->check, g_hash_table_contains (self->selected, &sale->seq));
  g_signal_handlers_unblock_by_func (row->check, offauth_sales_page_row_toggled_cb, self);
  /* Translators: accessible names of a row's controls; %s is the sale number */
  offauth_sales_row_name (GTK_WIDGET (row->check),
                          g_strdup_printf (_("Select sale %s"), number));
  offauth_sales_row_name (row->retry,
                          g_strdup_printf (_("Retry sale %s now"), number));
  offauth_sales_row_name (row->write_off,
                          g_strdup_printf (_("Write off sale %s"), number));
  offauth_sales_row_name (row->collected,
                          g_strdup_printf (_("Sale %s was paid another way"), number));
}

/* Export */

static void
offauth_sales_page_saved_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(OffauthSalesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *name = g_file_get_basename (G_FILE (source));
  g_autofree gchar *text = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    text = g_strdup_printf (_("The export could not be saved: %s"), error->message);
  else
    text = g_strdup_printf (_("Saved %s."), name);
  offauth_sales_page_notice (self, text, error != NULL);
}

/* The CSV of the shown rows, in the order shown. */
static gchar *
offauth_sales_page_csv (OffauthSalesPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->shown));
  g_autoptr(GArray) rows = g_array_sized_new (FALSE, FALSE, sizeof (OffauthSaleInfo), n);
  OffauthCsvFormat format;

  for (guint i = 0; i < n; i++)
    g_array_append_vals (rows, offauth_sale_list_peek (self->shown, i), 1);
  offauth_csv_format_locale (&format);
  return offauth_csv_sales ((const OffauthSaleInfo *) rows->data, rows->len, &format);
}

static void
offauth_sales_page_chooser_cb (GtkNativeDialog  *chooser,
                               int               response,
                               OffauthSalesPage *self)
{
  g_autoptr(GFile) file = NULL;
  gchar *csv;
  GBytes *bytes;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    {
      csv = offauth_sales_page_csv (self);
      bytes = g_bytes_new_take (csv, strlen (csv));
      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                           G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           offauth_sales_page_saved_cb, g_object_ref (self));
      g_bytes_unref (bytes);
    }
  g_clear_object (&self->chooser);
}

static void
offauth_sales_page_export_clicked_cb (OffauthSalesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *date = g_date_time_format (now, "%Y-%m-%d");
  /* Translators: the suggested file name of the export; %s is today's date */
  g_autofree gchar *name = g_strdup_printf (_("wallet-sales-%s.csv"), date);

  if (self->chooser != NULL)
    return;
  /* Through the file-chooser portal inside the Flatpak (GTK 4.8 has no GtkFileDialog). */
  self->chooser = gtk_file_chooser_native_new (_("Export the shown sales"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (offauth_sales_page_chooser_cb),
                           self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* The page */

GListModel *
offauth_sales_page_get_shown (OffauthSalesPage *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SALES_PAGE (self), NULL);

  return G_LIST_MODEL (self->shown);
}

GtkDropDown *
offauth_sales_page_get_state_filter (OffauthSalesPage *self)
{
  return self->state_dropdown;
}

GtkDropDown *
offauth_sales_page_get_day_filter (OffauthSalesPage *self)
{
  return self->day_dropdown;
}

gchar *
offauth_sales_page_get_totals_text (OffauthSalesPage *self)
{
  GString *out = g_string_new (NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->totals_box));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *label = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));

      g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (label)));
    }
  return g_string_free (out, FALSE);
}

gboolean
offauth_sales_page_is_listing (OffauthSalesPage *self)
{
  return self->listing || self->dirty;
}

static void
offauth_sales_page_constructed (GObject *object)
{
  OffauthSalesPage *self = OFFAUTH_SALES_PAGE (object);

  G_OBJECT_CLASS (offauth_sales_page_parent_class)->constructed (object);
  offauth_plugin_watch_service (self->service, G_CALLBACK (offauth_sales_page_service_changed_cb),
                                self);
}

static void
offauth_sales_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  OffauthSalesPage *self = OFFAUTH_SALES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    case PROP_HOST:
      g_set_weak_pointer (&self->host, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_sales_page_dispose (GObject *object)
{
  OffauthSalesPage *self = OFFAUTH_SALES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->service != NULL)
    g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
  g_clear_weak_pointer (&self->host);
  gtk_widget_dispose_template (GTK_WIDGET (self), OFFAUTH_TYPE_SALES_PAGE);
  G_OBJECT_CLASS (offauth_sales_page_parent_class)->dispose (object);
}

static void
offauth_sales_page_finalize (GObject *object)
{
  OffauthSalesPage *self = OFFAUTH_SALES_PAGE (object);

  g_clear_object (&self->shown);
  g_clear_pointer (&self->sales, g_array_unref);
  g_clear_pointer (&self->days, g_array_unref);
  g_clear_pointer (&self->day_keys, g_array_unref);
  g_clear_pointer (&self->selected, g_hash_table_unref);
  G_OBJECT_CLASS (offauth_sales_page_parent_class)->finalize (object);
}

static void
offauth_sales_page_class_init (OffauthSalesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = offauth_sales_page_constructed;
  object_class->set_property = offauth_sales_page_set_property;
  object_class->dispose = offauth_sales_page_dispose;
  object_class->finalize = offauth_sales_page_finalize;
  widget_class->map = offauth_sales_page_map;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, OFFAUTH_TYPE_SERVICE,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, TILL_TYPE_HOST,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               OFFAUTH_RESOURCE_PATH "/ui/offauth-sales-page.ui");
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, day_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, bulk_button);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, bulk_popover);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, totals_box);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, OffauthSalesPage, list_view);
  gtk_widget_class_bind_template_callback (widget_class, offauth_sales_page_export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_sales_page_bulk_retry_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_sales_page_bulk_write_off_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_sales_page_bulk_collected_cb);
  gtk_widget_class_bind_template_callback (widget_class, offauth_sales_page_attention_write_off_cb);
}

static void
offauth_sales_page_init (OffauthSalesPage *self)
{
  g_autoptr(GtkStringList) states = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) days = gtk_string_list_new (NULL);
  g_autoptr(GtkSelectionModel) selection = NULL;
  GListModel *shown;
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->shown = offauth_sale_list_new ();
  self->days = g_array_new (FALSE, TRUE, sizeof (guint32));
  self->day_keys = g_array_new (FALSE, TRUE, sizeof (guint32));
  self->selected = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  gtk_string_list_append (days, _("All days"));
  gtk_string_list_append (states, _("All states"));
  gtk_string_list_append (states, _("Needs attention"));
  for (guint s = 0; s < OFFAUTH_N_SALE_SHOWN; s++)
    gtk_string_list_append (states, offauth_sale_shown_name (s));
  self->updating = TRUE;
  gtk_drop_down_set_model (self->state_dropdown, G_LIST_MODEL (states));
  gtk_drop_down_set_model (self->day_dropdown, G_LIST_MODEL (days));
  self->updating = FALSE;
  g_signal_connect_object (self->state_dropdown, "notify::selected",
                           G_CALLBACK (offauth_sales_page_filter_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->day_dropdown, "notify::selected",
                           G_CALLBACK (offauth_sales_page_filter_changed_cb), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (factory, "setup", G_CALLBACK (offauth_sales_page_setup_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (offauth_sales_page_bind_cb), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  /* The merchant ticks rows with their check buttons (touch has no ctrl-click). */
  shown = g_object_ref (G_LIST_MODEL (self->shown));
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (shown));
  gtk_list_view_set_model (self->list_view, selection);
  gtk_stack_set_visible_child_name (self->stack, "loading");
}

GtkWidget *
offauth_sales_page_new (OffauthService *service,
                        TillHost       *host)
{
  g_return_val_if_fail (OFFAUTH_IS_SERVICE (service), NULL);

  return g_object_new (OFFAUTH_TYPE_SALES_PAGE, "service", service, "host", host, NULL);
}
