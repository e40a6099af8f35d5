//! Warming the pool up opens every connection ahead of time.

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
