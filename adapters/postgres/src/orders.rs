//! The order repository over a tenant's `orders`.
//!
//! Placing an order is one tenant-bound transaction: read the ordered items, hand them to the
//! core's pricing (the closure the port takes), insert what it returns, commit. Two round trips:
//! `BEGIN` with the item read, the `INSERT` with the `COMMIT`.
//!
//! With an `Idempotency-Key` the placement is optimistic, because nearly every key is fresh: the
//! same two round trips, the `INSERT` carrying the key, so a keyed order costs what an unkeyed
//! one does plus an index entry (`make bench` measures the two side by side). When the unique
//! index on keys refuses the `INSERT`, an order is stored under the key, or was being stored
//! (the index makes the `INSERT` wait for that transaction to end, up to `lock_timeout`: then
//! the key is in flight); the failed transaction wrote nothing. A second transaction then reads that order (locking it), judges it,
//! and replays it, refuses the key, or takes an expired key off it and prices and places the
//! order afresh. A refused order under a key first looks for an order under the key, so a
//! retry of an order placed before replays even if, say, an item has since run out.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::idempotency::{PriorAttempt, PriorOutcome, RequestFingerprint};
use chameleon_core::menu::{MenuItem, MenuItemId, MenuItemName, PriceCents};
use chameleon_core::order::{
    CustomerName, NewOrder, Order, OrderId, OrderItem, OrderList, OrderPage, OrderRejection,
    OrderStatus, Quantity, StatusChangeRefused, TrackingToken,
};
use chameleon_core::ports::{
    ChangeOrderStatusError, ExportError, ExportSink, GetOrderError, ListOrdersError,
    OrderRepository, PlaceOrderError, Placement, Placing,
};
use chameleon_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::menu::{GET_MANY, LIST_ALL, LIST_CATEGORIES, category_from_row, item_from_row};
use crate::pool::PgPool;
use crate::sqlstate::{is_lock_timeout, is_unique_violation};
use crate::tenant_tx::TenantTx;

macro_rules! order_columns {
    () => {
        "id, customer_name, status, total_amount, items, tracking_token, created_at"
    };
}
const INSERT: &str = "INSERT INTO orders \
     (id, customer_name, status, total_amount, items, idempotency_key, request_fingerprint, \
      tracking_token) \
     VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $7) RETURNING created_at";
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
const GET: &str = concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1");
const EXPORT: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders ORDER BY created_at, id"
);

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

/// Whether `err` is PostgreSQL giving up on a lock: here, on an order under the same key that
/// another transaction is still storing.
fn waited_too_long(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref().is_some_and(is_lock_timeout))
}

fn items_from_rows(rows: &[Row]) -> anyhow::Result<Vec<MenuItem>> {
    rows.iter().map(item_from_row).collect()
}

impl OrderRepository for PgOrders {
    async fn place<J, P>(
        &self,
        tenant: &Tenant,
        placing: Placing<'_, J, P>,
    ) -> Result<Placement, PlaceOrderError>
    where
        J: FnOnce(&PriorAttempt) -> Result<PriorOutcome, PlaceOrderError> + Send,
        P: Fn(&[MenuItem]) -> Result<NewOrder, OrderRejection> + Send + Sync,
    {
        let ids: Vec<Uuid> = placing.wanted.iter().map(MenuItemId::as_uuid).collect();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(GET_MANY, &[&ids])
            .await
            .context("reading the ordered items")?;
        let priced = (placing.price)(&items_from_rows(&rows)?);
        let Some(key) = placing.key.map(|k| k.as_str()) else {
            // A refusal drops `tx`, which rolls back: nothing was written.
            return self.insert(tx, priced?).await;
        };
        let new = match priced {
            Ok(new) => new,
            Err(refused) => {
                // Only if no order is stored under the key: otherwise the request is a retry
                // and answers as the first did.
                let Some(prior) = Self::find_by_key(&mut tx, key).await? else {
                    return Err(refused.into());
                };
                return match (placing.judge_prior)(&prior)? {
                    PriorOutcome::Replay => Ok(Placement::Replayed(prior.order)),
                    PriorOutcome::Forget => Err(refused.into()),
                };
            }
        };
        if let Some(placed) = self.insert_keyed(tx, new).await? {
            return Ok(placed);
        }
        // An order is stored under the key: read it in a transaction of its own.
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut answers = match tx
            .query_all(&[(FIND_BY_KEY, &[&key]), (GET_MANY, &[&ids])])
            .await
        {
            Ok(answers) => answers.into_iter(),
            Err(err) if waited_too_long(&err) => return Err(PlaceOrderError::KeyInFlight),
            Err(err) => return Err(err.context("reading the order under a key").into()),
        };
        let prior = answers.next().unwrap_or_default();
        let items = answers.next().unwrap_or_default();
        // Taken off its order between the two transactions: the client may try again.
        let prior = prior_attempt(prior.first().ok_or(PlaceOrderError::KeyInFlight)?)?;
        match (placing.judge_prior)(&prior)? {
            PriorOutcome::Replay => Ok(Placement::Replayed(prior.order)),
            PriorOutcome::Forget => {
                tx.query(FORGET_KEY, &[&prior.order.id.as_uuid()])
                    .await
                    .context("taking an expired key off its order")?;
                // Priced again from what this transaction read.
                let new = (placing.price)(&items_from_rows(&items)?)?;
                self.insert_keyed(tx, new)
                    .await?
                    .ok_or(PlaceOrderError::KeyInFlight)
            }
        }
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

    async fn get(&self, tenant: &Tenant, id: OrderId) -> Result<Option<Order>, GetOrderError> {
        let tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx.query_and_commit(GET, &[&id.as_uuid()]).await?;
        Ok(rows.first().map(order_from_row).transpose()?)
    }

    async fn export<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> Result<(), ExportError> {
        // One snapshot for the categories, the menu and every order; the orders stream through as they arrive.
        let mut tx = TenantTx::begin(&self.pool, tenant)
            .await?
            .read_only_snapshot();
        for row in tx.query(LIST_CATEGORIES, &[]).await? {
            sink.category(category_from_row(&row)?).await?;
        }
        for row in tx.query(LIST_ALL, &[]).await? {
            sink.menu_item(item_from_row(&row)?).await?;
        }
        let mut rows = tx.rows(EXPORT, &[]).await?;
        while let Some(row) = rows.next().await {
            sink.order(order_from_row(&row?)?).await?;
        }
        drop(rows);
        tx.rollback().await?;
        Ok(())
    }
}

impl PgOrders {
    /// The order stored under `key`, locked until `tx` ends.
    async fn find_by_key(tx: &mut TenantTx, key: &str) -> anyhow::Result<Option<PriorAttempt>> {
        let rows = tx
            .query(FIND_BY_KEY, &[&key])
            .await
            .context("reading the order under a key")?;
        rows.first().map(prior_attempt).transpose()
    }

