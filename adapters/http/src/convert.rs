//! Wire bodies to domain values (parsing, every problem reported at once) and back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::HeaderValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use chameleon_core::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
use chameleon_core::idempotency::{IdempotencyKey, IdempotencyKeyError};
use chameleon_core::menu::{
    Category, CategoryId, CategoryName, CategoryPatch, Description, ImageUrl, MenuItem, MenuItemId,
    MenuItemName, MenuItemPatch, NewCategory, NewMenuItem, Position, PriceCents, StoreMenu, Tag,
};
use chameleon_core::options::{
    NewOptionGroup, OptionChoice, OptionEdit, OptionGroup, OptionGroupId, OptionGroupName,
    OptionGroupPatch, OptionId, OptionName, OptionsChange, PriceDelta, SoldOut, max_choices,
    min_choices,
};
use chameleon_core::order::{
    CustomerName, Order, OrderCursor, OrderId, OrderLines, OrderLinesError, OrderList, OrderPage,
    OrderRequest, OrderSort, OrderStatus, PageLimit, Quantity,
};
use chameleon_core::pickup::{
    BusyMinutes, Closures, DayBoard, DaysAhead, PickupPatch, PickupSettings, PrepMinutes,
    SlotCapacity, SlotMinutes,
};
use chameleon_core::rules::numbers::OPTION_GROUPS_PER_ITEM;
use chameleon_core::service::StoreConfig;
use chameleon_core::tenant::{
    Domain, Tenant, TenantDetails, TenantName, TenantPatch, TenantStatus,
};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use chameleon_wire as wire;
use jiff::tz::TimeZone;

use crate::error::ApiError;
use crate::problem_code::ProblemCode;

/// Collects field errors so one response names every problem of a body.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check<T, E: std::fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|e| self.0.push(format!("{field}: {e}")))
            .ok()
    }

    /// `Ok(value)` when no problem was recorded (every `Option` is then `Some`).
    fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        match (self.0.is_empty(), build()) {
            (true, Some(value)) => Ok(value),
            _ => Err(ApiError::invalid(self.0.join("; "))),
        }
    }
}

fn parse_theme(problems: &mut Problems, theme: &wire::Theme) -> Option<Theme> {
    let primary_color = problems.check(
        "theme.primary_color",
        ThemeColor::parse(&theme.primary_color),
    );
    let font = problems.check("theme.font", Font::parse(&theme.font));
    Some(Theme {
        primary_color: primary_color?,
        font: font?,
    })
}

fn parse_hours(problems: &mut Problems, hours: &wire::OpeningHours) -> Option<OpeningHours> {
    parse_hours_as(problems, "opening_hours", hours)
}

fn parse_hours_as(
    problems: &mut Problems,
    field: &str,
    hours: &wire::OpeningHours,
) -> Option<OpeningHours> {
    let days = [
        ("mon", &hours.mon),
        ("tue", &hours.tue),
        ("wed", &hours.wed),
        ("thu", &hours.thu),
        ("fri", &hours.fri),
        ("sat", &hours.sat),
        ("sun", &hours.sun),
    ];
    problems.check(
        field,
        OpeningHours::parse(days.into_iter().filter_map(|(day, ranges)| {
            ranges.as_ref().map(|ranges| {
                (
                    day,
                    ranges
                        .iter()
                        .map(|[start, end]| (start.as_str(), end.as_str()))
                        .collect(),
                )
            })
        })),
    )
}

pub fn opening_hours(hours: &OpeningHours) -> wire::OpeningHours {
    let mut body = wire::OpeningHours::default();
    for (day, ranges) in hours.days() {
        if ranges.is_empty() {
            continue;
        }
        let ranges = Some(
            ranges
                .iter()
                .map(|r| [r.start.to_string(), r.end.to_string()])
                .collect(),
        );
        match day {
            "mon" => body.mon = ranges,
            "tue" => body.tue = ranges,
            "wed" => body.wed = ranges,
            "thu" => body.thu = ranges,
            "fri" => body.fri = ranges,
            "sat" => body.sat = ranges,
            _ => body.sun = ranges,
        }
    }
    body
}

/// The trading settings a request names (each `None` when absent), every problem recorded.
struct SettingsFields {
    currency: Option<Option<Currency>>,
    locale: Option<Option<Locale>>,
    timezone: Option<Option<TimeZoneName>>,
    hours: Option<Option<Option<OpeningHours>>>,
}

fn parse_settings(
    problems: &mut Problems,
    currency: Option<&String>,
    locale: Option<&String>,
    timezone: Option<&String>,
    hours: Option<Option<&wire::OpeningHours>>,
) -> SettingsFields {
    SettingsFields {
        currency: currency.map(|c| problems.check("currency", Currency::parse(c))),
        locale: locale.map(|l| problems.check("locale", Locale::parse(l))),
        timezone: timezone.map(|t| problems.check("timezone", TimeZoneName::parse(t))),
        hours: hours.map(|h| match h {
            None => Some(None),
            Some(h) => parse_hours(problems, h).map(Some),
        }),
    }
}

