//! Pickup times: when an order will be ready, and what a kitchen can take.
//!
//! A restaurant's business day is cut into slots of `slot_minutes` from each opening: the first
//! slot of a range starts at the opening time (not at midnight, nor on a grid of the clock), and
//! a slot must end by the range's closing time. Slots step through real time from the opening
//! instant, so on a daylight-saving day a wall-clock time that does not exist is never offered,
//! and an hour that repeats is offered once per instant. A range running past midnight belongs
//! to the business day it opens on.
//!
//! Nothing is offered sooner than `now + prep_minutes + busy_extra_minutes` (the lead time). An
//! order for "as soon as possible" is quoted into the first slot with room whose end is after
//! the lead time, at the later of the slot's start and the lead time; a scheduled order names a
//! slot's start. A slot takes at most `slot_capacity` orders (cancelled ones do not count);
//! the repository that stores an order counts and enforces that in the placing transaction
//! ([`PickupPlan`] says what to count and what to choose).
//!
//! Like everything in core this reads no clock: callers pass the instant they mean.

use std::fmt;

use chameleon_rules::numbers::{
    BUSY_EXTRA_MINUTES, CLOSURES, DEFAULT_PREP_MINUTES, DEFAULT_SCHEDULE_DAYS_AHEAD,
    DEFAULT_SLOT_MINUTES, IntRange, PREP_MINUTES, SCHEDULE_DAYS_AHEAD, SLOT_CAPACITY, SLOT_MINUTES,
};
use chameleon_rules::text::TextRule;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan as _};
use thiserror::Error;

use crate::hours::StoreSettings;
use crate::order::OrderRejection;
use crate::text::{TextError, parse_line};

/// A value outside its setting's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("must be a whole number from {} to {}, got {value}", range.min, range.max)]
pub struct OutOfRange {
    pub what: &'static str,
    pub range: IntRange,
    pub value: i64,
}

macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident, $repr:ty, $rule:path, $what:literal, $default:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($repr);

        impl $name {
            pub const RANGE: IntRange = $rule;

            pub fn get(self) -> $repr {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = OutOfRange;

            fn try_from(value: i64) -> Result<Self, OutOfRange> {
                let refused = OutOfRange {
                    what: $what,
                    range: Self::RANGE,
                    value,
                };
                if !Self::RANGE.contains(value) {
                    return Err(refused);
                }
                <$repr>::try_from(value).map(Self).map_err(|_| refused)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                // The defaults are constants inside their ranges (a test checks each).
                Self($default as $repr)
            }
        }
    };
}

bounded!(
    /// Minutes a kitchen needs for an order, 0 to 240.
    PrepMinutes, u16, PREP_MINUTES, "prep_minutes", DEFAULT_PREP_MINUTES
);
bounded!(
    /// A slot's length in minutes, 5 to 60.
    SlotMinutes, u16, SLOT_MINUTES, "slot_minutes", DEFAULT_SLOT_MINUTES
);
bounded!(
    /// Orders a slot takes, 1 to 1000.
    SlotCapacity, u16, SLOT_CAPACITY, "slot_capacity", SLOT_CAPACITY.max
);
bounded!(
    /// Days ahead an order may be scheduled, 0 to 14 (0: as soon as possible only).
    DaysAhead, u8, SCHEDULE_DAYS_AHEAD, "schedule_days_ahead", DEFAULT_SCHEDULE_DAYS_AHEAD
);
bounded!(
    /// Minutes a busy kitchen adds to every quote, 0 to 240.
    BusyMinutes, u16, BUSY_EXTRA_MINUTES, "busy_extra_minutes", 0
);

/// Why a restaurant is closed on a day ("Christmas"): trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureReason(String);

impl ClosureReason {
    pub const RULE: TextRule = chameleon_rules::text::CLOSURE_REASON;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A one-off day without trading (a holiday): a business day in the restaurant's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub date: Date,
    pub reason: ClosureReason,
}

/// A restaurant's closures, by date, each date once; at most [`CLOSURES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closures(Vec<Closure>);

/// Why a list of closures was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClosureError {
    #[error("closures: {0:?} is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error("closures: {0} is listed twice")]
    Twice(Date),
    #[error("closures: {0}")]
    Reason(TextError),
    #[error("closures: at most {CLOSURES}")]
    TooMany,
}

