//! The results: `target/bench/summary.json` for machines, `docs/benchmarks.md` (with SVG plots in
//! `docs/bench/`) for people. The hand-written analysis in `docs/bench/notes.md` is appended to
//! the generated page, so a rerun refreshes the numbers without losing it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::config::Config;
use crate::fleet::{MigrateTiming, ProvisionTiming};
use crate::load::{Endpoint, Run};

pub struct HotPath {
    pub endpoint: Endpoint,
    pub service: Run,
    /// The same load straight to the service's port, without nginx.
    pub direct: Run,
    pub pgbench: Run,
    pub pgbench_pipelined: Option<Run>,
    pub static_json: Run,
}

pub struct Scale {
    pub runs: BTreeMap<&'static str, Run>,
    pub rss_mb: f64,
}

pub struct Report {
    pub quick: bool,
    pub clients: u32,
    pub seconds: u32,
    pub hot: Vec<HotPath>,
    pub scaling: BTreeMap<usize, Scale>,
    pub provisioning: Vec<ProvisionTiming>,
    pub migrate: MigrateTiming,
    pub migrate_noop: MigrateTiming,
    /// Seconds the `CHECKPOINT` after provisioning up to each tenant count took.
    pub checkpoints_s: BTreeMap<usize, f64>,
    pub service_rss_mb: f64,
    pub machine: Value,
    pub took_s: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// What the machine is: figures only mean something next to it.
pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            })
        })
        .map(|kb| round(kb / 1024.0 / 1024.0, 1))
        .unwrap_or_default();
    let pg = std::process::Command::new("pgbench")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "memory_gb": mem_gb,
        "pgbench": pg,
    })
}

impl Report {
    fn provision_curve(&self, buckets: usize) -> Vec<(usize, usize, f64, f64)> {
        let size = self.provisioning.len().div_ceil(buckets).max(1);
        self.provisioning
            .chunks(size)
            .map(|chunk| {
                let mut ms: Vec<f64> = chunk.iter().map(|t| t.ms).collect();
                ms.sort_by(f64::total_cmp);
                (
                    chunk[0].tenant,
                    chunk[chunk.len() - 1].tenant,
                    percentile(&ms, 50.0),
                    percentile(&ms, 99.0),
                )
            })
            .collect()
    }

    fn provision_percentiles(&self) -> (f64, f64) {
        let mut ms: Vec<f64> = self.provisioning.iter().map(|t| t.ms).collect();
        ms.sort_by(f64::total_cmp);
        (percentile(&ms, 50.0), percentile(&ms, 99.0))
    }

