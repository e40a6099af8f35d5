//! Chameleon's HTTP wire types: the JSON bodies of the API, as plain serde structs.
//!
//! This crate lives inside the HTTP adapter's folder because it is that adapter's contract; it
//! is a crate of its own so the WASM storefront can share it without pulling in actix or core.
//!
//! The HTTP adapter turns request bodies into domain values in its `convert` module (the core's
//! types have no `Deserialize` on purpose), with one function per body rather than `TryFrom`:
//! a body yields several domain values and its 422 names every invalid field at once. It turns
//! domain values into response bodies there too. The Yew storefront
//! uses the same structs, so client and server cannot disagree on a field name. This crate
//! depends on serde and uuid only; with the `openapi` feature it also derives utoipa schemas.
//!
//! Request bodies reject unknown fields: a misspelt `is_availble` is an error, not silently
//! ignored. No rule about a value is written here: lengths, ranges, patterns and code lists are
//! data in `chameleon-rules` (core's), which core applies and from which the HTTP adapter adds
//! every constraint to the OpenAPI document (`openapi::constraints`), so a request the schema
//! admits is accepted and one it refuses is refused.
//!
//! # Layout
//! Everything is in this file, grouped by API area: system, manager, storefront, problems.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// JSON Schema's `integer` is any number with no fraction: `12.0` is the integer 12, and the API
/// takes it as such (serde alone would refuse a float for an `i64`).
mod whole_number {
    use serde::{Deserialize, Deserializer, de::Error as _};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Float(f64),
    }

    fn exact(number: Number) -> Result<i64, &'static str> {
        match number {
            Number::Int(n) => Ok(n),
            // Beyond ±2^53 a float no longer holds every integer: such a value is refused as
            // out of range by the field's own bounds anyway.
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
            Number::Float(_) => Err("a whole number"),
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        exact(Number::deserialize(d)?).map_err(|e| D::Error::custom(format!("expected {e}")))
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Option::<Number>::deserialize(d)?
            .map(exact)
            .transpose()
            .map_err(|e| D::Error::custom(format!("expected {e}")))
    }

    /// `null` and absent kept apart, as in [`super::nullable`]: `Some(None)` for `null`.
    pub fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        optional(d).map(Some)
    }
}

/// `null` and absent kept apart: `Some(None)` for `null`, `None` when the field is absent.
mod nullable {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    pub fn serialize<S: serde::Serializer, T: serde::Serialize>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => serde::Serialize::serialize(inner, s),
            None => s.serialize_none(),
        }
    }
}

// --- system -----------------------------------------------------------------------------------

impl TryFrom<std::collections::BTreeMap<String, Option<Vec<[String; 2]>>>> for OpeningHours {
    type Error = String;

    fn try_from(
        days: std::collections::BTreeMap<String, Option<Vec<[String; 2]>>>,
    ) -> Result<Self, String> {
        let mut hours = OpeningHours::default();
        for (day, ranges) in days {
            let slot = match day.as_str() {
                "mon" => &mut hours.mon,
                "tue" => &mut hours.tue,
                "wed" => &mut hours.wed,
                "thu" => &mut hours.thu,
                "fri" => &mut hours.fri,
                "sat" => &mut hours.sat,
                "sun" => &mut hours.sun,
                other => {
                    return Err(format!(
                        "unknown day `{other}`, expected one of mon, tue, wed, thu, fri, sat, sun"
                    ));
                }
            };
            *slot = ranges;
        }
        Ok(hours)
    }
}

/// `["HH:MM", "HH:MM"]`: an opening range, `00:00` to `24:00`; an end before its start runs past
/// midnight, an end equal to its start makes 24 hours. (The OpenAPI schema of the pair.)
#[cfg(feature = "openapi")]
#[derive(Debug)]
pub struct TimeRange;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for TimeRange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            // Each time's pattern comes from the rules, with every other constraint (the HTTP
            // adapter's OpenAPI constraints).
            .items(ObjectBuilder::new().schema_type(Type::String))
            .min_items(Some(2))
            .max_items(Some(2))
            .description(Some(
                "[start, end], HH:MM, 00:00 to 24:00; an end before its start runs past midnight",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for TimeRange {}

/// A restaurant's weekly opening hours, in its time zone: for each day (`mon` ... `sun`) a list
/// of `["HH:MM", "HH:MM"]` ranges (`00:00` to `24:00`); an end before its start runs past
/// midnight. A day left out, or with no range, is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"mon": [["11:00", "14:00"], ["18:00", "22:00"]], "fri": [["18:00", "01:00"]]}))
)]
// Read through a map: a derived struct would also take a JSON array, field by field. (Unknown
// days are refused there; `deny_unknown_fields` says so in the schema.)
#[serde(
    try_from = "std::collections::BTreeMap<String, Option<Vec<[String; 2]>>>",
    deny_unknown_fields
)]
pub struct OpeningHours {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub mon: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub tue: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub wed: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub thu: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub fri: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub sat: Option<Vec<[String; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<TimeRange>>))]
    pub sun: Option<Vec<[String; 2]>>,
}

