//! Guest orders: what a customer asks for, how it is priced, and its status lifecycle.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use thiserror::Error;
use uuid::Uuid;

use crate::idempotency::{IdempotencyKey, RequestFingerprint};
use crate::menu::{Category, MenuItem, MenuItemId, MenuItemName};
use crate::options::{
    OptionChoice, OptionGroup, OptionGroupId, OptionGroupName, OptionId, OptionName, PriceDelta,
};
use crate::pickup::SlotChoice;
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

/// One line of an order as the customer asked: an item, how many, and the options chosen (a
/// set, sorted), with the index in the request of the first line sent for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub item: MenuItemId,
    pub qty: Quantity,
    /// Sorted, each once.
    pub options: Vec<OptionId>,
    /// Where it was sent (from 0); lines merged into it came later.
    pub line: usize,
}

/// The lines of an order as the customer asked: at least one, at most
/// [`OrderLines::MAX_LINES`] as sent. Lines naming the same item with the same options are
/// merged (in first-sent order), and the merged quantity must still be at most 99; the same
/// item with other options is a line of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLines(Vec<OrderLine>);

impl OrderLines {
    pub const RANGE: IntRange = chameleon_rules::numbers::ORDER_LINES;
    pub const MAX_LINES: usize = Self::RANGE.max as usize;

    /// Lines without options.
    pub fn parse(
        lines: impl IntoIterator<Item = (MenuItemId, Quantity)>,
    ) -> Result<Self, OrderLinesError> {
        Self::parse_with_options(lines.into_iter().map(|(id, qty)| (id, qty, Vec::new())))
    }

    /// Lines with the options chosen on each (an option named twice on one line is refused).
    pub fn parse_with_options(
        lines: impl IntoIterator<Item = (MenuItemId, Quantity, Vec<OptionId>)>,
    ) -> Result<Self, OrderLinesError> {
        let mut merged: Vec<OrderLine> = Vec::new();
        let mut position: HashMap<(MenuItemId, Vec<OptionId>), usize> = HashMap::new();
        for (sent, (id, qty, mut options)) in lines.into_iter().enumerate() {
            // Counted as sent, as the document's `maxItems` counts them, merged or not.
            if sent == Self::MAX_LINES {
                return Err(OrderLinesError::TooMany);
            }
            options.sort_unstable();
            if let Some(twice) = options.windows(2).find(|w| w[0] == w[1]) {
                return Err(OrderLinesError::DuplicateOption {
                    line: sent,
                    option: twice[0],
                });
            }
            match position.get(&(id, options.clone())) {
                Some(&at) => {
                    let total = i64::from(merged[at].qty.get()) + i64::from(qty.get());
                    merged[at].qty = Quantity::try_from(total)
                        .map_err(|_| OrderLinesError::MergedQuantityTooLarge(id))?;
                }
                None => {
                    position.insert((id, options.clone()), merged.len());
                    merged.push(OrderLine {
                        item: id,
                        qty,
                        options,
                        line: sent,
                    });
                }
            }
        }
        if merged.is_empty() {
            return Err(OrderLinesError::Empty);
        }
        Ok(Self(merged))
    }

    /// Each line's item and quantity.
    pub fn iter(&self) -> impl Iterator<Item = (MenuItemId, Quantity)> + '_ {
        self.0.iter().map(|line| (line.item, line.qty))
    }

    pub fn lines(&self) -> &[OrderLine] {
        &self.0
    }

    /// The items named, each once.
    pub fn item_ids(&self) -> impl Iterator<Item = MenuItemId> + '_ {
        let mut seen = std::collections::HashSet::new();
        self.0
            .iter()
            .map(|line| line.item)
            .filter(move |id| seen.insert(*id))
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
        "item {0} is listed more than once with the same options and its quantities add up to \
         more than {max}",
        max = Quantity::RANGE.max
    )]
    MergedQuantityTooLarge(MenuItemId),
    #[error("line {line} names option {option} more than once")]
    DuplicateOption { line: usize, option: OptionId },
}

/// A guest's order as received: who, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer: CustomerName,
    pub lines: OrderLines,
    /// The pickup slot asked for (its start); `None`: as soon as possible.
    pub pickup_at: Option<jiff::Timestamp>,
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

