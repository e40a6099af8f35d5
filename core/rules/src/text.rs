//! Human-entered text: restaurants', dishes', categories' and guests' names, and dishes'
//! descriptions.
//!
//! Every such text holds at least one character that is not white space, at most
//! [`TextRule::max_chars`] characters as sent (Unicode scalar values: what JSON Schema's
//! `maxLength` counts), and none of the [`CONTROL`] characters (a [`TextClass::Prose`] text may
//! hold [`LINE_BREAKS`]) or [`INVISIBLE_FORMATTING`] characters, anywhere. Core then stores it in
//! Unicode normal form C, trimmed.

/// Which characters a text may hold beyond the visible ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextClass {
    /// One line: no control character at all.
    Line,
    /// A few lines of prose: line breaks are kept, no other control character.
    Prose,
}

/// The rule of one kind of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// What the text is, for messages: "a restaurant's name".
    pub what: &'static str,
    /// Characters at most, counted as sent (before trimming and normalisation).
    pub max_chars: usize,
    pub class: TextClass,
}

/// Why a restaurant is closed on a day (a holiday), shown to customers.
pub const CLOSURE_REASON: TextRule = TextRule {
    what: "a closure's reason",
    max_chars: 100,
    class: TextClass::Line,
};

/// A restaurant's display name.
pub const TENANT_NAME: TextRule = TextRule {
    what: "a restaurant's name",
    max_chars: 100,
    class: TextClass::Line,
};

/// A dish's name.
pub const MENU_ITEM_NAME: TextRule = TextRule {
    what: "an item name",
    max_chars: 120,
    class: TextClass::Line,
};

/// A menu category's name.
pub const CATEGORY_NAME: TextRule = TextRule {
    what: "a category name",
    max_chars: 60,
    class: TextClass::Line,
};

/// An option group's name ("Size", "Toppings").
pub const OPTION_GROUP_NAME: TextRule = TextRule {
    what: "an option group's name",
    max_chars: 60,
    class: TextClass::Line,
};

/// An option's name ("Large", "Extra cheese").
pub const OPTION_NAME: TextRule = TextRule {
    what: "an option's name",
    max_chars: 60,
    class: TextClass::Line,
};

/// The name a guest orders under.
pub const CUSTOMER_NAME: TextRule = TextRule {
    what: "a customer name",
    max_chars: 100,
    class: TextClass::Line,
};

/// A staff member's display name.
pub const STAFF_NAME: TextRule = TextRule {
    what: "a staff member's name",
    max_chars: 100,
    class: TextClass::Line,
};

/// A dish's description.
pub const DESCRIPTION: TextRule = TextRule {
    what: "a description",
    max_chars: 500,
    class: TextClass::Prose,
};

/// Control characters (Unicode general category Cc): C0, DEL and C1, as inclusive ranges.
pub const CONTROL: &[(char, char)] = &[('\u{0}', '\u{1F}'), ('\u{7F}', '\u{9F}')];

/// The control characters a [`TextClass::Prose`] text may hold: line feed and carriage return
/// (`\r\n` and `\r` are stored as `\n`).
pub const LINE_BREAKS: &[char] = &['\n', '\r'];

/// Characters that change how the text around them is shown without being seen themselves, as
/// inclusive ranges: the Arabic letter mark, the Mongolian vowel separator, zero-width
/// characters and the left-to-right and right-to-left marks, line and paragraph separators,
/// bidirectional embeddings and overrides, word joiners and invisible operators,
/// bidirectional isolates, and the byte order mark. A name holding one could read as another
/// name (`Ann` for bytes that say something else).
pub const INVISIBLE_FORMATTING: &[(char, char)] = &[
    ('\u{061C}', '\u{061C}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{FEFF}', '\u{FEFF}'),
];

/// Whether `c` lies in one of `ranges`.
pub fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

impl TextClass {
    /// Whether a text of this class refuses `c` wherever it stands.
    pub fn refuses(self, c: char) -> bool {
        if in_ranges(c, INVISIBLE_FORMATTING) {
            return true;
        }
        in_ranges(c, CONTROL) && !(self == TextClass::Prose && LINE_BREAKS.contains(&c))
    }

    /// What [`TextClass::refuses`] refuses, as ordered inclusive ranges (for a pattern's
    /// character class).
    pub fn refused_ranges(self) -> impl Iterator<Item = (char, char)> {
        let last = CONTROL
            .iter()
            .chain(INVISIBLE_FORMATTING)
            .map(|(_, high)| *high)
            .max()
            .unwrap_or('\0');
        let mut chars = ('\0'..=last).peekable();
        core::iter::from_fn(move || {
            let low = chars.find(|c| self.refuses(*c))?;
            let mut high = low;
            while let Some(next) = chars
                .next_if(|c| self.refuses(*c) && char::from_u32(u32::from(high) + 1) == Some(*c))
            {
                high = next;
            }
            Some((low, high))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_keeps_line_breaks_and_nothing_else_of_the_controls() {
        assert!(!TextClass::Prose.refuses('\n'));
        assert!(!TextClass::Prose.refuses('\r'));
        assert!(TextClass::Prose.refuses('\t'));
        assert!(TextClass::Line.refuses('\n'));
        assert!(TextClass::Line.refuses('\u{85}'));
        assert!(TextClass::Line.refuses('\u{202E}'));
        assert!(!TextClass::Line.refuses('é'));
    }

    #[test]
    fn the_refused_ranges_are_what_refuses_says_of_every_character() {
        for class in [TextClass::Line, TextClass::Prose] {
            let ranges: Vec<(char, char)> = class.refused_ranges().collect();
            for pair in ranges.windows(2) {
                assert!(
                    u32::from(pair[0].1) + 1 < u32::from(pair[1].0),
                    "{class:?}: {pair:?} not ordered and apart"
                );
            }
            for c in '\0'..=char::MAX {
                assert_eq!(in_ranges(c, &ranges), class.refuses(c), "{class:?} {c:?}");
            }
        }
    }

    #[test]
    fn the_ranges_are_ordered_and_apart() {
        for ranges in [CONTROL, INVISIBLE_FORMATTING] {
            for pair in ranges.windows(2) {
                assert!(pair[0].1 < pair[1].0, "{pair:?}");
            }
            for (low, high) in ranges {
                assert!(low <= high);
            }
        }
    }
}
