//! The headline keys of `summary.json`: flat throughputs, latencies and ratios per endpoint,
//! CPU per request, and the scaling table keyed by tenant count.
//!
//! They are derived from the figures each time the file is written, never read back. Other
//! checks read them, so their names and their rounding are kept as they first were.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Ceiling, CpuPerRequest, Endpoint, HotPath, Run, ScalingPoint, Summary, round};

/// The headline keys; `throughput` is flattened into the top level of the file.
#[derive(Debug, Default, Serialize)]
pub struct Headline {
    /// `{endpoint}_rps` (through nginx), `_ceiling_rps` (pgbench), `_pipelined_ceiling_rps`,
    /// `_static_rps` and `_direct_rps`.
    #[serde(flatten)]
    throughput: BTreeMap<String, f64>,
    /// `{endpoint}` (through nginx), `{endpoint}_ceiling` (pgbench), `{endpoint}_static`.
    p99_ms: BTreeMap<String, f64>,
    p50_ms: BTreeMap<String, f64>,
    /// `{endpoint}_vs_pgbench`, `{endpoint}_vs_static`, `{endpoint}_direct_vs_pgbench`. Where
    /// the run has interleaved rounds, the endpoint's ratio against its ceiling
    /// (`config_vs_static`, `menu_vs_static`, `orders_vs_pgbench`) is their median.
    ratios: BTreeMap<String, f64>,
    /// Per endpoint: the interleaved comparison with its ceiling.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    against_ceiling: BTreeMap<Endpoint, AgainstCeiling>,
    /// Per endpoint: `service_through_nginx`, `service_direct` and `pgbench`.
    cpu_us_per_request: BTreeMap<Endpoint, BTreeMap<&'static str, CpuPerRequest>>,
    /// `p50_ms`, `p99_ms`, `max_ms`: a write through one instance until another serves it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    cross_instance_staleness: BTreeMap<&'static str, f64>,
    /// Per tenant count: `{endpoint}_rps`, `_p99_ms`, and both against the first count;
    /// `service_rss_mb` and `rss_ratio`.
    scaling: BTreeMap<usize, BTreeMap<String, f64>>,
}

impl Headline {
    pub fn of(summary: &Summary) -> Headline {
        let mut headline = Headline::default();
        for hot in &summary.hot_paths {
            headline.add_hot_path(hot);
        }
        if let Some(cost) = &summary.idempotency {
            headline
                .ratios
                .insert("orders_with_key_vs_without".into(), cost.ratio());
        }
        if let Some(staleness) = &summary.staleness {
            headline.cross_instance_staleness = BTreeMap::from([
                ("p50_ms", staleness.p50_ms),
                ("p99_ms", staleness.p99_ms),
                ("max_ms", staleness.max_ms),
            ]);
        }
        if let Some(base) = summary.scaling_runs.first() {
            for point in &summary.scaling_runs {
                headline
                    .scaling
                    .insert(point.tenants, scaling_entry(point, base));
            }
        }
        headline
    }

    fn add_hot_path(&mut self, hot: &HotPath) {
        let name = hot.endpoint.name();
        let mut rps = |key: String, run: &Run| self.throughput.insert(key, round(run.rps, 0));
        rps(format!("{name}_rps"), &hot.through_nginx);
        rps(format!("{name}_ceiling_rps"), &hot.pgbench);
        rps(format!("{name}_static_rps"), &hot.static_json);
        rps(format!("{name}_direct_rps"), &hot.direct);
        if let Some(pipelined) = &hot.pgbench_pipelined {
            rps(format!("{name}_pipelined_ceiling_rps"), pipelined);
        }
        for (suffix, run) in [
            ("", &hot.through_nginx),
            ("_ceiling", &hot.pgbench),
            ("_static", &hot.static_json),
        ] {
            let key = format!("{name}{suffix}");
            if let Some(p99) = run.p99_ms {
                self.p99_ms.insert(key.clone(), round(p99, 3));
            }
            if let Some(p50) = run.p50_ms {
                self.p50_ms.insert(key, round(p50, 3));
            }
        }
        self.ratios.insert(
            format!("{name}_vs_pgbench"),
            round(hot.through_nginx_vs_pgbench(), 3),
        );
        self.ratios.insert(
            format!("{name}_vs_static"),
            round(hot.through_nginx_vs_static(), 3),
        );
        self.ratios.insert(
            format!("{name}_direct_vs_pgbench"),
            round(hot.direct_vs_pgbench(), 3),
        );
        if let Some(comparison) = &hot.comparison {
            let key = match comparison.ceiling {
                Ceiling::NginxStatic => format!("{name}_vs_static"),
                Ceiling::Pgbench => format!("{name}_vs_pgbench"),
            };
            self.ratios.insert(key, round(comparison.median_ratio(), 3));
            let (lowest, highest) = comparison.spread();
            let (service, ceiling) = comparison.median_rps();
            self.against_ceiling.insert(
                hot.endpoint,
                AgainstCeiling {
                    ceiling: comparison.ceiling,
                    rounds: comparison.rounds.len(),
                    median_ratio: round(comparison.median_ratio(), 3),
                    lowest_ratio: round(lowest, 3),
                    highest_ratio: round(highest, 3),
                    service_median_rps: round(service, 0),
                    ceiling_median_rps: round(ceiling, 0),
                },
            );
        }
        let cpu: BTreeMap<&'static str, CpuPerRequest> = [
            ("service_through_nginx", &hot.through_nginx),
            ("service_direct", &hot.direct),
            ("pgbench", &hot.pgbench),
        ]
        .into_iter()
        .filter_map(|(key, run)| Some((key, run.cpu_us_per_request?.rounded(1))))
        .collect();
        if !cpu.is_empty() {
            self.cpu_us_per_request.insert(hot.endpoint, cpu);
        }
    }
}

/// An endpoint against its ceiling, over the interleaved rounds.
#[derive(Debug, Serialize)]
struct AgainstCeiling {
    ceiling: Ceiling,
    rounds: usize,
    median_ratio: f64,
    lowest_ratio: f64,
    highest_ratio: f64,
    service_median_rps: f64,
    ceiling_median_rps: f64,
}

/// One row of the scaling table, with ratios against `base` (the first tenant count).
fn scaling_entry(point: &ScalingPoint, base: &ScalingPoint) -> BTreeMap<String, f64> {
    let mut entry = BTreeMap::new();
    for (endpoint, run) in &point.runs {
        let name = endpoint.name();
        entry.insert(format!("{name}_rps"), round(run.rps, 0));
        if let Some(p99) = run.p99_ms {
            entry.insert(format!("{name}_p99_ms"), round(p99, 3));
        }
        let Some(base_run) = base.runs.get(endpoint) else {
            continue;
        };
        entry.insert(
            format!("{name}_rps_ratio"),
            round(run.rps / base_run.rps, 3),
        );
        if let (Some(p99), Some(base_p99)) = (run.p99_ms, base_run.p99_ms) {
            entry.insert(format!("{name}_p99_ratio"), round(p99 / base_p99, 3));
        }
    }
    entry.insert("service_rss_mb".into(), round(point.service_rss_mb, 1));
    entry.insert(
        "rss_ratio".into(),
        round(point.service_rss_mb / base.service_rss_mb, 3),
    );
    entry
}
