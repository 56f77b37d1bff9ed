/* till-report-page.c: "Today" in the merchant area: a business day from the sales book.
 *
 * Totals per method and per category, the cash the drawer should hold, the wallet's
 * sales by settlement state (asked of the providers that can list their sales), first and
 * last sale, voids, and the day's sales with a Void on each cash sale; printed as plain
 * text or exported as CSV. It reads the book whenever it is shown, so it is the same
 * after a restart.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "till-receipt.h"
#include "till-report-csv.h"
#include "till-report-page.h"

struct _TillReportPage
{
  AdwBin          parent_instance;

  GtkButton      *previous_button;
  GtkButton      *next_button;
  GtkLabel       *day_label;
  GtkLabel       *summary_label;
  GtkLabel       *times_label;
  GtkLabel       *error_label;
  GtkButton      *print_button;
  GtkButton      *export_button;
  GtkListBox     *methods_list;
  GtkListBox     *cash_list;
  AdwPreferencesGroup *wallet_group;
  GtkListBox     *wallet_list;
  GtkListBox     *categories_list;
  GtkStack       *report_stack;
  GtkListView    *sales_view;
  GListStore     *rows;        /* TillReportRow */

  TillSalesBook  *book;
  GPtrArray      *providers;   /* shared with the window */
  gchar          *day;
  TillBookSummary *summary;
  GPtrArray      *sales;       /* TillBookSale */
  GPtrArray      *wallet;      /* TillProviderSale of the day, from every provider */
  guint           wallet_pending;
  GCancellable   *cancellable;
  GtkFileChooserNative *chooser;
  gchar          *print_text;
};

G_DEFINE_FINAL_TYPE (TillReportPage, till_report_page, ADW_TYPE_BIN)

/* A sale of the list: what its row shows, kept in the model so that a recycled row widget
 * shows the right sale (and a Void tapped once stays armed on its own sale). */
struct _TillReportRow
{
  GObject   parent_instance;
  gint64    sale_id;
  gchar    *title;
  gchar    *subtitle;
  gchar    *amount;
  gboolean  voidable;
  gboolean  voided;
  gboolean  armed;
};

G_DEFINE_FINAL_TYPE (TillReportRow, till_report_row, G_TYPE_OBJECT)

static void
till_report_row_finalize (GObject *object)
{
  TillReportRow *row = TILL_REPORT_ROW (object);

  g_free (row->title);
  g_free (row->subtitle);
  g_free (row->amount);
  G_OBJECT_CLASS (till_report_row_parent_class)->finalize (object);
}

static void
till_report_row_class_init (TillReportRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_report_row_finalize;
}

static void
till_report_row_init (TillReportRow *row)
{
}

gint64
till_report_row_get_sale_id (TillReportRow *row)
{
  g_return_val_if_fail (TILL_IS_REPORT_ROW (row), 0);
  return row->sale_id;
}

const char *
till_report_row_get_title (TillReportRow *row)
{
  g_return_val_if_fail (TILL_IS_REPORT_ROW (row), NULL);
  return row->title;
}

gboolean
till_report_row_get_voided (TillReportRow *row)
{
  g_return_val_if_fail (TILL_IS_REPORT_ROW (row), FALSE);
  return row->voided;
}

/* Rows */

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWidget *
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle,
         const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *amount = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (amount, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), amount);
  gtk_widget_add_css_class (row, "report-row");
  gtk_list_box_append (list, row);
  return row;
}

/* Totals of several currencies are never added up: "€84.50 + £3.00". */
static gchar *
totals_text (GPtrArray *totals)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < totals->len; i++)
    {
      const TillBookTotal *t = totals->pdata[i];
      g_autofree gchar *amount = till_format_amount (t->amount, t->currency);

      if (i > 0)
        g_string_append (text, " + ");
      g_string_append (text, amount);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gchar *
clock_text (gint64 time)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (time);

  return when ? g_date_time_format (when, "%H:%M") : g_strdup ("?");
}

/* The wallet: totals by state */

typedef struct
{
  gchar          *name;
  gchar          *currency;
  TillSettlement  settlement;
  guint           count;
  guint64         amount;
} StateTotal;

