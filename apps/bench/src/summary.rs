//! The figures of one run, as JSON: the one thing the measuring half ([`crate::measure`]) and
//! the rendering half ([`crate::render`]) share.
//!
//! `chameleon-bench` writes it to `target/bench/summary.json` and copies it to
//! `docs/bench/summary.json`; `chameleon-bench render` reads it back and nothing else. So every
//! figure a generated document shows is in here: the per-run figures, the provisioning buckets,
//! the CPU accounting, the scaling runs, the machine.
//!
//! The file also carries the [`headline`] keys (flat throughputs, latencies, ratios, the scaling
//! table), derived from those figures as it is written. They are what other checks read, so
//! their names and rounding stay as they are; reading the file ignores them.

mod headline;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use self::headline::Headline;

/// Where the file says, first thing, that it is generated.
const GENERATED_BY: &str = "make bench (chameleon-bench); generated, do not edit. \
    docs/bench/results.md and its SVG charts are rendered from this file \
    (chameleon-bench render); the reading of the figures is docs/benchmarks.md.";

/// A path of the storefront API under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    Config,
    Menu,
    Orders,
}

impl Endpoint {
    pub const ALL: [Endpoint; 3] = [Endpoint::Config, Endpoint::Menu, Endpoint::Orders];

    /// The name in JSON keys and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Config => "config",
            Endpoint::Menu => "menu",
            Endpoint::Orders => "orders",
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Endpoint::Orders => "POST",
            Endpoint::Config | Endpoint::Menu => "GET",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Config => "/api/v1/store/config",
            Endpoint::Menu => "/api/v1/store/menu",
            Endpoint::Orders => "/api/v1/store/orders",
        }
    }
}

/// Everything one run measured, and the settings needed to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// A `BENCH_QUICK` smoke run: short and small, not for quoting.
    pub quick: bool,
    /// Concurrent connections of wrk, and clients of pgbench.
    pub clients: u32,
    /// Seconds measured per run, after a warm-up.
    pub seconds_per_run: u32,
    /// Seconds of warm-up before each scaling run.
    pub scaling_warmup_s: u32,
    pub machine: Machine,
    /// The whole run, seconds.
    pub took_s: f64,
    /// Each endpoint at the first tenant count, beside its ceilings.
    pub hot_paths: Vec<HotPath>,
    /// Each endpoint through nginx at each tenant count, in increasing order.
    pub scaling_runs: Vec<ScalingPoint>,
    /// The service's resident memory at the end, MiB.
    pub service_rss_mb: f64,
    pub provisioned_tenants: usize,
    /// Per tenant, over all of them.
    pub provision_p50_ms: f64,
    pub provision_p99_ms: f64,
    /// Provisioning times in 20 buckets of tenants, in order (read by other checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provision_curve: Vec<ProvisionBucket>,
    pub provision_buckets: ProvisionBuckets,
    /// Seconds PostgreSQL took to settle (catalog vacuum, autovacuum idle, `CHECKPOINT`) after
    /// provisioning up to each tenant count. (The key's name predates the vacuum.)
    pub checkpoint_after_provisioning_s: BTreeMap<usize, f64>,
    /// Tenants `chameleon migrate` went over (the key keeps the name of the port's old
    /// `migrate_all`, so summaries of earlier runs still read).
    pub migrate_all_tenants: usize,
    /// `chameleon migrate` with one new migration for every tenant, seconds.
    pub migrate_all_s: f64,
    /// `chameleon migrate` again, with nothing to do, seconds.
    pub migrate_all_noop_s: f64,
    /// Orders without and with an `Idempotency-Key`, one run after the other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<IdempotencyCost>,
    /// Plain orders and orders with three options on their two lines; absent from summaries
    /// measured before issue 23.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<OptionsCost>,
    /// Orders for as soon as possible with unlimited pickup slots and with slots of capacity
    /// 1,000 (counted under the slot's lock); absent from summaries measured before issue 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_capacity: Option<CapacityCost>,
    /// A random-Host flood from one client beside a real tenant's storefront.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood: Option<Flood>,
    /// Orders beside a login flood; absent from summaries measured before issue 22.
    #[serde(default)]
    pub login_flood: Option<LoginFlood>,
    /// A write through one instance, served by another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staleness: Option<Staleness>,
    /// Set when this summary was rebuilt from an older, Markdown-only report rather than
    /// measured: what that report did not show is left out (the optional [`Run`] fields, the
    /// 20-bucket provisioning curve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstructed_from: Option<String>,
}

