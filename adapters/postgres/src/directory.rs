//! The tenant directory over `public.tenants`, with what it knows kept in memory.
//!
//! Every storefront request resolves its `Host`, every manager request its `X-Tenant-ID`. Once
//! warm, neither costs a database round trip, and requests for tenants that do not exist cost
//! none either, however many arrive:
//!
//! - **Every registered domain and id is held in memory** (a few dozen bytes each), loaded once
//!   and reloaded in the background every [`DirectoryCacheSettings::known_refresh`]; this
//!   instance's own provisioning adds to it at once. A domain or id not in it is answered "no
//!   such tenant" without a query.
//! - A domain or id not known here may still belong to a tenant another instance provisioned
//!   since the last reload. Those lookups go to the database only within a budget for the whole
//!   process ([`DirectoryCacheSettings::miss_lookups_per_second`]), so a flood of random hosts
//!   or ids costs at most that many queries a second. Nothing of a miss is cached: misses never
//!   take room from real tenants.
//! - A tenant found is kept for [`DirectoryCacheSettings::found_ttl_synced`] while this instance
//!   hears every change to `public.tenants` ([`crate::invalidation`]: a trigger publishes each
//!   one, even a manual `UPDATE`), for [`DirectoryCacheSettings::found_ttl`] while it does not.
//!   Past its time it is still served while it is read again in the background: a warm lookup
//!   never waits for the database.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use chameleon_core::hours::{Currency, Locale, OpeningHours, StoreSettings, TimeZoneName};
use chameleon_core::ports::{
    DomainChangeError, ListTenantsError, ResolveTenantError, TenantDirectory, UpdateTenantError,
};
use chameleon_core::tenant::{
    Domain, ManagerKeyHash, SchemaName, Tenant, TenantDetails, TenantDomain, TenantId, TenantName,
    TenantPatch, TenantStatus,
};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use serde_json::json;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::cache::{Lookup, TtlCache};
use crate::invalidation::{Change, SharedCache, SyncState};
use crate::pool::PgPool;
use crate::sqlstate::{AtSeam as _, classify, is_unique_violation};

/// How directory answers are kept.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryCacheSettings {
    /// How long a found tenant is reused before it is read again, while this instance does not
    /// hear invalidations (not yet, or reconnecting).
    pub found_ttl: Duration,
    /// The same while it does: every change through any instance, or by SQL on the table,
    /// invalidates at once, so this only spreads the refreshes.
    pub found_ttl_synced: Duration,
    /// How often the set of every registered domain and id is reloaded (in the background):
    /// the longest a tenant provisioned by another instance can go unknown here when the miss
    /// budget is spent.
    pub known_refresh: Duration,
    /// Database lookups a second, for the whole process, of domains and ids not known here.
    pub miss_lookups_per_second: u32,
    /// Tenants kept at most, per index (domain, id).
    pub capacity: usize,
}

impl Default for DirectoryCacheSettings {
    fn default() -> Self {
        Self {
            found_ttl: Duration::from_secs(60),
            found_ttl_synced: Duration::from_secs(600),
            known_refresh: Duration::from_secs(30),
            miss_lookups_per_second: 20,
            capacity: 100_000,
        }
    }
}

/// The columns [`tenant_from_row`] reads.
macro_rules! tenant_columns {
    () => {
        "t.id, t.schema_name, t.domain, t.name, t.theme, t.status, t.manager_key_hash, \
         t.currency, t.locale, t.timezone, t.opening_hours"
    };
}
const BY_DOMAIN: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenant_domains d JOIN public.tenants t ON t.id = d.tenant_id WHERE d.domain = $1"
);
const BY_ID: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenants t WHERE t.id = $1"
);
const ALL: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM public.tenants t ORDER BY t.domain"
);
const KNOWN: &str = "SELECT tenant_id, domain FROM public.tenant_domains";
const SET_MANAGER_KEY: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM chameleon_sys.set_manager_key($1, $2) t"
);
const UPDATE: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    " FROM chameleon_sys.update_tenant($1, $2, $3, $4, $5, $6, $7, $8, $9) t"
);
/// The tenant's row once per domain, the primary domain first.
const DETAILS: &str = concat!(
    "SELECT ",
    tenant_columns!(),
    ", d.domain AS other_domain FROM public.tenants t \
     JOIN public.tenant_domains d ON d.tenant_id = t.id WHERE t.id = $1 \
     ORDER BY d.domain = t.domain DESC, d.domain"
);
const ADD_DOMAIN: &str = "SELECT chameleon_sys.add_tenant_domain($1, $2, $3)";
const REMOVE_DOMAIN: &str = "SELECT chameleon_sys.remove_tenant_domain($1, $2)";