static void
state_total_free (gpointer data)
{
  StateTotal *t = data;

  g_free (t->name);
  g_free (t->currency);
  g_free (t);
}

static int
state_total_compare (gconstpointer a,
                     gconstpointer b)
{
  const StateTotal *x = *(StateTotal * const *) a;
  const StateTotal *y = *(StateTotal * const *) b;

  if (x->settlement != y->settlement)
    return x->settlement < y->settlement ? -1 : 1;
  return g_strcmp0 (x->name, y->name);
}

static const char *
settlement_name (TillSettlement settlement)
{
  switch (settlement)
    {
    case TILL_SETTLEMENT_PENDING: return C_("sale state", "Waiting");
    case TILL_SETTLEMENT_SETTLED: return C_("sale state", "Settled");
    case TILL_SETTLEMENT_DECLINED: return C_("sale state", "Declined late");
    case TILL_SETTLEMENT_WRITTEN_OFF: return C_("sale state", "Written off");
    case TILL_SETTLEMENT_COLLECTED_OTHERWISE: return C_("sale state", "Collected otherwise");
    case TILL_SETTLEMENT_UNKNOWN:
    default: return C_("sale state", "Unknown");
    }
}

/* The day's wallet sales by state, in settlement order; `at_risk` and `collected` (cash
 * taken for declined sales) per currency, keyed by currency. */
static GPtrArray *
wallet_states (TillReportPage *self,
               GHashTable     *at_risk,
               GHashTable     *collected)
{
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *states = g_ptr_array_new_with_free_func (state_total_free);

  for (guint i = 0; self->wallet != NULL && i < self->wallet->len; i++)
    {
      const TillProviderSale *sale = self->wallet->pdata[i];
      const char *name = sale->state_name ? sale->state_name : settlement_name (sale->settlement);
      gchar *key = g_strdup_printf ("%s\n%s", name, sale->currency);
      StateTotal *total = g_hash_table_lookup (by_name, key);
      GHashTable *sum = NULL;

      if (total == NULL)
        {
          total = g_new0 (StateTotal, 1);
          total->name = g_strdup (name);
          total->currency = g_strdup (sale->currency);
          total->settlement = sale->settlement;
          g_hash_table_insert (by_name, key, total);
          g_ptr_array_add (states, total);
        }
      else
        g_free (key);
      total->count++;
      total->amount += sale->amount;
      if (sale->settlement == TILL_SETTLEMENT_PENDING ||
          sale->settlement == TILL_SETTLEMENT_DECLINED ||
          sale->settlement == TILL_SETTLEMENT_UNKNOWN)
        sum = at_risk;
      else if (sale->settlement == TILL_SETTLEMENT_COLLECTED_OTHERWISE)
        sum = collected;
      if (sum != NULL)
        {
          guint64 *value = g_hash_table_lookup (sum, sale->currency);

          if (value == NULL)
            {
              value = g_new0 (guint64, 1);
              g_hash_table_insert (sum, g_strdup (sale->currency), value);
            }
          *value += sale->amount;
        }
    }
  g_ptr_array_sort (states, state_total_compare);
  return states;
}

static GHashTable *
currency_sums_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static guint64
currency_sum (GHashTable *sums,
              const char *currency)
{
  guint64 *value = g_hash_table_lookup (sums, currency);

  return value ? *value : 0;
}

/* The currencies the day's cash and wallet sales were in, the book's first. */
static GPtrArray *
day_currencies (TillReportPage *self)
{
  GPtrArray *currencies = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; self->summary != NULL && i < self->summary->totals->len; i++)
    {
      const TillBookTotal *total = self->summary->totals->pdata[i];

      g_ptr_array_add (currencies, g_strdup (total->currency));
    }
  for (guint i = 0; self->wallet != NULL && i < self->wallet->len; i++)
    {
      const char *currency = ((TillProviderSale *) self->wallet->pdata[i])->currency;

      if (!g_ptr_array_find_with_equal_func (currencies, currency, g_str_equal, NULL))
        g_ptr_array_add (currencies, g_strdup (currency));
    }
  return currencies;
}

