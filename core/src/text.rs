//! Shared parsing of short human-entered text (names of items, customers and restaurants).

use thiserror::Error;

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
}

/// Trims `raw` and checks it holds 1 to `max` characters (Unicode scalar values), none of them a
/// control character. Returns the trimmed text.
pub(crate) fn parse_line(raw: &str, max: usize) -> Result<String, TextError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    let actual = trimmed.chars().count();
    if actual > max {
        return Err(TextError::TooLong { max, actual });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
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
    fn inner_control_characters_are_rejected() {
        assert_eq!(parse_line("a\nb", 10), Err(TextError::ControlCharacter));
        assert_eq!(parse_line("a\u{0}b", 10), Err(TextError::ControlCharacter));
    }
}
