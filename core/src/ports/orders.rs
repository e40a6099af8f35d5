//! A tenant's orders.

use std::future::Future;

use thiserror::Error;

use crate::idempotency::{IdempotencyKey, KeyReused, PriorAttempt, PriorOutcome};
use crate::menu::MenuItemId;
use crate::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, StatusChangeRefused, Stock,
};
use crate::pickup::PickupPlan;
use crate::tenant::Tenant;
use jiff::Timestamp;

/// One order placement, as core hands it to the repository: what to read, and the rules to
/// apply to what was read, all inside the repository's one transaction.
#[derive(Debug)]
pub struct Placing<'a, Judge, Price> {
    /// The items the order names.
    pub wanted: &'a [MenuItemId],
    /// The client's key, if it sent one.
    pub key: Option<&'a IdempotencyKey>,
    /// Where the order may go: the repository takes the first candidate with room, counting
    /// in its transaction (see [`OrderRepository::place`]). `None` only when `price` refuses
    /// every order.
    pub pickup: Option<&'a PickupPlan>,
    /// Called with the order already stored under `key`, if there is one.
    pub judge_prior: Judge,
    /// Called with the stored items of `wanted` (those that exist), the option groups they offer
    /// and their categories: the order to store. Pure, so an adapter may call it again in a
    /// second transaction (see [`OrderRepository::place`]).
    pub price: Price,
}

/// What came of a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A new order was stored.
    Placed(Order),
    /// The request had been placed before under the same key: the first answer again.
    Replayed(Order),
}

impl Placement {
    pub fn order(&self) -> &Order {
        match self {
            Placement::Placed(order) | Placement::Replayed(order) => order,
        }
    }

    pub fn into_order(self) -> Order {
        match self {
            Placement::Placed(order) | Placement::Replayed(order) => order,
        }
    }
}

/// A tenant's orders.
pub trait OrderRepository: Send + Sync + 'static {
    /// Places an order, in one transaction:
    /// 1. with a key, reads the order stored under it (and keeps others from storing one under
    ///    it until this transaction ends); if there is one, calls `judge_prior`, and on
    ///    `Replay` MUST return `Replayed` with that order, storing nothing; on `Forget` takes the
    ///    key off that order and goes on; on `Err` MUST return the error, storing nothing;
    /// 2. reads the tenant's items named in `wanted` (those that exist; another tenant's never),
    ///    every option group they offer and their categories, hands them to `price` as a
    ///    [`Stock`], and stores the [`NewOrder`] it returns (with its key) under a
    ///    freshly drawn id, PENDING; `Err(Rejected)` with `price`'s refusal stores nothing;
    /// 3. before storing it, picks its slot from `pickup`: without a capacity, the first
    ///    candidate; with one, the first candidate holding fewer than `capacity` orders that
    ///    are not CANCELLED, counted so that concurrent placements can never overfill a slot;
    ///    none: `Err(Rejected)` with [`PickupPlan::full`] (a keyed request first looks for the
    ///    order under its key, as for any refusal). The order is stored with
    ///    [`NewOrder::with_pickup`].
    ///
    /// When another transaction stores an order under the same key first, MUST wait for it and
    /// then answer as step 1 would (`Err(KeyInFlight)` when it is still not done after the
    /// adapter's lock timeout). An adapter may go about it optimistically (price and try to
    /// store first, and on a conflict read the order under the key and price again in a second
    /// transaction), as long as what is stored and answered is the same as above: in
    /// particular, a request `price` refuses still replays the order stored under its key.
    fn place<J, P>(
        &self,
        tenant: &Tenant,
        placing: Placing<'_, J, P>,
    ) -> impl Future<Output = Result<Placement, PlaceOrderError>> + Send
    where
        J: FnOnce(&PriorAttempt) -> Result<PriorOutcome, PlaceOrderError> + Send,
        P: Fn(&Stock) -> Result<NewOrder, OrderRejection> + Send + Sync;

    /// MUST return the tenant's orders `page` admits, newest first (ties by id, descending),
    /// at most `page.limit` of them, and the cursor of the next page when there are more.
    fn list(
        &self,
        tenant: &Tenant,
        page: OrderPage,
    ) -> impl Future<Output = Result<OrderList, ListOrdersError>> + Send;

    /// Reads order `id` and keeps it from changing, asks `decide` for the order changed (its
    /// status and `ready_at`; nothing else of it changes), stores that, all in one transaction.
    /// MUST return the order as changed; `Err(NotFound)` when the tenant has no order `id`;
    /// `Err(Refused)` with `decide`'s refusal, changing nothing. A CANCELLED order frees its
    /// place in its slot.
    fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> impl Future<Output = Result<Order, ChangeOrderStatusError>> + Send
    where
        F: FnOnce(&Order) -> Result<Order, StatusChangeRefused> + Send;

    /// How many orders that are not CANCELLED each slot starting from `from` to `to`
    /// (inclusive) holds (slots holding none may be left out). May be answered from a cache a
    /// few seconds old (what the storefront shows; placing counts afresh), but MUST reflect the
    /// placements and cancellations made through this repository at once.
    fn slot_counts(
        &self,
        tenant: &Tenant,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<(Timestamp, u64)>, ListOrdersError>> + Send;

    /// MUST return the tenant's order `id`, `Ok(None)` when it has none (another tenant's
    /// order included).
    fn get(
        &self,
        tenant: &Tenant,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<Order>, GetOrderError>> + Send;
}

/// Why an order was not placed. Nothing was stored.
#[derive(Debug, Error)]
pub enum PlaceOrderError {
    #[error(transparent)]
    Rejected(#[from] OrderRejection),
    /// The `Idempotency-Key` was used for a different order.
    #[error(transparent)]
    KeyReused(#[from] KeyReused),
    /// An order under the same key is still being placed by another request.
    #[error("an order under this Idempotency-Key is still being placed")]
    KeyInFlight,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
#[error("the orders could not be read")]
pub struct ListOrdersError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
#[error("the order could not be read")]
pub struct GetOrderError(#[from] pub anyhow::Error);

/// Why an order's status did not change.
#[derive(Debug, Error)]
pub enum ChangeOrderStatusError {
    #[error("there is no order {0}")]
    NotFound(OrderId),
    #[error(transparent)]
    Refused(#[from] StatusChangeRefused),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
