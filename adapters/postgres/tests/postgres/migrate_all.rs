//! `migrate_all`: every tenant to the latest tenant migration, each all or nothing.

use super::support::TestDb;
use chameleon_core::ports::TenantProvisioner;
use chameleon_core::tenant::Tenant;
use chameleon_postgres::PgProvisioner;
use chameleon_postgres::provisioning::migrations::tenant_migrations;
use refinery::Migration;

use super::support::{new_tenant, scalar};

fn with_extra(sql: &str) -> Vec<Migration> {
    let mut migrations = tenant_migrations();
    let next = migrations.iter().map(Migration::version).max().unwrap() + 1;
    migrations.push(Migration::unapplied(&format!("V{next}__extra"), sql).unwrap());
    migrations
}

async fn has_description(db: &TestDb, tenant: &Tenant) -> bool {
    scalar(
        &db.inspect().await,
        "SELECT count(*) = 1 FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'menu_items' AND column_name = 'description'",
        &[&tenant.schema.as_str()],
    )
    .await
}

#[tokio::test]
async fn a_new_migration_reaches_every_tenant_once() {
    let db = TestDb::new().await;
    let v1 = PgProvisioner::new(db.pool().clone());
    let mut tenants = Vec::new();
    for n in 0..3 {
        tenants.push(
            v1.provision(new_tenant(&format!("t{n}.localhost")))
                .await
                .unwrap(),
        );
    }
    let noop = v1.migrate_all().await.unwrap();
    assert_eq!((noop.tenants, noop.migrated), (3, 0));

    let v2 = PgProvisioner::with_tenant_migrations(
        db.pool().clone(),
        with_extra("ALTER TABLE menu_items ADD COLUMN description text"),
    );
    let report = v2.migrate_all().await.unwrap();
    assert_eq!((report.tenants, report.migrated), (3, 3));
    for tenant in &tenants {
        assert!(has_description(&db, tenant).await, "{}", tenant.schema);
    }
    let versions: Vec<i32> = db
        .inspect()
        .await
        .query("SELECT schema_version FROM public.tenants", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![v2.latest_version(); 3]);

    let again = v2.migrate_all().await.unwrap();
    assert_eq!((again.tenants, again.migrated), (3, 0));
    // A tenant provisioned now gets the new migration too.
    let late = v2.provision(new_tenant("late.localhost")).await.unwrap();
    assert!(has_description(&db, &late).await);
}

#[tokio::test]
async fn a_failing_migration_leaves_the_tenant_untouched() {
    let db = TestDb::new().await;
    let v1 = PgProvisioner::new(db.pool().clone());
    let tenant = v1.provision(new_tenant("a.localhost")).await.unwrap();
    let broken = PgProvisioner::with_tenant_migrations(
        db.pool().clone(),
        with_extra("ALTER TABLE menu_items ADD COLUMN description text; SELECT 1 / 0;"),
    );
    assert!(broken.migrate_all().await.is_err());
    assert!(!has_description(&db, &tenant).await);
    let version: i32 = scalar(
        &db.inspect().await,
        "SELECT schema_version FROM public.tenants",
        &[],
    )
    .await;
    assert_eq!(version, v1.latest_version());
    let history: i64 = scalar(
        &db.inspect().await,
        &format!(
            "SELECT count(*) FROM \"{}\".refinery_schema_history",
            tenant.schema
        ),
        &[],
    )
    .await;
    assert_eq!(history, tenant_migrations().len() as i64);
}

#[tokio::test]
async fn public_migrations_can_run_again() {
    let db = TestDb::new().await;
    let report = chameleon_postgres::migrate_public(db.pool()).await.unwrap();
    assert!(
        report.applied_migrations().is_empty(),
        "the template was already migrated"
    );
}
