//! Money is integer minor units (cents, yen, fils) everywhere; this is the one place it becomes
//! text, in the restaurant's currency and locale (`$13.50`, `13,50 €`, `¥1,350`), through the
//! browser's own `Intl.NumberFormat`: no formatting tables in the WASM.

/// How this restaurant's prices read. Provided to every component by the storefront.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub currency: String,
    pub locale: String,
}

impl Default for Pricing {
    fn default() -> Self {
        Self {
            currency: "USD".to_owned(),
            locale: "en-US".to_owned(),
        }
    }
}

impl Pricing {
    /// `minor` units of the currency as the locale writes them.
    pub fn format(&self, minor: i64) -> String {
        #[cfg(target_arch = "wasm32")]
        if let Some(text) = self.intl(minor) {
            return text;
        }
        format!("{} {}", self.currency, format_minor(minor, 2))
    }

    /// What an option adds to a price: `+1,00 €`; a reduction keeps its minus sign.
    pub fn format_delta(&self, minor: i64) -> String {
        let amount = self.format(minor);
        if minor > 0 {
            format!("+{amount}")
        } else {
            amount
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn intl(&self, minor: i64) -> Option<String> {
        use wasm_bindgen::JsValue;
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"style".into(), &"currency".into()).ok()?;
        js_sys::Reflect::set(&options, &"currency".into(), &self.currency.as_str().into()).ok()?;
        let locales = js_sys::Array::of1(&self.locale.as_str().into());
        let format = js_sys::Intl::NumberFormat::new(&locales, &options);
        // The currency's own minor units (0 for JPY, 3 for KWD), as Intl knows them.
        let digits =
            js_sys::Reflect::get(&format.resolved_options(), &"maximumFractionDigits".into())
                .ok()?
                .as_f64()?;
        let major = minor as f64 / 10f64.powi(digits as i32);
        format
            .format()
            .call1(&JsValue::NULL, &major.into())
            .ok()?
            .as_string()
    }
}

/// `1200` with 2 decimals → `"12.00"`, `5` → `"0.05"`; a fallback where there is no `Intl`.
pub fn format_minor(minor: i64, decimals: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(decimals);
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_are_shown_with_the_currency_s_decimals() {
        assert_eq!(format_minor(1200, 2), "12.00");
        assert_eq!(format_minor(1250, 2), "12.50");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(0, 2), "0.00");
        assert_eq!(format_minor(1350, 0), "1350");
        assert_eq!(format_minor(13500, 3), "13.500");
        assert_eq!(format_minor(-199, 2), "-1.99");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
    }

    #[test]
    fn without_intl_the_code_comes_first() {
        assert_eq!(Pricing::default().format(1350), "USD 13.50");
    }

    #[test]
    fn a_delta_says_whether_it_adds_or_takes_off() {
        let pricing = Pricing::default();
        assert_eq!(pricing.format_delta(250), "+USD 2.50");
        assert_eq!(pricing.format_delta(-50), "USD -0.50");
        assert_eq!(pricing.format_delta(0), "USD 0.00");
    }
}
