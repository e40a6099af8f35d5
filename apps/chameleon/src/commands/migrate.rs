//! `chameleon migrate`.

use chameleon_provisioning::CacheSettings;

use crate::config::DatabaseArgs;

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let pool = super::connect(&database).await?;
    let app = chameleon_provisioning::service(pool, CacheSettings::default());
    let report = app.migrate_all_tenants().await?;
    tracing::info!(
        tenants = report.tenants,
        migrated = report.migrated,
        "tenant schemas up to date"
    );
    Ok(())
}
