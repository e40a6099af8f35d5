//! `chameleon migrate`: installs the control plane (the owner and serving roles, the
//! control-plane migrations, the stored tenant migrations, the serving role's grants) and brings
//! every tenant schema to the latest migration. It needs a login that may create roles (a
//! superuser, or a CREATEROLE role that owns the database); the service itself then connects as
//! the serving role, which may not.
//!
//! Tenants are migrated `--jobs` at a time, each in a transaction of its own with a lock timeout;
//! tenants at the latest migration are skipped, so running it again resumes where a run stopped.
//! A tenant that fails is reported and the others go on; the exit code is then 2 (1: nothing
//! could be done). Progress is a bar with an ETA on a terminal and a line every few seconds
//! otherwise. `--dry-run` and `chameleon migrate status` only read.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chameleon_postgres::provisioning::fleet::{
    self, Behind, FleetProgress, FleetSettings, FleetStatus,
};
use chameleon_postgres::provisioning::install::login;
use chameleon_postgres::{InstallSettings, PgPool, install};
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::ExposeSecret as _;

use crate::config::{DatabaseArgs, MigrateAction, MigrateArgs};

/// Some tenants could not be migrated (each was reported); the rest were.
#[derive(Debug, thiserror::Error)]
#[error(
    "{failed} of {attempted} tenants could not be migrated (each is listed above); fix the cause \
     and run `chameleon migrate` again: it resumes with the tenants still behind"
)]
pub struct SomeTenantsFailed {
    pub failed: usize,
    pub attempted: usize,
}

pub async fn run(database: &DatabaseArgs, args: &MigrateArgs) -> anyhow::Result<()> {
    if matches!(args.action, Some(MigrateAction::Status)) {
        let status = read_status(database).await?;
        print_status(&status);
        return Ok(());
    }
    if args.dry_run {
        let status = read_status(database).await?;
        print_dry_run(&status);
        return Ok(());
    }
    let settings = InstallSettings {
        serving_role: args.serving_role.clone(),
        serving_password: args
            .serving_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        lock_wait: Duration::from_secs(args.migration_lock_wait_secs),
    };
    let fleet = FleetSettings {
        jobs: usize::from(args.jobs),
        tenant_lock_timeout: (args.tenant_lock_timeout_ms > 0)
            .then(|| Duration::from_millis(args.tenant_lock_timeout_ms)),
    };
    install_and_migrate(database, &settings, fleet).await
}

async fn read_status(database: &DatabaseArgs) -> anyhow::Result<FleetStatus> {
    let pool = PgPool::new(&database.settings()?)?;
    let status = fleet::status(&pool).await;
    pool.close();
    status.context("reading the fleet's state")
}

fn print_status(status: &FleetStatus) {
    println!(
        "control plane: {}",
        if status.pending_control_plane.is_empty() {
            "up to date".to_owned()
        } else {
            format!(
                "{} migration(s) pending",
                status.pending_control_plane.len()
            )
        }
    );
    println!(
        "tenants: {} ({} behind the latest tenant migration, V{})",
        status.tenants(),
        status.behind(),
        status.latest
    );
    for (version, count) in &status.tenants_per_version {
        println!("  V{version}: {count}");
    }
}

fn print_dry_run(status: &FleetStatus) {
    println!("dry run: nothing is changed");
    if status.pending_control_plane.is_empty() {
        println!("control plane: up to date");
    }
    for (version, name) in &status.pending_control_plane {
        println!("control plane: would apply V{version}__{name}");
    }
    let at_latest = status.tenants() - status.behind();
    println!(
        "tenants: {} at the latest migration (V{}) would be skipped",
        at_latest, status.latest
    );
    for (version, count) in status.tenants_per_version.range(..status.latest) {
        let pending: Vec<String> = status
            .pending_for(*version)
            .into_iter()
            .map(|(v, name)| format!("V{v}__{name}"))
            .collect();
        println!(
            "tenants: {count} at V{version} would get {}",
            pending.join(", ")
        );
    }
}

