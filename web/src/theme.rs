//! Colour helpers for the theme: which text colour reads well on the tenant's primary colour.

/// `#rgb` or `#rrggbb` as 8-bit channels; `None` for anything else.
pub fn parse_hex(color: &str) -> Option<(u8, u8, u8)> {
    let hex = color.strip_prefix('#')?;
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        3 => {
            let d = |i: usize| channel(&hex[i..=i]).map(|v| v * 17);
            Some((d(0)?, d(1)?, d(2)?))
        }
        6 => Some((
            channel(&hex[0..2])?,
            channel(&hex[2..4])?,
            channel(&hex[4..6])?,
        )),
        _ => None,
    }
}

/// WCAG relative luminance, 0 (black) to 1 (white).
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn contrast(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    (hi + 0.05) / (lo + 0.05)
}

/// The text colour (near-black or white) with the better contrast on `primary`.
pub fn on_color(primary: &str) -> &'static str {
    const DARK: &str = "#111827";
    const LIGHT: &str = "#ffffff";
    let Some(rgb) = parse_hex(primary) else {
        return LIGHT;
    };
    let background = luminance(rgb);
    let dark = luminance((0x11, 0x18, 0x27));
    if contrast(background, dark) > contrast(background, 1.0) {
        DARK
    } else {
        LIGHT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_hex_colours_parse_alike() {
        assert_eq!(parse_hex("#f00"), Some((255, 0, 0)));
        assert_eq!(parse_hex("#ff0000"), Some((255, 0, 0)));
        assert_eq!(parse_hex("#1F6FEB"), Some((0x1f, 0x6f, 0xeb)));
        assert_eq!(parse_hex("red"), None);
        assert_eq!(parse_hex("#ff00"), None);
    }

    #[test]
    fn text_on_dark_colours_is_white_and_on_light_colours_dark() {
        assert_eq!(on_color("#c8102e"), "#ffffff");
        assert_eq!(on_color("#1f6feb"), "#ffffff");
        assert_eq!(on_color("#000"), "#ffffff");
        assert_eq!(on_color("#ffff00"), "#111827");
        assert_eq!(on_color("#fff"), "#111827");
        assert_eq!(on_color("#f59e0b"), "#111827");
    }
}