/// Parses `YYYY-MM-DD` exactly (a real date).
pub fn parse_date(raw: &str) -> Option<Date> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    raw.parse().ok()
}

impl Closures {
    /// `(date, reason)` pairs as the API writes them.
    pub fn parse<'a>(
        list: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ClosureError> {
        let mut closures = Vec::new();
        for (date, reason) in list {
            if closures.len() == CLOSURES {
                return Err(ClosureError::TooMany);
            }
            let date = parse_date(date).ok_or_else(|| ClosureError::Date(date.to_owned()))?;
            let reason = ClosureReason(
                parse_line(reason, &ClosureReason::RULE).map_err(ClosureError::Reason)?,
            );
            closures.push(Closure { date, reason });
        }
        closures.sort_by_key(|c| c.date);
        if let Some(pair) = closures.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(ClosureError::Twice(pair[0].date));
        }
        Ok(Self(closures))
    }

    pub fn contains(&self, date: Date) -> bool {
        self.0.binary_search_by_key(&date, |c| c.date).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// By date.
    pub fn iter(&self) -> impl Iterator<Item = &Closure> {
        self.0.iter()
    }
}

/// How a restaurant takes pickup orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupSettings {
    pub prep_minutes: PrepMinutes,
    pub slot_minutes: SlotMinutes,
    /// `None`: unlimited.
    pub slot_capacity: Option<SlotCapacity>,
    pub schedule_days_ahead: DaysAhead,
    pub busy_extra_minutes: BusyMinutes,
    /// Paused when `false`: no new order, as soon as possible or scheduled.
    pub accepting_orders: bool,
    pub closures: Closures,
}

impl Default for PickupSettings {
    fn default() -> Self {
        Self {
            prep_minutes: PrepMinutes::default(),
            slot_minutes: SlotMinutes::default(),
            slot_capacity: None,
            schedule_days_ahead: DaysAhead::default(),
            busy_extra_minutes: BusyMinutes::default(),
            accepting_orders: true,
            closures: Closures::default(),
        }
    }
}

/// A change of pickup settings: only what is `Some` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PickupPatch {
    pub prep_minutes: Option<PrepMinutes>,
    pub slot_minutes: Option<SlotMinutes>,
    /// `Some(None)`: unlimited from now on.
    pub slot_capacity: Option<Option<SlotCapacity>>,
    pub schedule_days_ahead: Option<DaysAhead>,
    pub busy_extra_minutes: Option<BusyMinutes>,
    pub accepting_orders: Option<bool>,
    pub closures: Option<Closures>,
}

impl PickupPatch {
    /// `settings` with this patch applied.
    pub fn apply(&self, settings: &PickupSettings) -> PickupSettings {
        PickupSettings {
            prep_minutes: self.prep_minutes.unwrap_or(settings.prep_minutes),
            slot_minutes: self.slot_minutes.unwrap_or(settings.slot_minutes),
            slot_capacity: self.slot_capacity.unwrap_or(settings.slot_capacity),
            schedule_days_ahead: self
                .schedule_days_ahead
                .unwrap_or(settings.schedule_days_ahead),
            busy_extra_minutes: self
                .busy_extra_minutes
                .unwrap_or(settings.busy_extra_minutes),
            accepting_orders: self.accepting_orders.unwrap_or(settings.accepting_orders),
            closures: self
                .closures
                .clone()
                .unwrap_or_else(|| settings.closures.clone()),
        }
    }

    /// Whether it changes anything but busy and paused (what service staff may change).
    pub fn beyond_busy_and_paused(&self) -> bool {
        self.prep_minutes.is_some()
            || self.slot_minutes.is_some()
            || self.slot_capacity.is_some()
            || self.schedule_days_ahead.is_some()
            || self.closures.is_some()
    }
}

/// One pickup slot: from `start` (what a scheduled order names) to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The slot an order counts against, and when it is to be ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotChoice {
    pub slot: Timestamp,
    pub ready_at: Timestamp,
}

/// Where an order may go, for the repository that stores it: try `candidates` in order and
/// take the first with room (counting the orders each holds, in the placing transaction); when
/// none has room, refuse with [`PickupPlan::full`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupPlan {
    /// The slot the customer chose; `None`: as soon as possible.
    pub pickup_at: Option<Timestamp>,
    /// Orders a slot takes; `None`: unlimited (nothing to count: the first candidate is it).
    pub capacity: Option<u16>,
    /// At least one.
    pub candidates: Vec<SlotChoice>,
    /// Later slots that can be scheduled, for `next_available` when every candidate is full
    /// (listed only with a capacity).
    pub later: Vec<Timestamp>,
}

