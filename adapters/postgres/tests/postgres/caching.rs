//! The read paths every storefront request takes need no database once warm, and writes made
//! through the service are seen at once.

use super::support::TestDb;
use chameleon_core::menu::MenuItemPatch;
use chameleon_core::tenant::Domain;

use super::support::{add_item, open, provision, service, store_items};

#[tokio::test]
async fn warm_tenant_and_menu_reads_need_no_database() {
    let db = TestDb::new().await;
    let app = service(&db);
    let pizza = provision(&app, "pizza.localhost").await;
    add_item(&app, &pizza, "Margherita", 1200).await;
    let host = Domain::parse("pizza.localhost:8080").unwrap();
    let resolved = app.tenancy.tenant_for_domain(&host).await.unwrap().unwrap();
    app.menu.store_menu(&open(&resolved)).await.unwrap();

    db.pool().close();

    let again = app
        .tenancy
        .tenant_for_domain(&host)
        .await
        .unwrap()
        .expect("answered from the cache");
    assert_eq!(again.id, pizza.id);
    assert_eq!(
        app.tenancy
            .tenant_by_id(pizza.id)
            .await
            .unwrap()
            .unwrap()
            .id,
        pizza.id
    );
    let menu = store_items(&app, &again).await;
    assert_eq!(menu[0].name.as_str(), "Margherita");
    // What is not cached does need the database, which is gone: proof the above was the cache.
    assert!(app.menu.list_menu_items(&pizza).await.is_err());
    let unknown = Domain::parse("never.seen.localhost").unwrap();
    assert!(app.tenancy.tenant_for_domain(&unknown).await.is_err());
}

#[tokio::test]
async fn a_domain_found_missing_resolves_as_soon_as_it_is_provisioned() {
    let db = TestDb::new().await;
    let app = service(&db);
    let domain = Domain::parse("late.localhost").unwrap();
    assert!(
        app.tenancy
            .tenant_for_domain(&domain)
            .await
            .unwrap()
            .is_none()
    );
    let tenant = provision(&app, "late.localhost").await;
    let found = app.tenancy.tenant_for_domain(&domain).await.unwrap();
    assert_eq!(found.map(|t| t.id), Some(tenant.id));
}

#[tokio::test]
async fn manager_changes_reach_the_storefront_menu_at_once() {
    let db = TestDb::new().await;
    let app = service(&db);
    let tenant = provision(&app, "a.com").await;
    assert!(store_items(&app, &tenant).await.is_empty());
    let burger = add_item(&app, &tenant, "Burger", 900).await;
    assert_eq!(store_items(&app, &tenant).await, vec![burger.clone()]);
    let off = MenuItemPatch {
        is_available: Some(false),
        ..MenuItemPatch::default()
    };
    app.menu
        .update_menu_item(&tenant, burger.id, off)
        .await
        .unwrap();
    // Still listed (greyed on the storefront), sold out at once.
    let listed = store_items(&app, &tenant).await;
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].is_available);
    let on = MenuItemPatch {
        is_available: Some(true),
        ..MenuItemPatch::default()
    };
    app.menu
        .update_menu_item(&tenant, burger.id, on)
        .await
        .unwrap();
    assert!(store_items(&app, &tenant).await[0].is_available);
    app.menu.delete_menu_item(&tenant, burger.id).await.unwrap();
    assert!(store_items(&app, &tenant).await.is_empty());
}

#[tokio::test]
async fn a_flood_of_unknown_hosts_costs_at_most_the_miss_budget_and_evicts_nobody() {
    use chameleon_core::ports::TenantDirectory as _;
    use chameleon_postgres::{DirectoryCacheSettings, PgDirectory};
    use std::time::Instant;

    let db = TestDb::new().await;
    let app = service(&db);
    let real = provision(&app, "real.localhost").await;
    let directory = PgDirectory::new(
        db.pool().clone(),
        DirectoryCacheSettings {
            miss_lookups_per_second: 5,
            ..DirectoryCacheSettings::default()
        },
    );
    let real_domain = Domain::parse("real.localhost").unwrap();
    assert!(
        directory
            .resolve_domain(&real_domain)
            .await
            .unwrap()
            .is_some()
    );
    let before = directory.database_lookups();

    let started = Instant::now();
    let flood = 5_000;
    for n in 0..flood {
        let domain = Domain::parse(&format!("x{n}.flood.localhost")).unwrap();
        assert!(directory.resolve_domain(&domain).await.unwrap().is_none());
        let id = chameleon_core::tenant::TenantId::from_uuid(uuid::Uuid::new_v4());
        assert!(directory.get(id).await.unwrap().is_none());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let queries = directory.database_lookups() - before;
    // The bucket holds one second's worth and refills at 5 a second.
    let allowed = 5.0 + 5.0 * elapsed;
    assert!(
        (queries as f64) <= allowed.ceil(),
        "{queries} queries for {} unknown lookups in {elapsed:.2} s (budget {allowed:.0})",
        2 * flood
    );

    // The real tenant is still served from memory: nothing of the flood took its place.
    db.pool().close();
    let still = directory.resolve_domain(&real_domain).await.unwrap();
    assert_eq!(still.map(|t| t.id), Some(real.id));
    assert_eq!(
        directory.get(real.id).await.unwrap().map(|t| t.id),
        Some(real.id)
    );
}

#[tokio::test]
async fn a_secondary_domain_is_cached_under_its_own_name() {
    let db = TestDb::new().await;
    let app = service(&db);
    let tenant = provision(&app, "main.localhost").await;
    let second = Domain::parse("second.localhost").unwrap();
    app.tenancy
        .add_domain(tenant.id, second.clone(), false)
        .await
        .unwrap();
    // Another instance, which has cached nothing: its first lookup reads the database once...
    let directory = chameleon_postgres::PgDirectory::new(
        db.pool().clone(),
        chameleon_postgres::DirectoryCacheSettings::default(),
    );
    let other = super::support::service_with_directory(db.pool(), directory.clone());
    for _ in 0..50 {
        let found = other.tenancy.tenant_for_domain(&second).await.unwrap();
        assert_eq!(found.map(|t| t.id), Some(tenant.id));
    }
    // ... and every later one is answered from memory, under the secondary domain itself.
    assert_eq!(directory.database_lookups(), 1);
}
