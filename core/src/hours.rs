//! Where and when a restaurant trades: its currency and locale (how prices read), its time zone
//! and its weekly opening hours (whether it takes orders now, and when that changes).
//!
//! Like everything in core this reads no clock: callers pass the instant they mean.

use std::fmt;

use chameleon_rules::codes::{CURRENCIES, DEFAULT_LOCALE};
use chameleon_rules::formats::{LOCALE, TIMEZONE_MAX_LEN};
use chameleon_rules::numbers::OPENING_RANGES_PER_DAY;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _};
use thiserror::Error;

use crate::pickup::PickupSettings;

/// An ISO 4217 currency code (`USD`, `EUR`, `JPY`, `KWD`, ...) and its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    code: [u8; 3],
    decimals: u8,
}

impl Currency {
    pub const USD: Currency = Currency {
        code: *b"USD",
        decimals: 2,
    };

    /// Accepts an active ISO 4217 code, in capitals ([`chameleon_rules::codes::CURRENCIES`]).
    pub fn parse(raw: &str) -> Result<Self, CurrencyError> {
        let rule = CURRENCIES
            .iter()
            .find(|c| c.code == raw)
            .ok_or(CurrencyError)?;
        let mut code = [0u8; 3];
        code.copy_from_slice(rule.code.as_bytes());
        Ok(Self {
            code,
            decimals: rule.minor_units,
        })
    }