/// The pickup fields a body may carry, as sent.
#[derive(Default)]
struct PickupFields<'a> {
    prep_minutes: Option<i64>,
    slot_minutes: Option<i64>,
    slot_capacity: Option<Option<i64>>,
    schedule_days_ahead: Option<i64>,
    busy_extra_minutes: Option<i64>,
    accepting_orders: Option<bool>,
    closures: Option<&'a [wire::Closure]>,
}

macro_rules! pickup_fields {
    ($body:expr) => {
        PickupFields {
            prep_minutes: $body.prep_minutes,
            slot_minutes: $body.slot_minutes,
            slot_capacity: $body.slot_capacity,
            schedule_days_ahead: $body.schedule_days_ahead,
            busy_extra_minutes: $body.busy_extra_minutes,
            accepting_orders: $body.accepting_orders,
            closures: $body.closures.as_deref(),
        }
    };
}

/// The pickup patch of `fields`; `None` when a problem was recorded.
fn parse_pickup(problems: &mut Problems, fields: PickupFields<'_>) -> Option<PickupPatch> {
    fn field<T>(value: Option<Option<T>>) -> Result<Option<T>, ()> {
        settled(value)
    }
    let prep = fields
        .prep_minutes
        .map(|v| problems.check("prep_minutes", PrepMinutes::try_from(v)));
    let slot = fields
        .slot_minutes
        .map(|v| problems.check("slot_minutes", SlotMinutes::try_from(v)));
    let capacity = fields.slot_capacity.map(|c| match c {
        None => Some(None),
        Some(v) => problems
            .check("slot_capacity", SlotCapacity::try_from(v))
            .map(Some),
    });
    let days = fields
        .schedule_days_ahead
        .map(|v| problems.check("schedule_days_ahead", DaysAhead::try_from(v)));
    let busy = fields
        .busy_extra_minutes
        .map(|v| problems.check("busy_extra_minutes", BusyMinutes::try_from(v)));
    let closures = fields.closures.map(|list| {
        problems.check(
            "closures",
            Closures::parse(list.iter().map(|c| (c.date.as_str(), c.reason.as_str()))),
        )
    });
    Some(PickupPatch {
        prep_minutes: field(prep).ok()?,
        slot_minutes: field(slot).ok()?,
        slot_capacity: field(capacity).ok()?,
        schedule_days_ahead: field(days).ok()?,
        busy_extra_minutes: field(busy).ok()?,
        accepting_orders: fields.accepting_orders,
        closures: field(closures).ok()?,
    })
}

/// `Some(Some(v))` → `Some(v)`; `Some(None)` (invalid, recorded) → `Err`; `None` → `None`.
fn settled<T>(field: Option<Option<T>>) -> Result<Option<T>, ()> {
    match field {
        Some(Some(value)) => Ok(Some(value)),
        Some(None) => Err(()),
        None => Ok(None),
    }
}

/// The validated parts of a provisioning request.
pub fn new_tenant(
    body: &wire::ProvisionRequest,
) -> Result<(Domain, TenantName, Theme, StoreSettings), ApiError> {
    let mut problems = Problems::default();
    let domain = problems.check("domain", Domain::parse_name(&body.domain));
    let name = match (&body.name, &domain) {
        (Some(name), _) => problems.check("name", TenantName::parse(name)),
        // Without a name the storefront shows the domain, which always fits a name.
        (None, Some(domain)) => problems.check("name", TenantName::parse(domain.as_str())),
        (None, None) => None,
    };
    let theme = parse_theme(&mut problems, &body.theme);
    let settings = parse_settings(
        &mut problems,
        body.currency.as_ref(),
        body.locale.as_ref(),
        body.timezone.as_ref(),
        body.opening_hours.as_ref().map(Some),
    );
    let pickup = parse_pickup(&mut problems, pickup_fields!(body));
    problems.finish(|| {
        let settings = StoreSettings {
            currency: settled(settings.currency).ok()?.unwrap_or_default(),
            locale: settled(settings.locale).ok()?.unwrap_or_default(),
            timezone: settled(settings.timezone).ok()?.unwrap_or_default(),
            opening_hours: settled(settings.hours).ok()?.flatten(),
            pickup: pickup?.apply(&PickupSettings::default()),
        };
        Some((domain?, name?, theme?, settings))
    })
}

/// What a tenant patch (system or manager: the manager's has no status) may carry.
struct PatchFields<'a> {
    name: Option<&'a String>,
    theme: Option<&'a wire::Theme>,
    status: Option<&'a wire::TenantStatus>,
    currency: Option<&'a String>,
    locale: Option<&'a String>,
    timezone: Option<&'a String>,
    hours: Option<Option<&'a wire::OpeningHours>>,
    pickup: PickupFields<'a>,
}

/// The validated parts of a tenant patch.
fn tenant_patch_of(fields: PatchFields<'_>) -> Result<TenantPatch, ApiError> {
    let PatchFields {
        name,
        theme,
        status,
        currency,
        locale,
        timezone,
        hours,
        pickup,
    } = fields;
    let mut problems = Problems::default();
    let name = name.map(|name| problems.check("name", TenantName::parse(name)));
    let status =
        status.map(|status| problems.check("status", TenantStatus::parse(status.as_str())));
    let theme = theme.map(|theme| parse_theme(&mut problems, theme));
    let settings = parse_settings(&mut problems, currency, locale, timezone, hours);
    let pickup = parse_pickup(&mut problems, pickup);
    problems.finish(|| {
        Some(TenantPatch {
            pickup: pickup?,
            name: name.map(|n| n.ok_or(())).transpose().ok()?,
            theme: theme.map(|t| t.ok_or(())).transpose().ok()?,
            currency: settled(settings.currency).ok()?,
            locale: settled(settings.locale).ok()?,
            timezone: settled(settings.timezone).ok()?,
            opening_hours: settled(settings.hours).ok()?,
            status: status.map(|s| s.ok_or(())).transpose().ok()?,
        })
    })
}

