//! The stack under test, started by `chameleon-stack` (the code `make run` runs too): a fresh
//! private PostgreSQL cluster, one backend, nginx, on free ports. And [`Target`], what the
//! measurements need to know of it once it runs.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use chameleon_stack::cluster::{self, Cluster};
use chameleon_stack::stack::SERVICE_DATABASE;
use chameleon_stack::{Database, Edge, EdgeLimits, ServerOptions, Stack, StackSettings, users};
use tokio_postgres::config::Host;

use super::config::Config;

/// A stack ready to start in `state`, with whatever an earlier run left there removed first.
pub async fn prepare(repo: &Path, state: &Path, config: &Config) -> anyhow::Result<Stack> {
    clear_state(state).await?;
    let (port, api_port) = free_ports()?;
    Stack::new(StackSettings {
        repo: repo.to_owned(),
        state: state.to_owned(),
        database: Database::Private {
            dir: state.join("pg"),
            // Default durability (fsync on): the same server serves the service and pgbench,
            // with room for both pools at once.
            options: ServerOptions {
                max_connections: 300,
                shared_buffers: Some("256MB".into()),
                unsafe_fast: false,
                tcp_port: None,
                citus: None,
                log_statements: false,
                tls: None,
            },
        },
        port,
        api_host: "127.0.0.1".into(),
        api_port,
        instances: 1,
        metrics_port: free_ports()?.0,
        admin_token: cluster::secret()?,
        demo: false,
        bin: repo.join("target/release/chameleon"),
        web_root: repo.join("web/dist"),
        backend_env: vec![
            // Per-request log lines off: at these rates they would measure the log, not the
            // service.
            ("RUST_LOG".into(), "warn".into()),
            // As many database connections as pgbench gets clients.
            ("DB_POOL_SIZE".into(), config.clients.to_string()),
            // The login flood's worst case: every attempt a full password check, as from many
            // addresses, instead of 429s after the throttle's first 20.
            (
                "STAFF_LOGIN_FAILURES_PER_ACCOUNT".into(),
                "1000000000".into(),
            ),
            (
                "STAFF_LOGIN_FAILURES_PER_ADDRESS".into(),
                "1000000000".into(),
            ),
        ],
        // The load comes from one address, far above any per-client limit a restaurant
        // needs: limited, the edge would measure its own rejections.
        edge_limits: EdgeLimits::unlimited(),
        // Plain HTTP: the benchmark compares the service with its peers, not TLS stacks.
        tls: None,
        local_ca_domains: Vec::new(),
    })
}

/// Removes an earlier run's state. Its cluster is stopped first, in case that run was killed
/// before it could stop it; and when root keeps the cluster's data outside the checkout (see
/// `chameleon_stack::stack`), that data goes too, or the new stack would find it again.
async fn clear_state(state: &Path) -> anyhow::Result<()> {
    let pg = state.join("pg");
    if pg.join("data/PG_VERSION").exists() {
        Cluster::new(&pg, users::server_user()?)?
            .stop(Duration::from_secs(10))
            .await
            .context("stopping the cluster an earlier run left running")?;
    }
    if fs::symlink_metadata(&pg).is_ok_and(|meta| meta.is_symlink()) {
        if let Ok(data) = fs::canonicalize(&pg) {
            // Only where the stack puts such data: a link made by hand could point anywhere.
            if data.parent() != Some(Path::new("/var/tmp")) {
                bail!(
                    "{} links to {}: remove it by hand",
                    pg.display(),
                    data.display()
                );
            }
            fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
        }
        fs::remove_file(&pg)?;
    }
    match fs::remove_dir_all(state) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("removing {}", state.display()));
        }
        _ => {}
    }
    // The servers may run as another user (root starts them as `chameleon`, nginx's workers
    // drop privileges): they must be able to reach the state directory, whatever our umask.
    fs::create_dir_all(state)?;
    for dir in [state, state.parent().unwrap_or(state)] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("chmod 755 {}", dir.display()))?;
    }
    Ok(())
}

/// Two ports nothing listens on, for nginx and the backend. Both listeners are held until both
/// ports are known, so the two differ.
fn free_ports() -> anyhow::Result<(u16, u16)> {
    let first = TcpListener::bind(("0.0.0.0", 0))?;
    let second = TcpListener::bind(("0.0.0.0", 0))?;
    Ok((first.local_addr()?.port(), second.local_addr()?.port()))
}

