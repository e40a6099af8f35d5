//! Times worded for the customer in the restaurant's own time zone and locale, through the
//! browser's `Intl.DateTimeFormat`: whether it is open ("Open now · closes 10:00 PM", "Closed ·
//! opens Mon 11:00") and when a sold-out dish is back ("Back at 2:30 PM").

use chameleon_wire::StoreConfig;

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
            let time = [("hour", "numeric"), ("minute", "2-digit")];
            if same_day && let Some(time) = self.intl(&date, &time) {
                return format!("Back at {time}");
            }
            if let Some(when) = self.intl(&date, &[("weekday", "short"), time[0], time[1]]) {
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

    /// `date` with the `fields` of `Intl.DateTimeFormat`'s options, in this zone and locale.
    #[cfg(target_arch = "wasm32")]
    fn intl(&self, date: &js_sys::Date, fields: &[(&str, &str)]) -> Option<String> {
        use wasm_bindgen::JsValue;
        let options = js_sys::Object::new();
        let zone = ("timeZone", self.timezone.as_str());
        for (key, value) in std::iter::once(&zone).chain(fields) {
            js_sys::Reflect::set(&options, &(*key).into(), &(*value).into()).ok()?;
        }
        let locales = js_sys::Array::of1(&self.locale.as_str().into());
        let format = js_sys::Intl::DateTimeFormat::new(&locales, &options);
        format
            .format()
            .call1(&JsValue::NULL, date)
            .ok()?
            .as_string()
    }
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
}
