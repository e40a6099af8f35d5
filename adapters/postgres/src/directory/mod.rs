//! The tenant directory ([`TenantDirectory`]) over `public.tenants` and
//! `public.tenant_domains` ([`crate::tables::tenants`], [`crate::tables::tenant_domains`]).
//!
//! Every storefront request resolves its `Host`, every manager request its `X-Tenant-ID`. Once
//! warm, neither costs a database round trip, and requests for tenants that do not exist cost
//! a query only within a budget: what is kept and when the database is asked is
//! [`cache`]'s policy; this module runs the queries it asks for.
//!
//! # Layout
//! - this module: [`PgDirectory`], the port over the tables.
//! - [`cache`]: [`cache::TenantCache`], the policy: tenants found, the known set, the budget.

pub mod cache;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chameleon_core::hours::{Currency, Locale, TimeZoneName};
use chameleon_core::pickup::PickupPatch;
use chameleon_core::ports::{
    DomainChangeError, ListTenantsError, ResolveTenantError, TenantDirectory, UpdateTenantError,
};
use chameleon_core::tenant::{
    Domain, ManagerKeyHash, Tenant, TenantDetails, TenantId, TenantName, TenantPatch, TenantStatus,
};
use uuid::Uuid;

use self::cache::{Key, KnownSet, Miss, TenantCache};
use crate::cache::Lookup;
use crate::invalidation::{Change, SharedCache, SyncState};
use crate::pool::PgPool;
use crate::sqlstate::{AtSeam as _, classify, is_unique_violation};
use crate::tables::{tenant_domains, tenants};

pub use self::cache::DirectoryCacheSettings;

/// [`TenantDirectory`] over `public.tenants`.
#[derive(Debug, Clone)]
pub struct PgDirectory {
    pool: PgPool,
    settings: DirectoryCacheSettings,
    cache: Arc<TenantCache>,
    /// Single-tenant reads sent to the database, for tests and metrics.
    lookups: Arc<AtomicU64>,
}

impl PgDirectory {
    pub fn new(pool: PgPool, settings: DirectoryCacheSettings) -> Self {
        Self {
            pool,
            settings,
            cache: Arc::new(TenantCache::new(settings, Arc::default())),
            lookups: Arc::default(),
        }
    }

    /// Shares `sync` with the [`crate::invalidation::Listener`] that keeps this directory in
    /// step; without one, entries live for the short TTL only.
    pub fn with_sync(mut self, sync: Arc<SyncState>) -> Self {
        self.cache = Arc::new(TenantCache::new(self.settings, sync));
        self
    }

    /// How many single-tenant reads this directory has sent to the database.
    pub fn database_lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Reads the tenant `key` names. A tenant found is cached under both keys, unless an
    /// invalidation happened while the query ran.
    async fn fetch(&self, key: &Key) -> anyhow::Result<Option<Arc<Tenant>>> {
        let tickets = self.cache.tickets();
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut conn = self.pool.get().await?;
        let row = match key {
            Key::Domain(domain) => {
                let statement = conn.prepared(tenant_domains::TENANT_BY_DOMAIN).await?;
                conn.client()
                    .query_opt(&statement, &[&domain.as_str()])
                    .await
                    .at_seam()?
            }
            Key::Id(id) => {
                let statement = conn.prepared(tenants::BY_ID).await?;
                conn.client()
                    .query_opt(&statement, &[&id.as_uuid()])
                    .await
                    .at_seam()?
            }
        };
        let tenant = row
            .map(|row| tenants::from_row(&row).map(Arc::new))
            .transpose()?;
        if let Some(tenant) = &tenant {
            self.cache.fill(tickets, key, tenant);
        }
        Ok(tenant)
    }

