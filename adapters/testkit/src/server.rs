//! Finding a PostgreSQL server for the tests, or starting a private one.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use tokio_postgres::Config;
use tokio_postgres::config::Host;

/// The administrative connection string of the server the tests use (see the crate docs).
/// Decided once per test process.
pub fn url() -> anyhow::Result<String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    URL.get_or_init(|| discover().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!("no PostgreSQL for the tests: {e}"))
}

fn discover() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.trim().is_empty()
    {
        let config: Config = url
            .parse()
            .context("DATABASE_URL is not a valid connection string")?;
        return Ok(to_key_value(&config));
    }
    let local: SocketAddr = ([127, 0, 0, 1], 5432).into();
    if TcpStream::connect_timeout(&local, Duration::from_millis(300)).is_ok() {
        return Ok("host=127.0.0.1 port=5432 user=postgres dbname=postgres".to_owned());
    }
    private_cluster()
}

/// A key/value connection string for `config` (tokio-postgres has no formatter of its own).
pub fn to_key_value(config: &Config) -> String {
    let mut parts = Vec::new();
    if let Some(host) = config.get_hosts().first() {
        match host {
            Host::Tcp(name) => parts.push(format!("host={name}")),
            Host::Unix(path) => parts.push(format!("host={}", path.display())),
        }
    }
    if let Some(port) = config.get_ports().first() {
        parts.push(format!("port={port}"));
    }
    parts.push(format!("user={}", config.get_user().unwrap_or("postgres")));
    if let Some(password) = config.get_password() {
        parts.push(format!(
            "password='{}'",
            String::from_utf8_lossy(password).replace('\'', "\\'")
        ));
    }
    parts.push(format!(
        "dbname={}",
        config.get_dbname().unwrap_or("postgres")
    ));
    parts.join(" ")
}

/// The directory of the private cluster: `<temp>/chameleon-test-pg`. Under the temp directory
/// because the server runs as `postgres` when we are root, and every parent directory of its data
/// must be traversable by that user (a checkout under `/root` is not).
pub fn private_cluster_dir() -> PathBuf {
    std::env::temp_dir().join("chameleon-test-pg")
}

fn private_cluster() -> anyhow::Result<String> {
    let dir = private_cluster_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let lock = std::fs::File::create(dir.join("lock"))?;
    lock.lock()
        .context("locking the private cluster directory")?;

    let bin = postgres_bindir()?;
    let data = dir.join("data");
    let run = dir.join("run");
    let as_root = is_root();
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&run)?;
        if as_root {
            let mut chown = Command::new("chown");
            chown.args(["-R", "postgres:postgres"]).arg(&dir);
            run_ok(chown)?;
        }
        run_ok(pg_command(
            as_root,
            &bin.join("initdb"),
            &[
                "-D",
                path(&data)?,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        ))?;
    }
    let running = pg_command(
        as_root,
        &bin.join("pg_ctl"),
        &["status", "-D", path(&data)?],
    )
    .status()
    .map(|s| s.success())
    .unwrap_or(false);
    if !running {
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off -c max_connections=300",
            path(&run)?
        );
        let log = dir.join("server.log");
        run_ok(pg_command(
            as_root,
            &bin.join("pg_ctl"),
            &[
                "start",
                "-w",
                "-D",
                path(&data)?,
                "-l",
                path(&log)?,
                "-o",
                &options,
            ],
        ))?;
    }
    Ok(format!(
        "host={} port=5432 user=postgres dbname=postgres",
        run.display()
    ))
}

fn path(p: &Path) -> anyhow::Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", p.display()))
}

/// The newest PostgreSQL server binaries installed (Debian keeps them out of `PATH`).
fn postgres_bindir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries not found under /usr/lib/postgresql (apt install postgresql)")?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| anyhow!("no initdb under /usr/lib/postgresql/*/bin"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// `initdb` and `postgres` refuse to run as root: run them as `postgres` then.
fn pg_command(as_root: bool, program: &Path, args: &[&str]) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

fn run_ok(mut command: Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
