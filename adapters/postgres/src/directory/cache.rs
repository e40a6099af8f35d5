//! What the tenant directory keeps in memory, and when it asks the database: the cache policy,
//! apart from the SQL ([`super`] runs the queries this module asks for).
//!
//! - **Every registered domain and id is held in memory** (a few dozen bytes each), loaded once
//!   and reloaded in the background every [`DirectoryCacheSettings::known_refresh`]; this
//!   instance's own provisioning adds to it at once. A domain or id not in it is answered "no
//!   such tenant" without a query.
//! - A domain or id not known here may still belong to a tenant another instance provisioned
//!   since the last reload. Those lookups go to the database only within a budget for the whole
//!   process ([`DirectoryCacheSettings::miss_lookups_per_second`]), so a flood of random hosts
//!   or ids costs at most that many queries a second (and no query at all once the budget is
//!   spent). Nothing of a miss is cached: misses never take room from real tenants.
//! - A tenant found is kept for [`DirectoryCacheSettings::found_ttl_synced`] while this instance
//!   hears every change to `public.tenants` ([`crate::invalidation`]: a trigger publishes each
//!   one, even a manual `UPDATE`), for [`DirectoryCacheSettings::found_ttl`] while it does not.
//!   Past its time it is still served while it is read again in the background: a warm lookup
//!   never waits for the database.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chameleon_core::tenant::{Domain, Tenant, TenantId};
use uuid::Uuid;

use crate::cache::{Lookup, Ticket, TtlCache};
use crate::invalidation::{Change, SyncState};

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

/// What a lookup is by.
#[derive(Debug, Clone)]
pub enum Key {
    Domain(Domain),
    Id(TenantId),
}

/// What to do about a lookup the cache could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// Read it from the database.
    Fetch,
    /// Answer "no such tenant" without a query.
    Nobody,
}

/// Where the known set stands, for [`super::PgDirectory`] to load it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownSet {
    /// Never loaded: load it now and wait.
    Missing,
    /// Loaded, and due for a reload this caller should start (in the background).
    Stale,
    /// Loaded and current, or being reloaded by someone else.
    Current,
}

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

/// The directory's memory: tenants found, by domain and by id; the known set; the miss budget.
#[derive(Debug)]
pub struct TenantCache {
    settings: DirectoryCacheSettings,
    by_domain: TtlCache<Domain, Arc<Tenant>>,
    by_id: TtlCache<TenantId, Arc<Tenant>>,
    known: RwLock<Known>,
    miss_budget: Budget,
    sync: Arc<SyncState>,
}

/// The tickets of a read about to start: a fill with them is dropped if anything was
/// invalidated meanwhile (see [`crate::cache`]).
#[derive(Debug)]
pub struct Tickets(Ticket, Ticket);

impl TenantCache {
    pub fn new(settings: DirectoryCacheSettings, sync: Arc<SyncState>) -> Self {
        Self {
            settings,
            by_domain: TtlCache::new("tenant_by_domain", settings.capacity),
            by_id: TtlCache::new("tenant_by_id", settings.capacity),
            known: RwLock::default(),
            miss_budget: Budget::new(settings.miss_lookups_per_second),
            sync,
        }
    }

    fn ttl(&self) -> Duration {
        self.sync
            .ttl(self.settings.found_ttl_synced, self.settings.found_ttl)
    }

    /// The cache's answer for `key`.
    pub fn lookup(&self, key: &Key) -> Lookup<Arc<Tenant>> {
        match key {
            Key::Domain(domain) => self.by_domain.lookup(domain),
            Key::Id(id) => self.by_id.lookup(id),
        }
    }

    /// After a miss (with the known set loaded): read the database when the key is known here
    /// or the miss budget allows, answer "nobody" otherwise.
    pub fn on_miss(&self, key: &Key) -> Miss {
        if self.is_known(key) || self.miss_budget.take() {
            Miss::Fetch
        } else {
            Miss::Nobody
        }
    }

    fn is_known(&self, key: &Key) -> bool {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        match key {
            Key::Domain(domain) => known.domains.contains(domain.as_str()),
            Key::Id(id) => known.ids.contains(&id.as_uuid()),
        }
    }

    /// Taken before a read, handed back with its result to [`TenantCache::fill`].
    pub fn tickets(&self) -> Tickets {
        Tickets(self.by_domain.ticket(), self.by_id.ticket())
    }

