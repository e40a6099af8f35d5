//! The connection pool: deadpool over tokio-postgres, with a statement cache per connection.
//!
//! deadpool-postgres has a statement cache of its own, but it can only be asked to *prepare*
//! (which, on a miss, sends a Parse at once). A tenant-bound transaction needs to know whether a
//! statement is cached *before* it decides what to pipeline behind `BEGIN`, so each pooled
//! connection here carries its own map from SQL text to prepared statement.
//!
//! # Tenant groups
//! PostgreSQL keeps, in each backend process, a cache of every relation that backend has
//! touched (relcache, catcache) and loads an entry from the catalogs the first time. With one
//! pool shared by all tenants, every connection ends up touching every tenant's tables: at
//! 10,000 tenants that is 70,000 relations per backend, loaded over and over while the caches
//! warm and kept in memory once they have. pgbench on 10,000 tenants (`docs/scaling.md`):
//! random tenant per transaction, 2,500 orders/s; each tenant always on the same connection,
//! 5,300 (10 tenants: 5,700). So tenant transactions take a connection from their tenant's
//! *group* ([`PgSettings::tenant_group_size`] connections, per worker thread): each backend
//! only ever sees the tenants of its group. Control-plane work has a small pool of its own.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::thread::ThreadId;
use std::time::Duration;

use anyhow::Context as _;
use chameleon_core::ports::BackendUnavailable;
use chameleon_core::tenant::TenantId;
use deadpool::Runtime;

use crate::sqlstate::AtSeam as _;
use deadpool::managed::{self, Metrics, RecycleResult};
use tokio_postgres::Statement;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to reach PostgreSQL.
#[derive(Clone)]
pub struct PgSettings {
    /// A libpq-style URL or key/value string, e.g. `postgres://postgres@127.0.0.1:5432/chameleon`.
    pub url: String,
    /// Connections kept at most.
    pub max_connections: usize,
    /// How long a request may wait for a free connection before it fails.
    pub acquire_timeout: Duration,
    /// `Some(threads)`: split the connections into one pool per thread that uses them, each of
    /// `max_connections / threads` (rounded up). See [`PgPool`].
    pub per_thread: Option<usize>,
    /// A role every connection switches to when it is opened (`SET ROLE`): the owner role, for
    /// fleet migrations run by an installing login.
    pub session_role: Option<String>,
    /// Server-side limits every connection sets when it is opened.
    pub limits: SessionLimits,
    /// Connections per tenant group (per pool, so per thread with [`PgSettings::per_thread`]);
    /// 0 for no groups. With groups, a pool of `n` connections becomes `n / size` groups of
    /// `size`, each tenant always served by its own group, plus `size` connections for the
    /// control plane. See the module documentation.
    pub tenant_group_size: usize,
}

/// How long the server lets one of the service's statements run, wait for a lock, or sit idle
/// in a transaction before it gives up (and the request gets 503): a stuck lock or a runaway
/// query costs one request, not a worker. `None` leaves the server's own setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionLimits {
    pub statement_timeout: Option<Duration>,
    pub lock_timeout: Option<Duration>,
    pub idle_in_transaction_timeout: Option<Duration>,
}

impl SessionLimits {
    /// The `SET` statements, one batch.
    fn statements(&self) -> String {
        let mut sql = String::new();
        for (name, value) in [
            ("statement_timeout", self.statement_timeout),
            ("lock_timeout", self.lock_timeout),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_timeout,
            ),
        ] {
            if let Some(value) = value {
                sql.push_str(&format!("SET {name} = {}; ", value.as_millis()));
            }
        }
        sql
    }
}

impl fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PgSettings")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("per_thread", &self.per_thread)
            .field("session_role", &self.session_role)
            .field("limits", &self.limits)
            .field("tenant_group_size", &self.tenant_group_size)
            .finish()
    }
}

impl PgSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            per_thread: None,
            session_role: None,
            limits: SessionLimits::default(),
            tenant_group_size: 0,
        }
    }
}

