//! Every constraint the OpenAPI document states about a value (`minLength`, `maxLength`,
//! `pattern`, `minimum`, `maximum`, `minItems`, `maxItems`, `enum`), made from core's rules
//! ([`chameleon_core::rules`]) rather than written again beside the wire types.
//!
//! [`SCHEMAS`] and [`PARAMETERS`] say which rule governs which field; [`Constraints`] (a utoipa
//! `Modify`) applies them to the document, and [`apply`] reports any entry that names a field
//! the document does not have, so a renamed field cannot silently lose its constraint. The
//! patterns are ECMA-262 regular expressions, as JSON Schema reads them; the API tests feed the
//! same samples to core's parsers and to these patterns and require the two to agree
//! (`tests/api/rules.rs`).

use chameleon_core::rules::codes::{CURRENCIES, FONTS, ORDER_STATUSES, TAGS, TENANT_STATUSES};
use chameleon_core::rules::formats::{
    COLOR_HEX_DIGITS, EMAIL_MAX_LEN, EMAIL_REFUSED, HOSTNAME, IDEMPOTENCY_KEY_MAX_LEN,
    IMAGE_URL_MAX_LEN, LOCALE, ORDER_CURSOR_LEN, TRACKING_TOKEN_LEN, URI_CHARACTERS,
};
use chameleon_core::rules::numbers::{
    BUSY_EXTRA_MINUTES, CATEGORY_POSITION, CLOSURES, GROUP_OPTIONS, ITEM_OPTION_GROUPS, IntRange,
    OPENING_RANGES_PER_DAY, OPTION_MAX, OPTION_MIN, ORDER_LINES, PAGE_LIMIT, PREP_MINUTES, PRICE,
    PRICE_DELTA, QUANTITY, SCHEDULE_DAYS_AHEAD, SLOT_CAPACITY, SLOT_MINUTES,
};
use chameleon_core::rules::text::{
    CATEGORY_NAME, CLOSURE_REASON, CUSTOMER_NAME, DESCRIPTION, MENU_ITEM_NAME, OPTION_GROUP_NAME,
    OPTION_NAME, TENANT_NAME, TextRule,
};
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// What governs a value.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Human-entered text.
    Text(TextRule),
    /// A whole number in a range.
    Int(IntRange),
    /// An array of so many items.
    Items(IntRange),
    /// A hostname as a client registers one.
    Domain,
    /// A staff member's email address.
    Email,
    /// A dish's picture.
    ImageUrl,
    /// A BCP 47 language tag.
    Locale,
    /// One of the currencies.
    Currency,
    /// One of the fonts.
    Font,
    /// A theme's colour.
    Color,
    /// One of the order statuses, as text.
    OrderStatus,
    /// An order's tracking token.
    TrackingToken,
    /// A page cursor of the order list.
    OrderCursor,
    /// An `Idempotency-Key`.
    IdempotencyKey,
    /// A time of day in opening hours.
    TimeOfDay,
    /// Sold out until: an RFC 3339 instant written in full, or `indefinitely`.
    SoldOutUntil,
    /// An RFC 3339 instant written in full.
    Instant,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Exactly one of these words (the schema of the value itself: `enum`).
    OneOf(&'static [&'static str]),
}

/// The tags' codes, in the rules' order.
const TAG_CODES: [&str; TAGS.len()] = {
    let mut codes = [""; TAGS.len()];
    let mut i = 0;
    while i < TAGS.len() {
        codes[i] = TAGS[i].code;
        i += 1;
    }
    codes
};

/// At most so many ranges a day.
const DAY_RANGES: IntRange = IntRange {
    min: 0,
    max: OPENING_RANGES_PER_DAY as i64,
};

/// At most so many closures.
const CLOSURE_COUNT: IntRange = IntRange {
    min: 0,
    max: CLOSURES as i64,
};

