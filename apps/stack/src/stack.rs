//! The whole stack, in order: PostgreSQL, its roles, migrations, the demo, the backends, nginx;
//! and stopped in the reverse order, whatever point the start had reached.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use tokio::process::Command;

use crate::backend::{Backend, BackendSettings};
use crate::certs::{CertDir, LocalCa};
use crate::cluster::{self, Cluster, ServerOptions};
use crate::edge::{Edge, EdgeSettings, EdgeTls};
use crate::edge_limits::EdgeLimits;
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
    /// The first backend's metrics port; instance `i` serves `/metrics` on `metrics_port + i`.
    pub metrics_port: u16,
    pub admin_token: String,
    /// Provision the demo tenants (if missing).
    pub demo: bool,
    /// The `chameleon` binary.
    pub bin: PathBuf,
    pub web_root: PathBuf,
    /// Set in every backend's environment.
    pub backend_env: Vec<(String, String)>,
    /// The edge's rate, connection and time limits.
    pub edge_limits: EdgeLimits,
    /// HTTPS beside HTTP (`TLS_PORT`); `None`: HTTP only.
    pub tls: Option<EdgeTls>,
    /// Domains given a certificate by a certificate authority of the state directory's own
    /// (`<state>/ca/ca.crt`) when they have none: the demo domains under `make run`.
    pub local_ca_domains: Vec<String>,
}

/// Why [`Stack::supervise`] returned.
#[derive(Debug)]
pub enum Ended {
    /// A shutdown was asked for.
    Signal(&'static str),
    /// A process died too often: `deaths` times within the policy's window.
    CrashLoop {
        name: String,
        deaths: u32,
        window: Duration,
        last: String,
    },
}

/// How the stack keeps its processes up: a backend or nginx that dies is started again, after
/// a backoff that doubles with each death in the window; the `max_restarts`-th death within
/// `window` is a crash loop, and ends the stack.
#[derive(Debug, Clone, Copy)]
pub struct SupervisePolicy {
    pub max_restarts: u32,
    pub window: Duration,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for SupervisePolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            window: Duration::from_secs(60),
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl SupervisePolicy {
    /// `SUPERVISE_MAX_RESTARTS` (5) and `SUPERVISE_WINDOW_SECS` (60), where set.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut policy = Self::default();
        if let Some(n) = env_number("SUPERVISE_MAX_RESTARTS")? {
            anyhow::ensure!(n >= 1, "SUPERVISE_MAX_RESTARTS must be at least 1");
            policy.max_restarts =
                u32::try_from(n).context("SUPERVISE_MAX_RESTARTS is too large")?;
        }
        if let Some(secs) = env_number("SUPERVISE_WINDOW_SECS")? {
            anyhow::ensure!(secs >= 1, "SUPERVISE_WINDOW_SECS must be at least 1");
            policy.window = Duration::from_secs(secs);
        }
        Ok(policy)
    }

    /// The wait before the restart that follows the `deaths`-th death in the window.
    pub fn backoff(&self, deaths: u32) -> Duration {
        let doublings = deaths.saturating_sub(1).min(16);
        self.first_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

fn env_number(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("{name} must be a whole number, not {value:?}")),
        _ => Ok(None),
    }
}

/// A process the stack keeps up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Component {
    Backend(usize),
    Edge,
}

/// The deaths of one component within the window.
#[derive(Debug, Default)]
struct Deaths(std::collections::VecDeque<std::time::Instant>);

