//! Bounded integers and counts.

/// An inclusive range of whole numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub min: i64,
    pub max: i64,
}

impl IntRange {
    pub const fn contains(&self, value: i64) -> bool {
        self.min <= value && value <= self.max
    }
}

/// A menu item's price, in the currency's minor units (10,000,000 cents is 100,000.00).
pub const PRICE: IntRange = IntRange {
    min: 0,
    max: 10_000_000,
};

/// What an option adds to an item's price, in minor units: it may take some off, but no
/// allowed choice may price an item below 0.
pub const PRICE_DELTA: IntRange = IntRange {
    min: -10_000_000,
    max: 10_000_000,
};

/// How many options a group asks a customer to choose at least (`min`).
pub const OPTION_MIN: IntRange = IntRange { min: 0, max: 50 };

/// How many options a group lets a customer choose at most (`max`).
pub const OPTION_MAX: IntRange = IntRange { min: 1, max: 50 };

/// How many options a group has.
pub const GROUP_OPTIONS: IntRange = IntRange { min: 1, max: 50 };

/// Options one group may have at most.
pub const OPTIONS_PER_GROUP: usize = GROUP_OPTIONS.max as usize;

/// Option groups one item may offer at most.
pub const OPTION_GROUPS_PER_ITEM: usize = ITEM_OPTION_GROUPS.max as usize;

/// How many option groups an item lists.
pub const ITEM_OPTION_GROUPS: IntRange = IntRange { min: 0, max: 20 };

/// How many of one item an order line asks for (after lines naming the same item are added up).
pub const QUANTITY: IntRange = IntRange { min: 1, max: 99 };

/// How many lines an order has, as sent.
pub const ORDER_LINES: IntRange = IntRange { min: 1, max: 100 };

/// A category's place on the menu: smaller first.
pub const CATEGORY_POSITION: IntRange = IntRange {
    min: 0,
    max: 10_000,
};

/// Orders on one page of the manager's list.
pub const PAGE_LIMIT: IntRange = IntRange { min: 1, max: 100 };

/// Orders on a page when the request names no limit.
pub const DEFAULT_PAGE_LIMIT: i64 = 50;

/// Domains one restaurant answers on at most.
pub const DOMAINS_PER_TENANT: usize = 20;

/// Opening ranges one day may have at most.
pub const OPENING_RANGES_PER_DAY: usize = 8;

/// Minutes a kitchen needs for an order: nothing is offered sooner than now plus these.
pub const PREP_MINUTES: IntRange = IntRange { min: 0, max: 240 };

/// Minutes a kitchen needs for an order unless told otherwise.
pub const DEFAULT_PREP_MINUTES: i64 = 20;

/// A pickup slot's length in minutes.
pub const SLOT_MINUTES: IntRange = IntRange { min: 5, max: 60 };

/// A pickup slot's length unless told otherwise.
pub const DEFAULT_SLOT_MINUTES: i64 = 15;

/// Orders one pickup slot takes at most (when limited).
pub const SLOT_CAPACITY: IntRange = IntRange { min: 1, max: 1000 };

/// Days ahead an order may be scheduled (0: as soon as possible only).
pub const SCHEDULE_DAYS_AHEAD: IntRange = IntRange { min: 0, max: 14 };

/// Days ahead an order may be scheduled unless told otherwise.
pub const DEFAULT_SCHEDULE_DAYS_AHEAD: i64 = 6;

/// Minutes a busy kitchen adds to every quote.
pub const BUSY_EXTRA_MINUTES: IntRange = IntRange { min: 0, max: 240 };

/// One-off closures (holidays) a restaurant lists at most.
pub const CLOSURES: usize = 100;
