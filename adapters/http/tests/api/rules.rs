//! One rule, two readers: the OpenAPI document's constraints (made from core's rules) and
//! core's parsers must agree on every sample: what the document admits, core accepts; what it
//! refuses, core refuses. The samples sit on every boundary the rules draw (lengths, character
//! classes, ranges) and on the tricks a client might try.
//!
//! The document's patterns are read with an ECMAScript engine (`regress`), as JSON Schema
//! defines them and as a client's validator would.

use chameleon_core::hours::{Currency, Locale, OpeningHours, TimeOfDay};
use chameleon_core::idempotency::IdempotencyKey;
use chameleon_core::menu::{
    CategoryName, Description, ImageUrl, MenuItemId, MenuItemName, Position, PriceCents, Tag,
};
use chameleon_core::options::{
    OptionGroupName, OptionName, PriceDelta, SoldOut, max_choices, min_choices,
};
use chameleon_core::order::{
    CustomerName, OrderLines, OrderStatus, PageLimit, Quantity, TrackingToken,
};
use chameleon_core::pickup::{
    BusyMinutes, Closures, DaysAhead, PrepMinutes, SlotCapacity, SlotMinutes,
};
use chameleon_core::rules::codes::{TAGS, TENANT_STATUSES};
use chameleon_core::rules::numbers::{
    BUSY_EXTRA_MINUTES, CATEGORY_POSITION, IntRange, OPTION_MAX, OPTION_MIN, PAGE_LIMIT,
    PREP_MINUTES, PRICE, PRICE_DELTA, QUANTITY, SCHEDULE_DAYS_AHEAD, SLOT_CAPACITY, SLOT_MINUTES,
};
use chameleon_core::rules::text::{
    CATEGORY_NAME, CLOSURE_REASON, CUSTOMER_NAME, DESCRIPTION, MENU_ITEM_NAME, OPTION_GROUP_NAME,
    OPTION_NAME, TENANT_NAME, TextRule,
};
use chameleon_core::tenant::{Domain, TenantName, TenantStatus};
use chameleon_core::theme::{Font, ThemeColor};
use chameleon_http::openapi::constraints::{PARAMETERS, Rule, SCHEMAS};
use serde_json::Value;

/// The served document as JSON.
fn document() -> Value {
    serde_json::to_value(chameleon_http::openapi::document()).unwrap()
}

/// Whether the schema `schema` admits the string `sample`.
fn admits_string(schema: &Value, sample: &str) -> bool {
    let chars = sample.chars().count() as u64;
    if schema["minLength"].as_u64().is_some_and(|min| chars < min) {
        return false;
    }
    if schema["maxLength"].as_u64().is_some_and(|max| chars > max) {
        return false;
    }
    if let Some(words) = schema["enum"].as_array() {
        return words.iter().any(|w| w == sample);
    }
    match schema["pattern"].as_str() {
        Some(pattern) => regress::Regex::with_flags(pattern, "u")
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .find(sample)
            .is_some(),
        None => true,
    }
}

fn admits_int(schema: &Value, sample: i64) -> bool {
    schema["minimum"].as_i64().is_none_or(|min| sample >= min)
        && schema["maximum"].as_i64().is_none_or(|max| sample <= max)
}

fn admits_items(schema: &Value, count: usize) -> bool {
    schema["minItems"]
        .as_u64()
        .is_none_or(|min| count as u64 >= min)
        && schema["maxItems"]
            .as_u64()
            .is_none_or(|max| count as u64 <= max)
}

