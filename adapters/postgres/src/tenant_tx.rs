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
//! When a migration changed a table under a cached plan, the server refuses the statement
//! ("cached plan must not change result type"): the connection forgets its statements, and if
//! that was the transaction's first statement, the transaction starts over at once.
//!
//! # Cancellation
//! A request can be dropped while a statement is on its way (a client gone, a timeout). The
//! connection must not go back to the pool with that statement still running: the next request
//! would wait behind it. A transaction dropped with a statement in flight asks the server to
//! cancel it and keeps the connection out of the pool; one dropped between statements queues a
//! `ROLLBACK` before the connection is reused.
//!
//! Errors come out classified (see [`crate::sqlstate`]): what the database could not serve now
//! is marked so the service answers 503.

use chameleon_core::staff::{Acting, AuditAction, Credential};
use chameleon_core::tenant::Tenant;
use futures_util::FutureExt as _;
use futures_util::future::{try_join, try_join_all, try_join4};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, NoTls, Row, Statement};

use crate::invalidation::Change;
use crate::pool::{PgPool, PooledConn};
use crate::sqlstate::{AtSeam as _, is_stale_plan};

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
    /// Always `Some` until dropped.
    conn: Option<PooledConn>,
    begin: String,
    state: State,
    /// A statement was sent and its answer not yet read.
    in_flight: bool,
    /// Statements answered so far.
    answered: usize,
    /// What commits: `COMMIT`, after the `pg_notify` of a change when there is one.
    commit: String,
    /// The session check sent right after `begin`, when acting with a session.
    gate: Option<String>,
    /// The signed-in member's id, as the session check answered it.
    member: Option<String>,
    /// On whose behalf (see [`Acting`]): checked by `gate`, named by the audit row.
    acting: Option<Acting>,
    /// The audit row [`TenantTx::query_and_commit`] appends with the last statement.
    audit: Option<(AuditAction, Option<String>)>,
}

/// Appends one line to the tenant's audit trail (`$2`: `staff:<id>`, `api_key`, `platform`).
/// The member's id comes from the session check's answer, not from a subquery or an
/// `INSERT ... SELECT`: Citus refuses the first, and deparses the second into invalid SQL for a
/// schema's tables ("AND ( IS NOT NULL)").
pub(crate) const AUDIT_INSERT: &str = "INSERT INTO audit_log (id, actor, action, target, request_id) \
     VALUES ($1, $2, $3, $4, $5)";

/// Starts a transaction and nothing else.
const PING: &str = "SELECT 1";

/// The session check a transaction acting with a session starts with, sent as a message of its
/// own right behind `BEGIN`'s (pipelined: no round trip of its own): the session must exist, be within its
/// lifetime and its idle time, belong to an enabled member whose role is one of `allowed`.
/// A refusal is an error that ends the transaction before anything else of it runs:
/// [`crate::sqlstate`] reads it as [`Refusal`](chameleon_core::ports::Refusal).
///
/// Plain SQL, no function: Citus runs it whole on the tenant's worker (a PL/pgSQL function
/// querying distributed tables from the coordinator broke the transaction's later statements).
/// The refusal is a failing cast whose text names it; the text depends on an aggregate, so the
/// planner cannot fold it into a constant and fail a good session too. `last_seen` moves at
/// most once a minute, so reads stay reads. Its answer's second column is the member's id (for
/// the audit trail). Both values are ours, not a client's: `digest_hex`
/// is 64 hex digits of a SHA-256 computed here, the roles are core's constant names.
fn session_gate(digest_hex: &str, allowed: &[chameleon_core::staff::Role]) -> String {
    let roles: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
    let roles = roles.join(",");
    format!(
        "SELECT CASE WHEN count(*) = 0 THEN ('{NO_SESSION}' || count(*))::int \
                      WHEN bool_and(u.role = ANY ('{{{roles}}}'::text[])) THEN 0 \
                      ELSE ('{FORBIDDEN}' || count(*))::int END, min(u.id::text) \
             FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id \
            WHERE s.digest = '\\x{digest_hex}'::bytea AND s.expires_at > now() \
              AND s.last_seen + s.idle > now() AND NOT u.disabled\
         ; UPDATE staff_sessions SET last_seen = now() \
            WHERE digest = '\\x{digest_hex}'::bytea AND last_seen < now() - interval '1 minute'"
    )
}

