//! Many instances behind one nginx: a change made through one is served by the other at once
//! (invalidations through PostgreSQL), and instances dying or restarting under order load lose
//! and double nothing when clients retry with their `Idempotency-Key`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chameleon_stack::EdgeLimits;
use chameleon_wire::{MenuItem, ProvisionedTenant, StoreMenu, StoreMenuItem};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::stack::{Stack, StackOptions};

async fn two_instances() -> Stack {
    Stack::start_opts(StackOptions {
        instances: 2,
        limits: EdgeLimits::unlimited(),
        ..StackOptions::default()
    })
    .await
}

/// The storefront menu as backend `i` itself serves it (not through nginx).
async fn menu_on(stack: &Stack, client: &Client, i: usize) -> Vec<StoreMenuItem> {
    let res = client
        .get(stack.backend_url(i, "/api/v1/store/menu"))
        .header("Host", "a.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<StoreMenu>().await.unwrap().items
}

/// Polls `check` every 10 ms until it holds; fails after `limit`. Returns how long it took.
async fn within<F, Fut>(limit: Duration, what: &str, check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not after {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_change_through_one_instance_is_served_by_the_other_within_two_seconds() {
    let stack = two_instances().await;
    let client = Client::new();
    let tenant = stack.provision("a.com", "#ff0000").await;
    let item = stack.add_item(&tenant, "Soup", 450).await;
    // Both instances have the menu cached (and would keep it for minutes).
    for i in 0..2 {
        assert_eq!(menu_on(&stack, &client, i).await[0].price, 450);
    }

    // A new price through instance 0, read from instance 1.
    let res = client
        .patch(stack.backend_url(0, &format!("/api/v1/manager/menu/{}", item.id)))
        .header("X-Tenant-ID", tenant.tenant_id.to_string())
        .bearer_auth(&tenant.manager_api_key)
        .json(&json!({"price": 520}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let took = within(
        Duration::from_secs(2),
        "the new price on instance 1",
        || async { menu_on(&stack, &client, 1).await[0].price == 520 },
    )
    .await;
    println!("instance 1 served the new price {took:?} after instance 0's write");

    // A rotated key through instance 0: instance 1 stops taking the old one.
    let res = client
        .post(stack.backend_url(0, "/api/v1/manager/key"))
        .header("X-Tenant-ID", tenant.tenant_id.to_string())
        .bearer_auth(&tenant.manager_api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    within(
        Duration::from_secs(2),
        "the old key refused on instance 1",
        || async {
            let res = client
                .get(stack.backend_url(1, "/api/v1/manager/menu"))
                .header("X-Tenant-ID", tenant.tenant_id.to_string())
                .bearer_auth(&tenant.manager_api_key)
                .send()
                .await
                .unwrap();
            res.status() == StatusCode::FORBIDDEN
        },
    )
    .await;

    // A tenant provisioned through instance 0 is served by instance 1 at once.
    let res = client
        .post(stack.backend_url(0, "/api/v1/sys/provision"))
        .bearer_auth(super::stack::ADMIN_TOKEN)
        .json(&json!({"domain": "b.com", "name": "B", "theme": {"primary_color": "#00ff00", "font": "serif"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = client
        .get(stack.backend_url(1, "/api/v1/store/config"))
        .header("Host", "b.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// What a retrying client came away with.
#[derive(Debug, Default)]
struct Tally {
    /// Key -> the order id its 201 named.
    acknowledged: HashMap<String, String>,
    /// Statuses seen on the way, retries included.
    statuses: HashMap<u16, u64>,
    transport_errors: u64,
}

/// Places orders one after another until `stop`, each under a fresh key, retrying a failed
/// attempt (network error, 502, 503, 504) with the same key and body until it gets an answer.
async fn retrying_client(orders_url: &str, n: usize, item: &MenuItem, stop: &AtomicBool) -> Tally {
    let client = Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut tally = Tally::default();
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        sent += 1;
        let key = format!("client-{n}-order-{sent}-{}", Uuid::new_v4().simple());
        let body = json!({"items": [{"id": item.id, "qty": 1}], "customer": "Load"});
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut backoff = Duration::from_millis(50);
        loop {
            let reply = client
                .post(orders_url)
                .header("Host", "a.com")
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await;
            match reply {
                Ok(reply) => {
                    let status = reply.status();
                    *tally.statuses.entry(status.as_u16()).or_default() += 1;
                    if status == StatusCode::CREATED {
                        let answer: Value = reply.json().await.unwrap();
                        let id = answer["order_id"].as_str().unwrap().to_owned();
                        tally.acknowledged.insert(key.clone(), id);
                        break;
                    }
                    assert!(
                        matches!(status.as_u16(), 409 | 502 | 503 | 504),
                        "an answer a retry cannot fix: {status}"
                    );
                }
                Err(_) => tally.transport_errors += 1,
            }
            assert!(Instant::now() < deadline, "order {key} never got through");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(800));
        }
    }
    tally
}

#[tokio::test]
async fn instances_killed_and_restarted_under_keyed_order_load_lose_and_double_nothing() {
    let mut stack = two_instances().await;
    let tenant: ProvisionedTenant = stack.provision("a.com", "#ff0000").await;
    let item = stack.add_item(&tenant, "Soup", 450).await;
    let stop = Arc::new(AtomicBool::new(false));

    let orders_url = stack.url("/api/v1/store/orders");
    let load = futures_util::future::join_all(
        (0..8).map(|n| retrying_client(&orders_url, n, &item, &stop)),
    );
    let faults = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Instance 0 dies mid-load: whatever it was doing is lost on the wire.
        stack.kill_backend(0).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Instance 1 is restarted (SIGTERM, then started again): for a moment none serves.
        stack.restart_backend(1).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        stack.start_backend(0).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (tallies, ()) = futures_util::future::join(load, faults).await;

    let mut acknowledged: HashMap<String, String> = HashMap::new();
    let mut statuses: HashMap<u16, u64> = HashMap::new();
    let mut transport_errors = 0;
    for tally in tallies {
        acknowledged.extend(tally.acknowledged);
        for (status, count) in tally.statuses {
            *statuses.entry(status).or_default() += count;
        }
        transport_errors += tally.transport_errors;
    }
    println!(
        "{} orders acknowledged; answers {statuses:?}; {transport_errors} transport errors",
        acknowledged.len()
    );
    assert!(!statuses.contains_key(&500), "no 500: {statuses:?}");
    assert!(
        statuses.keys().any(|s| *s != 201) || transport_errors > 0,
        "the faults were felt: {statuses:?}"
    );

    // Every acknowledged order is stored once, under its key, with the id its answer named;
    // nothing else is stored.
    let schema = format!("tenant_{}", tenant.tenant_id.simple());
    let rows = stack
        .db
        .inspect()
        .await
        .query(
            &format!("SELECT idempotency_key, id::text FROM \"{schema}\".orders"),
            &[],
        )
        .await
        .unwrap();
    let stored: Vec<(Option<String>, String)> =
        rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let keys: HashSet<&Option<String>> = stored.iter().map(|(key, _)| key).collect();
    assert_eq!(keys.len(), stored.len(), "no key has two orders");
    assert_eq!(stored.len(), acknowledged.len(), "acknowledged = stored");
    for (key, id) in &stored {
        let key = key.as_ref().expect("every order here had a key");
        assert_eq!(acknowledged.get(key), Some(id), "{key}");
    }
}
