//! Finding a PostgreSQL server for the tests, or starting a private one.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chameleon_stack::{CitusCluster, Cluster, ServerOptions, users};
use tokio::sync::OnceCell;
use tokio_postgres::Config;

/// The administrative connection string of the server the tests use (see the crate docs).
/// Decided once per test process.
pub async fn url() -> anyhow::Result<String> {
    static URL: OnceCell<Result<String, String>> = OnceCell::const_new();
    URL.get_or_init(|| async { discover().await.map_err(|e| format!("{e:#}")) })
        .await
        .clone()
        .map_err(|e| anyhow!("no PostgreSQL for the tests: {e}"))
}

async fn discover() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.trim().is_empty()
    {
        let config: Config = url
            .parse()
            .context("DATABASE_URL is not a valid connection string")?;
        return Ok(chameleon_stack::stack::to_key_value(&config));
    }
    let local: SocketAddr = ([127, 0, 0, 1], 5432).into();
    if TcpStream::connect_timeout(&local, Duration::from_millis(300)).is_ok() {
        return Ok("host=127.0.0.1 port=5432 user=postgres dbname=postgres".to_owned());
    }
    private_cluster().await
}

/// The directory of the private cluster: `<temp>/chameleon-test-pg`. Under the temp directory
/// because, when we are root, the server runs as an unprivileged user who must be able to
/// traverse every parent directory of its data (a checkout under `/root` is not).
pub fn private_cluster_dir() -> PathBuf {
    std::env::temp_dir().join("chameleon-test-pg")
}

/// Starts (creating it the first time) the private cluster through the stack's own code. It
/// is left running for the next test binary; `make test` stops it at the end.
async fn private_cluster() -> anyhow::Result<String> {
    let dir = private_cluster_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Test binaries may start at once: one of them creates and starts the cluster.
    let lock = std::fs::File::create(std::env::temp_dir().join("chameleon-test-pg.lock"))?;
    lock.lock()
        .context("locking the private cluster directory")?;
    let cluster = Cluster::new(&dir, users::server_user()?)?;
    cluster.init_if_missing().await?;
    cluster
        .start(&ServerOptions {
            max_connections: 300,
            unsafe_fast: true,
            ..ServerOptions::default()
        })
        .await?;
    cluster.superuser_url("postgres")
}

/// Whether this test process runs its databases on the Citus cluster: `CHAMELEON_TEST_CITUS=1`
/// (how `make test` runs the suites that matter a second time).
pub fn citus_requested() -> bool {
    std::env::var("CHAMELEON_TEST_CITUS").is_ok_and(|v| v == "1")
}

/// Loopback ports of the test Citus cluster: the coordinator, then the two workers. Below
/// Linux's ephemeral range (32768-60999): a port there can be taken at any moment by the local
/// end of some outgoing connection (it happened: a worker could not start).
pub const CITUS_BASE_PORT: u16 = 15432;

/// The private Citus cluster of the tests (a coordinator and two workers on loopback, under
/// `<temp>/chameleon-test-citus`), started the first time it is asked for and left running
/// for the next test binary; `make test` stops it at the end.
pub async fn citus() -> anyhow::Result<CitusCluster> {
    static CLUSTER: OnceCell<Result<CitusCluster, String>> = OnceCell::const_new();
    CLUSTER
        .get_or_init(|| async { start_citus().await.map_err(|e| format!("{e:#}")) })
        .await
        .clone()
        .map_err(|e| anyhow!("no Citus cluster for the tests: {e}"))
}

/// The directory of the test Citus cluster.
pub fn citus_cluster_dir() -> PathBuf {
    std::env::temp_dir().join("chameleon-test-citus")
}

async fn start_citus() -> anyhow::Result<CitusCluster> {
    let dir = citus_cluster_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock = std::fs::File::create(std::env::temp_dir().join("chameleon-test-citus.lock"))?;
    lock.lock().context("locking the Citus cluster directory")?;
    // The roles Citus connects to the workers as (docs/scaling.md): the owner role, and the
    // tenant roles through their group.
    let cluster = CitusCluster::new(
        &dir,
        CITUS_BASE_PORT,
        2,
        users::server_user()?,
        &["chameleon_owner", "+chameleon_tenants"],
    )?;
    cluster.start().await?;
    Ok(cluster)
}
