//! nginx, from the project's own template (`deploy/nginx/nginx.conf.template`), never the
//! system's default site: configuration, temporary files and logs all live in one directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::Signal;
use tokio::process::Command;

use crate::edge_limits::EdgeLimits;
use crate::probe;
use crate::process::{self, Proc};

/// What the template needs.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// Where the rendered configuration, temporary files and logs go.
    pub dir: PathBuf,
    /// The public port.
    pub port: u16,
    /// The backends, `host:port`, one upstream server each.
    pub backends: Vec<String>,
    /// The storefront build served at `/`.
    pub web_root: PathBuf,
    pub template: PathBuf,
    pub limits: EdgeLimits,
    /// HTTPS beside HTTP; `None`: HTTP only.
    pub tls: Option<EdgeTls>,
}

/// HTTPS at the edge (README: "HTTPS").
#[derive(Debug, Clone)]
pub struct EdgeTls {
    /// `TLS_PORT`.
    pub port: u16,
    /// `TLS_CERT_DIR`: `<name>.crt` (the chain) and `<name>.key` per domain, read by nginx per
    /// handshake (a new certificate needs no reload).
    pub cert_dir: PathBuf,
    /// `TLS_REDIRECT=1`: plain HTTP is redirected to HTTPS (but the ACME challenge and the
    /// health checks).
    pub redirect: bool,
    /// The HTTPS port clients see, for the redirect (`TLS_PUBLIC_PORT`; default `port`).
    pub public_port: u16,
}

impl EdgeTls {
    /// From `TLS_PORT` (default 8443; empty: no HTTPS), `TLS_CERT_DIR` (default
    /// `default_cert_dir`), `TLS_REDIRECT` and `TLS_PUBLIC_PORT`.
    pub fn from_env(default_cert_dir: &Path) -> anyhow::Result<Option<EdgeTls>> {
        let port = match std::env::var("TLS_PORT") {
            Ok(value) if value.trim().is_empty() => return Ok(None),
            Ok(value) => value
                .trim()
                .parse()
                .context("TLS_PORT must be a port number (or empty: no HTTPS)")?,
            Err(_) => 8443,
        };
        let redirect = match std::env::var("TLS_REDIRECT").as_deref().map(str::trim) {
            Ok("1" | "true" | "yes") => true,
            Ok("" | "0" | "false" | "no") | Err(_) => false,
            Ok(other) => anyhow::bail!("TLS_REDIRECT must be 1 or 0, got {other:?}"),
        };
        let public_port = match std::env::var("TLS_PUBLIC_PORT") {
            Ok(value) if !value.trim().is_empty() => value
                .trim()
                .parse()
                .context("TLS_PUBLIC_PORT must be a port number")?,
            _ => port,
        };
        let cert_dir = std::env::var_os("TLS_CERT_DIR")
            .filter(|v| !v.is_empty())
            .map_or_else(|| default_cert_dir.to_owned(), PathBuf::from);
        Ok(Some(EdgeTls {
            port,
            cert_dir,
            redirect,
            public_port,
        }))
    }

    /// The server block's HTTPS directives: Mozilla's "intermediate" profile (TLS 1.2 and
    /// 1.3, forward-secret AEAD ciphers only), the certificate chosen by SNI.
    fn directives(&self) -> anyhow::Result<String> {
        let dir = path_str(&self.cert_dir)?;
        if dir.contains([' ', ';', '"', '\'', '$', '{', '}']) {
            anyhow::bail!("TLS_CERT_DIR {dir:?} holds a character nginx's configuration cannot");
        }
        Ok(format!(
            "listen 0.0.0.0:{port} ssl http2 default_server;
        ssl_certificate {dir}/$ssl_server_name.crt;
        ssl_certificate_key {dir}/$ssl_server_name.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:tls:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;",
            port = self.port
        ))
    }
}