static guint64
cash_sales (TillReportPage *self,
            const char     *currency)
{
  for (guint i = 0; self->summary != NULL && i < self->summary->methods->len; i++)
    {
      const TillBookTotal *t = self->summary->methods->pdata[i];

      if (g_str_equal (t->key, "cash") && g_str_equal (t->currency, currency))
        return t->amount;
    }
  return 0;
}

/* The drawer holds the day's cash sales (voids left out) and the cash taken for wallet
 * sales that were declined after the sale and marked "collected otherwise". Such a sale
 * counts on the day it was made: the provider does not say when the cash came. */
static void
fill_cash_and_wallet (TillReportPage *self)
{
  g_autoptr(GHashTable) at_risk = currency_sums_new ();
  g_autoptr(GHashTable) collected = currency_sums_new ();
  g_autoptr(GPtrArray) states = wallet_states (self, at_risk, collected);
  g_autoptr(GPtrArray) currencies = day_currencies (self);

  clear_list (self->cash_list);
  clear_list (self->wallet_list);
  for (guint i = 0; i < currencies->len; i++)
    {
      const char *currency = currencies->pdata[i];
      guint64 cash = cash_sales (self, currency);
      guint64 other = currency_sum (collected, currency);
      g_autofree gchar *cash_text = till_format_amount (cash, currency);
      g_autofree gchar *other_text = till_format_amount (other, currency);
      g_autofree gchar *drawer_text = till_format_amount (cash + other, currency);
      GtkWidget *row;

      add_row (self->cash_list, _("Cash sales"), NULL, cash_text);
      if (other > 0)
        add_row (self->cash_list, _("Collected for declined wallet sales"),
                 _("The payer paid in cash after the wallet payment was declined."), other_text);
      row = add_row (self->cash_list, _("In the drawer"), NULL, drawer_text);
      gtk_widget_add_css_class (row, "heading");
    }
  for (guint i = 0; i < states->len; i++)
    {
      const StateTotal *t = states->pdata[i];
      g_autofree gchar *amount = till_format_amount (t->amount, t->currency);
      g_autofree gchar *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale", "%u sales", t->count),
                                                 t->count);

      add_row (self->wallet_list, t->name, count, amount);
    }
  for (guint i = 0; i < currencies->len && states->len > 0; i++)
    {
      g_autofree gchar *risk = till_format_amount (currency_sum (at_risk, currencies->pdata[i]),
                                                   currencies->pdata[i]);
      GtkWidget *row = add_row (self->wallet_list, _("At risk (not settled)"), NULL, risk);

      gtk_widget_add_css_class (row, "heading");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->wallet_group),
                          self->wallet != NULL && self->wallet->len > 0);
}

/* Sales and voids */

static void show_error (TillReportPage *self, const char *message);
static void till_report_page_refresh (TillReportPage *self);

static void
void_clicked_cb (GtkButton      *button,
                 TillReportPage *self)
{
  TillReportRow *row = g_object_get_data (G_OBJECT (button), "row");
  g_autoptr(GError) error = NULL;

  if (row == NULL)
    return;
  /* A void is the merchant's, in the merchant area: a second tap confirms, no dialog. */
  if (!row->armed)
    {
      row->armed = TRUE;
      gtk_button_set_label (button, _("Tap again to void"));
      gtk_widget_add_css_class (GTK_WIDGET (button), "destructive-action");
      return;
    }
  if (!till_sales_book_void (self->book, row->sale_id, 0, &error))
    {
      show_error (self, error->message);
      return;
    }
  till_report_page_refresh (self);
}