    pub fn summary(&self) -> Value {
        let mut summary = serde_json::Map::new();
        let mut p99 = serde_json::Map::new();
        let mut p50 = serde_json::Map::new();
        let mut ratios = serde_json::Map::new();
        let mut cpu = serde_json::Map::new();
        for h in &self.hot {
            let name = h.endpoint.name();
            summary.insert(format!("{name}_rps"), json!(round(h.service.rps, 0)));
            summary.insert(
                format!("{name}_ceiling_rps"),
                json!(round(h.pgbench.rps, 0)),
            );
            summary.insert(
                format!("{name}_static_rps"),
                json!(round(h.static_json.rps, 0)),
            );
            summary.insert(format!("{name}_direct_rps"), json!(round(h.direct.rps, 0)));
            cpu.insert(
                name.into(),
                json!({
                    "service_through_nginx": h.service.cpu.per_request_us(h.service.requests),
                    "service_direct": h.direct.cpu.per_request_us(h.direct.requests),
                    "pgbench": h.pgbench.cpu.per_request_us(h.pgbench.requests),
                }),
            );
            if let Some(p) = &h.pgbench_pipelined {
                summary.insert(
                    format!("{name}_pipelined_ceiling_rps"),
                    json!(round(p.rps, 0)),
                );
            }
            p99.insert(name.into(), json!(round(h.service.p99_ms, 3)));
            p99.insert(format!("{name}_ceiling"), json!(round(h.pgbench.p99_ms, 3)));
            p99.insert(
                format!("{name}_static"),
                json!(round(h.static_json.p99_ms, 3)),
            );
            p50.insert(name.into(), json!(round(h.service.p50_ms, 3)));
            p50.insert(format!("{name}_ceiling"), json!(round(h.pgbench.p50_ms, 3)));
            p50.insert(
                format!("{name}_static"),
                json!(round(h.static_json.p50_ms, 3)),
            );
            ratios.insert(
                format!("{name}_vs_pgbench"),
                json!(round(h.service.rps / h.pgbench.rps, 3)),
            );
            ratios.insert(
                format!("{name}_vs_static"),
                json!(round(h.service.rps / h.static_json.rps, 3)),
            );
            ratios.insert(
                format!("{name}_direct_vs_pgbench"),
                json!(round(h.direct.rps / h.pgbench.rps, 3)),
            );
        }
        summary.insert("p99_ms".into(), Value::Object(p99));
        summary.insert("p50_ms".into(), Value::Object(p50));
        summary.insert("ratios".into(), Value::Object(ratios));
        summary.insert("cpu_us_per_request".into(), Value::Object(cpu));

        let base = self.scaling.values().next();
        let mut scaling = serde_json::Map::new();
        for (tenants, scale) in &self.scaling {
            let mut entry = serde_json::Map::new();
            for (name, run) in &scale.runs {
                entry.insert(format!("{name}_rps"), json!(round(run.rps, 0)));
                entry.insert(format!("{name}_p99_ms"), json!(round(run.p99_ms, 3)));
                if let Some(base) = base.and_then(|b| b.runs.get(name)) {
                    entry.insert(
                        format!("{name}_p99_ratio"),
                        json!(round(run.p99_ms / base.p99_ms, 3)),
                    );
                    entry.insert(
                        format!("{name}_rps_ratio"),
                        json!(round(run.rps / base.rps, 3)),
                    );
                }
            }
            entry.insert("service_rss_mb".into(), json!(round(scale.rss_mb, 1)));
            if let Some(base) = base {
                entry.insert(
                    "rss_ratio".into(),
                    json!(round(scale.rss_mb / base.rss_mb, 3)),
                );
            }
            scaling.insert(tenants.to_string(), Value::Object(entry));
        }
        summary.insert("scaling".into(), Value::Object(scaling));
        summary.insert(
            "service_rss_mb".into(),
            json!(round(self.service_rss_mb, 1)),
        );

        let (p50, p99) = self.provision_percentiles();
        summary.insert("provision_p50_ms".into(), json!(round(p50, 2)));
        summary.insert("provision_p99_ms".into(), json!(round(p99, 2)));
        summary.insert("provisioned_tenants".into(), json!(self.provisioning.len()));
        summary.insert(
            "provision_curve".into(),
            json!(self
                .provision_curve(20)
                .iter()
                .map(|(from, to, p50, p99)| json!({"from": from, "to": to, "p50_ms": round(*p50, 2), "p99_ms": round(*p99, 2)}))
                .collect::<Vec<_>>()),
        );
        summary.insert(
            "checkpoint_after_provisioning_s".into(),
            json!(
                self.checkpoints_s
                    .iter()
                    .map(|(t, s)| (t.to_string(), round(*s, 2)))
                    .collect::<BTreeMap<_, _>>()
            ),
        );
        summary.insert(
            "migrate_all_s".into(),
            json!(round(self.migrate.seconds, 3)),
        );
        summary.insert(
            "migrate_all_noop_s".into(),
            json!(round(self.migrate_noop.seconds, 4)),
        );
        summary.insert("migrate_all_tenants".into(), json!(self.migrate.tenants));
        summary.insert("clients".into(), json!(self.clients));
        summary.insert("seconds_per_run".into(), json!(self.seconds));
        summary.insert("quick".into(), json!(self.quick));
        summary.insert("machine".into(), self.machine.clone());
        summary.insert("took_s".into(), json!(round(self.took_s, 1)));
        Value::Object(summary)
    }