async fn install_and_migrate(
    database: &DatabaseArgs,
    settings: &InstallSettings,
    fleet: FleetSettings,
) -> anyhow::Result<()> {
    let pool = PgPool::new(&database.settings()?)?;
    let report = install(&pool, settings).await;
    pool.close();
    let report = report.context("installing the control plane")?;
    tracing::info!(
        applied = report.applied_migrations().len(),
        serving_role = %settings.serving_role,
        "control plane up to date"
    );
    // Fleet migrations run as the owner: it owns the tenant schemas.
    let pool = PgPool::new(&fleet::owner_settings(database.settings()?, &fleet))?;
    let mut progress = Progress::default();
    let report = fleet::migrate(&pool, fleet, &mut progress).await;
    pool.close();
    let report = report?;
    progress.finish(report.failed.len());
    if !report.failed.is_empty() {
        return Err(SomeTenantsFailed {
            failed: report.failed.len(),
            attempted: report.attempted,
        }
        .into());
    }
    Ok(())
}

/// A bar with an ETA on a terminal; a line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
    last_line: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new(0)
    }
}

impl FleetProgress for Progress {
    fn starting(&mut self, tenants: usize, behind: usize, latest: i32) {
        if behind == 0 {
            tracing::info!(
                tenants,
                latest,
                "every tenant schema is at the latest migration"
            );
            return;
        }
        tracing::info!(
            tenants,
            skipped = tenants - behind,
            to_migrate = behind,
            "migrating tenant schemas to V{latest}"
        );
        *self = Self::new(behind);
    }

    fn finished(&mut self, tenant: &Behind, outcome: Result<i32, &anyhow::Error>) {
        if let Err(err) = outcome {
            self.failed += 1;
            self.report_failure(tenant, err);
        }
        self.advance();
    }
}

impl Progress {
    const LINE_EVERY: Duration = Duration::from_secs(5);

    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} tenants, {per_sec}, ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            total,
            done: 0,
            failed: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn report_failure(&self, tenant: &Behind, err: &anyhow::Error) {
        let line = format!(
            "FAILED tenant {} ({}, at V{}): {err:#}",
            tenant.id, tenant.domain, tenant.version
        );
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn advance(&mut self) {
        let failed = self.failed;
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if failed > 0 {
                bar.set_message(format!("({failed} failed)"));
            }
            return;
        }
        if self.last_line.elapsed() >= Self::LINE_EVERY {
            self.last_line = Instant::now();
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            let eta = (self.total - self.done) as f64 / rate.max(1e-3);
            eprintln!(
                "migrating: {}/{} tenants ({:.0}%), {rate:.0}/s, ETA {eta:.0} s, {failed} failed",
                self.done,
                self.total,
                100.0 * self.done as f64 / self.total as f64
            );
        }
    }

    fn finish(&self, failed: usize) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
        if self.total == 0 {
            return;
        }
        let seconds = self.started.elapsed().as_secs_f64();
        tracing::info!(
            migrated = self.done - failed,
            failed,
            seconds = format!("{seconds:.2}"),
            per_second = format!("{:.0}", self.done as f64 / seconds.max(1e-3)),
            "tenant schemas migrated"
        );
    }
}

/// At the start of `serve`: a login that may install does what `chameleon migrate` does,
/// serving as itself; any other login (the serving role) checks that someone did. A tenant that
/// fails to migrate is logged and does not keep the others from being served.
pub async fn at_start(database: &DatabaseArgs) -> anyhow::Result<()> {
    let pool = PgPool::new(&database.settings()?)?;
    let checked = login(&pool).await;
    pool.close();
    let login = checked.context("checking the control plane")?;
    if login.may_install {
        let settings = InstallSettings {
            serving_role: login.name,
            serving_password: None,
            lock_wait: chameleon_postgres::provisioning::DEFAULT_LOCK_WAIT,
        };
        return match install_and_migrate(database, &settings, FleetSettings::default()).await {
            Err(err) if err.is::<SomeTenantsFailed>() => {
                tracing::error!(error = format!("{err:#}"), "serving anyway");
                Ok(())
            }
            other => other,
        };
    }
    anyhow::ensure!(
        login.control_plane_current,
        "the database's control plane is missing or older than this build, and {} may not \
         install it: run `chameleon migrate` with a login that may create roles \
         (docs/database-roles.md), or start with --no-migrate",
        login.name
    );
    Ok(())
}
