//! Guest orders: what a customer asks for, how it is priced, and its status lifecycle.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use thiserror::Error;
use uuid::Uuid;

use crate::idempotency::{IdempotencyKey, RequestFingerprint};
use crate::menu::{MenuItem, MenuItemId, MenuItemName, PriceCents};
use crate::text::{TextError, listing, parse_line};
use chameleon_rules::codes::ORDER_STATUSES;
use chameleon_rules::formats::TRACKING_TOKEN_LEN;
use chameleon_rules::numbers::IntRange;
use chameleon_rules::text::TextRule;

/// An order's identifier, unique within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Uuid);

impl OrderId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How many of one item a line asks for: 1 to 99.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u8);

impl Quantity {
    pub const RANGE: IntRange = chameleon_rules::numbers::QUANTITY;

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = QuantityError;

    fn try_from(qty: i64) -> Result<Self, QuantityError> {
        if !Self::RANGE.contains(qty) {
            return Err(QuantityError(qty));
        }
        u8::try_from(qty).map(Self).map_err(|_| QuantityError(qty))
    }
}

/// The quantity is outside 1 to 99.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "qty must be a whole number from {min} to {max}, got {0}",
    min = Quantity::RANGE.min,
    max = Quantity::RANGE.max
)]
pub struct QuantityError(pub i64);

/// The name a guest gives for an order: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName(String);

impl CustomerName {
    pub const RULE: TextRule = chameleon_rules::text::CUSTOMER_NAME;

    pub fn parse(raw: &str) -> Result<Self, CustomerNameError> {
        parse_line(raw, &Self::RULE)
            .map(Self)
            .map_err(CustomerNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable customer name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("customer {0}")]
pub struct CustomerNameError(#[source] pub TextError);

/// Where an order is in its lifecycle. The only transition is PENDING to CONFIRMED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Ready,
    Completed,
    Cancelled,
}

impl OrderStatus {
    /// The status's name ([`chameleon_rules::codes::ORDER_STATUSES`], where [`OrderStatus::ALL`]
    /// stands in the same order: a test keeps them so).
    pub fn as_str(self) -> &'static str {
        ORDER_STATUSES[self as usize]
    }

    pub fn parse(raw: &str) -> Result<Self, OrderStatusError> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or(OrderStatusError)
    }

    /// Whether an order may go from this status to `next`. The allowed transitions are
    /// defined here and nowhere else: PENDING → CONFIRMED → READY → COMPLETED, and any order
    /// not yet COMPLETED may be CANCELLED. COMPLETED and CANCELLED are final.
    pub fn may_become(self, next: OrderStatus) -> bool {
        use OrderStatus::{Cancelled, Completed, Confirmed, Pending, Ready};
        matches!(
            (self, next),
            (Pending, Confirmed)
                | (Confirmed, Ready)
                | (Ready, Completed)
                | (Pending | Confirmed | Ready, Cancelled)
        )
    }