    pub fn write(&self, config: &Config) -> anyhow::Result<()> {
        std::fs::create_dir_all(&config.out)?;
        std::fs::write(
            config.out.join("summary.json"),
            serde_json::to_string_pretty(&self.summary())? + "\n",
        )?;
        let plots = config.docs.join("bench");
        std::fs::create_dir_all(&plots)?;
        let curve = self.provision_curve(40);
        std::fs::write(
            plots.join("provisioning.svg"),
            line_chart(
                "Provisioning time per tenant, tenants 1 to N in order",
                "tenants already provisioned",
                "ms per tenant",
                false,
                &[
                    (
                        "p50",
                        "#2563eb",
                        curve
                            .iter()
                            .map(|(_, to, p50, _)| (*to as f64, *p50))
                            .collect(),
                    ),
                    (
                        "p99",
                        "#dc2626",
                        curve
                            .iter()
                            .map(|(_, to, _, p99)| (*to as f64, *p99))
                            .collect(),
                    ),
                ],
            ),
        )?;
        let series = |name: &'static str, color: &'static str| {
            (
                name,
                color,
                self.scaling
                    .iter()
                    .filter_map(|(t, s)| s.runs.get(name).map(|r| (*t as f64, r.p99_ms)))
                    .collect::<Vec<_>>(),
            )
        };
        std::fs::write(
            plots.join("scaling-p99.svg"),
            line_chart(
                "p99 latency through nginx vs number of tenants",
                "tenants (log scale)",
                "p99 ms",
                true,
                &[
                    series("config", "#16a34a"),
                    series("menu", "#2563eb"),
                    series("orders", "#dc2626"),
                ],
            ),
        )?;
        let notes = std::fs::read_to_string(plots.join("notes.md")).unwrap_or_default();
        std::fs::write(
            config.docs.join("benchmarks.md"),
            self.markdown() + "\n" + &notes,
        )?;
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        let quick = if self.quick {
            " (BENCH_QUICK smoke run: short and small, not for quoting)"
        } else {
            ""
        };
        writeln!(md, "# Benchmarks\n").unwrap();
        writeln!(
            md,
            "Generated by `make bench`{quick}. Machine: {} CPUs ({}), {} GiB; {}. Every figure \
             sits beside a ceiling measured in the same run on the same machine: load generator, \
             nginx, the service and PostgreSQL all share these CPUs, so read ratios, not absolutes. \
             wrk and pgbench both run {} concurrent clients for {} s after a warm-up.\n",
            self.machine["cpus"],
            self.machine["cpu"].as_str().unwrap_or("?"),
            self.machine["memory_gb"],
            self.machine["pgbench"].as_str().unwrap_or("?"),
            self.clients,
            self.seconds
        )
        .unwrap();

        writeln!(md, "## Hot paths through nginx (10 tenants)\n").unwrap();
        writeln!(md, "| path | service req/s | p50 ms | p99 ms | pgbench, same SQL tx/s | p99 ms | service / pgbench | pgbench pipelined tx/s | nginx static JSON req/s | p99 ms | service / static | service direct, no nginx req/s | direct / pgbench |").unwrap();
        writeln!(
            md,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
        .unwrap();
        for h in &self.hot {
            let pipelined = h
                .pgbench_pipelined
                .as_ref()
                .map_or("n/a".to_owned(), |p| format!("{:.0}", p.rps));
            writeln!(
                md,
                "| `{} {}` | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | **{:.2}** | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} |",
                if h.endpoint == Endpoint::Orders { "POST" } else { "GET" },
                h.endpoint.path(),
                h.service.rps,
                h.service.p50_ms,
                h.service.p99_ms,
                h.pgbench.rps,
                h.pgbench.p99_ms,
                h.service.rps / h.pgbench.rps,
                pipelined,
                h.static_json.rps,
                h.static_json.p99_ms,
                h.service.rps / h.static_json.rps,
                h.direct.rps,
                h.direct.rps / h.pgbench.rps,
            )
            .unwrap();
        }
        writeln!(
            md,
            "\n### Where the CPU goes, in µs of CPU per request (or pgbench transaction)\n"
        )
        .unwrap();
        writeln!(md, "Read from `/proc` over each measured run. Everything shares the same {} CPUs, so what nginx, the service and the load generator spend is not available to PostgreSQL.\n", self.machine["cpus"]).unwrap();
        writeln!(
            md,
            "| path | run | service | nginx | PostgreSQL | load generator | total |"
        )
        .unwrap();
        writeln!(md, "|---|---|---:|---:|---:|---:|---:|").unwrap();
        for h in &self.hot {
            for (label, run) in [
                ("through nginx", &h.service),
                ("direct", &h.direct),
                ("pgbench", &h.pgbench),
            ] {
                let per = |s: f64| s * 1e6 / run.requests.max(1) as f64;
                let c = &run.cpu;
                writeln!(
                    md,
                    "| {} | {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    h.endpoint.name(),
                    per(c.service_s),
                    per(c.nginx_s),
                    per(c.postgres_s),
                    per(c.load_generator_s),
                    per(c.service_s + c.nginx_s + c.postgres_s + c.load_generator_s),
                )
                .unwrap();
            }
        }
        let errors: u64 = self
            .hot
            .iter()
            .map(|h| h.service.errors + h.static_json.errors + h.pgbench.errors)
            .sum();
        writeln!(
            md,
            "\nErrors or non-2xx answers across these runs: {errors}.\n"
        )
        .unwrap();

        writeln!(md, "## Tenant-count scaling\n").unwrap();
        writeln!(
            md,
            "Requests pick a tenant uniformly at random (by `Host`) among the first N. Before each \
             count is measured, PostgreSQL checkpoints what provisioning and seeding wrote \
             ({}) and a {} s warm-up runs, so the figures are the steady state.\n",
            self.checkpoints_s
                .iter()
                .map(|(t, s)| format!("{s:.1} s at {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.seconds
        )
        .unwrap();
        writeln!(md, "| tenants | config req/s | p99 ms | menu req/s | p99 ms | orders req/s | p99 ms | p99 vs 10 (config / menu / orders) | service RSS MiB |").unwrap();
        writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---|---:|").unwrap();
        let base = self.scaling.values().next();
        for (tenants, scale) in &self.scaling {
            let get = |n: &str| scale.runs.get(n).cloned();
            let (c, m, o) = (get("config"), get("menu"), get("orders"));
            let ratio = |n: &str| match (scale.runs.get(n), base.and_then(|b| b.runs.get(n))) {
                (Some(r), Some(b)) => format!("{:.2}", r.p99_ms / b.p99_ms),
                _ => "?".into(),
            };
            let cell = |r: &Option<Run>| {
                r.as_ref().map_or("? | ?".into(), |r| {
                    format!("{:.0} | {:.2}", r.rps, r.p99_ms)
                })
            };
            writeln!(
                md,
                "| {tenants} | {} | {} | {} | {} / {} / {} | {:.1} |",
                cell(&c),
                cell(&m),
                cell(&o),
                ratio("config"),
                ratio("menu"),
                ratio("orders"),
                scale.rss_mb
            )
            .unwrap();
        }
        writeln!(md, "\n![p99 vs tenants](bench/scaling-p99.svg)\n").unwrap();

        let (p50, p99) = self.provision_percentiles();
        writeln!(md, "## Provisioning\n").unwrap();
        writeln!(
            md,
            "{} tenants provisioned one after another through nginx and `POST /api/v1/sys/provision` \
             (row, schema, role, grants, migrations, commit): **p50 {p50:.1} ms, p99 {p99:.1} ms** per tenant.\n",
            self.provisioning.len()
        )
        .unwrap();
        writeln!(md, "| tenants | p50 ms | p99 ms |\n|---|---:|---:|").unwrap();
        for (from, to, p50, p99) in self.provision_curve(10) {
            writeln!(md, "| {from}–{to} | {p50:.1} | {p99:.1} |").unwrap();
        }
        writeln!(md, "\n![provisioning curve](bench/provisioning.svg)\n").unwrap();
        writeln!(md, "## Fleet migrations\n").unwrap();
        writeln!(
            md,
            "| `migrate_all` over {} tenants | seconds |\n|---|---:|\n| one new migration (`ALTER TABLE menu_items ADD COLUMN`) in every schema | {:.2} |\n| nothing to do | {:.4} |\n",
            self.migrate.tenants, self.migrate.seconds, self.migrate_noop.seconds
        )
        .unwrap();
        writeln!(
            md,
            "Service RSS at the end: {:.1} MiB. The whole run took {:.0} s.\n",
            self.service_rss_mb, self.took_s
        )
        .unwrap();
        md
    }
}

/// One line of a chart: its name, its colour, its points.
type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// A small SVG line chart: no plotting library, no fonts to load.
fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    log_x: bool,
    series: &[Series<'_>],
) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 360.0, 64.0, 24.0, 40.0, 48.0);
    let points: Vec<(f64, f64)> = series.iter().flat_map(|s| s.2.iter().copied()).collect();
    let fx = |x: f64| if log_x { x.max(1.0).log10() } else { x };
    let (x_min, x_max) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(fx(p.0)), hi.max(fx(p.0)))
    });
    let y_max = points.iter().fold(0.0f64, |hi, p| hi.max(p.1)) * 1.1;
    let (x_min, x_max) = if x_max > x_min {
        (x_min, x_max)
    } else {
        (x_min - 1.0, x_max + 1.0)
    };
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let sx = |x: f64| left + (fx(x) - x_min) / (x_max - x_min) * (w - left - right);
    let sy = |y: f64| h - bottom - y / y_max * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{title}</text>\n",
        w / 2.0
    );
    for i in 0..=4 {
        let y = y_max * f64::from(i) / 4.0;
        let py = sy(y);
        writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#e5e7eb\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{y:.1}</text>",
            x2 = w - right,
            tx = left - 6.0,
            ty = py + 4.0
        )
        .unwrap();
    }
    let ticks: Vec<f64> = if log_x {
        series
            .iter()
            .flat_map(|s| s.2.iter().map(|p| p.0))
            .collect()
    } else {
        (0..=4)
            .map(|i| x_min + (x_max - x_min) * f64::from(i) / 4.0)
            .collect()
    };
    for x in ticks {
        writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{x:.0}</text>",
            sx(x),
            h - bottom + 16.0
        )
        .unwrap();
    }
    writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{x_label}</text>\n<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{y_label}</text>",
        w / 2.0,
        h - 10.0,
        h / 2.0,
        h / 2.0
    )
    .unwrap();
    for (i, (name, color, data)) in series.iter().enumerate() {
        let path: Vec<String> = data
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        )
        .unwrap();
        for (x, y) in data {
            writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"/>",
                sx(*x),
                sy(*y)
            )
            .unwrap();
        }
        let ly = top + 14.0 * i as f64;
        writeln!(
            svg,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{name}</text>",
            w - right - 90.0,
            w - right - 70.0,
            w - right - 64.0,
            ly + 4.0
        )
        .unwrap();
    }
    svg.push_str("</svg>\n");
    svg
}