/// A tenant's brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// `#rgb` or `#rrggbb`.
    #[cfg_attr(feature = "openapi", schema(example = "#ff0000"))]
    pub primary_color: String,
    /// A generic CSS family (`serif`, `sans-serif`, `monospace`, `cursive`, `fantasy`,
    /// `system-ui`, `ui-serif`, `ui-sans-serif`, `ui-monospace`, `ui-rounded`) or one of `Arial`,
    /// `Helvetica`, `Verdana`, `Tahoma`, `Trebuchet MS`, `Georgia`, `Garamond`,
    /// `Times New Roman`, `Courier New`.
    #[cfg_attr(feature = "openapi", schema(example = "sans-serif"))]
    pub font: String,
}

/// Body of `POST /api/v1/sys/provision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// The storefront's hostname, e.g. `pizza.localhost`. Case, a port and a trailing dot are
    /// ignored; an international name is given in its punycode form (`xn--bcher-kva.example`
    /// for `bücher.example`). The storefront then answers on it whatever the case, port or
    /// trailing dot of the `Host`.
    #[cfg_attr(feature = "openapi", schema(example = "pizza.localhost"))]
    pub domain: String,
    /// The restaurant's display name (up to 100 characters); the domain when omitted.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Pizza Palace"))]
    pub name: Option<String>,
    pub theme: Theme,
    /// ISO 4217 (default `USD`): every price is in its minor units (cents, yen, fils).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: Option<String>,
    /// BCP 47 (default `en-US`): how prices and times read on the storefront.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "fr-FR"))]
    pub locale: Option<String>,
    /// IANA (default `UTC`): the zone the opening hours are in.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Paris"))]
    pub timezone: Option<String>,
    /// Absent or `null`: always open.
    #[serde(default)]
    pub opening_hours: Option<OpeningHours>,
    /// Minutes a kitchen needs for an order, 0 to 240 (default 20): nothing is offered sooner.
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 20))]
    pub prep_minutes: Option<i64>,
    /// Length of a pickup slot in minutes, 5 to 60 (default 15); slots start at each opening.
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 15))]
    pub slot_minutes: Option<i64>,
    /// Orders a slot takes, 1 to 1000; `null`: unlimited (the default); absent: unchanged.
    #[serde(
        default,
        deserialize_with = "whole_number::nullable",
        serialize_with = "nullable::serialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable, example = 5))]
    pub slot_capacity: Option<Option<i64>>,
    /// Days ahead an order may be scheduled, 0 to 14 (default 6; 0: as soon as possible only).
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 6))]
    pub schedule_days_ahead: Option<i64>,
    /// Busy: minutes added to every quote at once, 0 to 240 (default 0).
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 0))]
    pub busy_extra_minutes: Option<i64>,
    /// `false`: paused, no new orders (tracking and the manager API keep working).
    #[serde(default)]
    pub accepting_orders: Option<bool>,
    /// One-off days without slots (holidays); replaces the list (`[]`: none).
    #[serde(default)]
    pub closures: Option<Vec<Closure>>,
    /// The restaurant's first owner: they get a one-time setup link (`owner_setup_url` in the
    /// answer, valid 72 hours) to choose their password and sign in.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "owner@pizza.example", max_length = 254)
    )]
    pub owner_email: Option<String>,
}

/// A registered tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TenantSummary {
    pub tenant_id: Uuid,
    /// Name of the tenant's PostgreSQL schema, and of its database role.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "tenant_6f9619ff8b86d011b42d00c04fc964ff")
    )]
    pub schema_name: String,
    /// The primary domain (`GET /api/v1/sys/tenants/{id}` lists them all).
    pub domain: String,
    pub name: String,
    pub theme: Theme,
    pub status: TenantStatus,
}

