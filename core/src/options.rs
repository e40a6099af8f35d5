//! Option groups: the choices an item offers (a pizza's size, a burger's extras, a bowl's base),
//! what each choice adds to its price, and when an item or an option is sold out.
//!
//! A group is a tenant's own object, shared by every item that lists it: one "Size" group can
//! serve every pizza. A customer chooses from `min` to `max` of its options. An option's
//! `price_delta` may be 0 or negative, but no allowed choice may price an item below 0: the
//! writes that could make one ([`lowest_unit_price`]) are refused.

use std::fmt;

use jiff::Timestamp;
use thiserror::Error;
use uuid::Uuid;

use chameleon_rules::numbers::{IntRange, OPTIONS_PER_GROUP};
use chameleon_rules::text::TextRule;

use crate::menu::{MenuItem, MenuItemId, PriceCents};
use crate::text::{TextError, parse_line};

/// An option group's identifier, unique within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OptionGroupId(Uuid);

/// An option's identifier, unique within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OptionId(Uuid);

macro_rules! uuid_id {
    ($name:ident) => {
        impl $name {
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(OptionGroupId);
uuid_id!(OptionId);

/// A group's name ("Size"): trimmed, 1 to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroupName(String);

impl OptionGroupName {
    pub const RULE: TextRule = chameleon_rules::text::OPTION_GROUP_NAME;

    pub fn parse(raw: &str) -> Result<Self, OptionNameError> {
        parse_line(raw, &Self::RULE)
            .map(Self)
            .map_err(OptionNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An option's name ("Large"): trimmed, 1 to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionName(String);

impl OptionName {
    pub const RULE: TextRule = chameleon_rules::text::OPTION_NAME;

    pub fn parse(raw: &str) -> Result<Self, OptionNameError> {
        parse_line(raw, &Self::RULE)
            .map(Self)
            .map_err(OptionNameError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a usable group or option name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct OptionNameError(#[source] pub TextError);

/// What an option adds to an item's price, in minor units: -10,000,000 to 10,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PriceDelta(i32);

impl PriceDelta {
    pub const RANGE: IntRange = chameleon_rules::numbers::PRICE_DELTA;

    pub fn cents(self) -> i64 {
        i64::from(self.0)
    }
}

impl TryFrom<i64> for PriceDelta {
    type Error = PriceDeltaError;

    fn try_from(cents: i64) -> Result<Self, PriceDeltaError> {
        if !Self::RANGE.contains(cents) {
            return Err(PriceDeltaError(cents));
        }
        i32::try_from(cents)
            .map(Self)
            .map_err(|_| PriceDeltaError(cents))
    }
}

/// The delta is outside -10,000,000 to 10,000,000.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "price_delta must be a whole number of minor units from {min} to {max}, got {0}",
    min = PriceDelta::RANGE.min,
    max = PriceDelta::RANGE.max
)]
pub struct PriceDeltaError(pub i64);

/// An item or option that cannot be had for now: until an instant (it comes back by itself,
/// nothing has to run for it), or until someone marks it available again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoldOut {
    Until(Timestamp),
    Indefinitely,
}

impl SoldOut {
    /// How the API writes "until someone marks it available".
    pub const INDEFINITELY: &'static str = "indefinitely";

    /// `"indefinitely"`, or an RFC 3339 instant written in full: `YYYY-MM-DDTHH:MM:SS`, an
    /// optional fraction of 1 to 9 digits, then `Z` or `±HH:MM` (the shape the OpenAPI
    /// document's pattern states; a date that does not exist, such as February 30, is refused
    /// too).
    pub fn parse(raw: &str) -> Result<Self, SoldOutError> {
        if raw == Self::INDEFINITELY {
            return Ok(SoldOut::Indefinitely);
        }
        let refused = || SoldOutError(raw.chars().take(40).collect());
        if !is_full_rfc3339(raw) {
            return Err(refused());
        }
        raw.parse::<Timestamp>()
            .map(SoldOut::Until)
            .map_err(|_| refused())
    }

    /// Whether it is still sold out at `now`.
    pub fn blocks(&self, now: Timestamp) -> bool {
        match self {
            SoldOut::Until(until) => now < *until,
            SoldOut::Indefinitely => true,
        }
    }

    /// When it comes back, if it does by itself.
    pub fn until(&self) -> Option<Timestamp> {
        match self {
            SoldOut::Until(until) => Some(*until),
            SoldOut::Indefinitely => None,
        }
    }
}

impl fmt::Display for SoldOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SoldOut::Until(until) => write!(f, "{until}"),
            SoldOut::Indefinitely => f.write_str(Self::INDEFINITELY),
        }
    }
}

/// An RFC 3339 instant written in full, as [`SoldOut::parse`] takes one (a pickup time too).
pub fn parse_instant(raw: &str) -> Option<Timestamp> {
    if !is_full_rfc3339(raw) {
        return None;
    }
    raw.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`, digits where digits go (the values are jiff's to
/// judge).
fn is_full_rfc3339(raw: &str) -> bool {
    let b = raw.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let fraction = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=9).contains(&fraction) {
            return false;
        }
        i += 1 + fraction;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// The text is neither an RFC 3339 instant nor `"indefinitely"`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "sold_out_until must be an RFC 3339 instant (2026-12-07T22:00:00Z) or \"indefinitely\", got {0:?}"
)]
pub struct SoldOutError(pub String);

/// One choice of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChoice {
    pub id: OptionId,
    pub name: OptionName,
    pub price_delta: PriceDelta,
    pub sold_out: Option<SoldOut>,
}

impl OptionChoice {
    /// Whether it can be chosen at `now`.
    pub fn available_at(&self, now: Timestamp) -> bool {
        self.sold_out.is_none_or(|s| !s.blocks(now))
    }
}

/// A group of options a customer chooses `min` to `max` of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroup {
    pub id: OptionGroupId,
    pub name: OptionGroupName,
    pub min: u8,
    pub max: u8,
    /// In the order the customer sees them.
    pub options: Vec<OptionChoice>,
}

impl OptionGroup {
    /// How many options a group may have.
    pub const MAX_OPTIONS: usize = OPTIONS_PER_GROUP;
    /// What `min` may be.
    pub const MIN: IntRange = chameleon_rules::numbers::OPTION_MIN;
    /// What `max` may be.
    pub const MAX: IntRange = chameleon_rules::numbers::OPTION_MAX;

    /// Whether the group can be stored: 0 <= min <= max, max >= 1, 1 to 50 options (at least
    /// `min`), each option once.
    pub fn check(&self) -> Result<(), OptionGroupError> {
        check_group(self.min, self.max, &self.options)
    }

    /// The option `id`, if it is one of this group's.
    pub fn option(&self, id: OptionId) -> Option<&OptionChoice> {
        self.options.iter().find(|o| o.id == id)
    }

    /// The least an allowed choice from this group adds to a price (sold-out options count:
    /// they come back): the `min` cheapest deltas, and then every further negative one while
    /// `max` allows.
    pub fn lowest_delta(&self) -> i64 {
        let mut deltas: Vec<i64> = self.options.iter().map(|o| o.price_delta.cents()).collect();
        deltas.sort_unstable();
        deltas
            .iter()
            .enumerate()
            .take(usize::from(self.max))
            .take_while(|(n, delta)| *n < usize::from(self.min) || **delta < 0)
            .map(|(_, delta)| delta)
            .sum()
    }
}

/// The rules of [`OptionGroup::check`], for a stored group and for a new one alike.
fn check_group(min: u8, max: u8, options: &[OptionChoice]) -> Result<(), OptionGroupError> {
    if max == 0 {
        return Err(OptionGroupError::MaxZero);
    }
    if min > max {
        return Err(OptionGroupError::MinAboveMax { min, max });
    }
    if options.len() > OptionGroup::MAX_OPTIONS {
        return Err(OptionGroupError::TooManyOptions(options.len()));
    }
    if options.is_empty() {
        return Err(OptionGroupError::NoOptions);
    }
    if options.len() < usize::from(min) {
        return Err(OptionGroupError::FewerOptionsThanMin {
            min,
            options: options.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = options.iter().find(|o| !seen.insert(o.id)) {
        return Err(OptionGroupError::DuplicateOption(twice.id));
    }
    Ok(())
}

/// A group's `min` from what a client sent (0 to 50).
pub fn min_choices(raw: i64) -> Result<u8, ChoiceCountError> {
    choice_count(raw, "min", OptionGroup::MIN)
}

/// A group's `max` from what a client sent (1 to 50).
pub fn max_choices(raw: i64) -> Result<u8, ChoiceCountError> {
    choice_count(raw, "max", OptionGroup::MAX)
}

fn choice_count(raw: i64, field: &'static str, range: IntRange) -> Result<u8, ChoiceCountError> {
    let refused = ChoiceCountError {
        field,
        range,
        got: raw,
    };
    if !range.contains(raw) {
        return Err(refused);
    }
    u8::try_from(raw).map_err(|_| refused)
}

/// A `min` or `max` outside its range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{field} must be a whole number from {lo} to {hi}, got {got}",
    lo = range.min,
    hi = range.max
)]
pub struct ChoiceCountError {
    pub field: &'static str,
    pub range: IntRange,
    pub got: i64,
}

/// Why a group cannot be stored as it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OptionGroupError {
    #[error("max must be at least 1")]
    MaxZero,
    #[error("min ({min}) must not be above max ({max})")]
    MinAboveMax { min: u8, max: u8 },
    #[error("a group has at most {max} options, got {0}", max = OptionGroup::MAX_OPTIONS)]
    TooManyOptions(usize),
    #[error("a group needs at least one option")]
    NoOptions,
    #[error("min is {min} but the group has only {options} options")]
    FewerOptionsThanMin { min: u8, options: usize },
    #[error("option {0} is listed twice")]
    DuplicateOption(OptionId),
    #[error("the group has no option {0}")]
    UnknownOption(OptionId),
}

/// A group to be created; the repository draws its id (the options come with theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOptionGroup {
    pub name: OptionGroupName,
    pub min: u8,
    pub max: u8,
    pub options: Vec<OptionChoice>,
}

impl NewOptionGroup {
    /// The rules of [`OptionGroup::check`]: the service refuses a group that breaks them.
    pub fn check(&self) -> Result<(), OptionGroupError> {
        check_group(self.min, self.max, &self.options)
    }

    /// The group as stored under `id`.
    pub fn with_id(self, id: OptionGroupId) -> OptionGroup {
        OptionGroup {
            id,
            name: self.name,
            min: self.min,
            max: self.max,
            options: self.options,
        }
    }
}

/// An entry of a group's new option list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionEdit {
    /// One of the group's options, kept under its id, with the fields given changed.
    Keep {
        id: OptionId,
        name: Option<OptionName>,
        price_delta: Option<PriceDelta>,
        sold_out: Option<Option<SoldOut>>,
    },
    /// A new option.
    Add(OptionChoice),
}

/// How a patch changes a group's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsChange {
    /// The list is replaced: options left out are removed.
    Replace(Vec<OptionEdit>),
    /// Only whether the named options are sold out; the others stay as they are.
    Availability(Vec<(OptionId, Option<SoldOut>)>),
}

/// A partial update of a group: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionGroupPatch {
    pub name: Option<OptionGroupName>,
    pub min: Option<u8>,
    pub max: Option<u8>,
    pub options: Option<OptionsChange>,
}

impl OptionGroupPatch {
    /// Marking options sold out or back, and nothing else, is
    /// [`MarkSoldOut`](crate::staff::Permission::MarkSoldOut) (service staff may); any other
    /// change is [`EditOptions`](crate::staff::Permission::EditOptions).
    pub fn permission(&self) -> crate::staff::Permission {
        let only_availability = self.name.is_none()
            && self.min.is_none()
            && self.max.is_none()
            && matches!(self.options, Some(OptionsChange::Availability(_)));
        if only_availability {
            crate::staff::Permission::MarkSoldOut
        } else {
            crate::staff::Permission::EditOptions
        }
    }

    /// Applies the patch to `group`, and checks the result ([`OptionGroup::check`]).
    pub fn apply(&self, group: &mut OptionGroup) -> Result<(), OptionGroupError> {
        if let Some(name) = &self.name {
            group.name = name.clone();
        }
        if let Some(min) = self.min {
            group.min = min;
        }
        if let Some(max) = self.max {
            group.max = max;
        }
        match &self.options {
            None => {}
            Some(OptionsChange::Availability(marks)) => {
                for (id, sold_out) in marks {
                    let option = group
                        .options
                        .iter_mut()
                        .find(|o| o.id == *id)
                        .ok_or(OptionGroupError::UnknownOption(*id))?;
                    option.sold_out = *sold_out;
                }
            }
            Some(OptionsChange::Replace(edits)) => {
                let mut options = Vec::with_capacity(edits.len());
                for edit in edits {
                    options.push(match edit {
                        OptionEdit::Add(option) => option.clone(),
                        OptionEdit::Keep {
                            id,
                            name,
                            price_delta,
                            sold_out,
                        } => {
                            let mut option = group
                                .option(*id)
                                .ok_or(OptionGroupError::UnknownOption(*id))?
                                .clone();
                            if let Some(name) = name {
                                option.name = name.clone();
                            }
                            if let Some(delta) = price_delta {
                                option.price_delta = *delta;
                            }
                            if let Some(sold_out) = sold_out {
                                option.sold_out = *sold_out;
                            }
                            option
                        }
                    });
                }
                group.options = options;
            }
        }
        group.check()
    }
}

/// The lowest unit price any allowed choice gives an item priced `price` offering `groups`.
pub fn lowest_unit_price<'a>(
    price: PriceCents,
    groups: impl IntoIterator<Item = &'a OptionGroup>,
) -> i64 {
    i64::from(price.cents())
        + groups
            .into_iter()
            .map(OptionGroup::lowest_delta)
            .sum::<i64>()
}

/// Why items and groups cannot be stored together.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OfferError {
    #[error("there is no option group {0}")]
    UnknownGroup(OptionGroupId),
    #[error(
        "menu item {item} could be ordered for {lowest} (its price with the cheapest choice of \
         options); no choice may price an item below 0"
    )]
    NegativePrice { item: MenuItemId, lowest: i64 },
}

/// Checks that every item of `items` offers only groups of `groups`, and that no allowed choice
/// prices one below 0. The repositories call it in the transaction that stores an item or a
/// group, with the groups those items use as read (and locked) there.
pub fn check_offer<'a>(
    items: impl IntoIterator<Item = &'a MenuItem>,
    groups: &[OptionGroup],
) -> Result<(), OfferError> {
    for item in items {
        let mut offered = Vec::with_capacity(item.option_groups.len());
        for id in &item.option_groups {
            offered.push(
                groups
                    .iter()
                    .find(|g| g.id == *id)
                    .ok_or(OfferError::UnknownGroup(*id))?,
            );
        }
        let lowest = lowest_unit_price(item.price, offered);
        if lowest < 0 {
            return Err(OfferError::NegativePrice {
                item: item.id,
                lowest,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn choice(n: u128, delta: i64) -> OptionChoice {
        OptionChoice {
            id: OptionId::from_uuid(Uuid::from_u128(n)),
            name: OptionName::parse(&format!("option {n}")).unwrap(),
            price_delta: PriceDelta::try_from(delta).unwrap(),
            sold_out: None,
        }
    }

    fn group(min: u8, max: u8, deltas: &[i64]) -> OptionGroup {
        OptionGroup {
            id: OptionGroupId::from_uuid(Uuid::from_u128(100)),
            name: OptionGroupName::parse("Size").unwrap(),
            min,
            max,
            options: deltas
                .iter()
                .enumerate()
                .map(|(n, d)| choice(n as u128 + 1, *d))
                .collect(),
        }
    }

    #[test]
    fn a_group_chooses_min_to_max_of_at_least_min_options() {
        assert_eq!(group(0, 1, &[0]).check(), Ok(()));
        assert_eq!(group(2, 3, &[0, 1]).check(), Ok(()));
        assert_eq!(group(0, 0, &[0]).check(), Err(OptionGroupError::MaxZero));
        assert_eq!(
            group(2, 1, &[0, 1]).check(),
            Err(OptionGroupError::MinAboveMax { min: 2, max: 1 })
        );
        assert_eq!(
            group(3, 3, &[0, 1]).check(),
            Err(OptionGroupError::FewerOptionsThanMin { min: 3, options: 2 })
        );
        assert_eq!(group(0, 1, &[]).check(), Err(OptionGroupError::NoOptions));
        assert_eq!(
            group(0, 1, &[0; 51]).check(),
            Err(OptionGroupError::TooManyOptions(51))
        );
        assert!(max_choices(51).is_err());
        assert!(max_choices(0).is_err());
        assert!(min_choices(-1).is_err());
        assert_eq!(min_choices(0), Ok(0));
    }

    #[test]
    fn the_lowest_delta_takes_the_minimum_then_every_discount_max_allows() {
        assert_eq!(group(1, 1, &[0, 250, 500]).lowest_delta(), 0);
        assert_eq!(group(0, 3, &[100, -50, -20, -10]).lowest_delta(), -80);
        assert_eq!(group(0, 2, &[100, -50, -20, -10]).lowest_delta(), -70);
        assert_eq!(group(2, 2, &[100, 300, 200]).lowest_delta(), 300);
        assert_eq!(group(0, 5, &[100, 200]).lowest_delta(), 0);
        let price = PriceCents::try_from(100).unwrap();
        assert_eq!(
            lowest_unit_price(price, [&group(1, 1, &[-100, 0]), &group(0, 2, &[-1])]),
            -1
        );
    }

    #[test]
    fn sold_out_is_an_instant_or_indefinitely() {
        let at: Timestamp = "2026-12-07T20:00:00Z".parse().unwrap();
        let until = SoldOut::parse("2026-12-07T21:00:00+01:00").unwrap();
        assert!(!until.blocks(at), "21:00 in Paris is 20:00 UTC: back");
        assert!(until.blocks("2026-12-07T19:59:59Z".parse().unwrap()));
        assert!(SoldOut::parse("indefinitely").unwrap().blocks(at));
        assert!(SoldOut::parse("2026-12-07T21:00:00.123456789Z").is_ok());
        for bad in [
            "",
            "tomorrow",
            "2026-12-07",
            "Indefinitely",
            "2026-12-07T21:00Z",
            "2026-12-07 21:00:00Z",
            "2026-12-07T21:00:00",
            "2026-02-30T21:00:00Z",
            "2026-12-07T21:00:00.Z",
            "2026-12-07T21:00:00+0100",
            "2026-12-07T21:00:00Z ",
        ] {
            assert!(SoldOut::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_patch_keeps_ids_adds_options_and_marks_availability_alone() {
        let mut g = group(0, 2, &[0, 100]);
        let first = g.options[0].id;
        OptionGroupPatch {
            options: Some(OptionsChange::Replace(vec![
                OptionEdit::Keep {
                    id: first,
                    name: None,
                    price_delta: Some(PriceDelta::try_from(50).unwrap()),
                    sold_out: None,
                },
                OptionEdit::Add(choice(9, 10)),
            ])),
            ..OptionGroupPatch::default()
        }
        .apply(&mut g)
        .unwrap();
        assert_eq!(g.options.len(), 2);
        assert_eq!(g.options[0].id, first);
        assert_eq!(g.options[0].price_delta.cents(), 50);
        let marks = OptionGroupPatch {
            options: Some(OptionsChange::Availability(vec![(
                first,
                Some(SoldOut::Indefinitely),
            )])),
            ..OptionGroupPatch::default()
        };
        assert_eq!(marks.permission(), crate::staff::Permission::MarkSoldOut);
        marks.apply(&mut g).unwrap();
        assert_eq!(g.options.len(), 2, "the other option stays");
        assert_eq!(g.options[0].sold_out, Some(SoldOut::Indefinitely));
        let unknown = OptionId::from_uuid(Uuid::from_u128(77));
        assert_eq!(
            OptionGroupPatch {
                options: Some(OptionsChange::Availability(vec![(unknown, None)])),
                ..OptionGroupPatch::default()
            }
            .apply(&mut g),
            Err(OptionGroupError::UnknownOption(unknown))
        );
    }
}
