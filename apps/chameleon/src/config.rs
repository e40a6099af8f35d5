//! The command line and environment, parsed once into typed values. Every option can be given
//! as a flag or as the environment variable named in its help.

use std::path::PathBuf;

use anyhow::Context as _;
use std::time::Duration;

use crate::startup::CacheSettings;
use chameleon_acme::AcmeSettings;
use chameleon_core::service::MenuLimits;
use chameleon_http::passwords::Hasher;
use chameleon_http::state::StaffSettings;
use chameleon_http::{Access, Networks};
use chameleon_postgres::{DirectoryCacheSettings, MenuCacheSettings, PgSettings, SessionLimits};
use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

fn secret(raw: &str) -> Result<SecretString, String> {
    if raw.trim().is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(raw))
}

/// The shortest admin token accepted: it guards provisioning of every tenant.
const ADMIN_TOKEN_MIN_CHARS: usize = 32;

fn admin_token(raw: &str) -> Result<SecretString, String> {
    let chars = raw.trim().chars().count();
    if chars < ADMIN_TOKEN_MIN_CHARS {
        return Err(format!(
            "must be at least {ADMIN_TOKEN_MIN_CHARS} characters (got {chars}); make one with \
             `openssl rand -hex 32` or `head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'`"
        ));
    }
    Ok(SecretString::from(raw.trim()))
}

/// Secrets that may come from a file named by `<NAME>_FILE` (compose's `secrets:`, mounted
/// under `/run/secrets/`), so that no secret has to be an environment variable of a container.
const SECRETS_FROM_FILES: [&str; 3] = ["DATABASE_URL", "ADMIN_TOKEN", "SERVING_PASSWORD"];

/// Reads every `<NAME>_FILE` of [`SECRETS_FROM_FILES`] into `<NAME>` (one trailing newline
/// dropped), and `DATABASE_PASSWORD_FILE` into `DATABASE_URL`'s password (a `key=value`
/// connection string: `host=postgres user=chameleon ...`). Setting both a variable and its
/// `_FILE` is refused: which one wins would be a guess.
///
/// The values reach the command line parser through the environment, which only a new process
/// image may be given without `unsafe` (the crate forbids it): when there is anything to read,
/// this executes the binary again with the values set and the `_FILE` variables removed, and
/// does not return. Called first thing in `main`.
pub fn secrets_from_files() -> anyhow::Result<()> {
    let read = |file_var: &str| -> anyhow::Result<Option<String>> {
        let Some(path) = std::env::var_os(file_var).filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{file_var}: reading {}", PathBuf::from(&path).display()))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Ok(Some(text.strip_suffix('\r').unwrap_or(text).to_owned()))
    };
    let mut set: Vec<(String, String)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for name in SECRETS_FROM_FILES {
        let file_var = format!("{name}_FILE");
        if let Some(value) = read(&file_var)? {
            anyhow::ensure!(
                std::env::var_os(name).is_none(),
                "both {name} and {file_var} are set: set one"
            );
            set.push((name.to_owned(), value));
            removed.push(file_var);
        }
    }
    if let Some(password) = read("DATABASE_PASSWORD_FILE")? {
        let url = set
            .iter()
            .find(|(name, _)| name == "DATABASE_URL")
            .map(|(_, url)| url.clone())
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .context("DATABASE_PASSWORD_FILE needs DATABASE_URL (without its password)")?;
        anyhow::ensure!(
            !url.contains("://") && !url.contains("password="),
            "DATABASE_PASSWORD_FILE needs DATABASE_URL as key=value pairs without a password \
             (host=... user=... dbname=...)"
        );
        let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
        set.retain(|(name, _)| name != "DATABASE_URL");
        set.push((
            "DATABASE_URL".to_owned(),
            format!("{url} password='{quoted}'"),
        ));
        removed.push("DATABASE_PASSWORD_FILE".to_owned());
    }
    if set.is_empty() {
        return Ok(());
    }
    use std::os::unix::process::CommandExt as _;
    let exe = std::env::current_exe().context("finding this binary to run it again")?;
    let mut again = std::process::Command::new(exe);
    again.args(std::env::args_os().skip(1)).envs(set);
    for name in removed {
        again.env_remove(name);
    }
    Err(anyhow::Error::new(again.exec()).context("running this binary again with its secrets"))
}

