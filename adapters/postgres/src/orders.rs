//! The order repository over a tenant's `orders`.
//!
//! Placing an order is one tenant-bound transaction: (with an `Idempotency-Key`) take the key's
//! lock and look for an order under it, read the ordered items, hand them to the core's pricing
//! (the closure the port takes), insert what it returns, commit. Two round trips whether or not
//! there is a key: `BEGIN`, the key's lock and lookup and the item read ride together, the
//! `INSERT` with the `COMMIT`.
//!
//! Two requests under one key at once: the second waits on the key's transaction-scoped advisory
//! lock (taken before the lookup), then finds the first's order and replays it; past
//! `lock_timeout` it is told the key is in flight. The unique index on the key is the backstop.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::idempotency::{PriorAttempt, PriorOutcome, RequestFingerprint};
use chameleon_core::menu::{MenuItem, MenuItemId, MenuItemName, PriceCents};
use chameleon_core::order::{
    CustomerName, NewOrder, Order, OrderId, OrderItem, OrderList, OrderPage, OrderRejection,
    OrderStatus, Quantity, StatusChangeRefused,
};
use chameleon_core::ports::{
    ChangeOrderStatusError, ListOrdersError, OrderRepository, PlaceOrderError, Placement, Placing,
};
use chameleon_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::menu::{GET_MANY, item_from_row};
use crate::pool::PgPool;
use crate::sqlstate::{is_lock_timeout, is_unique_violation};
use crate::tenant_tx::TenantTx;

macro_rules! order_columns {
    () => {
        "id, customer_name, status, total_amount, items, created_at"
    };
}
const INSERT: &str = "INSERT INTO orders \
     (id, customer_name, status, total_amount, items, idempotency_key, request_fingerprint) \
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6) RETURNING created_at";
/// Serialises requests under one key (and tenant: the schema is part of the lock's name).
const LOCK_KEY: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))";
const FIND_BY_KEY: &str = concat!(
    "SELECT ",
    order_columns!(),
    ", request_fingerprint, now() AS now FROM orders WHERE idempotency_key = $1 FOR UPDATE"
);
const FORGET_KEY: &str =
    "UPDATE orders SET idempotency_key = NULL, request_fingerprint = NULL WHERE id = $1";
const PAGE: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE ($1::text IS NULL OR status = $1) ",
    "AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3)) ",
    "ORDER BY created_at DESC, id DESC LIMIT $4"
);
const LOCK: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE id = $1 FOR UPDATE"
);
const SET_STATUS: &str = "UPDATE orders SET status = $2 WHERE id = $1";

/// One line of the `items` snapshot, as stored in `orders.items`.
#[derive(Debug, Serialize, Deserialize)]
struct ItemSnapshot {
    id: Uuid,
    name: String,
    price: i64,
    qty: i64,
}

/// [`OrderRepository`] over each tenant's `orders`.
#[derive(Debug, Clone)]
pub struct PgOrders {
    pool: PgPool,
}

impl PgOrders {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl PgOrders {
    /// With a key: takes its lock and reads any order under it; then the ordered items. All in
    /// the transaction's first round trip.
    async fn read_for_placing(
        tx: &mut TenantTx,
        key: Option<&str>,
        ids: &[Uuid],
    ) -> anyhow::Result<(Option<Row>, Vec<Row>)> {
        let Some(key) = key else {
            return Ok((None, tx.query(GET_MANY, &[&ids]).await?));
        };
        let mut answers = tx
            .query_all(&[
                (LOCK_KEY, &[&key]),
                (FIND_BY_KEY, &[&key]),
                (GET_MANY, &[&ids]),
            ])
            .await?
            .into_iter();
        let _lock = answers.next();
        let prior = answers.next().and_then(|rows| rows.into_iter().next());
        Ok((prior, answers.next().unwrap_or_default()))
    }
}

/// What a lookup under a key found.
fn prior_attempt(row: &Row) -> anyhow::Result<PriorAttempt> {
    let fingerprint: &[u8] = row.try_get("request_fingerprint")?;
    Ok(PriorAttempt {
        order: order_from_row(row)?,
        fingerprint: RequestFingerprint::from_stored(fingerprint)
            .ok_or_else(|| anyhow!("a stored request fingerprint is not 32 bytes"))?,
        now: row.try_get("now")?,
    })
}

impl OrderRepository for PgOrders {
    async fn place<J, P>(
        &self,
        tenant: &Tenant,
        placing: Placing<'_, J, P>,
    ) -> Result<Placement, PlaceOrderError>
    where
        J: FnOnce(&PriorAttempt) -> Result<PriorOutcome, PlaceOrderError> + Send,
        P: FnOnce(&[MenuItem]) -> Result<NewOrder, OrderRejection> + Send,
    {
        let ids: Vec<Uuid> = placing.wanted.iter().map(MenuItemId::as_uuid).collect();
        let key = placing.key.map(|k| k.as_str());
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let (prior, rows) = match Self::read_for_placing(&mut tx, key, &ids).await {
            Ok(read) => read,
            Err(err)
                if err
                    .chain()
                    .any(|e| e.downcast_ref().is_some_and(is_lock_timeout)) =>
            {
                return Err(PlaceOrderError::KeyInFlight);
            }
            Err(err) => return Err(err.context("reading for an order").into()),
        };
        if let Some(prior) = prior {
            let prior = prior_attempt(&prior)?;
            match (placing.judge_prior)(&prior)? {
                // Dropping `tx` rolls back: nothing was written.
                PriorOutcome::Replay => return Ok(Placement::Replayed(prior.order)),
                PriorOutcome::Forget => {
                    tx.query(FORGET_KEY, &[&prior.order.id.as_uuid()])
                        .await
                        .context("taking an expired key off its order")?;
                }
            }
        }
        let stored: Vec<MenuItem> = rows
            .iter()
            .map(item_from_row)
            .collect::<anyhow::Result<_>>()?;
        // A refusal drops `tx`, which rolls back: nothing was written.
        let new = (placing.price)(&stored)?;
        self.insert(tx, new).await
    }