/* The list's rows: time, method and number over the items; the amount; Void or "Voided". */
static void
sale_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               TillReportPage           *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 16);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *amount = gtk_label_new (NULL);
  GtkWidget *voided = gtk_label_new (C_("sale", "Voided"));
  GtkWidget *button = gtk_button_new_with_label (C_("button", "Void"));

  gtk_widget_set_hexpand (text, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_wrap (GTK_LABEL (subtitle), TRUE);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (amount, "numeric");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "report-void");
  gtk_widget_set_name (button, "void");
  g_signal_connect (button, "clicked", G_CALLBACK (void_clicked_cb), self);
  gtk_box_append (GTK_BOX (text), title);
  gtk_box_append (GTK_BOX (text), subtitle);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), amount);
  gtk_box_append (GTK_BOX (box), voided);
  gtk_box_append (GTK_BOX (box), button);
  gtk_widget_add_css_class (box, "report-row");
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
sale_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              TillReportPage           *self)
{
  TillReportRow *row = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *text = gtk_widget_get_first_child (box);
  GtkWidget *amount = gtk_widget_get_next_sibling (text);
  GtkWidget *voided = gtk_widget_get_next_sibling (amount);
  GtkWidget *button = gtk_widget_get_next_sibling (voided);

  gtk_label_set_text (GTK_LABEL (gtk_widget_get_first_child (text)), row->title);
  gtk_label_set_text (GTK_LABEL (gtk_widget_get_last_child (text)), row->subtitle);
  gtk_label_set_text (GTK_LABEL (amount), row->amount);
  gtk_widget_set_visible (voided, row->voided);
  gtk_widget_set_visible (button, row->voidable && !row->voided);
  gtk_button_set_label (GTK_BUTTON (button),
                        row->armed ? _("Tap again to void") : C_("button", "Void"));
  if (row->armed)
    gtk_widget_add_css_class (button, "destructive-action");
  else
    gtk_widget_remove_css_class (button, "destructive-action");
  if (row->voided)
    gtk_widget_add_css_class (box, "dim-label");
  else
    gtk_widget_remove_css_class (box, "dim-label");
  g_object_set_data (G_OBJECT (button), "row", row);
}

static void
sale_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                TillReportPage           *self)
{
  GtkWidget *button = gtk_widget_get_last_child (gtk_list_item_get_child (item));

  g_object_set_data (G_OBJECT (button), "row", NULL);
}

/* Where a wallet sale of the book stands, by the provider's reference: the receipt's sale
 * number followed to its settlement. */
static const char *
sale_state (GHashTable         *by_ref,
            const TillBookSale *sale)
{
  const TillProviderSale *found = NULL;

  if (sale->provider_ref != NULL)
    found = g_hash_table_lookup (by_ref, sale->provider_ref);
  if (found == NULL)
    return NULL;
  return found->state_name ? found->state_name : settlement_name (found->settlement);
}

static void
fill_sales (TillReportPage *self)
{
  g_autoptr(GHashTable) by_ref = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; self->wallet != NULL && i < self->wallet->len; i++)
    {
      TillProviderSale *found = self->wallet->pdata[i];

      if (found->provider_ref != NULL)
        g_hash_table_insert (by_ref, found->provider_ref, found);
    }
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->sales->len; i++)
    {
      const TillBookSale *sale = self->sales->pdata[i];
      const char *state = sale_state (by_ref, sale);
      g_autoptr(TillReportRow) row = g_object_new (TILL_TYPE_REPORT_ROW, NULL);
      g_autofree gchar *clock = clock_text (sale->time);
      g_autofree gchar *what = till_book_sale_dup_items (sale, ", ");
      g_autofree gchar *number = NULL;

      if (sale->reference != NULL)
        number = g_strdup (sale->reference);
      else
        /* Translators: a cash sale's number in the day's book */
        number = g_strdup_printf (_("No. %" PRId64), sale->id);

      row->sale_id = sale->id;
      row->title = g_strdup_printf ("%s · %s · %s", clock, sale->method_name, number);
      row->subtitle = state ? g_strdup_printf ("%s · %s", state, what) : g_strdup (what);
      row->amount = till_format_amount (sale->amount, sale->currency);
      row->voided = sale->voided;
      /* A wallet sale is the payer's money at the acquirer: only cash is voided here. */
      row->voidable = g_strcmp0 (sale->method, "cash") == 0;
      g_ptr_array_add (rows, g_steal_pointer (&row));
    }
  /* One change for the list view, not one per sale. */
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                       rows->pdata, rows->len);
}

GListModel *
till_report_page_get_sales (TillReportPage *self)
{
  g_return_val_if_fail (TILL_IS_REPORT_PAGE (self), NULL);
  return G_LIST_MODEL (self->rows);
}

