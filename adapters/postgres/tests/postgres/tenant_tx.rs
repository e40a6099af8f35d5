//! The tenant-bound transaction's hygiene: what a connection carries back to the pool.

use std::time::Duration;

use chameleon_postgres::TenantTx;

use super::support::TestDb;

use super::support::{add_item, all_orders, provision, service};

/// Role, search path and open transaction id of the pool's only connection, as seen by a
/// control-plane (not tenant-bound) statement. A transaction that wrote and was never ended would
/// still show its transaction id.
async fn session_state(db: &TestDb) -> (String, String, Option<String>) {
    let conn = db.pool().get().await.unwrap();
    let row = conn
        .client()
        .query_one(
            "SELECT current_user::text, current_setting('search_path'), \
                    txid_current_if_assigned()::text",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test]
async fn a_transaction_dropped_midway_is_rolled_back_before_the_connection_is_reused() {
    let db = TestDb::with_pool_size(1).await;
    let app = service(&db);
    let tenant = provision(&app, "a.com").await;
    let clean = session_state(&db).await;
    assert_eq!(clean.2, None, "a fresh connection has no transaction");

    let mut tx = TenantTx::begin(db.pool(), &tenant).await.unwrap();
    tx.query(
        "INSERT INTO menu_items (id, name, price) VALUES (gen_random_uuid(), 'Ghost', 1)",
        &[],
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(
        session_state(&db).await,
        clean,
        "role and search_path are reset"
    );
    assert!(
        app.menu.list_menu_items(&tenant).await.unwrap().is_empty(),
        "the insert was rolled back"
    );

    // A request cancelled while its statement is in flight: the server is asked to cancel the
    // statement (seen in pg_stat_activity: it stops running long before it would have ended),
    // and the connection is not reused (the next transaction gets a clean one at once, instead
    // of waiting behind the statement).
    let mut tx = TenantTx::begin(db.pool(), &tenant).await.unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(200), tx.query(CANCEL_PROBE, &[])).await;
    assert!(cancelled.is_err(), "the statement outlived the timeout");
    let admin = db.inspect().await;
    assert!(
        running(&admin).await,
        "the probe runs on the server before the request is dropped"
    );
    let dropped_at = std::time::Instant::now();
    drop(tx);
    while running(&admin).await {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(10),
            "the statement still runs 10 s after its request was dropped: no cancel reached it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(session_state(&db).await, clean);
    assert!(
        dropped_at.elapsed() < Duration::from_secs(10),
        "the next transaction did not wait for the statement"
    );
}

/// A statement that runs for a minute unless it is cancelled, marked so it can be found.
const CANCEL_PROBE: &str = "SELECT pg_sleep(60) /* chameleon-cancel-probe */ FROM menu_items \
     UNION ALL SELECT pg_sleep(60) /* chameleon-cancel-probe */";

/// Whether the probe runs on the server now.
async fn running(admin: &tokio_postgres::Client) -> bool {
    admin
        .query_one(
            "SELECT count(*) > 0 FROM pg_stat_activity \
             WHERE state = 'active' AND query LIKE '%chameleon-cancel-probe%' \
             AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn statements_are_prepared_once_per_connection_whatever_the_tenant() {
    let db = TestDb::with_pool_size(1).await;
    let app = service(&db);
    let a = provision(&app, "a.com").await;
    let b = provision(&app, "b.com").await;
    add_item(&app, &a, "Burger", 900).await;
    add_item(&app, &b, "Salad", 700).await;

    let prepared = || async {
        let conn = db.pool().get().await.unwrap();
        conn.client()
            .query_one("SELECT count(*) FROM pg_prepared_statements", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    // Warm up: every statement the next loop uses is prepared once.
    app.menu.list_menu_items(&a).await.unwrap();
    all_orders(&app, &a).await;
    let warm = prepared().await;
    for _ in 0..25 {
        for tenant in [&a, &b] {
            let items = app.menu.list_menu_items(tenant).await.unwrap();
            assert_eq!(items.len(), 1);
            all_orders(&app, tenant).await;
        }
    }
    assert_eq!(prepared().await, warm, "no statement was prepared again");
    // One statement, two tenants: each read saw its own tenant's table.
    assert_eq!(
        app.menu.list_menu_items(&a).await.unwrap()[0].name.as_str(),
        "Burger"
    );
    assert_eq!(
        app.menu.list_menu_items(&b).await.unwrap()[0].name.as_str(),
        "Salad"
    );
}
