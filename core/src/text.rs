//! Shared parsing of short human-entered text (names of items, customers and restaurants).
//!
//! Text is stored in Unicode normal form C, so the same name typed on two keyboards is the same
//! string. Characters that change how text around them is shown without being seen themselves
//! are refused: bidirectional overrides and isolates (a manager could be shown `Ann` for a name
//! whose bytes say something else), zero-width characters, and line or paragraph separators.

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

/// Whether `c` changes how text is shown without being seen: bidirectional embeddings,
/// overrides, isolates and marks, zero-width characters, word joiners and invisible operators,
/// the byte order mark, line and paragraph separators.
fn is_invisible_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Checks `raw` holds at most `max` characters (Unicode scalar values, as sent: the API's
/// documented `maxLength`), normalizes it to NFC, trims it and checks what is left holds at
/// least one character, none of them a control character or an invisible formatting
/// character. Returns the trimmed, normalized text.
pub(crate) fn parse_line(raw: &str, max: usize) -> Result<String, TextError> {
    let sent = raw.chars().count();
    if sent > max {
        return Err(TextError::TooLong { max, actual: sent });
    }
    let normalized: String = raw.nfc().collect();
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    if let Some(c) = trimmed.chars().find(|c| is_invisible_formatting(*c)) {
        return Err(TextError::InvisibleCharacter(u32::from(c)));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    let actual = trimmed.chars().count();
    if actual > max {
        return Err(TextError::TooLong { max, actual });
    }
    Ok(trimmed.to_owned())
}

/// Like [`parse_line`], for a few lines of prose (a dish's description): line breaks are kept
/// (`\r\n` and `\r` become `\n`, at most two in a row), every other control character is
/// refused. `max` counts what was sent.
pub(crate) fn parse_text(raw: &str, max: usize) -> Result<String, TextError> {
    let sent = raw.chars().count();
    if sent > max {
        return Err(TextError::TooLong { max, actual: sent });
    }
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = Vec::new();
    for line in unified.split('\n') {
        match parse_line(line, max) {
            Ok(line) => lines.push(line),
            Err(TextError::Blank) => lines.push(String::new()),
            Err(other) => return Err(other),
        }
    }
    // Blank lines at either end go; inside, a run of them becomes one paragraph break.
    let mut text = String::new();
    let mut blank_run = false;
    for line in lines {
        if line.is_empty() {
            blank_run = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        text.push_str(&line);
    }
    if text.is_empty() {
        return Err(TextError::Blank);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(parse_line("  Burger \t", 10).unwrap(), "Burger");
    }

    #[test]
    fn whitespace_only_text_is_blank() {
        assert_eq!(parse_line(" \n\t ", 10), Err(TextError::Blank));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(parse_line("ééééé", 5).is_ok());
        assert_eq!(
            parse_line("éééééé", 5),
            Err(TextError::TooLong { max: 5, actual: 6 })
        );
    }

    #[test]
    fn text_is_stored_in_normal_form_c() {
        // "é" as e + combining acute accent becomes the single precomposed character.
        assert_eq!(parse_line("Cafe\u{301}", 10).unwrap(), "Caf\u{e9}");
        assert_eq!(parse_line("Cafe\u{301}", 5).unwrap().chars().count(), 4);
    }

    #[test]
    fn the_length_limit_counts_what_was_sent() {
        // As the API documents it (maxLength): spaces and combining marks count.
        assert!(parse_line("Cafe\u{301}", 4).is_err());
        assert!(parse_line(" abc ", 4).is_err());
        assert_eq!(parse_line(" abc", 4).unwrap(), "abc");
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
        ] {
            assert!(
                matches!(parse_line(bad, 20), Err(TextError::InvisibleCharacter(_))),
                "{bad:?} was accepted"
            );
        }
        assert_eq!(
            parse_line("x\u{202E}", 20),
            Err(TextError::InvisibleCharacter(0x202E))
        );
        // Visible non-Latin text and emoji stay welcome.
        assert!(parse_line("Zoë's Café 🍕 寿司 مطعم", 40).is_ok());
    }

    #[test]
    fn inner_control_characters_are_rejected() {
        assert_eq!(parse_line("a\nb", 10), Err(TextError::ControlCharacter));
        assert_eq!(parse_line("a\u{0}b", 10), Err(TextError::ControlCharacter));
    }

    #[test]
    fn prose_keeps_its_line_breaks_and_nothing_else() {
        assert_eq!(
            parse_text(" Tomato,\r\n basil \n\n\n\nand oil \n", 100).unwrap(),
            "Tomato,\nbasil\n\nand oil"
        );
        assert_eq!(parse_text("\n \n", 10), Err(TextError::Blank));
        assert_eq!(parse_text("a\tb", 10), Err(TextError::ControlCharacter));
        assert!(matches!(
            parse_text("a\u{202E}b", 10),
            Err(TextError::InvisibleCharacter(_))
        ));
        assert!(parse_text(&"x".repeat(11), 10).is_err());
    }
}
