//! `public.tenants`: a tenant's identity, primary domain, branding, trading settings, status,
//! manager key hash and schema version. Only the `chameleon_sys` functions write it (the
//! serving role may not: `docs/database-roles.md`); the service reads it.

use anyhow::{Context as _, anyhow};
use chameleon_core::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
use chameleon_core::pickup::{
    BusyMinutes, Closures, DaysAhead, PickupPatch, PickupSettings, PrepMinutes, SlotCapacity,
    SlotMinutes,
};
use chameleon_core::tenant::{
    Domain, ManagerKeyHash, SchemaName, Tenant, TenantId, TenantName, TenantStatus,
};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use serde_json::json;
use tokio_postgres::Row;

/// The columns [`from_row`] reads, of the table aliased `t`.
macro_rules! columns {
    () => {
        "t.id, t.schema_name, t.domain, t.name, t.theme, t.status, t.manager_key_hash, \
         t.currency, t.locale, t.timezone, t.opening_hours, t.prep_minutes, t.slot_minutes, \
         t.slot_capacity, t.schedule_days_ahead, t.busy_extra_minutes, t.accepting_orders, \
         t.closures"
    };
}
pub(crate) use columns;

/// The tenant `$1`.
pub const BY_ID: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM public.tenants t WHERE t.id = $1"
);

/// Every tenant, by primary domain.
pub const ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM public.tenants t ORDER BY t.domain"
);

/// Makes `$2` the only manager key hash of tenant `$1`; the tenant as stored, or no row.
pub const SET_MANAGER_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM chameleon_sys.set_manager_key($1, $2) t"
);

/// Changes the settings that are not NULL among `$2`..`$7` of tenant `$1` (`$8`: whether to
/// set the opening hours, to `$9`); the tenant as stored, or no row.
pub const UPDATE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM chameleon_sys.update_tenant($1, $2, $3, $4, $5, $6, $7, $8, $9) t"
);

/// Changes the pickup settings that are not NULL among `$2`, `$3`, `$6`..`$9` of tenant `$1`
/// (`$4`: whether to set the slot capacity, to `$5`); the tenant as stored, or no row.
pub const UPDATE_PICKUP: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM chameleon_sys.update_pickup($1, $2, $3, $4, $5, $6, $7, $8, $9) t"
);

/// Registers tenant `$1` on domain `$2` (name `$3`, theme `$4`, key hash `$5`) and creates its
/// schema, role and tables, in the caller's transaction.
pub const PROVISION: &str = "SELECT chameleon_sys.provision_tenant($1, $2, $3, $4, $5)";

/// Sets the trading settings of tenant `$1`: currency `$2`, locale `$3`, time zone `$4`,
/// opening hours `$5`.
pub const SET_TRADING: &str =
    "SELECT 1 FROM chameleon_sys.update_tenant($1, NULL, NULL, NULL, $2, $3, $4, true, $5)";

/// Removes tenant `$1` whole when `$2` is its primary domain: `ok`, `not_found` or
/// `wrong_confirmation`.
pub const DROP: &str = "SELECT chameleon_sys.drop_tenant($1, $2)";

/// Brings tenant `$1` to the latest stored tenant migration; how many it applied.
pub const MIGRATE: &str = "SELECT chameleon_sys.migrate_tenant($1)";

/// Tenants per schema version.
pub const PER_VERSION: &str =
    "SELECT schema_version, count(*) FROM public.tenants GROUP BY schema_version";

/// Every tenant below version `$1`: id, primary domain, version; by id.
pub const BEHIND: &str = "SELECT id, domain, schema_version FROM public.tenants \
     WHERE schema_version < $1 ORDER BY id";

/// Whether the table exists yet (a dry run before the first install).
pub const EXISTS: &str = "SELECT to_regclass('public.tenants') IS NOT NULL";

/// The schema name of every tenant (tenant roles are named like their schemas).
pub const SCHEMA_NAMES: &str = "SELECT schema_name FROM public.tenants";