/// What the session check's refusals say (see [`session_gate`]).
pub(crate) const NO_SESSION: &str = "chameleon:no_session:";
pub(crate) const FORBIDDEN: &str = "chameleon:forbidden:";

/// A statement's parameters.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl TenantTx {
    /// A transaction bound to `tenant`: its role, its schema, nothing else. Nothing is sent
    /// until the first statement.
    pub async fn begin(pool: &PgPool, tenant: &Tenant) -> anyhow::Result<TenantTx> {
        let conn = pool.get_for(tenant.id).await?;
        // A SchemaName is `tenant_` and 32 hex digits by construction; the role has the same
        // name. Quoting is belt and braces.
        let prelude = if conn.on_citus() {
            pool.tx_prelude()
        } else {
            ""
        };
        let begin = format!(
            "BEGIN; {prelude}SET LOCAL ROLE \"{schema}\"; SET LOCAL search_path TO \"{schema}\"",
            schema = tenant.schema.as_str()
        );
        // A message of its own, pipelined right behind BEGIN's: on Citus, SET LOCAL is passed on
        // to the workers by replaying the message it came in, which must then hold nothing else.
        let gate = match tenant.acting.as_ref().map(|a| (&a.credential, &a.allowed)) {
            Some((Credential::Session(digest), allowed)) => {
                Some(session_gate(&digest.to_hex(), allowed))
            }
            _ => None,
        };
        Ok(Self {
            conn: Some(conn),
            begin,
            state: State::NotStarted,
            in_flight: false,
            answered: 0,
            commit: "COMMIT".to_owned(),
            gate,
            member: None,
            acting: tenant.acting.clone(),
            audit: None,
        })
    }

    /// Makes this a read-only transaction on one snapshot (`REPEATABLE READ`): every statement
    /// sees the data as of the first, for reads that must agree with each other (an export).
    pub fn read_only_snapshot(mut self) -> Self {
        if self.state == State::NotStarted
            && let Some(rest) = self.begin.strip_prefix("BEGIN;")
        {
            self.begin = format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;{rest}");
        }
        self
    }

    /// Runs one statement of the transaction and hands its rows over as they arrive, so a
    /// result of any size takes constant memory. Dropping the [`RowsInFlight`] before its end
    /// leaves the statement in flight: the transaction, when dropped, cancels it and keeps the
    /// connection out of the pool.
    pub async fn rows(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> anyhow::Result<RowsInFlight<'_>> {
        let statement = self.statement(sql).await.at_seam()?;
        let begin = self.take_begin();
        self.in_flight = true;
        let rows = {
            let client = self.conn().client();
            try_join(
                begin_if_pending(client, begin.as_ref()),
                client.query_raw(&statement, params.iter().copied()),
            )
            .await
        };
        let (member, rows) = rows.at_seam()?;
        self.signed_in(member);
        Ok(RowsInFlight {
            tx: self,
            rows: Box::pin(rows),
        })
    }

    /// Publishes `change` ([`crate::invalidation`]) when, and only if, this transaction commits:
    /// the `pg_notify` rides in the message that commits.
    pub fn publish_on_commit(&mut self, change: &Change) {
        self.commit = format!("{}; COMMIT", change.notify_sql());
    }

    /// Appends `action` on `target` to the audit trail with the statement that commits, when
    /// this transaction acts for someone (a manager request); nothing otherwise.
    pub fn audit_on_commit(&mut self, action: AuditAction, target: Option<String>) {
        if self.acting.is_some() {
            self.audit = Some((action, target));
        }
    }

    /// Keeps the member the session check named.
    fn signed_in(&mut self, member: Option<String>) {
        if member.is_some() {
            self.member = member;
        }
    }

    /// The audit row's parameters, when one is due. With a session, the actor is the member
    /// the session check named (so the check must have been answered: see
    /// [`TenantTx::query_and_commit`]); were it not, `staff:?` fails the table's check and the
    /// transaction with it, rather than audit a change to nobody.
    fn audit_row(&self) -> Option<AuditRow> {
        let (action, target) = self.audit.clone()?;
        let acting = self.acting.as_ref()?;
        let actor = match &acting.credential {
            Credential::Session(_) => {
                format!("staff:{}", self.member.as_deref().unwrap_or("?"))
            }
            Credential::ApiKey => "api_key".to_owned(),
            Credential::Platform => "platform".to_owned(),
        };
        Some(AuditRow {
            id: uuid::Uuid::now_v7(),
            actor,
            action: action.as_str(),
            target,
            request_id: acting.request_id.clone(),
        })
    }

    fn conn(&self) -> &PooledConn {
        self.conn
            .as_ref()
            .expect("a live transaction has its connection")
    }

    fn conn_mut(&mut self) -> &mut PooledConn {
        self.conn
            .as_mut()
            .expect("a live transaction has its connection")
    }

    /// The `BEGIN` batch if it has not been sent yet; marks the transaction open either way,
    /// before anything is sent, so a cancelled future still leads to a rollback.
    fn take_begin(&mut self) -> Option<Begin> {
        let pending = self.state == State::NotStarted;
        self.state = State::Open;
        pending.then(|| Begin {
            begin: self.begin.clone(),
            gate: self.gate.clone(),
        })
    }

    /// The prepared statement for `sql` on this connection, preparing it (inside this tenant's
    /// transaction, pipelined with `BEGIN` if needed) on first use.
    async fn statement(&mut self, sql: &'static str) -> Result<Statement, Error> {
        if let Some(statement) = self.conn().cached(sql) {
            return Ok(statement);
        }
        let begin = self.take_begin();
        self.in_flight = true;
        let prepared = {
            let client = self.conn().client();
            try_join(
                begin_if_pending(client, begin.as_ref()),
                client.prepare(sql),
            )
            .await
        };
        self.in_flight = false;
        let (member, statement) = prepared?;
        self.signed_in(member);
        self.conn_mut().remember(sql, statement.clone());
        Ok(statement)
    }

    async fn try_query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql).await?;
        let begin = self.take_begin();
        self.in_flight = true;
        let answered = {
            let client = self.conn().client();
            try_join(
                begin_if_pending(client, begin.as_ref()),
                client.query(&statement, params),
            )
            .await
        };
        self.in_flight = false;
        let (member, rows) = answered?;
        self.signed_in(member);
        self.answered += 1;
        Ok(rows)
    }

    /// After the server refused a cached plan: forget the connection's statements and, when
    /// nothing of this transaction has happened yet, start it over.
    async fn recover_from_stale_plan(&mut self, err: &Error) -> bool {
        if !is_stale_plan(err) {
            return false;
        }
        self.conn_mut().forget_statements();
        if self.answered > 0 {
            return false;
        }
        self.in_flight = true;
        let rolled_back = self.conn().client().batch_execute("ROLLBACK").await;
        self.in_flight = false;
        self.state = State::NotStarted;
        rolled_back.is_ok()
    }

    /// Runs one statement of the transaction.
    pub async fn query(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> anyhow::Result<Vec<Row>> {
        match self.try_query(sql, params).await {
            Err(err) if self.recover_from_stale_plan(&err).await => {
                self.try_query(sql, params).await.at_seam()
            }
            result => result.at_seam(),
        }
    }

    /// Runs `statements` in order, all in one round trip (with `BEGIN`, when this starts the
    /// transaction), and returns their rows in the same order.
    pub async fn query_all(
        &mut self,
        statements: &[(&'static str, Params<'_>)],
    ) -> anyhow::Result<Vec<Vec<Row>>> {
        match self.try_query_all(statements).await {
            Err(err) if self.recover_from_stale_plan(&err).await => {
                self.try_query_all(statements).await.at_seam()
            }
            result => result.at_seam(),
        }
    }

    async fn try_query_all(
        &mut self,
        statements: &[(&'static str, Params<'_>)],
    ) -> Result<Vec<Vec<Row>>, Error> {
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.statement(sql).await?);
        }
        let begin = self.take_begin();
        self.in_flight = true;
        let answered = {
            let client = self.conn().client();
            try_join(
                begin_if_pending(client, begin.as_ref()),
                try_join_all(
                    prepared
                        .iter()
                        .zip(statements)
                        .map(|(statement, (_, params))| client.query(statement, params)),
                ),
            )
            .await
        };
        self.in_flight = false;
        let (member, rows) = answered?;
        self.signed_in(member);
        self.answered += statements.len();
        Ok(rows)
    }

    /// Runs the last statement of the transaction and commits, in a single round trip when the
    /// statement is already prepared on this connection.
    pub async fn query_and_commit(
        mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> anyhow::Result<Vec<Row>> {
        match self.try_query_and_commit(sql, params).await {
            Err(err) if self.recover_from_stale_plan(&err).await => {
                self.try_query_and_commit(sql, params).await.at_seam()
            }
            result => result.at_seam(),
        }
    }

    async fn try_query_and_commit(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        let statement = self.statement(sql).await?;
        if self.audit.is_some() && self.gate.is_some() && self.state == State::NotStarted {
            // The audit line names the member the session check finds: have it answered first
            // (one more round trip, only for a transaction whose one statement is its last).
            self.try_query(PING, &[]).await?;
        }
        let audit = self.audit_row();
        let audit_statement = match &audit {
            Some(_) => Some(self.statement(AUDIT_INSERT).await?),
            None => None,
        };
        let begin = self.take_begin();
        self.in_flight = true;
        let answered = {
            let client = self.conn().client();
            let audited = async {
                match (&audit, &audit_statement) {
                    (Some(row), Some(statement)) => {
                        client.execute(statement, &row.params()).await.map(drop)
                    }
                    _ => Ok(()),
                }
            };
            try_join4(
                begin_if_pending(client, begin.as_ref()),
                client.query(&statement, params),
                audited,
                client.batch_execute(&self.commit),
            )
            .await
        };
        self.in_flight = false;
        let (member, rows, _, _) = answered?;
        self.signed_in(member);
        self.state = State::Finished;
        Ok(rows)
    }

    /// Rolls back and waits for the server to confirm.
    pub async fn rollback(mut self) -> anyhow::Result<()> {
        if self.state == State::Open {
            self.in_flight = true;
            let rolled_back = self.conn().client().batch_execute("ROLLBACK").await;
            self.in_flight = false;
            rolled_back.at_seam()?;
        }
        self.state = State::Finished;
        Ok(())
    }
}