pub fn tenant_patch(body: &wire::TenantPatch) -> Result<TenantPatch, ApiError> {
    tenant_patch_of(PatchFields {
        name: body.name.as_ref(),
        theme: body.theme.as_ref(),
        status: body.status.as_ref(),
        currency: body.currency.as_ref(),
        locale: body.locale.as_ref(),
        timezone: body.timezone.as_ref(),
        hours: body.opening_hours.as_ref().map(Option::as_ref),
        pickup: PickupFields::default(),
    })
}

pub fn settings_patch(body: &wire::SettingsPatch) -> Result<TenantPatch, ApiError> {
    tenant_patch_of(PatchFields {
        name: body.name.as_ref(),
        theme: body.theme.as_ref(),
        status: None,
        currency: body.currency.as_ref(),
        locale: body.locale.as_ref(),
        timezone: body.timezone.as_ref(),
        hours: body.opening_hours.as_ref().map(Option::as_ref),
        pickup: pickup_fields!(body),
    })
}

pub fn new_domain(body: &wire::NewDomain) -> Result<Domain, ApiError> {
    Domain::parse_name(&body.domain).map_err(|e| ApiError::invalid(format!("domain: {e}")))
}

pub fn tenant_status(status: TenantStatus) -> wire::TenantStatus {
    wire::TenantStatus::new(status.as_str())
}

pub fn tenant_details(details: &TenantDetails) -> wire::TenantDetails {
    let tenant = &details.tenant;
    wire::TenantDetails {
        tenant_id: tenant.id.as_uuid(),
        schema_name: tenant.schema.as_str().to_owned(),
        domain: tenant.domain.as_str().to_owned(),
        name: tenant.name.as_str().to_owned(),
        theme: theme(&tenant.theme),
        status: tenant_status(tenant.status),
        domains: details
            .domains
            .iter()
            .map(|d| wire::TenantDomain {
                domain: d.domain.as_str().to_owned(),
                primary: d.primary,
                certificate: wire::DomainCertificate {
                    status: d.certificate.status.as_str().to_owned(),
                    not_after: d.certificate.not_after.map(rfc3339),
                    last_error: d.certificate.last_error.clone(),
                },
            })
            .collect(),
        currency: tenant.settings.currency.code().to_owned(),
        locale: tenant.settings.locale.as_str().to_owned(),
        timezone: tenant.settings.timezone.as_str().to_owned(),
        opening_hours: tenant.settings.opening_hours.as_ref().map(opening_hours),
    }
}

pub fn new_menu_item(body: &wire::NewMenuItem) -> Result<NewMenuItem, ApiError> {
    let mut problems = Problems::default();
    let name = problems.check("name", MenuItemName::parse(&body.name));
    let price = problems.check("price", PriceCents::try_from(body.price));
    let description = body
        .description
        .as_deref()
        .map(|text| problems.check("description", Description::parse(text)));
    let image_url = body
        .image_url
        .as_deref()
        .map(|url| problems.check("image_url", ImageUrl::parse(url)));
    let tags = problems.check("tags", tags(body.tags.as_deref().unwrap_or_default()));
    let groups = problems.check(
        "option_group_ids",
        group_ids(body.option_group_ids.as_deref().unwrap_or_default()),
    );
    let sold_out = body
        .sold_out_until
        .as_deref()
        .map(|raw| problems.check("sold_out_until", SoldOut::parse(raw)));
    let sold_out = sold_out.map(|s| s.ok_or(())).transpose();
    if let (Some(false), Ok(Some(SoldOut::Until(_)))) = (body.is_available, &sold_out) {
        problems.0.push(
            "is_available: false is sold out indefinitely; it cannot also be sold out until a \
             time"
                .to_owned(),
        );
    }
    problems.finish(|| {
        let mut item = NewMenuItem {
            name: name?,
            price: price?,
            is_available: body.is_available.unwrap_or(true),
            sold_out_until: None,
            option_groups: groups?,
            category: body.category_id.map(CategoryId::from_uuid),
            description: description.map(|d| d.ok_or(())).transpose().ok()?,
            image_url: image_url.map(|u| u.ok_or(())).transpose().ok()?,
            tags: tags?,
        };
        match sold_out.ok()? {
            Some(SoldOut::Indefinitely) => item.is_available = false,
            Some(SoldOut::Until(until)) => item.sold_out_until = Some(until),
            None => {}
        }
        Some(item)
    })
}

/// An item's option groups: each once, in the order first given; at most
/// [`OPTION_GROUPS_PER_ITEM`].
fn group_ids(ids: &[uuid::Uuid]) -> Result<Vec<OptionGroupId>, String> {
    // Counted as sent, as the document's `maxItems` counts them.
    if ids.len() > OPTION_GROUPS_PER_ITEM {
        return Err(format!(
            "an item offers at most {OPTION_GROUPS_PER_ITEM} option groups"
        ));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids
        .iter()
        .filter(|id| seen.insert(**id))
        .map(|id| OptionGroupId::from_uuid(*id))
        .collect())
}