static void
fill_summary (TillReportPage *self)
{
  const TillBookSummary *s = self->summary;

  if (s->count == 0)
    gtk_label_set_text (self->summary_label, _("No sales"));
  else
    {
      g_autofree gchar *sold = totals_text (s->totals);
      g_autofree gchar *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale, %s", "%u sales, %s",
                                                             s->count), s->count, sold);

      gtk_label_set_text (self->summary_label, text);
    }
  if (s->count > 0)
    {
      g_autofree gchar *first = clock_text (s->first_time);
      g_autofree gchar *last = clock_text (s->last_time);
      /* Translators: the day's first and last sale, "First sale 09:12, last sale 23:40" */
      g_autofree gchar *text = g_strdup_printf (_("First sale %s, last sale %s"), first, last);

      gtk_label_set_text (self->times_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->times_label), s->count > 0);

  clear_list (self->methods_list);
  for (guint i = 0; i < s->methods->len; i++)
    {
      const TillBookTotal *t = s->methods->pdata[i];
      g_autofree gchar *amount = till_format_amount (t->amount, t->currency);
      g_autofree gchar *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale", "%u sales", t->count),
                                                 t->count);

      add_row (self->methods_list, t->label, count, amount);
    }
  if (s->n_voids > 0)
    {
      g_autofree gchar *amount = totals_text (s->voids);
      g_autofree gchar *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sale, left out of the totals",
                                                              "%u sales, left out of the totals", s->n_voids),
                                                 s->n_voids);

      add_row (self->methods_list, _("Voided"), count, amount);
    }
  if (s->methods->len == 0 && s->n_voids == 0)
    add_row (self->methods_list, _("No sales on this day."), NULL, "");

  clear_list (self->categories_list);
  for (guint i = 0; i < s->categories->len; i++)
    {
      const TillBookTotal *t = s->categories->pdata[i];
      g_autofree gchar *amount = till_format_amount (t->amount, t->currency);
      g_autofree gchar *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u item", "%u items", t->count),
                                                 t->count);

      add_row (self->categories_list, *t->label ? t->label : _("No category"), count, amount);
    }
  if (s->categories->len == 0)
    add_row (self->categories_list, _("No sales on this day."), NULL, "");
}

static void
show_error (TillReportPage *self,
            const char     *message)
{
  /* An export may finish after the page is gone. */
  if (self->error_label == NULL)
    return;
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
update_day_label (TillReportPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *today = self->book ? till_sales_book_business_day (self->book, now) : NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autofree gchar *pretty = NULL;
  gint64 start = 0, end = 0;

  if (self->book != NULL && till_sales_book_day_bounds (self->book, self->day, &start, &end))
    date = g_date_time_new_from_unix_local (start);
  /* Translators: a business day in the report's heading, as strftime writes it */
  pretty = date ? g_date_time_format (date, _("%A %-d %B %Y")) : g_strdup (self->day);
  if (g_strcmp0 (today, self->day) == 0)
    {
      /* Translators: the report's heading for the current business day,
       * "Today, Monday 30 November 2026" */
      g_autofree gchar *text = g_strdup_printf (_("Today, %s"), pretty);

      gtk_label_set_text (self->day_label, text);
    }
  else
    gtk_label_set_text (self->day_label, pretty);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), g_strcmp0 (self->day, today) < 0);
}

/* The wallet's states of the day, asked of each provider that can list its sales. */

static void
wallet_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TillReportPage) self = user_data;
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GError) error = NULL;

  sales = till_payment_provider_list_sales_finish (TILL_PAYMENT_PROVIDER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (sales == NULL)
    g_debug ("%s could not list its sales: %s",
             till_payment_provider_get_id (TILL_PAYMENT_PROVIDER (source)), error->message);
  else
    for (guint i = 0; i < sales->len; i++)
      g_ptr_array_add (self->wallet, g_steal_pointer (&sales->pdata[i]));
  if (--self->wallet_pending == 0)
    {
      fill_cash_and_wallet (self);
      if (self->sales != NULL)
        fill_sales (self);
    }
}

