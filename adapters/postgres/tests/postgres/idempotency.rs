//! Idempotency keys over PostgreSQL, where the clock and other sessions are real: a key past its
//! lifetime, and a request under a key another transaction is still storing an order under.

use std::time::{Duration, Instant};

use chameleon_core::idempotency::{IdempotencyKey, KeyReused};
use chameleon_core::menu::MenuItem;
use chameleon_core::order::PlaceOrderRequest;
use chameleon_core::ports::{PlaceOrderError, Placement};
use chameleon_core::tenant::Tenant;
use chameleon_postgres::{PgPool, PgSettings, SessionLimits};
use tokio_postgres::Client;

use super::support::{
    TestDb, add_item, all_orders, open, order_of, provision, service, service_on,
};

fn keyed(item: &MenuItem, qty: i64, key: &str) -> PlaceOrderRequest {
    PlaceOrderRequest {
        placed_at: jiff::Timestamp::now(),
        tracking_token: chameleon_core::order::TrackingToken::parse(&"A".repeat(43)).unwrap(),
        idempotency_key: Some(IdempotencyKey::parse(key).unwrap()),
        ..order_of(item, qty, "Guest")
    }
}

/// Opens a transaction on `admin` that stores an order of `item` under `key` (with a fingerprint
/// no real request has) and leaves it open.
async fn store_under_key_uncommitted(admin: &Client, tenant: &Tenant, item: &MenuItem, key: &str) {
    admin
        .batch_execute(&format!(
            "BEGIN; INSERT INTO \"{}\".orders \
             (id, customer_name, status, total_amount, items, idempotency_key, request_fingerprint) \
             VALUES (gen_random_uuid(), 'Someone', 'PENDING', 900, \
                     '[{{\"id\": \"{id}\", \"name\": \"Burger\", \"price\": 900, \"qty\": 1}}]', \
                     '{key}', decode(repeat('00', 32), 'hex'))",
            tenant.schema.as_str(),
            id = item.id.as_uuid(),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_key_past_its_lifetime_places_a_new_order_and_the_old_one_forgets_it() {
    let db = TestDb::new().await;
    let app = service(&db);
    let tenant = provision(&app, "a.com").await;
    let burger = add_item(&app, &tenant, "Burger", 900).await;
    let old = app
        .ordering
        .place_order(&open(&tenant), keyed(&burger, 1, "k"))
        .await
        .unwrap()
        .into_order();
    db.inspect()
        .await
        .execute(
            &format!(
                // now(), not created_at: Citus refuses a STABLE expression over a column in
                // an UPDATE.
                "UPDATE \"{}\".orders SET created_at = now() - interval '25 hours'",
                tenant.schema.as_str()
            ),
            &[],
        )
        .await
        .unwrap();

    // Another order under the expired key is placed.
    let new = app
        .ordering
        .place_order(&open(&tenant), keyed(&burger, 2, "k"))
        .await;
    let Ok(Placement::Placed(new)) = new else {
        panic!("the expired key was not reusable: {new:?}");
    };
    assert_ne!(new.id, old.id);
    // The key is the new order's now.
    let again = app
        .ordering
        .place_order(&open(&tenant), keyed(&burger, 2, "k"))
        .await;
    assert_eq!(again.unwrap(), Placement::Replayed(new.clone()));
    let keys: Vec<(uuid::Uuid, Option<String>)> = db
        .inspect()
        .await
        .query(
            &format!(
                "SELECT id, idempotency_key FROM \"{}\".orders ORDER BY created_at",
                tenant.schema.as_str()
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        keys,
        vec![
            (old.id.as_uuid(), None),
            (new.id.as_uuid(), Some("k".to_owned()))
        ]
    );
}

#[tokio::test]
async fn a_request_under_a_key_being_stored_waits_for_it_then_answers_as_a_retry() {
    let db = TestDb::new().await;
    let app = service(&db);
    let tenant = provision(&app, "a.com").await;
    let burger = add_item(&app, &tenant, "Burger", 900).await;
    let admin = db.inspect().await;
    store_under_key_uncommitted(&admin, &tenant, &burger, "busy").await;

    let started = Instant::now();
    let ((answer, answered_at), commit_sent_at) = tokio::join!(
        async {
            let answer = app
                .ordering
                .place_order(&open(&tenant), keyed(&burger, 1, "busy"))
                .await;
            (answer, started.elapsed())
        },
        async {
            // Once the request waits for the other transaction (a backend of this database
            // waiting on a lock), and not before: synchronised on the event, not on time.
            // On Citus the waiting backend is on a worker: the cluster-wide view sees it.
            let watcher = db.inspect().await;
            let activity = if db.citus().is_some() {
                "citus_stat_activity"
            } else {
                "pg_stat_activity"
            };
            let waiting_sql = format!(
                "SELECT count(*) > 0 FROM {activity} \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'"
            );
            loop {
                let waiting: bool = watcher.query_one(&waiting_sql, &[]).await.unwrap().get(0);
                if waiting {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the request never waited for the key's transaction"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // When COMMIT leaves, not when its answer is back: the waiting request is released
            // by the commit itself, and may be answered before the committing client hears.
            let sent = started.elapsed();
            admin.batch_execute("COMMIT").await.unwrap();
            sent
        }
    );
    assert!(
        answered_at >= commit_sent_at,
        "it waited for the other transaction: answered at {answered_at:?}, COMMIT sent at {commit_sent_at:?}"
    );
    // The order stored under the key was another request's: the key is refused.
    assert!(
        matches!(answer, Err(PlaceOrderError::KeyReused(KeyReused))),
        "{answer:?}"
    );
    assert_eq!(all_orders(&app, &tenant).await.len(), 1);
}

#[tokio::test]
async fn a_request_under_a_key_stuck_in_flight_gets_key_in_flight_after_the_lock_timeout() {
    let db = TestDb::new().await;
    let mut settings = PgSettings::new(db.url());
    settings.limits = SessionLimits {
        lock_timeout: Some(Duration::from_millis(200)),
        ..SessionLimits::default()
    };
    let pool = PgPool::new(&settings).unwrap();
    let app = service_on(&pool);
    let tenant = provision(&app, "a.com").await;
    let burger = add_item(&app, &tenant, "Burger", 900).await;
    let admin = db.inspect().await;
    store_under_key_uncommitted(&admin, &tenant, &burger, "stuck").await;

    let answer = app
        .ordering
        .place_order(&open(&tenant), keyed(&burger, 1, "stuck"))
        .await;
    assert!(
        matches!(answer, Err(PlaceOrderError::KeyInFlight)),
        "{answer:?}"
    );
    // The other transaction gives up: the key is free, and the pool is fine.
    admin.batch_execute("ROLLBACK").await.unwrap();
    let placed = app
        .ordering
        .place_order(&open(&tenant), keyed(&burger, 1, "stuck"))
        .await;
    assert!(matches!(placed, Ok(Placement::Placed(_))), "{placed:?}");
    assert_eq!(all_orders(&app, &tenant).await.len(), 1);
}
