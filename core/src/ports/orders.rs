//! A tenant's orders.

use std::future::Future;

use thiserror::Error;

use crate::idempotency::{IdempotencyKey, KeyReused, PriorAttempt, PriorOutcome};
use crate::menu::MenuItemId;
use crate::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderStatus,
    StatusChangeRefused, Stock,
};
use crate::tenant::Tenant;

/// One order placement, as core hands it to the repository: what to read, and the rules to
/// apply to what was read, all inside the repository's one transaction.
#[derive(Debug)]
pub struct Placing<'a, Judge, Price> {
    /// The items the order names.
    pub wanted: &'a [MenuItemId],
    /// The client's key, if it sent one.
    pub key: Option<&'a IdempotencyKey>,
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
    ///    freshly drawn id, PENDING; `Err(Rejected)` with `price`'s refusal stores nothing.
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

    /// Reads order `id` and keeps it from changing, asks `decide` for its next status, stores
    /// it, all in one transaction. MUST return the order with its new status; `Err(NotFound)`
    /// when the tenant has no order `id`; `Err(Refused)` with `decide`'s refusal, changing
    /// nothing.
    fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> impl Future<Output = Result<Order, ChangeOrderStatusError>> + Send
    where
        F: FnOnce(&Order) -> Result<OrderStatus, StatusChangeRefused> + Send;

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
