//! The fleet migrator: the one way every existing tenant is brought to the latest stored tenant
//! migration. `chameleon migrate` runs it (with a progress bar), a service that may install runs
//! it at start, the tests run it, and `make bench` times the `chameleon migrate` that runs it.
//!
//! Tenants are migrated `jobs` at a time, each in a transaction of its own that waits at most
//! its lock timeout (a tenant whose tables another session holds fails fast instead of
//! stalling the fleet), through `chameleon_sys.migrate_tenant`, the same stored function
//! provisioning applies migrations with. A tenant that fails is reported and the others go on;
//! tenants at the latest migration are not visited, so running it again resumes with what is
//! left. It runs as the owner role, which owns the tenant schemas ([`owner_settings`]).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::{StreamExt as _, stream};
use refinery::Migration;
use uuid::Uuid;

use super::install::OWNER_ROLE;
use super::migrations::{public_migrations, tenant_migrations};
use crate::pool::{PgPool, PgSettings};
use crate::sqlstate::AtSeam as _;
use crate::tables::{schema_history, tenant_migrations as stored, tenants};

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

/// How the fleet is migrated.
#[derive(Debug, Clone, Copy)]
pub struct FleetSettings {
    /// Tenants migrated at once.
    pub jobs: usize,
    /// Longest wait for a lock in a tenant's migration; `None`: the server's setting.
    pub tenant_lock_timeout: Option<Duration>,
}

impl Default for FleetSettings {
    fn default() -> Self {
        Self {
            jobs: 4,
            tenant_lock_timeout: Some(Duration::from_secs(5)),
        }
    }
}

/// A tenant that could not be migrated (it is untouched), and why.
#[derive(Debug)]
pub struct Failed {
    pub tenant: Behind,
    pub error: anyhow::Error,
}

/// What a run of [`migrate`] did.
#[derive(Debug, Default)]
pub struct FleetReport {
    /// Every tenant of the fleet.
    pub tenants: usize,
    /// The version they were brought to.
    pub latest: i32,
    /// Tenants that were behind, and so visited.
    pub attempted: usize,
    /// Tenants that had at least one migration applied by this run.
    pub migrated: usize,
    /// Tenants that failed, each untouched.
    pub failed: Vec<Failed>,
}

/// Hears of a run as it goes (a progress bar, a log line).
pub trait FleetProgress {
    /// `behind` of `tenants` are about to be migrated to `latest`.
    fn starting(&mut self, _tenants: usize, _behind: usize, _latest: i32) {}
    /// One tenant is done: migrated (`Ok`, with the migrations applied), or failed.
    fn finished(&mut self, _tenant: &Behind, _outcome: Result<i32, &anyhow::Error>) {}
}

/// No progress reports.
impl FleetProgress for () {}

/// `base` as the owner role, with enough connections for `settings.jobs`: the pool
/// [`migrate`] runs on when an installing login runs it.
pub fn owner_settings(mut base: PgSettings, settings: &FleetSettings) -> PgSettings {
    base.session_role = Some(OWNER_ROLE.to_owned());
    base.max_connections = settings.jobs.max(1) + 1;
    base
}

/// Brings every tenant behind to the latest stored tenant migration, `settings.jobs` at a time;
/// reports each to `progress` as it finishes. `Err` only when the fleet could not be read at
/// all; a tenant that fails is in [`FleetReport::failed`].
pub async fn migrate(
    pool: &PgPool,
    settings: FleetSettings,
    progress: &mut impl FleetProgress,
) -> anyhow::Result<FleetReport> {
    let status = status(pool).await.context("reading the fleet's state")?;
    let behind_now = behind(pool, status.latest)
        .await
        .context("finding the tenants behind")?;
    progress.starting(status.tenants(), behind_now.len(), status.latest);
    let mut report = FleetReport {
        tenants: status.tenants(),
        latest: status.latest,
        attempted: behind_now.len(),
        ..FleetReport::default()
    };
    let mut results = stream::iter(behind_now)
        .map(|tenant| async move {
            let outcome = migrate_tenant(pool, tenant.id, settings.tenant_lock_timeout).await;
            (tenant, outcome)
        })
        .buffer_unordered(settings.jobs.max(1));
    while let Some((tenant, outcome)) = results.next().await {
        match outcome {
            Ok(applied) => {
                progress.finished(&tenant, Ok(applied));
                report.migrated += usize::from(applied > 0);
            }
            Err(error) => {
                progress.finished(&tenant, Err(&error));
                report.failed.push(Failed { tenant, error });
            }
        }
    }
    Ok(report)
}

/// Reads the fleet's state. Read-only: what `--dry-run` and `migrate status` show.
pub async fn status(pool: &PgPool) -> anyhow::Result<FleetStatus> {
    let conn = pool.get().await?;
    let client = conn.client();
    let applied = schema_history::applied(client).await?;
    let pending_control_plane = public_migrations()
        .iter()
        .filter(|m| !applied.contains(&m.version()))
        .map(|m| (m.version(), m.name().to_owned()))
        .collect();
    let mut tenants_per_version = BTreeMap::new();
    let has_tenants: bool = client
        .query_one(tenants::EXISTS, &[])
        .await
        .at_seam()?
        .get(0);
    if has_tenants {
        for row in client
            .query(tenants::PER_VERSION, &[])
            .await
            .at_seam()
            .context("counting tenants per version")?
        {
            let version: i32 = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            tenants_per_version.insert(version, usize::try_from(count).unwrap_or(usize::MAX));
        }
    }
    let known = tenant_migrations()
        .iter()
        .map(Migration::version)
        .max()
        .unwrap_or(0);
    Ok(FleetStatus {
        pending_control_plane,
        tenants_per_version,
        latest: known.max(stored::latest(client).await?),
    })
}

/// Every tenant below `latest`, in id order.
pub async fn behind(pool: &PgPool, latest: i32) -> anyhow::Result<Vec<Behind>> {
    let conn = pool.get().await?;
    conn.client()
        .query(tenants::BEHIND, &[&latest])
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
/// most `lock_timeout` for any lock. Returns how many migrations were applied (0: it was at the
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
        // A message of its own (see `install::ensure_owner_credential` on Citus and SET LOCAL).
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = {}",
            timeout.as_millis().max(1)
        ))
        .await
        .at_seam()?;
    }
    let applied: i32 = tx
        .query_one(tenants::MIGRATE, &[&id])
        .await
        .at_seam()?
        .try_get(0)?;
    tx.commit().await.at_seam()?;
    Ok(applied)
}