impl PickupPlan {
    /// Whether a slot holding `taken` orders takes another.
    pub fn has_room(&self, taken: u64) -> bool {
        self.capacity.is_none_or(|c| taken < u64::from(c))
    }

    /// The first candidate with room, given the orders each slot holds.
    pub fn first_with_room(&self, taken: impl Fn(Timestamp) -> u64) -> Option<SlotChoice> {
        self.candidates
            .iter()
            .copied()
            .find(|c| self.has_room(taken(c.slot)))
    }

    /// The refusal when no candidate has room: with the next slot that has.
    pub fn full(&self, taken: impl Fn(Timestamp) -> u64) -> OrderRejection {
        OrderRejection::SlotFull {
            next_available: self
                .later
                .iter()
                .copied()
                .find(|slot| self.has_room(taken(*slot))),
        }
    }

    /// Every slot whose count the plan may need.
    pub fn counted(&self) -> impl Iterator<Item = Timestamp> + '_ {
        self.candidates
            .iter()
            .map(|c| c.slot)
            .chain(self.later.iter().copied())
    }
}

/// Why a scheduled time was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SlotInvalid {
    #[error("this restaurant takes orders for as soon as possible only")]
    AsapOnly,
    #[error("{at} is not the start of a pickup slot (see /api/v1/store/slots)")]
    NotASlot { at: Timestamp },
    #[error("{at} is too soon: the earliest pickup is {earliest}")]
    TooSoon { at: Timestamp, earliest: Timestamp },
    #[error("{at} is too far ahead: orders can be scheduled up to {last_day}")]
    TooFar { at: Timestamp, last_day: Date },
    #[error("{at} is in the past")]
    Past { at: Timestamp },
}

/// The date asked for is not one that can be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{date} is not a day that can be scheduled: from {today} to {last_day}")]
pub struct DateOutOfRange {
    pub date: Date,
    pub today: Date,
    pub last_day: Date,
}

/// One slot as a customer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotView {
    pub slot: Slot,
    /// Not too soon, not full, and orders are taken.
    pub available: bool,
    /// Orders it still takes; `None`: unlimited.
    pub remaining: Option<u64>,
}

/// A business day's pickup board: the quote for as soon as possible and the day's slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayBoard {
    pub date: Date,
    /// When an order placed now for as soon as possible would be ready; `None`: not taken.
    pub asap: Option<Timestamp>,
    pub slots: Vec<SlotView>,
}

/// Slots further ahead than this are never candidates for "as soon as possible".
const ASAP_REACH: SignedDuration = SignedDuration::from_hours(24);

/// `at`, or the next whole minute after it.
pub fn whole_minute_after(at: Timestamp) -> Timestamp {
    let second = at.as_second();
    let whole = second - second.rem_euclid(60);
    let up = if whole == second && at.subsec_nanosecond() == 0 {
        whole
    } else {
        whole + 60
    };
    Timestamp::from_second(up).unwrap_or(at)
}

fn minutes(n: u16) -> SignedDuration {
    SignedDuration::from_mins(i64::from(n))
}

impl StoreSettings {
    /// Business day `date`'s slots, in time order, before lead time or capacity.
    pub fn slots_of(&self, date: Date) -> Vec<Slot> {
        let step = minutes(self.pickup.slot_minutes.get());
        let mut slots = Vec::new();
        for (open, close) in self.spans_of(date) {
            let mut start = open;
            while let Ok(end) = start.checked_add(step)
                && end <= close
            {
                slots.push(Slot { start, end });
                start = end;
            }
        }
        slots.sort();
        slots.dedup_by_key(|s| s.start);
        slots
    }

    /// Nothing is ready sooner: `now` plus the prep time plus the busy time, up to the next
    /// whole minute (a quote reads "ready about 18:05", and reads the same when replayed from
    /// storage).
    pub fn earliest_pickup(&self, now: Timestamp) -> Timestamp {
        let lead = self.pickup.prep_minutes.get() + self.pickup.busy_extra_minutes.get();
        whole_minute_after(now.saturating_add(minutes(lead)).unwrap_or(now))
    }

