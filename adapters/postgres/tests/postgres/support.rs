//! Shared set-up for the PostgreSQL tests: a database per test (through the test support, not
//! an adapter), the adapters wired together the way the binary does it, and a few helpers.

use std::ops::Deref;

use chameleon_core::menu::MenuItem;
use chameleon_core::order::{CustomerName, OrderLines, OrderRequest, PlaceOrderRequest, Quantity};
use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_core::tenant::{Domain, ManagerApiKey, NewTenant, Tenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use chameleon_postgres::provisioning::fleet::{self, FleetReport, FleetSettings};
use chameleon_postgres::provisioning::migrations::{
    migrations_fingerprint, store_tenant_migration,
};
use chameleon_postgres::{
    DirectoryCacheSettings, InstallSettings, MenuCacheSettings, PgDirectory, PgExport, PgMenu,
    PgOrders, PgPool, PgProvisioner, PgSettings, install_at,
};
use chameleon_testkit::Template;
use tokio_postgres::Client;

// The port contract's own set-up helpers serve these tests too.
pub use chameleon_core::contract::{add_item, all_orders, open, provision};

/// The serving role of every test database (roles belong to the whole server, so they share
/// it). The password only matters on a server that asks for one (the private test cluster).
pub const SERVING_ROLE: &str = "chameleon_test_service";
pub const SERVING_PASSWORD: &str = "chameleon-test-service-password";

/// Test databases start with the control plane installed, as `chameleon migrate` does it.
pub fn template() -> Template {
    Template {
        name: "chameleon_template",
        fingerprint: migrations_fingerprint(),
        build: |url| Box::pin(async move { install_at(&url, &install_settings()).await.map(drop) }),
        // Tenant roles are named like their schemas.
        roles_query: chameleon_postgres::tables::tenants::SCHEMA_NAMES,
        after_clone: "GRANT CONNECT, CREATE ON DATABASE {database} TO chameleon_owner",
    }
}

/// How the tests install the control plane, as `chameleon migrate` would with the test's role.
pub fn install_settings() -> InstallSettings {
    InstallSettings {
        serving_role: SERVING_ROLE.to_owned(),
        serving_password: Some(SERVING_PASSWORD.to_owned()),
        lock_wait: chameleon_postgres::provisioning::DEFAULT_LOCK_WAIT,
    }
}

/// A database of the test's own, with a pool on it.
#[derive(Debug)]
pub struct TestDb {
    pool: PgPool,
    db: chameleon_testkit::TestDb,
}

impl TestDb {
    pub async fn new() -> TestDb {
        Self::with_pool_size(8).await
    }

    pub async fn with_pool_size(size: usize) -> TestDb {
        Self::with_pool(chameleon_testkit::TestDb::new(&template()).await, size)
    }

    /// A database on the test Citus cluster (a coordinator and two workers), whatever
    /// `CHAMELEON_TEST_CITUS` says.
    pub async fn on_citus() -> TestDb {
        Self::with_pool(
            chameleon_testkit::TestDb::new_on_citus(&template()).await,
            8,
        )
    }

    /// [`TestDb::with_pool_size`], whose callers wait up to `wait` for a connection (instead
    /// of the service's 5 s): for a test that queues far more work than its connections serve
    /// at once, and checks where it lands, not how fast.
    pub async fn with_pool_size_and_wait(size: usize, wait: std::time::Duration) -> TestDb {
        let db = chameleon_testkit::TestDb::new(&template()).await;
        let mut settings = PgSettings::new(db.url());
        settings.max_connections = size;
        settings.acquire_timeout = wait;
        TestDb {
            pool: PgPool::new(&settings).expect("a pool on the test database"),
            db,
        }
    }

    fn with_pool(db: chameleon_testkit::TestDb, size: usize) -> TestDb {
        let mut settings = PgSettings::new(db.url());
        settings.max_connections = size;
        TestDb {
            pool: PgPool::new(&settings).expect("a pool on the test database"),
            db,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl Deref for TestDb {
    type Target = chameleon_testkit::TestDb;

    fn deref(&self) -> &Self::Target {
        &self.db
    }
}

/// Every port over PostgreSQL, as the binary wires them (the binary's own `PgPorts` is not
/// reachable from an adapter's tests, and must not be: the adapter does not depend on it).
#[derive(Debug)]
pub struct PgPorts;

impl Ports for PgPorts {
    type Directory = PgDirectory;
    type Provisioner = PgProvisioner;
    type Export = PgExport;
    type Menu = PgMenu;
    type Orders = PgOrders;
    type Staff = chameleon_postgres::PgStaff;
}

pub fn service_on(pool: &PgPool) -> Chameleon<PgPorts> {
    service_with_directory(
        pool,
        PgDirectory::new(pool.clone(), DirectoryCacheSettings::default()),
    )
}

/// [`service_on`] with `directory` (a clone of which the caller keeps, to count its lookups).
pub fn service_with_directory(pool: &PgPool, directory: PgDirectory) -> Chameleon<PgPorts> {
    Chameleon::new(
        directory,
        PgProvisioner::new(pool.clone()),
        PgExport::new(pool.clone()),
        PgMenu::new(pool.clone(), MenuCacheSettings::default()),
        PgOrders::new(pool.clone()),
        chameleon_postgres::PgStaff::new(pool.clone()),
    )
}

pub fn service(db: &TestDb) -> Chameleon<PgPorts> {
    service_on(db.pool())
}

/// The items `tenant`'s storefront shows now (panics if the tenant is suspended or the read
/// fails).
pub async fn store_items(app: &Chameleon<PgPorts>, tenant: &Tenant) -> Vec<MenuItem> {
    app.menu.store_menu(&open(tenant)).await.unwrap().items
}

pub fn order_of(item: &MenuItem, qty: i64, customer: &str) -> PlaceOrderRequest {
    PlaceOrderRequest {
        placed_at: jiff::Timestamp::now(),
        tracking_token: chameleon_core::order::TrackingToken::parse(&"A".repeat(43)).unwrap(),
        order: OrderRequest {
            pickup_at: None,
            customer: CustomerName::parse(customer).unwrap(),
            lines: OrderLines::parse([(item.id, Quantity::try_from(qty).unwrap())]).unwrap(),
        },
        idempotency_key: None,
    }
}

/// Rows in `<schema>.<table>`, counted by the administrative user.
pub async fn count(db: &TestDb, schema: &str, table: &str) -> i64 {
    db.inspect()
        .await
        .query_one(
            &format!("SELECT count(*) FROM \"{schema}\".\"{table}\""),
            &[],
        )
        .await
        .expect("counting rows")
        .get(0)
}

/// Stores one more tenant migration, `V{n}__{name}` after the last one (what a new release of
/// the binary would do through `chameleon migrate`).
pub async fn add_tenant_migration(db: &TestDb, name: &str, sql: &str) -> i32 {
    let client = db.inspect().await;
    let latest: i32 = scalar(
        &client,
        "SELECT max(version) FROM chameleon_sys.tenant_migrations",
        &[],
    )
    .await;
    let version = latest + 1;
    let migration =
        refinery::Migration::unapplied(&format!("V{version}__{name}"), sql).expect("a migration");
    store_tenant_migration(&client, &migration)
        .await
        .expect("storing a tenant migration");
    version
}

/// The latest stored tenant migration.
pub async fn latest_tenant_version(db: &TestDb) -> i32 {
    scalar(
        &db.inspect().await,
        "SELECT max(version) FROM chameleon_sys.tenant_migrations",
        &[],
    )
    .await
}

pub fn new_tenant(domain: &str) -> NewTenant {
    NewTenant {
        domain: Domain::parse(domain).unwrap(),
        name: TenantName::parse("Test Kitchen").unwrap(),
        theme: Theme {
            primary_color: ThemeColor::parse("#00aa00").unwrap(),
            font: Font::SansSerif,
        },
        settings: Default::default(),
        manager_key_hash: ManagerApiKey::from_random_bytes([3; 32]).hash(),
    }
}

/// Single-value query by the administrative user.
pub async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> T {
    client.query_one(sql, params).await.expect(sql).get(0)
}

/// Whether anything of the tenant with schema/role `name` exists: its row, schema, role.
pub async fn traces(client: &Client, name: &str) -> (i64, i64, i64) {
    (
        scalar(
            client,
            "SELECT count(*) FROM public.tenants WHERE schema_name = $1",
            &[&name],
        )
        .await,
        scalar(
            client,
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&name],
        )
        .await,
        scalar(
            client,
            "SELECT count(*) FROM pg_roles WHERE rolname = $1",
            &[&name],
        )
        .await,
    )
}

/// Runs the fleet migrator as `chameleon migrate` runs it: as the owner role, the default jobs
/// and lock timeout.
pub async fn migrate_fleet(db: &TestDb) -> FleetReport {
    let settings = FleetSettings::default();
    let pool = PgPool::new(&fleet::owner_settings(PgSettings::new(db.url()), &settings))
        .expect("a pool as the owner role");
    let report = fleet::migrate(&pool, settings, &mut ())
        .await
        .expect("the fleet could be read");
    pool.close();
    report
}
