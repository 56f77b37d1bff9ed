/* till-cart.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include "till-cart.h"

struct _TillCartLine
{
  GObject      parent_instance;
  TillProduct *product;
  guint        quantity;
};

G_DEFINE_FINAL_TYPE (TillCartLine, till_cart_line, G_TYPE_OBJECT)

enum
{
  LINE_PROP_0,
  LINE_PROP_QUANTITY,
  LINE_PROP_TOTAL,
  LINE_N_PROPS
};

static GParamSpec *line_properties[LINE_N_PROPS];

static void
till_cart_line_finalize (GObject *object)
{
  g_clear_object (&TILL_CART_LINE (object)->product);
  G_OBJECT_CLASS (till_cart_line_parent_class)->finalize (object);
}

static void
till_cart_line_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TillCartLine *self = TILL_CART_LINE (object);

  switch (prop_id)
    {
    case LINE_PROP_QUANTITY:
      g_value_set_uint (value, self->quantity);
      break;
    case LINE_PROP_TOTAL:
      g_value_set_uint64 (value, till_cart_line_get_total (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cart_line_class_init (TillCartLineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_cart_line_finalize;
  object_class->get_property = till_cart_line_get_property;

  line_properties[LINE_PROP_QUANTITY] =
    g_param_spec_uint ("quantity", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  line_properties[LINE_PROP_TOTAL] =
    g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, LINE_N_PROPS, line_properties);
}

static void
till_cart_line_init (TillCartLine *self)
{
}

TillProduct *
till_cart_line_get_product (TillCartLine *self)
{
  return self->product;
}

guint
till_cart_line_get_quantity (TillCartLine *self)
{
  return self->quantity;
}

guint64
till_cart_line_get_total (TillCartLine *self)
{
  return till_product_get_price (self->product) * self->quantity;
}

static void
line_set_quantity (TillCartLine *self,
                   guint         quantity)
{
  self->quantity = quantity;
  g_object_notify_by_pspec (G_OBJECT (self), line_properties[LINE_PROP_QUANTITY]);
  g_object_notify_by_pspec (G_OBJECT (self), line_properties[LINE_PROP_TOTAL]);
}

struct _TillCart
{
  GObject     parent_instance;
  GListStore *lines;
};

G_DEFINE_FINAL_TYPE (TillCart, till_cart, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TOTAL,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
till_cart_finalize (GObject *object)
{
  g_clear_object (&TILL_CART (object)->lines);
  G_OBJECT_CLASS (till_cart_parent_class)->finalize (object);
}

static void
till_cart_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TillCart *self = TILL_CART (object);

  switch (prop_id)
    {
    case PROP_TOTAL:
      g_value_set_uint64 (value, till_cart_get_total (self));
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, till_cart_get_n_items (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_cart_class_init (TillCartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_cart_finalize;
  object_class->get_property = till_cart_get_property;

  properties[PROP_TOTAL] =
    g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_cart_init (TillCart *self)
{
  self->lines = g_list_store_new (TILL_TYPE_CART_LINE);
}

TillCart *
till_cart_new (void)
{
  return g_object_new (TILL_TYPE_CART, NULL);
}

GListModel *
till_cart_get_lines (TillCart *self)
{
  return G_LIST_MODEL (self->lines);
}

static void
changed (TillCart *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static gboolean
find_line (TillCart     *self,
           TillProduct  *product,
           guint        *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TillCartLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      if (line->product == product)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

void
till_cart_add (TillCart    *self,
               TillProduct *product)
{
  guint pos;

  g_return_if_fail (TILL_IS_CART (self));
  g_return_if_fail (TILL_IS_PRODUCT (product));

  if (find_line (self, product, &pos))
    {
      g_autoptr(TillCartLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), pos);
      line_set_quantity (line, line->quantity + 1);
    }
  else
    {
      g_autoptr(TillCartLine) line = g_object_new (TILL_TYPE_CART_LINE, NULL);
      line->product = g_object_ref (product);
      line->quantity = 1;
      g_list_store_append (self->lines, line);
    }
  changed (self);
}

void
till_cart_remove_one (TillCart    *self,
                      TillProduct *product)
{
  guint pos;
  g_autoptr(TillCartLine) line = NULL;

  g_return_if_fail (TILL_IS_CART (self));

  if (!find_line (self, product, &pos))
    return;
  line = g_list_model_get_item (G_LIST_MODEL (self->lines), pos);
  if (line->quantity <= 1)
    g_list_store_remove (self->lines, pos);
  else
    line_set_quantity (line, line->quantity - 1);
  changed (self);
}

void
till_cart_clear (TillCart *self)
{
  g_return_if_fail (TILL_IS_CART (self));
  g_list_store_remove_all (self->lines);
  changed (self);
}

guint64
till_cart_get_total (TillCart *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  guint64 total = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TillCartLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      total += till_cart_line_get_total (line);
    }
  return total;
}

guint
till_cart_get_n_items (TillCart *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  guint items = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TillCartLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      items += line->quantity;
    }
  return items;
}
