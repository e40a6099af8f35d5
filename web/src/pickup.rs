//! When the customer picks the order up: as soon as possible, or a slot on one of the days the
//! restaurant lets orders be scheduled for. A pure reducer, like the cart, with the calendar
//! arithmetic the day picker needs; both tested natively. The fetching lives in
//! [`crate::hooks::use_pickup`], the rendering in `components::PickupChoice`.
//!
//! Dates are the restaurant's business days as the API writes them (`YYYY-MM-DD`, in its time
//! zone); "today" is the date of its first answer, never the browser's.

use std::rc::Rc;

use chameleon_wire::{AsapQuote, PickupSlot, StoreSlots};
use yew::Reducible;

/// The shown day's slots, as far as the storefront knows them.
#[derive(Debug, Clone, PartialEq)]
pub enum Slots {
    Loading,
    Ready(Rc<Vec<PickupSlot>>),
    Failed(String),
}

/// The pickup choice at checkout.
#[derive(Debug, Clone, PartialEq)]
pub struct Pickup {
    /// Days after today an order may be scheduled for (0: as soon as possible only).
    pub days_ahead: i64,
    /// The restaurant's today, from its first answer.
    pub today: Option<String>,
    /// The day whose slots are asked for; `None`: today.
    pub day: Option<String>,
    /// Whether an order placed now is taken for as soon as possible; `None` until known.
    pub asap: Option<AsapQuote>,
    pub slots: Slots,
    /// "Schedule" is chosen (else "As soon as possible").
    pub scheduled: bool,
    /// The chosen slot's `start`, exactly as the API gave it: what `pickup_at` takes.
    pub chosen: Option<String>,
    /// A slot to choose once the slots arrive (a `slot_full` refusal's `next_available`).
    wanted: Option<String>,
    /// Bumped to read the slots again.
    pub reads: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PickupAction {
    /// The API's answer for the day asked for.
    Loaded(StoreSlots),
    /// The slots could not be read: why, for the customer.
    Failed(String),
    Asap,
    Schedule,
    /// Show this day's slots (its own date, `YYYY-MM-DD`).
    Day(String),
    /// Choose the slot starting at this.
    Slot(String),
    /// The order was refused for its pickup time: read the slots again, and choose this slot
    /// (the next one free) if given.
    Reread(Option<String>),
}

impl Pickup {
    pub fn new(days_ahead: i64) -> Pickup {
        Pickup {
            days_ahead,
            today: None,
            day: None,
            asap: None,
            slots: Slots::Loading,
            scheduled: false,
            chosen: None,
            wanted: None,
            reads: 0,
        }
    }

    /// The day whose slots are shown.
    pub fn shown_day(&self) -> Option<&str> {
        self.day.as_deref().or(self.today.as_deref())
    }

    /// What the order asks for: a slot's `start`, or `None` for as soon as possible.
    pub fn pickup_at(&self) -> Option<String> {
        self.chosen.clone().filter(|_| self.scheduled)
    }

    /// Why the order cannot be placed with this choice, if it cannot.
    pub fn blocker(&self) -> Option<&'static str> {
        if self.scheduled {
            self.chosen.is_none().then_some("Choose a pickup time.")
        } else if self.asap.as_ref().is_some_and(|asap| !asap.available) {
            Some("Orders for as soon as possible are not taken right now.")
        } else {
            None
        }
    }

    fn apply(mut self, action: PickupAction) -> Pickup {
        match action {
            PickupAction::Loaded(answer) => {
                if self.day.as_ref().is_some_and(|day| *day != answer.date) {
                    // An answer for a day no longer shown.
                    return self;
                }
                if self.day.is_none() {
                    self.today = Some(answer.date);
                }
                let free = |start: &String| {
                    answer
                        .slots
                        .iter()
                        .any(|slot| slot.available && slot.start == *start)
                };
                self.chosen = self.wanted.take().or(self.chosen).filter(free);
                if !answer.asap.available && self.days_ahead > 0 {
                    self.scheduled = true;
                }
                self.asap = Some(answer.asap);
                self.slots = Slots::Ready(Rc::new(answer.slots));
            }
            PickupAction::Failed(message) => self.slots = Slots::Failed(message),
            PickupAction::Asap => self.scheduled = false,
            PickupAction::Schedule => self.scheduled = true,
            PickupAction::Day(day) => {
                self.day = Some(day);
                self.chosen = None;
                self.slots = Slots::Loading;
            }
            PickupAction::Slot(start) => self.chosen = Some(start),
            PickupAction::Reread(next) => {
                // A slot starts on the restaurant's own date (it carries its offset).
                if let Some(day) = next.as_deref().and_then(|at| at.get(..10)) {
                    self.day = Some(day.to_owned());
                    self.scheduled = true;
                }
                self.wanted = next;
                self.chosen = None;
                self.reads = self.reads.wrapping_add(1);
                self.slots = Slots::Loading;
            }
        }
        self
    }
}