/// What core says of a string under `rule`.
fn core_accepts(rule: Rule, sample: &str) -> bool {
    match rule {
        Rule::Text(text) => text_parser(text)(sample),
        Rule::Domain => Domain::parse_name(sample).is_ok(),
        Rule::Email => chameleon_core::staff::Email::parse(sample).is_ok(),
        Rule::ImageUrl => ImageUrl::parse(sample).is_ok(),
        Rule::Locale => Locale::parse(sample).is_ok(),
        Rule::Currency => Currency::parse(sample).is_ok(),
        Rule::Font => Font::parse(sample).is_ok(),
        Rule::Color => ThemeColor::parse(sample).is_ok(),
        Rule::OrderStatus => OrderStatus::parse(sample).is_ok(),
        Rule::TrackingToken => TrackingToken::parse(sample).is_ok(),
        Rule::OrderCursor => {
            chameleon_http::convert::order_page(&chameleon_wire::ListOrdersQuery {
                cursor: Some(sample.to_owned()),
                ..Default::default()
            })
            .is_ok()
        }
        Rule::IdempotencyKey => IdempotencyKey::parse(sample).is_ok(),
        Rule::TimeOfDay => TimeOfDay::parse(sample).is_ok(),
        Rule::SoldOutUntil => SoldOut::parse(sample).is_ok(),
        Rule::Instant => chameleon_core::options::parse_instant(sample).is_some(),
        Rule::Date => chameleon_core::pickup::parse_date(sample).is_some(),
        Rule::OneOf(["pickup"]) => {
            chameleon_http::convert::order_page(&chameleon_wire::ListOrdersQuery {
                sort: Some(sample.to_owned()),
                ..Default::default()
            })
            .is_ok()
        }
        Rule::OneOf(words) if words == TENANT_STATUSES => TenantStatus::parse(sample).is_ok(),
        Rule::OneOf(words) if words.len() == TAGS.len() => Tag::parse(sample).is_ok(),
        other => panic!("no string parser for {other:?}"),
    }
}

fn text_parser(rule: TextRule) -> fn(&str) -> bool {
    if rule == TENANT_NAME {
        |s| TenantName::parse(s).is_ok()
    } else if rule == MENU_ITEM_NAME {
        |s| MenuItemName::parse(s).is_ok()
    } else if rule == CATEGORY_NAME {
        |s| CategoryName::parse(s).is_ok()
    } else if rule == CUSTOMER_NAME {
        |s| CustomerName::parse(s).is_ok()
    } else if rule == DESCRIPTION {
        |s| Description::parse(s).is_ok()
    } else if rule == OPTION_GROUP_NAME {
        |s| OptionGroupName::parse(s).is_ok()
    } else if rule == OPTION_NAME {
        |s| OptionName::parse(s).is_ok()
    } else if rule == CLOSURE_REASON {
        |s| Closures::parse([("2026-12-25", s)]).is_ok()
    } else {
        panic!("no parser for {rule:?}")
    }
}

fn core_accepts_int(range: IntRange, sample: i64) -> bool {
    if range == PRICE {
        PriceCents::try_from(sample).is_ok()
    } else if range == QUANTITY {
        Quantity::try_from(sample).is_ok()
    } else if range == CATEGORY_POSITION {
        Position::try_from(sample).is_ok()
    } else if range == PAGE_LIMIT {
        PageLimit::try_from(sample).is_ok()
    } else if range == PRICE_DELTA {
        PriceDelta::try_from(sample).is_ok()
    } else if range == OPTION_MIN {
        min_choices(sample).is_ok()
    } else if range == OPTION_MAX {
        max_choices(sample).is_ok()
    } else if range == PREP_MINUTES {
        PrepMinutes::try_from(sample).is_ok()
    } else if range == BUSY_EXTRA_MINUTES {
        BusyMinutes::try_from(sample).is_ok()
    } else if range == SLOT_MINUTES {
        SlotMinutes::try_from(sample).is_ok()
    } else if range == SLOT_CAPACITY {
        SlotCapacity::try_from(sample).is_ok()
    } else if range == SCHEDULE_DAYS_AHEAD {
        DaysAhead::try_from(sample).is_ok()
    } else {
        panic!("no parser for {range:?}")
    }
}

