//! The two migration sets, embedded at build time from `migrations/`.
//!
//! - `public`: the control plane (`public.tenants`), run once per database.
//! - `tenant`: a tenant's tables, run inside each tenant's schema, at provisioning and by
//!   `migrate_all`. Its history lives in the tenant schema's own `refinery_schema_history`.

use crate::pool::PgPool;
use anyhow::Context as _;
use refinery::{Migration, Report};

mod public_set {
    refinery::embed_migrations!("../../migrations/public");
}

mod tenant_set {
    refinery::embed_migrations!("../../migrations/tenant");
}

/// Session advisory lock key held while the public migrations run, so two instances starting at
/// once do not race to create `public.tenants`. ("chamelon" in ASCII.)
const PUBLIC_MIGRATIONS_LOCK: i64 = 0x6368_616d_656c_6f6e;

/// The tenant migrations, in version order.
pub fn tenant_migrations() -> Vec<Migration> {
    let mut migrations = tenant_set::migrations::runner().get_migrations().clone();
    migrations.sort_by_key(Migration::version);
    migrations
}

/// The highest version in `migrations` (0 for none).
pub fn latest_version(migrations: &[Migration]) -> i32 {
    migrations.iter().map(Migration::version).max().unwrap_or(0)
}

/// Brings the `public` schema to the latest control-plane migration.
pub async fn migrate_public(pool: &PgPool) -> anyhow::Result<Report> {
    let mut conn = pool.get().await?;
    let client = conn.client_mut();
    client
        .execute("SELECT pg_advisory_lock($1)", &[&PUBLIC_MIGRATIONS_LOCK])
        .await
        .context("waiting for the migration lock")?;
    let report = public_set::migrations::runner()
        .run_async(client)
        .await
        .context("running the public migrations");
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&PUBLIC_MIGRATIONS_LOCK])
        .await
        .context("releasing the migration lock")?;
    report
}

/// A fingerprint of the public migration set: changes whenever a migration is added or edited.
/// Test support names its migrated template database after it.
pub fn public_migrations_fingerprint() -> u64 {
    public_set::migrations::runner()
        .get_migrations()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |acc: u64, m| {
            (acc ^ m.checksum()).wrapping_mul(0x0100_0000_01b3)
        })
}

/// [`migrate_public`] for the database at `url`, on a connection of its own, closed when done
/// (test support builds its template databases with it).
pub async fn migrate_public_at(url: String) -> anyhow::Result<()> {
    let pool = PgPool::new(&crate::pool::PgSettings::new(url))?;
    let report = migrate_public(&pool).await;
    pool.close();
    report.map(drop)
}
