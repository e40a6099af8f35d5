//! The tenant directory over `public.tenants`, with a cache in front.
//!
//! Every storefront request resolves its `Host`, every manager request its `X-Tenant-ID`. Once
//! warm, neither costs a database round trip:
//!
//! - A tenant found is kept for [`DirectoryCacheSettings::found_ttl`]. Tenants are only ever
//!   created through provisioning (which registers them here at once), so this only bounds how
//!   long a change made behind the service's back (a manual `UPDATE public.tenants`) takes to show.
//! - A domain or id *not* found is kept for [`DirectoryCacheSettings::missing_ttl`], so a flood of
//!   requests for unknown hosts cannot turn into a flood of queries. A tenant provisioned by
//!   another instance becomes visible here within that time; one provisioned by this instance is
//!   visible at once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chameleon_core::ports::{ListTenantsError, ResolveTenantError, TenantDirectory};
use chameleon_core::tenant::{Domain, ManagerKeyHash, SchemaName, Tenant, TenantId, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use serde_json::json;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::cache::TtlCache;
use crate::pool::PgPool;

/// How long directory answers are reused.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryCacheSettings {
    pub found_ttl: Duration,
    pub missing_ttl: Duration,
    /// Entries kept at most, per index (domain, id).
    pub capacity: usize,
}

impl Default for DirectoryCacheSettings {
    fn default() -> Self {
        Self {
            found_ttl: Duration::from_secs(60),
            missing_ttl: Duration::from_secs(2),
            capacity: 100_000,
        }
    }
}

/// The columns [`tenant_from_row`] reads.
macro_rules! tenant_columns {
    () => {
        "id, schema_name, domain, name, theme, manager_key_hash"
    };
}
const BY_DOMAIN: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenants WHERE domain = $1"
);
const BY_ID: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenants WHERE id = $1"
);
const ALL: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenants ORDER BY domain"
);

type Slot = Option<Arc<Tenant>>;

/// [`TenantDirectory`] over `public.tenants`.
#[derive(Debug, Clone)]
pub struct PgDirectory {
    pool: PgPool,
    settings: DirectoryCacheSettings,
    by_domain: Arc<TtlCache<Domain, Slot>>,
    by_id: Arc<TtlCache<TenantId, Slot>>,
}

impl PgDirectory {
    pub fn new(pool: PgPool, settings: DirectoryCacheSettings) -> Self {
        Self {
            pool,
            settings,
            by_domain: Arc::new(TtlCache::new(settings.capacity)),
            by_id: Arc::new(TtlCache::new(settings.capacity)),
        }
    }

    fn ttl(&self, slot: &Slot) -> Duration {
        match slot {
            Some(_) => self.settings.found_ttl,
            None => self.settings.missing_ttl,
        }
    }

    async fn fetch_one(&self, sql: &'static str, key: &(dyn ToSql + Sync)) -> anyhow::Result<Slot> {
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(sql).await?;
        let row = conn.client().query_opt(&statement, &[key]).await?;
        row.map(|row| tenant_from_row(&row).map(Arc::new))
            .transpose()
    }

    /// Caches a tenant under both keys, so a lookup by one warms the other.
    fn remember(&self, slot: &Slot) {
        if let Some(tenant) = slot {
            self.by_domain
                .put(tenant.domain.clone(), slot.clone(), self.settings.found_ttl);
            self.by_id
                .put(tenant.id, slot.clone(), self.settings.found_ttl);
        }
    }
}

impl TenantDirectory for PgDirectory {
    async fn register(&self, tenant: &Tenant) {
        self.remember(&Some(Arc::new(tenant.clone())));
    }

    async fn resolve_domain(
        &self,
        domain: &Domain,
    ) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        let slot = self
            .by_domain
            .get_or_load(
                domain,
                |slot| self.ttl(slot),
                || async {
                    let slot = self.fetch_one(BY_DOMAIN, &domain.as_str()).await?;
                    if let Some(tenant) = &slot {
                        // Warm the other index too.
                        self.by_id
                            .put(tenant.id, slot.clone(), self.settings.found_ttl);
                    }
                    Ok::<_, anyhow::Error>(slot)
                },
            )
            .await?;
        Ok(slot)
    }

    async fn get(&self, id: TenantId) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        let slot = self
            .by_id
            .get_or_load(
                &id,
                |slot| self.ttl(slot),
                || async {
                    let slot = self.fetch_one(BY_ID, &id.as_uuid()).await?;
                    if let Some(tenant) = &slot {
                        self.by_domain.put(
                            tenant.domain.clone(),
                            slot.clone(),
                            self.settings.found_ttl,
                        );
                    }
                    Ok::<_, anyhow::Error>(slot)
                },
            )
            .await?;
        Ok(slot)
    }

    async fn list(&self) -> Result<Vec<Tenant>, ListTenantsError> {
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(ALL).await.context("listing tenants")?;
        let rows = conn
            .client()
            .query(&statement, &[])
            .await
            .context("listing tenants")?;
        Ok(rows
            .iter()
            .map(tenant_from_row)
            .collect::<anyhow::Result<_>>()?)
    }
}

/// Rebuilds a tenant from a `public.tenants` row, re-validating every field: a row edited by hand
/// into something the service would never write is an error, not a tenant.
pub(crate) fn tenant_from_row(row: &Row) -> anyhow::Result<Tenant> {
    let id = TenantId::from_uuid(row.try_get("id")?);
    let schema = SchemaName::parse(row.try_get("schema_name")?)?;
    if schema != SchemaName::for_tenant(id) {
        return Err(anyhow!("tenant {id} has schema {schema}, not its own"));
    }
    let hash: &[u8] = row.try_get("manager_key_hash")?;
    Ok(Tenant {
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

/// The stored form of a theme.
pub(crate) fn theme_to_json(theme: &Theme) -> serde_json::Value {
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