/// A pooled connection: the client and the statements prepared on it.
pub struct PgConn {
    client: deadpool_postgres::ClientWrapper,
    statements: HashMap<&'static str, Statement>,
    /// Connected to a Citus coordinator (see [`CITUS_SESSION`]).
    citus: bool,
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConn")
            .field("statements", &self.statements.len())
            .finish_non_exhaustive()
    }
}

impl PgConn {
    pub fn client(&self) -> &tokio_postgres::Client {
        &self.client
    }

    pub(crate) fn client_mut(&mut self) -> &mut tokio_postgres::Client {
        &mut self.client
    }

    /// Whether this connection is to a Citus coordinator.
    pub(crate) fn on_citus(&self) -> bool {
        self.citus
    }

    pub(crate) fn cached(&self, sql: &'static str) -> Option<Statement> {
        self.statements.get(sql).cloned()
    }

    pub(crate) fn remember(&mut self, sql: &'static str, statement: Statement) {
        self.statements.insert(sql, statement);
    }

    /// Forgets every statement prepared on this connection (after the server dropped a plan).
    pub(crate) fn forget_statements(&mut self) {
        self.statements.clear();
    }

    /// Prepares `sql` once per connection. Only for statements whose meaning does not depend on
    /// `search_path` (control-plane queries naming `public.` explicitly); tenant statements go
    /// through [`TenantTx`].
    pub async fn prepared(&mut self, sql: &'static str) -> anyhow::Result<Statement> {
        if let Some(statement) = self.cached(sql) {
            return Ok(statement);
        }
        let statement = self.client.prepare(sql).await.at_seam()?;
        self.remember(sql, statement.clone());
        Ok(statement)
    }
}

/// Creates and recycles [`PgConn`]s, delegating the connection work to deadpool-postgres.
pub struct ConnManager {
    inner: deadpool_postgres::Manager,
    /// What every new connection runs first: `SET ROLE`, the session limits, and the
    /// membership warm-up below, in one round trip.
    on_connect: String,
}

impl fmt::Debug for ConnManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnManager").finish_non_exhaustive()
    }
}

impl managed::Manager for ConnManager {
    type Type = PgConn;
    type Error = tokio_postgres::Error;

    async fn create(&self) -> Result<PgConn, tokio_postgres::Error> {
        let client = managed::Manager::create(&self.inner).await?;
        // A non-superuser may only SET ROLE to roles it is a member of, and PostgreSQL works out
        // the whole membership list of the session user the first time it checks (then caches
        // it, per backend). PostgreSQL before 17 does that in time quadratic in the number of
        // memberships (measured in docs/database-roles.md). Doing it here (the `pg_has_role` near
        // the end of `on_connect`) keeps it out of the first tenant transaction on this
        // connection (and, with the per-worker warm-up, out of every request).
        let answers = client.simple_query(&self.on_connect).await?;
        // The last statement of `on_connect` asks whether Citus is there.
        let citus = answers
            .iter()
            .rev()
            .find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(|v| v == "t"),
                _ => None,
            })
            .unwrap_or(false);
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            citus,
        })
    }

    async fn recycle(
        &self,
        conn: &mut PgConn,
        metrics: &Metrics,
    ) -> RecycleResult<tokio_postgres::Error> {
        // `RecyclingMethod::Fast`: only checks the socket is open. A connection never returns to
        // the pool inside a transaction (see `TenantTx`'s `Drop`), so there is nothing to reset.
        managed::Manager::recycle(&self.inner, &mut conn.client, metrics).await
    }

    fn detach(&self, conn: &mut PgConn) {
        managed::Manager::detach(&self.inner, &mut conn.client);
    }
}

/// A pooled connection checked out of [`PgPool`].
pub type PooledConn = managed::Object<ConnManager>;

/// The pool every adapter shares. Cloning is cheap.
///
/// With [`PgSettings::per_thread`], each thread that asks for a connection gets a pool of its
/// own. tokio-postgres drives a connection's socket from a task on the runtime that opened it; an
/// actix worker is a thread with its own runtime, so a connection shared between workers turns
/// every round trip into a cross-thread wake-up (an eventfd write and a context switch on each
/// side; `perf` showed them on top of the service's profile). Per-thread pools keep each
/// connection on the worker that uses it (measured with `make bench`: docs/benchmarks.md).
/// Without the setting (tests, the command-line tools) there is one pool of exactly
/// `max_connections`.
#[derive(Clone)]
pub struct PgPool {
    inner: Arc<Pools>,
}

