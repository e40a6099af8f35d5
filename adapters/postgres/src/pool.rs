//! The connection pool: deadpool over tokio-postgres, with a statement cache per connection.
//!
//! deadpool-postgres has a statement cache of its own, but it can only be asked to *prepare*
//! (which, on a miss, sends a Parse at once). A tenant-bound transaction needs to know whether a
//! statement is cached *before* it decides what to pipeline behind `BEGIN`, so each pooled
//! connection here carries its own map from SQL text to prepared statement.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use anyhow::Context as _;
use chameleon_core::ports::BackendUnavailable;
use chameleon_core::tenant::Tenant;
use deadpool::Runtime;
use deadpool::managed::{self, Metrics, RecycleResult};
use tokio_postgres::{NoTls, Statement};

use crate::tenant_tx::TenantTx;

/// How to reach PostgreSQL.
#[derive(Clone)]
pub struct PgSettings {
    /// A libpq-style URL or key/value string, e.g. `postgres://postgres@127.0.0.1:5432/chameleon`.
    pub url: String,
    /// Connections kept at most.
    pub max_connections: usize,
    /// How long a request may wait for a free connection before it fails.
    pub acquire_timeout: Duration,
}

impl fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("PgSettings")
            .field("url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl PgSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A pooled connection: the client and the statements prepared on it.
pub struct PgConn {
    client: deadpool_postgres::ClientWrapper,
    statements: HashMap<&'static str, Statement>,
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

    pub fn client_mut(&mut self) -> &mut tokio_postgres::Client {
        &mut self.client
    }

    pub(crate) fn cached(&self, sql: &'static str) -> Option<Statement> {
        self.statements.get(sql).cloned()
    }

    pub(crate) fn remember(&mut self, sql: &'static str, statement: Statement) {
        self.statements.insert(sql, statement);
    }

    /// Prepares `sql` once per connection. Only for statements whose meaning does not depend on
    /// `search_path` (control-plane queries naming `public.` explicitly); tenant statements go
    /// through [`TenantTx`].
    pub async fn prepared(
        &mut self,
        sql: &'static str,
    ) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.cached(sql) {
            return Ok(statement);
        }
        let statement = self.client.prepare(sql).await?;
        self.remember(sql, statement.clone());
        Ok(statement)
    }
}

/// Creates and recycles [`PgConn`]s, delegating the connection work to deadpool-postgres.
pub struct ConnManager {
    inner: deadpool_postgres::Manager,
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
        Ok(PgConn {
            client: managed::Manager::create(&self.inner).await?,
            statements: HashMap::new(),
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
#[derive(Clone, Debug)]
pub struct PgPool {
    pool: managed::Pool<ConnManager>,
}

impl PgPool {
    /// Builds the pool. No connection is opened until one is needed.
    pub fn new(settings: &PgSettings) -> anyhow::Result<Self> {
        let config: tokio_postgres::Config = settings
            .url
            .parse()
            .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
        let inner = deadpool_postgres::Manager::from_config(
            config,
            NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = managed::Pool::builder(ConnManager { inner })
            .max_size(settings.max_connections)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .context("building the connection pool")?;
        Ok(Self { pool })
    }

    /// A connection for control-plane work (the `public` schema, DDL). Tenant data is reached
    /// only through [`PgPool::begin_tenant`].
    pub async fn get(&self) -> anyhow::Result<PooledConn> {
        self.pool
            .get()
            .await
            .map_err(|e| BackendUnavailable(Box::new(e)).into())
    }

    /// A transaction bound to `tenant`: its role, its schema, nothing else. See [`TenantTx`].
    pub async fn begin_tenant(&self, tenant: &Tenant) -> anyhow::Result<TenantTx> {
        Ok(TenantTx::new(self.get().await?, &tenant.schema))
    }

    /// Closes every idle connection and refuses new checkouts.
    pub fn close(&self) {
        self.pool.close();
    }

    /// Connections currently open and idle, for readiness and tests.
    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }
}