impl EdgeSettings {
    /// Renders the template into `dir/nginx.conf` and returns its path.
    pub fn render(&self) -> anyhow::Result<PathBuf> {
        for sub in ["tmp", "conf.d"] {
            fs::create_dir_all(self.dir.join(sub))
                .with_context(|| format!("creating {}", self.dir.join(sub).display()))?;
        }
        let template = fs::read_to_string(&self.template)
            .with_context(|| format!("reading {}", self.template.display()))?;
        let upstream: String = self
            .backends
            .iter()
            .map(|backend| format!("server {backend} max_fails=1 fail_timeout=2s;"))
            .collect::<Vec<_>>()
            .join("\n        ");
        self.limits.check()?;
        let (tls, redirect, redirect_port) = match &self.tls {
            Some(tls) => (
                tls.directives()?,
                if tls.redirect { "1" } else { "0" },
                if tls.public_port == 443 {
                    String::new()
                } else {
                    format!(":{}", tls.public_port)
                },
            ),
            None => (
                "# (no HTTPS: TLS_PORT is empty)".to_owned(),
                "0",
                String::new(),
            ),
        };
        // A root master runs its workers as nobody:nogroup, the group key files are given to
        // (see `certs`); under anyone else, nginx runs as that user and needs no directive.
        let worker_user = if nix::unistd::geteuid().is_root() {
            format!("user nobody {};", crate::certs::WORKER_GROUP)
        } else {
            "# (workers run as this user)".to_owned()
        };
        let mut config = template
            .replace("@WORKER_USER@", &worker_user)
            .replace("@TLS@", &tls)
            .replace("@TLS_REDIRECT@", redirect)
            .replace("@TLS_REDIRECT_PORT@", &redirect_port)
            .replace("@STATE_DIR@", &path_str(&self.dir)?)
            .replace("@PORT@", &self.port.to_string())
            .replace("@UPSTREAM_SERVERS@", &upstream)
            .replace("@WEB_ROOT@", &path_str(&self.web_root)?);
        for (placeholder, value) in self.limits.placeholders() {
            config = config.replace(placeholder, &value);
        }
        if let Some(left) = unfilled_placeholder(&config) {
            anyhow::bail!("the nginx template has a placeholder nobody fills: {left}");
        }
        let path = self.dir.join("nginx.conf");
        fs::write(&path, config).with_context(|| format!("writing {}", path.display()))?;
        // nginx keeps the mode of a log file that exists: no one but its owner and group reads
        // the logs (they name clients and domains).
        for log in ["access.log", "error.log"] {
            let log = self.dir.join(log);
            if fs::symlink_metadata(&log).is_ok_and(|m| m.file_type().is_symlink()) {
                continue;
            }
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)?;
            fs::set_permissions(&log, std::os::unix::fs::PermissionsExt::from_mode(0o640))?;
        }
        Ok(path)
    }
}

/// An `@NAME@` left in the rendered text (named locations are `@lowercase` and never closed).
fn unfilled_placeholder(config: &str) -> Option<&str> {
    let mut rest = config;
    while let Some(start) = rest.find('@') {
        let after = &rest[start + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
            .count();
        if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'@') {
            return Some(&rest[start..start + name_len + 2]);
        }
        rest = after;
    }
    None
}

fn path_str(path: &Path) -> anyhow::Result<String> {
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

/// nginx's binary: `/usr/sbin` is not on an ordinary user's `PATH` on Debian.
pub fn nginx_bin() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

/// A running nginx.
#[derive(Debug)]
pub struct Edge {
    proc: Proc,
    dir: PathBuf,
}

impl Edge {
    /// Renders the configuration, starts nginx in the foreground of its own process group and
    /// waits until it answers `/healthz` (which it proxies to a backend).
    pub async fn start(settings: &EdgeSettings) -> anyhow::Result<Edge> {
        let config = settings.render()?;
        let mut proc = Proc::spawn(
            "nginx",
            Command::new(nginx_bin())
                .arg("-p")
                .arg(&settings.dir)
                .arg("-c")
                .arg(&config)
                .arg("-e")
                .arg(settings.dir.join("error.log"))
                .args(["-g", "daemon off;"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null()),
            None,
        )?;
        let address = format!("127.0.0.1:{}", settings.port);
        if let Err(err) =
            probe::wait_until_ok(&address, "/healthz", &mut proc, Duration::from_secs(20)).await
        {
            proc.stop(Signal::SIGKILL, Duration::from_secs(1)).await;
            return Err(err.context(process::tail(&settings.dir.join("error.log"), 20)));
        }
        Ok(Edge {
            proc,
            dir: settings.dir.clone(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn proc_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }

    /// Has nginx re-read its configuration (files dropped into `conf.d`, say).
    pub fn reload(&self) -> anyhow::Result<()> {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(self.pid())?),
            Signal::SIGHUP,
        )
        .context("reloading nginx")
    }

    /// SIGKILL to nginx's whole process group (the workers a dead master left, too).
    pub async fn kill(&mut self) {
        self.proc
            .stop(Signal::SIGKILL, Duration::from_secs(3))
            .await;
    }

    /// Graceful stop: requests in flight are finished.
    pub async fn stop(&mut self) {
        self.proc
            .stop(Signal::SIGQUIT, Duration::from_secs(3))
            .await;
    }

    pub fn stop_blocking(&mut self) {
        self.proc
            .stop_blocking(Signal::SIGQUIT, Duration::from_secs(3));
    }
}