/// One line of a placed order: a snapshot of the item's name, the options chosen and the unit
/// price (item and options) at order time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub id: MenuItemId,
    pub name: MenuItemName,
    /// The item's price plus its options' deltas, in minor units (never below 0).
    pub unit_price: i64,
    pub qty: Quantity,
    /// In the order of the item's groups, then of each group's options.
    pub options: Vec<ChosenOption>,
}

/// An option chosen on a line, as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenOption {
    pub id: OptionId,
    pub group_id: OptionGroupId,
    /// The group's name.
    pub group: OptionGroupName,
    pub name: OptionName,
    pub price_delta: PriceDelta,
}

/// What a placement read in its transaction: the ordered items that exist, the option groups
/// they offer, and their categories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stock {
    pub items: Vec<MenuItem>,
    pub groups: Vec<OptionGroup>,
    pub categories: Vec<Category>,
}

/// When, and where, an order is priced: availability is judged at `at` (sold out until, serving
/// hours in `zone`).
#[derive(Debug, Clone)]
pub struct PricingClock<'a> {
    pub at: jiff::Timestamp,
    pub zone: &'a jiff::tz::TimeZone,
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
    #[error("line {line}: there is no menu item {item}")]
    UnknownItem { line: usize, item: MenuItemId },
    /// Sold out, or its category is not serving; `from` is when it can be ordered again, if
    /// known.
    #[error("line {line}: menu item {item} is not available now")]
    UnavailableItem {
        line: usize,
        item: MenuItemId,
        from: Option<jiff::Timestamp>,
    },
    #[error("line {line}: option {option} is not one of the item's")]
    UnknownOption { line: usize, option: OptionId },
    #[error("line {line}: option {option} is sold out")]
    UnavailableOption {
        line: usize,
        option: OptionId,
        group: OptionGroupId,
    },
    #[error("line {line}: choose at least {min} of {name}")]
    OptionsBelowMin {
        line: usize,
        group: OptionGroupId,
        name: String,
        min: u8,
    },
    #[error("line {line}: choose at most {max} of {name}")]
    OptionsAboveMax {
        line: usize,
        group: OptionGroupId,
        name: String,
        max: u8,
    },
    #[error("the order's total is too large")]
    TotalOverflow,
    /// Paused by the kitchen: no new order is taken.
    #[error("the restaurant is not taking orders right now")]
    NotAccepting,
    /// Open, but closing (at `closes`) before an order placed now could be ready.
    #[error("the kitchen closes before an order placed now could be ready")]
    ClosingSoon {
        closes: Option<jiff::Timestamp>,
        opens: Option<jiff::Timestamp>,
        opens_local: Option<String>,
    },
    /// The slot (or, for as soon as possible, every slot it could go into) is full.
    #[error("that pickup time is full")]
    SlotFull {
        next_available: Option<jiff::Timestamp>,
    },
    #[error(transparent)]
    SlotInvalid(#[from] crate::pickup::SlotInvalid),
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
    /// The slot asked for (`None`: as soon as possible) and the one it counts against.
    pickup: Option<(Option<jiff::Timestamp>, SlotChoice)>,
}

