//! Prometheus metrics: the recorder every `metrics::` call in the adapters reports to, and the
//! listener that serves them at `GET /metrics` on `METRICS_ADDR`, apart from the API (nginx
//! never proxies it; bind it where only the scraper reaches).
//!
//! What is measured, and where (every label takes a bounded set of values: no tenant id, no
//! path, no domain):
//! - `chameleon_http_requests_total` and `chameleon_http_request_duration_seconds` by `method`,
//!   `route` (the matched pattern) and `status`: the HTTP adapter's request middleware;
//! - `chameleon_db_pool_connections` (`state`: `max`, `open`, `in_use`), `chameleon_db_pool_waiting`
//!   (sampled at each scrape), `chameleon_db_pool_wait_seconds` (every checkout);
//! - `chameleon_cache_lookups_total` by `cache` and `result` (`hit`, `stale`, `miss`);
//! - `chameleon_cache_invalidations_dropped_total`: `chameleon_cache` notifications that did
//!   not parse (anyone who can connect may notify; nothing of a payload is believed unparsed);
//! - `chameleon_tenant_provisioning_duration_seconds` by `outcome`, and
//!   `chameleon_tenant_removal_duration_seconds`;
//! - `chameleon_orders_total` by `outcome` (`placed`, `replayed`);
//! - `chameleon_db_errors_total` by SQLSTATE `class` (`connection` when the server gave no
//!   answer);
//! - `chameleon_build_info` (`version`, `profile`), always 1.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use chameleon_postgres::PgPool;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from a cached read (under a millisecond) to a slow provisioning.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process-wide Prometheus recorder (once; before the adapters are built) and
/// describes every metric.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        // Real histograms (buckets), which Prometheus can aggregate across instances, rather
        // than the exporter's default per-instance summaries.
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe_counter!(
        "chameleon_http_requests_total",
        "HTTP requests answered, by method, matched route and status"
    );
    describe_histogram!(
        "chameleon_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method, matched route and status"
    );
    describe_gauge!(
        "chameleon_db_pool_connections",
        "Database connections of the serving pool: max, open, in_use"
    );
    describe_gauge!(
        "chameleon_db_pool_waiting",
        "Requests waiting for a database connection when scraped"
    );
    describe_histogram!(
        "chameleon_db_pool_wait_seconds",
        Unit::Seconds,
        "Time to check a database connection out of the pool"
    );
    describe_counter!(
        "chameleon_cache_lookups_total",
        "Cache lookups, by cache and result (hit, stale: served while refreshed, miss)"
    );
    describe_counter!(
        "chameleon_cache_invalidations_dropped_total",
        "Cache invalidation notifications dropped because they did not parse"
    );
    describe_histogram!(
        "chameleon_tenant_provisioning_duration_seconds",
        Unit::Seconds,
        "Time to provision a tenant (row, schema, role, tables), by outcome"
    );
    describe_histogram!(
        "chameleon_tenant_removal_duration_seconds",
        Unit::Seconds,
        "Time to remove a tenant (row, domains, schema, role)"
    );
    describe_counter!(
        "chameleon_orders_total",
        "Orders answered, by outcome: placed, or replayed under an Idempotency-Key"
    );
    describe_counter!(
        "chameleon_db_errors_total",
        "Database errors, by SQLSTATE class (connection: no answer from the server)"
    );
    describe_gauge!("chameleon_build_info", "The running build; always 1");
    metrics::gauge!(
        "chameleon_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "profile" => if cfg!(debug_assertions) { "debug" } else { "release" },
    )
    .set(1.0);
    Ok(handle)
}

/// How often the histograms' samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Folds the histograms' samples into their buckets every [`UPKEEP_EVERY`], for as long as it
/// runs. The recorder keeps every sample of a histogram until an upkeep drains it; a scrape does
/// one, but an instance nobody scrapes (no Prometheus yet, or a benchmark) grew by every
/// request's samples without bound (about 18 bytes a request, found by `make bench`).
pub async fn upkeep(handle: PrometheusHandle) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        handle.run_upkeep();
    }
}

/// The metrics listener, bound and ready to run.
pub struct MetricsServer {
    pub server: Server,
    pub address: SocketAddr,
}

/// What the `/metrics` handler needs.
struct Scrape {
    handle: PrometheusHandle,
    pool: PgPool,
}

/// Binds `address` (`host:port`) and serves `GET /metrics` there on one worker thread.
pub fn serve(
    address: &str,
    handle: PrometheusHandle,
    pool: PgPool,
) -> anyhow::Result<MetricsServer> {
    let address = address
        .to_socket_addrs()
        .with_context(|| format!("{address} is not an address"))?
        .next()
        .with_context(|| format!("{address} resolves to nothing"))?;
    let listener = std::net::TcpListener::bind(address)?;
    let address = listener.local_addr()?;
    let scrape = web::Data::new(Scrape { handle, pool });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scrape.clone())
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(MetricsServer { server, address })
}

async fn metrics(scrape: web::Data<Scrape>) -> HttpResponse {
    let stats = scrape.pool.stats();
    for (state, value) in [
        ("max", stats.max_size),
        ("open", stats.size),
        ("in_use", stats.in_use),
    ] {
        metrics::gauge!("chameleon_db_pool_connections", "state" => state).set(value as f64);
    }
    metrics::gauge!("chameleon_db_pool_waiting").set(stats.waiting as f64);
    // Histograms keep their samples until drained: drain at each scrape.
    scrape.handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(scrape.handle.render())
}