/// What core says of an array of `count` items, for the array fields the rules bound.
fn core_accepts_items(field: &str, count: usize) -> bool {
    let qty = Quantity::try_from(1).unwrap();
    match field {
        "PlaceOrder.items" => OrderLines::parse(
            (0..count).map(|n| (MenuItemId::from_uuid(uuid::Uuid::from_u128(n as u128)), qty)),
        )
        .is_ok(),
        "NewMenuItem.option_group_ids" | "MenuItemPatch.option_group_ids" => {
            let ids = (0..count)
                .map(|n| uuid::Uuid::from_u128(n as u128))
                .collect();
            chameleon_http::convert::menu_patch(&chameleon_wire::MenuItemPatch {
                option_group_ids: Some(ids),
                ..Default::default()
            })
            .is_ok()
        }
        "NewOptionGroup.options" => {
            chameleon_http::convert::new_option_group(&chameleon_wire::NewOptionGroup {
                name: "Size".into(),
                min: 0,
                max: 1,
                options: (0..count)
                    .map(|n| chameleon_wire::NewOption {
                        name: format!("option {n}"),
                        price_delta: 0,
                        sold_out_until: None,
                    })
                    .collect(),
            })
            // What the service then checks of the group as a whole.
            .is_ok_and(|group| group.check().is_ok())
        }
        "OptionGroupPatch.options" => {
            chameleon_http::convert::option_group_patch(&chameleon_wire::OptionGroupPatch {
                options: Some(
                    (0..count)
                        .map(|n| chameleon_wire::OptionPatch {
                            name: Some(format!("option {n}")),
                            price_delta: Some(0),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            })
            .is_ok()
        }
        "SettingsPatch.closures" | "ProvisionRequest.closures" => {
            let dates: Vec<String> = (0..count)
                .map(|n| {
                    jiff::civil::date(2026, 1, 1)
                        .checked_add(jiff::Span::new().days(n as i64))
                        .unwrap()
                        .to_string()
                })
                .collect();
            Closures::parse(dates.iter().map(|d| (d.as_str(), "Holiday"))).is_ok()
        }
        day => {
            let day = day.rsplit('.').next().unwrap();
            OpeningHours::parse([(day, vec![("10:00", "11:00"); count])]).is_ok()
        }
    }
}

/// Strings on the boundaries of every rule, and tricks.
fn string_samples(rule: Rule) -> Vec<String> {
    let mut samples: Vec<String> = [
        "",
        " ",
        "a",
        "A",
        "Burger",
        " Burger",
        "Burger ",
        "\tBurger",
        "Bur\tger",
        "a\nb",
        "a\r\nb",
        "\na",
        "a\n",
        "\r",
        "\n\n",
        "a\u{0}b",
        "a\u{7f}",
        "a\u{85}b",
        "a\u{9f}",
        "\u{a0}",
        "a\u{a0}",
        "\u{a0}a\u{a0}",
        "\u{2003}",
        "\u{3000}x",
        "a\u{200b}b",
        "\u{200b}",
        "\u{feff}a",
        "a\u{202e}b",
        "a\u{2028}b",
        "a\u{2029}",
        "a\u{2066}b\u{2069}",
        "a\u{61c}",
        "a\u{180e}",
        "\u{2060}",
        "Zoë's Café 🍕 寿司 مطعم",
        "Cafe\u{301}",
        "🍕",
        "\u{1f600}\u{1f600}",
        "'; DROP TABLE x; --",
        "<script>",
        "%00",
        "\\",
        "\"",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let max = match rule {
        Rule::Text(text) => text.max_chars,
        _ => 300,
    };
    for n in [max - 1, max, max + 1] {
        samples.push("x".repeat(n));
        samples.push("é".repeat(n));
        samples.push(format!("{} ", "y".repeat(n.saturating_sub(1))));
        samples.push("🍕".repeat(n));
    }
    samples.push(format!("{}\u{301}", "e".repeat(max)));
    samples.extend(specific_samples(rule));
    samples
}

fn specific_samples(rule: Rule) -> Vec<String> {
    let long_label = "a".repeat(63);
    let too_long_label = "a".repeat(64);
    let name_253 = format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    );
    let name_254 = format!("{name_253}e");
    let domains: Vec<String> = vec![
        "pizza.localhost".into(),
        "Pizza.LocalHost".into(),
        "pizza.localhost.".into(),
        "pizza.localhost:8080".into(),
        "pizza.localhost.:8080".into(),
        "pizza.localhost:".into(),
        "pizza.localhost:123456".into(),
        "pizza.localhost:99999".into(),
        "pizza.localhost:0".into(),
        "localhost".into(),
        "a".into(),
        "1.2.3.4".into(),
        "1.2.3.4:80".into(),
        "123".into(),
        "a.123".into(),
        "123.a".into(),
        "a1".into(),
        "-a.com".into(),
        "a-.com".into(),
        "a--b.com".into(),
        "a..com".into(),
        ".a.com".into(),
        "a.com..".into(),
        "a_b.com".into(),
        "xn--bcher-kva.example".into(),
        "bücher.example".into(),
        "[::1]".into(),
        "[::1]:80".into(),
        "a.com:80:80".into(),
        " a.com".into(),
        format!("{long_label}.com"),
        format!("{too_long_label}.com"),
        name_253.clone(),
        format!("{name_253}."),
        format!("{name_253}.:443"),
        name_254.clone(),
        format!("{name_254}."),
    ];
    match rule {
        Rule::Domain => domains,
        Rule::Email => {
            let mut emails: Vec<String> = [
                "ann@pizza.example",
                "Ann.Lee+orders@Pizza.Example",
                "a@b.c",
                "ab",
                "a@b",
                "@b.c",
                "a@.c",
                "a@b.",
                "a@b..c",
                "a@@b.c",
                "a@b@c.d",
                " a@b.c",
                "a@b.c ",
                "a b@c.d",
                "a\tb@c.d",
                "a\u{a0}b@c.d",
                "a\u{feff}b@c.d",
                "a\u{2028}b@c.d",
                "<a>@b.c",
                "ünï@cödé.example",
                "a.b.c@d.e.f",
                "a@b-c.d",
                ".a@b.c",
            ]
            .map(str::to_owned)
            .to_vec();
            emails.push(format!("{}@b.cd", "a".repeat(249)));
            emails.push(format!("{}@b.cd", "a".repeat(250)));
            emails
        }
        Rule::ImageUrl => {
            let mut urls: Vec<String> = domains
                .iter()
                .flat_map(|d| [format!("https://{d}"), format!("https://{d}/p.jpg")])
                .collect();
            urls.extend(
                [
                    "https://img.example.com/a.jpg",
                    "HTTPS://Img.Example.com/a%20b.jpg?w=400#x",
                    "http://img.example.com/a.jpg",
                    "https:/img.example.com",
                    "https://",
                    "https:///a.jpg",
                    "//img.example.com/a.jpg",
                    "javascript:alert(1)",
                    "data:image/png;base64,AAAA",
                    "https://a@img.example/a.jpg",
                    "https://a:b@img.example/a.jpg",
                    "https://img.example:443/a.jpg",
                    "https://img.example:65535/a.jpg",
                    "https://img.example:65536/a.jpg",
                    "https://img.example:/a.jpg",
                    "https://img.example/a b.jpg",
                    "https://img.example/\"><script>",
                    "https://img.example/é.jpg",
                    "https://img.example/[x]?a=1&b=$",
                    "https://img.example/a\\b",
                    "https://img.example/a^b",
                    "https://img.example?q",
                    "https://img.example#f",
                    "https://127.0.0.1/a.jpg",
                    "https://[::1]/a.jpg",
                ]
                .map(str::to_owned),
            );
            urls.push(format!("https://img.example/{}", "a".repeat(2048 - 20)));
            urls.push(format!("https://img.example/{}", "a".repeat(2048 - 19)));
            urls.push(format!("https://img.example/{}", "a".repeat(2048 - 18)));
            urls
        }
        Rule::Locale => [
            "en",
            "en-US",
            "fr-FR",
            "zh-Hant-TW",
            "de-DE-1996",
            "e",
            "engl",
            "en-",
            "-en",
            "en--US",
            "en_US",
            "en-abcdefgh",
            "en-abcdefghi",
            "EN-us",
            "123",
            "en-US-x-private",
            "sgn-BE-FR",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            format!("en{}", "-abcdefgh".repeat(4)),
            format!("en{}-a", "-abcdefgh".repeat(3)),
        ])
        .collect(),
        Rule::Currency => [
            "USD", "usd", "EUR", "JPY", "KWD", "XXX", "US", "USDD", " USD", "ZWL",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::Font => [
            "serif",
            "sans-serif",
            "Arial",
            "arial",
            "Times New Roman",
            "times new roman",
            " serif",
            "serif ",
            "Comic Sans MS",
            "serif,monospace",
            "\"Arial\"",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::Color => [
            "#fff", "#FFF", "#ffffff", "#A1b2C3", "#ff", "#ffff", "#fffff", "#fffffff", "fff",
            "#ggg", " #fff", "#fff;", "red",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::OrderStatus => [
            "PENDING",
            "pending",
            "READY",
            "CANCELLED",
            "CANCELED",
            "DONE",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::TrackingToken | Rule::OrderCursor => {
            let mut tokens = Vec::new();
            for n in [31, 32, 33, 42, 43, 44] {
                tokens.push("A".repeat(n));
                tokens.push(format!("{}-_", "b".repeat(n - 2)));
                tokens.push(format!("{}+/", "c".repeat(n - 2)));
                tokens.push(format!("{}=", "d".repeat(n - 1)));
            }
            tokens
        }
        Rule::IdempotencyKey => {
            let mut keys: Vec<String> = ["k", "checkout-7f3a", "a b", "a\tb", "é", "!~", "\u{7f}"]
                .map(str::to_owned)
                .to_vec();
            keys.extend([254, 255, 256].map(|n| "k".repeat(n)));
            keys
        }
        Rule::SoldOutUntil => [
            "indefinitely",
            "Indefinitely",
            "indefinitely ",
            "2026-12-07T21:00:00Z",
            "2026-12-07T21:00:00+01:00",
            "2026-12-07T21:00:00-05:30",
            "2026-12-07T21:00:00.5Z",
            "2026-12-07T21:00:00.123456789Z",
            "2026-12-07T21:00:00.1234567890Z",
            "2026-12-07T21:00:00.Z",
            "2026-12-07T21:00Z",
            "2026-12-07 21:00:00Z",
            "2026-12-07t21:00:00z",
            "2026-12-07T21:00:00",
            "2026-12-07T21:00:00+0100",
            "2026-12-07",
            "tomorrow",
            "",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::Instant => [
            "2026-12-07T21:00:00Z",
            "2026-12-07T21:00:00+01:00",
            "2026-12-07T21:00:00-05:30",
            "2026-12-07T21:00:00.5Z",
            "2026-12-07T21:00:00.1234567890Z",
            "2026-12-07T21:00Z",
            "2026-12-07 21:00:00Z",
            "2026-12-07t21:00:00z",
            "2026-12-07T21:00:00",
            "2026-12-07T21:00:00+0100",
            "2026-12-07T21:00:00Z[Europe/Paris]",
            "2026-12-07",
            "indefinitely",
            "",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::Date => [
            "2026-12-07",
            "2026-12-7",
            "26-12-07",
            "2026-12-07T00:00:00Z",
            "2026/12/07",
            "20261207",
            " 2026-12-07",
            "today",
            "",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::TimeOfDay => [
            "00:00", "09:30", "23:59", "24:00", "24:01", "25:00", "9:30", "09:3", "09:60", "0930",
            "09-30", "-1:00", " 09:30", "ab:cd",
        ]
        .map(str::to_owned)
        .to_vec(),
        Rule::OneOf(words) => {
            let mut words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            words.extend(words.clone().iter().map(|w| w.to_uppercase()));
            words.extend(["", "keto", "active ", "vegan,spicy"].map(str::to_owned));
            words
        }
        _ => Vec::new(),
    }
}

fn property<'a>(document: &'a Value, schema: &str, property: &str) -> &'a Value {
    let root = &document["components"]["schemas"][schema];
    let (name, items) = match property.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (property, false),
    };
    let mut target = root;
    if !name.is_empty() {
        target = &target["properties"][name];
    }
    if items {
        target = &target["items"];
    }
    assert!(
        !target.is_null(),
        "{schema}.{property} is not in the document"
    );
    target
}

fn parameter<'a>(document: &'a Value, operation: &str, name: &str) -> &'a Value {
    document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter(|op| op["operationId"] == operation)
        .flat_map(|op| op["parameters"].as_array().into_iter().flatten())
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{operation}({name}) is not in the document"))
}

/// Every disagreement between `schema` and core under `rule`, for `field`.
fn disagreements(field: &str, schema: &Value, rule: Rule) -> Vec<String> {
    let mut found = Vec::new();
    match rule {
        Rule::Int(range) => {
            for sample in [
                range.min - 1,
                range.min,
                range.min + 1,
                range.max - 1,
                range.max,
                range.max + 1,
                i64::MIN,
                i64::MAX,
                0,
                -1,
            ] {
                let (doc, core) = (admits_int(schema, sample), core_accepts_int(range, sample));
                if doc != core {
                    found.push(format!("{field}: {sample}: document {doc}, core {core}"));
                }
            }
        }
        Rule::Items(range) => {
            for count in [0, 1, 2, range.max as usize, range.max as usize + 1] {
                let (doc, core) = (
                    admits_items(schema, count),
                    core_accepts_items(field, count),
                );
                if doc != core {
                    found.push(format!(
                        "{field}: {count} items: document {doc}, core {core}"
                    ));
                }
            }
        }
        rule => {
            for sample in string_samples(rule) {
                let (doc, core) = (admits_string(schema, &sample), core_accepts(rule, &sample));
                if doc != core {
                    let shown: String = sample.chars().take(80).collect();
                    found.push(format!(
                        "{field}: {shown:?} ({} chars): document {doc}, core {core}",
                        sample.chars().count()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn the_document_and_core_agree_on_every_sample() {
    let document = document();
    let mut found = Vec::new();
    for (schema, field, rule) in SCHEMAS {
        let target = property(&document, schema, field);
        found.extend(disagreements(&format!("{schema}.{field}"), target, *rule));
    }
    for (operation, name, rule) in PARAMETERS {
        let target = parameter(&document, operation, name);
        found.extend(disagreements(
            &format!("{operation}({name})"),
            target,
            *rule,
        ));
    }
    assert!(
        found.is_empty(),
        "{} disagreements:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_check_itself_can_tell_a_disagreement() {
    // A pattern one character looser than the rule: the comparison must notice.
    let document = document();
    let mut loose = property(&document, "NewMenuItem", "name").clone();
    loose["maxLength"] = Value::from(MENU_ITEM_NAME.max_chars + 1);
    assert!(!disagreements("loose", &loose, Rule::Text(MENU_ITEM_NAME)).is_empty());
    let mut no_pattern = property(&document, "Theme", "font").clone();
    no_pattern["pattern"] = Value::Null;
    assert!(!disagreements("no pattern", &no_pattern, Rule::Font).is_empty());
}

#[test]
fn every_string_field_of_a_request_body_is_governed_by_a_rule() {
    // A new text field must be named in `SCHEMAS` (or here, when nothing constrains it).
    let unconstrained = [
        "ProvisionRequest.timezone",
        "TenantPatch.timezone",
        "SettingsPatch.timezone",
    ];
    let document = document();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut ungoverned = Vec::new();
    for (name, schema) in schemas {
        // Request bodies refuse unknown fields; answers are not validated on the way in.
        if schema["additionalProperties"] != Value::Bool(false) {
            continue;
        }
        for (field, definition) in schema["properties"].as_object().unwrap() {
            let types = definition["type"].to_string();
            let text = types.contains("string") && definition["format"].is_null();
            let key = format!("{name}.{field}");
            let governed = SCHEMAS.iter().any(|(s, f, _)| s == name && f == field);
            if text && !governed && !unconstrained.contains(&key.as_str()) {
                ungoverned.push(key);
            }
        }
    }
    assert!(ungoverned.is_empty(), "no rule for {ungoverned:?}");
}