/// Response of `POST /api/v1/sys/provision`: the tenant, and its manager API key, shown this
/// once and never again (only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProvisionedTenant {
    pub tenant_id: Uuid,
    pub schema_name: String,
    pub domain: String,
    pub name: String,
    pub theme: Theme,
    /// `Authorization: Bearer <manager_api_key>` with `X-Tenant-ID: <tenant_id>` on the manager
    /// endpoints.
    pub manager_api_key: String,
    /// The owner's one-time setup link (`/manage/setup?token=...` on the primary domain),
    /// shown this once; absent when no `owner_email` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_setup_url: Option<String>,
}

/// A tenant's status: `active`, or `suspended` (the storefront answers 503
/// `tenant_suspended` and shows "temporarily closed"; the manager keeps working).
// Text on the wire: the service parses it (core's rules list the statuses, and the OpenAPI
// document's `enum` is made from that list).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(transparent)]
pub struct TenantStatus(pub String);

impl TenantStatus {
    pub fn new(status: &str) -> Self {
        Self(status.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One of the domains a tenant answers on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TenantDomain {
    #[cfg_attr(feature = "openapi", schema(example = "pizza.localhost"))]
    pub domain: String,
    /// Exactly one domain is primary: the one a removal is confirmed with.
    pub primary: bool,
    /// Its HTTPS certificate, issued by the platform's ACME client (`ACME_DIRECTORY_URL`).
    pub certificate: DomainCertificate,
}

/// Where a domain's HTTPS certificate stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DomainCertificate {
    /// `none` (never asked for: ACME off, or just added), `pending` (being ordered, or the first
    /// order failed and is retried), `valid` (issued and not expired) or `failed` (the last
    /// order failed and none valid is held).
    #[cfg_attr(feature = "openapi", schema(example = "valid"))]
    pub status: String,
    /// When the certificate held expires (RFC 3339, UTC); `null` without one.
    pub not_after: Option<String>,
    /// Why the last order failed; `null` after a success.
    pub last_error: Option<String>,
}

/// A tenant with its status and every domain it answers on (the primary first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TenantDetails {
    pub tenant_id: Uuid,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "tenant_6f9619ff8b86d011b42d00c04fc964ff")
    )]
    pub schema_name: String,
    /// The primary domain.
    pub domain: String,
    pub name: String,
    pub theme: Theme,
    pub status: TenantStatus,
    pub domains: Vec<TenantDomain>,
    pub currency: String,
    pub locale: String,
    pub timezone: String,
    /// `null`: always open.
    pub opening_hours: Option<OpeningHours>,
}

/// Body of `PATCH /api/v1/sys/tenants/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    /// The restaurant's display name (up to 100 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Pizza Palace"))]
    pub name: Option<String>,
    #[serde(default)]
    pub theme: Option<Theme>,
    #[serde(default)]
    pub status: Option<TenantStatus>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "fr-FR"))]
    pub locale: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Paris"))]
    pub timezone: Option<String>,
    /// `null`: always open from now on; absent: unchanged.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<OpeningHours>, nullable))]
    pub opening_hours: Option<Option<OpeningHours>>,
}

/// Body of `PATCH /api/v1/manager/settings`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// The restaurant's display name (up to 100 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Pizza Palace"))]
    pub name: Option<String>,
    #[serde(default)]
    pub theme: Option<Theme>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "fr-FR"))]
    pub locale: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Paris"))]
    pub timezone: Option<String>,
    /// `null`: always open from now on; absent: unchanged.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<OpeningHours>, nullable))]
    pub opening_hours: Option<Option<OpeningHours>>,
    /// Minutes a kitchen needs for an order, 0 to 240 (default 20): nothing is offered sooner.
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 20))]
    pub prep_minutes: Option<i64>,
    /// Length of a pickup slot in minutes, 5 to 60 (default 15); slots start at each opening.
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 15))]
    pub slot_minutes: Option<i64>,
    /// Orders a slot takes, 1 to 1000; `null`: unlimited (the default); absent: unchanged.
    #[serde(
        default,
        deserialize_with = "whole_number::nullable",
        serialize_with = "nullable::serialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, nullable, example = 5))]
    pub slot_capacity: Option<Option<i64>>,
    /// Days ahead an order may be scheduled, 0 to 14 (default 6; 0: as soon as possible only).
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 6))]
    pub schedule_days_ahead: Option<i64>,
    /// Busy: minutes added to every quote at once, 0 to 240 (default 0).
    #[serde(default, deserialize_with = "whole_number::optional")]
    #[cfg_attr(feature = "openapi", schema(example = 0))]
    pub busy_extra_minutes: Option<i64>,
    /// `false`: paused, no new orders (tracking and the manager API keep working).
    #[serde(default)]
    pub accepting_orders: Option<bool>,
    /// One-off days without slots (holidays); replaces the list (`[]`: none).
    #[serde(default)]
    pub closures: Option<Vec<Closure>>,
}