    /// The last business day that can be scheduled (today with 0 days ahead).
    pub fn last_schedule_day(&self, now: Timestamp) -> Date {
        let today = self.today(now);
        let ahead = i64::from(self.pickup.schedule_days_ahead.get());
        today.checked_add(ahead.days()).unwrap_or(today)
    }

    /// The slots that can be scheduled from `from` on (by start), business day by business
    /// day up to the last that can be scheduled.
    fn schedulable_from(&self, now: Timestamp, from: Timestamp) -> Vec<Timestamp> {
        if self.pickup.schedule_days_ahead.get() == 0 {
            return Vec::new();
        }
        let mut day = self.today(now);
        let last = self.last_schedule_day(now);
        let mut starts = Vec::new();
        while day <= last {
            starts.extend(
                self.slots_of(day)
                    .into_iter()
                    .map(|s| s.start)
                    .filter(|s| *s >= from),
            );
            let Ok(next) = day.checked_add(1.day()) else {
                break;
            };
            day = next;
        }
        starts.sort();
        starts.dedup();
        starts
    }

    /// Where an order placed at `now` for `requested` (a slot's start; `None`: as soon as
    /// possible) may go, or why it cannot go anywhere.
    pub fn plan_pickup(
        &self,
        now: Timestamp,
        requested: Option<Timestamp>,
    ) -> Result<PickupPlan, OrderRejection> {
        if !self.pickup.accepting_orders {
            return Err(OrderRejection::NotAccepting);
        }
        let capacity = self.pickup.slot_capacity.map(SlotCapacity::get);
        let earliest = self.earliest_pickup(now);
        let mut plan = match requested {
            Some(at) => PickupPlan {
                pickup_at: Some(at),
                capacity,
                candidates: vec![self.scheduled(now, at)?],
                later: Vec::new(),
            },
            None => PickupPlan {
                pickup_at: None,
                capacity,
                candidates: self.asap_candidates(now)?,
                later: Vec::new(),
            },
        };
        if capacity.is_some() {
            let after = plan.candidates.last().map_or(earliest, |c| c.slot);
            plan.later = self
                .schedulable_from(now, earliest)
                .into_iter()
                .filter(|s| *s > after)
                .collect();
        } else {
            plan.candidates.truncate(1);
        }
        Ok(plan)
    }

    /// The slot starting at `at`, if it can be scheduled at `now`.
    fn scheduled(&self, now: Timestamp, at: Timestamp) -> Result<SlotChoice, SlotInvalid> {
        if self.pickup.schedule_days_ahead.get() == 0 {
            return Err(SlotInvalid::AsapOnly);
        }
        if at <= now {
            return Err(SlotInvalid::Past { at });
        }
        let earliest = self.earliest_pickup(now);
        let today = self.today(now);
        let last_day = self.last_schedule_day(now);
        // The business day a slot belongs to is the day it starts on or, for a range running
        // past midnight, the day before.
        let day = self.today(at);
        let found = [day.checked_sub(1.day()).ok(), Some(day)]
            .into_iter()
            .flatten()
            .filter(|d| *d >= today && *d <= last_day)
            .any(|d| self.slots_of(d).iter().any(|s| s.start == at));
        if !found && day > last_day {
            return Err(SlotInvalid::TooFar { at, last_day });
        }
        if !found {
            return Err(SlotInvalid::NotASlot { at });
        }
        if at < earliest {
            return Err(SlotInvalid::TooSoon { at, earliest });
        }
        Ok(SlotChoice {
            slot: at,
            ready_at: at,
        })
    }

    /// The slots an order for as soon as possible may go into at `now`, in order: those of the
    /// span open now that end after the lead time, quoted at the later of their start and the
    /// lead time.
    fn asap_candidates(&self, now: Timestamp) -> Result<Vec<SlotChoice>, OrderRejection> {
        let status = self.status(now);
        if !status.open_now {
            return Err(self.closed(status.next_change));
        }
        let earliest = self.earliest_pickup(now);
        let span_end = status.next_change;
        let reach = earliest.saturating_add(ASAP_REACH).unwrap_or(earliest);
        let today = self.today(now);
        let mut slots: Vec<Slot> = [-1i64, 0, 1]
            .into_iter()
            .filter_map(|offset| today.checked_add(offset.days()).ok())
            .flat_map(|day| self.slots_of(day))
            .filter(|s| s.end > earliest && s.start < reach && span_end.is_none_or(|e| s.start < e))
            .collect();
        slots.sort();
        slots.dedup_by_key(|s| s.start);
        if slots.is_empty() {
            // Open, but closing before an order placed now could be ready.
            let opens = span_end.and_then(|end| self.status(end).next_change);
            return Err(OrderRejection::ClosingSoon {
                closes: span_end,
                opens,
                opens_local: opens.map(|at| self.local_label(at)),
            });
        }
        Ok(slots
            .into_iter()
            .map(|s| SlotChoice {
                slot: s.start,
                ready_at: s.start.max(earliest),
            })
            .collect())
    }