    /// Resolves from the cache; past its time, the previous answer is served while the tenant
    /// is read again in the background. Otherwise as the cache's policy says: from the
    /// database, or "no such tenant" without a query.
    async fn resolve(&self, key: Key) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        match self.cache.lookup(&key) {
            Lookup::Hit(tenant) => return Ok(Some(tenant)),
            Lookup::Refresh(stale) => {
                self.refresh_in_background(key);
                return Ok(Some(stale));
            }
            Lookup::Miss => {}
        }
        self.ensure_known().await?;
        match self.cache.on_miss(&key) {
            Miss::Fetch => Ok(self.fetch(&key).await?),
            Miss::Nobody => Ok(None),
        }
    }

    fn refresh_in_background(&self, key: Key) {
        let this = self.clone();
        tokio::spawn(async move {
            match this.fetch(&key).await {
                Ok(Some(_)) => {}
                Ok(None) => this.cache.forget(&key),
                Err(err) => {
                    tracing::warn!(
                        error = format!("{err:#}"),
                        "refreshing a tenant failed; serving the previous answer"
                    );
                    this.cache.abandon_refresh(&key);
                }
            }
        });
    }

    /// Loads the known set the first time (waiting for it), and reloads it in the background
    /// once it is older than `known_refresh`.
    async fn ensure_known(&self) -> anyhow::Result<()> {
        match self.cache.known_set() {
            KnownSet::Missing => self.reload_known().await,
            KnownSet::Stale => {
                self.spawn_reload();
                Ok(())
            }
            KnownSet::Current => Ok(()),
        }
    }

    fn spawn_reload(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(err) = this.reload_known().await {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "reloading the known tenants failed"
                );
                this.cache.reload_failed();
            }
        });
    }

    async fn reload_known(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(tenant_domains::ALL).await?;
        let rows = conn
            .client()
            .query(&statement, &[])
            .await
            .at_seam()
            .context("loading the known tenants")?;
        let mut domains = HashSet::with_capacity(rows.len());
        let mut ids = HashSet::with_capacity(rows.len());
        for row in &rows {
            ids.insert(row.try_get::<_, Uuid>(0)?);
            domains.insert(row.try_get::<_, String>(1)?);
        }
        self.cache.replace_known(domains, ids, started);
        Ok(())
    }

    /// After a change of tenant `id`'s domains: its details as stored, and this instance's
    /// cache holding them under every domain at once.
    async fn domains_changed(&self, id: TenantId) -> Result<TenantDetails, DomainChangeError> {
        self.recache(id)
            .await?
            .ok_or(DomainChangeError::NotFound(id))
    }

    /// After this process changed tenant `id`: reads it with its domains and caches it under
    /// every one of them.
    async fn recache(&self, id: TenantId) -> anyhow::Result<Option<TenantDetails>> {
        let Some(details) = tenant_domains::read_details(&self.pool, id).await? else {
            return Ok(None);
        };
        let tenant = Arc::new(details.tenant.clone());
        let domains: Vec<Domain> = details.domains.iter().map(|d| d.domain.clone()).collect();
        self.cache.replace(&tenant, &domains);
        Ok(Some(details))
    }
}

impl SharedCache for PgDirectory {
    fn apply(&self, change: &Change) {
        self.cache.apply(change);
    }

    fn forget_everything(&self) {
        self.cache.forget_everything();
        if self.cache.reload_soon() {
            self.spawn_reload();
        }
    }
}

impl TenantDirectory for PgDirectory {
    async fn register(&self, tenant: &Tenant) {
        self.cache.replace(&Arc::new(tenant.clone()), &[]);
    }

