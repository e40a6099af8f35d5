//! Times worded for the customer in the restaurant's own time zone and locale, through the
//! browser's `Intl.DateTimeFormat`: whether it is open ("Open now · closes 10:00 PM", "Closed ·
//! opens Mon 11:00"), when a sold-out dish is back ("Back at 2:30 PM"), the days and times an
//! order can be picked up at, and when it will be ("Pickup tomorrow at 6:30 PM").

use chameleon_wire::{Order, StoreConfig};

use crate::pickup::pickup_phrase;
#[cfg(target_arch = "wasm32")]
use crate::pickup::us_day_number;

/// How this restaurant's times read: in its own time zone and locale. Provided to every
/// component by the storefront.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub locale: String,
    pub timezone: String,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            locale: "en-US".to_owned(),
            timezone: "UTC".to_owned(),
        }
    }
}

impl Clock {
    pub fn of(config: &StoreConfig) -> Clock {
        Clock {
            locale: config.locale.clone(),
            timezone: config.timezone.clone(),
        }
    }

    /// When a sold-out dish comes back: "Back at 2:30 PM" today, "Back Tue 2:30 PM" on
    /// another day.
    pub fn back_at(&self, at: &str) -> String {
        #[cfg(target_arch = "wasm32")]
        {
            let date = js_sys::Date::new(&at.into());
            let day = [
                ("year", "numeric"),
                ("month", "numeric"),
                ("day", "numeric"),
            ];
            let today = self.intl(&js_sys::Date::new_0(), &day);
            let same_day = today.is_some() && today == self.intl(&date, &day);
            if same_day && let Some(time) = self.intl(&date, &TIME) {
                return format!("Back at {time}");
            }
            if let Some(when) = self.intl(&date, &[("weekday", "short"), TIME[0], TIME[1]]) {
                return format!("Back {when}");
            }
        }
        format!("Back at {at}")
    }

    /// `at` (RFC 3339) as a weekday and time.
    fn weekday_time(&self, at: &str) -> String {
        #[cfg(target_arch = "wasm32")]
        {
            let fields = [
                ("weekday", "short"),
                ("hour", "numeric"),
                ("minute", "2-digit"),
            ];
            if let Some(text) = self.intl(&js_sys::Date::new(&at.into()), &fields) {
                return text;
            }
        }
        at.to_owned()
    }

    /// The time of day of `at` (RFC 3339): "6:30 PM", "18:30".
    pub fn time(&self, at: &str) -> String {
        #[cfg(target_arch = "wasm32")]
        if let Some(text) = self.intl(&js_sys::Date::new(&at.into()), &TIME) {
            return text;
        }
        at.get(11..16).unwrap_or(at).to_owned()
    }

    /// A day of the pickup day picker, `n` days after today: "Today", "Tomorrow", "Sat, Dec 12".
    pub fn day_label(&self, date: &str, n: usize) -> String {
        match n {
            0 => return "Today".to_owned(),
            1 => return "Tomorrow".to_owned(),
            _ => {}
        }
        #[cfg(target_arch = "wasm32")]
        {
            // The date itself, whatever the zone: noon UTC, read in UTC.
            let noon = js_sys::Date::new(&format!("{date}T12:00:00Z").into());
            let fields = [("weekday", "short"), ("day", "numeric"), ("month", "short")];
            if let Some(text) = format(&self.locale, "UTC", &noon, &fields) {
                return text;
            }
        }
        date.to_owned()
    }

    /// When the order is to be picked up ("Pickup at 6:30 PM") or, for as soon as possible,
    /// ready ("Ready about 6:05 PM"), with the day when it is not today; `None` when the order
    /// says neither.
    pub fn pickup_time(&self, order: &Order) -> Option<String> {
        let (at, scheduled) = match (&order.pickup_at, &order.ready_at) {
            (Some(at), _) => (at.as_str(), true),
            (None, Some(at)) => (at.as_str(), false),
            (None, None) => return None,
        };
        #[cfg(target_arch = "wasm32")]
        let (days, dated) = {
            let date = js_sys::Date::new(&at.into());
            let days = self
                .day_number(&date)
                .zip(self.day_number(&js_sys::Date::new_0()))
                .map(|(then, today)| then - today);
            let fields = [
                ("weekday", "short"),
                ("day", "numeric"),
                ("month", "short"),
                TIME[0],
                TIME[1],
            ];
            (
                days,
                self.intl(&date, &fields).unwrap_or_else(|| at.to_owned()),
            )
        };
        #[cfg(not(target_arch = "wasm32"))]
        let (days, dated) = (None, at.to_owned());
        Some(pickup_phrase(scheduled, days, &self.time(at), &dated))
    }