    /// The refusal of an order while closed.
    pub fn closed(&self, opens: Option<Timestamp>) -> OrderRejection {
        OrderRejection::Closed {
            opens,
            opens_local: opens.map(|at| self.local_label(at)),
        }
    }

    /// `at` as a customer reads it: `Mon 11:00 (Europe/Paris)`.
    pub fn local_label(&self, at: Timestamp) -> String {
        let local = at.to_zoned_datetime(self.timezone.zone().clone());
        format!(
            "{} ({})",
            local.strftime("%a %H:%M"),
            self.timezone.as_str()
        )
    }

    /// Business day `date`'s board at `now`, `taken` giving the orders each slot holds; only
    /// today to the last day that can be scheduled (today alone with 0 days ahead).
    pub fn day_board(
        &self,
        date: Date,
        now: Timestamp,
        taken: impl Fn(Timestamp) -> u64,
    ) -> Result<DayBoard, DateOutOfRange> {
        let today = self.today(now);
        let last_day = self.last_schedule_day(now);
        if date < today || date > last_day {
            return Err(DateOutOfRange {
                date,
                today,
                last_day,
            });
        }
        let asap = self
            .plan_pickup(now, None)
            .ok()
            .and_then(|plan| plan.first_with_room(&taken))
            .map(|c| c.ready_at);
        let earliest = self.earliest_pickup(now);
        let accepting = self.pickup.accepting_orders;
        let capacity = self.pickup.slot_capacity.map(|c| u64::from(c.get()));
        let slots = if self.pickup.schedule_days_ahead.get() == 0 {
            Vec::new()
        } else {
            self.slots_of(date)
                .into_iter()
                .map(|slot| {
                    let remaining = capacity.map(|c| c.saturating_sub(taken(slot.start)));
                    SlotView {
                        slot,
                        available: accepting
                            && slot.start >= earliest
                            && slot.start > now
                            && remaining.is_none_or(|r| r > 0),
                        remaining,
                    }
                })
                .collect()
        };
        Ok(DayBoard { date, asap, slots })
    }