    async fn list(&self, tenant: &Tenant, page: OrderPage) -> Result<OrderList, ListOrdersError> {
        let status = page.status.map(OrderStatus::as_str);
        let after_time: Option<SystemTime> = page.after.map(|c| c.created_at);
        let after_id: Option<Uuid> = page.after.map(|c| c.id.as_uuid());
        // One more than the page holds: whether it is there says if another page follows.
        let lookahead = i64::try_from(page.limit.get() + 1).unwrap_or(i64::MAX);
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(PAGE, &[&status, &after_time, &after_id, &lookahead])
            .await
            .context("listing orders")?;
        let orders = rows
            .iter()
            .map(order_from_row)
            .collect::<anyhow::Result<_>>()?;
        Ok(OrderList::from_lookahead(orders, page.limit))
    }

    async fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> Result<Order, ChangeOrderStatusError>
    where
        F: FnOnce(&Order) -> Result<OrderStatus, StatusChangeRefused> + Send,
    {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(LOCK, &[&id.as_uuid()])
            .await
            .context("locking an order")?;
        let mut order = order_from_row(rows.first().ok_or(ChangeOrderStatusError::NotFound(id))?)?;
        order.status = decide(&order)?;
        tx.query_and_commit(SET_STATUS, &[&id.as_uuid(), &order.status.as_str()])
            .await
            .context("changing an order's status")?;
        Ok(order)
    }
}

impl PgOrders {
    /// Stores `new` and commits.
    async fn insert(&self, tx: TenantTx, new: NewOrder) -> Result<Placement, PlaceOrderError> {
        let id = Uuid::now_v7();
        let snapshot: Vec<ItemSnapshot> = new
            .items()
            .iter()
            .map(|item| ItemSnapshot {
                id: item.id.as_uuid(),
                name: item.name.as_str().to_owned(),
                price: i64::from(item.price.cents()),
                qty: i64::from(item.qty.get()),
            })
            .collect();
        let (key, fingerprint): (Option<&str>, Option<&[u8]>) = match new.idempotency() {
            Some((key, fingerprint)) => (Some(key.as_str()), Some(fingerprint.as_bytes())),
            None => (None, None),
        };
        let inserted = tx
            .query_and_commit(
                INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&snapshot),
                    &key,
                    &fingerprint,
                ],
            )
            .await;
        let rows = match inserted {
            Ok(rows) => rows,
            // The key's lock makes this a backstop only.
            Err(err)
                if err
                    .chain()
                    .filter_map(|e| e.downcast_ref())
                    .any(|e| is_unique_violation(e, "orders_idempotency_key")) =>
            {
                return Err(PlaceOrderError::KeyInFlight);
            }
            Err(err) => return Err(err.context("inserting an order").into()),
        };
        let created_at: SystemTime = rows
            .first()
            .ok_or_else(|| anyhow!("INSERT .. RETURNING returned no row"))?
            .try_get("created_at")
            .context("reading the order's creation time")?;
        Ok(Placement::Placed(
            new.placed(OrderId::from_uuid(id), created_at),
        ))
    }
}

fn order_from_row(row: &Row) -> anyhow::Result<Order> {
    let id: Uuid = row.try_get("id")?;
    let Json(snapshot): Json<Vec<ItemSnapshot>> = row.try_get("items")?;
    let items = snapshot
        .into_iter()
        .map(|line| {
            Ok(OrderItem {
                id: MenuItemId::from_uuid(line.id),
                name: MenuItemName::parse(&line.name)?,
                price: PriceCents::try_from(line.price)?,
                qty: Quantity::try_from(line.qty)?,
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
        created_at: row.try_get("created_at")?,
    })
}
