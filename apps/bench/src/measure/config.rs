//! How long and how hard to measure: the full run, or the `BENCH_QUICK` smoke run.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// The smoke run: short runs, few tenants. Its figures are not for quoting.
    pub quick: bool,
    /// Concurrent connections of wrk, and clients of pgbench: the same load for both.
    pub clients: u32,
    /// Seconds measured per run, after a warm-up.
    pub seconds: u32,
    pub warmup_seconds: u32,
    /// The least warm-up before each scaling run (see [`Config::scaling_warmup`]).
    pub scaling_warmup_seconds: u32,
    /// Rounds of orders without and with an `Idempotency-Key`, alternating which goes first.
    pub key_rounds: u32,
    /// Rounds of each hot path against its ceiling, alternating which goes first.
    pub comparison_rounds: u32,
    /// Writes whose cross-instance staleness is measured.
    pub staleness_samples: usize,
    /// Scratch files: wrk's Lua scripts, pgbench's scripts and transaction logs.
    pub work_dir: PathBuf,
}

impl Config {
    pub fn new(quick: bool, work_dir: PathBuf) -> Config {
        Config {
            quick,
            clients: 32,
            seconds: if quick { 3 } else { 10 },
            warmup_seconds: if quick { 1 } else { 3 },
            scaling_warmup_seconds: if quick { 3 } else { 10 },
            key_rounds: if quick { 2 } else { 5 },
            comparison_rounds: if quick { 3 } else { 4 },
            staleness_samples: if quick { 50 } else { 300 },
            work_dir,
        }
    }

    /// Warm-up before each scaling run: until steady, in 5 s windows, at least
    /// `scaling_warmup_seconds`, at most 15 s (quick) or 180 s.
    pub fn scaling_warmup(&self) -> super::wrk::WarmupPlan {
        super::wrk::WarmupPlan::UntilSteady {
            window: 5,
            min: self.scaling_warmup_seconds,
            max: if self.quick { 15 } else { 180 },
        }
    }

    /// Tenant counts at which the scaling is measured; the first is also where the hot paths
    /// are, and provisioning runs up to the last.
    pub fn checkpoints(&self) -> Vec<usize> {
        if self.quick {
            vec![10, 100, 300]
        } else {
            vec![10, 1_000, 10_000]
        }
    }
}
