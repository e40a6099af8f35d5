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
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderSort, OrderStatus,
    StatusChangeRefused, Stock, TrackingToken,
};
use chameleon_core::pickup::PickupPlan;
use chameleon_core::ports::{
    ChangeOrderStatusError, GetOrderError, ListOrdersError, OrderRepository, PlaceOrderError,
    Placement, Placing,
};
use chameleon_core::tenant::Tenant;
use jiff::Timestamp;
use sha2::{Digest as _, Sha256};
use tokio_postgres::types::Json;
use uuid::Uuid;

use crate::pool::PgPool;
use crate::slot_counts::SlotCounts;
use crate::sqlstate::{is_lock_timeout, is_unique_violation};
use crate::tables::{categories, menu_items, option_groups, orders};
use crate::tenant_tx::{Params, TenantTx};
use chameleon_core::staff::AuditAction;
use tokio_postgres::types::ToSql;

/// [`OrderRepository`] over each tenant's `orders`.
#[derive(Debug, Clone)]
pub struct PgOrders {
    pool: PgPool,
    /// What /slots shows, for a few seconds.
    slot_counts: SlotCounts,
}

impl PgOrders {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            slot_counts: SlotCounts::default(),
        }
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
        let priced = match (placing.price)(&stock(&rows)?) {
            Ok(new) => self.take_slot(&mut tx, tenant, placing.pickup, new).await?,
            Err(refused) => Err(refused),
        };
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
                let new = self
                    .take_slot(&mut tx, tenant, placing.pickup, new)
                    .await??;
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
        let from = page.pickup_from.map(orders::stored);
        let to = page.pickup_to.map(orders::stored);
        // One more than the page holds: whether it is there says if another page follows.
        let lookahead = i64::try_from(page.limit.get() + 1).unwrap_or(i64::MAX);
        let statement = match page.sort {
            OrderSort::Newest => orders::PAGE,
            OrderSort::Pickup => orders::PAGE_BY_PICKUP,
        };
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(
                statement,
                &[&status, &after_time, &after_id, &lookahead, &from, &to],
            )
            .await
            .context("listing orders")?;
        let orders = rows
            .iter()
            .map(orders::from_row)
            .collect::<anyhow::Result<_>>()?;
        Ok(OrderList::from_lookahead(orders, &page))
    }

    async fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> Result<Order, ChangeOrderStatusError>
    where
        F: FnOnce(&Order) -> Result<Order, StatusChangeRefused> + Send,
    {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(orders::LOCK, &[&id.as_uuid()])
            .await
            .context("locking an order")?;
        let mut order =
            orders::from_row(rows.first().ok_or(ChangeOrderStatusError::NotFound(id))?)?;
        let changed = decide(&order)?;
        order.status = changed.status;
        order.ready_at = changed.ready_at;
        let ready_at = order.ready_at.map(orders::stored);
        tx.audit_on_commit(AuditAction::OrderStatus, Some(id.to_string()));
        tx.query_and_commit(
            orders::SET_STATUS,
            &[&id.as_uuid(), &order.status.as_str(), &ready_at],
        )
        .await
        .context("changing an order's status")?;
        // A cancelled order frees its place: what /slots shows changes now.
        self.slot_counts.forget(tenant.id);
        Ok(order)
    }

    async fn get(&self, tenant: &Tenant, id: OrderId) -> Result<Option<Order>, GetOrderError> {
        let tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx.query_and_commit(orders::GET, &[&id.as_uuid()]).await?;
        Ok(rows.first().map(orders::from_row).transpose()?)
    }

    async fn slot_counts(
        &self,
        tenant: &Tenant,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, u64)>, ListOrdersError> {
        let read = async {
            let tx = TenantTx::begin(&self.pool, tenant).await?;
            let rows = tx
                .query_and_commit(
                    orders::COUNT_SLOT_RANGE,
                    &[&orders::stored(from), &orders::stored(to)],
                )
                .await
                .context("counting the orders of pickup slots")?;
            slot_counts_of(&rows)
        };
        Ok(self
            .slot_counts
            .get_or_read(tenant.id, (from, to), read)
            .await?)
    }
}

/// The `(slot_start, count)` rows of [`orders::COUNT_SLOTS`] or [`orders::COUNT_SLOT_RANGE`].
fn slot_counts_of(rows: &[tokio_postgres::Row]) -> anyhow::Result<Vec<(Timestamp, u64)>> {
    rows.iter()
        .map(|row| {
            let slot: SystemTime = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            Ok((Timestamp::try_from(slot)?, u64::try_from(count)?))
        })
        .collect()
}