impl Reducible for Pickup {
    type Action = PickupAction;

    fn reduce(self: Rc<Self>, action: PickupAction) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

/// `today` and the `ahead` days after it, `YYYY-MM-DD`; empty if `today` is not a date.
pub fn upcoming_days(today: &str, ahead: i64) -> Vec<String> {
    day_number(today)
        .map(|first| (first..=first + ahead).map(date_of).collect())
        .unwrap_or_default()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|part| part.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    days_from_civil(y, m, d)
}

/// Days since 1970-01-01 of a `MM/DD/YYYY` date (how `Intl` writes one in `en-US`).
// Only the browser build reads `Intl`'s dates; the native one tests this.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn us_day_number(date: &str) -> Option<i64> {
    let mut parts = date
        .splitn(3, '/')
        .map(|part| part.trim().parse::<i64>().ok());
    let (m, d, y) = (parts.next()??, parts.next()??, parts.next()??);
    days_from_civil(y, m, d)
}

/// Howard Hinnant's `days_from_civil` (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
pub fn date_of(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// How the pickup time reads: `time` on the day `days` after today (`None`: not known), or
/// `dated` (day and time) further off. A scheduled order is picked up at its slot; one for as
/// soon as possible is ready about then.
pub fn pickup_phrase(scheduled: bool, days: Option<i64>, time: &str, dated: &str) -> String {
    let (word, at) = if scheduled {
        ("Pickup", "at")
    } else {
        ("Ready", "about")
    };
    match days {
        Some(0) => format!("{word} {at} {time}"),
        Some(1) => format!("{word} tomorrow {at} {time}"),
        _ if scheduled => format!("{word} {dated}"),
        _ => format!("{word} {at} {dated}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(start: &str, available: bool) -> PickupSlot {
        PickupSlot {
            start: start.to_owned(),
            end: String::new(),
            available,
            remaining: if available { None } else { Some(0) },
        }
    }

    fn answer(date: &str, asap: bool, slots: Vec<PickupSlot>) -> PickupAction {
        PickupAction::Loaded(StoreSlots {
            date: date.to_owned(),
            asap: AsapQuote {
                available: asap,
                ready_at: asap.then(|| format!("{date}T18:05:00+01:00")),
            },
            slots,
        })
    }

    fn run(days_ahead: i64, actions: impl IntoIterator<Item = PickupAction>) -> Pickup {
        actions
            .into_iter()
            .fold(Pickup::new(days_ahead), Pickup::apply)
    }

    const A: &str = "2026-12-08T18:30:00+01:00";
    const B: &str = "2026-12-08T18:45:00+01:00";

    #[test]
    fn as_soon_as_possible_is_the_default_and_sends_no_time() {
        let p = run(6, [answer("2026-12-08", true, vec![slot(A, true)])]);
        assert!(!p.scheduled);
        assert_eq!(p.today.as_deref(), Some("2026-12-08"));
        assert_eq!(p.pickup_at(), None);
        assert_eq!(p.blocker(), None);
    }

    #[test]
    fn a_scheduled_order_needs_a_slot_and_sends_its_start() {
        let p = run(
            6,
            [
                answer("2026-12-08", true, vec![slot(A, true)]),
                PickupAction::Schedule,
            ],
        );
        assert_eq!(p.blocker(), Some("Choose a pickup time."));
        let p = p.apply(PickupAction::Slot(A.to_owned()));
        assert_eq!(p.pickup_at().as_deref(), Some(A));
        assert_eq!(p.blocker(), None);
        assert_eq!(p.apply(PickupAction::Asap).pickup_at(), None);
    }

    #[test]
    fn without_as_soon_as_possible_schedule_is_chosen_unless_nothing_can_be_scheduled() {
        let p = run(6, [answer("2026-12-08", false, vec![slot(A, true)])]);
        assert!(p.scheduled);
        let p = run(0, [answer("2026-12-08", false, vec![])]);
        assert!(!p.scheduled);
        assert!(p.blocker().is_some(), "an order that would be refused");
    }

    #[test]
    fn another_day_shows_its_slots_and_a_late_answer_for_the_old_one_is_ignored() {
        let p = run(
            6,
            [
                answer("2026-12-08", true, vec![slot(A, true)]),
                PickupAction::Schedule,
                PickupAction::Slot(A.to_owned()),
                PickupAction::Day("2026-12-09".to_owned()),
            ],
        );
        assert_eq!(p.chosen, None, "the slot was on the other day");
        assert_eq!(p.slots, Slots::Loading);
        let p = p.apply(answer("2026-12-08", true, vec![slot(A, true)]));
        assert_eq!(p.slots, Slots::Loading);
        let p = p.apply(answer("2026-12-09", true, vec![]));
        assert_eq!(p.slots, Slots::Ready(Rc::new(vec![])));
        assert_eq!(p.today.as_deref(), Some("2026-12-08"), "today stays");
        assert_eq!(p.shown_day(), Some("2026-12-09"));
    }

    #[test]
    fn a_full_slot_is_read_again_and_the_next_free_one_chosen() {
        let p = run(
            6,
            [
                answer("2026-12-08", true, vec![slot(A, true), slot(B, true)]),
                PickupAction::Schedule,
                PickupAction::Slot(A.to_owned()),
                PickupAction::Reread(Some(B.to_owned())),
            ],
        );
        assert_eq!(p.reads, 1);
        assert_eq!(p.chosen, None);
        assert_eq!(p.day.as_deref(), Some("2026-12-08"));
        let p = p.apply(answer(
            "2026-12-08",
            true,
            vec![slot(A, false), slot(B, true)],
        ));
        assert_eq!(p.pickup_at().as_deref(), Some(B));
        // Refused as invalid: nothing is chosen again by itself, and a choice that is no
        // longer free is dropped.
        let p = p.apply(PickupAction::Reread(None)).apply(answer(
            "2026-12-08",
            true,
            vec![slot(A, false), slot(B, true)],
        ));
        assert_eq!(p.chosen, None);
        let p = p.apply(PickupAction::Slot(B.to_owned())).apply(answer(
            "2026-12-08",
            true,
            vec![slot(B, false)],
        ));
        assert_eq!(p.chosen, None);
    }

    #[test]
    fn days_count_across_months_years_and_leap_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(
            upcoming_days("2026-12-30", 3),
            ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]
        );
        assert_eq!(upcoming_days("2028-02-28", 1), ["2028-02-28", "2028-02-29"]);
        assert_eq!(upcoming_days("2026-12-08", 0), ["2026-12-08"]);
        assert!(upcoming_days("soon", 3).is_empty());
        assert_eq!(day_number("2026-13-01"), None);
        assert_eq!(us_day_number("12/09/2026"), day_number("2026-12-09"));
    }

    #[test]
    fn the_pickup_time_says_the_day_when_it_is_not_today() {
        let dated = "Sat 12 Dec, 18:30";
        assert_eq!(
            pickup_phrase(true, Some(0), "18:30", dated),
            "Pickup at 18:30"
        );
        assert_eq!(
            pickup_phrase(true, Some(1), "18:30", dated),
            "Pickup tomorrow at 18:30"
        );
        assert_eq!(
            pickup_phrase(true, Some(4), "18:30", dated),
            "Pickup Sat 12 Dec, 18:30"
        );
        assert_eq!(
            pickup_phrase(false, Some(0), "18:05", dated),
            "Ready about 18:05"
        );
        assert_eq!(
            pickup_phrase(false, None, "18:05", dated),
            "Ready about Sat 12 Dec, 18:30"
        );
    }
}