/// A day the restaurant is closed although its weekly hours would open it (a holiday): no slot
/// is offered on it, and it takes no orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// `YYYY-MM-DD`, in the restaurant's time zone: the business day (a range opening that day
    /// and running past midnight is closed too).
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-25"))]
    pub date: String,
    /// Shown to customers, 1 to 100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Christmas"))]
    pub reason: String,
}

/// Response of `GET` and `PATCH /api/v1/manager/settings`: every setting of the restaurant (what
/// `GET /api/v1/store/config` answers, and the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Settings {
    pub tenant_id: Uuid,
    pub name: String,
    pub theme: Theme,
    /// The theme as CSS custom properties.
    pub css: String,
    pub currency: String,
    pub locale: String,
    pub timezone: String,
    /// `null`: always open.
    pub opening_hours: Option<OpeningHours>,
    /// Whether the restaurant is open now, by its hours and closures.
    pub open_now: bool,
    /// When that next changes (RFC 3339, UTC); `null` when it never does.
    pub next_change: Option<String>,
    pub prep_minutes: i64,
    pub slot_minutes: i64,
    /// `null`: unlimited.
    pub slot_capacity: Option<i64>,
    pub schedule_days_ahead: i64,
    pub busy_extra_minutes: i64,
    pub accepting_orders: bool,
    /// Oldest first.
    pub closures: Vec<Closure>,
}

/// Body of `POST /api/v1/sys/tenants/{id}/domains`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDomain {
    /// A hostname, normalised as at provisioning (case, a port and a trailing dot ignored;
    /// international names in punycode).
    #[cfg_attr(feature = "openapi", schema(example = "pizza-palace.localhost"))]
    pub domain: String,
    /// Make it the primary domain (default `false`); the previous primary stays a domain.
    #[serde(default)]
    pub primary: bool,
}

/// Response of `GET /api/v1/sys/tenants/{id}/export`: everything of one tenant, as one JSON
/// document, streamed. Orders oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TenantExport {
    /// `chameleon.export.v1`.
    #[cfg_attr(feature = "openapi", schema(example = "chameleon.export.v1"))]
    pub format: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub tenant: TenantDetails,
    /// In the menu's order.
    pub categories: Vec<Category>,
    pub menu: Vec<MenuItem>,
    /// By name.
    #[serde(default)]
    pub option_groups: Vec<OptionGroup>,
    pub orders: Vec<Order>,
    /// The restaurant's staff accounts (no password hash, no session), by email.
    #[serde(default)]
    pub staff: Vec<StaffMember>,
    /// The audit trail, oldest first.
    #[serde(default)]
    pub audit: Vec<AuditEntry>,
}

/// A staff member of a restaurant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StaffMember {
    pub id: Uuid,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    /// `owner`, `manager` or `staff`.
    pub role: String,
    pub disabled: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// One line of a restaurant's audit trail: who changed what, when, in which request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    /// `staff:<id>`, `api_key` or `platform`.
    pub actor: String,
    /// `<resource>.<verb>`: `menu_item.create`, `order.status`, `staff.invite`, ...
    pub action: String,
    /// The id of what was changed.
    pub target: Option<String>,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
}

// --- manager ----------------------------------------------------------------------------------

/// Response of `POST /api/v1/manager/key`: the tenant's new manager API key, shown this once.
/// The key used to ask for it stopped working when this was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RotatedManagerKey {
    pub tenant_id: Uuid,
    /// `Authorization: Bearer <manager_api_key>` with `X-Tenant-ID: <tenant_id>` from now on.
    pub manager_api_key: String,
}