fn networks(raw: &str) -> Result<Networks, String> {
    Networks::parse(raw).map_err(|err| err.to_string())
}

fn at_least_one(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number of at least 1, got {raw:?}")),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "chameleon",
    version,
    about = "Multi-tenant, white-label restaurant ordering"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection string (URL or key=value). Its role needs what
    /// docs/database-roles.md lists.
    #[arg(long, env = "DATABASE_URL", value_parser = secret, hide_env_values = true, global = true)]
    pub database_url: Option<SecretString>,

    /// Database connections kept at most.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: usize,

    /// Connections per tenant group, per worker: each tenant's transactions always use its
    /// group's connections, so each PostgreSQL backend only ever loads the tables of its
    /// group's tenants (docs/scaling.md). Control-plane work gets as many again, per worker.
    /// 0: one pool for everything.
    #[arg(long, env = "DB_TENANT_GROUP_SIZE", default_value_t = 2, global = true)]
    pub db_tenant_group_size: usize,

    /// Milliseconds a request may wait for a free database connection before it gets 503.
    #[arg(
        long,
        env = "DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,

    /// Milliseconds one of the service's statements may run before the server cancels it (the
    /// request gets 503). 0: no limit. Not applied to `migrate`.
    #[arg(
        long,
        env = "DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    pub db_statement_timeout_ms: u64,

    /// Milliseconds a statement may wait for a lock (the request gets 503). 0: no limit.
    #[arg(
        long,
        env = "DB_LOCK_TIMEOUT_MS",
        default_value_t = 2000,
        global = true
    )]
    pub db_lock_timeout_ms: u64,

    /// Milliseconds a connection may sit idle inside a transaction before the server ends it.
    /// 0: no limit.
    #[arg(
        long,
        env = "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        default_value_t = 10000,
        global = true
    )]
    pub db_idle_in_transaction_timeout_ms: u64,
}

impl DatabaseArgs {
    pub fn settings(&self) -> anyhow::Result<PgSettings> {
        let url = self
            .database_url
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL (or --database-url) is required"))?;
        let mut settings = PgSettings::new(url.expose_secret());
        settings.max_connections = self.db_pool_size.max(1);
        settings.acquire_timeout = Duration::from_millis(self.db_acquire_timeout_ms.max(1));
        Ok(settings)
    }

