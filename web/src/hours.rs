//! Whether the restaurant is open, worded for the customer in its own time zone and locale
//! ("Open now · closes 10:00 PM", "Closed · opens Mon 11:00"), through the browser's
//! `Intl.DateTimeFormat`.

use chameleon_wire::StoreConfig;

/// The header's line about the opening hours; `None` for a restaurant that is always open.
pub fn open_status(config: &StoreConfig) -> Option<String> {
    let when = config
        .next_change
        .as_deref()
        .map(|at| local_time(config, at));
    match (config.open_now, when) {
        (true, None) => None,
        (true, Some(at)) => Some(format!("Open now · closes {at}")),
        (false, Some(at)) => Some(format!("Closed · opens {at}")),
        (false, None) => Some("Closed".to_owned()),
    }
}

/// `at` (RFC 3339) as a weekday and time in the restaurant's zone and locale.
fn local_time(config: &StoreConfig, at: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(text) = intl(config, at) {
        return text;
    }
    let _ = config;
    at.to_owned()
}

#[cfg(target_arch = "wasm32")]
fn intl(config: &StoreConfig, at: &str) -> Option<String> {
    use wasm_bindgen::JsValue;
    let options = js_sys::Object::new();
    for (key, value) in [
        ("timeZone", config.timezone.as_str()),
        ("weekday", "short"),
        ("hour", "numeric"),
        ("minute", "2-digit"),
    ] {
        js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    let locales = js_sys::Array::of1(&config.locale.as_str().into());
    let format = js_sys::Intl::DateTimeFormat::new(&locales, &options);
    let date = js_sys::Date::new(&JsValue::from_str(at));
    format
        .format()
        .call1(&JsValue::NULL, &date)
        .ok()?
        .as_string()
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
