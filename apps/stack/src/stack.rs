//! The whole stack, in order: PostgreSQL, its roles, migrations, the demo, the backends, nginx;
//! and stopped in the reverse order, whatever point the start had reached.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use tokio::process::Command;

use crate::backend::{Backend, BackendSettings};
use crate::cluster::{self, Cluster, ServerOptions};
use crate::edge::{Edge, EdgeSettings};
use crate::process;
use crate::shutdown::Shutdown;
use crate::users::{self, OsUser};

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Database {
    /// A private cluster in `dir`, created if missing, started and stopped with the stack.
    Private {
        dir: PathBuf,
        options: ServerOptions,
    },
    /// A server of the caller's: the service connects with this string.
    External { url: String },
}

/// Everything the stack needs to know.
#[derive(Debug, Clone)]
pub struct StackSettings {
    /// The checkout: the nginx template and the storefront build are found from here.
    pub repo: PathBuf,
    /// Logs, nginx's files, the demo tenants' keys.
    pub state: PathBuf,
    pub database: Database,
    /// nginx's port.
    pub port: u16,
    pub api_host: String,
    /// The first backend's port; instance `i` listens on `api_port + i`.
    pub api_port: u16,
    pub instances: u16,
    pub admin_token: String,
    /// Provision the demo tenants (if missing).
    pub demo: bool,
    /// The `chameleon` binary.
    pub bin: PathBuf,
    pub web_root: PathBuf,
    /// Set in every backend's environment.
    pub backend_env: Vec<(String, String)>,
}

/// Why [`Stack::watch`] returned.
#[derive(Debug)]
pub enum Ended {
    Signal(&'static str),
    Died { name: String, status: ExitStatus },
}

/// The stack, as far as it was started.
#[derive(Debug)]
pub struct Stack {
    settings: StackSettings,
    server_user: Option<OsUser>,
    /// Set once a private cluster was started by us (and so must be stopped by us).
    started_cluster: Option<Cluster>,
    cluster: Option<Cluster>,
    database_url: Option<String>,
    backends: Vec<Backend>,
    edge: Option<Edge>,
}

/// The service's role in a private cluster (docs/database-roles.md).
const SERVICE_ROLE: &str = "chameleon";
/// The database of a private cluster.
pub const SERVICE_DATABASE: &str = "chameleon";

impl Stack {
    pub fn new(settings: StackSettings) -> anyhow::Result<Stack> {
        Ok(Stack {
            server_user: users::server_user()?,
            settings,
            started_cluster: None,
            cluster: None,
            database_url: None,
            backends: Vec::new(),
            edge: None,
        })
    }

    pub fn settings(&self) -> &StackSettings {
        &self.settings
    }

    /// The private cluster, when there is one.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// The service's connection string, once the database is up.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    pub fn backends(&self) -> &[Backend] {
        &self.backends
    }

    pub fn edge(&self) -> Option<&Edge> {
        self.edge.as_ref()
    }

    /// Starts everything. A shutdown asked for midway ends the start (with an error) at the
    /// next step; [`Stack::stop`] then stops what had been started.
    pub async fn start(&mut self, shutdown: &Shutdown) -> anyhow::Result<()> {
        fs::create_dir_all(self.settings.state.join("logs"))?;
        // Starting PostgreSQL is not interrupted (a server half started could be missed by the
        // stop): it takes a second or two, then the shutdown is honoured.
        self.start_database().await?;
        until_shutdown(shutdown, self.migrate()).await?;
        if self.settings.demo {
            until_shutdown(shutdown, self.demo()).await?;
        }
        for instance in 0..self.settings.instances {
            let settings = self.backend_settings(instance)?;
            log(&format!("starting the backend on {}", settings.address()));
            let backend = until_shutdown(shutdown, Backend::start(&settings)).await?;
            self.backends.push(backend);
        }
        let edge = self.edge_settings();
        log(&format!("starting nginx on port {}", edge.port));
        self.edge = Some(until_shutdown(shutdown, Edge::start(&edge)).await?);
        Ok(())
    }