    /// The restaurant's date of `date`, as days since 1970-01-01.
    #[cfg(target_arch = "wasm32")]
    fn day_number(&self, date: &js_sys::Date) -> Option<i64> {
        // en-US, whatever the restaurant's locale: a shape that can be read back.
        let fields = [
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
        ];
        us_day_number(&format("en-US", &self.timezone, date, &fields)?)
    }

    /// `date` with the `fields` of `Intl.DateTimeFormat`'s options, in this zone and locale.
    #[cfg(target_arch = "wasm32")]
    fn intl(&self, date: &js_sys::Date, fields: &[(&str, &str)]) -> Option<String> {
        format(&self.locale, &self.timezone, date, fields)
    }
}

/// `Intl.DateTimeFormat`'s fields for a time of day.
#[cfg(target_arch = "wasm32")]
const TIME: [(&str, &str); 2] = [("hour", "numeric"), ("minute", "2-digit")];

/// `date` with the `fields` of `Intl.DateTimeFormat`'s options, in `zone` and `locale`.
#[cfg(target_arch = "wasm32")]
fn format(
    locale: &str,
    zone: &str,
    date: &js_sys::Date,
    fields: &[(&str, &str)],
) -> Option<String> {
    use wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    let zone = ("timeZone", zone);
    for (key, value) in std::iter::once(&zone).chain(fields) {
        js_sys::Reflect::set(&options, &(*key).into(), &(*value).into()).ok()?;
    }
    let locales = js_sys::Array::of1(&locale.into());
    let format = js_sys::Intl::DateTimeFormat::new(&locales, &options);
    format
        .format()
        .call1(&JsValue::NULL, date)
        .ok()?
        .as_string()
}

/// The header's line about the opening hours; `None` for a restaurant that is always open.
pub fn open_status(config: &StoreConfig) -> Option<String> {
    let clock = Clock::of(config);
    let when = config
        .next_change
        .as_deref()
        .map(|at| clock.weekday_time(at));
    match (config.open_now, when) {
        (true, None) => None,
        (true, Some(at)) => Some(format!("Open now · closes {at}")),
        (false, Some(at)) => Some(format!("Closed · opens {at}")),
        (false, None) => Some("Closed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chameleon_wire::Theme;
    use uuid::Uuid;

    fn config(open_now: bool, next_change: Option<&str>) -> StoreConfig {
        StoreConfig {
            tenant_id: Uuid::nil(),
            name: "X".into(),
            theme: Theme {
                primary_color: "#000".into(),
                font: "serif".into(),
            },
            css: String::new(),
            currency: "USD".into(),
            locale: "en-US".into(),
            timezone: "UTC".into(),
            open_now,
            next_change: next_change.map(str::to_owned),
            accepting_orders: true,
            busy_extra_minutes: 0,
            prep_minutes: 20,
            slot_minutes: 15,
            schedule_days_ahead: 6,
        }
    }

    #[test]
    fn the_status_says_open_or_closed_and_when_that_changes() {
        assert_eq!(open_status(&config(true, None)), None);
        let closes = open_status(&config(true, Some("2026-11-30T22:00:00Z"))).unwrap();
        assert!(closes.starts_with("Open now · closes "), "{closes}");
        let opens = open_status(&config(false, Some("2026-11-30T11:00:00Z"))).unwrap();
        assert!(opens.starts_with("Closed · opens "), "{opens}");
        assert_eq!(open_status(&config(false, None)).unwrap(), "Closed");
    }

    #[test]
    fn a_scheduled_order_shows_its_slot_and_another_when_it_will_be_ready() {
        let order = |pickup_at: Option<&str>, ready_at: Option<&str>| Order {
            order_id: Uuid::nil(),
            status: "PENDING".into(),
            total_amount: 0,
            items: Vec::new(),
            customer: "Ann".into(),
            created_at: String::new(),
            pickup_at: pickup_at.map(str::to_owned),
            ready_at: ready_at.map(str::to_owned),
            tracking_token: None,
        };
        let clock = Clock::default();
        let slot = "2026-12-08T18:30:00+01:00";
        let quote = "2026-12-08T18:05:00+01:00";
        let scheduled = clock.pickup_time(&order(Some(slot), Some(slot))).unwrap();
        assert!(scheduled.starts_with("Pickup "), "{scheduled}");
        let asap = clock.pickup_time(&order(None, Some(quote))).unwrap();
        assert!(asap.starts_with("Ready about "), "{asap}");
        assert_eq!(clock.pickup_time(&order(None, None)), None);
        assert_eq!(
            clock.time(slot),
            "18:30",
            "without Intl, the time as written"
        );
    }
}
