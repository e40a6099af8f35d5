//! A tenant's life through nginx, on two instances (so every change must reach the instance
//! that did not make it): renamed and re-themed, a second domain, suspended and resumed,
//! exported, removed; and what operators watch: the metrics listener and the request id.

use std::time::{Duration, Instant};

use chameleon_stack::EdgeLimits;
use chameleon_wire::{ProvisionedTenant, StoreConfig, TenantDetails, TenantExport};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::stack::{Stack, StackOptions};

async fn two_instances() -> Stack {
    Stack::start_opts(StackOptions {
        instances: 2,
        limits: EdgeLimits::unlimited(),
        ..StackOptions::default()
    })
    .await
}

/// Every backend's answer to `GET path` on `host` (each backend asked directly, not through
/// nginx), as (status, body).
async fn on_every_backend(stack: &Stack, host: &str, path: &str) -> Vec<(StatusCode, Value)> {
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for i in 0..2 {
        let res = client
            .get(stack.backend_url(i, path))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        answers.push((res.status(), res.json().await.unwrap_or(Value::Null)));
    }
    answers
}

/// Waits (up to 2 s, for the other instance to hear of the change) until every backend answers
/// `GET path` on `host` with `status` and a body `check` accepts.
async fn until_every_backend(
    stack: &Stack,
    host: &str,
    path: &str,
    status: StatusCode,
    check: impl Fn(&Value) -> bool,
) {
    let started = Instant::now();
    loop {
        let answers = on_every_backend(stack, host, path).await;
        if answers.iter().all(|(s, body)| *s == status && check(body)) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{host}{path}: still {answers:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn order(stack: &Stack, host: &str, item: uuid::Uuid) -> reqwest::Response {
    stack
        .request(Method::POST, host, "/api/v1/store/orders")
        .json(&json!({"items": [{"id": item, "qty": 2}], "customer": "Ada"}))
        .send()
        .await
        .unwrap()
}

async fn details(stack: &Stack, tenant: &ProvisionedTenant) -> TenantDetails {
    let res = stack
        .admin(
            Method::GET,
            &format!("/api/v1/sys/tenants/{}", tenant.tenant_id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_tenant_is_renamed_given_a_domain_suspended_exported_and_removed_whole() {
    let stack = two_instances().await;
    let pizza = stack.provision("pizza.localhost", "#ff0000").await;
    let burger = stack.provision("burger.localhost", "#0000ff").await;
    let item = stack.add_item(&pizza, "Margherita", 1200).await;
    let path = |rest: &str| format!("/api/v1/sys/tenants/{}{rest}", pizza.tenant_id);
    // Warm both instances' caches, so a stale one would show.
    until_every_backend(
        &stack,
        "pizza.localhost",
        "/api/v1/store/config",
        StatusCode::OK,
        |_| true,
    )
    .await;

    // Renamed and re-themed by the operator, then renamed by its manager.
    let res = stack
        .admin(Method::PATCH, &path(""))
        .json(&json!({"name": "Pizza Palace", "theme": {"primary_color": "#00aa00", "font": "serif"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let changed: TenantDetails = res.json().await.unwrap();
    assert_eq!(changed.name, "Pizza Palace");
    until_every_backend(
        &stack,
        "pizza.localhost",
        "/api/v1/store/config",
        StatusCode::OK,
        |c| {
            c["name"] == "Pizza Palace"
                && c["theme"]["primary_color"] == "#00aa00"
                && c["css"].as_str().is_some_and(|css| css.contains("#00aa00"))
        },
    )
    .await;
    let res = stack
        .manager(Method::PATCH, &pizza, "/api/v1/manager/settings")
        .json(&json!({"name": "Pizza Piazza"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let settings: StoreConfig = res.json().await.unwrap();
    assert_eq!(
        (settings.name.as_str(), settings.theme.font.as_str()),
        ("Pizza Piazza", "serif")
    );
    let res = stack
        .manager(Method::PATCH, &pizza, "/api/v1/manager/settings")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a manager cannot suspend"
    );
    let res = stack
        .admin(Method::PATCH, &path(""))
        .json(&json!({"name": "  ", "theme": {"primary_color": "red", "font": "serif"}, "status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        details(&stack, &pizza).await.name,
        "Pizza Piazza",
        "a refused patch writes nothing"
    );

    // A second domain: the same storefront, and orders through it.
    let res = stack
        .admin(Method::POST, &path("/domains"))
        .json(&json!({"domain": "Pizza-Palace.localhost:8080"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let with_two: TenantDetails = res.json().await.unwrap();
    let domains: Vec<(&str, bool)> = with_two
        .domains
        .iter()
        .map(|d| (d.domain.as_str(), d.primary))
        .collect();
    assert_eq!(
        domains,
        [("pizza.localhost", true), ("pizza-palace.localhost", false)]
    );
    until_every_backend(
        &stack,
        "pizza-palace.localhost",
        "/api/v1/store/config",
        StatusCode::OK,
        |c| c["name"] == "Pizza Piazza",
    )
    .await;
    let res = order(&stack, "pizza-palace.localhost", item.id).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for taken in [
        "pizza-palace.localhost",
        "burger.localhost",
        "PIZZA.localhost",
    ] {
        let res = stack
            .admin(Method::POST, &path("/domains"))
            .json(&json!({"domain": taken}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CONFLICT, "{taken}");
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "domain_taken");
    }
    let res = stack
        .admin(
            Method::DELETE,
            &format!(
                "/api/v1/sys/tenants/{}/domains/burger.localhost",
                burger.tenant_id
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a tenant's last domain stays"
    );

    // Suspended: the storefront closes on both domains and both instances; the manager works.
    let res = stack
        .admin(Method::PATCH, &path(""))
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "suspended");
    for host in ["pizza.localhost", "pizza-palace.localhost"] {
        for route in ["/api/v1/store/config", "/api/v1/store/menu"] {
            until_every_backend(&stack, host, route, StatusCode::SERVICE_UNAVAILABLE, |p| {
                p["code"] == "tenant_suspended"
            })
            .await;
        }
    }
    let res = order(&stack, "pizza.localhost", item.id).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "tenant_suspended"
    );
    let res = stack
        .manager(Method::GET, &pizza, "/api/v1/manager/orders")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the manager keeps working");
    let res = stack
        .request(Method::GET, "burger.localhost", "/api/v1/store/config")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another tenant is not touched"
    );
    let res = stack
        .admin(Method::PATCH, &path(""))
        .json(&json!({"status": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    until_every_backend(
        &stack,
        "pizza.localhost",
        "/api/v1/store/menu",
        StatusCode::OK,
        |_| true,
    )
    .await;
    assert_eq!(
        order(&stack, "pizza.localhost", item.id).await.status(),
        StatusCode::CREATED
    );

    // Exported: settings, domains, menu, every order.
    let res = stack
        .admin(Method::GET, &path("/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let export: TenantExport = res.json().await.unwrap();
    assert_eq!(export.format, "chameleon.export.v1");
    assert_eq!(export.tenant.name, "Pizza Piazza");
    assert_eq!(export.tenant.domains.len(), 2);
    assert_eq!(export.menu.len(), 1);
    assert_eq!(export.orders.len(), 2);
    assert!(export.orders.iter().all(|o| o.total_amount == 2400));

    // Removed: refused without the primary domain, then gone whole.
    let schema = pizza.schema_name.clone();
    for query in [
        "",
        "?confirm=",
        "?confirm=pizza-palace.localhost",
        "?confirm=burger.localhost",
    ] {
        let res = stack
            .admin(Method::DELETE, &format!("{}{query}", path("")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query:?}");
    }
    assert_eq!(
        stack.count(&schema, "orders").await,
        2,
        "nothing was removed"
    );
    let res = stack
        .admin(
            Method::DELETE,
            &format!("{}?confirm=pizza.localhost", path("")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let db = stack.db.inspect().await;
    let left: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM public.tenants WHERE id = $1) \
                  + (SELECT count(*) FROM public.tenant_domains WHERE tenant_id = $1) \
                  + (SELECT count(*) FROM pg_namespace WHERE nspname = $2) \
                  + (SELECT count(*) FROM pg_roles WHERE rolname = $2)",
            &[&pizza.tenant_id, &schema],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "row, domains, schema and role are gone");
    for host in ["pizza.localhost", "pizza-palace.localhost"] {
        until_every_backend(
            &stack,
            host,
            "/api/v1/store/config",
            StatusCode::NOT_FOUND,
            |p| p["code"] == "unknown_tenant",
        )
        .await;
    }
    let res = stack.admin(Method::GET, &path("")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let again = stack.provision("pizza.localhost", "#ff0000").await;
    assert_ne!(again.tenant_id, pizza.tenant_id);
    let res = stack
        .request(Method::GET, "pizza.localhost", "/api/v1/store/menu")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"categories": [], "items": [], "option_groups": []}),
        "a fresh start"
    );
    assert_eq!(stack.count(&burger.schema_name, "menu_items").await, 0);
}

#[tokio::test]
async fn metrics_are_served_apart_from_the_api_in_the_prometheus_format() {
    let stack = two_instances().await;
    let tenant = stack.provision("metrics.localhost", "#ff0000").await;
    let item = stack.add_item(&tenant, "Soup", 450).await;
    for _ in 0..3 {
        stack
            .request(Method::GET, "metrics.localhost", "/api/v1/store/config")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        order(&stack, "metrics.localhost", item.id).await.status(),
        StatusCode::CREATED
    );
    // The same order twice under one key: placed, then replayed.
    for _ in 0..2 {
        let res = stack
            .request(Method::POST, "metrics.localhost", "/api/v1/store/orders")
            .header("Idempotency-Key", "metrics-once")
            .json(&json!({"items": [{"id": item.id, "qty": 1}], "customer": "Ada"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    stack
        .request(Method::GET, "nobody.localhost", "/api/v1/store/menu")
        .send()
        .await
        .unwrap();
    // A database error the service answers 503 for: a lock held past the lock timeout (class
    // 55, lock_not_available).
    let blocker = stack.db.lock_orders(&tenant.schema_name).await;
    let blocked = order(&stack, "metrics.localhost", item.id).await;
    assert_eq!(blocked.status(), StatusCode::SERVICE_UNAVAILABLE);
    blocker.batch_execute("ROLLBACK").await.unwrap();
    // And a tenant removed.
    let gone = stack.provision("gone.localhost", "#00ff00").await;
    let removed = stack
        .admin(
            Method::DELETE,
            &format!(
                "/api/v1/sys/tenants/{}?confirm=gone.localhost",
                gone.tenant_id
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);

    // Nothing of it through the public edge.
    let res = stack
        .request(Method::GET, "metrics.localhost", "/metrics")
        .send()
        .await
        .unwrap();
    assert!(
        !res.text()
            .await
            .unwrap()
            .contains("chameleon_http_requests_total")
    );

    let mut samples = Vec::new();
    for i in 0..2 {
        let res = reqwest::get(stack.metrics_url(i)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let text = res.text().await.unwrap();
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("the exposition parses");
        assert!(!scrape.docs.is_empty(), "metrics are described");
        samples.extend(scrape.samples);
    }
    let value = |s: &prometheus_parse::Sample| match &s.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
        prometheus_parse::Value::Summary(_) => 0.0,
    };
    let sum = |metric: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .filter(|s| {
                s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
            })
            .map(value)
            .sum()
    };
    assert!(
        sum(
            "chameleon_http_requests_total",
            &[
                ("route", "/api/v1/store/config"),
                ("status", "200"),
                ("method", "GET")
            ]
        ) >= 3.0
    );
    assert!(
        sum(
            "chameleon_http_requests_total",
            &[("route", "/api/v1/store/menu"), ("status", "404")]
        ) >= 1.0
    );
    assert!(
        samples
            .iter()
            .any(|s| s.metric == "chameleon_http_request_duration_seconds"
                && matches!(&s.value, prometheus_parse::Value::Histogram(b) if b.len() > 5)),
        "latency is a histogram with buckets"
    );
    assert_eq!(sum("chameleon_orders_total", &[("outcome", "placed")]), 2.0);
    assert_eq!(
        sum("chameleon_orders_total", &[("outcome", "replayed")]),
        1.0
    );
    assert!(sum("chameleon_tenant_removal_duration_seconds", &[]) >= 1.0);
    assert!(
        sum("chameleon_db_errors_total", &[("class", "55")]) >= 1.0,
        "the lock timeout is counted by its SQLSTATE class"
    );
    assert!(
        sum(
            "chameleon_tenant_provisioning_duration_seconds",
            &[("outcome", "ok")]
        ) >= 1.0
    );
    assert!(
        sum(
            "chameleon_cache_lookups_total",
            &[("cache", "tenant_by_domain")]
        ) >= 3.0
    );
    for state in ["max", "open", "in_use"] {
        assert!(
            samples
                .iter()
                .any(|s| s.metric == "chameleon_db_pool_connections"
                    && s.labels.get("state") == Some(state)),
            "chameleon_db_pool_connections{{state={state}}}"
        );
    }
    assert!(sum("chameleon_db_pool_connections", &[("state", "max")]) > 0.0);
    assert!(sum("chameleon_db_pool_connections", &[("state", "open")]) > 0.0);
    for result in ["hit", "miss"] {
        assert!(
            sum("chameleon_cache_lookups_total", &[("result", result)]) >= 1.0,
            "chameleon_cache_lookups_total{{result={result}}}"
        );
    }
    assert!(
        samples
            .iter()
            .all(|s| s.metric != "chameleon_cache_lookups_total"
                || matches!(s.labels.get("result"), Some("hit" | "stale" | "miss"))),
        "a lookup's result is hit, stale or miss"
    );
    assert!(
        samples
            .iter()
            .any(|s| s.metric == "chameleon_db_pool_waiting")
    );
    assert!(
        samples
            .iter()
            .any(|s| s.metric == "chameleon_db_pool_wait_seconds")
    );
    assert_eq!(sum("chameleon_build_info", &[]), 2.0, "one per instance");
    assert!(
        samples.iter().any(|s| s.metric == "chameleon_build_info"
            && s.labels.get("version") == Some(env!("CARGO_PKG_VERSION"))
            && s.labels.get("profile").is_some()),
        "chameleon_build_info{{version, profile}}"
    );
    // No label carries a tenant's id, a domain or a raw path.
    let tenant_id = tenant.tenant_id.to_string();
    for sample in &samples {
        for (name, label) in sample.labels.iter() {
            assert!(
                !label.contains(&tenant_id)
                    && !label.contains("localhost")
                    && !label.contains(&item.id.to_string()),
                "{} has {name}={label}",
                sample.metric
            );
        }
    }
}

#[tokio::test]
async fn nginx_s_request_id_is_the_service_s_in_its_logs_and_its_answer() {
    let stack = Stack::start_opts(StackOptions {
        backend_env: vec![("LOG_FORMAT", "json".to_owned())],
        ..StackOptions::default()
    })
    .await;
    let res = stack
        .request(Method::GET, "nobody.localhost", "/api/v1/store/config")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "nginx's $request_id: 32 hex digits");
    // nginx flushes its access log every second.
    let started = Instant::now();
    let access = loop {
        let log = std::fs::read_to_string(stack.dir.join("nginx/access.log")).unwrap_or_default();
        if let Some(line) = log.lines().find(|l| l.contains(&id)) {
            break line.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "nginx never logged {id}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        access.ends_with(&id),
        "the id is the access log line's last field: {access}"
    );
    // LOG_FORMAT=json: one JSON object per line, and every line of this request carries its id.
    let log = stack.backend_log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of_request: Vec<&Value> = lines
        .iter()
        .filter(|l| l.to_string().contains(&id))
        .collect();
    assert!(
        of_request.len() >= 2,
        "the refusal and the request line: {of_request:?}"
    );
    for line in of_request {
        assert_eq!(line["span"]["request_id"], id.as_str(), "{line}");
    }

    // A request on a restaurant: its lines name the tenant and the schema too.
    let tenant = stack.provision("logs.localhost", "#123456").await;
    let res = stack
        .request(Method::GET, "logs.localhost", "/api/v1/store/config")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let log = stack.backend_log();
    let of_request: Vec<Value> = log
        .lines()
        .filter(|l| l.contains(&id))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!of_request.is_empty(), "the request's line");
    for line in &of_request {
        assert_eq!(
            line["span"]["tenant"],
            tenant.tenant_id.to_string(),
            "{line}"
        );
        assert_eq!(
            line["span"]["schema"],
            tenant.schema_name.as_str(),
            "{line}"
        );
    }
}

/// Secrets never reach a log, even at `RUST_LOG=debug`: not the admin token (sent right and
/// wrong), the serving role's password (in the backend's DATABASE_URL), a manager key (right and
/// wrong), or an order's tracking token (placed, then followed with it in the query string), in
/// the backends' logs; nor the admin token, the manager key or the tracking token in nginx's.
#[tokio::test]
async fn secrets_are_never_logged() {
    let stack = Stack::start_opts(StackOptions {
        backend_env: vec![("RUST_LOG", "debug".to_owned())],
        ..StackOptions::default()
    })
    .await;
    let tenant = stack.provision("secret.localhost", "#654321").await;
    let item = stack.add_item(&tenant, "Soup", 450).await;
    let placed: Value = order(&stack, "secret.localhost", item.id)
        .await
        .json()
        .await
        .unwrap();
    let tracking = placed["tracking_token"].as_str().unwrap().to_owned();
    let order_id = placed["order_id"].as_str().unwrap().to_owned();
    // The customer follows it: the tracking page, then its API call, both with the token in
    // the query string.
    for path in [
        format!("/orders/{order_id}?t={tracking}"),
        format!("/api/v1/store/orders/{order_id}?t={tracking}"),
    ] {
        let followed = stack
            .request(Method::GET, "secret.localhost", &path)
            .send()
            .await
            .unwrap();
        assert_eq!(followed.status(), StatusCode::OK, "{path}");
    }
    // Credentials refused are not logged either.
    let wrong = "0123456789abcdef0123456789abcdef-wrong";
    stack
        .request(Method::GET, "localhost", "/api/v1/sys/tenants")
        .bearer_auth(wrong)
        .send()
        .await
        .unwrap();
    stack
        .request(Method::GET, "localhost", "/api/v1/manager/menu")
        .header("X-Tenant-ID", tenant.tenant_id.to_string())
        .bearer_auth(format!(
            "{}0",
            &tenant.manager_api_key[..tenant.manager_api_key.len() - 1]
        ))
        .send()
        .await
        .unwrap();
    let backend = stack.backend_log();
    assert!(
        backend.lines().count() > 5,
        "the backends logged: {backend}"
    );
    for (what, secret) in [
        ("the admin token", super::stack::ADMIN_TOKEN),
        ("a wrong admin token", wrong),
        (
            "the serving role's password",
            super::stack::SERVING_PASSWORD,
        ),
        ("a manager key", tenant.manager_api_key.as_str()),
        ("a tracking token", tracking.as_str()),
    ] {
        assert!(!backend.contains(secret), "{what} is in the backends' log");
    }
    // nginx logs each request; never its credentials (its own log format leaves headers and
    // query strings out). It flushes its log every second: wait for the last request's line.
    let followed = format!("GET /api/v1/store/orders/{order_id}");
    let started = Instant::now();
    let access = loop {
        let log = std::fs::read_to_string(stack.dir.join("nginx/access.log")).unwrap_or_default();
        if log.contains(&followed) || started.elapsed() > Duration::from_secs(5) {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(access.lines().count() >= 4, "nginx logged the requests");
    assert!(
        access.contains(&followed),
        "nginx logged the order being followed (without its query): {access}"
    );
    for (what, secret) in [
        ("the admin token", super::stack::ADMIN_TOKEN),
        ("a manager key", tenant.manager_api_key.as_str()),
        ("a tracking token", tracking.as_str()),
    ] {
        assert!(!access.contains(secret), "{what} is in nginx's access log");
    }
}

/// On SIGTERM a backend answers 503 on `/readyz` at once, keeps its listener for
/// `SHUTDOWN_DRAIN_SECS` (so a load balancer polling it sees it go), then closes it and exits.
#[tokio::test]
async fn readiness_drains_before_the_listener_closes_on_sigterm() {
    let stack = Stack::start_opts(StackOptions {
        backend_env: vec![("SHUTDOWN_DRAIN_SECS", "2".to_owned())],
        ..StackOptions::default()
    })
    .await;
    let client = reqwest::Client::new();
    let ready = |client: &reqwest::Client| {
        let url = stack.backend_url(0, "/readyz");
        let client = client.clone();
        async move { client.get(url).send().await.map(|r| r.status()) }
    };
    assert_eq!(ready(&client).await.unwrap(), StatusCode::OK);
    let signalled = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(stack.backend_pid(0)).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    // 503 at once (within a poll or two), while the listener still takes connections.
    loop {
        let status = ready(&client)
            .await
            .expect("the listener is open while draining");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_millis(500),
            "still {status} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(signalled.elapsed() < Duration::from_secs(1));
    // The listener closes after the drain, not before.
    loop {
        if ready(&client).await.is_err() {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "the listener never closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        signalled.elapsed() >= Duration::from_millis(1800),
        "the listener closed after {:?}, before the 2 s drain",
        signalled.elapsed()
    );
}
