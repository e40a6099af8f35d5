//! Money is integer cents everywhere; this is the one place it becomes text.

/// `1200` → `"12.00"`, `5` → `"0.05"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_are_shown_with_two_decimals() {
        assert_eq!(format_cents(1200), "12.00");
        assert_eq!(format_cents(1250), "12.50");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(10_000_000), "100000.00");
        assert_eq!(format_cents(-199), "-1.99");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }
}