/// Rebuilds a tenant from a row of [`columns!`], re-validating every field: a row edited by
/// hand into something the service would never write is an error, not a tenant.
pub fn from_row(row: &Row) -> anyhow::Result<Tenant> {
    let id = TenantId::from_uuid(row.try_get("id")?);
    let schema = SchemaName::parse(row.try_get("schema_name")?)?;
    if schema != SchemaName::for_tenant(id) {
        return Err(anyhow!("tenant {id} has schema {schema}, not its own"));
    }
    let hash: &[u8] = row.try_get("manager_key_hash")?;
    let status: &str = row.try_get("status")?;
    let hours: Option<serde_json::Value> = row.try_get("opening_hours")?;
    let pickup =
        pickup_from_row(row).with_context(|| format!("tenant {id} has invalid pickup settings"))?;
    Ok(Tenant {
        acting: None,
        status: TenantStatus::parse(status)?,
        settings: StoreSettings {
            currency: Currency::parse(row.try_get("currency")?)?,
            locale: Locale::parse(row.try_get("locale")?)?,
            timezone: TimeZoneName::parse(row.try_get("timezone")?)?,
            opening_hours: hours
                .as_ref()
                .map(hours_from_json)
                .transpose()
                .with_context(|| format!("tenant {id} has invalid opening hours"))?,
            pickup,
        },
        id,
        schema,
        domain: Domain::parse(row.try_get("domain")?)?,
        name: TenantName::parse(row.try_get("name")?)?,
        theme: theme_from_json(&row.try_get("theme")?)
            .with_context(|| format!("tenant {id} has an invalid theme"))?,
        manager_key_hash: ManagerKeyHash::from_stored(hash)
            .ok_or_else(|| anyhow!("tenant {id} has a malformed key hash"))?,
    })
}

/// The stored (and API) form of opening hours: `{"mon": [["11:00", "14:00"]], ...}`, the days
/// with ranges only.
pub fn hours_to_json(hours: &OpeningHours) -> serde_json::Value {
    let days: serde_json::Map<String, serde_json::Value> = hours
        .days()
        .filter(|(_, ranges)| !ranges.is_empty())
        .map(|(day, ranges)| {
            let ranges = ranges
                .iter()
                .map(|r| json!([r.start.to_string(), r.end.to_string()]))
                .collect();
            (day.to_owned(), serde_json::Value::Array(ranges))
        })
        .collect();
    serde_json::Value::Object(days)
}

