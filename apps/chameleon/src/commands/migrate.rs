//! `chameleon migrate`: installs the control plane (the owner and serving roles, the
//! control-plane migrations, the stored tenant migrations, the serving role's grants) and brings
//! every tenant schema to the latest migration. It needs a login that may create roles (a
//! superuser, or a CREATEROLE role that owns the database); the service itself then connects as
//! the serving role, which may not.

use std::time::Duration;

use anyhow::Context as _;
use chameleon_core::ports::TenantProvisioner as _;
use chameleon_postgres::provisioning::migrations::control_plane_is_current;
use chameleon_postgres::{InstallSettings, OWNER_ROLE, PgPool, PgProvisioner, install};
use secrecy::ExposeSecret as _;

use crate::config::{DatabaseArgs, MigrateArgs};

pub async fn run(database: &DatabaseArgs, args: &MigrateArgs) -> anyhow::Result<()> {
    let settings = InstallSettings {
        serving_role: args.serving_role.clone(),
        serving_password: args
            .serving_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        lock_wait: Duration::from_secs(args.migration_lock_wait_secs),
    };
    install_and_migrate(database, &settings).await
}

async fn install_and_migrate(
    database: &DatabaseArgs,
    settings: &InstallSettings,
) -> anyhow::Result<()> {
    let pool = PgPool::new(&database.settings()?)?;
    let report = install(&pool, settings).await;
    pool.close();
    let report = report.context("installing the control plane")?;
    tracing::info!(
        applied = report.applied_migrations().len(),
        serving_role = %settings.serving_role,
        "control plane up to date"
    );
    // Fleet migrations run as the owner: it owns the tenant schemas.
    let mut owner = database.settings()?;
    owner.session_role = Some(OWNER_ROLE.to_owned());
    let pool = PgPool::new(&owner)?;
    let migrated = PgProvisioner::new(pool.clone()).migrate_all().await;
    pool.close();
    let migrated = migrated.context("migrating tenant schemas")?;
    tracing::info!(
        tenants = migrated.tenants,
        migrated = migrated.migrated,
        "tenant schemas up to date"
    );
    Ok(())
}

/// At the start of `serve`: a login that may install does what `chameleon migrate` does,
/// serving as itself; any other login (the serving role) checks that someone did.
pub async fn at_start(database: &DatabaseArgs) -> anyhow::Result<()> {
    let pool = PgPool::new(&database.settings()?)?;
    let checked = async {
        let conn = pool.get().await?;
        let row = conn
            .client()
            .query_one(
                "SELECT current_user::text, rolsuper OR rolcreaterole FROM pg_roles \
                 WHERE rolname = current_user",
                &[],
            )
            .await?;
        let current = control_plane_is_current(conn.client()).await?;
        anyhow::Ok((row.get::<_, String>(0), row.get::<_, bool>(1), current))
    }
    .await;
    pool.close();
    let (login, may_install, current) = checked.context("checking the control plane")?;
    if may_install {
        let settings = InstallSettings {
            serving_role: login,
            serving_password: None,
            lock_wait: chameleon_postgres::provisioning::DEFAULT_LOCK_WAIT,
        };
        return install_and_migrate(database, &settings).await;
    }
    anyhow::ensure!(
        current,
        "the database's control plane is missing or older than this build, and {login} may not \
         install it: run `chameleon migrate` with a login that may create roles \
         (docs/database-roles.md), or start with --no-migrate"
    );
    Ok(())
}