/// `(component schema, property, rule)`; an empty property is the schema itself, and `[]`
/// after a property (or alone) means the items of an array.
pub const SCHEMAS: &[(&str, &str, Rule)] = &[
    // system
    ("ProvisionRequest", "domain", Rule::Domain),
    ("ProvisionRequest", "name", Rule::Text(TENANT_NAME)),
    ("ProvisionRequest", "currency", Rule::Currency),
    ("ProvisionRequest", "locale", Rule::Locale),
    ("ProvisionRequest", "owner_email", Rule::Email),
    ("TenantPatch", "name", Rule::Text(TENANT_NAME)),
    ("TenantPatch", "currency", Rule::Currency),
    ("TenantPatch", "locale", Rule::Locale),
    ("SettingsPatch", "name", Rule::Text(TENANT_NAME)),
    ("SettingsPatch", "currency", Rule::Currency),
    ("SettingsPatch", "locale", Rule::Locale),
    ("SettingsPatch", "prep_minutes", Rule::Int(PREP_MINUTES)),
    ("SettingsPatch", "slot_minutes", Rule::Int(SLOT_MINUTES)),
    ("SettingsPatch", "slot_capacity", Rule::Int(SLOT_CAPACITY)),
    (
        "SettingsPatch",
        "schedule_days_ahead",
        Rule::Int(SCHEDULE_DAYS_AHEAD),
    ),
    (
        "SettingsPatch",
        "busy_extra_minutes",
        Rule::Int(BUSY_EXTRA_MINUTES),
    ),
    ("SettingsPatch", "closures", Rule::Items(CLOSURE_COUNT)),
    ("ProvisionRequest", "prep_minutes", Rule::Int(PREP_MINUTES)),
    ("ProvisionRequest", "slot_minutes", Rule::Int(SLOT_MINUTES)),
    (
        "ProvisionRequest",
        "slot_capacity",
        Rule::Int(SLOT_CAPACITY),
    ),
    (
        "ProvisionRequest",
        "schedule_days_ahead",
        Rule::Int(SCHEDULE_DAYS_AHEAD),
    ),
    (
        "ProvisionRequest",
        "busy_extra_minutes",
        Rule::Int(BUSY_EXTRA_MINUTES),
    ),
    ("ProvisionRequest", "closures", Rule::Items(CLOSURE_COUNT)),
    ("Closure", "date", Rule::Date),
    ("Closure", "reason", Rule::Text(CLOSURE_REASON)),
    ("NewDomain", "domain", Rule::Domain),
    ("Theme", "primary_color", Rule::Color),
    ("Theme", "font", Rule::Font),
    ("TenantStatus", "", Rule::OneOf(TENANT_STATUSES)),
    ("OpeningHours", "mon", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "tue", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "wed", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "thu", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "fri", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "sat", Rule::Items(DAY_RANGES)),
    ("OpeningHours", "sun", Rule::Items(DAY_RANGES)),
    ("TimeRange", "[]", Rule::TimeOfDay),
    // manager
    ("NewMenuItem", "name", Rule::Text(MENU_ITEM_NAME)),
    ("NewMenuItem", "price", Rule::Int(PRICE)),
    ("NewMenuItem", "description", Rule::Text(DESCRIPTION)),
    ("NewMenuItem", "image_url", Rule::ImageUrl),
    ("MenuItemPatch", "name", Rule::Text(MENU_ITEM_NAME)),
    ("MenuItemPatch", "price", Rule::Int(PRICE)),
    ("MenuItemPatch", "description", Rule::Text(DESCRIPTION)),
    ("MenuItemPatch", "image_url", Rule::ImageUrl),
    ("NewMenuItem", "sold_out_until", Rule::SoldOutUntil),
    (
        "NewMenuItem",
        "option_group_ids",
        Rule::Items(ITEM_OPTION_GROUPS),
    ),
    ("MenuItemPatch", "sold_out_until", Rule::SoldOutUntil),
    (
        "MenuItemPatch",
        "option_group_ids",
        Rule::Items(ITEM_OPTION_GROUPS),
    ),
    ("NewOptionGroup", "name", Rule::Text(OPTION_GROUP_NAME)),
    ("NewOptionGroup", "min", Rule::Int(OPTION_MIN)),
    ("NewOptionGroup", "max", Rule::Int(OPTION_MAX)),
    ("NewOptionGroup", "options", Rule::Items(GROUP_OPTIONS)),
    ("NewOption", "name", Rule::Text(OPTION_NAME)),
    ("NewOption", "price_delta", Rule::Int(PRICE_DELTA)),
    ("NewOption", "sold_out_until", Rule::SoldOutUntil),
    ("OptionGroupPatch", "name", Rule::Text(OPTION_GROUP_NAME)),
    ("OptionGroupPatch", "min", Rule::Int(OPTION_MIN)),
    ("OptionGroupPatch", "max", Rule::Int(OPTION_MAX)),
    ("OptionGroupPatch", "options", Rule::Items(GROUP_OPTIONS)),
    ("OptionPatch", "name", Rule::Text(OPTION_NAME)),
    ("OptionPatch", "price_delta", Rule::Int(PRICE_DELTA)),
    ("OptionPatch", "sold_out_until", Rule::SoldOutUntil),
    ("Tag", "", Rule::OneOf(&TAG_CODES)),
    ("NewCategory", "name", Rule::Text(CATEGORY_NAME)),
    ("NewCategory", "position", Rule::Int(CATEGORY_POSITION)),
    ("CategoryPatch", "name", Rule::Text(CATEGORY_NAME)),
    ("CategoryPatch", "position", Rule::Int(CATEGORY_POSITION)),
    ("OrderStatusChange", "status", Rule::OrderStatus),
    // orders, as answered and as placed
    ("Order", "status", Rule::OrderStatus),
    ("Order", "tracking_token", Rule::TrackingToken),
    ("OrderLine", "qty", Rule::Int(QUANTITY)),
    ("PlaceOrder", "items", Rule::Items(ORDER_LINES)),
    ("PlaceOrder", "customer", Rule::Text(CUSTOMER_NAME)),
    ("PlaceOrder", "pickup_at", Rule::Instant),
];

