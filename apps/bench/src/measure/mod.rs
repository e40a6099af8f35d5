//! Measuring: starts a stack of its own, provisions tenants, runs the load and returns a
//! [`Summary`]. Everything that runs something lives here; nothing here renders.
//!
//! Every figure is put beside a ceiling measured in the same run, on the same machine:
//! - pgbench running the SQL the service runs for that request, with as many clients;
//! - nginx answering a static JSON body of the same size, with as many connections.
//!
//! # Layout
//! - [`config`]: durations and tenant counts, full or quick.
//! - [`stack`]: the stack under test, started through `chameleon-stack`, and [`Target`].
//! - [`fleet`]: the tenants: provisioned (timed), seeded, migrated.
//! - [`wrk`] and [`pgbench`]: the load runs, each parsed into a [`Run`].
//! - [`ceilings`]: nginx's static answers.
//! - [`flood`]: a random-Host flood from one client beside a real tenant.
//! - [`login_flood`]: orders alone and beside a flood of wrong passwords.
//! - [`staleness`]: a write through one instance, served by another.
//! - [`cpu`]: the CPU each process group spends over a run.
//! - [`stats`]: percentiles and provisioning buckets.
//! - [`machine`]: what the machine is, and a process's memory.

mod ceilings;
mod config;
mod cpu;
mod fleet;
mod flood;
mod login_flood;
mod machine;
mod pgbench;
mod stack;
mod staleness;
mod stats;
mod wrk;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chameleon_stack::stack::log;
use chameleon_stack::{Shutdown, Stack};

use self::config::Config;
use self::fleet::Fleet;
use self::stack::Target;
use self::wrk::{Via, WarmupPlan, WrkRun};
use crate::summary::{
    CapacityCost, CapacityRound, Ceiling, Comparison, ComparisonRound, Endpoint, HotPath,
    IdempotencyCost, KeyRound, OptionsCost, OptionsRound, ProvisionBuckets, Run, ScalingPoint,
    Summary, round,
};

/// Starts a stack under `repo/target/bench/stack`, measures it and stops it, whatever happened
/// in between: an error, SIGINT or SIGTERM.
pub async fn run(repo: &Path, quick: bool) -> anyhow::Result<Summary> {
    // First: from here on a signal asks for an orderly stop instead of killing us midway.
    let mut shutdown = Shutdown::install()?;
    let out = repo.join("target/bench");
    let config = Config::new(quick, out.join("work"));
    let mut stack = stack::prepare(repo, &out.join("stack"), &config).await?;
    std::fs::create_dir_all(&config.work_dir)?;
    let summary = start_and_measure(&mut stack, &mut shutdown, &config).await;
    log("stopping the stack");
    stack.stop().await;
    summary
}

async fn start_and_measure(
    stack: &mut Stack,
    shutdown: &mut Shutdown,
    config: &Config,
) -> anyhow::Result<Summary> {
    stack
        .start(shutdown)
        .await
        .context("starting the stack (logs in target/bench/stack/logs)")?;
    let target = Target::of(stack)?;
    log(&format!(
        "benchmarking (BENCH_QUICK={})",
        u8::from(config.quick)
    ));
    // Dropping the measurement stops the wrk or pgbench under way (`kill_on_drop`).
    tokio::select! {
        summary = measure(config, &target) => summary,
        signal = shutdown.wait() => Err(anyhow!("interrupted by {signal}")),
    }
}