struct Pools {
    manager_config: tokio_postgres::Config,
    /// Used when `sslmode` asks for TLS.
    tls: MakeRustlsConnect,
    /// Connections per pool (per thread, or in all), when there are no groups.
    per_pool: usize,
    /// Tenant groups per thread (0: none, one pool for everything).
    groups: usize,
    /// Connections per group, and of the control-plane pool, when there are groups.
    group_size: usize,
    acquire_timeout: Duration,
    per_thread: bool,
    on_connect: String,
    /// Run at the start of every tenant transaction (see [`PgPool::tx_prelude`]).
    tx_prelude: String,
    pools: RwLock<HashMap<PoolKey, managed::Pool<ConnManager>>>,
}

/// On a Citus coordinator (elsewhere this does nothing):
/// - a transaction's `SET LOCAL`s go along to the connections Citus opens to the workers
///   (`citus.propagate_set_commands`); without it the session's `lock_timeout` bounds lock
///   waits on the coordinator only, and a row lock held on a worker is waited for without end;
/// - no worker connection is kept once its transaction ends
///   (`citus.max_cached_conns_per_worker = 0`). Citus opens them as the tenant's role and keeps
///   one per role: at 1,000 tenants the service's 21 backends held 294 idle connections on each
///   worker, the workers ran out of slots and 77 % of orders failed (docs/scaling.md). Without
///   the cache a worker holds at most one connection per service connection.
const CITUS_SESSION: &str = "DO $$ BEGIN IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN \
     PERFORM set_config('citus.propagate_set_commands', 'local', false); \
     PERFORM set_config('citus.max_cached_conns_per_worker', '0', false); END IF; END $$; ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PoolKey {
    /// `None`: the pools are not per thread.
    thread: Option<ThreadId>,
    lane: Lane,
}

/// What a pool serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lane {
    /// Everything (no tenant groups).
    All,
    /// Control-plane work, when there are tenant groups.
    Control,
    /// One tenant group's transactions.
    Group(usize),
}

impl fmt::Debug for PgPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgPool")
            .field("per_pool", &self.inner.per_pool)
            .field("per_thread", &self.inner.per_thread)
            .finish_non_exhaustive()
    }
}