/// `(operation id, parameter name, rule)`.
pub const PARAMETERS: &[(&str, &str, Rule)] = &[
    ("list_orders", "limit", Rule::Int(PAGE_LIMIT)),
    ("list_orders", "cursor", Rule::OrderCursor),
    ("list_orders", "status", Rule::OrderStatus),
    ("place_order", "Idempotency-Key", Rule::IdempotencyKey),
    ("list_orders", "pickup_from", Rule::Instant),
    ("list_orders", "pickup_to", Rule::Instant),
    ("list_orders", "sort", Rule::OneOf(&["pickup"])),
    ("track_order", "t", Rule::TrackingToken),
    ("get_store_slots", "date", Rule::Date),
];

/// The `Modify` that applies [`SCHEMAS`] and [`PARAMETERS`].
#[derive(Debug)]
pub struct Constraints;

impl Modify for Constraints {
    fn modify(&self, openapi: &mut OpenApi) {
        let missing = apply(openapi);
        // A test asserts there are none (`every_constraint_finds_its_field`); a release build
        // serves the document regardless.
        debug_assert!(
            missing.is_empty(),
            "constraints without a field: {missing:?}"
        );
    }
}

/// Applies every constraint to `openapi`; returns the entries whose field was not found.
pub fn apply(openapi: &mut OpenApi) -> Vec<String> {
    let mut missing = Vec::new();
    for (schema, property, rule) in SCHEMAS {
        let target = openapi
            .components
            .as_mut()
            .and_then(|components| components.schemas.get_mut(*schema))
            .and_then(|root| locate(root, property));
        match target {
            Some(target) => constrain(target, *rule),
            None => missing.push(format!("{schema}.{property}")),
        }
    }
    for (operation, parameter, rule) in PARAMETERS {
        let found = openapi
            .paths
            .paths
            .values_mut()
            .flat_map(|item| {
                [
                    item.get.as_mut(),
                    item.put.as_mut(),
                    item.post.as_mut(),
                    item.delete.as_mut(),
                    item.patch.as_mut(),
                ]
            })
            .flatten()
            .filter(|op| op.operation_id.as_deref() == Some(*operation))
            .flat_map(|op| op.parameters.iter_mut().flatten())
            .find(|p| p.name == *parameter)
            .and_then(|p| p.schema.as_mut());
        match found {
            Some(schema) => constrain(schema, *rule),
            None => missing.push(format!("{operation}({parameter})")),
        }
    }
    missing
}

/// The schema of `property` within `root` (see [`SCHEMAS`] for the notation).
fn locate<'a>(root: &'a mut RefOr<Schema>, property: &str) -> Option<&'a mut RefOr<Schema>> {
    let (name, items) = match property.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (property, false),
    };
    let mut target = root;
    if !name.is_empty() {
        let RefOr::T(Schema::Object(object)) = target else {
            return None;
        };
        target = object.properties.get_mut(name)?;
    }
    if items {
        let RefOr::T(Schema::Array(array)) = target else {
            return None;
        };
        let ArrayItems::RefOrSchema(items) = &mut array.items else {
            return None;
        };
        target = items.as_mut();
    }
    Some(target)
}

