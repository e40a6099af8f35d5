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
        app.list_menu_items(&tenant).await.unwrap().is_empty(),
        "the insert was rolled back"
    );

    // A request cancelled while its statement is in flight.
    let mut tx = TenantTx::begin(db.pool(), &tenant).await.unwrap();
    let cancelled = tokio::time::timeout(
        Duration::from_millis(5),
        tx.query(
            "SELECT pg_sleep(0.2) FROM menu_items UNION ALL SELECT pg_sleep(0.2)",
            &[],
        ),
    )
    .await;
    assert!(cancelled.is_err(), "the statement outlived the timeout");
    drop(tx);
    assert_eq!(session_state(&db).await, clean);
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
    app.list_menu_items(&a).await.unwrap();
    all_orders(&app, &a).await;
    let warm = prepared().await;
    for _ in 0..25 {
        for tenant in [&a, &b] {
            let items = app.list_menu_items(tenant).await.unwrap();
            assert_eq!(items.len(), 1);
            all_orders(&app, tenant).await;
        }
    }
    assert_eq!(prepared().await, warm, "no statement was prepared again");
    // One statement, two tenants: each read saw its own tenant's table.
    assert_eq!(
        app.list_menu_items(&a).await.unwrap()[0].name.as_str(),
        "Burger"
    );
    assert_eq!(
        app.list_menu_items(&b).await.unwrap()[0].name.as_str(),
        "Salad"
    );
}