/// The run itself: the hot paths at the first tenant count, the scaling at every count, then
/// the fleet migrations.
async fn measure(config: &Config, target: &Target<'_>) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut fleet = Fleet::connect(target).await?;
    let checkpoints = config.checkpoints();
    let mut settle_s = BTreeMap::new();
    settle_s.insert(checkpoints[0], fleet.grow_to(checkpoints[0]).await?);
    ceilings::install(target).await?;
    let mut hot_paths = Vec::new();
    for endpoint in Endpoint::ALL {
        hot_paths.push(hot_path(config, target, &fleet, endpoint, checkpoints[0]).await?);
    }
    let idempotency = idempotency_cost(config, target, checkpoints[0]).await?;
    let options = options_cost(config, target, checkpoints[0]).await?;
    let slot_capacity = capacity_cost(config, target, &fleet, checkpoints[0]).await?;
    let staleness = staleness::measure(target, &fleet, config.staleness_samples).await?;
    let mut scaling_runs = Vec::new();
    for &tenants in &checkpoints {
        if tenants > fleet.provisioned() {
            settle_s.insert(tenants, fleet.grow_to(tenants).await?);
        }
        scaling_runs.push(scaling_point(config, target, tenants).await?);
    }
    let flood = flood::measure(config, target, &fleet::domain(1)).await?;
    eprintln!("== chameleon migrate over {} tenants", fleet.provisioned());
    let migrate = fleet.migrate_fleet_with_new_migration().await?;
    let migrate_noop = fleet.migrate_fleet_noop().await?;
    // Last: it provisions a restaurant of its own, which the fleet's counts must not see.
    let login_flood = login_flood::measure(config, target, checkpoints[0]).await?;
    let timings = fleet.provision_timings();
    let (provision_p50, provision_p99) = stats::provision_percentiles(timings);
    let took_s = started.elapsed().as_secs_f64();
    eprintln!("== done in {took_s:.0} s");
    Ok(Summary {
        quick: config.quick,
        clients: config.clients,
        seconds_per_run: config.seconds,
        scaling_warmup_s: config.scaling_warmup_seconds,
        machine: machine::describe(),
        took_s: round(took_s, 1),
        hot_paths,
        scaling_runs,
        service_rss_mb: round(machine::rss_mb(target.service_pid)?, 1),
        provisioned_tenants: timings.len(),
        provision_p50_ms: round(provision_p50, 2),
        provision_p99_ms: round(provision_p99, 2),
        provision_curve: stats::provision_buckets(timings, 20),
        provision_buckets: ProvisionBuckets {
            table: stats::provision_buckets(timings, 10),
            chart: stats::provision_buckets(timings, 40),
        },
        checkpoint_after_provisioning_s: settle_s
            .into_iter()
            .map(|(tenants, seconds)| (tenants, round(seconds, 2)))
            .collect(),
        migrate_all_tenants: migrate.tenants,
        migrate_all_s: round(migrate.seconds, 3),
        migrate_all_noop_s: round(migrate_noop.seconds, 4),
        flood: Some(flood),
        login_flood: Some(login_flood),
        idempotency: Some(idempotency),
        options: Some(options),
        slot_capacity: Some(slot_capacity),
        staleness: Some(staleness),
        reconstructed_from: None,
    })
}

