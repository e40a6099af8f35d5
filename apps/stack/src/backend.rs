//! The backend: `chameleon serve`, one process per instance.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::Signal;
use tokio::process::Command;

use crate::probe;
use crate::process::{self, Proc};
use crate::users::OsUser;

/// How to start one backend.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// The `chameleon` binary.
    pub bin: PathBuf,
    /// The serving role's connection string.
    pub database_url: String,
    pub admin_token: String,
    pub host: String,
    pub port: u16,
    /// Its Prometheus listener's port (`METRICS_ADDR` is `host:metrics_port`).
    pub metrics_port: u16,
    /// stdout and stderr go here (appended).
    pub log: PathBuf,
    /// Set in the backend's environment, on top of ours.
    pub env: Vec<(String, String)>,
    /// Run as this user (when we are root).
    pub user: Option<OsUser>,
}

impl BackendSettings {
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// A running backend.
#[derive(Debug)]
pub struct Backend {
    proc: Proc,
    address: String,
    log: PathBuf,
}

impl Backend {
    /// Starts `chameleon serve --no-migrate` and waits until it answers `/healthz`.
    pub async fn start(settings: &BackendSettings) -> anyhow::Result<Backend> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&settings.log)
            .with_context(|| format!("opening {}", settings.log.display()))?;
        let mut command = Command::new(&settings.bin);
        command
            .args(["serve", "--no-migrate"])
            .env("DATABASE_URL", &settings.database_url)
            .env("ADMIN_TOKEN", &settings.admin_token)
            .env("API_HOST", &settings.host)
            .env("API_PORT", settings.port.to_string())
            .env(
                "METRICS_ADDR",
                format!("{}:{}", settings.host, settings.metrics_port),
            )
            .envs(settings.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let mut proc = Proc::spawn(
            &format!("backend :{}", settings.port),
            &mut command,
            settings.user.as_ref(),
        )?;
        let address = settings.address();
        if let Err(err) =
            probe::wait_until_ok(&address, "/healthz", &mut proc, Duration::from_secs(60)).await
        {
            proc.stop(Signal::SIGKILL, Duration::from_secs(1)).await;
            return Err(err.context(process::tail(&settings.log, 20)));
        }
        Ok(Backend {
            proc,
            address,
            log: settings.log.clone(),
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    pub fn proc_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }

    /// SIGTERM: the backend stops accepting, finishes what is in flight and closes its pool.
    pub async fn stop(&mut self) {
        self.proc
            .stop(Signal::SIGTERM, Duration::from_secs(5))
            .await;
    }

    /// SIGKILL: gone at once, requests in flight and all (a crash, an OOM kill).
    pub async fn kill(&mut self) {
        self.proc
            .stop(Signal::SIGKILL, Duration::from_secs(5))
            .await;
    }

    pub fn stop_blocking(&mut self) {
        self.proc
            .stop_blocking(Signal::SIGTERM, Duration::from_secs(5));
    }
}