impl Pools {
    fn build(&self, lane: Lane) -> anyhow::Result<managed::Pool<ConnManager>> {
        let inner = deadpool_postgres::Manager::from_config(
            self.manager_config.clone(),
            self.tls.clone(),
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let size = match lane {
            Lane::All => self.per_pool,
            Lane::Control | Lane::Group(_) => self.group_size,
        };
        managed::Pool::builder(ConnManager {
            inner,
            on_connect: self.on_connect.clone(),
        })
        .max_size(size)
        .wait_timeout(Some(self.acquire_timeout))
        .create_timeout(Some(self.acquire_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .context("building the connection pool")
    }

    fn control_lane(&self) -> Lane {
        if self.groups == 0 {
            Lane::All
        } else {
            Lane::Control
        }
    }

    fn tenant_lane(&self, tenant: TenantId) -> Lane {
        if self.groups == 0 {
            return Lane::All;
        }
        // Tenant ids are random: their low bits spread tenants evenly over the groups.
        let bits = tenant.as_uuid().as_u64_pair().1;
        Lane::Group(usize::try_from(bits % self.groups as u64).unwrap_or(0))
    }

    /// Every lane a thread has.
    fn lanes(&self) -> Vec<Lane> {
        if self.groups == 0 {
            return vec![Lane::All];
        }
        let mut lanes = vec![Lane::Control];
        lanes.extend((0..self.groups).map(Lane::Group));
        lanes
    }

    /// The calling thread's pool for `lane` (or the only one).
    fn current(&self, lane: Lane) -> anyhow::Result<managed::Pool<ConnManager>> {
        let key = PoolKey {
            thread: self.per_thread.then(|| std::thread::current().id()),
            lane,
        };
        if let Some(pool) = self
            .pools
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(pool.clone());
        }
        let mut pools = self.pools.write().unwrap_or_else(|p| p.into_inner());
        if let Some(pool) = pools.get(&key) {
            return Ok(pool.clone());
        }
        let pool = self.build(lane)?;
        pools.insert(key, pool.clone());
        Ok(pool)
    }
}

/// The state of a [`PgPool`]'s connections, over all its per-thread pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections allowed.
    pub max_size: usize,
    /// Connections open.
    pub size: usize,
    /// Connections checked out.
    pub in_use: usize,
    /// Checkouts waiting for a connection now.
    pub waiting: usize,
}

impl PgPool {
    /// Builds the pool. No connection is opened until one is needed.
    pub fn new(settings: &PgSettings) -> anyhow::Result<Self> {
        // `sslmode` and `sslrootcert` are ours to apply (see `tls`): tokio-postgres knows only
        // some of the modes, and checks no certificate itself.
        let (url, tls_settings) =
            crate::tls::take_tls_settings(&settings.url).context("DATABASE_URL's TLS settings")?;
        let mut manager_config: tokio_postgres::Config = url
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
        manager_config.ssl_mode(tls_settings.mode.wire());
        let tls = crate::tls::connector(&tls_settings).context("DATABASE_URL's sslmode")?;
        // A server that vanished without closing the connection (a host gone, a network cut)
        // is noticed in about a minute instead of the kernel's two hours. (TCP only.)
        manager_config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3);
        let set_role = settings
            .session_role
            .as_deref()
            .map(|role| format!("SET ROLE \"{}\"; ", role.replace('"', "\"\"")))
            .unwrap_or_default();
        let on_connect = format!(
            "{set_role}{}{CITUS_SESSION}SELECT pg_has_role(current_user, 'pg_database_owner', 'MEMBER'); \
             SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')",
            settings.limits.statements()
        );
        let tx_prelude = settings
            .limits
            .lock_timeout
            .map(|t| format!("SET LOCAL lock_timeout = {}; ", t.as_millis()))
            .unwrap_or_default();
        let threads = settings.per_thread.unwrap_or(1).max(1);
        let per_pool = settings.max_connections.div_ceil(threads).max(1);
        let group_size = settings.tenant_group_size;
        // Groups only where there is room for two of them: one group would be one pool.
        let groups = if group_size > 0 && per_pool >= 2 * group_size {
            per_pool / group_size
        } else {
            0
        };
        let pools = Pools {
            manager_config,
            tls,
            per_pool,
            groups,
            group_size,
            acquire_timeout: settings.acquire_timeout,
            per_thread: settings.per_thread.is_some(),
            on_connect,
            tx_prelude,
            pools: RwLock::new(HashMap::new()),
        };
        // Fail at start-up, not at the first request, if the settings cannot make a pool.
        pools.build(pools.control_lane())?;
        Ok(Self {
            inner: Arc::new(pools),
        })
    }

    /// What a tenant transaction on a Citus coordinator runs right after `BEGIN`, in the same
    /// round trip: the lock timeout again, as `SET LOCAL`, which Citus passes on to the workers
    /// (see [`CITUS_SESSION`]). On PostgreSQL the session's own setting does it.
    pub fn tx_prelude(&self) -> &str {
        &self.inner.tx_prelude
    }

    /// How the pool connects (URL, keepalives): for a connection of its own outside the pool,
    /// such as the [`crate::Listener`]'s.
    pub fn connect_config(&self) -> tokio_postgres::Config {
        self.inner.manager_config.clone()
    }

    /// The TLS connector the pool connects with (as `sslmode` asks), for the same connections.
    pub fn tls(&self) -> MakeRustlsConnect {
        self.inner.tls.clone()
    }