/// What an `Idempotency-Key` costs an order: the same load without and with a key, in rounds
/// whose order alternates (without then with, with then without, ...), so neither side always
/// runs on the larger `orders` table or in the other's wake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyCost {
    pub rounds: Vec<KeyRound>,
}

/// One round of [`IdempotencyCost`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRound {
    pub without_key: Run,
    pub with_key: Run,
}

impl IdempotencyCost {
    /// Orders a second with a key over orders a second without: the median of the rounds'
    /// ratios. The median, because a run that autovacuum or a checkpoint happens to land in
    /// (they come in waves as the `orders` tables grow) skews one round, not the comparison.
    pub fn ratio(&self) -> f64 {
        let ratios: Vec<f64> = self.rounds.iter().map(KeyRound::ratio).collect();
        round(median(ratios), 3)
    }

    /// Every round's orders with a key over every round's without.
    pub fn ratio_of_totals(&self) -> f64 {
        let with: f64 = self.rounds.iter().map(|r| r.with_key.rps).sum();
        let without: f64 = self.rounds.iter().map(|r| r.without_key.rps).sum();
        round(with / without.max(1.0), 3)
    }
}

impl KeyRound {
    pub fn ratio(&self) -> f64 {
        self.with_key.rps / self.without_key.rps.max(1.0)
    }
}

/// What choosing options costs an order: plain orders and orders with three options (two on
/// the first line, one on the second) over the same items, in rounds that alternate which runs
/// first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionsCost {
    pub rounds: Vec<OptionsRound>,
}

/// One round of [`OptionsCost`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionsRound {
    pub plain: Run,
    pub with_options: Run,
}

impl OptionsCost {
    /// Orders a second with options over plain orders a second: the median of the rounds'
    /// ratios (as [`IdempotencyCost::ratio`], for the same reason).
    pub fn ratio(&self) -> f64 {
        let ratios: Vec<f64> = self.rounds.iter().map(OptionsRound::ratio).collect();
        round(median(ratios), 3)
    }
}

impl OptionsRound {
    pub fn ratio(&self) -> f64 {
        self.with_options.rps / self.plain.rps.max(1.0)
    }
}

/// What a slot capacity costs an order: orders for as soon as possible with unlimited slots
/// (nothing counted) and with slots of capacity 1,000 (the candidates counted, the slot locked
/// and counted again), in rounds that alternate which runs first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityCost {
    pub capacity: u32,
    pub rounds: Vec<CapacityRound>,
}

/// One round of [`CapacityCost`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityRound {
    pub unlimited: Run,
    pub limited: Run,
}

impl CapacityCost {
    /// Orders a second with a capacity over orders a second without: the median of the
    /// rounds' ratios.
    pub fn ratio(&self) -> f64 {
        let ratios: Vec<f64> = self.rounds.iter().map(CapacityRound::ratio).collect();
        round(median(ratios), 3)
    }
}

impl CapacityRound {
    pub fn ratio(&self) -> f64 {
        self.limited.rps / self.unlimited.rps.max(1.0)
    }
}

/// From a price written through one instance to another instance serving it (the write
/// included), over `samples` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staleness {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// A flood of requests for hosts no tenant has, from one client, and what a real tenant saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flood {
    pub flood_requests: u64,
    pub flood_rps: f64,
    /// Answered 404 (the client's budget of unknown hosts not spent yet).
    pub flood_not_found: u64,
    /// Answered 429.
    pub flood_too_many: u64,
    /// Transactions in the service's database over the flood (everything included).
    pub database_transactions: i64,
    /// `database_transactions / flood_requests`: at most the share of the flood that reached
    /// PostgreSQL.
    pub share_reaching_postgres: f64,
    /// Answers other than 200 the real tenant got, during and after.
    pub real_errors: u64,
    /// The real tenant's config reads, p99.
    pub real_p99_ms_without: f64,
    pub real_p99_ms_during: f64,
    pub real_p99_ms_after: f64,
}