    /// Stores `new` (without a key) and commits.
    async fn insert(&self, tx: TenantTx, new: NewOrder) -> Result<Placement, PlaceOrderError> {
        let id = Uuid::now_v7();
        let rows = tx
            .query_and_commit(
                INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&snapshot(&new)),
                    &None::<&str>,
                    &None::<&[u8]>,
                    &new.tracking().map(TrackingToken::expose),
                ],
            )
            .await
            .context("inserting an order")?;
        Ok(Placement::Placed(placed(new, id, &rows)?))
    }

    /// Stores `new` under its key and commits; `None` (and nothing written) when an order is
    /// stored under that key, once whoever was storing one is done. (A plain `INSERT` that fails
    /// on the unique index rather than `ON CONFLICT DO NOTHING`: the speculative insertion
    /// behind the latter costs every order an extra WAL record; measured slower.)
    async fn insert_keyed(
        &self,
        tx: TenantTx,
        new: NewOrder,
    ) -> Result<Option<Placement>, PlaceOrderError> {
        let (key, fingerprint) = new
            .idempotency()
            .ok_or_else(|| anyhow!("a keyed placement priced an order without its key"))?;
        let fingerprint: &[u8] = fingerprint.as_bytes();
        let id = Uuid::now_v7();
        let inserted = tx
            .query_and_commit(
                INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&snapshot(&new)),
                    &key.as_str(),
                    &fingerprint,
                    &new.tracking().map(TrackingToken::expose),
                ],
            )
            .await;
        let rows = match inserted {
            Ok(rows) => rows,
            Err(err) if waited_too_long(&err) => return Err(PlaceOrderError::KeyInFlight),
            Err(err)
                if err
                    .chain()
                    .filter_map(|e| e.downcast_ref())
                    .any(|e| is_unique_violation(e, "orders_idempotency_key")) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(err.context("inserting an order").into()),
        };
        Ok(Some(Placement::Placed(placed(new, id, &rows)?)))
    }
}

/// The `items` snapshot stored with `new`.
fn snapshot(new: &NewOrder) -> Vec<ItemSnapshot> {
    new.items()
        .iter()
        .map(|item| ItemSnapshot {
            id: item.id.as_uuid(),
            name: item.name.as_str().to_owned(),
            price: i64::from(item.price.cents()),
            qty: i64::from(item.qty.get()),
        })
        .collect()
}

/// The order `new` became, stored under `id`, from what `INSERT .. RETURNING` returned.
fn placed(new: NewOrder, id: Uuid, rows: &[Row]) -> anyhow::Result<Order> {
    let created_at: SystemTime = rows
        .first()
        .ok_or_else(|| anyhow!("INSERT .. RETURNING returned no row"))?
        .try_get("created_at")
        .context("reading the order's creation time")?;
    Ok(new.placed(OrderId::from_uuid(id), created_at))
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
        tracking_token: row
            .try_get::<_, Option<&str>>("tracking_token")?
            .map(TrackingToken::parse)
            .transpose()?,
        created_at: row.try_get("created_at")?,
    })
}