    async fn start_database(&mut self) -> anyhow::Result<()> {
        match self.settings.database.clone() {
            Database::External { url } => {
                log("using the PostgreSQL in DATABASE_URL");
                self.database_url = Some(url);
            }
            Database::Private { dir, options } => {
                let dir = reachable_data_dir(&dir, self.server_user.as_ref()).await?;
                let cluster = Cluster::new(dir, self.server_user.clone())?;
                if cluster.init_if_missing().await? {
                    log(&format!(
                        "created a private PostgreSQL cluster in {}",
                        cluster.dir().display()
                    ));
                }
                log("starting the private PostgreSQL cluster");
                if cluster.start(&options).await? {
                    self.started_cluster = Some(cluster.clone());
                } else {
                    log("the private PostgreSQL cluster was already running");
                }
                self.database_url = Some(self.bootstrap(&cluster).await?);
                self.cluster = Some(cluster);
            }
        }
        Ok(())
    }

    /// The service's role and database in a private cluster, created if missing; returns the
    /// service's connection string.
    async fn bootstrap(&self, cluster: &Cluster) -> anyhow::Result<String> {
        let password_file = cluster.dir().join(format!("{SERVICE_ROLE}.password"));
        let password = match fs::read_to_string(&password_file) {
            Ok(text) => text.trim().to_owned(),
            Err(_) => {
                let password = cluster::secret()?;
                cluster::write_private(&password_file, &password)?;
                password
            }
        };
        let admin = connect(&cluster.superuser_url("postgres")?).await?;
        let role_exists = admin
            .query_opt(
                "SELECT 1 FROM pg_roles WHERE rolname = $1",
                &[&SERVICE_ROLE],
            )
            .await?
            .is_some();
        let verb = if role_exists { "ALTER" } else { "CREATE" };
        admin
            .batch_execute(&format!(
                "{verb} ROLE {SERVICE_ROLE} LOGIN NOINHERIT CREATEROLE PASSWORD '{password}'"
            ))
            .await
            .context("creating the service role")?;
        let db_exists = admin
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&SERVICE_DATABASE],
            )
            .await?
            .is_some();
        if !db_exists {
            admin
                .batch_execute(&format!(
                    "CREATE DATABASE {SERVICE_DATABASE} OWNER {SERVICE_ROLE}"
                ))
                .await
                .context("creating the service database")?;
        }
        connect(&cluster.superuser_url(SERVICE_DATABASE)?)
            .await?
            .batch_execute(&format!("ALTER SCHEMA public OWNER TO {SERVICE_ROLE}"))
            .await?;
        Ok(cluster.url_as(SERVICE_ROLE, &password, SERVICE_DATABASE))
    }

    fn service_url(&self) -> anyhow::Result<&str> {
        self.database_url
            .as_deref()
            .ok_or_else(|| anyhow!("the database is not started"))
    }

    /// Runs a `chameleon` subcommand to completion, its output appended to the main log.
    async fn chameleon(&self, what: &str, args: &[&str]) -> anyhow::Result<()> {
        let log_path = self.settings.state.join("logs/chameleon.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        process::run(
            &format!("chameleon {what}"),
            Command::new(&self.settings.bin)
                .args(args)
                .env("DATABASE_URL", self.service_url()?)
                .stdout(log.try_clone()?)
                .stderr(log),
            None,
        )
        .await
        .map_err(|e| anyhow!("{e:#}\n{}", process::tail(&log_path, 20)))
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        log("migrating");
        self.chameleon("migrate", &["migrate"]).await
    }

    async fn demo(&self) -> anyhow::Result<()> {
        log("provisioning the demo tenants (if missing)");
        let keys = self.settings.state.join("demo-tenants.jsonl");
        let keys = keys.to_str().context("the state directory is not UTF-8")?;
        self.chameleon("demo", &["demo", "--keys-file", keys]).await
    }

    fn backend_settings(&self, instance: u16) -> anyhow::Result<BackendSettings> {
        let log = match instance {
            0 => "logs/chameleon.log".to_owned(),
            n => format!("logs/chameleon.{n}.log"),
        };
        Ok(BackendSettings {
            bin: self.settings.bin.clone(),
            database_url: self.service_url()?.to_owned(),
            admin_token: self.settings.admin_token.clone(),
            host: self.settings.api_host.clone(),
            port: self
                .settings
                .api_port
                .checked_add(instance)
                .context("API_PORT + INSTANCES is past 65535")?,
            log: self.settings.state.join(log),
            env: self.settings.backend_env.clone(),
            user: self.server_user.clone(),
        })
    }

    fn edge_settings(&self) -> EdgeSettings {
        EdgeSettings {
            dir: self.settings.state.join("nginx"),
            port: self.settings.port,
            backends: self
                .backends
                .iter()
                .map(|b| b.address().to_owned())
                .collect(),
            web_root: self.settings.web_root.clone(),
            template: self.settings.repo.join("deploy/nginx/nginx.conf.template"),
        }
    }

    /// Waits for a shutdown request, or for a component to die.
    pub async fn watch(&mut self, shutdown: &mut Shutdown) -> Ended {
        loop {
            tokio::select! {
                name = shutdown.wait() => return Ended::Signal(name),
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            let mut procs: Vec<&mut process::Proc> =
                self.backends.iter_mut().map(Backend::proc_mut).collect();
            if let Some(edge) = self.edge.as_mut() {
                procs.push(edge.proc_mut());
            }
            for proc in procs {
                if let Some(status) = proc.exited() {
                    return Ended::Died {
                        name: proc.name().to_owned(),
                        status,
                    };
                }
            }
        }
    }

    /// Stops whatever was started: nginx, then the backends (together), then PostgreSQL if
    /// this stack started it.
    pub async fn stop(&mut self) {
        if let Some(edge) = self.edge.as_mut() {
            edge.stop().await;
        }
        futures_util::future::join_all(self.backends.iter_mut().map(Backend::stop)).await;
        if let Some(cluster) = self.started_cluster.take()
            && let Err(err) = cluster.stop(Duration::from_secs(5)).await
        {
            log(&format!("stopping PostgreSQL: {err:#}"));
        }
    }
}

