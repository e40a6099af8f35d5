//! Many instances, one truth: cache invalidations shared through PostgreSQL's `LISTEN`/`NOTIFY`.
//!
//! Every write that changes what a cache holds publishes a [`Change`] on [`CHANNEL`] *in the
//! transaction that makes the change*, so it is delivered exactly when the change commits and
//! never for a change rolled back:
//! - a tenant's row (created, renamed, re-themed, a key rotated, its domains or status changed,
//!   removed): a trigger on `public.tenants` (`migrations/public/V3__cache_invalidation.sql`),
//!   so even a manual `UPDATE` of the table reaches every instance;
//! - a tenant's menu: the menu repository adds `pg_notify` to the message that commits (a
//!   trigger in the tenant's schema would fire on a Citus worker, where nobody listens).
//!
//! Every instance runs one [`Listener`] on a connection of its own, outside the pool. It applies
//! each change to the caches it was given. While it is not listening (starting, or reconnecting
//! with backoff after the connection broke), caches keep entries only for their short TTL; each
//! time it starts listening it drops everything cached before, which may have missed a change.
//! Once listening, entries live for the long TTL: only a manual SQL edit of a tenant's menu goes
//! unseen, and then only that long.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chameleon_core::rules::numbers::DOMAINS_PER_TENANT;
use chameleon_core::tenant::{Domain, TenantId};
use futures_util::StreamExt as _;
use futures_util::stream::poll_fn;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

/// The channel every instance listens on.
pub const CHANNEL: &str = "chameleon_cache";

/// Something cached that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A tenant's menu.
    Menu(TenantId),
    /// A tenant's row: everything the directory holds about it, under every domain it had or has.
    Tenant { id: TenantId, domains: Vec<Domain> },
}

/// Domains one tenant change may name: those it had and those it has, each at most
/// [`DOMAINS_PER_TENANT`]. A payload naming more is not one of ours.
const MAX_DOMAINS_PER_CHANGE: usize = 2 * DOMAINS_PER_TENANT;

impl Change {
    /// The notification's payload: `menu <id>` or `tenant <id> <domain>...`. Ids and domains
    /// (`[a-z0-9.-]`, checked where they are stored) never hold a space or a quote.
    pub fn payload(&self) -> String {
        match self {
            Change::Menu(id) => format!("menu {}", id.as_uuid()),
            Change::Tenant { id, domains } => {
                let mut payload = format!("tenant {}", id.as_uuid());
                for domain in domains {
                    payload.push(' ');
                    payload.push_str(domain.as_str());
                }
                payload
            }
        }
    }

    /// Reads a payload; `None` for anything else: a newer instance's kind of change, someone
    /// else's `NOTIFY` on the channel, a domain that is not one in its stored form, more domains
    /// than a change can name. Anyone who can connect may notify on the channel, so nothing of a
    /// payload is believed before it parses: at worst, nothing is invalidated by it, and it can
    /// never add a name to the known set that could not be a tenant's.
    pub fn parse(payload: &str) -> Option<Change> {
        let mut words = payload.split(' ');
        let kind = words.next()?;
        let id = TenantId::from_uuid(Uuid::parse_str(words.next()?).ok()?);
        match kind {
            "menu" => words.next().is_none().then_some(Change::Menu(id)),
            "tenant" => {
                let mut domains = Vec::new();
                for word in words.filter(|d| !d.is_empty()) {
                    let domain = Domain::parse(word).ok()?;
                    if domain.as_str() != word || domains.len() == MAX_DOMAINS_PER_CHANGE {
                        return None;
                    }
                    domains.push(domain);
                }
                Some(Change::Tenant { id, domains })
            }
            _ => None,
        }
    }

    /// `SELECT pg_notify(...)` for this change, as SQL text: for a simple-query message that
    /// also commits. Safe to build as text because [`Change::payload`] holds no quote (doubled
    /// anyway, as a second line of defence).
    pub(crate) fn notify_sql(&self) -> String {
        format!(
            "SELECT pg_notify('{CHANNEL}', '{}')",
            self.payload().replace('\'', "''")
        )
    }
}