    /// [`DatabaseArgs::settings`] with the session limits of a service answering requests.
    pub fn serving_settings(&self) -> anyhow::Result<PgSettings> {
        let limit = |ms: u64| (ms > 0).then(|| Duration::from_millis(ms));
        let mut settings = self.settings()?;
        settings.tenant_group_size = self.db_tenant_group_size;
        settings.limits = SessionLimits {
            statement_timeout: limit(self.db_statement_timeout_ms),
            lock_timeout: limit(self.db_lock_timeout_ms),
            idle_in_transaction_timeout: limit(self.db_idle_in_transaction_timeout_ms),
        };
        Ok(settings)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(Box<ServeArgs>),
    /// Install the control plane (roles, migrations, grants) and bring every tenant schema to
    /// the latest migration. Needs a login that may create roles.
    Migrate(MigrateArgs),
    /// Provision one tenant and print it with its manager API key.
    Provision(ProvisionArgs),
    /// Provision the demo tenants (pizza.localhost, burger.localhost) with a few menu items,
    /// skipping any whose domain is already registered.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Behind nginx, loopback is enough.
    #[arg(long, env = "API_HOST", default_value = "127.0.0.1")]
    pub api_host: String,

    /// Port to listen on.
    #[arg(long, env = "API_PORT", default_value_t = 8081)]
    pub api_port: u16,

    /// Bearer token of the system endpoints (/api/v1/sys/*): at least 32 characters.
    #[arg(long, env = "ADMIN_TOKEN", value_parser = admin_token, hide_env_values = true)]
    pub admin_token: SecretString,

    /// HTTP worker threads (default: one per CPU).
    /// Where Prometheus scrapes `GET /metrics`: a listener of its own, never behind the public
    /// nginx.
    #[arg(long, env = "METRICS_ADDR", default_value = "127.0.0.1:9091")]
    pub metrics_addr: String,

    #[arg(long, env = "API_WORKERS")]
    pub api_workers: Option<usize>,

    /// Skip migrating the control plane and the tenant schemas at start-up.
    #[arg(long)]
    pub no_migrate: bool,

    /// Seconds a resolved tenant (domain or id) is reused before it is read again, while this
    /// instance does not hear invalidations (starting, or reconnecting to PostgreSQL).
    #[arg(long, env = "TENANT_CACHE_TTL_SECS", default_value_t = 60)]
    pub tenant_cache_ttl_secs: u64,

    /// The same while it does: every change to a tenant, through any instance or by SQL,
    /// invalidates every instance's entry at once, so this only spreads the re-reads.
    #[arg(long, env = "TENANT_CACHE_TTL_SYNCED_SECS", default_value_t = 600)]
    pub tenant_cache_ttl_synced_secs: u64,

    /// Seconds between reloads of the set of every registered domain and id (in the
    /// background): the longest a tenant provisioned by another instance may go unknown here.
    #[arg(long, env = "TENANT_KNOWN_REFRESH_SECS", default_value_t = 30)]
    pub tenant_known_refresh_secs: u64,

    /// Database lookups a second, for the whole process, of domains and ids that are not in that
    /// set: what a flood of unknown hosts can cost at most.
    #[arg(long, env = "TENANT_MISS_LOOKUPS_PER_SEC", default_value_t = 20)]
    pub tenant_miss_lookups_per_sec: u32,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT before the server stops
    /// anyway.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// Seconds between SIGTERM and the server closing its listener: readiness answers 503
    /// meanwhile, so a load balancer that polls it stops sending requests first. 0 under nginx,
    /// which passes a request the listener refuses to another backend.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 0)]
    pub shutdown_drain_secs: u64,

    /// Seconds a storefront menu is reused while this instance does not hear invalidations.
    #[arg(long, env = "MENU_CACHE_TTL_SECS", default_value_t = 30)]
    pub menu_cache_ttl_secs: u64,

    /// The same while it does: menu writes through any instance invalidate every instance's
    /// entry at once, so this bounds only how long a manual SQL edit of a menu goes unseen.
    #[arg(long, env = "MENU_CACHE_TTL_SYNCED_SECS", default_value_t = 300)]
    pub menu_cache_ttl_synced_secs: u64,

    /// Addresses and networks (comma- or space-separated) that may reach /api/v1/sys/: the same
    /// variable nginx applies in front; the service applies it too. Others get 404.
    #[arg(long, env = "SYS_ALLOW", default_value = "127.0.0.1,::1", value_parser = networks)]
    pub sys_allow: Networks,

    /// Networks of the proxies in front (a TLS load balancer; nginx, when not on this host)
    /// whose `X-Real-IP` names the client. Loopback is always trusted (nginx beside the
    /// service). Empty by default.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = networks)]
    pub trusted_proxies: Networks,

    /// Menu items a restaurant may have at most (422 `limit_reached` past it).
    #[arg(long, env = "MAX_MENU_ITEMS", default_value = "2000", value_parser = at_least_one)]
    pub max_menu_items: usize,

    /// Categories a restaurant may have at most (422 `limit_reached` past it).
    #[arg(long, env = "MAX_CATEGORIES", default_value = "200", value_parser = at_least_one)]
    pub max_categories: usize,

    /// Option groups a restaurant may have at most (422 `limit_reached` past it).
    #[arg(long, env = "MAX_OPTION_GROUPS", default_value = "200", value_parser = at_least_one)]
    pub max_option_groups: usize,

    /// Minutes a staff session may sit unused before it ends.
    #[arg(long, env = "STAFF_SESSION_IDLE_MINUTES", default_value = "720", value_parser = at_least_one)]
    pub staff_session_idle_minutes: usize,

    /// Days a staff session lasts at most, however much it is used.
    #[arg(long, env = "STAFF_SESSION_MAX_DAYS", default_value = "30", value_parser = at_least_one)]
    pub staff_session_max_days: usize,

    /// Failed sign-ins per staff account within 15 minutes before 429 `too_many_attempts`.
    #[arg(long, env = "STAFF_LOGIN_FAILURES_PER_ACCOUNT", default_value = "5", value_parser = at_least_one)]
    pub staff_login_failures_per_account: usize,

    /// Failed sign-ins per client address (each restaurant apart) within 15 minutes before 429.
    #[arg(long, env = "STAFF_LOGIN_FAILURES_PER_ADDRESS", default_value = "20", value_parser = at_least_one)]
    pub staff_login_failures_per_address: usize,

    /// Threads hashing and checking staff passwords (argon2id), apart from the HTTP workers.
    #[arg(long, env = "STAFF_PASSWORD_THREADS", default_value = "1", value_parser = at_least_one)]
    pub staff_password_threads: usize,

    /// An ACME certificate authority's directory: every registered domain gets a certificate
    /// from it, written to TLS_CERT_DIR and renewed. Empty: no certificates are ordered.
    #[arg(long, env = "ACME_DIRECTORY_URL", default_value = "")]
    pub acme_directory_url: String,

    /// Who the certificate authority may write to, e.g. mailto:ops@example.com.
    #[arg(long, env = "ACME_CONTACT")]
    pub acme_contact: Option<String>,

    /// A root certificate (PEM) the ACME client trusts for the authority's own HTTPS instead of
    /// the system's (a test authority's).
    #[arg(long, env = "ACME_CA_FILE")]
    pub acme_ca_file: Option<PathBuf>,

    /// Where certificates are written (`<domain>.crt`, `<domain>.key`): the directory nginx
    /// reads them from. Needed with ACME_DIRECTORY_URL.
    #[arg(long, env = "TLS_CERT_DIR")]
    pub tls_cert_dir: Option<PathBuf>,

    /// Days before expiry a certificate is renewed.
    #[arg(long, env = "ACME_RENEW_BEFORE_DAYS", default_value_t = 30)]
    pub acme_renew_before_days: u64,

    /// Seconds between certificate passes when nothing wakes one (a domain added wakes one at
    /// once, on every instance).
    #[arg(long, env = "ACME_POLL_SECS", default_value_t = 60)]
    pub acme_poll_secs: u64,
}

impl ServeArgs {
    pub fn access(&self) -> Access {
        let mut trusted = Networks::loopback();
        trusted.extend(&self.trusted_proxies);
        Access {
            sys_allow: Some(self.sys_allow.clone()),
            trusted_proxies: trusted,
        }
    }

