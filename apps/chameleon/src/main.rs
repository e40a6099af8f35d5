//! `chameleon`: the binary, and the composition root: it wires the PostgreSQL adapters to the
//! core and the core to the HTTP adapter (see [`startup`]).
//!
//! ```text
//! chameleon serve       run the HTTP API (migrating first unless --no-migrate)
//! chameleon migrate     bring the control plane and every tenant schema up to date
//! chameleon provision   provision one tenant from the command line
//! chameleon demo        provision the demo tenants (pizza.localhost, burger.localhost) if missing
//! ```
//!
//! Configuration comes from flags or the environment (`chameleon --help`); secrets
//! (`DATABASE_URL`, `ADMIN_TOKEN`, `SERVING_PASSWORD`) are never printed or logged, and each may
//! come from a file instead (`ADMIN_TOKEN_FILE`, ...: compose's `secrets:`), as may the
//! database password alone (`DATABASE_PASSWORD_FILE`).
//!
//! # Layout
//! - [`config`]: the command line and environment, parsed once.
//! - [`startup`]: the composition root, `PgPorts` and the service built from them.
//! - [`commands`]: one module per subcommand.
//! - [`telemetry`]: logging set-up.
//! - [`metrics`]: the Prometheus recorder and its listener (`METRICS_ADDR`).

mod commands;
mod config;
mod metrics;
mod startup;
mod telemetry;

use std::process::ExitCode;

use clap::Parser as _;

use crate::commands::migrate::SomeTenantsFailed;
use crate::config::{Cli, Command};

/// 0: done; 1: failed; 2: `migrate` migrated some tenants but not all (each failure listed).
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:?}");
            if err.is::<SomeTenantsFailed>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run() -> anyhow::Result<()> {
    config::secrets_from_files()?;
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        // actix runs its own runtime (one per worker thread).
        Command::Serve(args) => {
            actix_web::rt::System::new().block_on(commands::serve::run(cli.database, *args))
        }
        other => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(async move {
                match other {
                    Command::Migrate(args) => commands::migrate::run(&cli.database, &args).await,
                    Command::Provision(args) => commands::provision::run(cli.database, args).await,
                    Command::Demo(args) => commands::demo::run(cli.database, args).await,
                    Command::Serve(_) => unreachable!("handled above"),
                }
            }),
    }
}