/// Every registered domain and id, as of `loaded_at`.
#[derive(Debug, Default)]
struct Known {
    domains: HashSet<String>,
    ids: HashSet<Uuid>,
    loaded_at: Option<Instant>,
    reloading: bool,
}

/// A token bucket: `rate` tokens a second, at most `rate` saved up.
#[derive(Debug)]
struct Budget {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl Budget {
    fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self {
            rate,
            state: Mutex::new((rate, Instant::now())),
        }
    }

    fn take(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.rate);
        let allowed = tokens >= 1.0;
        *state = (if allowed { tokens - 1.0 } else { tokens }, now);
        allowed
    }
}

/// [`TenantDirectory`] over `public.tenants`.
#[derive(Debug, Clone)]
pub struct PgDirectory {
    pool: PgPool,
    settings: DirectoryCacheSettings,
    by_domain: Arc<TtlCache<Domain, Arc<Tenant>>>,
    by_id: Arc<TtlCache<TenantId, Arc<Tenant>>>,
    known: Arc<RwLock<Known>>,
    miss_budget: Arc<Budget>,
    sync: Arc<SyncState>,
    /// Single-tenant reads sent to the database, for tests and metrics.
    lookups: Arc<AtomicU64>,
}

/// What a lookup is by.
#[derive(Debug, Clone)]
enum Key {
    Domain(Domain),
    Id(TenantId),
}

impl PgDirectory {
    pub fn new(pool: PgPool, settings: DirectoryCacheSettings) -> Self {
        Self {
            pool,
            settings,
            by_domain: Arc::new(TtlCache::new("tenant_by_domain", settings.capacity)),
            by_id: Arc::new(TtlCache::new("tenant_by_id", settings.capacity)),
            known: Arc::default(),
            miss_budget: Arc::new(Budget::new(settings.miss_lookups_per_second)),
            sync: Arc::default(),
            lookups: Arc::default(),
        }
    }

    /// Shares `sync` with the [`crate::invalidation::Listener`] that keeps this directory in
    /// step; without one, entries live for the short TTL only.
    pub fn with_sync(mut self, sync: Arc<SyncState>) -> Self {
        self.sync = sync;
        self
    }

    fn ttl(&self) -> Duration {
        self.sync
            .ttl(self.settings.found_ttl_synced, self.settings.found_ttl)
    }

    /// How many single-tenant reads this directory has sent to the database.
    pub fn database_lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Reads the tenant `key` names. A tenant found is cached under both keys, unless an
    /// invalidation happened while the query ran.
    async fn fetch(&self, key: &Key) -> anyhow::Result<Option<Arc<Tenant>>> {
        let tickets = (self.by_domain.ticket(), self.by_id.ticket());
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut conn = self.pool.get().await?;
        let sql = match key {
            Key::Domain(_) => BY_DOMAIN,
            Key::Id(_) => BY_ID,
        };
        let statement = conn.prepared(sql).await?;
        let row = match key {
            Key::Domain(domain) => conn
                .client()
                .query_opt(&statement, &[&domain.as_str()])
                .await
                .at_seam()?,
            Key::Id(id) => {
                conn.client()
                    .query_opt(&statement, &[&id.as_uuid()])
                    .await?
            }
        };
        let tenant = row
            .map(|row| tenant_from_row(&row).map(Arc::new))
            .transpose()?;
        if let Some(tenant) = &tenant {
            let ttl = self.ttl();
            self.by_domain
                .fill(tickets.0, tenant.domain.clone(), tenant.clone(), ttl);
            self.by_id.fill(tickets.1, tenant.id, tenant.clone(), ttl);
            self.add_known(tenant);
        }
        Ok(tenant)
    }

    fn lookup(&self, key: &Key) -> Lookup<Arc<Tenant>> {
        match key {
            Key::Domain(domain) => self.by_domain.lookup(domain),
            Key::Id(id) => self.by_id.lookup(id),
        }
    }

    fn is_known(&self, key: &Key) -> bool {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        match key {
            Key::Domain(domain) => known.domains.contains(domain.as_str()),
            Key::Id(id) => known.ids.contains(&id.as_uuid()),
        }
    }

