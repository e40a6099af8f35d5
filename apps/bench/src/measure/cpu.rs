//! Where the CPU went during a run: CPU seconds per process group (the service, nginx,
//! PostgreSQL, the load generator), read from `/proc` before and after.
//!
//! On a machine where everything shares the same cores, this is what explains a ratio: a request
//! through nginx costs nginx's and the service's CPU on top of PostgreSQL's, and the load
//! generator's too.

use std::collections::HashMap;

use crate::summary::{CpuPerRequest, round};

/// Clock ticks per second of `/proc/*/stat` times (`getconf CLK_TCK`; 100 on Linux).
const TICKS: f64 = 100.0;

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// pid → (name, user + system ticks).
    processes: HashMap<u32, (String, u64)>,
    /// Ticks of terminated children of the postmaster (backends that came and went).
    postmaster_children: u64,
    /// Ticks of our own terminated children (wrk, pgbench).
    own_children: u64,
}

/// CPU seconds per group over a run.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub service_s: f64,
    pub nginx_s: f64,
    pub postgres_s: f64,
    pub load_generator_s: f64,
}

impl Usage {
    /// Microseconds of CPU per request or transaction, per group.
    pub fn per_request(&self, requests: u64) -> CpuPerRequest {
        let per = |seconds: f64| {
            if requests == 0 {
                0.0
            } else {
                round(seconds * 1e6 / requests as f64, 2)
            }
        };
        CpuPerRequest {
            service: per(self.service_s),
            nginx: per(self.nginx_s),
            postgres: per(self.postgres_s),
            load_generator: per(self.load_generator_s),
        }
    }
}

fn stat_fields(path: &str) -> Option<(String, Vec<u64>)> {
    let stat = std::fs::read_to_string(path).ok()?;
    // comm is in parentheses and may contain spaces: split after the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_owned();
    let rest: Vec<u64> = stat[close + 2..]
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    Some((name, rest))
}

/// Fields after `comm` start at field 3 (state), so field n is `rest[n - 3]`.
fn field(rest: &[u64], n: usize) -> u64 {
    rest.get(n - 3).copied().unwrap_or(0)
}

/// CPU ticks of every process now, of the postmaster's terminated children (`postmaster_pid`),
/// and of our own (wrk and pgbench, once they have been waited for).
pub fn snapshot(postmaster_pid: Option<u32>) -> Snapshot {
    let mut snap = Snapshot::default();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some((name, rest)) = stat_fields(&format!("/proc/{pid}/stat")) {
                // utime (14) + stime (15)
                snap.processes
                    .insert(pid, (name, field(&rest, 14) + field(&rest, 15)));
                if Some(pid) == postmaster_pid {
                    // cutime (16) + cstime (17)
                    snap.postmaster_children = field(&rest, 16) + field(&rest, 17);
                }
            }
        }
    }
    if let Some((_, rest)) = stat_fields("/proc/self/stat") {
        snap.own_children = field(&rest, 16) + field(&rest, 17);
    }
    snap
}

/// What each group spent between `before` and `after`. nginx, PostgreSQL and the load
/// generators are recognised by their process names, the service by its pid.
pub fn usage(before: &Snapshot, after: &Snapshot, service_pid: u32) -> Usage {
    let mut usage = Usage::default();
    for (pid, (name, ticks)) in &after.processes {
        let earlier = before.processes.get(pid).map_or(0, |(_, t)| *t);
        let seconds = ticks.saturating_sub(earlier) as f64 / TICKS;
        if *pid == service_pid {
            usage.service_s += seconds;
        } else if name == "nginx" {
            usage.nginx_s += seconds;
        } else if name == "postgres" {
            usage.postgres_s += seconds;
        } else if name == "wrk" || name == "pgbench" {
            usage.load_generator_s += seconds;
        }
    }
    usage.postgres_s += after
        .postmaster_children
        .saturating_sub(before.postmaster_children) as f64
        / TICKS;
    usage.load_generator_s += after.own_children.saturating_sub(before.own_children) as f64 / TICKS;
    usage
}