impl NewOrder {
    /// Prices `request` against `stock`, what the transaction that will store the order read
    /// of the tenant's menu, at `clock`.
    ///
    /// Each line must name an existing item that can be ordered now (not sold out, its
    /// category serving); each option chosen must be one of the options of the item's groups,
    /// available now; each group must get from `min` to `max` of its options. A line's unit
    /// price is the item's stored price plus its options' stored deltas; the total is the sum of
    /// unit price times quantity, computed with checked arithmetic. Prices sent by a client
    /// play no part. The first refusal, in line order, is the answer.
    pub fn price(
        request: &OrderRequest,
        stock: &Stock,
        clock: &PricingClock<'_>,
    ) -> Result<Self, OrderRejection> {
        let mut items = Vec::with_capacity(request.lines.len());
        let mut total: i64 = 0;
        for line in request.lines.lines() {
            let at = line.line;
            let item = stock.items.iter().find(|item| item.id == line.item).ok_or(
                OrderRejection::UnknownItem {
                    line: at,
                    item: line.item,
                },
            )?;
            let category = item
                .category
                .and_then(|id| stock.categories.iter().find(|c| c.id == id));
            let availability = item.availability(category, clock.zone, clock.at);
            if !availability.available {
                return Err(OrderRejection::UnavailableItem {
                    line: at,
                    item: item.id,
                    from: availability.from,
                });
            }
            let groups: Vec<&OptionGroup> = item
                .option_groups
                .iter()
                .filter_map(|id| stock.groups.iter().find(|g| g.id == *id))
                .collect();
            // Every option chosen belongs to one of the item's groups and can be had now.
            for option in &line.options {
                let (group, choice) = groups
                    .iter()
                    .find_map(|g| g.option(*option).map(|c| (g, c)))
                    .ok_or(OrderRejection::UnknownOption {
                        line: at,
                        option: *option,
                    })?;
                if !choice.available_at(clock.at) {
                    return Err(OrderRejection::UnavailableOption {
                        line: at,
                        option: *option,
                        group: group.id,
                    });
                }
            }
            let mut unit = i64::from(item.price.cents());
            let mut chosen = Vec::with_capacity(line.options.len());
            for group in &groups {
                let picked: Vec<&OptionChoice> = group
                    .options
                    .iter()
                    .filter(|o| line.options.binary_search(&o.id).is_ok())
                    .collect();
                if picked.len() < usize::from(group.min) {
                    return Err(OrderRejection::OptionsBelowMin {
                        line: at,
                        group: group.id,
                        name: group.name.as_str().to_owned(),
                        min: group.min,
                    });
                }
                if picked.len() > usize::from(group.max) {
                    return Err(OrderRejection::OptionsAboveMax {
                        line: at,
                        group: group.id,
                        name: group.name.as_str().to_owned(),
                        max: group.max,
                    });
                }
                for option in picked {
                    unit += option.price_delta.cents();
                    chosen.push(ChosenOption {
                        id: option.id,
                        group_id: group.id,
                        group: group.name.clone(),
                        name: option.name.clone(),
                        price_delta: option.price_delta,
                    });
                }
            }
            // The stored configuration never allows it (the writes check it); should it happen,
            // refusing is safer than paying a customer.
            if unit < 0 {
                return Err(OrderRejection::TotalOverflow);
            }
            total = unit
                .checked_mul(i64::from(line.qty.get()))
                .and_then(|line| total.checked_add(line))
                .ok_or(OrderRejection::TotalOverflow)?;
            items.push(OrderItem {
                id: item.id,
                name: item.name.clone(),
                unit_price: unit,
                qty: line.qty,
                options: chosen,
            });
        }
        Ok(Self {
            customer: request.customer.clone(),
            items,
            total_cents: total,
            idempotency: None,
            tracking: None,
            pickup: None,
        })
    }

    /// The same order, for pickup at `pickup_at` (`None`: as soon as possible), counting
    /// against the slot `choice` names and ready at its `ready_at`.
    pub fn with_pickup(mut self, pickup_at: Option<jiff::Timestamp>, choice: SlotChoice) -> Self {
        self.pickup = Some((pickup_at, choice));
        self
    }

    /// The slot asked for (`None`: as soon as possible), the slot it counts against and when
    /// it is to be ready; `None` before [`NewOrder::with_pickup`].
    pub fn pickup(&self) -> Option<(Option<jiff::Timestamp>, SlotChoice)> {
        self.pickup
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
            pickup_at: self.pickup.and_then(|(at, _)| at),
            ready_at: self.pickup.map(|(_, choice)| choice.ready_at),
        }
    }
}

/// Where a page of orders starts: just after the order with this time and id. The time is the
/// order's creation time when orders are listed newest first (ties broken by id, descending),
/// its `ready_at` when they are listed by pickup (ties by id, ascending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at: SystemTime,
    pub id: OrderId,
}

impl OrderCursor {
    /// The cursor that continues after `order` in a listing sorted by `sort`.
    pub fn after(order: &Order, sort: OrderSort) -> Self {
        let at = match sort {
            OrderSort::Newest => order.created_at,
            OrderSort::Pickup => order
                .ready_at
                .and_then(|t| SystemTime::try_from(t).ok())
                .unwrap_or(order.created_at),
        };
        Self {
            created_at: at,
            id: order.id,
        }
    }
}

/// How a listing of orders is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    /// Newest first.
    #[default]
    Newest,
    /// By `ready_at`, soonest first (orders without one, placed before pickup times, are not
    /// listed).
    Pickup,
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
    /// Only orders to be ready at or after this instant.
    pub pickup_from: Option<jiff::Timestamp>,
    /// Only orders to be ready before this instant.
    pub pickup_to: Option<jiff::Timestamp>,
    pub sort: OrderSort,
}