/// Runs `step` unless, or until, a shutdown is asked for.
async fn until_shutdown<T>(
    shutdown: &Shutdown,
    step: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let mut shutdown = shutdown.clone();
    tokio::select! {
        result = step => result,
        name = shutdown.wait() => Err(anyhow!("interrupted by {name}")),
    }
}

/// Connects, driving the connection on the current runtime.
pub async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(connection);
    Ok(client)
}

/// `dir`, or, when we are root and `user` cannot reach it (PostgreSQL needs every parent
/// directory of its data to be traversable by the user it runs as; a checkout under `/root` is
/// not), a directory under `/var/tmp` linked from `dir`.
async fn reachable_data_dir(dir: &Path, user: Option<&OsUser>) -> anyhow::Result<PathBuf> {
    let Some(user) = user else {
        return Ok(dir.to_owned());
    };
    let parent = dir.parent().unwrap_or(dir);
    fs::create_dir_all(parent)?;
    let reachable = process::run(
        "test -x",
        Command::new("test").arg("-x").arg(parent),
        Some(user),
    )
    .await
    .is_ok();
    if reachable {
        return Ok(dir.to_owned());
    }
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    let elsewhere = PathBuf::from(format!("/var/tmp/chameleon-{:016x}", hasher.finish()));
    if fs::symlink_metadata(dir).is_err() {
        fs::create_dir_all(&elsewhere)?;
        std::os::unix::fs::symlink(&elsewhere, dir)
            .with_context(|| format!("linking {} to {}", dir.display(), elsewhere.display()))?;
        log(&format!(
            "note: {} is not reachable by the user {}; keeping PostgreSQL's data in {}",
            parent.display(),
            user.name,
            elsewhere.display()
        ));
    }
    Ok(fs::canonicalize(dir).unwrap_or(elsewhere))
}

/// A progress line on stderr. Errors are ignored: whoever started us may be gone (a `make`
/// stopped by a signal), and the shutdown must go on regardless.
pub fn log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "==> {line}");
}