/// Order placement alone and beside a flood of wrong passwords (issue 22).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginFlood {
    /// The flood's connections, each signing in with a wrong password as fast as answered.
    pub clients: u32,
    /// Orders/s alone: the mean of the runs before and after the flood.
    pub orders_rps_alone: f64,
    pub orders_rps_before: f64,
    pub orders_rps_after: f64,
    /// Orders/s while the flood ran.
    pub orders_rps_during: f64,
    /// `orders_rps_during / orders_rps_alone`.
    pub ratio: f64,
    pub orders_p99_ms_alone: Option<f64>,
    pub orders_p99_ms_during: Option<f64>,
    /// Sign-in attempts answered a second.
    pub attempts_per_s: f64,
    /// Attempts answered 401 `invalid_credentials` (each a full argon2id check).
    pub unauthorized: u64,
    /// Attempts answered otherwise (503 when the hashing queue was full).
    pub other: u64,
}

/// What the figures are next to: they only mean something on the machine they were taken on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    /// The CPU's model name.
    pub cpu: String,
    pub memory_gb: f64,
    /// `pgbench --version`, which names the PostgreSQL release.
    pub pgbench: String,
}

/// One endpoint, through nginx, beside what else was measured under the same load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotPath {
    pub endpoint: Endpoint,
    /// The comparison that counts: the service through nginx against the endpoint's real
    /// ceiling, interleaved. `None` in summaries written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// wrk through nginx to the service (with a comparison: its run of the median round).
    pub through_nginx: Run,
    /// wrk straight to the service's port: what the edge costs.
    pub direct: Run,
    /// pgbench running the SQL the service runs for one such request.
    pub pgbench: Run,
    /// The same SQL pipelined (one round trip); none for config, which runs one statement.
    pub pgbench_pipelined: Option<Run>,
    /// nginx answering a static JSON body of the same size.
    pub static_json: Run,
}

/// What an endpoint's throughput is set against: for config and menu, which the service
/// answers from memory, nginx answering the same bytes statically (the most any answer through
/// nginx can do here); for orders, pgbench running the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ceiling {
    NginxStatic,
    Pgbench,
}

impl Ceiling {
    /// What an endpoint is compared with.
    pub fn of(endpoint: Endpoint) -> Ceiling {
        match endpoint {
            Endpoint::Config | Endpoint::Menu => Ceiling::NginxStatic,
            Endpoint::Orders => Ceiling::Pgbench,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Ceiling::NginxStatic => "nginx, the same bytes static",
            Ceiling::Pgbench => "pgbench, the same transaction",
        }
    }
}

/// The service (A) against its ceiling (B) in rounds that alternate which goes first (A B, B A,
/// A B, ...), so neither side always runs first, on a colder machine, or in the other's wake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub ceiling: Ceiling,
    pub rounds: Vec<ComparisonRound>,
}

/// One round of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRound {
    /// Whether the service ran first in this round.
    pub service_first: bool,
    pub service: Run,
    pub ceiling: Run,
}

impl ComparisonRound {
    pub fn ratio(&self) -> f64 {
        self.service.rps / self.ceiling.rps.max(1.0)
    }
}

impl Comparison {
    /// Each round's service / ceiling, in round order.
    pub fn ratios(&self) -> Vec<f64> {
        self.rounds.iter().map(ComparisonRound::ratio).collect()
    }

    /// The median of the rounds' ratios: a round that a checkpoint or autovacuum lands in skews
    /// one round, not the comparison.
    pub fn median_ratio(&self) -> f64 {
        median(self.ratios())
    }