    async fn resolve_domain(
        &self,
        domain: &Domain,
    ) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        self.resolve(Key::Domain(domain.clone())).await
    }

    async fn get(&self, id: TenantId) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        self.resolve(Key::Id(id)).await
    }

    async fn list(&self) -> Result<Vec<Tenant>, ListTenantsError> {
        let mut conn = self.pool.get().await?;
        let statement = conn
            .prepared(tenants::ALL)
            .await
            .context("listing tenants")?;
        let rows = conn
            .client()
            .query(&statement, &[])
            .await
            .at_seam()
            .context("listing tenants")?;
        Ok(rows
            .iter()
            .map(tenants::from_row)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn replace_manager_key(
        &self,
        id: TenantId,
        hash: ManagerKeyHash,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut conn = self.pool.get().await?;
        let statement = conn
            .prepared(tenants::SET_MANAGER_KEY)
            .await
            .context("preparing")?;
        let hash: &[u8] = hash.as_bytes();
        let row = conn
            .client()
            .query_opt(&statement, &[&id.as_uuid(), &hash])
            .await
            .at_seam()
            .context("replacing a manager key")?
            .ok_or(UpdateTenantError::NotFound(id))?;
        let tenant = Arc::new(tenants::from_row(&row)?);
        self.cache.replace(&tenant, &[]);
        Ok(tenant)
    }

    async fn details(&self, id: TenantId) -> Result<Option<TenantDetails>, ResolveTenantError> {
        Ok(tenant_domains::read_details(&self.pool, id).await?)
    }

    async fn update(
        &self,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(tenants::UPDATE).await.context("preparing")?;
        let theme = patch.theme.as_ref().map(tenants::theme_to_json);
        let hours = patch
            .opening_hours
            .as_ref()
            .and_then(|h| h.as_ref().map(tenants::hours_to_json));
        let pickup = tenants::PickupArgs::of(id, &patch.pickup);
        // One transaction: the tenant's own settings, then its pickup settings.
        let tx = conn
            .client_mut()
            .transaction()
            .await
            .at_seam()
            .context("updating a tenant")?;
        let row = tx
            .query_opt(
                &statement,
                &[
                    &id.as_uuid(),
                    &patch.name.as_ref().map(TenantName::as_str),
                    &theme,
                    &patch.status.as_ref().map(TenantStatus::as_str),
                    &patch.currency.as_ref().map(Currency::code),
                    &patch.locale.as_ref().map(Locale::as_str),
                    &patch.timezone.as_ref().map(TimeZoneName::as_str),
                    &patch.opening_hours.is_some(),
                    &hours,
                ],
            )
            .await
            .at_seam()
            .context("updating a tenant")?
            .ok_or(UpdateTenantError::NotFound(id))?;
        let row = if patch.pickup == PickupPatch::default() {
            row
        } else {
            tx.query_opt(tenants::UPDATE_PICKUP, &pickup.params())
                .await
                .at_seam()
                .context("updating a tenant's pickup settings")?
                .ok_or(UpdateTenantError::NotFound(id))?
        };
        tx.commit().await.at_seam().context("updating a tenant")?;
        let tenant = Arc::new(tenants::from_row(&row)?);
        drop(conn);
        // Under every domain: the storefront on each of them changes.
        match self.recache(id).await? {
            Some(details) => Ok(Arc::new(details.tenant)),
            None => Err(UpdateTenantError::NotFound(tenant.id)),
        }
    }

    async fn add_domain(
        &self,
        id: TenantId,
        domain: Domain,
        primary: bool,
    ) -> Result<TenantDetails, DomainChangeError> {
        let conn = self.pool.get().await?;
        let outcome: String = match conn
            .client()
            .query_one(
                tenant_domains::ADD,
                &[&id.as_uuid(), &domain.as_str(), &primary],
            )
            .await
        {
            Ok(row) => row.try_get(0).context("adding a domain")?,
            Err(err) if is_unique_violation(&err, tenant_domains::PRIMARY_KEY) => {
                return Err(DomainChangeError::Taken(domain));
            }
            Err(err) => return Err(classify(err).context("adding a domain").into()),
        };
        drop(conn);
        match outcome.as_str() {
            "ok" => {}
            "not_found" => return Err(DomainChangeError::NotFound(id)),
            "too_many" => return Err(DomainChangeError::TooManyDomains),
            other => return Err(anyhow!("add_tenant_domain answered {other:?}").into()),
        }
        self.domains_changed(id).await
    }

    async fn remove_domain(
        &self,
        id: TenantId,
        domain: &Domain,
    ) -> Result<TenantDetails, DomainChangeError> {
        let conn = self.pool.get().await?;
        let outcome: String = conn
            .client()
            .query_one(tenant_domains::REMOVE, &[&id.as_uuid(), &domain.as_str()])
            .await
            .at_seam()
            .context("removing a domain")?
            .try_get(0)
            .context("removing a domain")?;
        drop(conn);
        match outcome.as_str() {
            "ok" => {}
            "not_found" => return Err(DomainChangeError::NotFound(id)),
            "no_such_domain" => return Err(DomainChangeError::NoSuchDomain(domain.clone())),
            "last_domain" => return Err(DomainChangeError::LastDomain(domain.clone())),
            other => return Err(anyhow!("remove_tenant_domain answered {other:?}").into()),
        }
        self.cache.forget_domain(domain);
        self.domains_changed(id).await
    }

    async fn unregister(&self, removed: &TenantDetails) {
        self.cache
            .forget_tenant(removed.tenant.id, removed.domains.iter().map(|d| &d.domain));
    }
}
