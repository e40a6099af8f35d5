//! Finding a PostgreSQL server for the tests, or starting a private one.
//!
//! The server is decided once per test process and said on standard error (one line, not
//! captured by the test harness), so a run shows which server its tests used:
//! 1. `DATABASE_URL`, when set;
//! 2. the server at [`PROBE_ENV`] (default `127.0.0.1:5432`; empty or `off`: no probe), but only
//!    if the probe can log in there as `postgres` without a password and that login may create
//!    databases and roles. A fresh Debian with its packaged cluster answers on that port with a
//!    password prompt: that is not a server the tests can use, and they go on to
//! 3. a private cluster under the system's temp directory.
//!
//! # Private clusters start from nothing unless they are proven sound
//! A private cluster (the plain one, and the Citus cluster's nodes) is reused only when its
//! directory carries the stamp this code writes once the cluster is made and has answered, and
//! the stamp is this build's: the same PostgreSQL, the same Citus, the same test run
//! (`CHAMELEON_TEST_RUN`, which `make test` sets afresh for each run; a developer's plain
//! `cargo test` leaves it unset and reuses). Anything else (no stamp: a start that died midway;
//! another server version; an earlier `make test`) is stopped if it runs and removed, and the
//! cluster is made again. So every `make test` meets its clusters as a new machine does, where a
//! bug of the first start cannot hide behind state an earlier run left (it did: see
//! `provisioning/install.rs` on the owner's Citus credential).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use chameleon_stack::citus::CITUS_VERSION;
use chameleon_stack::cluster::bindir;
use chameleon_stack::{CitusCluster, Cluster, ServerOptions, users};
use tokio::sync::OnceCell;
use tokio_postgres::{Config, NoTls};

/// The address the tests probe for a server they may use (`host:port`).
pub const PROBE_ENV: &str = "CHAMELEON_TEST_PG_PROBE";
/// Where they probe when [`PROBE_ENV`] is unset.
pub const DEFAULT_PROBE: &str = "127.0.0.1:5432";
/// Names the test run: private clusters made by another run are not reused (see the module).
pub const RUN_ENV: &str = "CHAMELEON_TEST_RUN";

/// The administrative connection string of the server the tests use (see the module docs).
/// Decided once per test process.
pub async fn url() -> anyhow::Result<String> {
    static URL: OnceCell<Result<String, String>> = OnceCell::const_new();
    URL.get_or_init(|| async {
        let (url, which) = match discover().await {
            Ok(found) => found,
            Err(err) => return Err(format!("{err:#}")),
        };
        say(&format!("the tests' PostgreSQL: {which}"));
        Ok(url)
    })
    .await
    .clone()
    .map_err(|e| anyhow!("no PostgreSQL for the tests: {e}"))
}

/// One line on the process's standard error, past the test harness's capture (it captures
/// the `print!` family only), so it shows in every run, not only beside a failure.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "==> chameleon-testkit: {line}");
}

/// The server, and a description of it for people.
async fn discover() -> anyhow::Result<(String, String)> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.trim().is_empty()
    {
        let config: Config = url
            .parse()
            .context("DATABASE_URL is not a valid connection string")?;
        return Ok((
            chameleon_stack::stack::to_key_value(&config),
            "DATABASE_URL".to_owned(),
        ));
    }
    let why_not = match probe_address() {
        None => format!("{PROBE_ENV} is off"),
        Some(address) => match usable_server(&address).await {
            Ok(url) => {
                return Ok((
                    url,
                    format!("the server at {address} (user postgres, no password)"),
                ));
            }
            Err(why) => format!("{address}: {why}"),
        },
    };
    let url = private_cluster().await?;
    Ok((
        url,
        format!(
            "a private cluster in {} (not the probed server: {why_not})",
            private_cluster_dir().display()
        ),
    ))
}

/// `host:port` to probe, `None` when probing is off.
pub fn probe_address() -> Option<String> {
    match std::env::var(PROBE_ENV) {
        Ok(value) if value.trim().is_empty() || value.trim() == "off" => None,
        Ok(value) => Some(value.trim().to_owned()),
        Err(_) => Some(DEFAULT_PROBE.to_owned()),
    }
}

/// The connection string of the server at `address` when the tests can use it: a login as
/// `postgres` with no password that may create databases and roles. Otherwise why not.
async fn usable_server(address: &str) -> Result<String, String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{PROBE_ENV} is not host:port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{PROBE_ENV} has no port number"))?;
    let url = format!("host={host} port={port} user=postgres dbname=postgres");
    let mut config: Config = url.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_secs(3));
    let connected = tokio::time::timeout(Duration::from_secs(5), config.connect(NoTls)).await;
    let (client, connection) = match connected {
        Ok(Ok(pair)) => pair,
        Ok(Err(err)) => return Err(format!("cannot log in ({err})")),
        Err(_) => return Err("no answer within 5 s".to_owned()),
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let may = client
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .map_err(|e| format!("cannot ask it who we are ({e})"))?;
    if !may.get::<_, bool>(0) {
        return Err("postgres is not a superuser there".to_owned());
    }
    Ok(url)
}