/// Body of `POST /api/v1/manager/menu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMenuItem {
    /// Up to 120 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Margherita Pizza"))]
    pub name: String,
    /// In cents, 0 to 10000000.
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 1200))]
    pub price: i64,
    /// Defaults to `true`.
    #[serde(default)]
    pub is_available: Option<bool>,
    /// One of the restaurant's categories; absent or `null`: none (listed after them all).
    #[serde(default)]
    pub category_id: Option<Uuid>,
    /// Up to 500 characters; line breaks are kept.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "San Marzano tomatoes, fior di latte, basil.")
    )]
    pub description: Option<String>,
    /// An `https` picture on a hostname (no IP address, user name or password), at most 2048
    /// characters; shown 4:3, cropped to fit.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://images.example.com/margherita.jpg")
    )]
    pub image_url: Option<String>,
    /// Each at most once (repeats are dropped).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["vegetarian"])))]
    pub tags: Option<Vec<Tag>>,
    /// The restaurant's option groups the item offers, in the order the customer sees them
    /// (each at most once).
    #[serde(default)]
    pub option_group_ids: Option<Vec<Uuid>>,
    /// Sold out until this instant (RFC 3339), after which it is back by itself, or
    /// `"indefinitely"` (the same as `is_available: false`); absent or `null`: not sold out.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-07T23:00:00Z"))]
    pub sold_out_until: Option<String>,
}

/// Body of `PATCH /api/v1/manager/menu/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MenuItemPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole_number::optional")]
    pub price: Option<i64>,
    #[serde(default)]
    pub is_available: Option<bool>,
    /// `null`: out of its category.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>, nullable))]
    pub category_id: Option<Option<Uuid>>,
    /// `null`: no description.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, nullable)
    )]
    pub description: Option<Option<String>>,
    /// `null`: no picture.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, nullable)
    )]
    pub image_url: Option<Option<String>>,
    /// Replaces the tags (`[]`: none).
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    /// Replaces the option groups the item offers (`[]`: none).
    #[serde(default)]
    pub option_group_ids: Option<Vec<Uuid>>,
    /// RFC 3339: sold out until then; `"indefinitely"`: until marked available; `null`:
    /// available now. (Service staff may change this and `is_available`, nothing else.)
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, nullable)
    )]
    pub sold_out_until: Option<Option<String>>,
}

/// A menu item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MenuItem {
    pub id: Uuid,
    pub name: String,
    /// In the currency's minor units (cents for USD or EUR, yen for JPY, fils for KWD).
    pub price: i64,
    pub is_available: bool,
    /// `null`: in no category.
    pub category_id: Option<Uuid>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub tags: Vec<Tag>,
    /// The option groups the item offers, in order.
    pub option_group_ids: Vec<Uuid>,
    /// RFC 3339 (back by itself then), `"indefinitely"` (`is_available: false`), or `null`.
    pub sold_out_until: Option<String>,
}

/// An item as the storefront lists it: every item, with whether it can be ordered now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreMenuItem {
    pub id: Uuid,
    pub name: String,
    /// In the currency's minor units, before options.
    pub price: i64,
    pub is_available: bool,
    pub category_id: Option<Uuid>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub tags: Vec<Tag>,
    /// Ids of `option_groups` of the menu, in the order the customer chooses them.
    pub option_group_ids: Vec<Uuid>,
    pub sold_out_until: Option<String>,
    /// Whether it can be ordered now (worked out when the menu is sent: not sold out, and its
    /// category serving now).
    pub available: bool,
    /// When it can be ordered again, if that is known (RFC 3339, UTC); `null` when available
    /// now or sold out indefinitely.
    pub available_from: Option<String>,
}

/// Body of `POST /api/v1/manager/option-groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOptionGroup {
    /// Up to 60 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Size"))]
    pub name: String,
    /// How many options a customer must choose at least (0 to `max`).
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub min: i64,
    /// How many options a customer may choose at most (1 to 50).
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub max: i64,
    /// 1 to 50 options, in the order the customer sees them; at least `min`.
    pub options: Vec<NewOption>,
}

/// One option of a new group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOption {
    /// Up to 60 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Large"))]
    pub name: String,
    /// Added to the item's price, in minor units: may be 0 or negative, as long as no allowed
    /// choice prices an item below 0.
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 250))]
    pub price_delta: i64,
    /// As an item's.
    #[serde(default)]
    pub sold_out_until: Option<String>,
}

/// Body of `PATCH /api/v1/manager/option-groups/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionGroupPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole_number::optional")]
    pub min: Option<i64>,
    #[serde(default, deserialize_with = "whole_number::optional")]
    pub max: Option<i64>,
    /// Replaces the options as a list: an entry with the `id` of one of the group's options
    /// keeps that option (and its id), changing the fields it gives; an entry without `id` is a
    /// new option (`name` and `price_delta` required). Options left out are removed. A list
    /// whose entries all carry only `id` and `sold_out_until` marks availability and leaves
    /// every option it does not name as it is (what service staff may do).
    #[serde(default)]
    pub options: Option<Vec<OptionPatch>>,
}

