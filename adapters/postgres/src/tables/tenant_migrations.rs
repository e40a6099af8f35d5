//! `chameleon_sys.tenant_migrations`: the tenant migrations the database applies in each
//! tenant's schema (at provisioning, and through `chameleon_sys.migrate_tenant`), stored there
//! by the install from the migrations this build carries.

use anyhow::Context as _;
use refinery::Migration;
use tokio_postgres::Client;

use crate::sqlstate::AtSeam as _;

/// Stores a migration unless one is stored under its version.
const INSERT: &str = "INSERT INTO chameleon_sys.tenant_migrations (version, name, checksum, sql) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING";

/// Stores `$2`, the statements of migration `$1` for a distributed schema.
const SET_STATEMENTS: &str =
    "UPDATE chameleon_sys.tenant_migrations SET citus_statements = $2 WHERE version = $1";

/// The checksum of the migration stored under version `$1`.
const CHECKSUM: &str = "SELECT checksum FROM chameleon_sys.tenant_migrations WHERE version = $1";

/// The latest stored version (0 for none).
const LATEST: &str = "SELECT coalesce(max(version), 0) FROM chameleon_sys.tenant_migrations";

/// Whether the table exists yet (a dry run before the first install).
const EXISTS: &str = "SELECT to_regclass('chameleon_sys.tenant_migrations') IS NOT NULL";

/// Stores `migration` unless it is there, and beside it the statements a schema Citus
/// distributes runs instead (`statements`: the migration's own, or its Citus form's, one by
/// one; see control plane V7). One already stored under the same version must be the same
/// migration: a released migration is never edited.
pub async fn store(
    client: &Client,
    migration: &Migration,
    statements: &[String],
) -> anyhow::Result<()> {
    let sql = migration
        .sql()
        .with_context(|| format!("tenant migration {} has no SQL", migration.name()))?;
    let checksum = migration.checksum().to_string();
    client
        .execute(
            INSERT,
            &[&migration.version(), &migration.name(), &checksum, &sql],
        )
        .await
        .context("storing a tenant migration")?;
    let stored: String = client
        .query_one(CHECKSUM, &[&migration.version()])
        .await?
        .get(0);
    anyhow::ensure!(
        stored == checksum,
        "tenant migration V{} ({}) differs from the one this database already has: a released \
         migration must never be edited; add a new one",
        migration.version(),
        migration.name()
    );
    client
        .execute(SET_STATEMENTS, &[&migration.version(), &statements])
        .await
        .context("storing a tenant migration's statements")?;
    Ok(())
}

/// The latest stored version; 0 when nothing (or no table yet) is there.
pub async fn latest(client: &Client) -> anyhow::Result<i32> {
    // A table that may not exist yet cannot be named in the statement that checks for it:
    // PostgreSQL resolves every name before it runs.
    let exists: bool = client.query_one(EXISTS, &[]).await.at_seam()?.try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(LATEST, &[])
        .await
        .at_seam()
        .context("reading the latest stored tenant migration")?
        .try_get(0)?)
}