/// `endpoint` through nginx against its ceiling (nginx's static answer of the same size for the
/// reads, pgbench's same transaction for orders) in interleaved rounds; then, once each for
/// reference, straight to the service, pgbench (plain and pipelined) and nginx's static answer,
/// all over the first `tenants` tenants.
async fn hot_path(
    config: &Config,
    target: &Target<'_>,
    fleet: &Fleet,
    endpoint: Endpoint,
    tenants: usize,
) -> anyhow::Result<HotPath> {
    eprintln!("== hot path {} ({tenants} tenants)", endpoint.name());
    let load = |path, via| WrkRun {
        endpoint,
        tenants,
        path,
        via,
        warmup: WarmupPlan::Fixed(config.warmup_seconds),
        idempotency_keys: false,
        options: false,
    };
    let static_path = ceilings::static_path(endpoint);
    let ceiling = Ceiling::of(endpoint);
    let mut rounds = Vec::new();
    for round in 0..config.comparison_rounds {
        // A B, B A, A B, ...: neither side always goes first.
        let service_first = round % 2 == 0;
        let mut service = None;
        let mut ceiling_run = None;
        for side in if service_first { [0, 1] } else { [1, 0] } {
            if side == 0 {
                service =
                    Some(wrk::measure(config, target, &load(endpoint.path(), Via::Nginx)).await?);
            } else {
                ceiling_run = Some(match ceiling {
                    Ceiling::NginxStatic => {
                        wrk::measure(config, target, &load(static_path, Via::Nginx)).await?
                    }
                    Ceiling::Pgbench => {
                        pgbench::measure(config, target, fleet, endpoint, tenants, false).await?
                    }
                });
            }
        }
        rounds.push(ComparisonRound {
            service_first,
            service: service.context("the service's run")?,
            ceiling: ceiling_run.context("the ceiling's run")?,
        });
    }
    let comparison = Comparison { ceiling, rounds };
    let (low, high) = comparison.spread();
    eprintln!(
        "   {} / {}: median {:.3}, spread {low:.3} to {high:.3} over {} rounds",
        endpoint.name(),
        ceiling.label(),
        comparison.median_ratio(),
        comparison.rounds.len()
    );
    let median = comparison
        .median_round()
        .context("a comparison without rounds")?
        .clone();
    let direct = wrk::measure(config, target, &load(endpoint.path(), Via::Direct)).await?;
    let (pgbench, static_json) = match ceiling {
        Ceiling::Pgbench => (
            median.ceiling,
            wrk::measure(config, target, &load(static_path, Via::Nginx)).await?,
        ),
        Ceiling::NginxStatic => (
            pgbench::measure(config, target, fleet, endpoint, tenants, false).await?,
            median.ceiling,
        ),
    };
    // Config's one statement has nothing to pipeline.
    let pgbench_pipelined = match endpoint {
        Endpoint::Config => None,
        Endpoint::Menu | Endpoint::Orders => {
            Some(pgbench::measure(config, target, fleet, endpoint, tenants, true).await?)
        }
    };
    Ok(HotPath {
        endpoint,
        comparison: Some(comparison),
        through_nginx: median.service,
        direct,
        pgbench,
        pgbench_pipelined,
        static_json,
    })
}

/// Orders through nginx without a key and with a fresh `Idempotency-Key` each, one right after
/// the other.
async fn idempotency_cost(
    config: &Config,
    target: &Target<'_>,
    tenants: usize,
) -> anyhow::Result<IdempotencyCost> {
    eprintln!("== orders without and with an Idempotency-Key ({tenants} tenants)");
    let load = |idempotency_keys| WrkRun {
        endpoint: Endpoint::Orders,
        tenants,
        path: Endpoint::Orders.path(),
        via: Via::Nginx,
        warmup: WarmupPlan::Fixed(config.warmup_seconds),
        idempotency_keys,
        options: false,
    };
    let mut rounds = Vec::new();
    for round in 0..config.key_rounds {
        // ABBA: every other round starts with the key.
        let key_first = round % 2 == 1;
        let first = wrk::measure(config, target, &load(key_first)).await?;
        let second = wrk::measure(config, target, &load(!key_first)).await?;
        let (without_key, with_key) = if key_first {
            (second, first)
        } else {
            (first, second)
        };
        rounds.push(KeyRound {
            without_key,
            with_key,
        });
    }
    Ok(IdempotencyCost { rounds })
}