/// One entry of [`OptionGroupPatch::options`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionPatch {
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole_number::optional")]
    pub price_delta: Option<i64>,
    /// RFC 3339, `"indefinitely"`, or `null` (available).
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, nullable)
    )]
    pub sold_out_until: Option<Option<String>>,
}

/// An option group: choices an item offers (sizes, add-ons), shared by every item that uses
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OptionGroup {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Size"))]
    pub name: String,
    pub min: i64,
    pub max: i64,
    pub options: Vec<OptionChoice>,
}

/// One option of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OptionChoice {
    pub id: Uuid,
    pub name: String,
    pub price_delta: i64,
    /// RFC 3339, `"indefinitely"`, or `null`.
    pub sold_out_until: Option<String>,
}

/// An option group as the storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreOptionGroup {
    pub id: Uuid,
    pub name: String,
    /// Choose at least this many.
    pub min: i64,
    /// And at most this many.
    pub max: i64,
    pub options: Vec<StoreOption>,
}

/// One option as the storefront shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreOption {
    pub id: Uuid,
    pub name: String,
    pub price_delta: i64,
    /// Whether it can be chosen now.
    pub available: bool,
}

/// A dietary or allergen mark, from a fixed set.
// Text on the wire: the service parses it (`chameleon_rules::codes::TAGS` is the set, and the
// OpenAPI document's `enum` is made from it; a storefront finds each tag's label there too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(transparent)]
pub struct Tag(pub String);

impl Tag {
    pub fn new(code: &str) -> Self {
        Self(code.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Body of `POST /api/v1/manager/categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Up to 60 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Pizzas"))]
    pub name: String,
    /// 0 to 10000: smaller comes first on the menu; equal positions go by name.
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 10))]
    pub position: i64,
    /// When its items can be ordered (breakfast until 11:00), as `opening_hours`, in the
    /// restaurant's time zone; absent or `null`: whenever the restaurant is open.
    #[serde(default)]
    pub serving_hours: Option<OpeningHours>,
}

/// Body of `PATCH /api/v1/manager/categories/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "whole_number::optional")]
    pub position: Option<i64>,
    /// `null`: served whenever the restaurant is open; absent: unchanged.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<OpeningHours>, nullable))]
    pub serving_hours: Option<Option<OpeningHours>>,
}

/// A section of the menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Category {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Pizzas"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = 10))]
    pub position: i64,
    /// `null`: served whenever the restaurant is open.
    pub serving_hours: Option<OpeningHours>,
}

/// One line of an order: a snapshot of the item and its options at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderItem {
    pub id: Uuid,
    pub name: String,
    pub qty: i64,
    /// The price of one, options included, in minor units, as it was when the order was placed.
    pub unit_price: i64,
    /// The same as `unit_price` (the name before options existed; kept for one release).
    #[cfg_attr(feature = "openapi", schema(deprecated))]
    pub price: i64,
    /// The options chosen, as they were.
    #[serde(default)]
    pub options: Vec<OrderItemOption>,
}

/// An option chosen on an order line, as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderItemOption {
    pub id: Uuid,
    pub group_id: Uuid,
    /// The group's name.
    pub group: String,
    pub name: String,
    pub price_delta: i64,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Order {
    pub order_id: Uuid,
    /// `PENDING`, `CONFIRMED`, `READY`, `COMPLETED` or `CANCELLED`.
    #[cfg_attr(feature = "openapi", schema(example = "PENDING"))]
    pub status: String,
    /// In cents, computed by the server from stored prices.
    pub total_amount: i64,
    pub items: Vec<OrderItem>,
    pub customer: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The slot the customer chose (RFC 3339, with the restaurant's offset); `null`: as soon as
    /// possible.
    pub pickup_at: Option<String>,
    /// When the kitchen means it to be ready (RFC 3339, with the restaurant's offset): the quote
    /// or the slot when placed, then set when the kitchen accepts it.
    pub ready_at: Option<String>,
    /// The secret that lets the customer follow the order at `/orders/{order_id}?t=<token>`
    /// (`GET /api/v1/store/orders/{order_id}?t=<token>`); absent for orders placed before
    /// orders could be followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_token: Option<String>,
}

/// Body of `POST /api/v1/manager/orders/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderStatusChange {
    /// The next status: PENDING → CONFIRMED → READY → COMPLETED; CANCELLED from any but
    /// COMPLETED.
    #[cfg_attr(feature = "openapi", schema(example = "READY"))]
    pub status: String,
}

/// The query of `GET /api/v1/store/orders/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TrackOrderQuery {
    /// The order's tracking token, from the answer that placed it.
    pub t: Option<String>,
}

