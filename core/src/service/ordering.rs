//! Orders: placing them (priced from the stored menu, idempotent under a key), following them,
//! and moving them through their statuses.

use std::fmt;

use crate::idempotency::{self, RequestFingerprint};
use crate::menu::MenuItemId;
use crate::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderStatus, PlaceOrderRequest,
    PricingClock, Stock,
};
use crate::ports::{
    ChangeOrderStatusError, GetOrderError, ListOrdersError, OrderRepository, PlaceOrderError,
    Placement, Placing,
};
use crate::tenant::{ActiveTenant, Tenant};

/// The ordering use cases: over the order repository only.
pub struct Ordering<O> {
    orders: O,
}

impl<O> fmt::Debug for Ordering<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ordering").finish_non_exhaustive()
    }
}

impl<O: OrderRepository> Ordering<O> {
    pub fn new(orders: O) -> Self {
        Self { orders }
    }

    /// Places a guest order, priced from the prices stored when it is placed: the repository
    /// reads the items in the transaction that stores the order, and core prices them there.
    /// With an `Idempotency-Key`, a retry of the same request answers as the first did and
    /// places nothing (see [`idempotency`]). Only an open restaurant takes orders.
    pub async fn place_order(
        &self,
        tenant: &ActiveTenant,
        request: PlaceOrderRequest,
    ) -> Result<Placement, PlaceOrderError> {
        let PlaceOrderRequest {
            order,
            idempotency_key,
            tracking_token,
            placed_at,
        } = request;
        // Judged with the items, inside the placement: a retry of an order placed while open
        // still replays after closing time, like one whose items have since run out.
        let hours = tenant.settings.status(placed_at);
        let closed = (!hours.open_now).then(|| {
            let zone = &tenant.settings.timezone;
            OrderRejection::Closed {
                opens: hours.next_change,
                opens_local: hours.next_change.map(|at| {
                    let local = at.to_zoned_datetime(zone.zone().clone());
                    format!("{} ({})", local.strftime("%a %H:%M"), zone.as_str())
                }),
            }
        });
        let wanted: Vec<MenuItemId> = order.lines.item_ids().collect();
        let fingerprint = RequestFingerprint::of(&order);
        let clock = PricingClock {
            at: placed_at,
            zone: tenant.settings.timezone.zone(),
        };
        let placing = Placing {
            wanted: &wanted,
            key: idempotency_key.as_ref(),
            judge_prior: |prior: &_| Ok(idempotency::judge(prior, &fingerprint)?),
            price: |stock: &Stock| {
                if let Some(closed) = &closed {
                    return Err(closed.clone());
                }
                let new =
                    NewOrder::price(&order, stock, &clock)?.with_tracking(tracking_token.clone());
                Ok(match &idempotency_key {
                    Some(key) => new.with_idempotency(key.clone(), fingerprint),
                    None => new,
                })
            },
        };
        Ok(match self.orders.place(tenant, placing).await? {
            Placement::Replayed(order) => Placement::Replayed(idempotency::first_answer(order)),
            placed => placed,
        })
    }

    /// Order `id` for the customer holding `token`: `None` when there is no such order on this
    /// tenant, when it cannot be followed, or when the token is not its own (one answer for all,
    /// so a guess learns nothing).
    pub async fn track_order(
        &self,
        tenant: &ActiveTenant,
        id: OrderId,
        token: &str,
    ) -> Result<Option<Order>, GetOrderError> {
        let order = self.orders.get(tenant, id).await?;
        Ok(order.filter(|order| {
            order
                .tracking_token
                .as_ref()
                .is_some_and(|own| own.verifies(token))
        }))
    }

    /// One page of the tenant's orders, newest first.
    pub async fn list_orders(
        &self,
        tenant: &Tenant,
        page: OrderPage,
    ) -> Result<OrderList, ListOrdersError> {
        self.orders.list(tenant, page).await
    }

    /// Moves an order to `next`, as [`OrderStatus::may_become`] allows; anything else is refused
    /// and nothing changes.
    pub async fn change_order_status(
        &self,
        tenant: &Tenant,
        id: OrderId,
        next: OrderStatus,
    ) -> Result<Order, ChangeOrderStatusError> {
        self.orders
            .change_status(tenant, id, |order| order.status.change_to(next))
            .await
    }

    /// Confirms a PENDING order; any other status is refused and nothing changes.
    pub async fn confirm_order(
        &self,
        tenant: &Tenant,
        id: OrderId,
    ) -> Result<Order, ChangeOrderStatusError> {
        self.change_order_status(tenant, id, OrderStatus::Confirmed)
            .await
    }
}
