//! A tenant's `option_groups` (tenant migration V6): each group's name, how many of its options
//! a customer chooses, and the options themselves as a JSON list in the customer's order.

use anyhow::{Context as _, anyhow};
use chameleon_core::options::{
    OptionChoice, OptionGroup, OptionGroupId, OptionGroupName, OptionId, OptionName, PriceDelta,
    SoldOut,
};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// The columns [`from_row`] reads.
macro_rules! columns {
    () => {
        "id, name, min_choices, max_choices, options"
    };
}

/// Held until the transaction ends by whoever creates a group (class 3; see
/// `menu_items::HOLD_CREATION`).
pub const HOLD_CREATION: &str = "SELECT pg_advisory_xact_lock(hashtext(current_schema()), 3)";

/// Held until the transaction ends by whoever changes a group (class 4): an item may offer
/// several groups, and two updates of two of its groups must not each check the item against
/// the other's old options.
pub const HOLD_CHANGE: &str = "SELECT pg_advisory_xact_lock(hashtext(current_schema()), 4)";

/// How many groups there are (run after [`HOLD_CREATION`], on a fresh snapshot).
pub const COUNT: &str = "SELECT count(*) FROM option_groups";

/// Stores a group: id, name, min, max, options.
pub const INSERT: &str = "INSERT INTO option_groups (id, name, min_choices, max_choices, options) \
     VALUES ($1, $2, $3, $4, $5)";

/// Every group, by name (byte order), then id.
pub const LIST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM option_groups ORDER BY name COLLATE \"C\", id"
);

/// Group `$1`.
pub const GET: &str = concat!("SELECT ", columns!(), " FROM option_groups WHERE id = $1");

/// Group `$1`, kept from changing until the transaction ends.
pub const LOCK: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM option_groups WHERE id = $1 FOR UPDATE"
);

/// The groups among the ids `$1` (those that exist), kept from changing or going until the
/// transaction ends: what an item's write takes of the groups it offers.
pub const HOLD_MANY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM option_groups WHERE id = ANY($1) FOR SHARE"
);

/// The groups the items `$1` offer: what a placement prices with.
pub const OFFERED_BY_ITEMS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM option_groups WHERE id IN \
     (SELECT unnest(option_group_ids) FROM menu_items WHERE id = ANY($1))"
);

/// The groups offered by the items that offer group `$1` (itself included).
pub const BESIDE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM option_groups WHERE id IN \
     (SELECT unnest(option_group_ids) FROM menu_items WHERE option_group_ids @> ARRAY[$1::uuid])"
);

/// Stores group `$1` as edited.
pub const UPDATE: &str = "UPDATE option_groups SET name = $2, min_choices = $3, max_choices = $4, \
     options = $5 WHERE id = $1";

/// Removes group `$1`; its id if it was there.
pub const DELETE: &str = "DELETE FROM option_groups WHERE id = $1 RETURNING id";

/// One option as stored in `option_groups.options`.
#[derive(Debug, Serialize, Deserialize)]
struct StoredOption {
    id: Uuid,
    name: String,
    price_delta: i64,
    /// RFC 3339, `"indefinitely"`, or null.
    sold_out_until: Option<String>,
}

/// A group's columns as statement parameters, in [`INSERT`]'s and [`UPDATE`]'s order.
pub fn params(group: &OptionGroup) -> (Uuid, &str, i16, i16, Json<serde_json::Value>) {
    let options: Vec<StoredOption> = group
        .options
        .iter()
        .map(|o| StoredOption {
            id: o.id.as_uuid(),
            name: o.name.as_str().to_owned(),
            price_delta: o.price_delta.cents(),
            sold_out_until: o.sold_out.map(|s| s.to_string()),
        })
        .collect();
    (
        group.id.as_uuid(),
        group.name.as_str(),
        i16::from(group.min),
        i16::from(group.max),
        Json(serde_json::to_value(options).unwrap_or_default()),
    )
}

/// Rebuilds a group from a row of [`columns!`], re-validating it.
pub fn from_row(row: &Row) -> anyhow::Result<OptionGroup> {
    let id: Uuid = row.try_get("id")?;
    let bad = |e: &dyn std::fmt::Display| anyhow!("option group {id}: {e}");
    let Json(options): Json<Vec<StoredOption>> = row.try_get("options")?;
    let min: i16 = row.try_get("min_choices")?;
    let max: i16 = row.try_get("max_choices")?;
    let group = OptionGroup {
        id: OptionGroupId::from_uuid(id),
        name: OptionGroupName::parse(row.try_get("name")?).map_err(|e| bad(&e))?,
        min: u8::try_from(min).context("min_choices out of range")?,
        max: u8::try_from(max).context("max_choices out of range")?,
        options: options
            .into_iter()
            .map(|o| {
                Ok(OptionChoice {
                    id: OptionId::from_uuid(o.id),
                    name: OptionName::parse(&o.name).map_err(|e| bad(&e))?,
                    price_delta: PriceDelta::try_from(o.price_delta).map_err(|e| bad(&e))?,
                    sold_out: o
                        .sold_out_until
                        .as_deref()
                        .map(SoldOut::parse)
                        .transpose()
                        .map_err(|e| bad(&e))?,
                })
            })
            .collect::<anyhow::Result<_>>()?,
    };
    group.check().map_err(|e| bad(&e))?;
    Ok(group)
}

/// [`from_row`] over every row.
pub fn from_rows(rows: &[Row]) -> anyhow::Result<Vec<OptionGroup>> {
    rows.iter().map(from_row).collect()
}
