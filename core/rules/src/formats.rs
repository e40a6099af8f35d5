//! Shaped strings: what their characters are, how long each part may be.

/// A hostname as a client registers one (a restaurant's domain, a picture's host): ASCII
/// letters, digits and `-` in dot-separated labels (an international name in its punycode form),
/// optionally followed by a trailing dot and a `:port`. Case, the dot and the port are
/// dropped when stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostnameRule {
    /// Characters of the name without its trailing dot (RFC 1035).
    pub max_len: usize,
    /// Characters of one label.
    pub max_label: usize,
    /// Digits of a port.
    pub max_port_digits: usize,
}

pub const HOSTNAME: HostnameRule = HostnameRule {
    max_len: 253,
    max_label: 63,
    max_port_digits: 5,
};

impl HostnameRule {
    /// The longest text a client may send for a domain: the name, a trailing dot and a port.
    pub const fn max_input(&self) -> usize {
        self.max_len + 1 + 1 + self.max_port_digits
    }
}

/// A `Host` header is looked at up to this many bytes; anything longer is no restaurant.
pub const MAX_HOST_HEADER: usize = 1024;

/// A dish's picture: `https://` on a hostname (never an IP address, a user name or a
/// password), an optional port, then a path, query and fragment of [`URI_CHARACTERS`].
pub const IMAGE_URL_MAX_LEN: usize = 2048;

/// The characters RFC 3986 allows in a URI besides ASCII letters and digits (unreserved and
/// reserved characters, and `%` of a percent-encoding).
pub const URI_CHARACTERS: &str = "-._~:/?#[]@!$&'()*+,;=%";

/// A BCP 47 language tag, by its shape: a language of 2 or 3 letters, then `-`-separated
/// subtags of 1 to 8 letters or digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocaleRule {
    pub max_len: usize,
    pub language_min: usize,
    pub language_max: usize,
    pub subtag_max: usize,
}

pub const LOCALE: LocaleRule = LocaleRule {
    max_len: 35,
    language_min: 2,
    language_max: 3,
    subtag_max: 8,
};

/// An IANA time zone name: ASCII letters, digits, `/`, `_`, `-` and `+`, and known to the
/// time zone database the service carries.
pub const TIMEZONE_MAX_LEN: usize = 64;

/// A theme's colour: `#` and 3 or 6 hex digits (either case; stored in lowercase).
pub const COLOR_HEX_DIGITS: &[usize] = &[3, 6];

/// An order's tracking token: 32 random bytes in unpadded base64url.
pub const TRACKING_TOKEN_LEN: usize = 43;

/// A page cursor of the order list: 24 bytes in unpadded base64url.
pub const ORDER_CURSOR_LEN: usize = 32;

/// An `Idempotency-Key`: 1 to this many visible ASCII characters (`!` to `~`).
pub const IDEMPOTENCY_KEY_MAX_LEN: usize = 255;

/// A manager API key: this prefix and 64 lowercase hex digits.
pub const MANAGER_KEY_PREFIX: &str = "chm_";
pub const MANAGER_KEY_HEX_DIGITS: usize = 64;

/// A staff member's email address: at most this many characters (RFC 5321's limit on a path).
pub const EMAIL_MAX_LEN: usize = 254;

/// Characters an email address may not hold anywhere: controls, white space (as both Rust and
/// ECMA-262 read it), a byte-order mark, and `<`, `>` (it is shown in lists and links). Beside
/// these, an address is `local@domain`: one `@`, a domain of at least two dot-separated labels,
/// none empty.
pub const EMAIL_REFUSED: &[(char, char)] = &[
    ('\u{0}', '\u{20}'),
    ('<', '<'),
    ('>', '>'),
    ('@', '@'),
    ('\u{7F}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
    ('\u{FEFF}', '\u{FEFF}'),
];