/// Whether this instance is hearing every change, shared between the listener and the caches:
/// they keep entries for the long TTL only while it is.
#[derive(Debug, Default)]
pub struct SyncState {
    listening: AtomicBool,
    /// Times the listener started listening (the first time included).
    connects: AtomicU64,
    /// Changes applied.
    applied: AtomicU64,
    /// Payloads dropped because they did not parse.
    dropped: AtomicU64,
}

impl SyncState {
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// `long` while listening, `short` otherwise, either shortened by up to a tenth at random so
    /// that entries filled together do not all expire together.
    pub fn ttl(&self, long: Duration, short: Duration) -> Duration {
        let ttl = if self.is_listening() { long } else { short };
        jittered(ttl)
    }

    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }

    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// `ttl` less a random part of up to a tenth of it.
pub(crate) fn jittered(ttl: Duration) -> Duration {
    let tenth = ttl / 10;
    let nanos = u64::try_from(tenth.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return ttl;
    }
    // uuid's fast RNG: a userspace CSPRNG already in use for ids; the jitter needs no more.
    let random = (Uuid::new_v4().as_u128() as u64) % nanos;
    ttl - Duration::from_nanos(random)
}

/// A cache the listener keeps in step with the database.
pub trait SharedCache: Send + Sync + 'static {
    /// Forgets what `change` makes stale.
    fn apply(&self, change: &Change);
    /// Forgets everything: it may have missed changes.
    fn forget_everything(&self);
}