    /// The certificate issuer's settings; `None` while ACME_DIRECTORY_URL is empty.
    pub fn acme(&self) -> anyhow::Result<Option<AcmeSettings>> {
        let url = self.acme_directory_url.trim();
        if url.is_empty() {
            return Ok(None);
        }
        anyhow::ensure!(
            url.starts_with("https://"),
            "ACME_DIRECTORY_URL must be an https:// URL, got {url:?}"
        );
        let cert_dir = self
            .tls_cert_dir
            .clone()
            .context("ACME_DIRECTORY_URL needs TLS_CERT_DIR: where the certificates go")?;
        let mut settings = AcmeSettings::new(url.to_owned(), cert_dir);
        settings.contact = self.acme_contact.clone().filter(|c| !c.trim().is_empty());
        settings.ca_file = self
            .acme_ca_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty());
        settings.renew_before = Duration::from_secs(self.acme_renew_before_days * 24 * 3600);
        settings.poll = Duration::from_secs(self.acme_poll_secs.max(1));
        Ok(Some(settings))
    }

    /// Staff sign-in: sessions, throttling, the password hashing pool.
    pub fn staff(&self) -> anyhow::Result<StaffSettings> {
        let mut settings = StaffSettings::defaults_with(Hasher::new(self.staff_password_threads)?);
        settings.session_idle = Duration::from_secs(self.staff_session_idle_minutes as u64 * 60);
        settings.session_max = Duration::from_secs(self.staff_session_max_days as u64 * 86_400);
        settings.failures_per_account =
            u32::try_from(self.staff_login_failures_per_account).unwrap_or(u32::MAX);
        settings.failures_per_address =
            u32::try_from(self.staff_login_failures_per_address).unwrap_or(u32::MAX);
        Ok(settings)
    }

