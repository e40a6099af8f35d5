//! Orders: placing them (priced from the stored menu, idempotent under a key), following them,
//! and moving them through their statuses.

use std::fmt;

use crate::idempotency::{self, RequestFingerprint};
use crate::menu::MenuItemId;
use crate::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderStatus, PlaceOrderRequest, PricingClock,
    Stock,
};
use crate::pickup::{DateOutOfRange, DayBoard, whole_minute_after};
use crate::ports::{
    ChangeOrderStatusError, GetOrderError, ListOrdersError, OrderRepository, PlaceOrderError,
    Placement, Placing,
};
use crate::tenant::{ActiveTenant, Tenant};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use thiserror::Error;

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
        // (or before a pause, or for a slot since passed) still replays, like one whose items
        // have since run out.
        let pickup = tenant.settings.plan_pickup(placed_at, order.pickup_at);
        let wanted: Vec<MenuItemId> = order.lines.item_ids().collect();
        let fingerprint = RequestFingerprint::of(&order);
        // Items and categories are judged at the pickup time asked for (now for as soon as
        // possible): tomorrow's lunch may be ordered tonight.
        let clock = PricingClock {
            at: order.pickup_at.unwrap_or(placed_at),
            zone: tenant.settings.timezone.zone(),
        };
        let placing = Placing {
            wanted: &wanted,
            key: idempotency_key.as_ref(),
            judge_prior: |prior: &_| Ok(idempotency::judge(prior, &fingerprint)?),
            pickup: pickup.as_ref().ok(),
            price: |stock: &Stock| {
                if let Err(refused) = &pickup {
                    return Err(refused.clone());
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

    /// Business day `date`'s pickup board at `now` (`None`: today, in the restaurant's time
    /// zone): the quote for as soon as possible and the day's slots, with what each still takes
    /// (counted only when slots have a capacity).
    pub async fn slots(
        &self,
        tenant: &ActiveTenant,
        date: Option<Date>,
        now: Timestamp,
    ) -> Result<DayBoard, SlotsError> {
        let settings = &tenant.settings;
        let date = date.unwrap_or_else(|| settings.today(now));
        let counts = match settings.board_counts_span(date, now) {
            Some((from, to)) => self.orders.slot_counts(tenant, from, to).await?,
            None => Vec::new(),
        };
        let taken = |slot: Timestamp| {
            counts
                .iter()
                .find(|(at, _)| *at == slot)
                .map_or(0, |(_, n)| *n)
        };
        Ok(settings.day_board(date, now, taken)?)
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

    /// Moves an order to `next`, as [`OrderStatus::may_become`] allows, at `now`; anything else
    /// is refused and nothing changes. Accepting it (CONFIRMED) sets when it is to be ready:
    /// the later of its pickup time and `now` plus the prep time.
    pub async fn change_order_status(
        &self,
        tenant: &Tenant,
        id: OrderId,
        next: OrderStatus,
        now: Timestamp,
    ) -> Result<Order, ChangeOrderStatusError> {
        let prep = SignedDuration::from_mins(i64::from(tenant.settings.pickup.prep_minutes.get()));
        self.orders
            .change_status(tenant, id, |order| {
                let status = order.status.change_to(next)?;
                let mut changed = order.clone();
                changed.status = status;
                if status == OrderStatus::Confirmed {
                    let cooked = whole_minute_after(now.saturating_add(prep).unwrap_or(now));
                    changed.ready_at = Some(order.pickup_at.map_or(cooked, |at| at.max(cooked)));
                }
                Ok(changed)
            })
            .await
    }

    /// Confirms a PENDING order at `now`; any other status is refused and nothing changes.
    pub async fn confirm_order(
        &self,
        tenant: &Tenant,
        id: OrderId,
        now: Timestamp,
    ) -> Result<Order, ChangeOrderStatusError> {
        self.change_order_status(tenant, id, OrderStatus::Confirmed, now)
            .await
    }
}

/// Why a pickup board was not answered.
#[derive(Debug, Error)]
pub enum SlotsError {
    #[error(transparent)]
    OutOfRange(#[from] DateOutOfRange),
    #[error(transparent)]
    Unknown(#[from] ListOrdersError),
}