/// The advisory lock key of pickup slot `slot` of `tenant`: 64 bits of a SHA-256 of both, so
/// two tenants' slots (or two slots) share a key with odds of 2^-64, and then only wait for
/// each other.
fn slot_lock_key(tenant: &Tenant, slot: Timestamp) -> i64 {
    let digest = Sha256::digest(format!("{}:{}", tenant.schema, slot.as_second()));
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(key)
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
    /// Puts `new` into the first of `plan`'s candidate slots with room. Without a capacity, the
    /// first candidate, counting nothing. With one, the candidates' counts are read at once,
    /// then the first that had room is locked (an advisory lock per tenant and slot, held to
    /// the end of the transaction) and counted again under the lock: a placement into that slot
    /// that committed before is counted, one still running waits for this one. Under READ
    /// COMMITTED the count after the lock sees every order committed before it was granted.
    /// `Ok(Err(SlotFull))` when none has room.
    async fn take_slot(
        &self,
        tx: &mut TenantTx,
        tenant: &Tenant,
        plan: Option<&PickupPlan>,
        new: NewOrder,
    ) -> anyhow::Result<Result<NewOrder, OrderRejection>> {
        let plan = plan.ok_or_else(|| anyhow!("an order priced without a pickup plan"))?;
        let first = *plan
            .candidates
            .first()
            .ok_or_else(|| anyhow!("a pickup plan without a candidate"))?;
        if plan.capacity.is_none() {
            return Ok(Ok(new.with_pickup(plan.pickup_at, first)));
        }
        // The first few candidates first (nearly always one of them has room), then the rest.
        let split = plan.candidates.len().min(FIRST_CANDIDATES);
        let (near, far) = plan.candidates.split_at(split);
        for batch in [near, far] {
            let counts = self.count(tx, batch.iter().map(|c| c.slot)).await?;
            let taken = |slot: Timestamp| count_of(&counts, slot);
            for candidate in batch.iter().filter(|c| plan.has_room(taken(c.slot))) {
                let key = slot_lock_key(tenant, candidate.slot);
                let slot = [orders::stored(candidate.slot)];
                let slot: &[SystemTime] = &slot;
                let answers = tx
                    .query_all(&[
                        (orders::LOCK_SLOT, &[&key]),
                        (orders::COUNT_SLOTS, &[&slot]),
                    ])
                    .await
                    .context("locking a pickup slot")?;
                let now = slot_counts_of(answers.get(1).map_or(&[][..], Vec::as_slice))?;
                if plan.has_room(count_of(&now, candidate.slot)) {
                    self.slot_counts.forget(tenant.id);
                    return Ok(Ok(new.with_pickup(plan.pickup_at, *candidate)));
                }
            }
        }
        let later = self.count(tx, plan.later.iter().copied()).await?;
        Ok(Err(plan.full(|slot| count_of(&later, slot))))
    }

    /// The orders each of `slots` holds (those holding none left out).
    async fn count(
        &self,
        tx: &mut TenantTx,
        slots: impl Iterator<Item = Timestamp>,
    ) -> anyhow::Result<Vec<(Timestamp, u64)>> {
        let slots: Vec<SystemTime> = slots.map(orders::stored).collect();
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let rows = tx
            .query(orders::COUNT_SLOTS, &[&slots])
            .await
            .context("counting the orders of pickup slots")?;
        slot_counts_of(&rows)
    }

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
        let pickup = PickupColumns::of(&new)?;
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
                    &pickup.pickup_at,
                    &pickup.ready_at,
                    &pickup.slot,
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
        let pickup = PickupColumns::of(&new)?;
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
                    &pickup.pickup_at,
                    &pickup.ready_at,
                    &pickup.slot,
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

/// Candidate slots counted in the first read of a placement with a capacity.
const FIRST_CANDIDATES: usize = 4;

/// The orders `counts` says `slot` holds.
fn count_of(counts: &[(Timestamp, u64)], slot: Timestamp) -> u64 {
    counts
        .iter()
        .find(|(at, _)| *at == slot)
        .map_or(0, |(_, n)| *n)
}

/// The pickup columns of a new order.
struct PickupColumns {
    pickup_at: Option<SystemTime>,
    ready_at: SystemTime,
    slot: SystemTime,
}

impl PickupColumns {
    fn of(new: &NewOrder) -> anyhow::Result<Self> {
        let (pickup_at, choice) = new
            .pickup()
            .ok_or_else(|| anyhow!("an order to store without its pickup slot"))?;
        Ok(Self {
            pickup_at: pickup_at.map(orders::stored),
            ready_at: orders::stored(choice.ready_at),
            slot: orders::stored(choice.slot),
        })
    }
}
