//! The closed lists: a value is one of these, written exactly so.

/// An ISO 4217 currency and the digits of its minor unit: every amount of the API is an integer
/// of 10^-`minor_units` of the currency (cents, yen, fils).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyRule {
    pub code: &'static str,
    pub minor_units: u8,
}

const fn c(code: &'static str, minor_units: u8) -> CurrencyRule {
    CurrencyRule { code, minor_units }
}

/// The active ISO 4217 currencies a restaurant may trade in, in alphabetical order.
pub const CURRENCIES: &[CurrencyRule] = &[
    c("AED", 2),
    c("AFN", 2),
    c("ALL", 2),
    c("AMD", 2),
    c("ANG", 2),
    c("AOA", 2),
    c("ARS", 2),
    c("AUD", 2),
    c("AWG", 2),
    c("AZN", 2),
    c("BAM", 2),
    c("BBD", 2),
    c("BDT", 2),
    c("BGN", 2),
    c("BHD", 3),
    c("BIF", 0),
    c("BMD", 2),
    c("BND", 2),
    c("BOB", 2),
    c("BRL", 2),
    c("BSD", 2),
    c("BTN", 2),
    c("BWP", 2),
    c("BYN", 2),
    c("BZD", 2),
    c("CAD", 2),
    c("CDF", 2),
    c("CHF", 2),
    c("CLP", 0),
    c("CNY", 2),
    c("COP", 2),
    c("CRC", 2),
    c("CUP", 2),
    c("CVE", 2),
    c("CZK", 2),
    c("DJF", 0),
    c("DKK", 2),
    c("DOP", 2),
    c("DZD", 2),
    c("EGP", 2),
    c("ERN", 2),
    c("ETB", 2),
    c("EUR", 2),
    c("FJD", 2),
    c("FKP", 2),
    c("GBP", 2),
    c("GEL", 2),
    c("GHS", 2),
    c("GIP", 2),
    c("GMD", 2),
    c("GNF", 0),
    c("GTQ", 2),
    c("GYD", 2),
    c("HKD", 2),
    c("HNL", 2),
    c("HTG", 2),
    c("HUF", 2),
    c("IDR", 2),
    c("ILS", 2),
    c("INR", 2),
    c("IQD", 3),
    c("IRR", 2),
    c("ISK", 0),
    c("JMD", 2),
    c("JOD", 3),
    c("JPY", 0),
    c("KES", 2),
    c("KGS", 2),
    c("KHR", 2),
    c("KMF", 0),
    c("KPW", 2),
    c("KRW", 0),
    c("KWD", 3),
    c("KYD", 2),
    c("KZT", 2),
    c("LAK", 2),
    c("LBP", 2),
    c("LKR", 2),
    c("LRD", 2),
    c("LSL", 2),
    c("LYD", 3),
    c("MAD", 2),
    c("MDL", 2),
    c("MGA", 2),
    c("MKD", 2),
    c("MMK", 2),
    c("MNT", 2),
    c("MOP", 2),
    c("MRU", 2),
    c("MUR", 2),
    c("MVR", 2),
    c("MWK", 2),
    c("MXN", 2),
    c("MYR", 2),
    c("MZN", 2),
    c("NAD", 2),
    c("NGN", 2),
    c("NIO", 2),
    c("NOK", 2),
    c("NPR", 2),
    c("NZD", 2),
    c("OMR", 3),
    c("PAB", 2),
    c("PEN", 2),
    c("PGK", 2),
    c("PHP", 2),
    c("PKR", 2),
    c("PLN", 2),
    c("PYG", 0),
    c("QAR", 2),
    c("RON", 2),
    c("RSD", 2),
    c("RUB", 2),
    c("RWF", 0),
    c("SAR", 2),
    c("SBD", 2),
    c("SCR", 2),
    c("SDG", 2),
    c("SEK", 2),
    c("SGD", 2),
    c("SHP", 2),
    c("SLE", 2),
    c("SOS", 2),
    c("SRD", 2),
    c("SSP", 2),
    c("STN", 2),
    c("SVC", 2),
    c("SYP", 2),
    c("SZL", 2),
    c("THB", 2),
    c("TJS", 2),
    c("TMT", 2),
    c("TND", 3),
    c("TOP", 2),
    c("TRY", 2),
    c("TTD", 2),
    c("TWD", 2),
    c("TZS", 2),
    c("UAH", 2),
    c("UGX", 0),
    c("USD", 2),
    c("UYU", 2),
    c("UZS", 2),
    c("VES", 2),
    c("VND", 0),
    c("VUV", 0),
    c("WST", 2),
    c("XAF", 0),
    c("XCD", 2),
    c("XOF", 0),
    c("XPF", 0),
    c("YER", 2),
    c("ZAR", 2),
    c("ZMW", 2),
    c("ZWL", 2),
];

/// The currency of a restaurant that names none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// The locale of a restaurant that names none.
pub const DEFAULT_LOCALE: &str = "en-US";

/// The time zone of a restaurant that names none.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// A dietary or allergen mark: its code in the API, and how a storefront labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRule {
    pub code: &'static str,
    pub label: &'static str,
}

/// Every tag, in the order a dish lists them.
pub const TAGS: &[TagRule] = &[
    TagRule {
        code: "vegetarian",
        label: "Vegetarian",
    },
    TagRule {
        code: "vegan",
        label: "Vegan",
    },
    TagRule {
        code: "gluten-free",
        label: "Gluten-free",
    },
    TagRule {
        code: "dairy-free",
        label: "Dairy-free",
    },
    TagRule {
        code: "halal",
        label: "Halal",
    },
    TagRule {
        code: "spicy",
        label: "Spicy",
    },
    TagRule {
        code: "contains-nuts",
        label: "Contains nuts",
    },
    TagRule {
        code: "contains-shellfish",
        label: "Contains shellfish",
    },
];

/// The fonts a theme may name, exactly so: CSS's generic families, and a few named families
/// found on nearly every system (no font file is ever loaded).
pub const FONTS: &[&str] = &[
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
    "Arial",
    "Helvetica",
    "Verdana",
    "Tahoma",
    "Trebuchet MS",
    "Georgia",
    "Garamond",
    "Times New Roman",
    "Courier New",
];

/// An order's statuses, in the order an order goes through them (CANCELLED last).
pub const ORDER_STATUSES: &[&str] = &["PENDING", "CONFIRMED", "READY", "COMPLETED", "CANCELLED"];

/// A restaurant's statuses.
pub const TENANT_STATUSES: &[&str] = &["active", "suspended"];

/// The days of the week as opening hours name them, Monday first.
pub const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_sorted_unique_and_three_capitals() {
        for pair in CURRENCIES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{pair:?}");
        }
        for currency in CURRENCIES {
            assert!(
                currency.code.len() == 3 && currency.code.bytes().all(|b| b.is_ascii_uppercase())
            );
            assert!(currency.minor_units <= 3);
        }
        assert!(CURRENCIES.iter().any(|c| c.code == DEFAULT_CURRENCY));
    }
}