    /// The instants whose counts [`StoreSettings::day_board`] of `date` reads: from the first
    /// to the last slot it may look at (`None`: it reads none, capacity being unlimited).
    pub fn board_counts_span(&self, date: Date, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        self.pickup.slot_capacity?;
        let mut starts: Vec<Timestamp> = self.slots_of(date).iter().map(|s| s.start).collect();
        if let Ok(plan) = self.plan_pickup(now, None) {
            starts.extend(plan.candidates.iter().map(|c| c.slot));
        }
        Some((*starts.iter().min()?, *starts.iter().max()?))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::{OpeningHours, TimeZoneName};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn date(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    fn settings(zone: &str, hours: Option<OpeningHours>) -> StoreSettings {
        StoreSettings {
            timezone: TimeZoneName::parse(zone).unwrap(),
            opening_hours: hours,
            ..StoreSettings::default()
        }
    }

    fn hours(days: &[(&'static str, &[(&'static str, &'static str)])]) -> OpeningHours {
        OpeningHours::parse(days.iter().map(|(d, r)| (*d, r.to_vec()))).unwrap()
    }

    /// The slots' starts as `HH:MM±hh:mm` in the restaurant's zone.
    fn starts(settings: &StoreSettings, day: &str) -> Vec<String> {
        settings
            .slots_of(date(day))
            .iter()
            .map(|s| {
                s.start
                    .to_zoned_datetime(settings.timezone.zone().clone())
                    .strftime("%H:%M%:z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn defaults_are_inside_their_ranges() {
        let d = PickupSettings::default();
        assert_eq!(d.prep_minutes.get(), 20);
        assert_eq!(d.slot_minutes.get(), 15);
        assert_eq!(d.schedule_days_ahead.get(), 6);
        assert_eq!(d.busy_extra_minutes.get(), 0);
        assert_eq!(d.slot_capacity, None);
        assert!(d.accepting_orders);
        for (value, range) in [
            (i64::from(d.prep_minutes.get()), PrepMinutes::RANGE),
            (i64::from(d.slot_minutes.get()), SlotMinutes::RANGE),
            (i64::from(d.schedule_days_ahead.get()), DaysAhead::RANGE),
            (
                i64::from(SlotCapacity::default().get()),
                SlotCapacity::RANGE,
            ),
        ] {
            assert!(range.contains(value));
        }
        assert!(SlotMinutes::try_from(4).is_err());
        assert!(SlotMinutes::try_from(61).is_err());
        assert!(PrepMinutes::try_from(-1).is_err());
        assert!(SlotCapacity::try_from(0).is_err());
        assert!(SlotCapacity::try_from(1001).is_err());
        assert!(DaysAhead::try_from(15).is_err());
        assert!(BusyMinutes::try_from(241).is_err());
    }

    #[test]
    fn closures_are_dates_once_each() {
        let c = Closures::parse([("2026-12-25", "Christmas"), ("2026-12-24", "Eve")]).unwrap();
        assert!(c.contains(date("2026-12-24")));
        assert_eq!(c.iter().next().unwrap().reason.as_str(), "Eve");
        assert!(Closures::parse([("2026-12-24", " ")]).is_err());
        for bad in [
            "2026-02-30",
            "2026-1-05",
            "26-12-25",
            "2026-12-25T00:00",
            "",
        ] {
            assert!(Closures::parse([(bad, "x")]).is_err(), "{bad}");
        }
        assert!(matches!(
            Closures::parse([("2026-12-25", "a"), ("2026-12-25", "b")]),
            Err(ClosureError::Twice(_))
        ));
        assert!(Closures::parse([("2026-12-25", "a\u{7}")]).is_err());
    }

    #[test]
    fn the_first_slot_starts_at_the_opening_and_the_last_ends_by_closing() {
        // 11:10-12:00: slots of 15 from 11:10, the last ending 11:55 (11:55-12:10 would not).
        let s = settings("UTC", Some(hours(&[("mon", &[("11:10", "12:00")])])));
        assert_eq!(
            starts(&s, "2026-12-07"),
            ["11:10+00:00", "11:25+00:00", "11:40+00:00"]
        );
        // A closed day has none; a closure closes an open day.
        assert!(starts(&s, "2026-12-08").is_empty());
        let mut closed = s.clone();
        closed.pickup.closures = Closures::parse([("2026-12-07", "Holiday")]).unwrap();
        assert!(starts(&closed, "2026-12-07").is_empty());
        assert!(!closed.status(at("2026-12-07T11:30:00Z")).open_now);
    }

    #[test]
    fn an_overnight_range_belongs_to_the_day_it_opens() {
        let s = settings(
            "Europe/Paris",
            Some(hours(&[("fri", &[("23:00", "01:00")])])),
        );
        let friday = starts(&s, "2026-12-11");
        assert_eq!(friday.first().unwrap(), "23:00+01:00");
        assert_eq!(friday.last().unwrap(), "00:45+01:00");
        assert_eq!(friday.len(), 8);
        assert!(starts(&s, "2026-12-12").is_empty());
        // Scheduling 00:30 Saturday (Friday's business day) at Friday noon.
        let plan = s
            .plan_pickup(at("2026-12-11T11:00:00Z"), Some(at("2026-12-11T23:30:00Z")))
            .unwrap();
        assert_eq!(plan.candidates[0].slot, at("2026-12-11T23:30:00Z"));
    }

    #[test]
    fn berlin_spring_forward_skips_the_hour_that_does_not_exist() {
        // 2027-03-28: 02:00 CET jumps to 03:00 CEST.
        let s = settings(
            "Europe/Berlin",
            Some(hours(&[("sun", &[("01:00", "04:00")])])),
        );
        let day = starts(&s, "2027-03-28");
        assert_eq!(
            day,
            [
                "01:00+01:00",
                "01:15+01:00",
                "01:30+01:00",
                "01:45+01:00",
                "03:00+02:00",
                "03:15+02:00",
                "03:30+02:00",
                "03:45+02:00"
            ]
        );
    }

    #[test]
    fn berlin_fall_back_offers_the_repeated_hour_once_per_instant() {
        // 2027-10-31: 03:00 CEST goes back to 02:00 CET.
        let s = settings(
            "Europe/Berlin",
            Some(hours(&[("sun", &[("01:30", "03:30")])])),
        );
        let day = starts(&s, "2027-10-31");
        assert_eq!(
            day,
            [
                "01:30+02:00",
                "01:45+02:00",
                "02:00+02:00",
                "02:15+02:00",
                "02:30+02:00",
                "02:45+02:00",
                "02:00+01:00",
                "02:15+01:00",
                "02:30+01:00",
                "02:45+01:00",
                "03:00+01:00",
                "03:15+01:00"
            ]
        );
        let instants = s.slots_of(date("2027-10-31"));
        assert!(instants.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn new_york_change_days_in_both_directions() {
        // 2027-03-14: 02:00 EST jumps to 03:00 EDT. Open 00:00-24:00 (no hours): 23 hours.
        let s = settings("America/New_York", None);
        let spring = s.slots_of(date("2027-03-14"));
        assert_eq!(spring.len(), 23 * 4);
        assert_eq!(spring.first().unwrap().start, at("2027-03-14T05:00:00Z"));
        assert_eq!(spring.last().unwrap().end, at("2027-03-15T04:00:00Z"));
        let local = starts(&s, "2027-03-14");
        assert!(local.contains(&"01:45-05:00".to_owned()));
        assert!(!local.iter().any(|t| t.starts_with("02:")));
        assert!(local.contains(&"03:00-04:00".to_owned()));
        // 2027-11-07: 02:00 EDT goes back to 01:00 EST: 25 hours, 01:xx twice.
        let fall = s.slots_of(date("2027-11-07"));
        assert_eq!(fall.len(), 25 * 4);
        let local = starts(&s, "2027-11-07");
        assert!(local.contains(&"01:15-04:00".to_owned()));
        assert!(local.contains(&"01:15-05:00".to_owned()));
        let mut unique = fall.clone();
        unique.dedup_by_key(|s| s.start);
        assert_eq!(unique.len(), fall.len());
    }

    #[test]
    fn nothing_is_offered_sooner_than_prep_and_busy() {
        let mut s = settings("UTC", Some(hours(&[("mon", &[("11:00", "14:00")])])));
        let now = at("2026-12-07T11:02:00Z");
        // Prep 20: the lead time is 11:22, so ASAP goes into 11:15-11:30, ready 11:22.
        let plan = s.plan_pickup(now, None).unwrap();
        assert_eq!(plan.candidates[0].slot, at("2026-12-07T11:15:00Z"));
        assert_eq!(plan.candidates[0].ready_at, at("2026-12-07T11:22:00Z"));
        assert!(matches!(
            s.plan_pickup(now, Some(at("2026-12-07T11:15:00Z"))),
            Err(OrderRejection::SlotInvalid(SlotInvalid::TooSoon { .. }))
        ));
        s.plan_pickup(now, Some(at("2026-12-07T11:30:00Z")))
            .unwrap();
        // Busy 20 more: ready 11:42, slot 11:30; 11:30 can no longer be scheduled.
        s.pickup.busy_extra_minutes = BusyMinutes::try_from(20).unwrap();
        let plan = s.plan_pickup(now, None).unwrap();
        assert_eq!(plan.candidates[0].ready_at, at("2026-12-07T11:42:00Z"));
        assert!(
            s.plan_pickup(now, Some(at("2026-12-07T11:30:00Z")))
                .is_err()
        );
        let board = s.day_board(date("2026-12-07"), now, |_| 0).unwrap();
        assert_eq!(board.asap, Some(at("2026-12-07T11:42:00Z")));
        let first = board.slots.iter().find(|v| v.available).unwrap();
        assert_eq!(first.slot.start, at("2026-12-07T11:45:00Z"));
    }

    #[test]
    fn scheduled_times_must_be_slot_starts_within_the_days_ahead() {
        let s = settings("UTC", Some(hours(&[("mon", &[("11:00", "14:00")])])));
        let now = at("2026-12-06T09:00:00Z"); // Sunday: closed, but scheduling is fine.
        let plan = s
            .plan_pickup(now, Some(at("2026-12-07T11:00:00Z")))
            .unwrap();
        assert_eq!(plan.pickup_at, Some(at("2026-12-07T11:00:00Z")));
        for (bad, what) in [
            ("2026-12-07T10:45:00Z", "before opening"),
            ("2026-12-07T13:50:00Z", "not ending by closing"),
            ("2026-12-07T11:05:00Z", "not a start"),
            ("2026-12-14T11:00:00Z", "a week ahead with 6 days"),
        ] {
            assert!(
                matches!(
                    s.plan_pickup(now, Some(at(bad))),
                    Err(OrderRejection::SlotInvalid(_))
                ),
                "{what}"
            );
        }
        assert!(matches!(
            s.plan_pickup(now, Some(at("2026-12-14T11:00:00Z"))),
            Err(OrderRejection::SlotInvalid(SlotInvalid::TooFar { .. }))
        ));
        // ASAP while closed: closed, with the next opening.
        assert!(matches!(
            s.plan_pickup(now, None),
            Err(OrderRejection::Closed { opens: Some(o), .. }) if o == at("2026-12-07T11:00:00Z")
        ));
        let mut asap_only = s.clone();
        asap_only.pickup.schedule_days_ahead = DaysAhead::try_from(0).unwrap();
        assert!(matches!(
            asap_only.plan_pickup(now, Some(at("2026-12-07T11:00:00Z"))),
            Err(OrderRejection::SlotInvalid(SlotInvalid::AsapOnly))
        ));
        assert!(asap_only.day_board(date("2026-12-07"), now, |_| 0).is_err());
        assert!(
            asap_only
                .day_board(date("2026-12-06"), now, |_| 0)
                .unwrap()
                .slots
                .is_empty()
        );
    }

    #[test]
    fn capacity_moves_asap_on_and_names_the_next_slot() {
        let mut s = settings("UTC", Some(hours(&[("mon", &[("11:00", "12:00")])])));
        s.pickup.slot_capacity = Some(SlotCapacity::try_from(2).unwrap());
        s.pickup.prep_minutes = PrepMinutes::try_from(0).unwrap();
        let now = at("2026-12-07T11:05:00Z");
        let plan = s.plan_pickup(now, None).unwrap();
        let full = at("2026-12-07T11:00:00Z");
        let choice = plan
            .first_with_room(|slot| if slot == full { 2 } else { 0 })
            .unwrap();
        assert_eq!(choice.slot, at("2026-12-07T11:15:00Z"));
        assert_eq!(choice.ready_at, at("2026-12-07T11:15:00Z"));
        // Scheduled into a full slot: the next with room.
        let plan = s
            .plan_pickup(now, Some(at("2026-12-07T11:15:00Z")))
            .unwrap();
        let taken = |slot: Timestamp| {
            if slot < at("2026-12-07T11:45:00Z") {
                2
            } else {
                1
            }
        };
        assert!(plan.first_with_room(taken).is_none());
        assert_eq!(
            plan.full(taken),
            OrderRejection::SlotFull {
                next_available: Some(at("2026-12-07T11:45:00Z"))
            }
        );
        // Paused: nothing at all.
        s.pickup.accepting_orders = false;
        assert_eq!(s.plan_pickup(now, None), Err(OrderRejection::NotAccepting));
        let board = s.day_board(date("2026-12-07"), now, |_| 0).unwrap();
        assert_eq!(board.asap, None);
        assert!(board.slots.iter().all(|v| !v.available));
    }

    #[test]
    fn quotes_are_whole_minutes() {
        assert_eq!(
            whole_minute_after(at("2026-12-07T11:02:00Z")),
            at("2026-12-07T11:02:00Z")
        );
        assert_eq!(
            whole_minute_after(at("2026-12-07T11:02:00.5Z")),
            at("2026-12-07T11:03:00Z")
        );
        assert_eq!(
            whole_minute_after(at("2026-12-07T11:02:59Z")),
            at("2026-12-07T11:03:00Z")
        );
    }

    #[test]
    fn asap_is_refused_when_closing_before_it_could_be_ready() {
        let s = settings("UTC", Some(hours(&[("mon", &[("11:00", "14:00")])])));
        assert!(matches!(
            s.plan_pickup(at("2026-12-07T13:50:00Z"), None),
            Err(OrderRejection::ClosingSoon { .. })
        ));
    }
}
