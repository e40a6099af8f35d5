//! `migrate_all`: every tenant to the latest tenant migration, each all or nothing.

use super::support::TestDb;
use chameleon_core::ports::TenantProvisioner;
use chameleon_core::tenant::Tenant;
use chameleon_postgres::PgProvisioner;
use chameleon_postgres::provisioning::migrations::tenant_migrations;

use chameleon_core::idempotency::IdempotencyKey;
use chameleon_core::order::PlaceOrderRequest;
use chameleon_core::ports::Placement;

use super::support::{
    add_item, add_tenant_migration, all_orders, install_settings, new_tenant, order_of, provision,
    scalar, service,
};

async fn has_calories(db: &TestDb, tenant: &Tenant) -> bool {
    scalar(
        &db.inspect().await,
        "SELECT count(*) = 1 FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'menu_items' AND column_name = 'calories'",
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

    let latest = add_tenant_migration(
        &db,
        "extra",
        "ALTER TABLE menu_items ADD COLUMN calories integer",
    )
    .await;
    let v2 = PgProvisioner::new(db.pool().clone());
    let report = v2.migrate_all().await.unwrap();
    assert_eq!((report.tenants, report.migrated), (3, 3));
    for tenant in &tenants {
        assert!(has_calories(&db, tenant).await, "{}", tenant.schema);
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
    assert_eq!(versions, vec![latest; 3]);

    let again = v2.migrate_all().await.unwrap();
    assert_eq!((again.tenants, again.migrated), (3, 0));
    // A tenant provisioned now gets the new migration too.
    let late = v2.provision(new_tenant("late.localhost")).await.unwrap();
    assert!(has_calories(&db, &late).await);
}

#[tokio::test]
async fn a_failing_migration_leaves_the_tenant_untouched() {
    let db = TestDb::new().await;
    let v1 = PgProvisioner::new(db.pool().clone());
    let tenant = v1.provision(new_tenant("a.localhost")).await.unwrap();
    let before = tenant_migrations().len() as i32;
    add_tenant_migration(
        &db,
        "extra",
        "ALTER TABLE menu_items ADD COLUMN calories integer; SELECT 1 / 0;",
    )
    .await;
    assert!(v1.migrate_all().await.is_err());
    assert!(!has_calories(&db, &tenant).await);
    let version: i32 = scalar(
        &db.inspect().await,
        "SELECT schema_version FROM public.tenants",
        &[],
    )
    .await;
    assert_eq!(version, before);
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
async fn installing_again_changes_nothing() {
    let db = TestDb::new().await;
    let settings = install_settings();
    let report = chameleon_postgres::install(db.pool(), &settings)
        .await
        .unwrap();
    assert!(
        report.applied_migrations().is_empty(),
        "the template was already installed"
    );
}

#[tokio::test]
async fn an_edited_released_tenant_migration_is_refused() {
    let db = TestDb::new().await;
    db.inspect()
        .await
        .batch_execute(
            "UPDATE chameleon_sys.tenant_migrations SET checksum = '1' WHERE version = 1",
        )
        .await
        .unwrap();
    let settings = install_settings();
    let refused = chameleon_postgres::install(db.pool(), &settings).await;
    let message = format!("{:#}", refused.unwrap_err());
    assert!(message.contains("must never be edited"), "{message}");
}

/// Idempotency keys came with the first tenant migration after launch: tenants provisioned by the
/// release before it get it from the fleet migration and then take keyed orders like new ones.
#[tokio::test]
async fn tenants_from_before_idempotency_keys_take_keyed_orders_once_migrated() {
    let db = TestDb::new().await;
    if db.citus().is_some() {
        // Not a state a Citus deployment can be in: V2 was released before Citus support, so
        // a Citus tenant is distributed with V2 already applied, and an existing deployment
        // migrates to head before it switches (docs/scaling.md). V2 itself could not run on a
        // distributed table: Citus refuses ADD CONSTRAINT with other subcommands in one
        // ALTER TABLE (a rule for tenant migrations from now on, docs/scaling.md).
        eprintln!("skipped on Citus: V2 precedes Citus support (see the comment)");
        return;
    }
    let admin = db.inspect().await;
    // The release before: only the launch migration is known.
    admin
        .execute(
            "DELETE FROM chameleon_sys.tenant_migrations WHERE version > 1",
            &[],
        )
        .await
        .unwrap();
    let app = service(&db);
    let old = [
        provision(&app, "old-a.localhost").await,
        provision(&app, "old-b.localhost").await,
    ];
    for tenant in &old {
        assert!(!has_idempotency_key(&db, tenant).await, "{}", tenant.schema);
    }

    // The new release: `chameleon migrate` stores its migrations and rolls them out.
    chameleon_postgres::install(db.pool(), &install_settings())
        .await
        .unwrap();
    let report = PgProvisioner::new(db.pool().clone())
        .migrate_all()
        .await
        .unwrap();
    assert_eq!((report.tenants, report.migrated), (2, 2));

    for tenant in &old {
        assert!(has_idempotency_key(&db, tenant).await, "{}", tenant.schema);
        let item = add_item(&app, tenant, "Burger", 900).await;
        let keyed = || PlaceOrderRequest {
            placed_at: jiff::Timestamp::now(),
            tracking_token: chameleon_core::order::TrackingToken::parse(&"A".repeat(43)).unwrap(),
            idempotency_key: Some(IdempotencyKey::parse("checkout-1").unwrap()),
            ..order_of(&item, 2, "Old Guest")
        };
        let first = app.place_order(tenant, keyed()).await.unwrap();
        let Placement::Placed(placed) = first else {
            panic!("the first request was not placed: {first:?}");
        };
        let again = app.place_order(tenant, keyed()).await.unwrap();
        assert_eq!(again, Placement::Replayed(placed.clone()));
        assert_eq!(all_orders(&app, tenant).await, vec![placed]);
    }
}

async fn has_idempotency_key(db: &TestDb, tenant: &Tenant) -> bool {
    scalar(
        &db.inspect().await,
        "SELECT count(*) = 1 FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'orders' AND column_name = 'idempotency_key'",
        &[&tenant.schema.as_str()],
    )
    .await
}