/// The query of `GET /api/v1/manager/orders`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListOrdersQuery {
    /// Orders per page, 1 to 100 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page, as it was given.
    pub cursor: Option<String>,
    /// Only orders with this status.
    pub status: Option<String>,
    /// Only orders to be ready at or after this instant (RFC 3339, on `ready_at`).
    pub pickup_from: Option<String>,
    /// Only orders to be ready before this instant (RFC 3339, on `ready_at`).
    pub pickup_to: Option<String>,
    /// `pickup`: by `ready_at`, soonest first; absent: newest first.
    pub sort: Option<String>,
}

/// A page of orders, newest first (or by `ready_at` with `sort=pickup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderPage {
    pub items: Vec<Order>,
    /// Where the next page starts (pass it as `cursor`); `null` on the last page.
    pub next_cursor: Option<String>,
}

// --- storefront -------------------------------------------------------------------------------

/// Response of `GET /api/v1/store/config`: everything a storefront needs to brand itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreConfig {
    pub tenant_id: Uuid,
    pub name: String,
    pub theme: Theme,
    /// The theme as CSS custom properties, e.g.
    /// `:root { --primary: #ff0000; --font: sans-serif; }`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = ":root { --primary: #ff0000; --font: sans-serif; }")
    )]
    pub css: String,
    /// ISO 4217: prices are in its minor units.
    #[cfg_attr(feature = "openapi", schema(example = "USD"))]
    pub currency: String,
    /// BCP 47.
    #[cfg_attr(feature = "openapi", schema(example = "en-US"))]
    pub locale: String,
    /// IANA.
    #[cfg_attr(feature = "openapi", schema(example = "America/New_York"))]
    pub timezone: String,
    /// Whether the restaurant takes orders now.
    pub open_now: bool,
    /// When that next changes (RFC 3339, UTC); `null` when it never does.
    pub next_change: Option<String>,
    /// `false`: paused by the kitchen; no order is taken (ASAP or scheduled).
    pub accepting_orders: bool,
    /// Minutes the kitchen added to every quote (busy).
    pub busy_extra_minutes: i64,
    /// Minutes the kitchen needs for an order.
    pub prep_minutes: i64,
    /// Length of a pickup slot in minutes.
    pub slot_minutes: i64,
    /// Days ahead an order may be scheduled (0: as soon as possible only).
    pub schedule_days_ahead: i64,
}

/// The query of `GET /api/v1/store/slots`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SlotsQuery {
    /// `YYYY-MM-DD`, a business day in the restaurant's time zone, from today to
    /// `schedule_days_ahead` days ahead; default today.
    pub date: Option<String>,
}

/// Response of `GET /api/v1/store/slots`: when an order can be picked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreSlots {
    /// The business day, `YYYY-MM-DD`.
    pub date: String,
    /// An order placed now for as soon as possible.
    pub asap: AsapQuote,
    /// The day's slots, in time order (full ones included, not available).
    pub slots: Vec<PickupSlot>,
}

/// When an order placed now would be ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AsapQuote {
    /// Whether an order for as soon as possible is taken now.
    pub available: bool,
    /// RFC 3339 with the restaurant's offset; `null` when not available.
    pub ready_at: Option<String>,
}

/// One pickup slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PickupSlot {
    /// RFC 3339 with the restaurant's offset: what `pickup_at` takes.
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-08T18:30:00+01:00"))]
    pub start: String,
    pub end: String,
    /// Whether an order can be scheduled for it (not too soon, not full).
    pub available: bool,
    /// Orders it still takes; `null`: unlimited.
    pub remaining: Option<i64>,
}

/// Response of `GET /api/v1/store/menu`: the categories in the manager's order (every one,
/// even with nothing available now), and what can be ordered now, by name. An item's
/// `category_id` names one of `categories` or is `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreMenu {
    pub categories: Vec<Category>,
    pub items: Vec<StoreMenuItem>,
    /// The option groups the items use.
    pub option_groups: Vec<StoreOptionGroup>,
}

/// One line of `POST /api/v1/store/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// A menu item of this restaurant.
    pub id: Uuid,
    /// 1 to 99.
    #[serde(deserialize_with = "whole_number::required")]
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub qty: i64,
    /// The ids of the options chosen (each at most once, in any order); absent: none.
    #[serde(default)]
    pub options: Option<Vec<Uuid>>,
}

