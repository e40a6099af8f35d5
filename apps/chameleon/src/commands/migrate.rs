//! `chameleon migrate`.

use crate::startup::{self, CacheSettings};

use crate::config::DatabaseArgs;

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let pool = super::connect(&database).await?;
    let app = startup::service(pool, CacheSettings::default());
    let report = app.migrate_all_tenants().await?;
    tracing::info!(
        tenants = report.tenants,
        migrated = report.migrated,
        "tenant schemas up to date"
    );
    Ok(())
}
