//! `chameleon serve`: migrate (unless told not to, and only when its login may; see
//! `migrate::at_start`), then serve the HTTP API until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chameleon_acme::Issuer;
use chameleon_core::ports::CertificateLedger as _;
use chameleon_core::tenant::Domain;
use chameleon_http::AcmeChallenges;
use chameleon_http::{
    Application, DEFAULT_BODY_LIMIT, ReadinessCheck, ServerSettings, WorkerWarmUp,
};
use chameleon_postgres::{Change, PgCertificates, PgPool, SharedCache};
use tokio::sync::Notify;

use crate::startup;

use crate::config::{DatabaseArgs, ServeArgs};

pub async fn run(database: DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    if !args.no_migrate {
        // On pools of their own, closed when done: the serving pool is per worker thread.
        super::migrate::at_start(&database).await?;
    }
    let workers = args
        .api_workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    // Before anything records: the caches register their counters when they are made.
    let prometheus = crate::metrics::install()?;
    let upkeep = tokio::spawn(crate::metrics::upkeep(prometheus.clone()));
    let mut pg = database.serving_settings()?;
    // Each worker gets its share of the connections, used on its own thread (see `PgPool`).
    pg.per_thread = Some(workers);
    let pool = PgPool::new(&pg)?;
    refuse_excess_privileges(&pool).await?;
    let (app, listener) = startup::shared_service(pool.clone(), args.caches());
    let app = app.with_menu_limits(args.menu_limits());
    // Certificates for every registered domain, when ACME is on: a pass at start, whenever a
    // tenant's domains change (heard through the invalidations, from any instance), and every
    // ACME_POLL_SECS.
    let (listener, issuing) = match args.acme()? {
        Some(settings) => {
            tracing::info!(directory = %settings.directory_url, "ordering certificates (ACME)");
            let issuer = Issuer::new(PgCertificates::new(pool.clone()), settings);
            let listener = listener.keep(Arc::new(WakeOnDomainChange(issuer.waker())));
            (listener, Some(tokio::spawn(issuer.run())))
        }
        None => (listener, None),
    };
    // Other instances' writes reach this one's caches through it, for as long as it serves.
    let listening = tokio::spawn(listener.run());
    let settings = ServerSettings {
        host: args.api_host.clone(),
        port: args.api_port,
        admin_token: args.admin_token.clone(),
        workers: Some(workers),
        body_limit: DEFAULT_BODY_LIMIT,
        warm_up: Some(warm_up(pool.clone())),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
        drain: Duration::from_secs(args.shutdown_drain_secs),
        access: args.access(),
        acme_challenges: Some(challenge_answers(PgCertificates::new(pool.clone()))),
        staff: Some(args.staff()?),
    };
    let application = Application::build(app, readiness(pool.clone()), &settings)
        .with_context(|| format!("binding {}:{}", args.api_host, args.api_port))?;
    let metrics = crate::metrics::serve(&args.metrics_addr, prometheus, pool.clone())
        .with_context(|| format!("binding METRICS_ADDR {}", args.metrics_addr))?;
    tracing::info!(host = %args.api_host, port = application.port(), workers, "serving the API");
    tracing::info!(address = %metrics.address, "serving /metrics");
    let metrics_handle = metrics.server.handle();
    actix_web::rt::spawn(metrics.server);
    let served = application.run_until_stopped().await;
    metrics_handle.stop(false).await;
    listening.abort();
    upkeep.abort();
    if let Some(issuing) = issuing {
        issuing.abort();
    }
    served?;
    // Every request has finished (or was given up on): nothing uses the pools any more.
    pool.close();
    tracing::info!("stopped");
    Ok(())
}

/// Opens the worker's connections before it serves, so no request waits for a connection to be
/// established (or for PostgreSQL to work out the service role's memberships, see `PgPool`).
fn warm_up(pool: PgPool) -> WorkerWarmUp {
    Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move { pool.warm_up().await })
    })
}

/// Ready when a pooled connection answers a trivial query.
fn readiness(pool: PgPool) -> ReadinessCheck {
    Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move { pool.ping().await })
    })
}

/// Refuses to serve as a login that may do more than serve (see
/// [`PgPool::excess_privileges`]), naming the fix.
async fn refuse_excess_privileges(pool: &PgPool) -> anyhow::Result<()> {
    let excess = pool
        .excess_privileges()
        .await
        .context("checking what the serving login may do")?;
    if excess.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to serve: {}. Serve as the least-privileged role `chameleon migrate` makes \
         (SERVING_ROLE, default chameleon): run `chameleon migrate` with this \
         DATABASE_URL and SERVING_PASSWORD set, then start `chameleon serve --no-migrate` with \
         DATABASE_URL naming that role and its password (docs/database-roles.md)",
        excess.join("; ")
    )
}

/// Challenge answers from the control plane, whichever instance placed the order.
fn challenge_answers(certificates: PgCertificates) -> AcmeChallenges {
    Arc::new(move |domain: Domain, token: String| {
        let certificates = certificates.clone();
        Box::pin(async move { certificates.challenge(&domain, &token).await })
    })
}

/// Wakes the certificate issuer when a tenant's row (its domains among it) changed anywhere.
struct WakeOnDomainChange(Arc<Notify>);

impl SharedCache for WakeOnDomainChange {
    fn apply(&self, change: &Change) {
        if matches!(change, Change::Tenant { .. }) {
            self.0.notify_one();
        }
    }

    fn forget_everything(&self) {
        // A gap in what was heard: a pass finds whatever was missed.
        self.0.notify_one();
    }
}