    /// A connection for control-plane work (the `public` schema, DDL). Tenant data is reached
    /// only through [`TenantTx::begin`](crate::TenantTx::begin).
    pub async fn get(&self) -> anyhow::Result<PooledConn> {
        Self::checkout(self.inner.current(self.inner.control_lane())?).await
    }

    /// A connection for a transaction of `tenant`'s: from the tenant's group, when the pool has
    /// groups (see [`PgSettings::tenant_group_size`]).
    pub(crate) async fn get_for(&self, tenant: TenantId) -> anyhow::Result<PooledConn> {
        Self::checkout(self.inner.current(self.inner.tenant_lane(tenant))?).await
    }

    async fn checkout(pool: managed::Pool<ConnManager>) -> anyhow::Result<PooledConn> {
        let started = std::time::Instant::now();
        let conn = pool
            .get()
            .await
            .map_err(|e| BackendUnavailable(Box::new(e)).into());
        metrics::histogram!("chameleon_db_pool_wait_seconds")
            .record(started.elapsed().as_secs_f64());
        conn
    }

    /// Connections of every per-thread pool, added up: for the metrics.
    pub fn stats(&self) -> PoolStats {
        let pools = self.inner.pools.read().unwrap_or_else(|p| p.into_inner());
        pools
            .values()
            .map(|pool| pool.status())
            .fold(PoolStats::default(), |sum, status| PoolStats {
                max_size: sum.max_size + status.max_size,
                size: sum.size + status.size,
                in_use: sum.in_use + status.size.saturating_sub(status.available),
                waiting: sum.waiting + status.waiting,
            })
    }

    /// Whether the database answers now: a pooled connection and a trivial query (readiness).
    pub async fn ping(&self) -> anyhow::Result<()> {
        let conn = self.get().await?;
        conn.client().simple_query("SELECT 1").await.at_seam()?;
        Ok(())
    }

    /// What this pool's login may do beyond serving, each as a sentence; empty for the
    /// least-privileged serving role `chameleon migrate` makes (docs/database-roles.md). A
    /// login that is a superuser, may create roles or databases, bypasses row security, or
    /// inherits a tenant role's rights would make every tenant's data one mistake away.
    pub async fn excess_privileges(&self) -> anyhow::Result<Vec<String>> {
        let conn = self.get().await?;
        let row = conn
            .client()
            .query_one(
                "SELECT r.rolname::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb,                         r.rolbypassrls,                         r.rolinherit AND EXISTS (                             SELECT FROM pg_catalog.pg_auth_members m                             JOIN pg_catalog.pg_roles t ON t.oid = m.roleid                             WHERE m.member = r.oid                               AND t.rolname IN (SELECT schema_name FROM public.tenants))                  FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                &[],
            )
            .await
            .at_seam()?;
        let role: String = row.get(0);
        let said = [
            (1, "is a superuser"),
            (2, "may create roles (CREATEROLE)"),
            (3, "may create databases (CREATEDB)"),
            (4, "bypasses row-level security (BYPASSRLS)"),
            (
                5,
                "inherits the rights of tenant roles it is a member of (INHERIT)",
            ),
        ];
        Ok(said
            .into_iter()
            .filter(|(column, _)| row.get::<_, bool>(*column))
            .map(|(_, what)| format!("{role} {what}"))
            .collect())
    }

    /// Opens every connection of the calling thread's pools, so none is opened while serving.
    pub async fn warm_up(&self) -> anyhow::Result<()> {
        let mut held = Vec::new();
        for lane in self.inner.lanes() {
            let pool = self.inner.current(lane)?;
            for _ in 0..pool.status().max_size {
                held.push(
                    pool.get()
                        .await
                        .map_err(|e| anyhow::Error::new(BackendUnavailable(Box::new(e))))?,
                );
            }
        }
        Ok(())
    }

    /// Closes every idle connection and refuses new checkouts, in every per-thread pool.
    pub fn close(&self) {
        // Closed pools stay in the map, so later checkouts fail instead of reopening one.
        let pools = self.inner.pools.read().unwrap_or_else(|p| p.into_inner());
        for pool in pools.values() {
            pool.close();
        }
    }
}
