//! The order repository: a tenant's `orders` ([`crate::tables::orders`]), priced from its
//! `menu_items` ([`crate::tables::menu_items`]).
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
//! the key is in flight); the failed transaction wrote nothing. A second transaction then reads
//! that order (locking it), judges it, and replays it, refuses the key, or takes an expired key
//! off it and prices and places the order afresh. A refused order under a key first looks for an order under the key, so a
//! retry of an order placed before replays even if, say, an item has since run out.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow};
use chameleon_core::idempotency::{PriorAttempt, PriorOutcome};
use chameleon_core::menu::MenuItemId;
use chameleon_core::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderStatus,
    StatusChangeRefused, Stock, TrackingToken,
};
use chameleon_core::ports::{
    ChangeOrderStatusError, GetOrderError, ListOrdersError, OrderRepository, PlaceOrderError,
    Placement, Placing,
};
use chameleon_core::tenant::Tenant;
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::pool::PgPool;
use crate::sqlstate::{is_lock_timeout, is_unique_violation};
use crate::tables::{categories, menu_items, option_groups, orders};
use crate::tenant_tx::{Params, TenantTx};
use chameleon_core::staff::AuditAction;
use tokio_postgres::types::ToSql;

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

/// Whether `err` is PostgreSQL giving up on a lock: here, on an order under the same key that
/// another transaction is still storing.
fn waited_too_long(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref().is_some_and(is_lock_timeout))
}

impl OrderRepository for PgOrders {
    async fn place<J, P>(
        &self,
        tenant: &Tenant,
        placing: Placing<'_, J, P>,
    ) -> Result<Placement, PlaceOrderError>
    where
        J: FnOnce(&PriorAttempt) -> Result<PriorOutcome, PlaceOrderError> + Send,
        P: Fn(&Stock) -> Result<NewOrder, OrderRejection> + Send + Sync,
    {
        let ids: Vec<Uuid> = placing.wanted.iter().map(MenuItemId::as_uuid).collect();
        let ids: [&(dyn ToSql + Sync); 1] = [&ids];
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query_all(&stock_reads(&ids))
            .await
            .context("reading the ordered items")?;
        let priced = (placing.price)(&stock(&rows)?);
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
        let [items, groups, categories] = stock_reads(&ids);
        let answers = match tx
            .query_all(&[(orders::FIND_BY_KEY, &[&key]), items, groups, categories])
            .await
        {
            Ok(answers) => answers,
            Err(err) if waited_too_long(&err) => return Err(PlaceOrderError::KeyInFlight),
            Err(err) => return Err(err.context("reading the order under a key").into()),
        };
        let mut answers = answers.into_iter();
        let prior = answers.next().unwrap_or_default();
        let read: Vec<Vec<tokio_postgres::Row>> = answers.collect();
        // Taken off its order between the two transactions: the client may try again.
        let prior = orders::prior_attempt(prior.first().ok_or(PlaceOrderError::KeyInFlight)?)?;
        match (placing.judge_prior)(&prior)? {
            PriorOutcome::Replay => Ok(Placement::Replayed(prior.order)),
            PriorOutcome::Forget => {
                tx.query(orders::FORGET_KEY, &[&prior.order.id.as_uuid()])
                    .await
                    .context("taking an expired key off its order")?;
                // Priced again from what this transaction read.
                let new = (placing.price)(&stock(&read)?)?;
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
            .query_and_commit(orders::PAGE, &[&status, &after_time, &after_id, &lookahead])
            .await
            .context("listing orders")?;
        let orders = rows
            .iter()
            .map(orders::from_row)
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
            .query(orders::LOCK, &[&id.as_uuid()])
            .await
            .context("locking an order")?;
        let mut order =
            orders::from_row(rows.first().ok_or(ChangeOrderStatusError::NotFound(id))?)?;
        order.status = decide(&order)?;
        tx.audit_on_commit(AuditAction::OrderStatus, Some(id.to_string()));
        tx.query_and_commit(orders::SET_STATUS, &[&id.as_uuid(), &order.status.as_str()])
            .await
            .context("changing an order's status")?;
        Ok(order)
    }

    async fn get(&self, tenant: &Tenant, id: OrderId) -> Result<Option<Order>, GetOrderError> {
        let tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx.query_and_commit(orders::GET, &[&id.as_uuid()]).await?;
        Ok(rows.first().map(orders::from_row).transpose()?)
    }
}

/// What a placement reads of the menu for the items `ids`, in one round trip: the items, the
/// groups they offer, their categories.
fn stock_reads<'a>(ids: Params<'a>) -> [(&'static str, Params<'a>); 3] {
    [
        (menu_items::GET_MANY, ids),
        (option_groups::OFFERED_BY_ITEMS, ids),
        (categories::OF_ITEMS, ids),
    ]
}

/// The [`Stock`] from the answers to [`stock_reads`].
fn stock(answers: &[Vec<tokio_postgres::Row>]) -> anyhow::Result<Stock> {
    let [items, groups, sections] = answers else {
        anyhow::bail!(
            "{} answers to the three reads of a placement",
            answers.len()
        );
    };
    Ok(Stock {
        items: menu_items::from_rows(items)?,
        groups: option_groups::from_rows(groups)?,
        categories: sections
            .iter()
            .map(categories::from_row)
            .collect::<anyhow::Result<_>>()?,
    })
}

impl PgOrders {
    /// The order stored under `key`, locked until `tx` ends.
    async fn find_by_key(tx: &mut TenantTx, key: &str) -> anyhow::Result<Option<PriorAttempt>> {
        let rows = tx
            .query(orders::FIND_BY_KEY, &[&key])
            .await
            .context("reading the order under a key")?;
        rows.first().map(orders::prior_attempt).transpose()
    }

    /// Stores `new` (without a key) and commits.
    async fn insert(&self, tx: TenantTx, new: NewOrder) -> Result<Placement, PlaceOrderError> {
        let id = Uuid::now_v7();
        let rows = tx
            .query_and_commit(
                orders::INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&orders::snapshot(&new)),
                    &None::<&str>,
                    &None::<&[u8]>,
                    &new.tracking().map(TrackingToken::expose),
                ],
            )
            .await
            .context("inserting an order")?;
        Ok(Placement::Placed(orders::placed(new, id, &rows)?))
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
                orders::INSERT,
                &[
                    &id,
                    &new.customer().as_str(),
                    &new.total_cents(),
                    &Json(&orders::snapshot(&new)),
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
                    .any(|e| is_unique_violation(e, orders::KEY_INDEX)) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(err.context("inserting an order").into()),
        };
        Ok(Some(Placement::Placed(orders::placed(new, id, &rows)?)))
    }
}