    /// Every status, in the order an order goes through them.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Ready,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    /// `next`, if an order may go there from this status.
    pub fn change_to(self, next: OrderStatus) -> Result<OrderStatus, StatusChangeRefused> {
        if self.may_become(next) {
            Ok(next)
        } else {
            Err(StatusChangeRefused {
                from: self,
                to: next,
            })
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order may not go from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("an order that is {from} cannot become {to}")]
pub struct StatusChangeRefused {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// The text is not an order status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("status must be {}", listing(ORDER_STATUSES.iter().copied(), "or"))]
pub struct OrderStatusError;

/// The secret that lets the customer who placed an order follow it: 32 random bytes in
/// base64url (43 characters). Drawn by a driver from a strong source; compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingToken(String);

impl TrackingToken {
    /// Accepts exactly 43 characters of the base64url alphabet.
    pub fn parse(raw: &str) -> Result<Self, TrackingTokenError> {
        let well_formed = raw.len() == TRACKING_TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(TrackingTokenError)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, in time independent of where a guess differs.
    pub fn verifies(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        self.0.len() == presented.len() && bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl fmt::Debug for TrackingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingToken(<redacted>)")
    }
}

/// The text is not a tracking token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a tracking token is {TRACKING_TOKEN_LEN} characters of base64url")]
pub struct TrackingTokenError;

/// The lines of an order as the customer asked: at least one, at most
/// [`OrderLines::MAX_LINES`] distinct items, each item once. Lines naming the same item are
/// merged, and the merged quantity must still be at most 99.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLines(Vec<(MenuItemId, Quantity)>);

impl OrderLines {
    pub const RANGE: IntRange = chameleon_rules::numbers::ORDER_LINES;
    pub const MAX_LINES: usize = Self::RANGE.max as usize;

    pub fn parse(
        lines: impl IntoIterator<Item = (MenuItemId, Quantity)>,
    ) -> Result<Self, OrderLinesError> {
        let mut merged: Vec<(MenuItemId, Quantity)> = Vec::new();
        let mut position: HashMap<MenuItemId, usize> = HashMap::new();
        for (sent, (id, qty)) in lines.into_iter().enumerate() {
            // Counted as sent, as the document's `maxItems` counts them, merged or not.
            if sent == Self::MAX_LINES {
                return Err(OrderLinesError::TooMany);
            }
            match position.get(&id) {
                Some(&at) => {
                    let total = i64::from(merged[at].1.get()) + i64::from(qty.get());
                    merged[at].1 = Quantity::try_from(total)
                        .map_err(|_| OrderLinesError::MergedQuantityTooLarge(id))?;
                }
                None => {
                    position.insert(id, merged.len());
                    merged.push((id, qty));
                }
            }
        }
        if merged.is_empty() {
            return Err(OrderLinesError::Empty);
        }
        Ok(Self(merged))
    }

    pub fn iter(&self) -> impl Iterator<Item = (MenuItemId, Quantity)> + '_ {
        self.0.iter().copied()
    }

    pub fn item_ids(&self) -> impl Iterator<Item = MenuItemId> + '_ {
        self.0.iter().map(|(id, _)| *id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why the lines of an order were rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderLinesError {
    #[error("an order needs at least one item")]
    Empty,
    #[error("an order has at most {} lines", OrderLines::MAX_LINES)]
    TooMany,
    #[error(
        "item {0} is listed more than once and its quantities add up to more than {max}",
        max = Quantity::RANGE.max
    )]
    MergedQuantityTooLarge(MenuItemId),
}

/// A guest's order as received: who, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer: CustomerName,
    pub lines: OrderLines,
}

/// An order request with the client's `Idempotency-Key`, if it sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrderRequest {
    pub order: OrderRequest,
    pub idempotency_key: Option<IdempotencyKey>,
    /// The new order's tracking token (a retry replayed under its key answers with the first
    /// order's token instead).
    pub tracking_token: TrackingToken,
    /// When the customer places it, by the caller's clock: the restaurant's opening hours are
    /// judged at this instant.
    pub placed_at: jiff::Timestamp,
}

/// One line of a placed order: a snapshot of the item's name and price at order time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub id: MenuItemId,
    pub name: MenuItemName,
    pub price: PriceCents,
    pub qty: Quantity,
}

/// Why the restaurant refuses an order. Nothing is stored then.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderRejection {
    /// Outside its opening hours; `opens` is when it opens next, if ever, and `opens_local` the
    /// same in its time zone (`Mon 11:00 (Europe/Paris)`).
    #[error("the restaurant is closed")]
    Closed {
        opens: Option<jiff::Timestamp>,
        opens_local: Option<String>,
    },
    #[error("there is no menu item {0}")]
    UnknownItem(MenuItemId),
    #[error("menu item {0} is not available")]
    UnavailableItem(MenuItemId),
    #[error("the order's total is too large")]
    TotalOverflow,
}

