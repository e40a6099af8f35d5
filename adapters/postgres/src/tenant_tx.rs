//! The tenant-bound transaction: the only way this crate reaches a tenant's tables.
//!
//! A [`TenantTx`] owns a pooled connection for one transaction that starts with
//!
//! ```sql
//! BEGIN; SET LOCAL ROLE tenant_<hex>; SET LOCAL search_path TO tenant_<hex>
//! ```
//!
//! sent as one simple-query message. `LOCAL` makes both settings end with the transaction, so a
//! connection handed to the next request carries nothing of this tenant. Under the tenant's role
//! every other tenant's schema is out of reach: a bug that names the wrong schema gets
//! "permission denied" (or "relation does not exist", since schemas a role may not use are
//! skipped on the search path), never another tenant's rows.
//!
//! # Round trips
//! Nothing is sent when the transaction is created. The `BEGIN` message is pipelined with the
//! first statement (and, for [`TenantTx::query_and_commit`], with the `COMMIT` too), so a cached
//! read is one round trip and placing an order two. This relies on tokio-postgres queueing a
//! request when its future is first polled, and on `try_join` polling its futures in argument
//! order: messages reach the server in the order written below. A statement is only pipelined
//! once it is prepared, so a `COMMIT` can never overtake it.
//!
//! # Statements
//! Tenant statements use unqualified table names and are prepared once per connection, inside a
//! tenant transaction (the names must resolve). PostgreSQL re-resolves a prepared statement's
//! names whenever the `search_path` differs from the one it was last planned under, so one
//! statement serves every tenant on that connection and always reads the current tenant's table.

use chameleon_core::tenant::Tenant;
use futures_util::FutureExt as _;
use futures_util::future::{try_join, try_join3};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, Row, Statement};

use crate::pool::{PgPool, PooledConn};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    NotStarted,
    /// `BEGIN` sent (maybe not yet answered): the connection must not go back to the pool as is.
    Open,
    /// Committed or rolled back.
    Finished,
}

/// One transaction on one connection, bound to one tenant's role and schema.
#[derive(Debug)]
pub struct TenantTx {
    conn: PooledConn,
    begin: String,
    state: State,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl TenantTx {
    /// A transaction bound to `tenant`: its role, its schema, nothing else. Nothing is sent
    /// until the first statement.
    pub async fn begin(pool: &PgPool, tenant: &Tenant) -> anyhow::Result<TenantTx> {
        let conn = pool.get().await?;
        // A SchemaName is `tenant_` and 32 hex digits by construction; the role has the same
        // name. Quoting is belt and braces.
        let begin = format!(
            "BEGIN; SET LOCAL ROLE \"{schema}\"; SET LOCAL search_path TO \"{schema}\"",
            schema = tenant.schema.as_str()
        );
        Ok(Self {
            conn,
            begin,
            state: State::NotStarted,
        })
    }

    /// The `BEGIN` batch if it has not been sent yet; marks the transaction open either way,
    /// before anything is sent, so a cancelled future still leads to a rollback.
    fn take_begin(&mut self) -> Option<&str> {
        let pending = self.state == State::NotStarted;
        self.state = State::Open;
        pending.then_some(self.begin.as_str())
    }

    /// The prepared statement for `sql` on this connection, preparing it (inside this tenant's
    /// transaction, pipelined with `BEGIN` if needed) on first use.
    async fn statement(&mut self, sql: &'static str) -> Result<Statement, Error> {
        if let Some(statement) = self.conn.cached(sql) {
            return Ok(statement);
        }
        let begin = self.take_begin().map(str::to_owned);
        let client = self.conn.client();
        let (_, statement) = try_join(
            begin_if_pending(client, begin.as_deref()),
            client.prepare(sql),
        )
        .await?;
        self.conn.remember(sql, statement.clone());
        Ok(statement)
    }

    /// Runs one statement of the transaction.
    pub async fn query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql).await?;
        let begin = self.take_begin().map(str::to_owned);
        let client = self.conn.client();
        let (_, rows) = try_join(
            begin_if_pending(client, begin.as_deref()),
            client.query(&statement, params),
        )
        .await?;
        Ok(rows)
    }

    /// Runs the last statement of the transaction and commits, in a single round trip when the
    /// statement is already prepared on this connection.
    pub async fn query_and_commit(
        mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql).await?;
        let begin = self.take_begin().map(str::to_owned);
        let client = self.conn.client();
        let (_, rows, _) = try_join3(
            begin_if_pending(client, begin.as_deref()),
            client.query(&statement, params),
            client.batch_execute("COMMIT"),
        )
        .await?;
        self.state = State::Finished;
        Ok(rows)
    }

    /// Rolls back and waits for the server to confirm.
    pub async fn rollback(mut self) -> Result<(), Error> {
        if self.state == State::Open {
            self.conn.client().batch_execute("ROLLBACK").await?;
        }
        self.state = State::Finished;
        Ok(())
    }
}

/// Sends `begin` when first polled, if the transaction has not started yet. Joined (in argument
/// order) with the statements that follow, so they ride in the same round trip.
async fn begin_if_pending(client: &Client, begin: Option<&str>) -> Result<(), Error> {
    match begin {
        Some(begin) => client.batch_execute(begin).await,
        None => Ok(()),
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        if self.state == State::Open {
            // Dropped mid-transaction (an error, a panic, a cancelled request): queue a ROLLBACK
            // before the connection returns to the pool. Polling once sends it; the reply is
            // discarded by the connection task. Any later user's BEGIN is queued behind it, so
            // the next transaction on this connection starts clean.
            let _ = self.conn.client().batch_execute("ROLLBACK").now_or_never();
        }
    }
}