    pub fn code(&self) -> &str {
        // Built from a checked ASCII code only.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits of the minor unit: amounts are integers of 10^-decimals of the currency.
    pub fn decimals(&self) -> u8 {
        self.decimals
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a currency is an active ISO 4217 code in capitals, e.g. USD, EUR, JPY")]
pub struct CurrencyError;

/// A BCP 47 language tag (`en-US`, `fr-FR`, `de`, `zh-Hant-TW`), checked for its shape: a
/// language of 2 or 3 letters, then subtags of 1 to 8 letters or digits, at most 35 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, LocaleError> {
        let mut subtags = raw.split('-');
        let language = subtags.next().unwrap_or_default();
        let well_formed = raw.len() <= LOCALE.max_len
            && (LOCALE.language_min..=LOCALE.language_max).contains(&language.len())
            && language.bytes().all(|b| b.is_ascii_alphabetic())
            && subtags.all(|s| {
                (1..=LOCALE.subtag_max).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(LocaleError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self(DEFAULT_LOCALE.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a locale is a BCP 47 language tag, e.g. en-US, fr-FR, de")]
pub struct LocaleError;

/// An IANA time zone (`Europe/Paris`, `America/New_York`, `UTC`) known to the bundled database.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeZoneName {
    name: String,
    zone: TimeZone,
}

impl Eq for TimeZoneName {}

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, TimeZoneError> {
        // Names only: no POSIX rules, no offsets, nothing from the environment.
        let plain = !raw.is_empty()
            && raw.len() <= TIMEZONE_MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if !plain {
            return Err(TimeZoneError);
        }
        let zone = TimeZone::get(raw).map_err(|_| TimeZoneError)?;
        Ok(Self {
            name: raw.to_owned(),
            zone,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self {
            name: "UTC".to_owned(),
            zone: TimeZone::UTC,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a time zone is an IANA name, e.g. Europe/Paris, America/New_York, UTC")]
pub struct TimeZoneError;

/// A time of day in minutes after midnight, `00:00` to `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `HH:MM`, `00:00` to `23:59`, or `24:00` (the end of the day).
    pub fn parse(raw: &str) -> Result<Self, HoursError> {
        let bad = || HoursError::Time(raw.to_owned());
        let (h, m) = raw.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }

    pub fn minutes(&self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening range of a day; an end before the start runs past midnight into the next day, and
/// an end equal to the start makes a whole 24 hours from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRange {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

/// The days of the week as the API names them, Monday first.
pub const DAYS: &[&str] = chameleon_rules::codes::DAYS;

/// A weekly schedule: for each day (Monday first), the ranges it opens in, in the restaurant's
/// time zone. Days without ranges are closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpeningHours {
    days: [Vec<OpenRange>; 7],
}

/// Why opening hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    #[error("{0:?} is not a day (mon, tue, wed, thu, fri, sat, sun)")]
    Day(String),
    #[error("{0:?} is not a time of day (HH:MM, 00:00 to 24:00)")]
    Time(String),
    #[error("at most {OPENING_RANGES_PER_DAY} ranges a day")]
    TooMany,
}

/// Whether a restaurant is open at an instant, and when that next changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStatus {
    pub open_now: bool,
    /// The next opening or closing, within the next eight days; `None` when there is none
    /// (always open, or never).
    pub next_change: Option<Timestamp>,
}

impl OpeningHours {
    /// Builds a schedule from `(day, [(start, end)])` pairs as the API writes them.
    pub fn parse<'a>(
        days: impl IntoIterator<Item = (&'a str, Vec<(&'a str, &'a str)>)>,
    ) -> Result<Self, HoursError> {
        let mut hours = OpeningHours::default();
        for (day, ranges) in days {
            let index = DAYS
                .iter()
                .position(|d| *d == day)
                .ok_or_else(|| HoursError::Day(day.to_owned()))?;
            if ranges.len() > OPENING_RANGES_PER_DAY {
                return Err(HoursError::TooMany);
            }
            for (start, end) in ranges {
                // A start of 24:00 is the day's end, which opens nothing: read it as 00:00.
                let start = TimeOfDay(TimeOfDay::parse(start)?.0 % (24 * 60));
                let range = OpenRange {
                    start,
                    end: TimeOfDay::parse(end)?,
                };
                hours.days[index].push(range);
            }
        }
        Ok(hours)
    }

    /// Each day's name and ranges, Monday first.
    pub fn days(&self) -> impl Iterator<Item = (&'static str, &[OpenRange])> {
        DAYS.iter()
            .copied()
            .zip(self.days.iter().map(Vec::as_slice))
    }

    /// Every day, all day.
    pub fn always() -> Self {
        let all_day = OpenRange {
            start: TimeOfDay(0),
            end: TimeOfDay(24 * 60),
        };
        Self {
            days: std::array::from_fn(|_| vec![all_day]),
        }
    }

    /// The spans business day `date` opens, as instants, in the order of its ranges: a range
    /// running past midnight belongs to the day it opens on. A range whose ends fall the same
    /// instant (a DST change can do it) opens nothing.
    pub fn spans_of(&self, zone: &TimeZone, date: Date) -> Vec<(Timestamp, Timestamp)> {
        let index = usize::from(date.weekday().to_monday_zero_offset().unsigned_abs());
        self.days[index]
            .iter()
            .filter_map(|range| {
                let end_date = if range.end <= range.start {
                    next_day(date)
                } else {
                    Some(date)
                };
                let start = instant(zone, Some(date), range.start)?;
                let end = instant(zone, end_date, range.end)?;
                (start < end).then_some((start, end))
            })
            .collect()
    }

    /// Whether the schedule is open at `now` in `zone`, and the next change.
    pub fn status(&self, zone: &TimeZone, now: Timestamp) -> OpenStatus {
        self.status_except(zone, now, |_| false)
    }

    /// [`OpeningHours::status`], with the business days `closed` says are closed (holidays).
    pub fn status_except(
        &self,
        zone: &TimeZone,
        now: Timestamp,
        closed: impl Fn(Date) -> bool,
    ) -> OpenStatus {
        let today = now.to_zoned_datetime(zone.clone()).date();
        let mut spans = Vec::new();
        // From yesterday (an overnight range may still run) to a week ahead.
        for offset in -1i64..=8 {
            let Ok(date) = today.checked_add(offset.days()) else {
                continue;
            };
            if !closed(date) {
                spans.extend(self.spans_of(zone, date));
            }
        }
        spans.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let horizon = instant(zone, today.checked_add(8.days()).ok(), TimeOfDay(0));
        if let Some(&(_, end)) = merged.iter().find(|(s, e)| *s <= now && now < *e) {
            // Open until `end`, unless the schedule runs on past what was laid out (24/7).
            let endless = horizon.is_some_and(|h| end >= h);
            return OpenStatus {
                open_now: true,
                next_change: (!endless).then_some(end),
            };
        }
        OpenStatus {
            open_now: false,
            next_change: merged.iter().map(|(s, _)| *s).find(|s| *s > now),
        }
    }
}

fn next_day(date: Date) -> Option<Date> {
    date.checked_add(1.day()).ok()
}

/// `time` on `date` in `zone`, as an instant (a time skipped by a DST change moves forward).
fn instant(zone: &TimeZone, date: Option<Date>, time: TimeOfDay) -> Option<Timestamp> {
    let mut date = date?;
    let mut minutes = time.0;
    if minutes == 24 * 60 {
        date = next_day(date)?;
        minutes = 0;
    }
    let hour = i8::try_from(minutes / 60).ok()?;
    let minute = i8::try_from(minutes % 60).ok()?;
    date.at(hour, minute, 0, 0)
        .to_zoned_datetime(zone.clone())
        .ok()
        .map(|z| z.timestamp())
}

/// A restaurant's trading settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSettings {
    pub currency: Currency,
    pub locale: Locale,
    pub timezone: TimeZoneName,
    /// `None`: always open.
    pub opening_hours: Option<OpeningHours>,
    /// Pickup times: lead time, slots, capacity, busy and paused, closures.
    pub pickup: PickupSettings,
}

impl StoreSettings {
    /// Open now (always, without hours, but on a closure) and the next change.
    pub fn status(&self, now: Timestamp) -> OpenStatus {
        let closures = &self.pickup.closures;
        match &self.opening_hours {
            None if closures.is_empty() => OpenStatus {
                open_now: true,
                next_change: None,
            },
            None => OpeningHours::always()
                .status_except(self.timezone.zone(), now, |d| closures.contains(d)),
            Some(hours) => hours.status_except(self.timezone.zone(), now, |d| closures.contains(d)),
        }
    }

    /// The spans business day `date` opens (none on a closure), as instants.
    pub fn spans_of(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.pickup.closures.contains(date) {
            return Vec::new();
        }
        match &self.opening_hours {
            None => OpeningHours::always().spans_of(self.timezone.zone(), date),
            Some(hours) => hours.spans_of(self.timezone.zone(), date),
        }
    }

    /// The calendar date of `now` in the restaurant's time zone.
    pub fn today(&self, now: Timestamp) -> Date {
        now.to_zoned_datetime(self.timezone.zone().clone()).date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap()
    }

    #[test]
    fn currencies_are_iso_codes_with_their_minor_units() {
        assert_eq!(Currency::parse("EUR").unwrap().decimals(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().decimals(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().decimals(), 3);
        for bad in ["usd", "US", "USDD", "XXX", "ABC", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales_and_time_zones_are_checked() {
        for good in ["en-US", "fr-FR", "de", "zh-Hant-TW", "es-419"] {
            Locale::parse(good).unwrap();
        }
        for bad in ["", "e", "english-US", "en_US", "en-", "en-US-toolongsubtag"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
        for good in ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"] {
            TimeZoneName::parse(good).unwrap();
        }
        for bad in [
            "",
            "Mars/Olympus",
            "Europe/Paris ",
            "../etc/passwd",
            "EST5EDT,M3.2.0",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_and_ranges_are_checked() {
        assert_eq!(TimeOfDay::parse("09:30").unwrap().minutes(), 570);
        assert_eq!(TimeOfDay::parse("24:00").unwrap().minutes(), 1440);
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "1200", ""] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
        assert!(OpeningHours::parse([("monday", vec![("10:00", "11:00")])]).is_err());
        // An end equal to the start: 24 hours from the start.
        let day = OpeningHours::parse([("mon", vec![("10:00", "10:00")])]).unwrap();
        let status = day.status(&TimeZone::UTC, at("2026-12-01T09:59:00Z"));
        assert_eq!(
            status,
            OpenStatus {
                open_now: true,
                next_change: Some(at("2026-12-01T10:00:00Z"))
            }
        );
        OpeningHours::parse([("mon", vec![("00:00", "24:00")])]).unwrap();
    }

    #[test]
    fn open_and_next_change_in_the_restaurant_s_time_zone() {
        // Weekdays 11:00-14:00 and 18:00-22:00, Friday until 01:00, Paris time (UTC+1 in November).
        let hours = OpeningHours::parse([
            ("mon", vec![("11:00", "14:00"), ("18:00", "22:00")]),
            ("fri", vec![("18:00", "01:00")]),
        ])
        .unwrap();
        // Monday 2026-11-30 12:00 Paris = 11:00 UTC: open until 14:00 Paris.
        let status = hours.status(&paris(), at("2026-11-30T11:00:00Z"));
        assert!(status.open_now);
        assert_eq!(status.next_change, Some(at("2026-11-30T13:00:00Z")));
        // Monday 15:00 Paris: closed, opens 18:00.
        let status = hours.status(&paris(), at("2026-11-30T14:00:00Z"));
        assert!(!status.open_now);
        assert_eq!(status.next_change, Some(at("2026-11-30T17:00:00Z")));
        // Saturday 00:30 Paris: Friday's range runs past midnight.
        let status = hours.status(&paris(), at("2026-12-04T23:30:00Z"));
        assert!(status.open_now);
        assert_eq!(status.next_change, Some(at("2026-12-05T00:00:00Z")));
        // Sunday: closed until Monday 11:00.
        let status = hours.status(&paris(), at("2026-12-06T12:00:00Z"));
        assert!(!status.open_now);
        assert_eq!(status.next_change, Some(at("2026-12-07T10:00:00Z")));
    }

    #[test]
    fn always_open_has_no_next_change_and_no_hours_never_open() {
        let all_week =
            OpeningHours::parse(DAYS.iter().map(|d| (*d, vec![("00:00", "24:00")]))).unwrap();
        let status = all_week.status(&paris(), at("2026-11-30T11:00:00Z"));
        assert_eq!(
            status,
            OpenStatus {
                open_now: true,
                next_change: None
            }
        );
        let never = OpeningHours::default().status(&paris(), at("2026-11-30T11:00:00Z"));
        assert_eq!(
            never,
            OpenStatus {
                open_now: false,
                next_change: None
            }
        );
        let settings = StoreSettings::default();
        assert!(settings.status(at("2026-11-30T11:00:00Z")).open_now);
    }
}
