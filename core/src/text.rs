//! Shared parsing of short human-entered text (names of items, customers and restaurants).
//!
//! The rules (how long, which characters) are data in [`chameleon_rules::text`]; this module
//! applies them. Text is stored in Unicode normal form C, so the same name typed on two keyboards
//! is the same string. Characters that change how text around them is shown without being seen
//! themselves are refused: bidirectional overrides and isolates (a manager could be shown `Ann`
//! for a name whose bytes say something else), zero-width characters, and line or paragraph
//! separators.

use chameleon_rules::text::{INVISIBLE_FORMATTING, TextClass, TextRule, in_ranges};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization as _;

/// Why a piece of human-entered text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// Nothing but whitespace (or nothing at all) was given.
    #[error("must not be blank")]
    Blank,
    /// More characters than allowed, counted after trimming.
    #[error("must be at most {max} characters, got {actual}")]
    TooLong { max: usize, actual: usize },
    /// A control character (newline, tab, NUL, ...) inside the text.
    #[error("must not contain control characters")]
    ControlCharacter,
    /// An invisible formatting character: a bidirectional control, a zero-width character, a
    /// line or paragraph separator.
    #[error("must not contain invisible formatting characters (found U+{0:04X})")]
    InvisibleCharacter(u32),
}

/// Checks `raw` against `rule` (see [`chameleon_rules::text`]): at most `rule.max_chars`
/// characters (Unicode scalar values, as sent: the API's documented `maxLength`), none of them
/// a character the rule's class refuses, anywhere (at either end too: what the OpenAPI
/// document's pattern says). Then normalizes to NFC, trims, and checks something is left.
/// Returns the trimmed, normalized text.
pub(crate) fn parse_line(raw: &str, rule: &TextRule) -> Result<String, TextError> {
    let sent = raw.chars().count();
    if sent > rule.max_chars {
        return Err(TextError::TooLong {
            max: rule.max_chars,
            actual: sent,
        });
    }
    if let Some(c) = raw.chars().find(|c| rule.class.refuses(*c)) {
        return Err(if in_ranges(c, INVISIBLE_FORMATTING) {
            TextError::InvisibleCharacter(u32::from(c))
        } else {
            TextError::ControlCharacter
        });
    }
    let normalized: String = raw.nfc().collect();
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    Ok(trimmed.to_owned())
}

/// Like [`parse_line`], for a few lines of prose (a dish's description, `rule.class` being
/// [`TextClass::Prose`]): line breaks are kept (`\r\n` and `\r` become `\n`, at most two in a
/// row, none at either end), every other control character is refused.
pub(crate) fn parse_text(raw: &str, rule: &TextRule) -> Result<String, TextError> {
    debug_assert_eq!(rule.class, TextClass::Prose);
    let checked = parse_line(raw, rule)?;
    let unified = checked.replace("\r\n", "\n").replace('\r', "\n");
    // Blank lines at either end go; inside, a run of them becomes one paragraph break.
    let mut text = String::new();
    let mut blank_run = false;
    for line in unified.split('\n').map(str::trim) {
        if line.is_empty() {
            blank_run = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        text.push_str(line);
    }
    if text.is_empty() {
        return Err(TextError::Blank);
    }
    Ok(text)
}

/// `a, b and c` (or `a, b or c`): a list of allowed values in a message.
pub(crate) fn listing<'a>(items: impl Iterator<Item = &'a str>, conjunction: &str) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(max_chars: usize) -> TextRule {
        TextRule {
            what: "a test line",
            max_chars,
            class: TextClass::Line,
        }
    }

    fn prose(max_chars: usize) -> TextRule {
        TextRule {
            what: "a test text",
            max_chars,
            class: TextClass::Prose,
        }
    }

    #[test]
    fn surrounding_spaces_are_trimmed() {
        assert_eq!(parse_line("  Burger  ", &line(10)).unwrap(), "Burger");
    }

    #[test]
    fn whitespace_only_text_is_blank() {
        assert_eq!(parse_line(" \u{a0} ", &line(10)), Err(TextError::Blank));
        assert_eq!(parse_line("", &line(10)), Err(TextError::Blank));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(parse_line("ééééé", &line(5)).is_ok());
        assert_eq!(
            parse_line("éééééé", &line(5)),
            Err(TextError::TooLong { max: 5, actual: 6 })
        );
    }

    #[test]
    fn text_is_stored_in_normal_form_c() {
        // "é" as e + combining acute accent becomes the single precomposed character.
        assert_eq!(parse_line("Cafe\u{301}", &line(10)).unwrap(), "Caf\u{e9}");
        assert_eq!(
            parse_line("Cafe\u{301}", &line(5)).unwrap().chars().count(),
            4
        );
    }

    #[test]
    fn the_length_limit_counts_what_was_sent() {
        // As the API documents it (maxLength): spaces and combining marks count.
        assert!(parse_line("Cafe\u{301}", &line(4)).is_err());
        assert!(parse_line(" abc ", &line(4)).is_err());
        assert_eq!(parse_line(" abc", &line(4)).unwrap(), "abc");
    }

    #[test]
    fn bidi_controls_zero_width_and_separators_are_refused() {
        for bad in [
            "Ann\u{202E}nnA",
            "a\u{202A}b",
            "a\u{2066}b\u{2069}",
            "a\u{200B}b",
            "a\u{200D}b",
            "a\u{FEFF}b",
            "a\u{2060}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{200F}b",
            // At either end too, where trimming would once have hidden some of them.
            "\u{200B}ab",
            "ab\u{FEFF}",
        ] {
            assert!(
                matches!(
                    parse_line(bad, &line(20)),
                    Err(TextError::InvisibleCharacter(_))
                ),
                "{bad:?} was accepted"
            );
        }
        assert_eq!(
            parse_line("x\u{202E}", &line(20)),
            Err(TextError::InvisibleCharacter(0x202E))
        );
        // Visible non-Latin text and emoji stay welcome.
        assert!(parse_line("Zoë's Café 🍕 寿司 مطعم", &line(40)).is_ok());
    }

    #[test]
    fn control_characters_are_refused_wherever_they_stand() {
        for bad in ["a\nb", "a\u{0}b", "\tBurger", "Burger\n", "a\u{85}b"] {
            assert_eq!(
                parse_line(bad, &line(10)),
                Err(TextError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prose_keeps_its_line_breaks_and_nothing_else() {
        assert_eq!(
            parse_text(" Tomato,\r\n basil \n\n\n\nand oil \n", &prose(100)).unwrap(),
            "Tomato,\nbasil\n\nand oil"
        );
        assert_eq!(parse_text("\n \n", &prose(10)), Err(TextError::Blank));
        assert_eq!(
            parse_text("a\tb", &prose(10)),
            Err(TextError::ControlCharacter)
        );
        assert!(matches!(
            parse_text("a\u{202E}b", &prose(10)),
            Err(TextError::InvisibleCharacter(_))
        ));
        assert!(parse_text(&"x".repeat(11), &prose(10)).is_err());
    }
}