/// What the measurements need to know of the running stack. It holds secrets (the admin token,
/// passwords in connection strings): no `Debug`, so they are never printed.
pub struct Target<'a> {
    /// The stack itself (a second instance for the staleness measurement).
    pub stack: &'a Stack,
    /// nginx, e.g. `http://127.0.0.1:34567`.
    pub base_url: String,
    /// The backend itself, bypassing nginx (a diagnostic: what the edge costs).
    pub api_url: String,
    pub admin_token: &'a str,
    pub service_pid: u32,
    /// PostgreSQL's postmaster: its terminated children (backends) count as PostgreSQL's CPU.
    pub postmaster_pid: u32,
    /// nginx, which the static ceilings are added to.
    pub edge: &'a Edge,
    /// As the superuser: seeding menus behind the service's back, and `chameleon migrate`, which
    /// only the owner of the tenant schemas (or a superuser) may run.
    pub superuser_url: String,
    /// pgbench's login: the superuser. Its scripts switch to each tenant's role with
    /// `SET LOCAL ROLE` as the service does, but pgbench prepares every statement of a script
    /// before running the first, that is before the switch; the serving role may not even parse
    /// a statement naming a tenant's table outside that tenant's transaction (it has no
    /// privilege of its own on tenant schemas), the superuser may.
    pub pgbench_login: PgLogin,
}

impl<'a> Target<'a> {
    pub fn of(stack: &'a Stack) -> anyhow::Result<Target<'a>> {
        let backend = stack.backends().first().context("no backend was started")?;
        let edge = stack.edge().context("nginx was not started")?;
        let cluster = stack.cluster().context("no private cluster was started")?;
        let postmaster_pid = cluster
            .postmaster_pid()
            .context("the private cluster is not running")?;
        let superuser_url = cluster.superuser_url(SERVICE_DATABASE)?;
        let pgbench_login = PgLogin::parse(&superuser_url)?;
        Ok(Target {
            stack,
            base_url: format!("http://127.0.0.1:{}", stack.settings().port),
            api_url: format!("http://{}", backend.address()),
            admin_token: &stack.settings().admin_token,
            service_pid: backend.pid(),
            postmaster_pid: postmaster_pid.unsigned_abs(),
            edge,
            superuser_url,
            pgbench_login,
        })
    }
}

/// A login over PostgreSQL's Unix socket, spelled as pgbench takes it.
#[derive(Clone)]
pub struct PgLogin {
    pub socket_dir: PathBuf,
    pub port: u16,
    pub user: String,
    /// The cluster takes passwords only (SCRAM); pgbench gets it through `PGPASSWORD`.
    pub password: String,
    pub dbname: String,
}

impl std::fmt::Debug for PgLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLogin")
            .field("socket_dir", &self.socket_dir)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("dbname", &self.dbname)
            .finish()
    }
}

impl PgLogin {
    /// From a connection string over the socket, as the stack gives the service's.
    pub fn parse(url: &str) -> anyhow::Result<PgLogin> {
        let config: tokio_postgres::Config = url.parse().context("parsing the database URL")?;
        let socket_dir = match config.get_hosts() {
            [Host::Unix(dir)] => dir.clone(),
            _ => bail!("the database URL does not name one Unix socket directory"),
        };
        let password = config
            .get_password()
            .ok_or_else(|| anyhow!("the database URL has no password"))?;
        Ok(PgLogin {
            socket_dir,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config
                .get_user()
                .context("the database URL has no user")?
                .to_owned(),
            password: String::from_utf8(password.to_vec())?,
            dbname: config
                .get_dbname()
                .context("the database URL has no database")?
                .to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_read_from_the_stacks_connection_string() {
        let login = PgLogin::parse(
            "host=/state/pg/run port=5432 user=chameleon password=0123abcd dbname=chameleon",
        )
        .unwrap();
        assert_eq!(login.socket_dir, PathBuf::from("/state/pg/run"));
        assert_eq!(login.port, 5432);
        assert_eq!(login.user, "chameleon");
        assert_eq!(login.password, "0123abcd");
        assert_eq!(login.dbname, "chameleon");
        assert!(!format!("{login:?}").contains("0123abcd"));
    }

    #[test]
    fn a_login_needs_a_password() {
        assert!(PgLogin::parse("host=/run port=5432 user=chameleon dbname=chameleon").is_err());
    }
}