fn constrain(target: &mut RefOr<Schema>, rule: Rule) {
    if let Rule::Items(range) = rule {
        if let RefOr::T(Schema::Array(array)) = target {
            array.min_items = (range.min > 0).then_some(range.min as usize);
            array.max_items = Some(range.max as usize);
        }
        return;
    }
    let RefOr::T(Schema::Object(object)) = target else {
        return;
    };
    let (min_length, max_length, pattern) = match rule {
        Rule::Text(text) => (Some(1), Some(text.max_chars), Some(text_pattern(&text))),
        Rule::Domain => (Some(1), Some(HOSTNAME.max_input()), Some(domain_pattern())),
        Rule::Email => (Some(3), Some(EMAIL_MAX_LEN), Some(email_pattern())),
        Rule::ImageUrl => (None, Some(IMAGE_URL_MAX_LEN), Some(image_url_pattern())),
        Rule::Locale => (None, Some(LOCALE.max_len), Some(locale_pattern())),
        Rule::Currency => (None, None, Some(one_of(CURRENCIES.iter().map(|c| c.code)))),
        Rule::Font => (None, None, Some(one_of(FONTS.iter().copied()))),
        Rule::Color => (None, None, Some(color_pattern())),
        Rule::OrderStatus => (None, None, Some(one_of(ORDER_STATUSES.iter().copied()))),
        Rule::TrackingToken => (None, None, Some(base64url(TRACKING_TOKEN_LEN))),
        Rule::OrderCursor => (None, None, Some(base64url(ORDER_CURSOR_LEN))),
        Rule::IdempotencyKey => (
            Some(1),
            Some(IDEMPOTENCY_KEY_MAX_LEN),
            Some(format!("^[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LEN}}}$")),
        ),
        Rule::TimeOfDay => (None, None, Some(time_of_day_pattern())),
        Rule::SoldOutUntil => (None, None, Some(sold_out_until_pattern())),
        Rule::Instant => (None, None, Some(instant_pattern())),
        Rule::Date => (None, None, Some(date_pattern())),
        Rule::Int(range) => {
            object.minimum = Some(utoipa::Number::Int(range.min as isize));
            object.maximum = Some(utoipa::Number::Int(range.max as isize));
            return;
        }
        Rule::OneOf(words) => {
            object.enum_values = Some(words.iter().map(|w| Value::from(*w)).collect());
            return;
        }
        Rule::Items(_) => return,
    };
    object.min_length = min_length;
    object.max_length = max_length;
    object.pattern = pattern;
}

/// `c` as a regular expression escape: `\u` and four lowercase hex digits (JSON Schema's
/// dialect has no `\u{...}`; every character a rule names is in the Basic Multilingual Plane).
fn escape(c: char) -> String {
    format!("\\u{:04x}", u32::from(c))
}

/// A character class body (without brackets) of `ranges`: a range of one character is that
/// character, of two the two characters, of more `low-high`.
fn class(ranges: impl Iterator<Item = (char, char)>) -> String {
    let mut body = String::new();
    for (low, high) in ranges {
        let span = u32::from(high) - u32::from(low);
        body.push_str(&escape(low));
        match span {
            0 => {}
            1 => body.push_str(&escape(high)),
            _ => {
                body.push('-');
                body.push_str(&escape(high));
            }
        }
    }
    body
}

/// `local@domain`, neither holding a refused character, the domain two labels or more.
pub fn email_pattern() -> String {
    let part = format!("[^{}.]", class(EMAIL_REFUSED.iter().copied()));
    let local = format!("[^{}]", class(EMAIL_REFUSED.iter().copied()));
    format!("^{local}+@{part}+(?:\\.{part}+)+$")
}

/// Any number of allowed characters around at least one that is not white space.
pub fn text_pattern(rule: &TextRule) -> String {
    let refused = class(rule.class.refused_ranges());
    format!("^[^{refused}]*[^\\s{refused}][^{refused}]*$")
}

/// A label: a letter or digit, then up to `max_label - 2` letters, digits or `-`, then a letter
/// or digit.
fn label() -> String {
    format!(
        "[A-Za-z0-9](?:[A-Za-z0-9-]{{0,{}}}[A-Za-z0-9])?",
        HOSTNAME.max_label - 2
    )
}