/// An order priced from stored menu items, ready to be stored. Built only by
/// [`NewOrder::price`], so its total always matches its items and every item was available at
/// the stored price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    customer: CustomerName,
    items: Vec<OrderItem>,
    total_cents: i64,
    idempotency: Option<(IdempotencyKey, RequestFingerprint)>,
    tracking: Option<TrackingToken>,
}

impl NewOrder {
    /// Prices `request` against `stored`, the tenant's items it names as read in the
    /// transaction that will store the order.
    ///
    /// Every line must name an existing, available item; the total is the sum of stored price
    /// times quantity, computed with checked arithmetic. Prices sent by a client play no part.
    pub fn price(request: &OrderRequest, stored: &[MenuItem]) -> Result<Self, OrderRejection> {
        let mut items = Vec::with_capacity(request.lines.len());
        let mut total: i64 = 0;
        for (id, qty) in request.lines.iter() {
            let item = stored
                .iter()
                .find(|item| item.id == id)
                .ok_or(OrderRejection::UnknownItem(id))?;
            if !item.is_available {
                return Err(OrderRejection::UnavailableItem(id));
            }
            total = i64::from(item.price.cents())
                .checked_mul(i64::from(qty.get()))
                .and_then(|line| total.checked_add(line))
                .ok_or(OrderRejection::TotalOverflow)?;
            items.push(OrderItem {
                id,
                name: item.name.clone(),
                price: item.price,
                qty,
            });
        }
        Ok(Self {
            customer: request.customer.clone(),
            items,
            total_cents: total,
            idempotency: None,
            tracking: None,
        })
    }

    /// The same order, followed with `token`.
    pub fn with_tracking(mut self, token: TrackingToken) -> Self {
        self.tracking = Some(token);
        self
    }

    pub fn tracking(&self) -> Option<&TrackingToken> {
        self.tracking.as_ref()
    }

    /// The same order, stored under `key` with `fingerprint` of the request that asked for it.
    pub fn with_idempotency(
        mut self,
        key: IdempotencyKey,
        fingerprint: RequestFingerprint,
    ) -> Self {
        self.idempotency = Some((key, fingerprint));
        self
    }

    /// The key (and the request's fingerprint) to store the order under, if any.
    pub fn idempotency(&self) -> Option<&(IdempotencyKey, RequestFingerprint)> {
        self.idempotency.as_ref()
    }

    pub fn customer(&self) -> &CustomerName {
        &self.customer
    }

    pub fn items(&self) -> &[OrderItem] {
        &self.items
    }

    pub fn total_cents(&self) -> i64 {
        self.total_cents
    }

    /// The order as stored under `id` at `created_at`, PENDING.
    pub fn placed(self, id: OrderId, created_at: SystemTime) -> Order {
        Order {
            id,
            customer: self.customer,
            status: OrderStatus::Pending,
            total_cents: self.total_cents,
            items: self.items,
            tracking_token: self.tracking,
            created_at,
        }
    }
}

/// Where a page of orders starts: just after the order with this creation time and id (orders
/// are listed newest first, ties broken by id, descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at: SystemTime,
    pub id: OrderId,
}

impl OrderCursor {
    /// The cursor that continues after `order`.
    pub fn after(order: &Order) -> Self {
        Self {
            created_at: order.created_at,
            id: order.id,
        }
    }
}

/// How many orders a page holds: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u8);

impl PageLimit {
    pub const RANGE: IntRange = chameleon_rules::numbers::PAGE_LIMIT;
    pub const DEFAULT: PageLimit = PageLimit(chameleon_rules::numbers::DEFAULT_PAGE_LIMIT as u8);

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl TryFrom<i64> for PageLimit {
    type Error = PageLimitError;

    fn try_from(limit: i64) -> Result<Self, PageLimitError> {
        if !Self::RANGE.contains(limit) {
            return Err(PageLimitError(limit));
        }
        u8::try_from(limit)
            .map(Self)
            .map_err(|_| PageLimitError(limit))
    }
}

/// The limit is outside 1 to 100.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "limit must be a whole number from {min} to {max}, got {0}",
    min = PageLimit::RANGE.min,
    max = PageLimit::RANGE.max
)]
pub struct PageLimitError(pub i64);

