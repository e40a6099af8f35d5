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
        "id, customer_name, status, total_amount, items, tracking_token, created_at, pickup_at, \
         ready_at"
    };
}

/// Stores a new PENDING order: id, customer, total, items snapshot, idempotency key and request
/// fingerprint (both NULL without a key), tracking token, pickup time asked for (NULL: as soon
/// as possible), ready time, the slot it takes a place in; its creation time.
pub const INSERT: &str = "INSERT INTO orders \
     (id, customer_name, status, total_amount, items, idempotency_key, request_fingerprint, \
      tracking_token, pickup_at, ready_at, slot_start) \
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING created_at";

/// Waits for, then holds until the transaction ends, the lock on one pickup slot (`$1`, a key
/// drawn from the tenant's schema and the slot's start): placements into one slot take turns.
pub const LOCK_SLOT: &str = "SELECT pg_advisory_xact_lock($1)";

/// How many orders that are not cancelled each of the slots `$1` (a list of starts) holds; a
/// slot holding none has no row.
pub const COUNT_SLOTS: &str = "SELECT slot_start, count(*) FROM orders \
     WHERE slot_start = ANY($1) AND status <> 'CANCELLED' GROUP BY slot_start";

/// How many orders that are not cancelled each slot starting from `$1` to `$2` holds.
pub const COUNT_SLOT_RANGE: &str = "SELECT slot_start, count(*) FROM orders \
     WHERE slot_start BETWEEN $1 AND $2 AND status <> 'CANCELLED' GROUP BY slot_start";

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

/// A page: status `$1` (or any), after the position `($2, $3)` (or from the newest), to be
/// ready from `$5` and before `$6` (either or both may be NULL), newest first, at most `$4`.
pub const PAGE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders WHERE ($1::text IS NULL OR status = $1) ",
    "AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3)) ",
    "AND ($5::timestamptz IS NULL OR ready_at >= $5) ",
    "AND ($6::timestamptz IS NULL OR ready_at < $6) ",
    "ORDER BY created_at DESC, id DESC LIMIT $4"
);

/// [`PAGE`] by pickup: orders with a ready time, after the position `($2, $3)` in
/// `(ready_at, id)`, soonest first.
pub const PAGE_BY_PICKUP: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders WHERE ready_at IS NOT NULL AND ($1::text IS NULL OR status = $1) ",
    "AND ($2::timestamptz IS NULL OR (ready_at, id) > ($2, $3)) ",
    "AND ($5::timestamptz IS NULL OR ready_at >= $5) ",
    "AND ($6::timestamptz IS NULL OR ready_at < $6) ",
    "ORDER BY ready_at, id LIMIT $4"
);

/// Order `$1`, kept from changing until the transaction ends.
pub const LOCK: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM orders WHERE id = $1 FOR UPDATE"
);

/// Gives order `$1` the status `$2` and the ready time `$3`.
pub const SET_STATUS: &str = "UPDATE orders SET status = $2, ready_at = $3 WHERE id = $1";

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
        pickup_at: instant(row.try_get("pickup_at")?)?,
        ready_at: instant(row.try_get("ready_at")?)?,
    })
}

/// A stored `timestamptz` as core's instant.
pub fn instant(at: Option<SystemTime>) -> anyhow::Result<Option<jiff::Timestamp>> {
    at.map(jiff::Timestamp::try_from)
        .transpose()
        .context("a stored instant out of range")
}

/// Core's instant as a `timestamptz` parameter.
pub fn stored(at: jiff::Timestamp) -> SystemTime {
    super::staff::system_time(at)
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