/// A hostname (at most `max_len` characters without its trailing dot), labels of letters,
/// digits and `-`, the last one not all digits, then an optional trailing dot and port.
pub fn domain_pattern() -> String {
    let port = format!("(?::[0-9]{{1,{}}})?", HOSTNAME.max_port_digits);
    let label = label();
    format!(
        "^(?=[^:]{{1,{max}}}\\.?{port}$)(?:{label}\\.)*(?![0-9]+\\.?{port}$){label}\\.?{port}$",
        max = HOSTNAME.max_len
    )
}

/// `https://` (either case), a hostname as [`domain_pattern`] has it but without a trailing
/// dot, a port up to 65535, then a path, query and fragment of RFC 3986's characters.
pub fn image_url_pattern() -> String {
    let label = label();
    let port =
        "(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?";
    let port_ahead = format!("(?::[0-9]{{1,{}}})?", HOSTNAME.max_port_digits);
    // In a class: `-` last, the brackets escaped.
    let mut uri: String = URI_CHARACTERS
        .chars()
        .filter(|c| *c != '-')
        .map(|c| match c {
            '[' | ']' | '\\' | '^' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect();
    if URI_CHARACTERS.contains('-') {
        uri.push('-');
    }
    format!(
        "^[Hh][Tt][Tt][Pp][Ss]://(?=[^:/?#]{{1,{max}}}{port_ahead}(?:[/?#]|$))(?:{label}\\.)*\
         (?![0-9]+{port_ahead}(?:[/?#]|$)){label}{port}(?:[/?#][A-Za-z0-9{uri}]*)?$",
        max = HOSTNAME.max_len
    )
}

/// A language of 2 or 3 letters, then subtags of 1 to 8 letters or digits.
pub fn locale_pattern() -> String {
    format!(
        "^[A-Za-z]{{{},{}}}(-[A-Za-z0-9]{{1,{}}})*$",
        LOCALE.language_min, LOCALE.language_max, LOCALE.subtag_max
    )
}

/// `#` and one of the allowed numbers of hex digits.
pub fn color_pattern() -> String {
    let counts: Vec<String> = COLOR_HEX_DIGITS
        .iter()
        .map(|n| format!("[0-9a-fA-F]{{{n}}}"))
        .collect();
    format!("^#({})$", counts.join("|"))
}

/// `HH:MM` from `00:00` to `23:59`, or `24:00`.
/// What `SoldOut::parse` takes (a date that does not exist, such as February 30, fits the
/// pattern and is still refused: 422).
pub fn sold_out_until_pattern() -> String {
    "^(indefinitely|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?\
     (Z|[+-][0-9]{2}:[0-9]{2}))$"
        .to_owned()
}

/// What a pickup time and the order list's bounds take (a date that does not exist fits the
/// pattern and is still refused).
pub fn instant_pattern() -> String {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?\
     (Z|[+-][0-9]{2}:[0-9]{2})$"
        .to_owned()
}

/// A calendar date (one that does not exist fits the pattern and is still refused).
pub fn date_pattern() -> String {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$".to_owned()
}

pub fn time_of_day_pattern() -> String {
    "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$".to_owned()
}

/// Exactly `len` characters of the base64url alphabet.
fn base64url(len: usize) -> String {
    format!("^[A-Za-z0-9_-]{{{len}}}$")
}

/// Exactly one of `words`.
fn one_of<'a>(words: impl Iterator<Item = &'a str>) -> String {
    format!("^({})$", words.collect::<Vec<_>>().join("|"))
}

#[cfg(test)]
mod tests {
    use chameleon_core::rules::text::TextClass;

    use super::*;

    #[test]
    fn every_constraint_finds_its_field() {
        let mut document = crate::openapi::document_without_constraints();
        assert_eq!(apply(&mut document), Vec::<String>::new());
    }

    #[test]
    fn a_line_refuses_every_control_character_and_prose_keeps_line_breaks() {
        assert_eq!(
            class(TextClass::Line.refused_ranges())[..26].to_owned(),
            "\\u0000-\\u001f\\u007f-\\u009f"
        );
        assert!(
            class(TextClass::Prose.refused_ranges())
                .starts_with("\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f")
        );
    }
}
