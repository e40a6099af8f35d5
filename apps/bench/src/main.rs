//! `chameleon-bench`: measures a running stack (started by `deploy/scripts/bench.sh`) and writes
//! `target/bench/summary.json` and `docs/benchmarks.md`.
//!
//! Every figure is put beside a ceiling measured in the same run, on the same machine:
//! - pgbench running the SQL the service runs for that request, with as many clients;
//! - nginx answering a static JSON body of the same size, with as many connections.
//!
//! # Layout
//! - [`config`]: the environment `bench.sh` passes.
//! - [`load`]: wrk and pgbench runs, parsed into [`load::Run`]s.
//! - [`fleet`]: provisioning tenants (timed), seeding menus, migrating.
//! - [`report`]: `summary.json`, `docs/benchmarks.md` and its SVG plots.

mod config;
mod cpu;
mod fleet;
mod load;
mod report;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::config::Config;
use crate::fleet::Fleet;
use crate::load::{Endpoint, Run, Via};
use crate::report::{HotPath, Report, Scale};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    std::fs::create_dir_all(config.out.join("work"))?;
    let started = Instant::now();
    let mut fleet = Fleet::connect(&config).await?;

    // Tenants 1..=10: part of the provisioning curve, then the hot paths.
    let checkpoints = config.checkpoints();
    fleet.provision_up_to(checkpoints[0]).await?;
    fleet.seed_menus().await?;
    let mut checkpoints_s = BTreeMap::new();
    checkpoints_s.insert(checkpoints[0], fleet.settle().await?);
    load::write_static_ceilings(&config).await?;

    let n = checkpoints[0];
    let mut hot = Vec::new();
    for endpoint in Endpoint::ALL {
        eprintln!("== hot path {} ({n} tenants)", endpoint.name());
        let service = load::wrk(&config, endpoint, n, endpoint.path(), Via::Nginx).await?;
        let direct = load::wrk(&config, endpoint, n, endpoint.path(), Via::Direct).await?;
        let static_json =
            load::wrk(&config, endpoint, n, endpoint.static_path(), Via::Nginx).await?;
        let pgbench = load::pgbench(&config, &fleet, endpoint, n, false)?;
        let pipelined = match endpoint {
            Endpoint::Config => None,
            _ => Some(load::pgbench(&config, &fleet, endpoint, n, true)?),
        };
        hot.push(HotPath {
            endpoint,
            service,
            direct,
            pgbench,
            pgbench_pipelined: pipelined,
            static_json,
        });
    }

    let mut scaling: BTreeMap<usize, Scale> = BTreeMap::new();
    for (i, &tenants) in checkpoints.iter().enumerate() {
        if i > 0 {
            fleet.provision_up_to(tenants).await?;
            fleet.seed_menus().await?;
            checkpoints_s.insert(tenants, fleet.settle().await?);
        }
        eprintln!("== scaling: {tenants} tenants");
        let mut runs: BTreeMap<&'static str, Run> = BTreeMap::new();
        for endpoint in Endpoint::ALL {
            // Measured afresh at every count, 10 included, with the same (longer) warm-up.
            let run = load::wrk_warmed(
                &config,
                endpoint,
                tenants,
                endpoint.path(),
                Via::Nginx,
                config.scaling_warmup_seconds,
            )
            .await?;
            runs.insert(endpoint.name(), run);
        }
        scaling.insert(
            tenants,
            Scale {
                runs,
                rss_mb: load::rss_mb(config.service_pid)?,
            },
        );
    }

    eprintln!("== migrate_all over {} tenants", fleet.provisioned());
    let migrate = fleet.migrate_all_with_new_migration().await?;
    let migrate_noop = fleet.migrate_all_noop().await?;

    let report = Report {
        quick: config.quick,
        clients: config.clients,
        seconds: config.seconds,
        hot,
        scaling,
        provisioning: fleet.provision_timings().to_vec(),
        migrate,
        migrate_noop,
        checkpoints_s,
        service_rss_mb: load::rss_mb(config.service_pid)?,
        machine: report::machine(),
        took_s: started.elapsed().as_secs_f64(),
    };
    report.write(&config)?;
    eprintln!("== done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}