/// Which orders a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPage {
    pub limit: PageLimit,
    /// Start after this order; `None`: from the newest.
    pub after: Option<OrderCursor>,
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
}

impl Default for OrderPage {
    fn default() -> Self {
        Self {
            limit: PageLimit::DEFAULT,
            after: None,
            status: None,
        }
    }
}

impl OrderPage {
    /// Whether `order` belongs to this page's listing (status, and after the cursor).
    pub fn admits(&self, order: &Order) -> bool {
        self.status.is_none_or(|status| order.status == status)
            && self
                .after
                .is_none_or(|after| (order.created_at, order.id) < (after.created_at, after.id))
    }
}

/// One page of orders, newest first, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderList {
    pub items: Vec<Order>,
    pub next: Option<OrderCursor>,
}

impl OrderList {
    /// A page from the `limit + 1` newest admitted orders an adapter read: the extra one, if
    /// there, only tells that another page follows.
    pub fn from_lookahead(mut orders: Vec<Order>, limit: PageLimit) -> Self {
        let more = orders.len() > limit.get();
        orders.truncate(limit.get());
        let next = if more {
            orders.last().map(OrderCursor::after)
        } else {
            None
        };
        Self {
            items: orders,
            next,
        }
    }
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub customer: CustomerName,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub items: Vec<OrderItem>,
    /// `None` for an order placed before orders could be followed.
    pub tracking_token: Option<TrackingToken>,
    pub created_at: SystemTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::NewMenuItem;

