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

/// The Citus forms of tenant migrations (`migrations/tenant-citus/`): for a migration Citus
/// refuses on a distributed schema, the same schema in statements it takes. The install stores
/// the statements of each beside its migration; `chameleon_sys.migrate_schema` runs them in a
/// distributed schema (control plane V7). A test keeps this list and the folder equal.
pub const CITUS_FORMS: &[(&str, &str)] = &[(
    "V4__menu_categories.sql",
    include_str!("../../../../migrations/tenant-citus/V4__menu_categories.sql"),
)];

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

/// Stores `migration` in `chameleon_sys.tenant_migrations` unless it is there, with the
/// statements a distributed schema runs instead: its Citus form's when [`CITUS_FORMS`] has one,
/// its own otherwise (see [`crate::tables::tenant_migrations::store`]).
pub async fn store_tenant_migration(client: &Client, migration: &Migration) -> anyhow::Result<()> {
    let file = format!("V{}__{}.sql", migration.version(), migration.name());
    let text = CITUS_FORMS
        .iter()
        .find(|(form, _)| *form == file)
        .map(|(_, sql)| *sql)
        .or(migration.sql())
        .unwrap_or_default();
    let statements = super::statements::statements(text);
    crate::tables::tenant_migrations::store(client, migration, &statements).await
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
        ^ CITUS_FORMS
            .iter()
            .flat_map(|(_, sql)| sql.bytes())
            .fold(0u64, |acc, b| {
                (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
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
    let installed = crate::tables::schema_history::latest(client).await?;
    Ok(installed.is_some_and(|version| version >= latest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_citus_form_is_listed_and_names_a_tenant_migration() {
        let folder =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/tenant-citus");
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let listed: Vec<String> = CITUS_FORMS.iter().map(|(f, _)| (*f).to_owned()).collect();
        assert_eq!(
            files, listed,
            "migrations/tenant-citus and CITUS_FORMS differ"
        );
        let tenant: Vec<String> = tenant_migrations()
            .iter()
            .map(|m| format!("V{}__{}.sql", m.version(), m.name()))
            .collect();
        for file in &files {
            assert!(
                tenant.contains(file),
                "{file} is the form of no tenant migration"
            );
        }
    }

    /// Citus refuses, on a distributed table, an `ALTER TABLE` that adds a column with its
    /// constraint (or a constraint with other subcommands): a tenant migration that does so
    /// needs a Citus form, or a Citus fleet cannot take it (docs/scaling.md).
    #[test]
    fn a_tenant_migration_citus_would_refuse_has_a_citus_form() {
        let with_form: Vec<&str> = CITUS_FORMS.iter().map(|(f, _)| *f).collect();
        for migration in tenant_migrations() {
            let file = format!("V{}__{}.sql", migration.version(), migration.name());
            // V2 precedes Citus support: a deployment migrates to head before it switches.
            if migration.version() <= 2 || with_form.contains(&file.as_str()) {
                continue;
            }
            let sql = migration.sql().unwrap_or_default().to_lowercase();
            for statement in sql.split(';') {
                let code: String = statement
                    .lines()
                    .map(|line| line.split("--").next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(" ");
                if !code.contains("alter table") {
                    continue;
                }
                let adds = code.matches(" add ").count();
                let adds_constraint = code.contains("add constraint");
                // A constraint added with its column is taken when it is named.
                let constraints = ["check", "unique", "primary key", "references"]
                    .iter()
                    .map(|c| code.matches(c).count())
                    .sum::<usize>();
                let named = code.matches("constraint ").count();
                let refused = (adds_constraint && adds > 1)
                    || (code.contains("add column") && constraints > named);
                assert!(
                    !refused,
                    "{file} adds a column with a constraint (or a constraint among other \
                     subcommands) in one ALTER TABLE: give it a Citus form in \
                     migrations/tenant-citus/"
                );
            }
        }
    }
}
