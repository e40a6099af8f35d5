//! The tenants under test: provisioned through the API one by one (each timed), given a menu of
//! [`MENU_ITEMS`] items and two option groups every item offers, with ids the load scripts can
//! compute, and migrated as a fleet.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chameleon_postgres::provisioning::migrations::{
    latest_version, store_tenant_migration, tenant_migrations,
};
use refinery::Migration;
use serde::Deserialize;
use serde_json::json;

use super::stack::Target;
use super::stats::ProvisionTiming;

/// Items per tenant menu.
pub const MENU_ITEMS: u32 = 20;

/// The id of item `item` (1-based) of tenant `tenant` (1-based): the load scripts build the same
/// text, so orders name real items without asking the API first.
pub fn item_id(tenant: usize, item: u32) -> String {
    format!("{tenant:08x}-0000-4000-8000-{item:012x}")
}

/// The id of option `option` (1-based) of group `group` (1: a size, 2: extras) of tenant
/// `tenant`, as the order script builds it.
pub fn option_id(tenant: usize, group: u32, option: u32) -> String {
    format!("{tenant:08x}-0000-4000-a000-{:012x}", group * 16 + option)
}

/// The id of group `group` of tenant `tenant`.
fn group_id(tenant: usize, group: u32) -> String {
    format!("{tenant:08x}-0000-4000-9000-{group:012x}")
}

/// The two option groups the first half of the items offer (the second half offer none): a
/// size (one of three, optional) and extras (up to three of four), as `option_groups` rows of
/// tenant `tenant`.
fn option_groups_sql(schema: &str, tenant: usize) -> String {
    let options = |group: u32, names: &[(&str, i64)]| {
        let list: Vec<serde_json::Value> = (1..)
            .zip(names)
            .map(|(n, (name, delta))| {
                json!({"id": option_id(tenant, group, n), "name": name, "price_delta": delta,
                       "sold_out_until": null})
            })
            .collect();
        serde_json::Value::Array(list).to_string()
    };
    let size = options(1, &[("Small", -100), ("Regular", 0), ("Large", 250)]);
    let extras = options(
        2,
        &[
            ("Cheese", 100),
            ("Bacon", 150),
            ("Egg", 120),
            ("Avocado", 200),
        ],
    );
    format!(
        "INSERT INTO \"{schema}\".option_groups (id, name, min_choices, max_choices, options) VALUES \
         ('{g1}', 'Size', 0, 1, '{size}'), ('{g2}', 'Extras', 0, 3, '{extras}');\n\
         UPDATE \"{schema}\".menu_items SET option_group_ids = ARRAY['{g1}', '{g2}']::uuid[] \
         WHERE price <= {last_price};\n",
        last_price = item_price(MENU_ITEMS / 2),
        g1 = group_id(tenant, 1),
        g2 = group_id(tenant, 2),
    )
}

pub fn item_price(item: u32) -> i64 {
    500 + 50 * i64::from(item)
}

pub fn domain(tenant: usize) -> String {
    format!("t{tenant}.bench.localhost")
}

/// The part of the provisioning answer the benchmark needs.
#[derive(Deserialize)]
struct Provisioned {
    schema_name: String,
    tenant_id: String,
    manager_api_key: String,
}

/// A tenant's manager credentials. No `Debug`: the key is a secret.
#[derive(Clone)]
pub struct ManagerLogin {
    pub tenant_id: String,
    pub api_key: String,
}

/// What one `chameleon migrate` (the fleet migrator) did: tenants in all, tenants it brought to
/// the latest migration.
#[derive(Debug, Clone, Copy)]
struct Migrated {
    tenants: usize,
    migrated: usize,
}

/// How long one `chameleon migrate` took, and over how many tenants.
#[derive(Debug, Clone, Copy)]
pub struct MigrateTiming {
    pub tenants: usize,
    pub seconds: f64,
}