/// Body of `POST /api/v1/store/orders`. Prices are never sent: the server takes them from the
/// menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// 1 to 100 lines; lines naming the same item are added up (to at most 99).
    pub items: Vec<OrderLine>,
    /// The guest's name, up to 100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "John Doe"))]
    pub customer: String,
    /// A slot's `start` (RFC 3339) from `GET /api/v1/store/slots`; absent or `null`: as soon as
    /// possible.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "2026-12-08T18:30:00+01:00"))]
    pub pickup_at: Option<String>,
}

// --- health and problems ----------------------------------------------------------------------

/// Response of `/healthz` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub status: String,
}

/// An error, as `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// Always `about:blank`: `title` and `code` say what kind of problem this is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// A stable, machine-readable code, e.g. `validation_failed`, `domain_taken`.
    pub code: String,
    /// For a refused order line: its index (from 0) in `items` as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For a refused choice of options: the group it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Uuid>,
    /// For `slot_full`: the next slot that still takes an order (RFC 3339), or `null` when none
    /// does within the days that can be scheduled.
    #[serde(default, with = "nullable", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub next_available: Option<Option<String>>,
}

/// The media type of [`Problem`] bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_reject_unknown_fields() {
        let typo = r#"{"name": "Burger", "price": 900, "is_availble": false}"#;
        assert!(serde_json::from_str::<NewMenuItem>(typo).is_err());
    }

    #[test]
    fn whole_numbers_written_as_floats_are_integers() {
        let item: NewMenuItem =
            serde_json::from_str(r#"{"name": "Burger", "price": 900.0}"#).unwrap();
        assert_eq!(item.price, 900);
        assert!(serde_json::from_str::<NewMenuItem>(r#"{"name": "B", "price": 9.5}"#).is_err());
        let patch: MenuItemPatch = serde_json::from_str(r#"{"price": 5.0}"#).unwrap();
        assert_eq!(patch.price, Some(5));
        let patch: MenuItemPatch = serde_json::from_str(r#"{"price": null}"#).unwrap();
        assert_eq!(patch.price, None);
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let item: NewMenuItem =
            serde_json::from_str(r#"{"name": "Burger", "price": 900}"#).unwrap();
        assert_eq!(item.is_available, None);
        let patch: MenuItemPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(patch, MenuItemPatch::default());
    }

    #[test]
    fn opening_hours_are_an_object_of_known_days() {
        let hours: OpeningHours =
            serde_json::from_str(r#"{"mon": [["11:00", "14:00"]], "sun": null}"#).unwrap();
        assert_eq!(hours.mon.unwrap().len(), 1);
        assert_eq!(hours.sun, None);
        for bad in [
            r#"[null, null]"#,
            r#"{"monday": []}"#,
            r#"{"mon": [["11:00"]]}"#,
        ] {
            assert!(serde_json::from_str::<OpeningHours>(bad).is_err(), "{bad}");
        }
        let patch: SettingsPatch = serde_json::from_str(r#"{"opening_hours": null}"#).unwrap();
        assert_eq!(patch.opening_hours, Some(None), "null: always open");
        let patch: SettingsPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(patch.opening_hours, None, "absent: unchanged");
    }

    #[test]
    fn problems_carry_their_type_under_its_rfc_name() {
        let json = serde_json::to_value(Problem {
            kind: "about:blank".into(),
            title: "Not Found".into(),
            status: 404,
            detail: "no restaurant here".into(),
            code: "unknown_tenant".into(),
            line: None,
            group_id: None,
            next_available: None,
        })
        .unwrap();
        assert_eq!(json["type"], "about:blank");
        assert!(json.get("next_available").is_none(), "absent unless said");
        let full: Problem = serde_json::from_str(
            r#"{"type": "about:blank", "title": "Conflict", "status": 409, "detail": "full",
                "code": "slot_full", "next_available": null}"#,
        )
        .unwrap();
        assert_eq!(full.next_available, Some(None), "null is said");
    }

    #[test]
    fn a_slot_capacity_is_a_whole_number_null_or_absent() {
        let patch: SettingsPatch = serde_json::from_str(r#"{"slot_capacity": 5.0}"#).unwrap();
        assert_eq!(patch.slot_capacity, Some(Some(5)));
        let patch: SettingsPatch = serde_json::from_str(r#"{"slot_capacity": null}"#).unwrap();
        assert_eq!(patch.slot_capacity, Some(None), "null: unlimited");
        let patch: SettingsPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(patch.slot_capacity, None, "absent: unchanged");
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"slot_capacity": 2.5}"#).is_err());
    }
}