    /// Keeps `tenant`, read from the database for `key`, under its id, its primary domain and
    /// the domain `key` names when that is another of its domains (unless something was
    /// invalidated since `tickets`), and knows them: a secondary domain is served from memory
    /// like the primary one.
    pub fn fill(&self, tickets: Tickets, key: &Key, tenant: &Arc<Tenant>) {
        let ttl = self.ttl();
        let Tickets(domain_ticket, id_ticket) = tickets;
        self.by_domain
            .fill(domain_ticket, tenant.domain.clone(), tenant.clone(), ttl);
        if let Key::Domain(looked_up) = key
            && *looked_up != tenant.domain
        {
            self.by_domain
                .fill(domain_ticket, looked_up.clone(), tenant.clone(), ttl);
            self.add_known(tenant.id, [looked_up.as_str()]);
        }
        self.by_id.fill(id_ticket, tenant.id, tenant.clone(), ttl);
        self.add_known(tenant.id, [tenant.domain.as_str()]);
    }

    /// A refresh found nothing: forget what `key` held.
    pub fn forget(&self, key: &Key) {
        match key {
            Key::Domain(domain) => self.by_domain.invalidate(domain),
            Key::Id(id) => self.by_id.invalidate(id),
        }
    }

    /// A refresh failed: the stale entry is served again and refreshed later.
    pub fn abandon_refresh(&self, key: &Key) {
        match key {
            Key::Domain(domain) => self.by_domain.abandon_refresh(domain),
            Key::Id(id) => self.by_id.abandon_refresh(id),
        }
    }

    /// Keeps `tenant`, which this process just wrote, under its id, its primary domain and
    /// `others`. Invalidating first voids any read of the old row still in flight.
    pub fn replace(&self, tenant: &Arc<Tenant>, others: &[Domain]) {
        let ttl = self.ttl();
        self.by_id.invalidate(&tenant.id);
        self.by_id.put(tenant.id, tenant.clone(), ttl);
        for domain in std::iter::once(&tenant.domain).chain(others) {
            self.by_domain.invalidate(domain);
            self.by_domain.put(domain.clone(), tenant.clone(), ttl);
        }
        self.add_known(
            tenant.id,
            std::iter::once(&tenant.domain)
                .chain(others)
                .map(Domain::as_str),
        );
    }

    /// Forgets one domain (removed from its tenant).
    pub fn forget_domain(&self, domain: &Domain) {
        self.by_domain.invalidate(domain);
    }

    /// Forgets a tenant and its domains (removed).
    pub fn forget_tenant<'a>(&self, id: TenantId, domains: impl IntoIterator<Item = &'a Domain>) {
        self.by_id.invalidate(&id);
        for domain in domains {
            self.by_domain.invalidate(domain);
        }
    }

    fn add_known<'a>(&self, id: TenantId, domains: impl IntoIterator<Item = &'a str>) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        known.ids.insert(id.as_uuid());
        for domain in domains {
            known.domains.insert(domain.to_owned());
        }
    }

    /// Where the known set stands; a `Stale` answer marks it as being reloaded, so only one
    /// caller starts the reload.
    pub fn known_set(&self) -> KnownSet {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        match known.loaded_at {
            None => KnownSet::Missing,
            Some(at) if at.elapsed() >= self.settings.known_refresh && !known.reloading => {
                known.reloading = true;
                KnownSet::Stale
            }
            Some(_) => KnownSet::Current,
        }
    }

    /// Marks the known set for a reload now, unless one is under way or it was never loaded;
    /// whether the caller should start it.
    pub fn reload_soon(&self) -> bool {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if known.reloading || known.loaded_at.is_none() {
            return false;
        }
        known.reloading = true;
        true
    }

    /// A reload failed: another may start.
    pub fn reload_failed(&self) {
        self.known
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .reloading = false;
    }

    /// The known set as read by a query that started at `started`.
    pub fn replace_known(
        &self,
        mut domains: HashSet<String>,
        mut ids: HashSet<Uuid>,
        started: Instant,
    ) {
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
    }

    /// A change published by any instance: what it names is read again when next asked for,
    /// and known at once (one removed stays "known" until the next reload: its lookups find
    /// nothing, within the miss budget's spirit).
    pub fn apply(&self, change: &Change) {
        let Change::Tenant { id, domains } = change else {
            return;
        };
        self.by_id.invalidate(id);
        for domain in domains {
            self.by_domain.invalidate(domain);
        }
        self.add_known(*id, domains.iter().map(Domain::as_str));
    }

    /// After a gap in what this instance heard: nothing cached can be trusted.
    pub fn forget_everything(&self) {
        self.by_domain.forget_all();
        self.by_id.forget_all();
    }
}
