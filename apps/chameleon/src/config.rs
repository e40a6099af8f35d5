//! The command line and environment, parsed once into typed values. Every option can be given
//! as a flag or as the environment variable named in its help.

use std::path::PathBuf;
use std::time::Duration;

use crate::startup::CacheSettings;
use chameleon_postgres::{DirectoryCacheSettings, MenuCacheSettings, PgSettings};
use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

fn secret(raw: &str) -> Result<SecretString, String> {
    if raw.trim().is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(raw))
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
}

impl DatabaseArgs {
    pub fn settings(&self) -> anyhow::Result<PgSettings> {
        let url = self
            .database_url
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL (or --database-url) is required"))?;
        let mut settings = PgSettings::new(url.expose_secret());
        settings.max_connections = self.db_pool_size.max(1);
        Ok(settings)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Bring the control plane and every tenant schema to the latest migration.
    Migrate,
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

    /// Bearer token of the system endpoints (/api/v1/sys/*).
    #[arg(long, env = "ADMIN_TOKEN", value_parser = secret, hide_env_values = true)]
    pub admin_token: SecretString,

    /// HTTP worker threads (default: one per CPU).
    #[arg(long, env = "API_WORKERS")]
    pub api_workers: Option<usize>,

    /// Skip migrating the control plane and the tenant schemas at start-up.
    #[arg(long)]
    pub no_migrate: bool,

    /// Seconds a resolved tenant (domain or id) is reused before it is read again.
    #[arg(long, env = "TENANT_CACHE_TTL_SECS", default_value_t = 60)]
    pub tenant_cache_ttl_secs: u64,

    /// Seconds an unknown domain or id is remembered as unknown.
    #[arg(long, env = "TENANT_MISS_TTL_SECS", default_value_t = 2)]
    pub tenant_miss_ttl_secs: u64,

    /// Seconds a storefront menu is reused (writes through this process invalidate it at once,
    /// so this bounds only how long a change made by another instance goes unseen).
    #[arg(long, env = "MENU_CACHE_TTL_SECS", default_value_t = 30)]
    pub menu_cache_ttl_secs: u64,
}

impl ServeArgs {
    pub fn caches(&self) -> CacheSettings {
        CacheSettings {
            directory: DirectoryCacheSettings {
                found_ttl: Duration::from_secs(self.tenant_cache_ttl_secs),
                missing_ttl: Duration::from_secs(self.tenant_miss_ttl_secs),
                ..DirectoryCacheSettings::default()
            },
            menu: MenuCacheSettings {
                ttl: Duration::from_secs(self.menu_cache_ttl_secs),
                ..MenuCacheSettings::default()
            },
        }
    }
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
