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
        let mut config = template
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