/// Holds the admin token and connection strings: no `Debug`, so they are never printed.
pub struct Fleet {
    base_url: String,
    admin_token: String,
    /// `chameleon migrate` runs as a login that may install: the superuser.
    superuser_url: String,
    /// The `chameleon` binary the stack runs.
    bin: std::path::PathBuf,
    http: reqwest::Client,
    superuser_db: tokio_postgres::Client,
    /// Tenant `n`'s schema is `schemas[n - 1]`.
    pub schemas: Vec<String>,
    seeded: usize,
    timings: Vec<ProvisionTiming>,
    /// Tenant 1's manager login: the writes the staleness measurement makes.
    first_manager: Option<ManagerLogin>,
}

impl Fleet {
    pub async fn connect(target: &Target<'_>) -> anyhow::Result<Fleet> {
        let superuser_db = chameleon_stack::stack::connect(&target.superuser_url)
            .await
            .context("connecting to the benchmark database as the superuser")?;
        Ok(Fleet {
            base_url: target.base_url.clone(),
            admin_token: target.admin_token.to_owned(),
            superuser_url: target.superuser_url.clone(),
            bin: target.stack.settings().bin.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            superuser_db,
            schemas: Vec::new(),
            seeded: 0,
            timings: Vec::new(),
            first_manager: None,
        })
    }

    pub fn provisioned(&self) -> usize {
        self.schemas.len()
    }

    /// Gives every restaurant's pickup slots `capacity` (`None`: unlimited), as a manager's
    /// settings change would (the row's trigger tells every instance), then waits for the
    /// instances to have it.
    pub async fn set_slot_capacity(&self, capacity: Option<i16>) -> anyhow::Result<()> {
        self.superuser_db
            .execute("UPDATE public.tenants SET slot_capacity = $1", &[&capacity])
            .await
            .context("setting the slot capacity")?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    }

    /// Tenant 1's manager login, once it is provisioned.
    pub fn first_manager(&self) -> Option<&ManagerLogin> {
        self.first_manager.as_ref()
    }

    /// Every provisioning so far, in order.
    pub fn provision_timings(&self) -> &[ProvisionTiming] {
        &self.timings
    }

    /// Provisions and seeds tenants until there are `tenants`, then lets PostgreSQL settle.
    /// Returns the seconds settling took.
    pub async fn grow_to(&mut self, tenants: usize) -> anyhow::Result<f64> {
        self.provision_up_to(tenants).await?;
        self.seed_menus().await?;
        self.settle().await
    }