    pub fn menu_limits(&self) -> MenuLimits {
        MenuLimits {
            items: self.max_menu_items,
            categories: self.max_categories,
            option_groups: self.max_option_groups,
        }
    }

    pub fn caches(&self) -> CacheSettings {
        CacheSettings {
            directory: DirectoryCacheSettings {
                found_ttl: Duration::from_secs(self.tenant_cache_ttl_secs),
                found_ttl_synced: Duration::from_secs(self.tenant_cache_ttl_synced_secs),
                known_refresh: Duration::from_secs(self.tenant_known_refresh_secs.max(1)),
                miss_lookups_per_second: self.tenant_miss_lookups_per_sec,
                ..DirectoryCacheSettings::default()
            },
            menu: MenuCacheSettings {
                ttl: Duration::from_secs(self.menu_cache_ttl_secs),
                ttl_synced: Duration::from_secs(self.menu_cache_ttl_synced_secs),
                ..MenuCacheSettings::default()
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,

    /// The role the service connects as: created if missing, stripped of every attribute that
    /// could escalate (SUPERUSER, CREATEROLE, ...), made a member of every tenant role.
    #[arg(long, env = "SERVING_ROLE", default_value = "chameleon")]
    pub serving_role: String,

    /// Sets (or changes) the serving role's password.
    #[arg(long, env = "SERVING_PASSWORD", value_parser = secret, hide_env_values = true)]
    pub serving_password: Option<SecretString>,

    /// Seconds to wait for another migration (another instance starting) before giving up with
    /// an error.
    #[arg(long, env = "MIGRATION_LOCK_WAIT_SECS", default_value_t = 60)]
    pub migration_lock_wait_secs: u64,

    /// Show what would be migrated (control plane and tenants, per version) and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Tenants migrated at once.
    #[arg(long, env = "MIGRATION_JOBS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,

    /// Milliseconds one tenant's migration may wait for a lock (its tables busy with a long
    /// transaction) before that tenant is reported as failed and the others go on. 0: no limit.
    #[arg(long, env = "MIGRATION_TENANT_LOCK_TIMEOUT_MS", default_value_t = 5000)]
    pub tenant_lock_timeout_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Count the tenants per schema version and list what is pending. Changes nothing.
    Status,
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// The storefront's domain, e.g. pizza.localhost.
    #[arg(long)]
    pub domain: String,
    /// Display name (default: the domain).
    #[arg(long)]
    pub name: Option<String>,
    /// `#rgb` or `#rrggbb`.
    #[arg(long, default_value = "#ff0000")]
    pub primary_color: String,
    /// A font from the allow-list (see the API docs).
    #[arg(long, default_value = "sans-serif")]
    pub font: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo tenants' ids and manager API keys (JSON, mode 600). They are
    /// not printed.
    #[arg(long, env = "DEMO_KEYS_FILE")]
    pub keys_file: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_admin_tokens_are_refused_with_a_way_to_make_one() {
        let refused = admin_token("short-token").unwrap_err();
        assert!(refused.contains("at least 32"), "{refused}");
        assert!(refused.contains("openssl rand"), "{refused}");
        assert!(admin_token(&"x".repeat(31)).is_err());
        assert!(admin_token(&"x".repeat(32)).is_ok());
    }
}
