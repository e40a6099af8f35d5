//! What `bench.sh` tells the driver, through the environment.

use std::path::PathBuf;

use anyhow::Context as _;

#[derive(Debug, Clone)]
pub struct Config {
    /// nginx, e.g. `http://127.0.0.1:34567`.
    pub base_url: String,
    /// The service itself, bypassing nginx (a diagnostic: what the edge costs).
    pub api_url: String,
    /// PostgreSQL's postmaster, whose terminated children (backends) count as PostgreSQL's CPU.
    pub postmaster_pid: u32,
    pub admin_token: String,
    pub service_pid: u32,
    pub nginx_pid: u32,
    pub nginx_conf_dir: PathBuf,
    /// The directory of PostgreSQL's Unix socket, for pgbench.
    pub pg_socket: String,
    /// As the service connects (the least-privileged `chameleon` role).
    pub database_url: String,
    /// As the superuser, for seeding menus behind the service's back.
    pub admin_database_url: String,
    pub out: PathBuf,
    pub docs: PathBuf,
    pub quick: bool,
    /// Concurrent connections of wrk, and clients of pgbench.
    pub clients: u32,
    /// Seconds measured per run (after a warm-up).
    pub seconds: u32,
    pub warmup_seconds: u32,
    /// Warm-up before each scaling run: long enough for caches (the service's, PostgreSQL's
    /// per-backend catalog caches) to reach steady state over thousands of tenants.
    pub scaling_warmup_seconds: u32,
}

fn var(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set (run `make bench`)"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v != "0" && !v.is_empty());
        Ok(Config {
            base_url: var("BENCH_BASE_URL")?,
            api_url: var("BENCH_API_URL")?,
            postmaster_pid: var("BENCH_POSTMASTER_PID")?.trim().parse()?,
            admin_token: var("BENCH_ADMIN_TOKEN")?,
            service_pid: var("BENCH_SERVICE_PID")?.parse()?,
            nginx_pid: var("BENCH_NGINX_PID")?.parse()?,
            nginx_conf_dir: var("BENCH_NGINX_CONF_DIR")?.into(),
            pg_socket: var("BENCH_PG_SOCKET")?,
            database_url: var("BENCH_DATABASE_URL")?,
            admin_database_url: var("BENCH_ADMIN_DATABASE_URL")?,
            out: var("BENCH_OUT")?.into(),
            docs: var("BENCH_DOCS")?.into(),
            quick,
            clients: 32,
            seconds: if quick { 3 } else { 10 },
            warmup_seconds: if quick { 1 } else { 3 },
            scaling_warmup_seconds: if quick { 3 } else { 10 },
        })
    }

    /// Tenant counts at which the scaling is measured; provisioning runs up to the last.
    pub fn checkpoints(&self) -> Vec<usize> {
        if self.quick {
            vec![10, 100, 300]
        } else {
            vec![10, 1_000, 10_000]
        }
    }
}
