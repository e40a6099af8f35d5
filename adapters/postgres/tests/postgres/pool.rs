//! The pool: warming up opens every connection ahead of time; the session limits hold; a stale
//! cached plan is prepared again.

use super::support::TestDb;
use chameleon_postgres::{PgPool, PgSettings};

async fn backends(db: &TestDb) -> i64 {
    db.inspect()
        .await
        .query_one(
            // Clients only: Citus keeps background workers and connections of its own.
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
               AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
               AND application_name NOT LIKE 'citus%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn warming_up_opens_every_connection_before_it_is_needed() {
    let db = TestDb::new().await;
    let mut settings = PgSettings::new(db.url());
    settings.max_connections = 6;
    let pool = PgPool::new(&settings).unwrap();
    assert_eq!(
        backends(&db).await,
        0,
        "nothing is opened before it is needed"
    );
    pool.warm_up().await.unwrap();
    assert_eq!(backends(&db).await, 6);
    pool.close();
}

/// The service's session limits hold on every connection, and the server enforces them: a
/// statement past `statement_timeout` and a transaction idle past
/// `idle_in_transaction_session_timeout` end, and the first is classified as "the database cannot
/// serve now" (HTTP 503), not as a bug.
#[tokio::test]
async fn the_statement_and_idle_in_transaction_timeouts_are_set_and_enforced() {
    use std::time::{Duration, Instant};

    use chameleon_core::ports::BackendUnavailable;
    use chameleon_postgres::SessionLimits;
    use chameleon_postgres::TenantTx;

    use super::support::{provision, service_on};

    let db = TestDb::new().await;
    let mut settings = PgSettings::new(db.url());
    settings.max_connections = 2;
    settings.limits = SessionLimits {
        statement_timeout: Some(Duration::from_millis(300)),
        lock_timeout: Some(Duration::from_millis(200)),
        idle_in_transaction_timeout: Some(Duration::from_millis(400)),
    };
    let pool = PgPool::new(&settings).unwrap();
    {
        let conn = pool.get().await.unwrap();
        let shown: Vec<String> = conn
            .client()
            .simple_query(
                "SELECT current_setting('statement_timeout') || ' ' || \
                 current_setting('lock_timeout') || ' ' || \
                 current_setting('idle_in_transaction_session_timeout')",
            )
            .await
            .unwrap()
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .collect();
        assert_eq!(shown, ["300ms 200ms 400ms"]);
    }

    // A statement running past its limit is cancelled by the server, and classified. The
    // tenant is provisioned without those limits: on Citus, creating a tenant's nine tables
    // takes longer than the 300 ms this pool allows a statement.
    let tenant = provision(&service_on(db.pool()), "slow.localhost").await;
    let started = Instant::now();
    let mut tx = TenantTx::begin(&pool, &tenant).await.unwrap();
    let slow = tx
        .query(
            "SELECT pg_sleep(5) FROM menu_items UNION ALL SELECT pg_sleep(5)",
            &[],
        )
        .await;
    let err = slow.expect_err("the statement outlived statement_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(BackendUnavailable::caused(&err), "{err:#}");
    drop(tx);

    // A transaction left idle past its limit is ended by the server with its session.
    let conn = pool.get().await.unwrap();
    conn.client().batch_execute("BEGIN").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        conn.client().batch_execute("SELECT 1").await.is_err(),
        "the idle transaction's session was ended"
    );
}

/// A statement whose cached plan a migration invalidated (the server answers 0A000, "cached plan
/// must not change result type") is prepared again, and the transaction that met it as its
/// first statement goes on as if nothing happened.
#[tokio::test]
async fn a_cached_plan_a_migration_changed_is_prepared_again_and_the_read_succeeds() {
    use super::support::{add_item, provision, service_on};

    let db = TestDb::new().await;
    let mut settings = PgSettings::new(db.url());
    // One connection: the statement cached by the first read is the one the second read uses.
    settings.max_connections = 1;
    let pool = PgPool::new(&settings).unwrap();
    let app = service_on(&pool);
    let tenant = provision(&app, "plans.localhost").await;
    add_item(&app, &tenant, "Soup", 450).await;
    assert_eq!(app.menu.list_menu_items(&tenant).await.unwrap().len(), 1);
    let prepared_before: i64 = {
        let conn = pool.get().await.unwrap();
        conn.client()
            .query_one("SELECT count(*) FROM pg_prepared_statements", &[])
            .await
            .unwrap()
            .get(0)
    };
    assert!(prepared_before > 0, "the read's statement is cached");
    // A migration changes a column the cached statement returns.
    db.inspect()
        .await
        .batch_execute(&format!(
            "ALTER TABLE \"{}\".menu_items ALTER COLUMN name TYPE varchar(200)",
            tenant.schema.as_str()
        ))
        .await
        .unwrap();
    let items = app.menu.list_menu_items(&tenant).await;
    assert_eq!(
        items.expect("the stale plan was prepared again").len(),
        1,
        "and the read answered"
    );
}