    /// Resolves from the cache; past its time, the previous answer is served while the tenant
    /// is read again in the background. Otherwise from the database, if the key is known here
    /// or the miss budget allows; "no such tenant" without a query if not.
    async fn resolve(&self, key: Key) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        match self.lookup(&key) {
            Lookup::Hit(tenant) => return Ok(Some(tenant)),
            Lookup::Refresh(stale) => {
                self.refresh_in_background(key);
                return Ok(Some(stale));
            }
            Lookup::Miss => {}
        }
        self.ensure_known().await?;
        if self.is_known(&key) || self.miss_budget.take() {
            Ok(self.fetch(&key).await?)
        } else {
            Ok(None)
        }
    }

    fn refresh_in_background(&self, key: Key) {
        let this = self.clone();
        tokio::spawn(async move {
            match this.fetch(&key).await {
                Ok(Some(_)) => {}
                Ok(None) => this.forget_key(&key),
                Err(err) => {
                    tracing::warn!(
                        error = format!("{err:#}"),
                        "refreshing a tenant failed; serving the previous answer"
                    );
                    match &key {
                        Key::Domain(domain) => this.by_domain.abandon_refresh(domain),
                        Key::Id(id) => this.by_id.abandon_refresh(id),
                    }
                }
            }
        });
    }

    fn forget_key(&self, key: &Key) {
        match key {
            Key::Domain(domain) => self.by_domain.invalidate(domain),
            Key::Id(id) => self.by_id.invalidate(id),
        }
    }

    /// Caches a tenant this process just wrote under both keys, and adds it to the known set.
    fn remember(&self, tenant: &Arc<Tenant>) {
        let ttl = self.ttl();
        self.by_domain
            .put(tenant.domain.clone(), tenant.clone(), ttl);
        self.by_id.put(tenant.id, tenant.clone(), ttl);
        self.add_known(tenant);
    }

    fn add_known(&self, tenant: &Tenant) {
        self.add_known_keys(tenant.id, [tenant.domain.as_str()]);
    }

    fn add_known_keys<'a>(&self, id: TenantId, domains: impl IntoIterator<Item = &'a str>) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        known.ids.insert(id.as_uuid());
        for domain in domains {
            known.domains.insert(domain.to_owned());
        }
    }

    /// Reloads the known set in the background now (unless a reload is under way).
    fn reload_known_soon(&self) {
        {
            let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
            if known.reloading || known.loaded_at.is_none() {
                return;
            }
            known.reloading = true;
        }
        self.spawn_reload();
    }

    fn spawn_reload(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(err) = this.reload_known().await {
                tracing::warn!(
                    error = format!("{err:#}"),
                    "reloading the known tenants failed"
                );
                this.known
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .reloading = false;
            }
        });
    }

    /// Loads the known set the first time (waiting for it), and reloads it in the background once
    /// it is older than `known_refresh`.
    async fn ensure_known(&self) -> anyhow::Result<()> {
        let (loaded, stale) = {
            let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
            let loaded = known.loaded_at.is_some();
            let stale = known
                .loaded_at
                .is_some_and(|at| at.elapsed() >= self.settings.known_refresh)
                && !known.reloading;
            if stale {
                known.reloading = true;
            }
            (loaded, stale)
        };
        if !loaded {
            return self.reload_known().await;
        }
        if stale {
            self.spawn_reload();
        }
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
        let Some(details) = read_details(&self.pool, id).await? else {
            return Ok(None);
        };
        let tenant = Arc::new(details.tenant.clone());
        let domains: Vec<Domain> = details.domains.iter().map(|d| d.domain.clone()).collect();
        self.replace_cached(&tenant, &domains);
        Ok(Some(details))
    }

    /// Caches `tenant`, just written by this process, under its id, its primary domain and
    /// `others`. Invalidating first voids any read of the old row still in flight.
    fn replace_cached(&self, tenant: &Arc<Tenant>, others: &[Domain]) {
        let ttl = self.ttl();
        self.by_id.invalidate(&tenant.id);
        self.by_id.put(tenant.id, tenant.clone(), ttl);
        for domain in std::iter::once(&tenant.domain).chain(others) {
            self.by_domain.invalidate(domain);
            self.by_domain.put(domain.clone(), tenant.clone(), ttl);
        }
        self.add_known_keys(
            tenant.id,
            std::iter::once(&tenant.domain)
                .chain(others)
                .map(Domain::as_str),
        );
    }

    async fn reload_known(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(KNOWN).await?;
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
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        // Tenants registered here (or heard of) while the query ran stay known.
        if let Some(previous) = known.loaded_at
            && previous > started
        {
            domains.extend(known.domains.drain());
            ids.extend(known.ids.drain());
        }
        let old = std::mem::replace(
            &mut *known,
            Known {
                domains,
                ids,
                loaded_at: Some(Instant::now()),
                reloading: false,
            },
        );
        // Freed after the lock: dropping 10,000 strings is no reader's wait.
        drop(known);
        drop(old);
        Ok(())
    }
}