/// A nullable field of a patch: absent stays `None`, `null` is `Some(None)`, a value is parsed.
/// An invalid value is recorded as a problem (and the patch is then never built).
fn nullable<T, E: std::fmt::Display>(
    problems: &mut Problems,
    field: &str,
    value: Option<Option<&str>>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value? {
        None => Some(None),
        Some(raw) => problems.check(field, parse(raw)).map(Some),
    }
}

pub fn menu_patch(body: &wire::MenuItemPatch) -> Result<MenuItemPatch, ApiError> {
    let mut problems = Problems::default();
    let name = body
        .name
        .as_deref()
        .map(|name| problems.check("name", MenuItemName::parse(name)));
    let price = body
        .price
        .map(|price| problems.check("price", PriceCents::try_from(price)));
    let description = nullable(
        &mut problems,
        "description",
        body.description.as_ref().map(Option::as_deref),
        Description::parse,
    );
    let image_url = nullable(
        &mut problems,
        "image_url",
        body.image_url.as_ref().map(Option::as_deref),
        ImageUrl::parse,
    );
    let tags = body
        .tags
        .as_deref()
        .map(|list| problems.check("tags", tags(list)));
    let groups = body
        .option_group_ids
        .as_deref()
        .map(|ids| problems.check("option_group_ids", group_ids(ids)));
    let sold_out = nullable(
        &mut problems,
        "sold_out_until",
        body.sold_out_until.as_ref().map(Option::as_deref),
        SoldOut::parse,
    );
    if body.is_available.is_some() && body.sold_out_until.is_some() {
        problems.0.push(
            "sold_out_until: give is_available or sold_out_until, not both (is_available: false \
             is sold_out_until: \"indefinitely\")"
                .to_owned(),
        );
    }
    // A field present but invalid was recorded as a problem, so `flatten` only ever turns
    // "absent" into `None` by the time `finish` uses the value.
    problems.finish(|| {
        Some(MenuItemPatch {
            name: name.flatten(),
            price: price.flatten(),
            is_available: body.is_available,
            sold_out,
            option_groups: groups.flatten(),
            category: body
                .category_id
                .map(|category| category.map(CategoryId::from_uuid)),
            description,
            image_url,
            tags: tags.flatten(),
        })
    })
}

/// The tags of a body, as a set (each once, in the rules' order); an unknown one is refused.
fn tags(wire: &[wire::Tag]) -> Result<Vec<Tag>, chameleon_core::menu::TagError> {
    Tag::parse_set(wire.iter().map(wire::Tag::as_str))
}

pub fn new_category(body: &wire::NewCategory) -> Result<NewCategory, ApiError> {
    let mut problems = Problems::default();
    let name = problems.check("name", CategoryName::parse(&body.name));
    let position = problems.check("position", Position::try_from(body.position));
    let serving_hours = body
        .serving_hours
        .as_ref()
        .map(|hours| parse_hours_as(&mut problems, "serving_hours", hours));
    problems.finish(|| {
        Some(NewCategory {
            name: name?,
            position: position?,
            serving_hours: serving_hours.map(|h| h.ok_or(())).transpose().ok()?,
        })
    })
}

pub fn category_patch(body: &wire::CategoryPatch) -> Result<CategoryPatch, ApiError> {
    let mut problems = Problems::default();
    let name = body
        .name
        .as_deref()
        .map(|name| problems.check("name", CategoryName::parse(name)));
    let position = body
        .position
        .map(|position| problems.check("position", Position::try_from(position)));
    let serving_hours = body.serving_hours.as_ref().map(|hours| match hours {
        None => Some(None),
        Some(hours) => parse_hours_as(&mut problems, "serving_hours", hours).map(Some),
    });
    problems.finish(|| {
        Some(CategoryPatch {
            name: name.flatten(),
            position: position.flatten(),
            serving_hours: serving_hours.flatten(),
        })
    })
}

pub fn category(category: &Category) -> wire::Category {
    wire::Category {
        id: category.id.as_uuid(),
        name: category.name.as_str().to_owned(),
        position: i64::from(category.position.get()),
        serving_hours: category.serving_hours.as_ref().map(opening_hours),
    }
}