    /// The lowest and the highest round's ratio.
    pub fn spread(&self) -> (f64, f64) {
        let ratios = self.ratios();
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (low, high)
    }

    /// The median throughput of the service's runs and of the ceiling's.
    pub fn median_rps(&self) -> (f64, f64) {
        (
            median(self.rounds.iter().map(|r| r.service.rps).collect()),
            median(self.rounds.iter().map(|r| r.ceiling.rps).collect()),
        )
    }

    /// The round whose ratio is the median (the lower middle one of an even count).
    pub fn median_round(&self) -> Option<&ComparisonRound> {
        let mut order: Vec<usize> = (0..self.rounds.len()).collect();
        order.sort_by(|a, b| self.rounds[*a].ratio().total_cmp(&self.rounds[*b].ratio()));
        order
            .get(order.len().saturating_sub(1) / 2)
            .map(|i| &self.rounds[*i])
    }
}

/// The median of `values` (0 for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl HotPath {
    /// The service's throughput over pgbench's with the same SQL.
    pub fn through_nginx_vs_pgbench(&self) -> f64 {
        self.through_nginx.rps / self.pgbench.rps
    }

    /// The service's throughput over nginx answering a static body.
    pub fn through_nginx_vs_static(&self) -> f64 {
        self.through_nginx.rps / self.static_json.rps
    }

    pub fn direct_vs_pgbench(&self) -> f64 {
        self.direct.rps / self.pgbench.rps
    }
}

/// The endpoints through nginx with requests spread over `tenants` tenants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    pub tenants: usize,
    pub runs: BTreeMap<Endpoint, Run>,
    /// The service's resident memory after these runs, MiB.
    pub service_rss_mb: f64,
}

/// One measured run of wrk or pgbench.
///
/// In a measured summary every field is there; one with [`Summary::reconstructed_from`] set
/// leaves out the optional ones its source did not show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// `wrk`, `pgbench` or `pgbench (pipelined)`.
    pub tool: String,
    /// Requests (wrk) or transactions (pgbench) per second.
    pub rps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// Requests or transactions completed in the measured part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Non-2xx answers, socket errors or failed transactions: a valid run has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us_per_request: Option<CpuPerRequest>,
    /// Runs warmed up until steady: how long that took, and the first warm-up window (cold
    /// caches, in the service and in PostgreSQL's backends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Warmup>,
    /// Runs after a fixed warm-up: that warm-up, measured (the cold window beside the settled
    /// one; only the settled one counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<ColdWindow>,
}

/// The warm-up before a run, measured like the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdWindow {
    pub seconds: u32,
    pub rps: f64,
    /// wrk's; pgbench logs no warm-up transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
}

/// How a run was warmed up until its throughput held steady.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warmup {
    pub seconds: u32,
    /// Whether it held steady before the limit (false: measured anyway, at the limit).
    pub steady: bool,
    pub first_window_rps: f64,
    pub first_window_p99_ms: f64,
}

/// Microseconds of CPU per request (or pgbench transaction), by process group. They all share
/// the machine's CPUs, so what one spends is not available to the others.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuPerRequest {
    pub service: f64,
    pub nginx: f64,
    pub postgres: f64,
    pub load_generator: f64,
}

impl CpuPerRequest {
    pub fn total(&self) -> f64 {
        self.service + self.nginx + self.postgres + self.load_generator
    }

    fn rounded(&self, places: i32) -> CpuPerRequest {
        CpuPerRequest {
            service: round(self.service, places),
            nginx: round(self.nginx, places),
            postgres: round(self.postgres, places),
            load_generator: round(self.load_generator, places),
        }
    }
}

/// Provisioning times of tenants `from..=to`, provisioned one after another in that order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProvisionBucket {
    pub from: usize,
    pub to: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The provisioning times cut into buckets, once for each place that shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionBuckets {
    /// Few buckets: the table in the results.
    pub table: Vec<ProvisionBucket>,
    /// Many buckets: the chart.
    pub chart: Vec<ProvisionBucket>,
}

