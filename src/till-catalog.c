/* till-catalog.c
 *
 * A catalog is a key file: a [catalog] group (name, currency), [category ID] groups (name,
 * color, order) and [product ID] groups (name, price in minor units, category,
 * order). Names may be localised the key-file way: name[de]=...
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till"

#include "config.h"

#include <glib/gi18n.h>

#include "till-catalog.h"

struct _TillProduct
{
  GObject  parent_instance;
  gchar   *id;
  gchar   *name;
  gchar   *category;
  gchar   *color;
  guint64  price;
  gint64   order;
};

G_DEFINE_FINAL_TYPE (TillProduct, till_product, G_TYPE_OBJECT)

static void
till_product_finalize (GObject *object)
{
  TillProduct *self = TILL_PRODUCT (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->category);
  g_free (self->color);
  G_OBJECT_CLASS (till_product_parent_class)->finalize (object);
}

static void
till_product_class_init (TillProductClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_product_finalize;
}

static void
till_product_init (TillProduct *self)
{
}

const char *
till_product_get_id (TillProduct *self)
{
  return self->id;
}

const char *
till_product_get_name (TillProduct *self)
{
  return self->name;
}

guint64
till_product_get_price (TillProduct *self)
{
  return self->price;
}

const char *
till_product_get_category (TillProduct *self)
{
  return self->category;
}

const char *
till_product_get_color (TillProduct *self)
{
  return self->color;
}

typedef struct
{
  gchar   *name;
  gchar   *color;
  gint64   order;
} Category;

struct _TillCatalog
{
  GObject     parent_instance;
  gchar      *name;
  gchar      *currency;
  GListStore *products;
  GHashTable *categories;   /* id -> Category */
};

G_DEFINE_FINAL_TYPE (TillCatalog, till_catalog, G_TYPE_OBJECT)

static void
category_free (gpointer data)
{
  Category *c = data;

  g_free (c->name);
  g_free (c->color);
  g_free (c);
}

static void
till_catalog_finalize (GObject *object)
{
  TillCatalog *self = TILL_CATALOG (object);

  g_free (self->name);
  g_free (self->currency);
  g_clear_object (&self->products);
  g_hash_table_unref (self->categories);
  G_OBJECT_CLASS (till_catalog_parent_class)->finalize (object);
}

static void
till_catalog_class_init (TillCatalogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_catalog_finalize;
}

static void
till_catalog_init (TillCatalog *self)
{
  self->products = g_list_store_new (TILL_TYPE_PRODUCT);
  self->categories = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, category_free);
}

static int
compare_products (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const TillProduct *pa = a, *pb = b;
  TillCatalog *self = user_data;
  const Category *ca = g_hash_table_lookup (self->categories, pa->category);
  const Category *cb = g_hash_table_lookup (self->categories, pb->category);
  gint64 oa = ca ? ca->order : 0, ob = cb ? cb->order : 0;

  if (oa != ob)
    return oa < ob ? -1 : 1;
  if (pa->order != pb->order)
    return pa->order < pb->order ? -1 : 1;
  return g_utf8_collate (pa->name, pb->name);
}

static gpointer
invalid (GError **error, const char *group, const char *what)
{
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               /* Translators: the first %s is a group of the catalog file, e.g. "product cola" */
               _("Catalog: [%s] %s"), group, what);
  return NULL;
}

static TillCatalog *
catalog_from_key_file (GKeyFile  *kf,
                       GError   **error)
{
  g_autoptr(TillCatalog) self = g_object_new (TILL_TYPE_CATALOG, NULL);
  g_auto(GStrv) groups = NULL;
  self->name = g_key_file_get_locale_string (kf, "catalog", "name", NULL, NULL);
  self->currency = g_key_file_get_string (kf, "catalog", "currency", NULL);
  if (self->name == NULL)
    /* Translators: the shop's name when the catalog gives none (a noun) */
    self->name = g_strdup (C_("noun", "Shop"));
  if (self->currency == NULL || strlen (self->currency) != 3 || !g_ascii_isupper (self->currency[0]) ||
      !g_ascii_isupper (self->currency[1]) || !g_ascii_isupper (self->currency[2]))
    {
      return invalid (error, "catalog", _("needs a currency of three capital letters, such as EUR"));
    }

  groups = g_key_file_get_groups (kf, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "category "))
      {
        Category *c = g_new0 (Category, 1);
        c->name = g_key_file_get_locale_string (kf, groups[i], "name", NULL, NULL);
        c->color = g_key_file_get_string (kf, groups[i], "color", NULL);
        c->order = g_key_file_get_int64 (kf, groups[i], "order", NULL);
        if (c->name == NULL)
          c->name = g_strdup (groups[i] + strlen ("category "));
        g_hash_table_insert (self->categories, g_strdup (groups[i] + strlen ("category ")), c);
      }

  for (gsize i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], "product "))
      {
        g_autoptr(GError) local = NULL;
        g_autoptr(TillProduct) p = g_object_new (TILL_TYPE_PRODUCT, NULL);
        g_autofree gchar *price = g_key_file_get_string (kf, groups[i], "price", NULL);
        const Category *c;

        p->id = g_strdup (groups[i] + strlen ("product "));
        p->name = g_key_file_get_locale_string (kf, groups[i], "name", NULL, NULL);
        p->category = g_key_file_get_string (kf, groups[i], "category", NULL);
        p->order = g_key_file_get_int64 (kf, groups[i], "order", NULL);
        /* Prices are integers in minor units: "4.50" is refused, not rounded. */
        if (price == NULL || !g_ascii_string_to_unsigned (price, 10, 1, G_MAXUINT32, &p->price, NULL))
          return invalid (error, groups[i], _("needs a price in minor units, such as 450 for 4.50"));
        if (p->name == NULL)
          return invalid (error, groups[i], _("needs a name"));
        if (p->category == NULL || (c = g_hash_table_lookup (self->categories, p->category)) == NULL)
          return invalid (error, groups[i], _("names a category the catalog does not have"));
        p->color = g_strdup (c->color);
        g_list_store_append (self->products, p);
      }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->products)) == 0)
    {
      return invalid (error, "catalog", _("has no products"));
    }
  g_list_store_sort (self->products, compare_products, self);
  return g_steal_pointer (&self);
}

TillCatalog *
till_catalog_new_from_file (const char  *path,
                            GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return NULL;
  return catalog_from_key_file (kf, error);
}

TillCatalog *
till_catalog_new_from_resource (const char  *resource,
                                GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GBytes) bytes = g_resources_lookup_data (resource, 0, error);

  if (bytes == NULL || !g_key_file_load_from_bytes (kf, bytes, G_KEY_FILE_NONE, error))
    return NULL;
  return catalog_from_key_file (kf, error);
}

const char *
till_catalog_get_name (TillCatalog *self)
{
  return self->name;
}

const char *
till_catalog_get_currency (TillCatalog *self)
{
  return self->currency;
}

GListModel *
till_catalog_get_products (TillCatalog *self)
{
  return G_LIST_MODEL (self->products);
}

const char *
till_catalog_get_category_name (TillCatalog *self,
                                const char  *category)
{
  const Category *c = g_hash_table_lookup (self->categories, category);

  return c ? c->name : category;
}