impl Default for OrderPage {
    fn default() -> Self {
        Self {
            limit: PageLimit::DEFAULT,
            after: None,
            status: None,
            pickup_from: None,
            pickup_to: None,
            sort: OrderSort::Newest,
        }
    }
}

impl OrderPage {
    /// Whether `order` belongs to this page's listing (status, pickup window, and after the
    /// cursor).
    pub fn admits(&self, order: &Order) -> bool {
        let by_pickup = self.sort == OrderSort::Pickup
            || self.pickup_from.is_some()
            || self.pickup_to.is_some();
        if by_pickup && order.ready_at.is_none() {
            return false;
        }
        let ready = order.ready_at;
        self.status.is_none_or(|status| order.status == status)
            && self
                .pickup_from
                .is_none_or(|from| ready.is_some_and(|r| r >= from))
            && self
                .pickup_to
                .is_none_or(|to| ready.is_some_and(|r| r < to))
            && self.after.is_none_or(|after| {
                let mine = OrderCursor::after(order, self.sort);
                match self.sort {
                    OrderSort::Newest => (mine.created_at, mine.id) < (after.created_at, after.id),
                    OrderSort::Pickup => (mine.created_at, mine.id) > (after.created_at, after.id),
                }
            })
    }

    /// Sorts `orders` as this listing lists them.
    pub fn sort(&self, orders: &mut [Order]) {
        match self.sort {
            OrderSort::Newest => orders.sort_by_key(|o| std::cmp::Reverse((o.created_at, o.id))),
            OrderSort::Pickup => orders.sort_by_key(|o| (o.ready_at, o.id)),
        }
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
    pub fn from_lookahead(mut orders: Vec<Order>, page: &OrderPage) -> Self {
        let limit = page.limit;
        let more = orders.len() > limit.get();
        orders.truncate(limit.get());
        let next = if more {
            orders.last().map(|o| OrderCursor::after(o, page.sort))
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
    /// The slot the customer chose; `None`: as soon as possible.
    pub pickup_at: Option<jiff::Timestamp>,
    /// When the kitchen means it to be ready: the quote or the slot when placed, then
    /// `max(pickup_at, accepted + prep)` once accepted. `None` for orders placed before pickup
    /// times.
    pub ready_at: Option<jiff::Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::{NewMenuItem, PriceCents};

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

    fn price(request: &OrderRequest, menu: &[MenuItem]) -> Result<NewOrder, OrderRejection> {
        let stock = Stock {
            items: menu.to_vec(),
            ..Stock::default()
        };
        let clock = PricingClock {
            at: jiff::Timestamp::UNIX_EPOCH,
            zone: &jiff::tz::TimeZone::UTC,
        };
        NewOrder::price(request, &stock, &clock)
    }

    fn request(lines: OrderLines) -> OrderRequest {
        OrderRequest {
            pickup_at: None,
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
        assert_eq!(lines.lines()[1].line, 1, "where it was first sent");
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
        let priced = price(&request(lines), &menu).unwrap();
        assert_eq!(priced.total_cents(), 2 * 1200 + 3 * 350);
        assert_eq!(priced.items()[0].name.as_str(), "item 1");
        assert_eq!(priced.items()[1].unit_price, 350);
    }

    #[test]
    fn unknown_and_unavailable_items_are_refused() {
        let menu = [item(1, 100, true), item(2, 100, false)];
        let unknown = OrderLines::parse([(id(1), qty(1)), (id(3), qty(1))]).unwrap();
        assert_eq!(
            price(&request(unknown), &menu),
            Err(OrderRejection::UnknownItem {
                line: 1,
                item: id(3)
            })
        );
        let unavailable = OrderLines::parse([(id(2), qty(1))]).unwrap();
        assert_eq!(
            price(&request(unavailable), &menu),
            Err(OrderRejection::UnavailableItem {
                line: 0,
                item: id(2),
                from: None
            })
        );
    }

    #[test]
    fn the_largest_possible_order_still_fits() {
        let menu: Vec<_> = (0..100)
            .map(|n| item(n, PriceCents::MAX.into(), true))
            .collect();
        let lines = OrderLines::parse((0..100).map(|n| (id(n), qty(99)))).unwrap();
        let priced = price(&request(lines), &menu).unwrap();
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