/// The directory of the private cluster: `<temp>/chameleon-test-pg`. Under the temp directory
/// because, when we are root, the server runs as an unprivileged user who must be able to
/// traverse every parent directory of its data (a checkout under `/root` is not).
pub fn private_cluster_dir() -> PathBuf {
    std::env::temp_dir().join("chameleon-test-pg")
}

/// What a private cluster of this build and run is stamped with.
fn stamp(kind: &str) -> anyhow::Result<String> {
    let run = std::env::var(RUN_ENV).unwrap_or_default();
    Ok(format!(
        "chameleon-testkit cluster v1\nkind: {kind}\npostgres: {}\ncitus: {}\nrun: {run}\n",
        bindir()?.display(),
        if kind == "citus" { CITUS_VERSION } else { "-" },
    ))
}

fn stamp_file(dir: &Path) -> PathBuf {
    dir.join("testkit.stamp")
}

/// Whether `dir` holds a cluster this build and run made and saw answer.
fn is_sound(dir: &Path, kind: &str) -> anyhow::Result<bool> {
    Ok(std::fs::read_to_string(stamp_file(dir)).ok() == Some(stamp(kind)?))
}

/// Stops whatever runs in `clusters` (their directories under `dir`) and removes `dir`.
async fn start_from_nothing(dir: &Path, clusters: &[Cluster], why: &str) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    say(&format!(
        "making {} again from nothing: {why}",
        dir.display()
    ));
    for cluster in clusters {
        cluster.stop(Duration::from_secs(10)).await?;
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
}

/// Takes a lock file beside `dir`: test binaries may start at once, and one of them makes the
/// cluster. Released when the returned file is dropped.
fn lock_beside(dir: &Path) -> anyhow::Result<std::fs::File> {
    let lock = std::fs::File::create(dir.with_extension("lock"))?;
    lock.lock()
        .with_context(|| format!("locking {}", dir.display()))?;
    Ok(lock)
}

/// Starts (creating it if there is no sound one) the private cluster through the stack's own
/// code. It is left running for the next test binary; `make test` stops it at the end.
async fn private_cluster() -> anyhow::Result<String> {
    let dir = private_cluster_dir();
    let _lock = lock_beside(&dir)?;
    let cluster = Cluster::new(&dir, users::server_user()?)?;
    if !is_sound(&dir, "postgres")? {
        start_from_nothing(&dir, std::slice::from_ref(&cluster), "no stamp of this run").await?;
    }
    let started = start_private(&cluster).await;
    if let Err(err) = started {
        // A stamped cluster that will not start is not sound either: once more, from nothing.
        start_from_nothing(&dir, std::slice::from_ref(&cluster), &format!("{err:#}")).await?;
        start_private(&cluster).await?;
    }
    std::fs::write(stamp_file(&dir), stamp("postgres")?)?;
    cluster.superuser_url("postgres")
}

async fn start_private(cluster: &Cluster) -> anyhow::Result<()> {
    cluster.init_if_missing().await?;
    cluster
        .start(&ServerOptions {
            max_connections: 300,
            unsafe_fast: true,
            ..ServerOptions::default()
        })
        .await?;
    answers(&cluster.superuser_url("postgres")?).await
}

/// Whether the server behind `url` takes a login and a query.
async fn answers(url: &str) -> anyhow::Result<()> {
    let client = crate::connect(url).await?;
    client
        .query_one("SELECT 1", &[])
        .await
        .context("a query on a new cluster")?;
    Ok(())
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
    let _lock = lock_beside(&dir)?;
    // The roles Citus connects to the workers as (docs/scaling.md): the owner role, and the
    // tenant roles through their group.
    let cluster = CitusCluster::new(
        &dir,
        CITUS_BASE_PORT,
        2,
        users::server_user()?,
        &["chameleon_owner", "+chameleon_tenants"],
    )?;
    let nodes: Vec<Cluster> = cluster.nodes().iter().map(|n| n.cluster.clone()).collect();
    if !is_sound(&dir, "citus")? {
        start_from_nothing(&dir, &nodes, "no stamp of this run").await?;
    }
    if let Err(err) = start_citus_nodes(&cluster).await {
        start_from_nothing(&dir, &nodes, &format!("{err:#}")).await?;
        start_citus_nodes(&cluster).await?;
    }
    std::fs::write(stamp_file(&dir), stamp("citus")?)?;
    say(&format!(
        "the tests' Citus cluster: {} (coordinator on 127.0.0.1:{CITUS_BASE_PORT})",
        dir.display()
    ));
    Ok(cluster)
}

async fn start_citus_nodes(cluster: &CitusCluster) -> anyhow::Result<()> {
    cluster.start().await?;
    for node in cluster.nodes() {
        answers(&node.superuser_url("postgres")?)
            .await
            .with_context(|| format!("the Citus node on port {}", node.port))?;
    }
    if cluster.nodes().is_empty() {
        bail!("a Citus cluster without nodes");
    }
    Ok(())
}
