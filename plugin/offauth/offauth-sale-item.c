/* offauth-sale-item.c: one listed sale as a row object with properties, and the list model
 * of the shown rows, whose items are made when a row asks for them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "offauth-plugin"

#include "config.h"

#include <till.h>

#include "offauth-sale-item.h"
#include "offauth-sale-words.h"

struct _OffauthSaleItem
{
  GObject          parent_instance;
  OffauthSaleInfo  sale;
};

G_DEFINE_FINAL_TYPE (OffauthSaleItem, offauth_sale_item, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NUMBER,
  PROP_TIME_TEXT,
  PROP_AMOUNT_TEXT,
  PROP_PAYER,
  PROP_MODE_TEXT,
  PROP_STATE_TEXT,
  PROP_REASON_TEXT,
  PROP_NEXT_STEP,
  PROP_NEEDS_ATTENTION,
  PROP_CAN_RETRY,
  PROP_CAN_CLOSE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
offauth_sale_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  const OffauthSaleInfo *sale = &OFFAUTH_SALE_ITEM (object)->sale;

  switch (prop_id)
    {
    case PROP_NUMBER:
      g_value_set_uint64 (value, sale->seq);
      break;
    case PROP_TIME_TEXT:
      g_value_take_string (value, offauth_sale_time_text (sale->time));
      break;
    case PROP_AMOUNT_TEXT:
      g_value_take_string (value, till_format_amount (sale->amount, sale->currency));
      break;
    case PROP_PAYER:
      g_value_take_string (value, offauth_sale_payer_ref (sale));
      break;
    case PROP_MODE_TEXT:
      g_value_set_string (value, offauth_sale_mode_text (sale));
      break;
    case PROP_STATE_TEXT:
      g_value_take_string (value, offauth_sale_state_text (sale));
      break;
    case PROP_REASON_TEXT:
      g_value_set_string (value, offauth_sale_reason_text (sale));
      break;
    case PROP_NEXT_STEP:
      g_value_take_string (value, offauth_sale_next_step (sale));
      break;
    case PROP_NEEDS_ATTENTION:
      g_value_set_boolean (value, offauth_sale_needs_attention (sale));
      break;
    case PROP_CAN_RETRY:
      g_value_set_boolean (value, offauth_sale_can_retry (sale));
      break;
    case PROP_CAN_CLOSE:
      g_value_set_boolean (value, offauth_sale_can_close (sale));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
offauth_sale_item_class_init (OffauthSaleItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = offauth_sale_item_get_property;

  properties[PROP_NUMBER] = g_param_spec_uint64 ("number", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_TIME_TEXT] = g_param_spec_string ("time-text", NULL, NULL, NULL, flags);
  properties[PROP_AMOUNT_TEXT] = g_param_spec_string ("amount-text", NULL, NULL, NULL, flags);
  properties[PROP_PAYER] = g_param_spec_string ("payer", NULL, NULL, NULL, flags);
  properties[PROP_MODE_TEXT] = g_param_spec_string ("mode-text", NULL, NULL, NULL, flags);
  properties[PROP_STATE_TEXT] = g_param_spec_string ("state-text", NULL, NULL, NULL, flags);
  properties[PROP_REASON_TEXT] = g_param_spec_string ("reason-text", NULL, NULL, NULL, flags);
  properties[PROP_NEXT_STEP] = g_param_spec_string ("next-step", NULL, NULL, NULL, flags);
  properties[PROP_NEEDS_ATTENTION] =
    g_param_spec_boolean ("needs-attention", NULL, NULL, FALSE, flags);
  properties[PROP_CAN_RETRY] = g_param_spec_boolean ("can-retry", NULL, NULL, FALSE, flags);
  properties[PROP_CAN_CLOSE] = g_param_spec_boolean ("can-close", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
offauth_sale_item_init (OffauthSaleItem *self)
{
}

OffauthSaleItem *
offauth_sale_item_new (const OffauthSaleInfo *sale)
{
  OffauthSaleItem *self = g_object_new (OFFAUTH_TYPE_SALE_ITEM, NULL);

  self->sale = *sale;
  return self;
}

const OffauthSaleInfo *
offauth_sale_item_get_info (OffauthSaleItem *self)
{
  g_return_val_if_fail (OFFAUTH_IS_SALE_ITEM (self), NULL);

  return &self->sale;
}

/* The list */

struct _OffauthSaleList
{
  GObject  parent_instance;
  GArray  *sales;     /* OffauthSaleInfo, the whole listing */
  GArray  *indices;   /* guint: the shown ones */
};

static GType
offauth_sale_list_get_item_type (GListModel *model)
{
  return OFFAUTH_TYPE_SALE_ITEM;
}

static guint
offauth_sale_list_get_n_items (GListModel *model)
{
  return OFFAUTH_SALE_LIST (model)->indices->len;
}

static gpointer
offauth_sale_list_get_item (GListModel *model,
                            guint       position)
{
  const OffauthSaleInfo *sale = offauth_sale_list_peek (OFFAUTH_SALE_LIST (model), position);

  return sale != NULL ? offauth_sale_item_new (sale) : NULL;
}

static void
offauth_sale_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = offauth_sale_list_get_item_type;
  iface->get_n_items = offauth_sale_list_get_n_items;
  iface->get_item = offauth_sale_list_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (OffauthSaleList, offauth_sale_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      offauth_sale_list_model_init))

static void
offauth_sale_list_finalize (GObject *object)
{
  OffauthSaleList *self = OFFAUTH_SALE_LIST (object);

  g_clear_pointer (&self->sales, g_array_unref);
  g_clear_pointer (&self->indices, g_array_unref);
  G_OBJECT_CLASS (offauth_sale_list_parent_class)->finalize (object);
}

static void
offauth_sale_list_class_init (OffauthSaleListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = offauth_sale_list_finalize;
}

static void
offauth_sale_list_init (OffauthSaleList *self)
{
  self->indices = g_array_new (FALSE, FALSE, sizeof (guint));
}

OffauthSaleList *
offauth_sale_list_new (void)
{
  return g_object_new (OFFAUTH_TYPE_SALE_LIST, NULL);
}

void
offauth_sale_list_set (OffauthSaleList *self,
                       GArray          *sales,
                       const guint     *indices,
                       guint            n_indices)
{
  guint removed;

  g_return_if_fail (OFFAUTH_IS_SALE_LIST (self));

  removed = self->indices->len;
  if (sales != self->sales)
    {
      g_clear_pointer (&self->sales, g_array_unref);
      self->sales = sales != NULL ? g_array_ref (sales) : NULL;
    }
  g_array_set_size (self->indices, 0);
  g_array_append_vals (self->indices, indices, n_indices);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, n_indices);
}

const OffauthSaleInfo *
offauth_sale_list_peek (OffauthSaleList *self,
                        guint            position)
{
  g_return_val_if_fail (OFFAUTH_IS_SALE_LIST (self), NULL);

  if (self->sales == NULL || position >= self->indices->len)
    return NULL;
  return &g_array_index (self->sales, OffauthSaleInfo,
                         g_array_index (self->indices, guint, position));
}