static void
request_wallet (TillReportPage *self)
{
  gint64 start, end;

  g_clear_pointer (&self->wallet, g_ptr_array_unref);
  self->wallet = g_ptr_array_new_with_free_func ((GDestroyNotify) till_provider_sale_free);
  self->wallet_pending = 0;
  if (self->providers == NULL || !till_sales_book_day_bounds (self->book, self->day, &start, &end))
    return;
  for (guint i = 0; i < self->providers->len; i++)
    {
      TillPaymentProvider *provider = self->providers->pdata[i];

      if (!till_payment_provider_can_list_sales (provider))
        continue;
      self->wallet_pending++;
      till_payment_provider_list_sales_async (provider, start, end, self->cancellable,
                                              wallet_listed_cb, g_object_ref (self));
    }
}

static void
till_report_page_refresh (TillReportPage *self)
{
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->summary, till_book_summary_free);
  g_clear_pointer (&self->sales, g_ptr_array_unref);
  g_clear_pointer (&self->wallet, g_ptr_array_unref);
  show_error (self, NULL);

  if (self->book == NULL)
    {
      gtk_label_set_text (self->day_label, C_("merchant area", "Today"));
      gtk_label_set_text (self->summary_label, "");
      show_error (self, _("The sales book could not be opened, so the day's sales cannot be shown. "
                          "Sales are still taken. Call support: the log says why."));
      gtk_widget_set_sensitive (GTK_WIDGET (self->print_button), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), FALSE);
      return;
    }
  update_day_label (self);
  self->summary = till_sales_book_summarize (self->book, self->day, &error);
  if (self->summary != NULL)
    self->sales = till_sales_book_list_day (self->book, self->day, &error);
  if (self->sales == NULL)
    {
      g_clear_pointer (&self->summary, till_book_summary_free);
      show_error (self, error->message);
      return;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->print_button), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), TRUE);
  fill_summary (self);
  fill_sales (self);
  fill_cash_and_wallet (self);
  request_wallet (self);
}

void
till_report_page_show_day (TillReportPage *self,
                           const char     *day)
{
  g_return_if_fail (TILL_IS_REPORT_PAGE (self));

  g_free (self->day);
  if (day != NULL)
    self->day = g_strdup (day);
  else if (self->book != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();

      self->day = till_sales_book_business_day (self->book, now);
    }
  else
    self->day = NULL;
  till_report_page_refresh (self);
}

const char *
till_report_page_get_day (TillReportPage *self)
{
  g_return_val_if_fail (TILL_IS_REPORT_PAGE (self), NULL);
  return self->day;
}

static void
shift_day (TillReportPage *self,
           int             days)
{
  guint y, m, d;
  g_autoptr(GDate) date = NULL;
  char text[16];

  if (self->day == NULL || sscanf (self->day, "%4u-%2u-%2u", &y, &m, &d) != 3)
    return;
  date = g_date_new_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
  if (days < 0)
    g_date_subtract_days (date, (guint) -days);
  else
    g_date_add_days (date, (guint) days);
  g_snprintf (text, sizeof text, "%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
              g_date_get_day (date));
  till_report_page_show_day (self, text);
}

static void
previous_clicked_cb (TillReportPage *self)
{
  shift_day (self, -1);
}

static void
next_clicked_cb (TillReportPage *self)
{
  shift_day (self, 1);
}

/* Text, print and export */

static void
append_totals (GString    *text,
               const char *heading,
               GPtrArray  *totals,
               const char *empty)
{
  g_string_append_printf (text, "\n%s\n", heading);
  for (guint i = 0; i < totals->len; i++)
    {
      const TillBookTotal *t = totals->pdata[i];
      g_autofree gchar *amount = till_format_amount (t->amount, t->currency);
      g_autofree gchar *left = g_strdup_printf ("%s (%u)", *t->label ? t->label : empty, t->count);

      till_receipt_append_columns (text, left, amount);
    }
}