pub fn hours_from_json(value: &serde_json::Value) -> anyhow::Result<OpeningHours> {
    let object = value
        .as_object()
        .ok_or_else(|| anyhow!("opening hours are not an object"))?;
    let mut days = Vec::new();
    for (day, ranges) in object {
        let ranges = ranges
            .as_array()
            .ok_or_else(|| anyhow!("{day}: not a list"))?
            .iter()
            .map(|range| match range.as_array().map(Vec::as_slice) {
                Some([start, end]) => Ok((
                    start.as_str().unwrap_or_default(),
                    end.as_str().unwrap_or_default(),
                )),
                _ => Err(anyhow!("{day}: a range is not a pair")),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        days.push((day.as_str(), ranges));
    }
    Ok(OpeningHours::parse(days)?)
}

/// The arguments of [`UPDATE_PICKUP`] for a patch, owned.
#[derive(Debug)]
pub struct PickupArgs {
    id: uuid::Uuid,
    prep: Option<i16>,
    slot: Option<i16>,
    set_capacity: bool,
    capacity: Option<i16>,
    days_ahead: Option<i16>,
    busy: Option<i16>,
    accepting: Option<bool>,
    closures: Option<serde_json::Value>,
}

/// Every value of core's ranges fits a `smallint` (at most 1000).
fn small(value: u16) -> i16 {
    i16::try_from(value).unwrap_or(i16::MAX)
}

impl PickupArgs {
    pub fn of(id: TenantId, patch: &PickupPatch) -> Self {
        Self {
            id: id.as_uuid(),
            prep: patch.prep_minutes.map(|m| small(m.get())),
            slot: patch.slot_minutes.map(|m| small(m.get())),
            set_capacity: patch.slot_capacity.is_some(),
            capacity: patch.slot_capacity.flatten().map(|c| small(c.get())),
            days_ahead: patch.schedule_days_ahead.map(|d| small(u16::from(d.get()))),
            busy: patch.busy_extra_minutes.map(|m| small(m.get())),
            accepting: patch.accepting_orders,
            closures: patch.closures.as_ref().map(closures_to_json),
        }
    }

    /// Every setting of `settings`, as a patch.
    pub fn all(id: TenantId, settings: &PickupSettings) -> Self {
        Self::of(
            id,
            &PickupPatch {
                prep_minutes: Some(settings.prep_minutes),
                slot_minutes: Some(settings.slot_minutes),
                slot_capacity: Some(settings.slot_capacity),
                schedule_days_ahead: Some(settings.schedule_days_ahead),
                busy_extra_minutes: Some(settings.busy_extra_minutes),
                accepting_orders: Some(settings.accepting_orders),
                closures: Some(settings.closures.clone()),
            },
        )
    }

    pub fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 9] {
        [
            &self.id,
            &self.prep,
            &self.slot,
            &self.set_capacity,
            &self.capacity,
            &self.days_ahead,
            &self.busy,
            &self.accepting,
            &self.closures,
        ]
    }
}

/// The pickup settings of a row of [`columns!`].
fn pickup_from_row(row: &Row) -> anyhow::Result<PickupSettings> {
    let number =
        |name: &str| -> anyhow::Result<i64> { Ok(i64::from(row.try_get::<_, i16>(name)?)) };
    let capacity: Option<i16> = row.try_get("slot_capacity")?;
    let closures: serde_json::Value = row.try_get("closures")?;
    Ok(PickupSettings {
        prep_minutes: PrepMinutes::try_from(number("prep_minutes")?)?,
        slot_minutes: SlotMinutes::try_from(number("slot_minutes")?)?,
        slot_capacity: capacity
            .map(|c| SlotCapacity::try_from(i64::from(c)))
            .transpose()?,
        schedule_days_ahead: DaysAhead::try_from(number("schedule_days_ahead")?)?,
        busy_extra_minutes: BusyMinutes::try_from(number("busy_extra_minutes")?)?,
        accepting_orders: row.try_get("accepting_orders")?,
        closures: closures_from_json(&closures)?,
    })
}

/// The stored (and API) form of closures: `[{"date": "2026-12-25", "reason": "Christmas"}]`,
/// by date.
pub fn closures_to_json(closures: &Closures) -> serde_json::Value {
    closures
        .iter()
        .map(|c| json!({ "date": c.date.to_string(), "reason": c.reason.as_str() }))
        .collect()
}

fn closures_from_json(value: &serde_json::Value) -> anyhow::Result<Closures> {
    let list = value
        .as_array()
        .ok_or_else(|| anyhow!("closures are not a list"))?
        .iter()
        .map(|c| {
            let date = c.get("date").and_then(serde_json::Value::as_str);
            let reason = c.get("reason").and_then(serde_json::Value::as_str);
            Ok((
                date.ok_or_else(|| anyhow!("a closure without a date"))?,
                reason.ok_or_else(|| anyhow!("a closure without a reason"))?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Closures::parse(list)?)
}

/// The stored form of a theme.
pub fn theme_to_json(theme: &Theme) -> serde_json::Value {
    json!({
        "primary_color": theme.primary_color.as_str(),
        "font": theme.font.name(),
    })
}

fn theme_from_json(value: &serde_json::Value) -> anyhow::Result<Theme> {
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| anyhow!("theme has no {name}"))
    };
    Ok(Theme {
        primary_color: ThemeColor::parse(field("primary_color")?)?,
        font: Font::parse(field("font")?)?,
    })
}

/// The constraint a primary domain taken twice violates.
pub const DOMAIN_KEY: &str = "tenants_domain_key";
