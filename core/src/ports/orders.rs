//! A tenant's orders.

use std::future::Future;

use thiserror::Error;

use crate::menu::{MenuItem, MenuItemId};
use crate::order::{NewOrder, Order, OrderId, OrderRejection, OrderStatus, StatusChangeRefused};
use crate::tenant::Tenant;

/// A tenant's orders.
pub trait OrderRepository: Send + Sync + 'static {
    /// Places an order, in one transaction: reads the tenant's items named in `wanted` (those
    /// that exist; another tenant's never), hands them to `price`, and stores the [`NewOrder`]
    /// it returns under a freshly drawn id, PENDING.
    ///
    /// MUST return `Err(Rejected)` with `price`'s refusal and store nothing then.
    fn place<F>(
        &self,
        tenant: &Tenant,
        wanted: &[MenuItemId],
        price: F,
    ) -> impl Future<Output = Result<Order, PlaceOrderError>> + Send
    where
        F: FnOnce(&[MenuItem]) -> Result<NewOrder, OrderRejection> + Send;

    /// MUST return the tenant's orders, newest first.
    fn list(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Vec<Order>, ListOrdersError>> + Send;

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
}

/// Why an order was not placed. Nothing was stored.
#[derive(Debug, Error)]
pub enum PlaceOrderError {
    #[error(transparent)]
    Rejected(#[from] OrderRejection),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
#[error("the orders could not be read")]
pub struct ListOrdersError(#[from] pub anyhow::Error);

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