gchar *
till_report_page_build_text (TillReportPage *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GHashTable) at_risk = currency_sums_new ();
  g_autoptr(GHashTable) collected = currency_sums_new ();
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(GPtrArray) currencies = NULL;
  const TillBookSummary *s = self->summary;

  g_return_val_if_fail (TILL_IS_REPORT_PAGE (self), NULL);

  if (s == NULL)
    return g_strdup ("");
  /* Translators: the printed report's heading, "End of day 2026-11-30" */
  g_string_append_printf (text, _("End of day %s"), s->day);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, "%s\n", gtk_label_get_text (self->summary_label));
  if (s->count > 0)
    g_string_append_printf (text, "%s\n", gtk_label_get_text (self->times_label));
  append_totals (text, _("By method"), s->methods, "");
  if (s->n_voids > 0)
    {
      g_autofree gchar *voids = totals_text (s->voids);
      g_autofree gchar *left = g_strdup_printf ("%s (%u)", _("Voided"), s->n_voids);

      till_receipt_append_columns (text, left, voids);
    }
  append_totals (text, _("By category"), s->categories, _("No category"));

  states = wallet_states (self, at_risk, collected);
  currencies = day_currencies (self);
  g_string_append_printf (text, "\n%s\n", _("Cash in the drawer"));
  for (guint i = 0; i < currencies->len; i++)
    {
      guint64 cash = cash_sales (self, currencies->pdata[i]);
      guint64 other = currency_sum (collected, currencies->pdata[i]);
      g_autofree gchar *cash_text = till_format_amount (cash, currencies->pdata[i]);
      g_autofree gchar *other_text = till_format_amount (other, currencies->pdata[i]);
      g_autofree gchar *drawer = till_format_amount (cash + other, currencies->pdata[i]);

      till_receipt_append_columns (text, _("Cash sales"), cash_text);
      if (other > 0)
        till_receipt_append_columns (text, _("Collected for declined wallet sales"), other_text);
      till_receipt_append_columns (text, _("In the drawer"), drawer);
    }
  if (states->len > 0)
    {
      g_string_append_printf (text, "\n%s\n", _("Wallet sales by settlement"));
      for (guint i = 0; i < states->len; i++)
        {
          const StateTotal *t = states->pdata[i];
          g_autofree gchar *amount = till_format_amount (t->amount, t->currency);
          g_autofree gchar *left = g_strdup_printf ("%s (%u)", t->name, t->count);

          till_receipt_append_columns (text, left, amount);
        }
      for (guint i = 0; i < currencies->len; i++)
        {
          g_autofree gchar *risk = till_format_amount (currency_sum (at_risk, currencies->pdata[i]),
                                                       currencies->pdata[i]);

          till_receipt_append_columns (text, _("At risk (not settled)"), risk);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

#define PRINT_FONT "Monospace 10"

static int
print_lines_per_page (GtkPrintContext *context)
{
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (PRINT_FONT);
  int height;

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, "X", -1);
  pango_layout_get_pixel_size (layout, NULL, &height);
  return MAX (1, (int) (gtk_print_context_get_height (context) / MAX (height, 1)));
}

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                TillReportPage    *self)
{
  g_auto(GStrv) lines = g_strsplit (self->print_text, "\n", -1);
  int per_page = print_lines_per_page (context);
  int n_lines = (int) g_strv_length (lines);

  gtk_print_operation_set_n_pages (operation, MAX (1, (n_lines + per_page - 1) / per_page));
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page,
              TillReportPage    *self)
{
  g_auto(GStrv) lines = g_strsplit (self->print_text, "\n", -1);
  int per_page = print_lines_per_page (context);
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (PRINT_FONT);
  g_autoptr(GString) chunk = g_string_new (NULL);
  guint n = g_strv_length (lines);

  for (guint i = (guint) (page * per_page); i < n && i < (guint) ((page + 1) * per_page); i++)
    g_string_append_printf (chunk, "%s\n", lines[i]);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, chunk->str, -1);
  cairo_move_to (gtk_print_context_get_cairo_context (context), 0, 0);
  pango_cairo_show_layout (gtk_print_context_get_cairo_context (context), layout);
}

