//! A tenant's `categories`: the sections of its menu, in the manager's order.

use anyhow::anyhow;
use chameleon_core::menu::{Category, CategoryId, CategoryName, Position};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// Category `$1`, kept from being deleted until the transaction ends (what an item naming it
/// takes: no foreign key does it, see `V4__menu_categories.sql`).
pub const HOLD: &str = "SELECT id FROM categories WHERE id = $1 FOR KEY SHARE";

/// Held until the transaction ends by whoever creates a category (class 2; see
/// `menu_items::HOLD_CREATION`).
pub const HOLD_CREATION: &str = "SELECT pg_advisory_xact_lock(hashtext(current_schema()), 2)";

/// How many categories there are (run after [`HOLD_CREATION`], on a fresh snapshot).
pub const COUNT: &str = "SELECT count(*) FROM categories";

/// Stores category `$1` named `$2` at position `$3`.
pub const INSERT: &str =
    "INSERT INTO categories (id, name, position, serving_hours) VALUES ($1, $2, $3, $4)";

/// Every category in the menu's order: by position, then name (byte order), then id.
pub const LIST: &str = "SELECT id, name, position, serving_hours FROM categories \
     ORDER BY position, name COLLATE \"C\", id";

/// The categories of the items `$1`: what a placement judges serving hours by.
pub const OF_ITEMS: &str = "SELECT id, name, position, serving_hours FROM categories WHERE id IN \
     (SELECT category_id FROM menu_items WHERE id = ANY($1))";

/// Category `$1`, kept from changing until the transaction ends.
pub const LOCK: &str =
    "SELECT id, name, position, serving_hours FROM categories WHERE id = $1 FOR UPDATE";

/// Names category `$1` `$2` at position `$3`.
pub const UPDATE: &str =
    "UPDATE categories SET name = $2, position = $3, serving_hours = $4 WHERE id = $1";

/// Removes category `$1`; its id if it was there.
pub const DELETE: &str = "DELETE FROM categories WHERE id = $1 RETURNING id";

/// A category's position as its column holds it.
pub fn position(category: &Category) -> i32 {
    i32::from(category.position.get())
}

/// A category's serving hours as their column holds them.
pub fn serving_hours(category: &Category) -> Option<Json<serde_json::Value>> {
    category
        .serving_hours
        .as_ref()
        .map(|hours| Json(super::tenants::hours_to_json(hours)))
}

/// Rebuilds a category from a row, re-validating its fields.
pub fn from_row(row: &Row) -> anyhow::Result<Category> {
    let id: Uuid = row.try_get("id")?;
    let position: i32 = row.try_get("position")?;
    Ok(Category {
        id: CategoryId::from_uuid(id),
        name: CategoryName::parse(row.try_get("name")?)
            .map_err(|e| anyhow!("category {id}: {e}"))?,
        position: Position::try_from(i64::from(position))?,
        serving_hours: row
            .try_get::<_, Option<serde_json::Value>>("serving_hours")?
            .map(|hours| super::tenants::hours_from_json(&hours))
            .transpose()
            .map_err(|e| anyhow!("category {id}: serving hours: {e:#}"))?,
    })
}