    /// Provisions tenants through nginx and the API, in order, until there are `n`.
    async fn provision_up_to(&mut self, n: usize) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/sys/provision", self.base_url);
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
                .bearer_auth(&self.admin_token)
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
            if tenant == 1 {
                self.first_manager = Some(ManagerLogin {
                    tenant_id: provisioned.tenant_id,
                    api_key: provisioned.manager_api_key,
                });
            }
            self.timings.push(ProvisionTiming { tenant, ms });
            self.schemas.push(provisioned.schema_name);
            if tenant % 1000 == 0 {
                eprintln!("   {tenant} tenants");
            }
        }
        Ok(())
    }

    /// Gives every tenant not yet seeded its menu, directly in its schema (as the superuser:
    /// set-up, not part of any measurement).
    async fn seed_menus(&mut self) -> anyhow::Result<()> {
        let mut batch = String::new();
        for tenant in self.seeded + 1..=self.provisioned() {
            let schema = &self.schemas[tenant - 1];
            batch.push_str(&format!(
                "INSERT INTO \"{schema}\".menu_items (id, name, price, is_available) \
                 SELECT (lpad(to_hex({tenant}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(j), 12, '0'))::uuid, \
                        'Dish number ' || j, 500 + 50 * j, true \
                 FROM generate_series(1, {MENU_ITEMS}) AS j;\n"
            ));
            batch.push_str(&option_groups_sql(schema, tenant));
            // Batches keep the round trips few without one enormous statement.
            if tenant % 200 == 0 {
                self.superuser_db.batch_execute(&batch).await?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.superuser_db.batch_execute(&batch).await?;
        }
        self.seeded = self.provisioned();
        Ok(())
    }

    /// Lets PostgreSQL settle after bulk provisioning and seeding before anything is measured,
    /// and returns how long it took (the results show it):
    /// - `VACUUM ANALYZE` of the system catalogs: provisioning thousands of tenants adds
    ///   hundreds of thousands of catalog rows, and autovacuum otherwise processes `pg_class`,
    ///   `pg_attribute`, `pg_depend` and the rest right in the next measured run (it did, at
    ///   10,000 tenants: `docs/benchmarks.md`);
    /// - waiting (at most a minute) until no autovacuum worker runs;
    /// - a `CHECKPOINT`, which writes out what all that dirtied (with thousands of new tables,
    ///   the next automatic checkpoint would otherwise fsync them mid-run).
    async fn settle(&self) -> anyhow::Result<f64> {
        let started = Instant::now();
        let catalogs: Vec<String> = self
            .superuser_db
            .query(
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'",
                &[],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        self.superuser_db
            .batch_execute(&format!("VACUUM (ANALYZE) {}", catalogs.join(", ")))
            .await
            .context("vacuuming the catalogs")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let busy: i64 = self
                .superuser_db
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
                    &[],
                )
                .await?
                .get(0);
            if busy == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.superuser_db.batch_execute("CHECKPOINT").await?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// `chameleon migrate`, the operator's command, timed as a whole: the control plane (its
    /// install and the serving role's grants, which name every tenant role) and then the
    /// fleet, 4 tenants at a time (its default). The report is read back from the database.
    async fn chameleon_migrate(&self) -> anyhow::Result<(Migrated, f64)> {
        let before = self.behind().await?;
        let started = Instant::now();
        let output = tokio::process::Command::new(&self.bin)
            .arg("migrate")
            .env("DATABASE_URL", &self.superuser_url)
            .env("SERVING_ROLE", chameleon_stack::stack::SERVING_ROLE)
            .env("MIGRATION_JOBS", "4")
            .env("RUST_LOG", "warn")
            .output()
            .await
            .context("running chameleon migrate")?;
        let seconds = started.elapsed().as_secs_f64();
        if !output.status.success() {
            bail!(
                "chameleon migrate failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let after = self.behind().await?;
        if after != 0 {
            bail!("chameleon migrate left {after} tenants behind");
        }
        let tenants: i64 = self
            .superuser_db
            .query_one("SELECT count(*) FROM public.tenants", &[])
            .await?
            .get(0);
        Ok((
            Migrated {
                tenants: usize::try_from(tenants)?,
                migrated: usize::try_from(before)?,
            },
            seconds,
        ))
    }

    /// Tenants below the latest stored tenant migration.
    async fn behind(&self) -> anyhow::Result<i64> {
        Ok(self
            .superuser_db
            .query_one(
                "SELECT count(*) FROM public.tenants WHERE schema_version < \
                   (SELECT max(version) FROM chameleon_sys.tenant_migrations)",
                &[],
            )
            .await?
            .get(0))
    }

    /// `chameleon migrate` with one migration every tenant lacks: stored first, as a release that
    /// adds a tenant migration would store it (`chameleon migrate`), untimed.
    pub async fn migrate_fleet_with_new_migration(&self) -> anyhow::Result<MigrateTiming> {
        let next = latest_version(&tenant_migrations()) + 1;
        let migration = Migration::unapplied(
            &format!("V{next}__bench_item_calories"),
            "ALTER TABLE menu_items ADD COLUMN calories integer",
        )?;
        store_tenant_migration(&self.superuser_db, &migration).await?;
        let (report, seconds) = self.chameleon_migrate().await?;
        if report.migrated != self.provisioned() {
            bail!(
                "chameleon migrate migrated {} of {} tenants",
                report.migrated,
                self.provisioned()
            );
        }
        Ok(MigrateTiming {
            tenants: report.tenants,
            seconds,
        })
    }

    /// `chameleon migrate` again: nothing to do.
    pub async fn migrate_fleet_noop(&self) -> anyhow::Result<MigrateTiming> {
        let (report, seconds) = self.chameleon_migrate().await?;
        if report.migrated != 0 {
            bail!(
                "a second chameleon migrate migrated {} tenants",
                report.migrated
            );
        }
        Ok(MigrateTiming {
            tenants: report.tenants,
            seconds,
        })
    }
}