/// Plain orders and orders choosing three options on their two lines, through nginx, in rounds
/// that alternate which runs first.
async fn options_cost(
    config: &Config,
    target: &Target<'_>,
    tenants: usize,
) -> anyhow::Result<OptionsCost> {
    eprintln!("== plain orders and orders with three options ({tenants} tenants)");
    let load = |options| WrkRun {
        endpoint: Endpoint::Orders,
        tenants,
        path: Endpoint::Orders.path(),
        via: Via::Nginx,
        warmup: WarmupPlan::Fixed(config.warmup_seconds),
        idempotency_keys: false,
        options,
    };
    let mut rounds = Vec::new();
    for round in 0..config.key_rounds {
        let options_first = round % 2 == 1;
        let first = wrk::measure(config, target, &load(options_first)).await?;
        let second = wrk::measure(config, target, &load(!options_first)).await?;
        let (plain, with_options) = if options_first {
            (second, first)
        } else {
            (first, second)
        };
        // A refused order would be cheaper than a placed one: the comparison holds only
        // without any.
        anyhow::ensure!(
            with_options.errors == Some(0) && plain.errors == Some(0),
            "orders were refused: plain {:?}, with options {:?}",
            plain.errors,
            with_options.errors
        );
        rounds.push(OptionsRound {
            plain,
            with_options,
        });
    }
    Ok(OptionsCost { rounds })
}

/// The slots' capacity every restaurant gets for [`capacity_cost`]: the most a slot may take,
/// so that the load (orders for as soon as possible, all in the current slot until it fills,
/// then the next) never runs out of slots and is never refused.
const BENCH_SLOT_CAPACITY: i16 = 1000;

/// Orders for as soon as possible with unlimited slots and with a capacity, through nginx, in
/// rounds that alternate which runs first; unlimited again after.
async fn capacity_cost(
    config: &Config,
    target: &Target<'_>,
    fleet: &Fleet,
    tenants: usize,
) -> anyhow::Result<CapacityCost> {
    eprintln!("== orders with unlimited slots and slots of capacity {BENCH_SLOT_CAPACITY}");
    let load = WrkRun {
        endpoint: Endpoint::Orders,
        tenants,
        path: Endpoint::Orders.path(),
        via: Via::Nginx,
        warmup: WarmupPlan::Fixed(config.warmup_seconds),
        idempotency_keys: false,
        options: false,
    };
    let mut rounds = Vec::new();
    for round in 0..config.key_rounds {
        let limited_first = round % 2 == 1;
        let mut runs = Vec::new();
        for limited in [limited_first, !limited_first] {
            fleet
                .set_slot_capacity(limited.then_some(BENCH_SLOT_CAPACITY))
                .await?;
            runs.push(wrk::measure(config, target, &load).await?);
        }
        let (second, first) = (runs.pop(), runs.pop());
        let (Some(first), Some(second)) = (first, second) else {
            anyhow::bail!("a round without its two runs");
        };
        let (unlimited, limited) = if limited_first {
            (second, first)
        } else {
            (first, second)
        };
        anyhow::ensure!(
            unlimited.errors == Some(0) && limited.errors == Some(0),
            "orders were refused: unlimited {:?}, with a capacity {:?}",
            unlimited.errors,
            limited.errors
        );
        rounds.push(CapacityRound { unlimited, limited });
    }
    fleet.set_slot_capacity(None).await?;
    Ok(CapacityCost {
        capacity: u32::try_from(BENCH_SLOT_CAPACITY).unwrap_or(0),
        rounds,
    })
}

/// Every endpoint through nginx over the first `tenants` tenants, each after the longer
/// warm-up, and the service's memory after them.
async fn scaling_point(
    config: &Config,
    target: &Target<'_>,
    tenants: usize,
) -> anyhow::Result<ScalingPoint> {
    eprintln!("== scaling: {tenants} tenants");
    let mut runs: BTreeMap<Endpoint, Run> = BTreeMap::new();
    for endpoint in Endpoint::ALL {
        // Measured afresh at every count, the first included, with the same warm-up.
        let load = WrkRun {
            endpoint,
            tenants,
            path: endpoint.path(),
            via: Via::Nginx,
            warmup: config.scaling_warmup(),
            idempotency_keys: false,
            options: false,
        };
        runs.insert(endpoint, wrk::measure(config, target, &load).await?);
    }
    Ok(ScalingPoint {
        tenants,
        runs,
        service_rss_mb: round(machine::rss_mb(target.service_pid)?, 2),
    })
}
