//! Many instances, one truth: two services on one database, each with its own caches and its
//! own invalidation listener. Caches here live for an hour, so only an invalidation can make the
//! second instance serve a change made through the first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chameleon_core::menu::{MenuItemId, MenuItemPatch, PriceCents};
use chameleon_core::service::Chameleon;
use chameleon_core::tenant::ManagerApiKey;
use chameleon_postgres::{
    DirectoryCacheSettings, Listener, ListenerSettings, MenuCacheSettings, PgDirectory, PgExport,
    PgMenu, PgOrders, PgPool, PgProvisioner, PgSettings, SyncState,
};
use tokio::task::JoinHandle;

use super::support::{PgPorts, TestDb, add_item, provision, store_items};

const HOUR: Duration = Duration::from_secs(3600);

/// One instance of the service: its own pool, caches and listener.
struct Instance {
    app: Chameleon<PgPorts>,
    sync: Arc<SyncState>,
    listening: JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.listening.abort();
    }
}

async fn instance(db: &TestDb) -> Instance {
    let pool = PgPool::new(&PgSettings::new(db.url())).unwrap();
    let sync = Arc::new(SyncState::default());
    let directory = PgDirectory::new(
        pool.clone(),
        DirectoryCacheSettings {
            found_ttl: HOUR,
            found_ttl_synced: HOUR,
            ..DirectoryCacheSettings::default()
        },
    )
    .with_sync(sync.clone());
    let menu = PgMenu::new(
        pool.clone(),
        MenuCacheSettings {
            ttl: HOUR,
            ttl_synced: HOUR,
            ..MenuCacheSettings::default()
        },
    )
    .with_sync(sync.clone());
    let listener = Listener::new(
        &pool,
        sync.clone(),
        ListenerSettings {
            first_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
        },
    )
    .keep(Arc::new(directory.clone()))
    .keep(Arc::new(menu.clone()));
    let listening = tokio::spawn(listener.run());
    let app = Chameleon::new(
        directory,
        PgProvisioner::new(pool.clone()),
        PgExport::new(pool.clone()),
        menu,
        PgOrders::new(pool.clone()),
        chameleon_postgres::PgStaff::new(pool),
    );
    let instance = Instance {
        app,
        sync,
        listening,
    };
    within(Duration::from_secs(5), || async {
        instance.sync.is_listening()
    })
    .await;
    instance
}

/// Polls `check` until it holds, failing the test after `limit`.
async fn within<F, Fut>(limit: Duration, check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "still not the case after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn price(cents: i64) -> MenuItemPatch {
    MenuItemPatch {
        price: Some(PriceCents::try_from(cents).unwrap()),
        ..MenuItemPatch::default()
    }
}

#[tokio::test]
async fn a_menu_change_through_one_instance_is_served_by_the_other_at_once() {
    let db = TestDb::new().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let tenant = provision(&a.app, "a.com").await;
    let soup = add_item(&a.app, &tenant, "Soup", 450).await;
    // B has the menu cached, for an hour.
    assert_eq!(store_items(&b.app, &tenant).await, vec![soup.clone()]);

    a.app
        .menu
        .update_menu_item(&tenant, soup.id, price(520))
        .await
        .unwrap();
    let took = within(Duration::from_secs(2), || async {
        store_items(&b.app, &tenant).await[0].price.cents() == 520
    })
    .await;
    println!("B served the new price {took:?} after A's write");

    // A write that stores nothing publishes nothing. First every change so far has reached B
    // (B may serve the new price before it hears of it, from a refresh): the tenant's
    // provisioning, the item, the price.
    within(Duration::from_secs(2), || async { b.sync.applied() >= 3 }).await;
    let applied = b.sync.applied();
    let ghost = MenuItemId::from_uuid(uuid::Uuid::from_u128(7));
    assert!(
        a.app
            .menu
            .update_menu_item(&tenant, ghost, price(1))
            .await
            .is_err()
    );
    a.app
        .menu
        .update_menu_item(&tenant, soup.id, price(530))
        .await
        .unwrap();
    within(Duration::from_secs(2), || async {
        b.sync.applied() > applied
    })
    .await;
    assert_eq!(b.sync.applied(), applied + 1, "only the stored change");
}

#[tokio::test]
async fn a_rotated_key_reaches_the_other_instance_at_once() {
    let db = TestDb::new().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let tenant = provision(&a.app, "a.com").await;
    let cached = b
        .app
        .tenancy
        .tenant_by_id(tenant.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cached.manager_key_hash, tenant.manager_key_hash);

    let new_key = ManagerApiKey::from_random_bytes([9; 32]).hash();
    a.app
        .tenancy
        .rotate_manager_key(&tenant, new_key.clone())
        .await
        .unwrap();
    within(Duration::from_secs(2), || async {
        b.app
            .tenancy
            .tenant_by_id(tenant.id)
            .await
            .unwrap()
            .unwrap()
            .manager_key_hash
            == new_key
    })
    .await;
    // The domain index too.
    let by_domain = b
        .app
        .tenancy
        .tenant_for_domain(&tenant.domain)
        .await
        .unwrap();
    assert_eq!(by_domain.unwrap().manager_key_hash, new_key);
}

#[tokio::test]
async fn after_a_lost_connection_the_listener_reconnects_and_misses_nothing() {
    let db = TestDb::new().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let tenant = provision(&a.app, "a.com").await;
    let soup = add_item(&a.app, &tenant, "Soup", 450).await;
    assert_eq!(store_items(&b.app, &tenant).await[0].price.cents(), 450);

    // Cut both listeners' connections, then change the menu before they are back: nobody hears
    // this change.
    let admin = db.inspect().await;
    let cut: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query = 'LISTEN chameleon_cache'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cut, 2);
    a.app
        .menu
        .update_menu_item(&tenant, soup.id, price(600))
        .await
        .unwrap();

    // B reconnects and, having possibly missed changes, drops what it had cached.
    within(Duration::from_secs(5), || async { b.sync.connects() >= 2 }).await;
    assert_eq!(store_items(&b.app, &tenant).await[0].price.cents(), 600);
}

#[tokio::test]
async fn payloads_that_do_not_parse_are_dropped_counted_and_change_nothing() {
    let db = TestDb::new().await;
    let a = instance(&db).await;
    let tenant = provision(&a.app, "kept.localhost").await;
    let domain = chameleon_core::tenant::Domain::parse("kept.localhost").unwrap();
    assert!(
        a.app
            .tenancy
            .tenant_for_domain(&domain)
            .await
            .unwrap()
            .is_some()
    );
    within(Duration::from_secs(2), || async { a.sync.applied() >= 1 }).await;
    let (applied, dropped) = (a.sync.applied(), a.sync.dropped());
    let id = tenant.id;
    let admin = db.inspect().await;
    // Anyone who can connect may notify: a forged invalidation naming what no tenant could
    // have, an oversized one, and garbage.
    let many: String = (0..500).map(|i| format!(" d{i}.example")).collect();
    for payload in [
        format!("tenant {id} UPPER.example ../../etc"),
        format!("tenant {id}{many}"),
        "tenant not-a-uuid a.example".to_owned(),
        "\u{1}\u{2}".to_owned(),
    ] {
        admin
            .execute("SELECT pg_notify('chameleon_cache', $1)", &[&payload])
            .await
            .unwrap();
    }
    within(Duration::from_secs(2), || async {
        a.sync.dropped() >= dropped + 4
    })
    .await;
    assert_eq!(a.sync.dropped(), dropped + 4);
    assert_eq!(a.sync.applied(), applied, "nothing applied");
}
