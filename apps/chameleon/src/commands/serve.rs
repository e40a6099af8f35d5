//! `chameleon serve`: migrate (unless told not to), then serve the HTTP API until SIGINT or
//! SIGTERM.

use std::sync::Arc;

use anyhow::Context as _;
use chameleon_http::{Application, DEFAULT_BODY_LIMIT, ReadinessCheck, ServerSettings};
use chameleon_postgres::PgPool;

use crate::config::{DatabaseArgs, ServeArgs};

pub async fn run(database: DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    let pool = if args.no_migrate {
        PgPool::new(&database.settings()?)?
    } else {
        super::connect(&database).await?
    };
    let app = chameleon_provisioning::service(pool.clone(), args.caches());
    if !args.no_migrate {
        let report = app
            .migrate_all_tenants()
            .await
            .context("migrating tenant schemas")?;
        tracing::info!(
            tenants = report.tenants,
            migrated = report.migrated,
            "tenant schemas up to date"
        );
    }
    let settings = ServerSettings {
        host: args.api_host.clone(),
        port: args.api_port,
        admin_token: args.admin_token.clone(),
        workers: args.api_workers,
        body_limit: DEFAULT_BODY_LIMIT,
    };
    let application = Application::build(app, readiness(pool), &settings)
        .with_context(|| format!("binding {}:{}", args.api_host, args.api_port))?;
    tracing::info!(host = %args.api_host, port = application.port(), "serving the API");
    application.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Ready when a pooled connection answers a trivial query.
fn readiness(pool: PgPool) -> ReadinessCheck {
    Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move {
            let conn = pool.get().await?;
            conn.client().simple_query("SELECT 1").await?;
            Ok(())
        })
    })
}
