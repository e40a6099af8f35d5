//! The two migration sets, embedded at build time from `migrations/`.
//!
//! - `public`: the control plane (`public.tenants`, and the `chameleon_sys` schema with the
//!   provisioning functions and the stored tenant migrations), run by refinery once per
//!   database, as the owner role (see [`install`](super::install)).
//! - `tenant`: a tenant's tables. They are not run from here: [`install`](super::install) stores
//!   them in `chameleon_sys.tenant_migrations`, and the database applies them in each tenant
//!   schema, inside the provisioning transaction or a fleet migration, through a SECURITY
//!   DEFINER function (`chameleon_sys.migrate_schema`). The service's own role never runs DDL.

use anyhow::Context as _;
use refinery::{Migration, Report};
use tokio_postgres::Client;

mod public_set {
    refinery::embed_migrations!("../../migrations/public");
}

mod tenant_set {
    refinery::embed_migrations!("../../migrations/tenant");
}

/// The control-plane migrations, in version order.
pub fn public_migrations() -> Vec<Migration> {
    let mut migrations = public_set::migrations::runner().get_migrations().clone();
    migrations.sort_by_key(Migration::version);
    migrations
}

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

/// Runs the control-plane migrations on `client` (each in a transaction of its own).
pub(crate) async fn run_public(client: &mut Client) -> anyhow::Result<Report> {
    public_set::migrations::runner()
        .run_async(client)
        .await
        .context("running the control-plane migrations")
}

/// Stores `migration` in `chameleon_sys.tenant_migrations` unless it is there. One already
/// stored under the same version must be the same migration: a released migration is never
/// edited.
pub async fn store_tenant_migration(client: &Client, migration: &Migration) -> anyhow::Result<()> {
    let sql = migration
        .sql()
        .with_context(|| format!("tenant migration {} has no SQL", migration.name()))?;
    let checksum = migration.checksum().to_string();
    client
        .execute(
            "INSERT INTO chameleon_sys.tenant_migrations (version, name, checksum, sql) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING",
            &[&migration.version(), &migration.name(), &checksum, &sql],
        )
        .await
        .context("storing a tenant migration")?;
    let stored: String = client
        .query_one(
            "SELECT checksum FROM chameleon_sys.tenant_migrations WHERE version = $1",
            &[&migration.version()],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        stored == checksum,
        "tenant migration V{} ({}) differs from the one this database already has: a released \
         migration must never be edited; add a new one",
        migration.version(),
        migration.name()
    );
    Ok(())
}

/// A fingerprint of both migration sets: changes whenever a migration is added or edited. Test
/// support names its migrated template database after it.
pub fn migrations_fingerprint() -> u64 {
    public_set::migrations::runner()
        .get_migrations()
        .iter()
        .chain(tenant_set::migrations::runner().get_migrations())
        .fold(0xcbf2_9ce4_8422_2325, |acc: u64, m| {
            (acc ^ m.checksum()).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Whether the control plane of the database `client` is connected to has every control-plane
/// migration this build knows (what a service that may not migrate checks before it serves).
pub async fn control_plane_is_current(client: &Client) -> anyhow::Result<bool> {
    let latest = public_set::migrations::runner()
        .get_migrations()
        .iter()
        .map(Migration::version)
        .max()
        .unwrap_or(0);
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('public.refinery_schema_history') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(false);
    }
    let installed: Option<i32> = client
        .query_one(
            "SELECT max(version) FROM public.refinery_schema_history",
            &[],
        )
        .await
        .context("reading the control plane's version")?
        .get(0);
    Ok(installed.is_some_and(|version| version >= latest))
}