/// An audit line due: the parameters of [`AUDIT_INSERT`].
struct AuditRow {
    id: uuid::Uuid,
    actor: String,
    action: &'static str,
    target: Option<String>,
    request_id: Option<String>,
}

impl AuditRow {
    fn params(&self) -> [&(dyn ToSql + Sync); 5] {
        [
            &self.id,
            &self.actor,
            &self.action,
            &self.target,
            &self.request_id,
        ]
    }
}

/// The rows of a statement still arriving; see [`TenantTx::rows`].
pub struct RowsInFlight<'t> {
    tx: &'t mut TenantTx,
    rows: std::pin::Pin<Box<tokio_postgres::RowStream>>,
}

impl std::fmt::Debug for RowsInFlight<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowsInFlight").finish_non_exhaustive()
    }
}

impl RowsInFlight<'_> {
    /// The next row; `None` once the statement is done (and the transaction free for the next).
    pub async fn next(&mut self) -> Option<anyhow::Result<Row>> {
        use futures_util::StreamExt as _;
        match self.rows.next().await {
            Some(row) => Some(row.at_seam()),
            None => {
                self.tx.in_flight = false;
                self.tx.answered += 1;
                None
            }
        }
    }
}

/// Sends `begin` (and the session check) when first polled, if the transaction has not started
/// yet; answers the member the session check named. Joined (in argument order) with the
/// statements that follow, so they ride in the same round trip.
async fn begin_if_pending(client: &Client, begin: Option<&Begin>) -> Result<Option<String>, Error> {
    match begin {
        Some(Begin {
            begin,
            gate: Some(gate),
        }) => {
            let (_, answer) =
                try_join(client.batch_execute(begin), client.simple_query(gate)).await?;
            // The first row's second column: the signed-in member's id.
            Ok(answer.iter().find_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(1).map(str::to_owned),
                _ => None,
            }))
        }
        Some(Begin { begin, gate: None }) => client.batch_execute(begin).await.map(|()| None),
        None => Ok(None),
    }
}

/// What starts a transaction: the `BEGIN` message and the session check's, if any.
#[derive(Debug, Clone)]
struct Begin {
    begin: String,
    gate: Option<String>,
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.in_flight {
            // Dropped while the server works on a statement: cancel it, and keep this connection
            // out of the pool (closing it is what the server sees last).
            let token = conn.client().cancel_token();
            drop(deadpool::managed::Object::take(conn));
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = token.cancel_query(NoTls).await;
                });
            }
        } else if self.state == State::Open {
            // Dropped mid-transaction between statements (an error, a refusal): queue a ROLLBACK
            // before the connection returns to the pool. Polling once sends it; the reply is
            // discarded by the connection task, and any later BEGIN is queued behind it.
            let _ = conn.client().batch_execute("ROLLBACK").now_or_never();
        }
    }
}
