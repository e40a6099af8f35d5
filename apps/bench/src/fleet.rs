//! The tenants under test: provisioned through the API one by one (each timed), given a menu of
//! 20 items with ids the load scripts can compute, and migrated as a fleet.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chameleon_postgres::{PgPool, PgSettings};
use chameleon_provisioning::PgProvisioner;
use chameleon_provisioning::migrations::tenant_migrations;
use refinery::Migration;
use serde::Deserialize;
use serde_json::json;

use crate::config::Config;

/// Items per tenant menu.
pub const MENU_ITEMS: u32 = 20;

/// The id of item `item` (1-based) of tenant `tenant` (1-based): the load scripts build the same
/// text, so orders name real items without asking the API first.
pub fn item_id(tenant: usize, item: u32) -> String {
    format!("{tenant:08x}-0000-4000-8000-{item:012x}")
}

pub fn item_price(item: u32) -> i64 {
    500 + 50 * i64::from(item)
}

pub fn domain(tenant: usize) -> String {
    format!("t{tenant}.bench.localhost")
}

#[derive(Debug, Deserialize)]
pub struct Provisioned {
    pub schema_name: String,
}

/// One provisioning, timed from the client: tenants already there, milliseconds taken.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ProvisionTiming {
    pub tenant: usize,
    pub ms: f64,
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MigrateTiming {
    pub tenants: usize,
    pub migrated: usize,
    pub seconds: f64,
}

pub struct Fleet {
    config: Config,
    http: reqwest::Client,
    admin_db: tokio_postgres::Client,
    pub schemas: Vec<String>,
    seeded: usize,
    timings: Vec<ProvisionTiming>,
    next_migrations: Vec<Migration>,
}

impl Fleet {
    pub async fn connect(config: &Config) -> anyhow::Result<Fleet> {
        let (admin_db, connection) = config
            .admin_database_url
            .parse::<tokio_postgres::Config>()?
            .connect(tokio_postgres::NoTls)
            .await
            .context("connecting to the benchmark database")?;
        tokio::spawn(connection);
        let mut next_migrations = tenant_migrations();
        let next = next_migrations
            .iter()
            .map(Migration::version)
            .max()
            .unwrap_or(0)
            + 1;
        next_migrations.push(Migration::unapplied(
            &format!("V{next}__bench_item_descriptions"),
            "ALTER TABLE menu_items ADD COLUMN description text",
        )?);
        Ok(Fleet {
            config: config.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            admin_db,
            schemas: Vec::new(),
            seeded: 0,
            timings: Vec::new(),
            next_migrations,
        })
    }

    pub fn provisioned(&self) -> usize {
        self.schemas.len()
    }

    pub fn provision_timings(&self) -> &[ProvisionTiming] {
        &self.timings
    }

    /// Provisions tenants through nginx and the API, in order, until there are `n`.
    pub async fn provision_up_to(&mut self, n: usize) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/sys/provision", self.config.base_url);
        let from = self.provisioned() + 1;
        eprintln!("== provisioning tenants {from}..={n}");
        for tenant in from..=n {
            let body = json!({
                "domain": domain(tenant),
                "name": format!("Bench {tenant}"),
                "theme": {"primary_color": "#336699", "font": "sans-serif"},
            });
            let started = Instant::now();
            let response = self
                .http
                .post(&url)
                .header("Host", "localhost")
                .bearer_auth(&self.config.admin_token)
                .json(&body)
                .send()
                .await?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            if response.status() != 201 {
                bail!(
                    "provisioning tenant {tenant}: {} {}",
                    response.status(),
                    response.text().await?
                );
            }
            let provisioned: Provisioned = response.json().await?;
            self.timings.push(ProvisionTiming { tenant, ms });
            self.schemas.push(provisioned.schema_name);
            if tenant % 1000 == 0 {
                eprintln!("   {tenant} tenants");
            }
        }
        Ok(())
    }

    /// Gives every tenant not yet seeded 20 menu items, directly in its schema (as the
    /// superuser: set-up, not part of any measurement).
    pub async fn seed_menus(&mut self) -> anyhow::Result<()> {
        let mut batch = String::new();
        for tenant in self.seeded + 1..=self.provisioned() {
            let schema = &self.schemas[tenant - 1];
            batch.push_str(&format!(
                "INSERT INTO \"{schema}\".menu_items (id, name, price, is_available) \
                 SELECT (lpad(to_hex({tenant}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(j), 12, '0'))::uuid, \
                        'Dish number ' || j, 500 + 50 * j, true \
                 FROM generate_series(1, {MENU_ITEMS}) AS j;\n"
            ));
            if tenant % 200 == 0 {
                self.admin_db.batch_execute(&batch).await?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.admin_db.batch_execute(&batch).await?;
        }
        self.seeded = self.provisioned();
        Ok(())
    }

    /// Lets PostgreSQL settle after bulk provisioning and seeding before anything is measured:
    /// a `CHECKPOINT` writes out what they dirtied (with thousands of new tables, the next
    /// automatic checkpoint would otherwise fsync them in the middle of a measured run).
    /// Returns how long it took; the report shows it.
    pub async fn settle(&self) -> anyhow::Result<f64> {
        let started = Instant::now();
        self.admin_db.batch_execute("CHECKPOINT").await?;
        Ok(started.elapsed().as_secs_f64())
    }

    fn provisioner(&self) -> anyhow::Result<PgProvisioner> {
        let mut settings = PgSettings::new(self.config.database_url.clone());
        settings.max_connections = 8;
        let pool = PgPool::new(&settings)?;
        Ok(PgProvisioner::with_tenant_migrations(
            pool,
            self.next_migrations.clone(),
        ))
    }

    /// `migrate_all` with one migration every tenant lacks.
    pub async fn migrate_all_with_new_migration(&self) -> anyhow::Result<MigrateTiming> {
        let provisioner = self.provisioner()?;
        let started = Instant::now();
        let report = chameleon_core_migrate(&provisioner).await?;
        let seconds = started.elapsed().as_secs_f64();
        if report.migrated != self.provisioned() {
            bail!(
                "migrate_all migrated {} of {} tenants",
                report.migrated,
                self.provisioned()
            );
        }
        Ok(MigrateTiming {
            tenants: report.tenants,
            migrated: report.migrated,
            seconds,
        })
    }

    /// `migrate_all` again: nothing to do.
    pub async fn migrate_all_noop(&self) -> anyhow::Result<MigrateTiming> {
        let provisioner = self.provisioner()?;
        let started = Instant::now();
        let report = chameleon_core_migrate(&provisioner).await?;
        let seconds = started.elapsed().as_secs_f64();
        if report.migrated != 0 {
            bail!("a second migrate_all migrated {} tenants", report.migrated);
        }
        Ok(MigrateTiming {
            tenants: report.tenants,
            migrated: 0,
            seconds,
        })
    }
}

async fn chameleon_core_migrate(
    provisioner: &PgProvisioner,
) -> anyhow::Result<chameleon_core::ports::MigrationReport> {
    use chameleon_core::ports::TenantProvisioner as _;
    Ok(provisioner.migrate_all().await?)
}