    #[test]
    fn statuses_are_named_as_the_rules_name_them() {
        assert_eq!(
            OrderStatus::ALL.map(OrderStatus::as_str).to_vec(),
            ORDER_STATUSES.to_vec()
        );
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Ok(status));
        }
        assert!(OrderStatus::parse("pending").is_err());
    }

    #[test]
    fn an_order_has_at_most_a_hundred_lines_as_sent_even_when_they_merge() {
        let one = MenuItemId::from_uuid(Uuid::from_u128(1));
        let qty = Quantity::try_from(1).unwrap();
        assert!(OrderLines::parse((0..99).map(|_| (one, qty))).is_ok());
        assert_eq!(
            OrderLines::parse((0..101).map(|n| (MenuItemId::from_uuid(Uuid::from_u128(n)), qty))),
            Err(OrderLinesError::TooMany)
        );
    }

    fn id(n: u128) -> MenuItemId {
        MenuItemId::from_uuid(Uuid::from_u128(n))
    }

    fn qty(n: i64) -> Quantity {
        Quantity::try_from(n).unwrap()
    }

    fn item(n: u128, price: i64, available: bool) -> MenuItem {
        MenuItem {
            is_available: available,
            ..NewMenuItem::plain(
                MenuItemName::parse(&format!("item {n}")).unwrap(),
                PriceCents::try_from(price).unwrap(),
            )
            .with_id(id(n))
        }
    }

    fn request(lines: OrderLines) -> OrderRequest {
        OrderRequest {
            customer: CustomerName::parse("Ann").unwrap(),
            lines,
        }
    }

    #[test]
    fn quantities_span_one_to_ninety_nine() {
        assert!(Quantity::try_from(0).is_err());
        assert!(Quantity::try_from(-1).is_err());
        assert!(Quantity::try_from(100).is_err());
        assert!(Quantity::try_from(256).is_err());
        assert_eq!(Quantity::try_from(1).unwrap().get(), 1);
        assert_eq!(Quantity::try_from(99).unwrap().get(), 99);
    }

    #[test]
    fn an_order_needs_at_least_one_line() {
        assert_eq!(OrderLines::parse([]), Err(OrderLinesError::Empty));
    }

    #[test]
    fn lines_for_the_same_item_are_merged_in_first_seen_order() {
        let lines = OrderLines::parse([(id(2), qty(1)), (id(1), qty(2)), (id(2), qty(3))]).unwrap();
        assert_eq!(
            lines.iter().collect::<Vec<_>>(),
            vec![(id(2), qty(4)), (id(1), qty(2))]
        );
    }

    #[test]
    fn merged_quantities_are_still_capped_at_ninety_nine() {
        assert_eq!(
            OrderLines::parse([(id(1), qty(50)), (id(1), qty(50))]),
            Err(OrderLinesError::MergedQuantityTooLarge(id(1)))
        );
    }

    #[test]
    fn at_most_a_hundred_distinct_items() {
        assert!(OrderLines::parse((0..100).map(|n| (id(n), qty(1)))).is_ok());
        assert_eq!(
            OrderLines::parse((0..101).map(|n| (id(n), qty(1)))),
            Err(OrderLinesError::TooMany)
        );
    }

    #[test]
    fn the_total_comes_from_stored_prices() {
        let menu = [item(1, 1200, true), item(2, 350, true)];
        let lines = OrderLines::parse([(id(1), qty(2)), (id(2), qty(3))]).unwrap();
        let priced = NewOrder::price(&request(lines), &menu).unwrap();
        assert_eq!(priced.total_cents(), 2 * 1200 + 3 * 350);
        assert_eq!(priced.items()[0].name.as_str(), "item 1");
        assert_eq!(priced.items()[1].price.cents(), 350);
    }

    #[test]
    fn unknown_and_unavailable_items_are_refused() {
        let menu = [item(1, 100, true), item(2, 100, false)];
        let unknown = OrderLines::parse([(id(1), qty(1)), (id(3), qty(1))]).unwrap();
        assert_eq!(
            NewOrder::price(&request(unknown), &menu),
            Err(OrderRejection::UnknownItem(id(3)))
        );
        let unavailable = OrderLines::parse([(id(2), qty(1))]).unwrap();
        assert_eq!(
            NewOrder::price(&request(unavailable), &menu),
            Err(OrderRejection::UnavailableItem(id(2)))
        );
    }

    #[test]
    fn the_largest_possible_order_still_fits() {
        let menu: Vec<_> = (0..100)
            .map(|n| item(n, PriceCents::MAX.into(), true))
            .collect();
        let lines = OrderLines::parse((0..100).map(|n| (id(n), qty(99)))).unwrap();
        let priced = NewOrder::price(&request(lines), &menu).unwrap();
        assert_eq!(priced.total_cents(), 100 * 99 * i64::from(PriceCents::MAX));
    }

    #[test]
    fn only_pending_orders_can_be_confirmed() {
        use OrderStatus::{Confirmed, Pending};
        assert_eq!(Pending.change_to(Confirmed), Ok(Confirmed));
        assert_eq!(
            Confirmed.change_to(Confirmed),
            Err(StatusChangeRefused {
                from: Confirmed,
                to: Confirmed
            })
        );
        assert!(Confirmed.change_to(Pending).is_err());
        use OrderStatus::{Cancelled, Completed, Ready};
        for (from, to) in [
            (Confirmed, Ready),
            (Ready, Completed),
            (Pending, Cancelled),
            (Confirmed, Cancelled),
            (Ready, Cancelled),
        ] {
            assert_eq!(from.change_to(to), Ok(to), "{from} -> {to}");
        }
        for (from, to) in [
            (Pending, Ready),
            (Pending, Completed),
            (Completed, Cancelled),
            (Cancelled, Pending),
            (Cancelled, Confirmed),
            (Ready, Confirmed),
        ] {
            assert!(from.change_to(to).is_err(), "{from} -> {to}");
        }
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Ok(status));
        }
        assert!(Pending.change_to(Pending).is_err());
        assert_eq!(OrderStatus::parse("PENDING"), Ok(OrderStatus::Pending));
        assert!(OrderStatus::parse("pending").is_err());
    }
}
