//! Child processes that the stack starts and must be able to stop, whatever happens to it.
//!
//! Every child is started in a process group of its own. A signal sent to the group the stack
//! runs in (what a terminal's Ctrl-C, systemd's default `KillMode` and `docker stop` do) then
//! reaches the stack alone, which stops its children in order: nginx before the backends, the
//! backends before PostgreSQL. Were the children in the stack's group, each would get the signal
//! at the same moment and race: PostgreSQL's "smart" shutdown, for one, waits for every client to
//! leave, and a backend mid-shutdown is such a client.

use std::path::Path;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::users::OsUser;

/// A started child, leader of its own process group.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    pgid: Pid,
    status: Option<ExitStatus>,
}

impl Proc {
    /// Starts `command` in a new process group, as `user` when given (the stack runs as root).
    pub fn spawn(name: &str, command: &mut Command, user: Option<&OsUser>) -> anyhow::Result<Proc> {
        command.process_group(0).kill_on_drop(true);
        if let Some(user) = user {
            command.uid(user.uid).gid(user.gid);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {name} ({command:?})"))?;
        let pid = child
            .id()
            .with_context(|| format!("{name} exited before it could be tracked"))?;
        let pid = i32::try_from(pid).context("a process id out of range")?;
        Ok(Proc {
            name: name.to_owned(),
            child,
            pgid: Pid::from_raw(pid),
            status: None,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id of the child (also its process group id).
    pub fn pid(&self) -> u32 {
        self.pgid.as_raw().unsigned_abs()
    }

    /// `Some(status)` once the child has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits until the child exits.
    pub async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.status = Some(status);
        Ok(status)
    }

    /// Sends `signal` to the child's whole group and waits up to `grace` for the child to exit;
    /// after that, or if the signal cannot be sent, kills the group.
    pub async fn stop(&mut self, signal: Signal, grace: Duration) {
        if self.exited().is_some() {
            self.kill_group_leftovers();
            return;
        }
        let _ = killpg(self.pgid, signal);
        if tokio::time::timeout(grace, self.wait()).await.is_err() {
            eprintln!(
                "==> {} did not stop within {grace:?}; killing it",
                self.name
            );
            let _ = killpg(self.pgid, Signal::SIGKILL);
            let _ = self.wait().await;
        }
        self.kill_group_leftovers();
    }

    /// [`Proc::stop`] for callers that cannot await (a `Drop`).
    pub fn stop_blocking(&mut self, signal: Signal, grace: Duration) {
        if self.exited().is_none() {
            let _ = killpg(self.pgid, signal);
            let deadline = Instant::now() + grace;
            while self.exited().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if self.exited().is_none() {
                let _ = killpg(self.pgid, Signal::SIGKILL);
                while self.exited().is_none() {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        self.kill_group_leftovers();
    }

    /// Whatever the leader left behind in its group (an nginx worker, say) goes too.
    fn kill_group_leftovers(&self) {
        let _ = killpg(self.pgid, Signal::SIGKILL);
    }
}

impl Drop for Proc {
    /// A child still running when its handle goes (a start abandoned midway) is killed with its
    /// whole group, so nothing outlives the stack that started it.
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = killpg(self.pgid, Signal::SIGKILL);
        }
    }
}

/// Runs `command` to completion (in its own process group, as `user` if given) and fails with
/// its output when it does not succeed.
pub async fn run(name: &str, command: &mut Command, user: Option<&OsUser>) -> anyhow::Result<()> {
    command.process_group(0).kill_on_drop(true);
    if let Some(user) = user {
        command.uid(user.uid).gid(user.gid);
    }
    let output = command
        .output()
        .await
        .with_context(|| format!("running {name}"))?;
    if !output.status.success() {
        anyhow::bail!(
            "{name} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The last `lines` lines of a log file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
