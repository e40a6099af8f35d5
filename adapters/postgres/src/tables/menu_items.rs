//! A tenant's `menu_items`: what it sells, at which price, whether it can be ordered now, and
//! how the storefront presents it.

use anyhow::{Context as _, anyhow};
use chameleon_core::menu::{
    CategoryId, Description, ImageUrl, MenuItem, MenuItemId, MenuItemName, PriceCents, Tag,
};
use std::time::SystemTime;

use chameleon_core::options::OptionGroupId;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// The columns [`from_row`] reads.
macro_rules! columns {
    () => {
        "id, name, price, is_available, category_id, description, image_url, tags, \
         sold_out_until, option_group_ids"
    };
}

/// Stores a new item: [`ItemParams::params`].
pub const INSERT: &str = "INSERT INTO menu_items \
     (id, name, price, is_available, category_id, description, image_url, tags, sold_out_until, \
      option_group_ids) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Held until the transaction ends by whoever creates an item, so that two creations racing
/// for the last place under the tenant's cap count one after the other (class 1 of the tenant's
/// two-key advisory locks; a bigint key, as the installer's, never collides with these).
pub const HOLD_CREATION: &str = "SELECT pg_advisory_xact_lock(hashtext(current_schema()), 1)";

/// How many items there are (run after [`HOLD_CREATION`], on a fresh snapshot).
pub const COUNT: &str = "SELECT count(*) FROM menu_items";

/// Every item, by name (byte order), then id.
pub const LIST_ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM menu_items ORDER BY name COLLATE \"C\", id"
);

/// The available items, by name (byte order), then id.
pub const LIST_AVAILABLE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM menu_items WHERE is_available ORDER BY name COLLATE \"C\", id"
);

/// Item `$1`.
pub const GET: &str = concat!("SELECT ", columns!(), " FROM menu_items WHERE id = $1");

/// The items among the ids `$1` (those that exist).
pub const GET_MANY: &str = concat!("SELECT ", columns!(), " FROM menu_items WHERE id = ANY($1)");

/// Item `$1`, kept from changing until the transaction ends.
pub const LOCK: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM menu_items WHERE id = $1 FOR UPDATE"
);

/// Stores item `$1` as edited: [`ItemParams::params`].
pub const UPDATE: &str = "UPDATE menu_items SET name = $2, price = $3, is_available = $4, \
     category_id = $5, description = $6, image_url = $7, tags = $8, sold_out_until = $9, \
     option_group_ids = $10 WHERE id = $1";

/// The items that offer group `$1`.
pub const OFFERING: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM menu_items WHERE option_group_ids @> ARRAY[$1::uuid]"
);

/// Whether an item offers group `$1`.
pub const ANY_OFFERING: &str =
    "SELECT 1 FROM menu_items WHERE option_group_ids @> ARRAY[$1::uuid] LIMIT 1";

/// Removes item `$1`; its id if it was there.
pub const DELETE: &str = "DELETE FROM menu_items WHERE id = $1 RETURNING id";

/// Takes every item out of category `$1`. A statement of its own after the category's delete,
/// not a CTE: under READ COMMITTED it takes a fresh snapshot, so it also sees an item a
/// transaction that held the category committed while the delete waited for it.
pub const UNCATEGORISE: &str = "UPDATE menu_items SET category_id = NULL WHERE category_id = $1";

/// An item's columns as statement parameters, in [`INSERT`]'s and [`UPDATE`]'s order.
#[derive(Debug)]
pub struct ItemParams<'a> {
    id: Uuid,
    name: &'a str,
    price: i32,
    is_available: bool,
    category: Option<Uuid>,
    description: Option<&'a str>,
    image_url: Option<&'a str>,
    tags: Option<Vec<&'static str>>,
    sold_out_until: Option<SystemTime>,
    option_groups: Vec<Uuid>,
}

impl<'a> ItemParams<'a> {
    pub fn of(item: &'a MenuItem) -> anyhow::Result<Self> {
        Ok(Self {
            id: item.id.as_uuid(),
            name: item.name.as_str(),
            price: i32::try_from(item.price.cents()).context("price out of range")?,
            is_available: item.is_available,
            category: item.category.map(|c| c.as_uuid()),
            description: item.description.as_ref().map(Description::as_str),
            image_url: item.image_url.as_ref().map(ImageUrl::as_str),
            // No tags is NULL (the column refuses an empty array).
            tags: (!item.tags.is_empty()).then(|| item.tags.iter().map(|t| t.as_str()).collect()),
            sold_out_until: item.sold_out_until.map(super::staff::system_time),
            option_groups: item.option_groups.iter().map(|g| g.as_uuid()).collect(),
        })
    }

    pub fn params(&self) -> [&(dyn ToSql + Sync); 10] {
        [
            &self.id,
            &self.name,
            &self.price,
            &self.is_available,
            &self.category,
            &self.description,
            &self.image_url,
            &self.tags,
            &self.sold_out_until,
            &self.option_groups,
        ]
    }
}

/// Rebuilds a menu item from a row of [`columns!`], re-validating its fields.
pub fn from_row(row: &Row) -> anyhow::Result<MenuItem> {
    let id: Uuid = row.try_get("id")?;
    let price: i32 = row.try_get("price")?;
    let bad = |e: &dyn std::fmt::Display| anyhow!("menu item {id}: {e}");
    let description: Option<&str> = row.try_get("description")?;
    let image_url: Option<&str> = row.try_get("image_url")?;
    let tags: Option<Vec<&str>> = row.try_get("tags")?;
    Ok(MenuItem {
        id: MenuItemId::from_uuid(id),
        name: MenuItemName::parse(row.try_get("name")?).map_err(|e| bad(&e))?,
        price: PriceCents::try_from(i64::from(price))?,
        is_available: row.try_get("is_available")?,
        category: row
            .try_get::<_, Option<Uuid>>("category_id")?
            .map(CategoryId::from_uuid),
        description: description
            .map(Description::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        image_url: image_url
            .map(ImageUrl::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        tags: Tag::parse_set(tags.unwrap_or_default()).map_err(|e| bad(&e))?,
        sold_out_until: row
            .try_get::<_, Option<SystemTime>>("sold_out_until")?
            .map(super::staff::timestamp),
        option_groups: row
            .try_get::<_, Vec<Uuid>>("option_group_ids")?
            .into_iter()
            .map(OptionGroupId::from_uuid)
            .collect(),
    })
}

/// [`from_row`] over every row.
pub fn from_rows(rows: &[Row]) -> anyhow::Result<Vec<MenuItem>> {
    rows.iter().map(from_row).collect()
}
