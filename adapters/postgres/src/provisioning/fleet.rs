//! Fleet migrations as an operator runs them (`chameleon migrate`): what the fleet looks like,
//! which tenants are behind, and one tenant at a time, each in a transaction of its own with a
//! lock timeout, so a tenant whose tables are busy fails alone and the rest go on. Resuming is
//! running it again: only tenants still behind are visited.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use refinery::Migration;
use tokio_postgres::Client;
use uuid::Uuid;

use super::migrations::{public_migrations, tenant_migrations};
use crate::pool::PgPool;
use crate::sqlstate::AtSeam as _;

/// The fleet at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStatus {
    /// Control-plane migrations this build has that the database has not.
    pub pending_control_plane: Vec<(i32, String)>,
    /// Tenants per schema version.
    pub tenants_per_version: BTreeMap<i32, usize>,
    /// The latest tenant migration: this build's, or a later one a newer release stored in the
    /// database (`chameleon_sys.migrate_tenant` applies every stored migration, so the fleet's
    /// head is the database's).
    pub latest: i32,
}

impl FleetStatus {
    pub fn tenants(&self) -> usize {
        self.tenants_per_version.values().sum()
    }

    /// Tenants below [`FleetStatus::latest`].
    pub fn behind(&self) -> usize {
        self.tenants_per_version
            .range(..self.latest)
            .map(|(_, n)| n)
            .sum()
    }

    /// The tenant migrations this build would apply to a tenant at `version`.
    pub fn pending_for(&self, version: i32) -> Vec<(i32, String)> {
        tenant_migrations()
            .iter()
            .filter(|m| m.version() > version)
            .map(|m| (m.version(), m.name().to_owned()))
            .collect()
    }
}

/// A tenant below the latest migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behind {
    pub id: Uuid,
    pub domain: String,
    pub version: i32,
}

/// Reads the fleet's state. Read-only: what `--dry-run` and `migrate status` show.
pub async fn status(pool: &PgPool) -> anyhow::Result<FleetStatus> {
    let conn = pool.get().await?;
    let client = conn.client();
    let applied = applied_control_plane(client).await?;
    let pending_control_plane = public_migrations()
        .iter()
        .filter(|m| !applied.contains(&m.version()))
        .map(|m| (m.version(), m.name().to_owned()))
        .collect();
    let mut tenants_per_version = BTreeMap::new();
    if has_tenants_table(client).await? {
        for row in client
            .query(
                "SELECT schema_version, count(*) FROM public.tenants GROUP BY schema_version",
                &[],
            )
            .await
            .at_seam()
            .context("counting tenants per version")?
        {
            let version: i32 = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            tenants_per_version.insert(version, usize::try_from(count).unwrap_or(usize::MAX));
        }
    }
    // A table that may not exist yet (a dry run before the first install) cannot be named in
    // the same statement that checks for it: PostgreSQL resolves every name before it runs.
    let stored_table = client
        .query_one(
            "SELECT to_regclass('chameleon_sys.tenant_migrations') IS NOT NULL",
            &[],
        )
        .await
        .at_seam()?
        .try_get::<_, bool>(0)?;
    let stored: i32 = if stored_table {
        client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM chameleon_sys.tenant_migrations",
                &[],
            )
            .await
            .at_seam()
            .context("reading the latest stored tenant migration")?
            .try_get(0)?
    } else {
        0
    };
    let known = tenant_migrations()
        .iter()
        .map(Migration::version)
        .max()
        .unwrap_or(0);
    Ok(FleetStatus {
        pending_control_plane,
        tenants_per_version,
        latest: known.max(stored),
    })
}

/// Every tenant below `latest`, in id order.
pub async fn behind(pool: &PgPool, latest: i32) -> anyhow::Result<Vec<Behind>> {
    let conn = pool.get().await?;
    conn.client()
        .query(
            "SELECT id, domain, schema_version FROM public.tenants \
             WHERE schema_version < $1 ORDER BY id",
            &[&latest],
        )
        .await
        .at_seam()
        .context("finding the tenants behind")?
        .iter()
        .map(|row| {
            Ok(Behind {
                id: row.try_get(0)?,
                domain: row.try_get(1)?,
                version: row.try_get(2)?,
            })
        })
        .collect()
}

/// Brings tenant `id` to the latest stored migration in a transaction of its own that waits at
/// most `lock_timeout` for any lock (a tenant whose tables another session holds fails fast
/// instead of stalling the fleet). Returns how many migrations were applied (0: it was at the
/// latest already, say because another run migrated it meanwhile).
pub async fn migrate_tenant(
    pool: &PgPool,
    id: Uuid,
    lock_timeout: Option<Duration>,
) -> anyhow::Result<i32> {
    let mut conn = pool.get().await?;
    let tx = conn
        .client_mut()
        .transaction()
        .await
        .at_seam()
        .context("starting a tenant's migration")?;
    if let Some(timeout) = lock_timeout {
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = {}",
            timeout.as_millis().max(1)
        ))
        .await
        .at_seam()?;
    }
    let applied: i32 = tx
        .query_one("SELECT chameleon_sys.migrate_tenant($1)", &[&id])
        .await
        .at_seam()?
        .try_get(0)?;
    tx.commit().await.at_seam()?;
    Ok(applied)
}

async fn applied_control_plane(client: &Client) -> anyhow::Result<Vec<i32>> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('public.refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    Ok(client
        .query("SELECT version FROM public.refinery_schema_history", &[])
        .await
        .at_seam()
        .context("reading the control plane's history")?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

async fn has_tenants_table(client: &Client) -> anyhow::Result<bool> {
    Ok(client
        .query_one("SELECT to_regclass('public.tenants') IS NOT NULL", &[])
        .await?
        .get(0))
}