impl SharedCache for PgDirectory {
    fn apply(&self, change: &Change) {
        let Change::Tenant { id, domains } = change else {
            return;
        };
        self.by_id.invalidate(id);
        for domain in domains {
            if let Ok(domain) = Domain::parse(domain) {
                self.by_domain.invalidate(&domain);
            }
        }
        // A tenant provisioned elsewhere is known here at once (one removed stays "known" until
        // the next reload: its lookups find nothing, within the miss budget's spirit).
        self.add_known_keys(*id, domains.iter().map(String::as_str));
    }

    fn forget_everything(&self) {
        self.by_domain.forget_all();
        self.by_id.forget_all();
        self.reload_known_soon();
    }
}

impl TenantDirectory for PgDirectory {
    async fn register(&self, tenant: &Tenant) {
        self.remember(&Arc::new(tenant.clone()));
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
        let statement = conn.prepared(ALL).await.context("listing tenants")?;
        let rows = conn
            .client()
            .query(&statement, &[])
            .await
            .at_seam()
            .context("listing tenants")?;
        Ok(rows
            .iter()
            .map(tenant_from_row)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn replace_manager_key(
        &self,
        id: TenantId,
        hash: ManagerKeyHash,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(SET_MANAGER_KEY).await.context("preparing")?;
        let hash: &[u8] = hash.as_bytes();
        let row = conn
            .client()
            .query_opt(&statement, &[&id.as_uuid(), &hash])
            .await
            .at_seam()
            .context("replacing a manager key")?
            .ok_or(UpdateTenantError::NotFound(id))?;
        let tenant = Arc::new(tenant_from_row(&row)?);
        self.replace_cached(&tenant, &[]);
        Ok(tenant)
    }

    async fn details(&self, id: TenantId) -> Result<Option<TenantDetails>, ResolveTenantError> {
        Ok(read_details(&self.pool, id).await?)
    }

    async fn update(
        &self,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(UPDATE).await.context("preparing")?;
        let theme = patch.theme.as_ref().map(theme_to_json);
        let hours = patch
            .opening_hours
            .as_ref()
            .and_then(|h| h.as_ref().map(hours_to_json));
        let row = conn
            .client()
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
        let tenant = Arc::new(tenant_from_row(&row)?);
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
            .query_one(ADD_DOMAIN, &[&id.as_uuid(), &domain.as_str(), &primary])
            .await
        {
            Ok(row) => row.try_get(0).context("adding a domain")?,
            Err(err) if is_unique_violation(&err, "tenant_domains_pkey") => {
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
            .query_one(REMOVE_DOMAIN, &[&id.as_uuid(), &domain.as_str()])
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
        self.by_domain.invalidate(domain);
        self.domains_changed(id).await
    }

    async fn unregister(&self, removed: &TenantDetails) {
        self.by_id.invalidate(&removed.tenant.id);
        for domain in &removed.domains {
            self.by_domain.invalidate(&domain.domain);
        }
    }
}

/// Reads tenant `id` with its domains, from the database (no cache).
pub(crate) async fn read_details(
    pool: &PgPool,
    id: TenantId,
) -> anyhow::Result<Option<TenantDetails>> {
    let mut conn = pool.get().await?;
    let statement = conn.prepared(DETAILS).await?;
    let rows = conn
        .client()
        .query(&statement, &[&id.as_uuid()])
        .await
        .at_seam()
        .context("reading a tenant's details")?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let tenant = tenant_from_row(first)?;
    let domains = rows
        .iter()
        .map(|row| {
            let domain = Domain::parse(row.try_get("other_domain")?)?;
            Ok(TenantDomain {
                primary: domain == tenant.domain,
                domain,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Some(TenantDetails { tenant, domains }))
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
    let status: &str = row.try_get("status")?;
    let hours: Option<serde_json::Value> = row.try_get("opening_hours")?;
    Ok(Tenant {
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
pub(crate) fn hours_to_json(hours: &OpeningHours) -> serde_json::Value {
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

fn hours_from_json(value: &serde_json::Value) -> anyhow::Result<OpeningHours> {
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