static void
print_clicked_cb (TillReportPage *self)
{
  g_autoptr(GtkPrintOperation) operation = gtk_print_operation_new ();
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkPrintOperationResult result;

  g_free (self->print_text);
  self->print_text = till_report_page_build_text (self);
  gtk_print_operation_set_job_name (operation, gtk_label_get_text (self->day_label));
  gtk_print_operation_set_allow_async (operation, TRUE);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  g_signal_connect (operation, "begin-print", G_CALLBACK (begin_print_cb), self);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), self);
  result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error);
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    show_error (self, error->message);
}

static void
export_written_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TillReportPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    show_error (self, error->message);
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    TillReportPage  *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *decimal_mark;
  char separator;
  gchar *csv;

  if (response == GTK_RESPONSE_ACCEPT && self->sales != NULL &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL)
    {
      till_report_csv_locale (&separator, &decimal_mark);
      csv = till_report_csv_build (self->sales, separator, decimal_mark);
      bytes = g_bytes_new_take (csv, strlen (csv));
      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                           G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           export_written_cb, g_object_ref (self));
    }
  g_clear_object (&self->chooser);
}

static void
export_clicked_cb (TillReportPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  /* Translators: the suggested file name of the export; %s is the business day */
  g_autofree gchar *name = g_strdup_printf (_("sales-%s.csv"), self->day);

  if (self->chooser != NULL)
    return;
  /* The file chooser portal: the one window of another app that the kiosk shows. */
  self->chooser = gtk_file_chooser_native_new (_("Export the day's sales"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                               _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* GObject */

void
till_report_page_set_book (TillReportPage *self,
                           TillSalesBook  *book)
{
  g_return_if_fail (TILL_IS_REPORT_PAGE (self));

  g_set_object (&self->book, book);
  /* Read when shown (map), not at every start. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    till_report_page_show_day (self, NULL);
}

void
till_report_page_set_providers (TillReportPage *self,
                                GPtrArray      *providers)
{
  g_return_if_fail (TILL_IS_REPORT_PAGE (self));

  g_clear_pointer (&self->providers, g_ptr_array_unref);
  self->providers = providers ? g_ptr_array_ref (providers) : NULL;
}

static void
map_cb (TillReportPage *self)
{
  /* Shown again: the current business day, as the book has it now. */
  till_report_page_show_day (self, NULL);
}

static void
till_report_page_dispose (GObject *object)
{
  TillReportPage *self = TILL_REPORT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_REPORT_PAGE);
  G_OBJECT_CLASS (till_report_page_parent_class)->dispose (object);
}

static void
till_report_page_finalize (GObject *object)
{
  TillReportPage *self = TILL_REPORT_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->rows);
  g_clear_object (&self->book);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->summary, till_book_summary_free);
  g_clear_pointer (&self->sales, g_ptr_array_unref);
  g_clear_pointer (&self->wallet, g_ptr_array_unref);
  g_free (self->day);
  g_free (self->print_text);
  G_OBJECT_CLASS (till_report_page_parent_class)->finalize (object);
}

static void
till_report_page_class_init (TillReportPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_report_page_dispose;
  object_class->finalize = till_report_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-report-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, TillReportPage, name)
  CHILD (previous_button);
  CHILD (next_button);
  CHILD (day_label);
  CHILD (summary_label);
  CHILD (times_label);
  CHILD (error_label);
  CHILD (print_button);
  CHILD (export_button);
  CHILD (methods_list);
  CHILD (cash_list);
  CHILD (wallet_group);
  CHILD (wallet_list);
  CHILD (categories_list);
  CHILD (report_stack);
  CHILD (sales_view);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, previous_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, print_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
}

static void
till_report_page_init (TillReportPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rows = g_list_store_new (TILL_TYPE_REPORT_ROW);
  g_signal_connect (factory, "setup", G_CALLBACK (sale_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (sale_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (sale_unbind_cb), self);
  gtk_list_view_set_factory (self->sales_view, factory);
  g_object_unref (factory);
  {
    GListModel *rows = G_LIST_MODEL (self->rows);
    g_autoptr(GtkNoSelection) model = gtk_no_selection_new (g_object_ref (rows));

    gtk_list_view_set_model (self->sales_view, GTK_SELECTION_MODEL (model));
  }
  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);
}
