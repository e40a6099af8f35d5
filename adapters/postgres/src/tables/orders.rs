//! A tenant's `orders`: who ordered what, at which prices (a snapshot of the items as they were),
//! its status, its tracking token, and the idempotency key it was placed under.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::idempotency::{PriorAttempt, RequestFingerprint};
use chameleon_core::menu::{MenuItemId, MenuItemName};
use chameleon_core::options::{OptionGroupId, OptionGroupName, OptionId, OptionName, PriceDelta};
use chameleon_core::order::{
    ChosenOption, CustomerName, NewOrder, Order, OrderId, OrderItem, OrderStatus, Quantity,
    TrackingToken,
};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

/// The columns [`from_row`] reads.
macro_rules! columns {
    () => {
        "id, customer_name, status, total_amount, items, tracking_token, created_at"
    };
}

/// Stores a new PENDING order: id, customer, total, items snapshot, idempotency key and request
/// fingerprint (both NULL without a key), tracking token; its creation time.
pub const INSERT: &str = "INSERT INTO orders \
     (id, customer_name, status, total_amount, items, idempotency_key, request_fingerprint, \
      tracking_token) \
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7) RETURNING created_at";

/// The order stored under key `$1`, with its request's fingerprint and the database's `now()`,
/// kept from changing (and its key from being taken) until the transaction ends.
pub const FIND_BY_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    ", request_fingerprint, now() AS now FROM orders WHERE idempotency_key = $1 FOR UPDATE"
);

/// Takes the key off order `$1`.
pub const FORGET_KEY: &str =
    "UPDATE orders SET idempotency_key = NULL, request_fingerprint = NULL WHERE id = $1";

/// A page: status `$1` (or any), after the position `($2, $3)` (or from the newest), newest
/// first, at most `$4`.
pub const PAGE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders WHERE ($1::text IS NULL OR status = $1) ",
    "AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3)) ",
    "ORDER BY created_at DESC, id DESC LIMIT $4"
);

/// Order `$1`, kept from changing until the transaction ends.
pub const LOCK: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders WHERE id = $1 FOR UPDATE"
);

/// Gives order `$1` the status `$2`.
pub const SET_STATUS: &str = "UPDATE orders SET status = $2 WHERE id = $1";

/// Order `$1`.
pub const GET: &str = concat!("SELECT ", columns!(), " FROM orders WHERE id = $1");

/// Every order, oldest first, ties by id.
pub const ALL_OLDEST_FIRST: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders ORDER BY created_at, id"
);

/// The unique index an idempotency key taken twice violates.
pub const KEY_INDEX: &str = "orders_idempotency_key";

/// One line of the `items` snapshot, as stored in `orders.items`: `price` is the unit price,
/// options included (orders placed before options have none).
#[derive(Debug, Serialize, Deserialize)]
pub struct ItemSnapshot {
    id: Uuid,
    name: String,
    price: i64,
    qty: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<OptionSnapshot>,
}

/// An option chosen on a line, as it was.
#[derive(Debug, Serialize, Deserialize)]
pub struct OptionSnapshot {
    id: Uuid,
    group_id: Uuid,
    group: String,
    name: String,
    price_delta: i64,
}

/// The `items` snapshot stored with `new`.
pub fn snapshot(new: &NewOrder) -> Vec<ItemSnapshot> {
    new.items()
        .iter()
        .map(|item| ItemSnapshot {
            id: item.id.as_uuid(),
            name: item.name.as_str().to_owned(),
            price: item.unit_price,
            qty: i64::from(item.qty.get()),
            options: item
                .options
                .iter()
                .map(|o| OptionSnapshot {
                    id: o.id.as_uuid(),
                    group_id: o.group_id.as_uuid(),
                    group: o.group.as_str().to_owned(),
                    name: o.name.as_str().to_owned(),
                    price_delta: o.price_delta.cents(),
                })
                .collect(),
        })
        .collect()
}

/// The order `new` became, stored under `id`, from what [`INSERT`] returned.
pub fn placed(new: NewOrder, id: Uuid, rows: &[Row]) -> anyhow::Result<Order> {
    let created_at: SystemTime = rows
        .first()
        .ok_or_else(|| anyhow!("INSERT .. RETURNING returned no row"))?
        .try_get("created_at")
        .context("reading the order's creation time")?;
    Ok(new.placed(OrderId::from_uuid(id), created_at))
}

/// Rebuilds an order from a row of [`columns!`], re-validating its snapshot.
pub fn from_row(row: &Row) -> anyhow::Result<Order> {
    let id: Uuid = row.try_get("id")?;
    let tokio_postgres::types::Json(snapshot): tokio_postgres::types::Json<Vec<ItemSnapshot>> =
        row.try_get("items")?;
    let items = snapshot
        .into_iter()
        .map(|line| {
            anyhow::ensure!(line.price >= 0, "a negative unit price");
            Ok(OrderItem {
                id: MenuItemId::from_uuid(line.id),
                name: MenuItemName::parse(&line.name)?,
                unit_price: line.price,
                qty: Quantity::try_from(line.qty)?,
                options: line
                    .options
                    .into_iter()
                    .map(|o| {
                        Ok(ChosenOption {
                            id: OptionId::from_uuid(o.id),
                            group_id: OptionGroupId::from_uuid(o.group_id),
                            group: OptionGroupName::parse(&o.group)?,
                            name: OptionName::parse(&o.name)?,
                            price_delta: PriceDelta::try_from(o.price_delta)?,
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
            })
        })
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("order {id} has a malformed item snapshot"))?;
    Ok(Order {
        id: OrderId::from_uuid(id),
        customer: CustomerName::parse(row.try_get("customer_name")?)?,
        status: OrderStatus::parse(row.try_get("status")?)?,
        total_cents: row.try_get("total_amount")?,
        items,
        tracking_token: row
            .try_get::<_, Option<&str>>("tracking_token")?
            .map(TrackingToken::parse)
            .transpose()?,
        created_at: row.try_get("created_at")?,
    })
}

/// What a row of [`FIND_BY_KEY`] says of the earlier attempt under the key.
pub fn prior_attempt(row: &Row) -> anyhow::Result<PriorAttempt> {
    let fingerprint: &[u8] = row.try_get("request_fingerprint")?;
    Ok(PriorAttempt {
        order: from_row(row)?,
        fingerprint: RequestFingerprint::from_stored(fingerprint)
            .ok_or_else(|| anyhow!("a stored request fingerprint is not 32 bytes"))?,
        now: row.try_get("now")?,
    })
}
