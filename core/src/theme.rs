//! The "Chameleon" theme engine: a tenant's brand as a colour and a font, and the CSS custom
//! properties the storefront applies.
//!
//! The CSS is generated here, from validated values only: a colour is `#rgb` or `#rrggbb` and a
//! font comes from an allow-list, so nothing a client sends can break out of the `:root` block.

use std::fmt;

use chameleon_rules::codes::FONTS;
use chameleon_rules::formats::COLOR_HEX_DIGITS;

use thiserror::Error;

/// A tenant's brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub primary_color: ThemeColor,
    pub font: Font,
}

impl Theme {
    /// The Chameleon block, e.g. `:root { --primary: #ff0000; --font: sans-serif; }`.
    pub fn css(&self) -> String {
        format!(
            ":root {{ --primary: {}; --font: {}; }}",
            self.primary_color,
            self.font.css_stack()
        )
    }
}

/// A colour written `#rgb` or `#rrggbb`, kept in lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeColor(String);

impl ThemeColor {
    pub fn parse(raw: &str) -> Result<Self, ThemeColorError> {
        let hex = raw.strip_prefix('#').ok_or(ThemeColorError)?;
        if COLOR_HEX_DIGITS.contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ThemeColorError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ThemeColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text is not `#rgb` or `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("primary_color must be a hex colour written #rgb or #rrggbb")]
pub struct ThemeColorError;

/// The fonts a theme may name: CSS's generic families and a few named families found on nearly
/// every system, so no font file has to be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Serif,
    SansSerif,
    Monospace,
    Cursive,
    Fantasy,
    SystemUi,
    UiSerif,
    UiSansSerif,
    UiMonospace,
    UiRounded,
    Arial,
    Helvetica,
    Verdana,
    Tahoma,
    TrebuchetMs,
    Georgia,
    Garamond,
    TimesNewRoman,
    CourierNew,
}

impl Font {
    /// Every allowed font, in the order the error message lists them.
    pub const ALL: [Font; 19] = [
        Font::Serif,
        Font::SansSerif,
        Font::Monospace,
        Font::Cursive,
        Font::Fantasy,
        Font::SystemUi,
        Font::UiSerif,
        Font::UiSansSerif,
        Font::UiMonospace,
        Font::UiRounded,
        Font::Arial,
        Font::Helvetica,
        Font::Verdana,
        Font::Tahoma,
        Font::TrebuchetMs,
        Font::Georgia,
        Font::Garamond,
        Font::TimesNewRoman,
        Font::CourierNew,
    ];

    /// Matches a name of the allow-list ([`chameleon_rules::codes::FONTS`]), written exactly
    /// so: what the OpenAPI document's pattern admits.
    pub fn parse(raw: &str) -> Result<Self, FontError> {
        Self::ALL
            .into_iter()
            .find(|font| font.name() == raw)
            .ok_or(FontError)
    }

    /// The canonical name, as stored and returned to clients ([`FONTS`], where [`Font::ALL`]
    /// stands in the same order: a test keeps them so).
    pub fn name(self) -> &'static str {
        FONTS[self as usize]
    }

    /// The value of `--font`: a generic family alone, a named family quoted and followed by the
    /// generic family to fall back on.
    pub fn css_stack(self) -> &'static str {
        match self {
            Font::Serif
            | Font::SansSerif
            | Font::Monospace
            | Font::Cursive
            | Font::Fantasy
            | Font::SystemUi
            | Font::UiSerif
            | Font::UiSansSerif
            | Font::UiMonospace
            | Font::UiRounded => self.name(),
            Font::Arial => "\"Arial\", sans-serif",
            Font::Helvetica => "\"Helvetica\", sans-serif",
            Font::Verdana => "\"Verdana\", sans-serif",
            Font::Tahoma => "\"Tahoma\", sans-serif",
            Font::TrebuchetMs => "\"Trebuchet MS\", sans-serif",
            Font::Georgia => "\"Georgia\", serif",
            Font::Garamond => "\"Garamond\", serif",
            Font::TimesNewRoman => "\"Times New Roman\", serif",
            Font::CourierNew => "\"Courier New\", monospace",
        }
    }
}

/// The font is not on the allow-list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("font must be one of: {}", FONTS.join(", "))]
pub struct FontError;

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(color: &str, font: &str) -> Theme {
        Theme {
            primary_color: ThemeColor::parse(color).unwrap(),
            font: Font::parse(font).unwrap(),
        }
    }

    #[test]
    fn the_seed_theme_produces_the_seed_css() {
        assert_eq!(
            theme("#ff0000", "sans-serif").css(),
            ":root { --primary: #ff0000; --font: sans-serif; }"
        );
    }

    #[test]
    fn named_fonts_are_quoted_with_a_generic_fallback() {
        assert_eq!(
            theme("#0A0", "Times New Roman").css(),
            ":root { --primary: #0a0; --font: \"Times New Roman\", serif; }"
        );
    }

    #[test]
    fn colours_must_be_short_or_long_hex() {
        for good in ["#fff", "#FFFFFF", "#a1b2c3"] {
            assert!(ThemeColor::parse(good).is_ok(), "{good:?} was rejected");
        }
        for bad in [
            "",
            "#",
            "red",
            "ff0000",
            "#ff00",
            "#ff00000",
            "#gggggg",
            "#ff0000; } body { display:none",
            "#fff;",
            "rgb(1,2,3)",
            " #fff",
        ] {
            assert!(ThemeColor::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fonts_off_the_allow_list_are_rejected() {
        for bad in [
            "",
            "Comic Sans MS",
            "sans-serif; } body { background: url(x)",
            "\"Arial\"",
            "serif,monospace",
            // Names are written as listed: what the OpenAPI document's pattern admits.
            "times new roman",
            " serif",
            "SERIF",
        ] {
            assert!(Font::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn every_allowed_font_round_trips_through_its_name() {
        for font in Font::ALL {
            assert_eq!(Font::parse(font.name()).unwrap(), font);
            assert!(FontError.to_string().contains(font.name()));
        }
        assert_eq!(
            Font::ALL.len(),
            FONTS.len(),
            "one Font per name of the rules"
        );
    }
}