/// The storefront's menu, with whether each item and option can be had at `now` in `zone`.
pub fn store_menu(
    menu: &StoreMenu,
    zone: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> wire::StoreMenu {
    wire::StoreMenu {
        categories: menu.categories.iter().map(category).collect(),
        items: menu
            .items
            .iter()
            .map(|item| {
                let availability = item.availability(menu.category_of(item), zone, now);
                let plain = menu_item(item);
                wire::StoreMenuItem {
                    id: plain.id,
                    name: plain.name,
                    price: plain.price,
                    is_available: plain.is_available,
                    category_id: plain.category_id,
                    description: plain.description,
                    image_url: plain.image_url,
                    tags: plain.tags,
                    option_group_ids: plain.option_group_ids,
                    sold_out_until: plain.sold_out_until,
                    available: availability.available,
                    available_from: availability.from.map(|at| at.to_string()),
                }
            })
            .collect(),
        option_groups: menu
            .option_groups
            .iter()
            .map(|group| wire::StoreOptionGroup {
                id: group.id.as_uuid(),
                name: group.name.as_str().to_owned(),
                min: i64::from(group.min),
                max: i64::from(group.max),
                options: group
                    .options
                    .iter()
                    .map(|option| wire::StoreOption {
                        id: option.id.as_uuid(),
                        name: option.name.as_str().to_owned(),
                        price_delta: option.price_delta.cents(),
                        available: option.available_at(now),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Body of `POST /api/v1/manager/option-groups`; each option gets a fresh id.
pub fn new_option_group(body: &wire::NewOptionGroup) -> Result<NewOptionGroup, ApiError> {
    let mut problems = Problems::default();
    let name = problems.check("name", OptionGroupName::parse(&body.name));
    let min = problems.check("min", min_choices(body.min));
    let max = problems.check("max", max_choices(body.max));
    if body.options.len() > OptionGroup::MAX_OPTIONS {
        return Err(too_many_options());
    }
    let options: Vec<Option<OptionChoice>> = body
        .options
        .iter()
        .enumerate()
        .map(|(n, option)| {
            let name = problems.check(
                &format!("options[{n}].name"),
                OptionName::parse(&option.name),
            );
            let delta = problems.check(
                &format!("options[{n}].price_delta"),
                PriceDelta::try_from(option.price_delta),
            );
            let sold_out = option.sold_out_until.as_deref().map(|raw| {
                problems.check(&format!("options[{n}].sold_out_until"), SoldOut::parse(raw))
            });
            Some(OptionChoice {
                id: OptionId::from_uuid(uuid::Uuid::now_v7()),
                name: name?,
                price_delta: delta?,
                sold_out: sold_out.map(|s| s.ok_or(())).transpose().ok()?,
            })
        })
        .collect();
    // The rules of a group as a whole (min <= max, enough options) are the service's.
    problems.finish(|| {
        Some(NewOptionGroup {
            name: name?,
            min: min?,
            max: max?,
            options: options.into_iter().collect::<Option<_>>()?,
        })
    })
}

/// 422 `limit_reached` for a list of more options than a group may have.
fn too_many_options() -> ApiError {
    ApiError::new(
        ProblemCode::LimitReached,
        format!(
            "options: a group has at most {} options",
            OptionGroup::MAX_OPTIONS
        ),
    )
}

/// Body of `PATCH /api/v1/manager/option-groups/{id}`; a new option gets a fresh id.
pub fn option_group_patch(body: &wire::OptionGroupPatch) -> Result<OptionGroupPatch, ApiError> {
    let mut problems = Problems::default();
    let name = body
        .name
        .as_deref()
        .map(|name| problems.check("name", OptionGroupName::parse(name)));
    let min = body.min.map(|min| problems.check("min", min_choices(min)));
    let max = body.max.map(|max| problems.check("max", max_choices(max)));
    let options = match &body.options {
        None => Some(None),
        Some(list) if list.len() > OptionGroup::MAX_OPTIONS => return Err(too_many_options()),
        Some(list) if list.is_empty() => {
            problems
                .0
                .push("options: a group needs at least one option".to_owned());
            None
        }
        Some(list) => option_edits(&mut problems, list).map(Some),
    };
    problems.finish(|| {
        Some(OptionGroupPatch {
            name: name.flatten(),
            min: min.flatten(),
            max: max.flatten(),
            options: options?,
        })
    })
}

/// A patch's option list: availability marks alone when every entry carries only `id` and
/// `sold_out_until`; otherwise the new list.
fn option_edits(problems: &mut Problems, list: &[wire::OptionPatch]) -> Option<OptionsChange> {
    let marks_only = !list.is_empty()
        && list.iter().all(|o| {
            o.id.is_some()
                && o.name.is_none()
                && o.price_delta.is_none()
                && o.sold_out_until.is_some()
        });
    let mut marks = Vec::new();
    let mut edits = Vec::new();
    let mut whole = true;
    for (n, option) in list.iter().enumerate() {
        let field = |what: &str| format!("options[{n}].{what}");
        let name = option
            .name
            .as_deref()
            .map(|name| problems.check(&field("name"), OptionName::parse(name)));
        let delta = option
            .price_delta
            .map(|delta| problems.check(&field("price_delta"), PriceDelta::try_from(delta)));
        let sold_out = nullable(
            problems,
            &field("sold_out_until"),
            option.sold_out_until.as_ref().map(Option::as_deref),
            SoldOut::parse,
        );
        let (Some(name), Some(delta)) = (
            name.map_or(Some(None), |n| n.map(Some)),
            delta.map_or(Some(None), |d| d.map(Some)),
        ) else {
            whole = false;
            continue;
        };
        if option.sold_out_until.is_some() && sold_out.is_none() {
            whole = false;
            continue;
        }
        match option.id {
            Some(id) if marks_only => {
                marks.push((OptionId::from_uuid(id), sold_out.flatten()));
            }
            Some(id) => edits.push(OptionEdit::Keep {
                id: OptionId::from_uuid(id),
                name,
                price_delta: delta,
                sold_out,
            }),
            None => match (name, delta) {
                (Some(name), Some(price_delta)) => edits.push(OptionEdit::Add(OptionChoice {
                    id: OptionId::from_uuid(uuid::Uuid::now_v7()),
                    name,
                    price_delta,
                    sold_out: sold_out.flatten(),
                })),
                _ => {
                    problems.0.push(format!(
                        "options[{n}]: a new option (no id) needs a name and a price_delta"
                    ));
                    whole = false;
                }
            },
        }
    }
    if !whole {
        return None;
    }
    Some(if marks_only {
        OptionsChange::Availability(marks)
    } else {
        OptionsChange::Replace(edits)
    })
}

pub fn option_group(group: &OptionGroup) -> wire::OptionGroup {
    wire::OptionGroup {
        id: group.id.as_uuid(),
        name: group.name.as_str().to_owned(),
        min: i64::from(group.min),
        max: i64::from(group.max),
        options: group
            .options
            .iter()
            .map(|option| wire::OptionChoice {
                id: option.id.as_uuid(),
                name: option.name.as_str().to_owned(),
                price_delta: option.price_delta.cents(),
                sold_out_until: option.sold_out.map(|s| s.to_string()),
            })
            .collect(),
    }
}

pub fn order_request(body: &wire::PlaceOrder) -> Result<OrderRequest, ApiError> {
    let mut problems = Problems::default();
    let customer = problems.check("customer", CustomerName::parse(&body.customer));
    let mut lines = Vec::with_capacity(body.items.len());
    for (n, line) in body.items.iter().enumerate() {
        if let Some(qty) = problems.check(&format!("items[{n}].qty"), Quantity::try_from(line.qty))
        {
            let options = line
                .options
                .iter()
                .flatten()
                .map(|id| OptionId::from_uuid(*id))
                .collect();
            lines.push((MenuItemId::from_uuid(line.id), qty, options));
        }
    }
    let lines = if lines.len() == body.items.len() {
        match OrderLines::parse_with_options(lines) {
            Err(OrderLinesError::DuplicateOption { line, option }) => {
                return Err(ApiError::new(
                    ProblemCode::DuplicateOption,
                    format!("items[{line}].options: option {option} is chosen more than once"),
                )
                .at_line(line));
            }
            parsed => problems.check("items", parsed),
        }
    } else {
        None
    };
    let pickup_at = body
        .pickup_at
        .as_deref()
        .map(|at| problems.check("pickup_at", instant(at)));
    problems.finish(|| {
        Some(OrderRequest {
            customer: customer?,
            lines: lines?,
            pickup_at: settled(pickup_at).ok()?,
        })
    })
}

/// An RFC 3339 instant written in full, with its offset (`2026-12-08T18:30:00+01:00`, or `Z`).
pub fn instant(raw: &str) -> Result<jiff::Timestamp, String> {
    chameleon_core::options::parse_instant(raw).ok_or_else(|| {
        format!(
            "{:?} is not an RFC 3339 instant (2026-12-08T18:30:00+01:00)",
            raw.chars().take(40).collect::<String>()
        )
    })
}

/// The `Idempotency-Key` header, if sent: 400 when it is not 1 to 255 visible ASCII characters.
pub fn idempotency_key(header: Option<&HeaderValue>) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(header) = header else {
        return Ok(None);
    };
    header
        .to_str()
        .ok()
        .and_then(|raw| IdempotencyKey::parse(raw).ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(IdempotencyKeyError.to_string()))
}

/// The query of `GET /api/v1/manager/orders`: 400 for a limit outside 1 to 100, a cursor this
/// API did not give, or an unknown status.
pub fn order_page(query: &wire::ListOrdersQuery) -> Result<OrderPage, ApiError> {
    let mut page = OrderPage::default();
    if let Some(limit) = query.limit {
        page.limit =
            PageLimit::try_from(limit).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    if let Some(cursor) = &query.cursor {
        page.after = Some(decode_cursor(cursor).ok_or_else(|| {
            ApiError::bad_request("cursor: not a cursor this API gave (use next_cursor as is)")
        })?);
    }
    if let Some(status) = &query.status {
        page.status = Some(
            OrderStatus::parse(status)
                .map_err(|e| ApiError::bad_request(format!("status: {e}")))?,
        );
    }
    let bound = |name: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(instant)
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
    };
    page.pickup_from = bound("pickup_from", &query.pickup_from)?;
    page.pickup_to = bound("pickup_to", &query.pickup_to)?;
    page.sort = match query.sort.as_deref() {
        None => OrderSort::Newest,
        Some("pickup") => OrderSort::Pickup,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "sort: {other:?} is not a sort (`pickup`, or none for newest first)"
            )));
        }
    };
    Ok(page)
}

/// A cursor, opaque to clients: 8 bytes of microseconds since 1970, big-endian, and the order's
/// 16-byte id, in URL-safe base64 without padding.
pub fn encode_cursor(cursor: &OrderCursor) -> String {
    let micros = cursor
        .created_at
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&micros.to_be_bytes());
    bytes.extend_from_slice(cursor.id.as_uuid().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Any 24 bytes are a position in the listing (a time and an id), so any text of the cursor's
/// form is accepted, as its schema says; only the form is checked.
fn decode_cursor(text: &str) -> Option<OrderCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let (micros, id) = bytes.split_at(8);
    // Clamped to what a PostgreSQL timestamp can hold (4713 BC to 294276 AD): a position past
    // either end lists the same orders as the end itself.
    let micros = i64::from_be_bytes(micros.try_into().ok()?)
        .clamp(-200_000_000_000_000_000, 9_000_000_000_000_000_000);
    let since_epoch = Duration::from_micros(micros.unsigned_abs());
    let created_at = if micros >= 0 {
        UNIX_EPOCH.checked_add(since_epoch)?
    } else {
        UNIX_EPOCH.checked_sub(since_epoch)?
    };
    Some(OrderCursor {
        created_at,
        id: OrderId::from_uuid(uuid::Uuid::from_slice(id).ok()?),
    })
}

pub fn order_list(list: &OrderList, zone: &TimeZone) -> wire::OrderPage {
    wire::OrderPage {
        items: list.items.iter().map(|o| order(o, zone)).collect(),
        next_cursor: list.next.as_ref().map(encode_cursor),
    }
}

pub fn theme(theme: &Theme) -> wire::Theme {
    wire::Theme {
        primary_color: theme.primary_color.as_str().to_owned(),
        font: theme.font.name().to_owned(),
    }
}

pub fn tenant_summary(tenant: &Tenant) -> wire::TenantSummary {
    wire::TenantSummary {
        tenant_id: tenant.id.as_uuid(),
        schema_name: tenant.schema.as_str().to_owned(),
        domain: tenant.domain.as_str().to_owned(),
        name: tenant.name.as_str().to_owned(),
        theme: theme(&tenant.theme),
        status: tenant_status(tenant.status),
    }
}

pub fn menu_item(item: &MenuItem) -> wire::MenuItem {
    wire::MenuItem {
        id: item.id.as_uuid(),
        name: item.name.as_str().to_owned(),
        price: i64::from(item.price.cents()),
        is_available: item.is_available,
        category_id: item.category.map(|c| c.as_uuid()),
        description: item.description.as_ref().map(|d| d.as_str().to_owned()),
        image_url: item.image_url.as_ref().map(|u| u.as_str().to_owned()),
        tags: item
            .tags
            .iter()
            .map(|tag| wire::Tag::new(tag.as_str()))
            .collect(),
        option_group_ids: item.option_groups.iter().map(|g| g.as_uuid()).collect(),
        sold_out_until: item.sold_out().map(|s| s.to_string()),
    }
}

/// An order as the API shows it; its pickup times with the offset of `zone` (the restaurant's).
pub fn order(order: &Order, zone: &TimeZone) -> wire::Order {
    wire::Order {
        order_id: order.id.as_uuid(),
        status: order.status.as_str().to_owned(),
        total_amount: order.total_cents,
        items: order
            .items
            .iter()
            .map(|item| wire::OrderItem {
                id: item.id.as_uuid(),
                name: item.name.as_str().to_owned(),
                qty: i64::from(item.qty.get()),
                unit_price: item.unit_price,
                price: item.unit_price,
                options: item
                    .options
                    .iter()
                    .map(|option| wire::OrderItemOption {
                        id: option.id.as_uuid(),
                        group_id: option.group_id.as_uuid(),
                        group: option.group.as_str().to_owned(),
                        name: option.name.as_str().to_owned(),
                        price_delta: option.price_delta.cents(),
                    })
                    .collect(),
            })
            .collect(),
        customer: order.customer.as_str().to_owned(),
        created_at: rfc3339(order.created_at),
        pickup_at: order.pickup_at.map(|at| local(at, zone)),
        ready_at: order.ready_at.map(|at| local(at, zone)),
        tracking_token: order.tracking_token.as_ref().map(|t| t.expose().to_owned()),
    }
}

/// `at` in RFC 3339 with the offset it has in `zone`, to the second:
/// `2026-12-08T18:30:00+01:00`.
pub fn local(at: jiff::Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A business day's pickup board, its instants with the restaurant's offset.
pub fn store_slots(board: &DayBoard, zone: &TimeZone) -> wire::StoreSlots {
    wire::StoreSlots {
        date: board.date.to_string(),
        asap: wire::AsapQuote {
            available: board.asap.is_some(),
            ready_at: board.asap.map(|at| local(at, zone)),
        },
        slots: board
            .slots
            .iter()
            .map(|view| wire::PickupSlot {
                start: local(view.slot.start, zone),
                end: local(view.slot.end, zone),
                available: view.available,
                remaining: view.remaining.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
            })
            .collect(),
    }
}

/// Every setting of `tenant`, and whether it is open at `config`'s instant.
pub fn settings(config: StoreConfig, tenant: &Tenant) -> wire::Settings {
    let pickup = &tenant.settings.pickup;
    let store = store_config(config);
    wire::Settings {
        tenant_id: store.tenant_id,
        name: store.name,
        theme: store.theme,
        css: store.css,
        currency: store.currency,
        locale: store.locale,
        timezone: store.timezone,
        opening_hours: tenant.settings.opening_hours.as_ref().map(opening_hours),
        open_now: store.open_now,
        next_change: store.next_change,
        prep_minutes: store.prep_minutes,
        slot_minutes: store.slot_minutes,
        slot_capacity: pickup.slot_capacity.map(|c| i64::from(c.get())),
        schedule_days_ahead: store.schedule_days_ahead,
        busy_extra_minutes: store.busy_extra_minutes,
        accepting_orders: store.accepting_orders,
        closures: pickup
            .closures
            .iter()
            .map(|c| wire::Closure {
                date: c.date.to_string(),
                reason: c.reason.as_str().to_owned(),
            })
            .collect(),
    }
}

pub fn store_config(config: StoreConfig) -> wire::StoreConfig {
    wire::StoreConfig {
        tenant_id: config.tenant_id.as_uuid(),
        name: config.name.as_str().to_owned(),
        theme: theme(&config.theme),
        css: config.css,
        currency: config.settings.currency.code().to_owned(),
        locale: config.settings.locale.as_str().to_owned(),
        timezone: config.settings.timezone.as_str().to_owned(),
        open_now: config.hours.open_now,
        next_change: config.hours.next_change.map(|at| at.to_string()),
        accepting_orders: config.settings.pickup.accepting_orders,
        busy_extra_minutes: i64::from(config.settings.pickup.busy_extra_minutes.get()),
        prep_minutes: i64::from(config.settings.pickup.prep_minutes.get()),
        slot_minutes: i64::from(config.settings.pickup.slot_minutes.get()),
        schedule_days_ahead: i64::from(config.settings.pickup.schedule_days_ahead.get()),
    }
}

pub fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem_code::ProblemCode;
    use uuid::Uuid;

    fn detail(err: ApiError) -> String {
        assert_eq!(err.code(), ProblemCode::ValidationFailed, "{err:?}");
        err.to_string()
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let body = wire::ProvisionRequest {
            domain: "not a domain".into(),
            name: Some(" ".into()),
            theme: wire::Theme {
                primary_color: "#ff0000; } body { display: none".into(),
                font: "Comic Sans".into(),
            },
            currency: Some("usd".into()),
            locale: Some("english".into()),
            timezone: Some("Mars/Olympus".into()),
            opening_hours: Some(wire::OpeningHours {
                mon: Some(vec![["09:00".into(), "25:00".into()]]),
                ..wire::OpeningHours::default()
            }),
            prep_minutes: Some(241),
            slot_minutes: Some(4),
            slot_capacity: Some(Some(0)),
            schedule_days_ahead: Some(15),
            busy_extra_minutes: Some(-1),
            accepting_orders: None,
            closures: Some(vec![wire::Closure {
                date: "2026-02-30".into(),
                reason: "Holiday".into(),
            }]),
            owner_email: None,
        };
        let detail = detail(new_tenant(&body).unwrap_err());
        for field in [
            "domain:",
            "name:",
            "theme.primary_color:",
            "theme.font:",
            "currency:",
            "locale:",
            "timezone:",
            "opening_hours:",
            "prep_minutes:",
            "slot_minutes:",
            "slot_capacity:",
            "schedule_days_ahead:",
            "busy_extra_minutes:",
            "closures:",
        ] {
            assert!(detail.contains(field), "{detail}");
        }
    }

    #[test]
    fn a_missing_name_defaults_to_the_domain() {
        let body = wire::ProvisionRequest {
            domain: "Pizza.localhost".into(),
            name: None,
            theme: wire::Theme {
                primary_color: "#f00".into(),
                font: "serif".into(),
            },
            currency: None,
            locale: None,
            timezone: None,
            opening_hours: None,
            prep_minutes: None,
            slot_minutes: None,
            slot_capacity: None,
            schedule_days_ahead: None,
            busy_extra_minutes: None,
            accepting_orders: None,
            closures: None,
            owner_email: None,
        };
        let (domain, name, _, settings) = new_tenant(&body).unwrap();
        assert_eq!(
            settings,
            StoreSettings::default(),
            "USD, en-US, UTC, always open"
        );
        assert_eq!(
            (domain.as_str(), name.as_str()),
            ("pizza.localhost", "pizza.localhost")
        );
    }

    #[test]
    fn order_lines_are_checked_one_by_one() {
        let body = wire::PlaceOrder {
            pickup_at: None,
            items: vec![
                wire::OrderLine {
                    id: Uuid::nil(),
                    qty: 0,
                    options: None,
                },
                wire::OrderLine {
                    id: Uuid::max(),
                    qty: 100,
                    options: None,
                },
            ],
            customer: "".into(),
        };
        let detail = detail(order_request(&body).unwrap_err());
        assert!(detail.contains("items[0].qty"), "{detail}");
        assert!(detail.contains("items[1].qty"), "{detail}");
        assert!(detail.contains("customer"), "{detail}");
    }

    #[test]
    fn an_order_without_items_is_refused() {
        let body = wire::PlaceOrder {
            pickup_at: None,
            items: vec![],
            customer: "Ann".into(),
        };
        assert!(detail(order_request(&body).unwrap_err()).contains("at least one item"));
    }

    #[test]
    fn a_patch_validates_only_what_it_carries() {
        let ok = menu_patch(&wire::MenuItemPatch {
            price: Some(5),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.price.map(PriceCents::cents), Some(5));
        assert!(ok.name.is_none());
        let bad = menu_patch(&wire::MenuItemPatch {
            price: Some(-5),
            ..Default::default()
        });
        assert!(detail(bad.unwrap_err()).contains("price"));
    }
}