/// How the listener reconnects.
#[derive(Debug, Clone, Copy)]
pub struct ListenerSettings {
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for ListenerSettings {
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Listens on [`CHANNEL`] and applies every change to its caches; see the module documentation.
pub struct Listener {
    config: tokio_postgres::Config,
    /// Used when the config's `sslmode` asks for TLS ([`crate::PgPool::tls`]).
    tls: MakeRustlsConnect,
    caches: Vec<Arc<dyn SharedCache>>,
    state: Arc<SyncState>,
    settings: ListenerSettings,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("caches", &self.caches.len())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// A listener connecting as `pool` does ([`crate::PgPool::connect_config`], its TLS).
    pub fn new(pool: &crate::PgPool, state: Arc<SyncState>, settings: ListenerSettings) -> Self {
        Self {
            config: pool.connect_config(),
            tls: pool.tls(),
            caches: Vec::new(),
            state,
            settings,
        }
    }

    pub fn keep(mut self, cache: Arc<dyn SharedCache>) -> Self {
        self.caches.push(cache);
        self
    }

    /// Listens until the task is aborted, reconnecting with exponential backoff (and jitter)
    /// whenever the connection fails.
    pub async fn run(self) {
        let mut backoff = self.settings.first_backoff;
        loop {
            let listened = self.listen().await;
            if self.state.listening.swap(false, Ordering::AcqRel) {
                // It was listening: whatever changes now goes unheard until it listens again.
                backoff = self.settings.first_backoff;
                self.forget_everything();
            }
            match listened {
                Ok(()) => tracing::warn!("the invalidation connection closed; reconnecting"),
                Err(err) => tracing::warn!(
                    error = format!("{err:#}"),
                    retry_in_ms = backoff.as_millis() as u64,
                    "listening for cache invalidations failed; caches keep entries briefly until it reconnects"
                ),
            }
            tokio::time::sleep(backoff + (backoff - jittered(backoff))).await;
            backoff = (backoff * 2).min(self.settings.max_backoff);
        }
    }

    /// One connection's life: connect, `LISTEN`, forget everything, apply changes until the
    /// connection ends.
    async fn listen(&self) -> anyhow::Result<()> {
        let (client, mut connection) = self.config.connect(self.tls.clone()).await?;
        let (tx, mut rx) = mpsc::unbounded_channel();
        // The connection's messages are read here; notifications go to the loop below.
        let driver = tokio::spawn(async move {
            let mut messages = poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(notification)) => {
                        if tx.send(Ok(notification)).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let _ = tx.send(Err(err));
                        return;
                    }
                }
            }
        });
        let listening = async {
            client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
            // From here on every change is heard; anything cached before may have missed one.
            self.forget_everything();
            self.state.listening.store(true, Ordering::Release);
            self.state.connects.fetch_add(1, Ordering::Relaxed);
            tracing::info!("listening for cache invalidations");
            while let Some(message) = rx.recv().await {
                let notification = message?;
                match Change::parse(notification.payload()) {
                    Some(change) => self.apply(&change),
                    None => {
                        self.state.dropped.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!("chameleon_cache_invalidations_dropped_total")
                            .increment(1);
                        let payload = notification.payload();
                        tracing::warn!(
                            payload = payload.chars().take(120).collect::<String>(),
                            bytes = payload.len(),
                            "dropping an invalidation that does not parse"
                        );
                    }
                }
            }
            anyhow::Ok(())
        };
        let result = listening.await;
        driver.abort();
        result
    }

    fn apply(&self, change: &Change) {
        for cache in &self.caches {
            cache.apply(change);
        }
        self.state.applied.fetch_add(1, Ordering::Relaxed);
    }

    fn forget_everything(&self) {
        for cache in &self.caches {
            cache.forget_everything();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> TenantId {
        TenantId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn changes_round_trip_through_their_payload() {
        for change in [
            Change::Menu(id(7)),
            Change::Tenant {
                id: id(8),
                domains: vec![
                    Domain::parse("a.example").unwrap(),
                    Domain::parse("b.example").unwrap(),
                ],
            },
            Change::Tenant {
                id: id(9),
                domains: vec![],
            },
        ] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
    }

    #[test]
    fn unknown_or_malformed_payloads_are_ignored() {
        for payload in [
            "",
            "menu",
            "menu not-a-uuid",
            "menu 00000000-0000-0000-0000-000000000007 extra",
            "theme 00000000-0000-0000-0000-000000000007",
            // Not domains in their stored form: never known, never invalidated.
            "tenant 00000000-0000-0000-0000-000000000007 UPPER.example",
            "tenant 00000000-0000-0000-0000-000000000007 a.example:8080",
            "tenant 00000000-0000-0000-0000-000000000007 bad..example",
            "tenant 00000000-0000-0000-0000-000000000007 ../../etc",
        ] {
            assert_eq!(Change::parse(payload), None, "{payload:?}");
        }
    }

    #[test]
    fn a_change_names_a_bounded_number_of_domains() {
        let many = |n: usize| {
            let mut payload = "tenant 00000000-0000-0000-0000-000000000007".to_owned();
            for i in 0..n {
                payload.push_str(&format!(" d{i}.example"));
            }
            payload
        };
        assert!(Change::parse(&many(MAX_DOMAINS_PER_CHANGE)).is_some());
        assert_eq!(Change::parse(&many(MAX_DOMAINS_PER_CHANGE + 1)), None);
    }

    #[test]
    fn the_notify_statement_quotes_its_payload() {
        let sql = Change::Menu(id(1)).notify_sql();
        assert_eq!(
            sql,
            "SELECT pg_notify('chameleon_cache', 'menu 00000000-0000-0000-0000-000000000001')"
        );
    }

    #[test]
    fn ttls_are_long_only_while_listening_and_never_longer_than_asked() {
        let state = SyncState::default();
        let (long, short) = (Duration::from_secs(600), Duration::from_secs(30));
        let unsynced = state.ttl(long, short);
        assert!(unsynced <= short && unsynced >= short - short / 10);
        state.listening.store(true, Ordering::Release);
        let synced = state.ttl(long, short);
        assert!(synced <= long && synced >= long - long / 10);
    }
}