impl Deaths {
    /// Records a death now; returns how many fall within `window`.
    fn record(&mut self, window: Duration) -> u32 {
        let now = std::time::Instant::now();
        self.0.push_back(now);
        while self
            .0
            .front()
            .is_some_and(|at| now.duration_since(*at) > window)
        {
            self.0.pop_front();
        }
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
}

/// The stack, as far as it was started.
#[derive(Debug)]
pub struct Stack {
    settings: StackSettings,
    server_user: Option<OsUser>,
    /// Set once a private cluster was started by us (and so must be stopped by us).
    started_cluster: Option<Cluster>,
    cluster: Option<Cluster>,
    /// The administrative login: installs the control plane, never serves.
    admin_url: Option<String>,
    /// The serving role's login.
    database_url: Option<String>,
    backends: Vec<Backend>,
    edge: Option<Edge>,
}

/// The role the service connects as (docs/database-roles.md): a login and nothing more.
pub const SERVING_ROLE: &str = "chameleon";
/// The database of a private cluster.
pub const SERVICE_DATABASE: &str = "chameleon";

impl Stack {
    pub fn new(settings: StackSettings) -> anyhow::Result<Stack> {
        Ok(Stack {
            server_user: users::server_user()?,
            settings,
            started_cluster: None,
            cluster: None,
            admin_url: None,
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
        if let Some(tls) = &self.settings.tls {
            // The backends (as the server user) write the certificates they order here.
            let certs = CertDir::open(&tls.cert_dir, self.server_user.as_ref())?;
            if !self.settings.local_ca_domains.is_empty() {
                let ca = LocalCa::ensure(&self.settings.state.join("ca"))?;
                for domain in &self.settings.local_ca_domains {
                    if ca.issue(domain, &certs)? {
                        log(&format!("issued a local certificate for {domain}"));
                    }
                }
            }
        }
        let edge = self.edge_settings();
        log(&format!("starting nginx on port {}", edge.port));
        self.edge = Some(until_shutdown(shutdown, Edge::start(&edge)).await?);
        Ok(())
    }

    async fn start_database(&mut self) -> anyhow::Result<()> {
        let admin_url = match self.settings.database.clone() {
            Database::External { url } => {
                log("using the PostgreSQL in DATABASE_URL");
                url
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
                create_database(&cluster).await?;
                let url = cluster.superuser_url(SERVICE_DATABASE)?;
                self.cluster = Some(cluster);
                url
            }
        };
        self.admin_url = Some(admin_url);
        Ok(())
    }

    /// The serving role's password, generated once and kept (0600) in the state directory.
    fn serving_password(&self) -> anyhow::Result<String> {
        let path = self.settings.state.join("serving-role.password");
        if let Ok(text) = fs::read_to_string(&path)
            && !text.trim().is_empty()
        {
            return Ok(text.trim().to_owned());
        }
        let password = cluster::secret()?;
        cluster::write_private(&path, &password)?;
        Ok(password)
    }

    fn admin_url(&self) -> anyhow::Result<&str> {
        self.admin_url
            .as_deref()
            .ok_or_else(|| anyhow!("the database is not started"))
    }

    fn service_url(&self) -> anyhow::Result<&str> {
        self.database_url
            .as_deref()
            .ok_or_else(|| anyhow!("the database is not started"))
    }

    /// Runs a `chameleon` subcommand to completion as `url`'s login, its output appended to the
    /// main log.
    async fn chameleon(
        &self,
        what: &str,
        args: &[&str],
        url: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let log_path = self.settings.state.join("logs/chameleon.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        process::run(
            &format!("chameleon {what}"),
            Command::new(&self.settings.bin)
                .args(args)
                .env("DATABASE_URL", url)
                .envs(env.iter().copied())
                .stdout(log.try_clone()?)
                .stderr(log),
            None,
        )
        .await
        .map_err(|e| anyhow!("{e:#}\n{}", process::tail(&log_path, 20)))
    }

    /// Installs the control plane as the administrative login (roles, migrations, grants); from
    /// then on everything runs as the serving role only (docs/database-roles.md).
    async fn migrate(&mut self) -> anyhow::Result<()> {
        log("migrating");
        let password = self.serving_password()?;
        let admin_url = self.admin_url()?.to_owned();
        self.chameleon(
            "migrate",
            &["migrate"],
            &admin_url,
            &[
                ("SERVING_ROLE", SERVING_ROLE),
                ("SERVING_PASSWORD", &password),
            ],
        )
        .await?;
        self.database_url = Some(login_as(&admin_url, SERVING_ROLE, &password)?);
        Ok(())
    }

    async fn demo(&self) -> anyhow::Result<()> {
        log("provisioning the demo tenants (if missing)");
        let keys = self.settings.state.join("demo-tenants.jsonl");
        let keys = keys.to_str().context("the state directory is not UTF-8")?;
        self.chameleon(
            "demo",
            &["demo", "--keys-file", keys],
            self.service_url()?,
            &[],
        )
        .await
    }

    /// Starts one more backend on `port`, outside nginx's upstream, on the same database and
    /// settings as the others (the benchmark's second instance). The caller stops it.
    pub async fn start_extra_backend(&self, port: u16) -> anyhow::Result<Backend> {
        let mut settings = self.backend_settings(0)?;
        settings.port = port;
        settings.metrics_port = 0;
        settings.log = self
            .settings
            .state
            .join(format!("logs/chameleon.extra-{port}.log"));
        Backend::start(&settings).await
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
            metrics_port: self
                .settings
                .metrics_port
                .checked_add(instance)
                .context("METRICS_PORT + INSTANCES is past 65535")?,
            log: self.settings.state.join(log),
            env: {
                let mut env = self.settings.backend_env.clone();
                // Where the service writes the certificates it orders (ACME_DIRECTORY_URL).
                if let Some(tls) = &self.settings.tls {
                    env.push((
                        "TLS_CERT_DIR".to_owned(),
                        tls.cert_dir.to_string_lossy().into_owned(),
                    ));
                }
                env
            },
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
            limits: self.settings.edge_limits.clone(),
            tls: self.settings.tls.clone(),
        }
    }

    /// The local certificate authority's certificate, when the stack made certificates with it.
    pub fn local_ca(&self) -> Option<PathBuf> {
        (self.settings.tls.is_some() && !self.settings.local_ca_domains.is_empty())
            .then(|| self.settings.state.join("ca/ca.crt"))
    }

    /// Keeps the stack up until a shutdown is asked for: a backend or nginx that dies is
    /// started again after a backoff (the others keep serving meanwhile: nginx sends nothing to
    /// a backend that refuses connections), unless it died `policy.max_restarts` times within
    /// `policy.window`: a crash loop ends the stack.
    pub async fn supervise(&mut self, shutdown: &mut Shutdown, policy: SupervisePolicy) -> Ended {
        let mut deaths: std::collections::HashMap<Component, Deaths> =
            std::collections::HashMap::new();
        loop {
            tokio::select! {
                name = shutdown.wait() => return Ended::Signal(name),
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            let Some((component, status)) = self.first_death() else {
                continue;
            };
            let mut last = status.to_string();
            // Restarted until it stays up, or until its deaths make a crash loop.
            loop {
                let name = self.name_of(component);
                let count = deaths.entry(component).or_default().record(policy.window);
                if count >= policy.max_restarts {
                    return Ended::CrashLoop {
                        name,
                        deaths: count,
                        window: policy.window,
                        last,
                    };
                }
                let backoff = policy.backoff(count);
                log(&format!(
                    "{name} died ({last}); restarting it in {:.1} s (death {count} of {} \
                     allowed within {} s)",
                    backoff.as_secs_f64(),
                    policy.max_restarts,
                    policy.window.as_secs()
                ));
                tokio::select! {
                    name = shutdown.wait() => return Ended::Signal(name),
                    () = tokio::time::sleep(backoff) => {}
                }
                match until_shutdown(shutdown, self.restart(component)).await {
                    Ok(()) => {
                        log(&format!("{name} restarted"));
                        break;
                    }
                    Err(err) => {
                        if let Some(signal) = shutdown.requested() {
                            return Ended::Signal(signal);
                        }
                        last = format!("{err:#}");
                    }
                }
            }
        }
    }

    /// The first component found dead, and how it ended; the dead process's group is cleared.
    fn first_death(&mut self) -> Option<(Component, ExitStatus)> {
        for (i, backend) in self.backends.iter_mut().enumerate() {
            if let Some(status) = backend.proc_mut().exited() {
                return Some((Component::Backend(i), status));
            }
        }
        let edge = self.edge.as_mut()?;
        let status = edge.proc_mut().exited()?;
        Some((Component::Edge, status))
    }

    fn name_of(&self, component: Component) -> String {
        match component {
            Component::Backend(i) => self
                .backends
                .get(i)
                .map(|b| format!("the backend on {}", b.address()))
                .unwrap_or_else(|| format!("backend {i}")),
            Component::Edge => "nginx".to_owned(),
        }
    }

    /// Starts `component` again, where it was, as it was; whatever the dead one left in its
    /// process group (nginx's workers) goes first.
    async fn restart(&mut self, component: Component) -> anyhow::Result<()> {
        match component {
            Component::Backend(i) => {
                self.backends[i].kill().await;
                let settings = self.backend_settings(u16::try_from(i)?)?;
                self.backends[i] = Backend::start(&settings).await?;
            }
            Component::Edge => {
                if let Some(edge) = self.edge.as_mut() {
                    edge.kill().await;
                }
                self.edge = Some(Edge::start(&self.edge_settings()).await?);
            }
        }
        Ok(())
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

/// The private cluster's database, created (by the superuser) if missing.
async fn create_database(cluster: &Cluster) -> anyhow::Result<()> {
    let admin = connect(&cluster.superuser_url("postgres")?).await?;
    let exists = admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&SERVICE_DATABASE],
        )
        .await?
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE {SERVICE_DATABASE}"))
            .await
            .context("creating the service database")?;
    }
    Ok(())
}

/// `url` with its user and password replaced, as a key/value connection string.
pub fn login_as(url: &str, user: &str, password: &str) -> anyhow::Result<String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .context("DATABASE_URL is not a valid connection string")?;
    config.user(user).password(password);
    Ok(to_key_value(&config))
}

/// A key/value connection string for `config` (tokio-postgres has no formatter of its own).
pub fn to_key_value(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let quote = |value: &str| format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut parts = Vec::new();
    if let Some(host) = config.get_hosts().first() {
        match host {
            Host::Tcp(name) => parts.push(format!("host={}", quote(name))),
            Host::Unix(path) => parts.push(format!("host={}", quote(&path.to_string_lossy()))),
        }
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    parts.push(format!(
        "user={}",
        quote(config.get_user().unwrap_or("postgres"))
    ));
    if let Some(password) = config.get_password() {
        parts.push(format!(
            "password={}",
            quote(&String::from_utf8_lossy(password))
        ));
    }
    parts.push(format!(
        "dbname={}",
        quote(config.get_dbname().unwrap_or("postgres"))
    ));
    parts.join(" ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_with_each_death_up_to_its_cap() {
        let policy = SupervisePolicy::default();
        let waits: Vec<f64> = (1..=6).map(|n| policy.backoff(n).as_secs_f64()).collect();
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]);
    }

    #[test]
    fn only_deaths_within_the_window_count() {
        let mut deaths = Deaths::default();
        let window = Duration::from_secs(60);
        assert_eq!(deaths.record(window), 1);
        assert_eq!(deaths.record(window), 2);
        // Deaths older than the window are forgotten.
        deaths
            .0
            .iter_mut()
            .for_each(|at| *at -= Duration::from_secs(61));
        assert_eq!(deaths.record(window), 1);
    }
}
