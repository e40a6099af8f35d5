//! `public.tenants`: a tenant's identity, primary domain, branding, trading settings, status,
//! manager key hash and schema version. Only the `chameleon_sys` functions write it (the
//! serving role may not: `docs/database-roles.md`); the service reads it.

use anyhow::{Context as _, anyhow};
use chameleon_core::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
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
         t.currency, t.locale, t.timezone, t.opening_hours"
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