/// The file as written: the note, the headline keys, the figures.
#[derive(Serialize)]
struct SummaryFile<'a> {
    generated_by: &'static str,
    #[serde(flatten)]
    headline: Headline,
    #[serde(flatten)]
    figures: &'a Summary,
}

impl Summary {
    /// The JSON text of the file. Only structs and `BTreeMap`s go into it, so the order of its
    /// keys does not depend on how `serde_json` was built, and a rerun diffs cleanly.
    pub fn to_json(&self) -> anyhow::Result<String> {
        let file = SummaryFile {
            generated_by: GENERATED_BY,
            headline: Headline::of(self),
            figures: self,
        };
        Ok(serde_json::to_string_pretty(&file)? + "\n")
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.to_json()?).with_context(|| format!("writing {}", path.display()))
    }

    pub fn read(path: &Path) -> anyhow::Result<Summary> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading {} (run `make bench`)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// `x` rounded to `places` decimal places: what the file keeps of a figure.
pub fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn run(tool: &str, rps: f64, p99_ms: f64) -> Run {
        Run {
            tool: tool.into(),
            rps,
            p50_ms: Some(p99_ms / 4.0),
            p90_ms: Some(p99_ms / 2.0),
            p99_ms: Some(p99_ms),
            requests: Some((rps * 10.0) as u64),
            errors: Some(0),
            cpu_us_per_request: Some(CpuPerRequest {
                service: 10.0,
                nginx: 5.0,
                postgres: 20.0,
                load_generator: 7.0,
            }),
            warmup: None,
            cold: Some(ColdWindow {
                seconds: 3,
                rps: rps * 0.9,
                p99_ms: Some(p99_ms * 2.0),
            }),
        }
    }

    fn bucket(from: usize, to: usize) -> ProvisionBucket {
        ProvisionBucket {
            from,
            to,
            p50_ms: 10.0,
            p99_ms: 20.0,
        }
    }

    /// A small but complete summary, as a quick run would write it.
    pub(crate) fn sample() -> Summary {
        let hot_paths = Endpoint::ALL
            .iter()
            .map(|&endpoint| HotPath {
                endpoint,
                comparison: Some(Comparison {
                    ceiling: Ceiling::of(endpoint),
                    rounds: (0..4)
                        .map(|n| ComparisonRound {
                            service_first: n % 2 == 0,
                            service: run("wrk", 4000.0 + 100.0 * f64::from(n), 3.0),
                            ceiling: match Ceiling::of(endpoint) {
                                Ceiling::Pgbench => run("pgbench", 5000.0, 2.5),
                                Ceiling::NginxStatic => run("wrk", 20000.0, 1.0),
                            },
                        })
                        .collect(),
                }),
                through_nginx: run("wrk", 4000.0, 3.0),
                direct: run("wrk", 5000.0, 2.0),
                pgbench: run("pgbench", 5000.0, 2.5),
                pgbench_pipelined: (endpoint != Endpoint::Config)
                    .then(|| run("pgbench (pipelined)", 8000.0, 2.0)),
                static_json: run("wrk", 20000.0, 1.0),
            })
            .collect();
        let scaling_runs = [10, 100, 300]
            .iter()
            .map(|&tenants| ScalingPoint {
                tenants,
                runs: Endpoint::ALL
                    .iter()
                    .map(|&e| (e, run("wrk", 4000.0, tenants as f64 / 10.0)))
                    .collect(),
                service_rss_mb: 12.5,
            })
            .collect();
        Summary {
            quick: true,
            clients: 32,
            seconds_per_run: 3,
            scaling_warmup_s: 3,
            machine: Machine {
                cpus: 2,
                cpu: "Test CPU".into(),
                memory_gb: 8.0,
                pgbench: "pgbench (PostgreSQL) 15".into(),
            },
            took_s: 120.0,
            hot_paths,
            scaling_runs,
            service_rss_mb: 13.0,
            provisioned_tenants: 300,
            provision_p50_ms: 10.0,
            provision_p99_ms: 20.0,
            provision_curve: vec![bucket(1, 150), bucket(151, 300)],
            provision_buckets: ProvisionBuckets {
                table: vec![bucket(1, 300)],
                chart: vec![bucket(1, 100), bucket(101, 200), bucket(201, 300)],
            },
            checkpoint_after_provisioning_s: [(10, 0.1), (100, 0.5), (300, 1.0)].into(),
            migrate_all_tenants: 300,
            migrate_all_s: 1.5,
            migrate_all_noop_s: 0.01,
            flood: None,
            login_flood: None,
            idempotency: None,
            options: None,
            slot_capacity: None,
            staleness: None,
            reconstructed_from: None,
        }
    }

    #[test]
    fn the_key_cost_is_the_median_round_so_one_disturbed_round_does_not_decide_it() {
        let round = |without, with| KeyRound {
            without_key: run("wrk", without, 5.0),
            with_key: run("wrk", with, 5.0),
        };
        let cost = IdempotencyCost {
            rounds: vec![
                round(5000.0, 3500.0),
                round(5000.0, 4750.0),
                round(5000.0, 4600.0),
            ],
        };
        assert_eq!(cost.ratio(), 0.92);
        assert_eq!(cost.ratio_of_totals(), 0.857);
        let even = IdempotencyCost {
            rounds: vec![round(5000.0, 4500.0), round(5000.0, 4700.0)],
        };
        assert_eq!(even.ratio(), 0.92);
    }

    #[test]
    fn a_written_summary_reads_back_the_same() {
        let summary = sample();
        let read: Summary = serde_json::from_str(&summary.to_json().unwrap()).unwrap();
        assert_eq!(read, summary);
    }

    #[test]
    fn the_file_keeps_every_key_other_checks_read() {
        let json: serde_json::Value = serde_json::from_str(&sample().to_json().unwrap()).unwrap();
        let top = [
            "config_rps",
            "config_ceiling_rps",
            "config_static_rps",
            "config_direct_rps",
            "menu_pipelined_ceiling_rps",
            "orders_pipelined_ceiling_rps",
            "p99_ms",
            "p50_ms",
            "ratios",
            "cpu_us_per_request",
            "scaling",
            "service_rss_mb",
            "provision_p50_ms",
            "provision_p99_ms",
            "provisioned_tenants",
            "provision_curve",
            "checkpoint_after_provisioning_s",
            "migrate_all_s",
            "migrate_all_noop_s",
            "migrate_all_tenants",
            "clients",
            "seconds_per_run",
            "quick",
            "machine",
            "took_s",
        ];
        for key in top {
            assert!(json.get(key).is_some(), "{key} is missing");
        }
        // The interleaved rounds' median: 0.80, 0.82, 0.84, 0.86.
        assert_eq!(json["ratios"]["orders_vs_pgbench"], 0.83);
        assert_eq!(json["ratios"]["config_vs_static"], 0.208);
        let orders = &json["against_ceiling"]["orders"];
        assert_eq!(orders["ceiling"], "pgbench");
        assert_eq!(
            (
                &orders["median_ratio"],
                &orders["lowest_ratio"],
                &orders["highest_ratio"]
            ),
            (&json!(0.83), &json!(0.8), &json!(0.86))
        );
        assert_eq!(json["against_ceiling"]["menu"]["ceiling"], "nginx_static");
        assert_eq!(json["p99_ms"]["menu_static"], 1.0);
        assert_eq!(json["scaling"]["300"]["orders_p99_ratio"], 30.0);
        assert_eq!(json["scaling"]["100"]["rss_ratio"], 1.0);
        assert_eq!(
            json["cpu_us_per_request"]["menu"]["service_through_nginx"]["postgres"],
            20.0
        );
        assert!(json.get("config_pipelined_ceiling_rps").is_none());
    }

    #[test]
    fn the_file_says_first_that_it_is_generated() {
        let json = sample().to_json().unwrap();
        let first_key = json.lines().nth(1).unwrap().trim_start();
        assert!(first_key.starts_with("\"generated_by\": \"make bench"));
        assert!(first_key.contains("do not edit"));
    }
}
