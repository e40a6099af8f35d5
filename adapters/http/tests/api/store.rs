//! Storefront endpoints: the tenant comes from Host, guest orders are priced by the server.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{Order, OrderPage, ProvisionedTenant, StoreConfig, StoreMenu};
use serde_json::{Value, json};
use uuid::Uuid;

use super::helpers::{add_item, admin, call, manager, provision, spawn, store, theme};

#[actix_web::test]
async fn the_host_picks_the_tenant_whatever_its_case_port_or_trailing_dot() {
    let app = spawn().await;
    let pizza = provision(&app, "pizza.localhost", "#ff0000").await;
    for host in [
        "pizza.localhost",
        "PIZZA.localhost",
        "pizza.localhost:8080",
        "pizza.localhost.",
        "Pizza.Localhost.:80",
    ] {
        let reply = call(
            &app,
            store(TestRequest::get().uri("/api/v1/store/config"), host),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
        let config: StoreConfig = reply.json();
        assert_eq!(config.tenant_id, pizza.tenant_id);
        assert_eq!(config.name, "pizza.localhost kitchen");
        assert_eq!(
            config.css,
            ":root { --primary: #ff0000; --font: sans-serif; }"
        );
    }
}

#[actix_web::test]
async fn an_unknown_host_is_not_found_never_a_default_tenant() {
    let app = spawn().await;
    provision(&app, "pizza.localhost", "#ff0000").await;
    for host in [
        "burger.localhost",
        "localhost",
        "127.0.0.1:8080",
        "[::1]:8080",
        "pizza.localhost.evil.com",
        "bad host",
    ] {
        for path in ["/api/v1/store/config", "/api/v1/store/menu"] {
            let reply = call(&app, store(TestRequest::get().uri(path), host)).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{host} {path}");
            assert_eq!(reply.problem().code, "unknown_tenant");
        }
    }
}

#[actix_web::test]
async fn x_forwarded_host_is_ignored() {
    let app = spawn().await;
    let pizza = provision(&app, "pizza.localhost", "#ff0000").await;
    provision(&app, "burger.localhost", "#00ff00").await;
    let spoofed = call(
        &app,
        store(
            TestRequest::get().uri("/api/v1/store/config"),
            "unknown.localhost",
        )
        .insert_header(("X-Forwarded-Host", "pizza.localhost")),
    )
    .await;
    assert_eq!(spoofed.status, StatusCode::NOT_FOUND);
    let own = call(
        &app,
        store(
            TestRequest::get().uri("/api/v1/store/config"),
            "pizza.localhost",
        )
        .insert_header(("X-Forwarded-Host", "burger.localhost")),
    )
    .await;
    assert_eq!(own.json::<StoreConfig>().tenant_id, pizza.tenant_id);
}

#[actix_web::test]
async fn the_leakage_test() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    add_item(&app, &b, "Salad", 700).await;

    let a_menu: StoreMenu = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .json();
    assert_eq!(
        a_menu
            .items
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["Burger"]
    );

    let placed = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .set_json(json!({"items": [{"id": burger.id, "qty": 1}], "customer": "John Doe"})),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let b_orders: Vec<Order> = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/orders"), &b),
    )
    .await
    .json::<OrderPage>()
    .items;
    assert!(b_orders.is_empty());
}

#[actix_web::test]
async fn an_order_is_priced_from_the_menu() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    let fries = add_item(&app, &a, "Fries", 350).await;
    let reply = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com").set_json(json!({
            "items": [{"id": burger.id, "qty": 2}, {"id": fries.id, "qty": 1}, {"id": burger.id, "qty": 1}],
            "customer": "  John Doe  "
        })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let order: Value = reply.value();
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total_amount"], 3 * 900 + 350);
    assert_eq!(order["customer"], "John Doe");
    assert_eq!(
        order["items"],
        json!([
            {"id": burger.id, "name": "Burger", "qty": 3, "unit_price": 900, "price": 900, "options": []},
            {"id": fries.id, "name": "Fries", "qty": 1, "unit_price": 350, "price": 350, "options": []}
        ])
    );
    assert!(Uuid::parse_str(order["order_id"].as_str().unwrap()).is_ok());
}

#[actix_web::test]
async fn bad_orders_are_refused_and_nothing_is_written() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    let sold_out = add_item(&app, &a, "Sold out", 100).await;
    call(
        &app,
        manager(
            TestRequest::patch().uri(&format!("/api/v1/manager/menu/{}", sold_out.id)),
            &a,
        )
        .set_json(json!({"is_available": false})),
    )
    .await;
    let salad = add_item(&app, &b, "Salad", 700).await;
    let line = |id: Uuid, qty: Value| json!({"items": [{"id": id, "qty": qty}], "customer": "Ann"});
    for body in [
        line(burger.id, json!(0)),
        line(burger.id, json!(100)),
        line(burger.id, json!(-1)),
        line(burger.id, json!(1.5)),
        line(burger.id, json!("2")),
        line(salad.id, json!(1)),
        line(sold_out.id, json!(1)),
        line(Uuid::new_v4(), json!(1)),
        json!({"items": [], "customer": "Ann"}),
        json!({"items": [{"id": burger.id, "qty": 1}], "customer": "   "}),
        json!({"items": [{"id": burger.id, "qty": 1}], "customer": ""}),
        json!({"items": [{"id": burger.id, "qty": 1}]}),
        json!({"items": [{"id": burger.id, "qty": 1, "price": 1}], "customer": "Ann"}),
        json!({"items": [{"id": "not-a-uuid", "qty": 1}], "customer": "Ann"}),
        json!({"items": [{"id": burger.id, "qty": 60}, {"id": burger.id, "qty": 60}], "customer": "Ann"}),
    ] {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com").set_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        reply.problem();
    }
    for tenant in [&a, &b] {
        let orders: Vec<Order> = call(
            &app,
            manager(TestRequest::get().uri("/api/v1/manager/orders"), tenant),
        )
        .await
        .json::<OrderPage>()
        .items;
        assert!(orders.is_empty());
    }
}

#[actix_web::test]
async fn the_store_menu_lists_every_item_with_whether_it_can_be_ordered_now() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    add_item(&app, &a, "Burger", 900).await;
    let off = add_item(&app, &a, "Off", 100).await;
    call(
        &app,
        manager(
            TestRequest::patch().uri(&format!("/api/v1/manager/menu/{}", off.id)),
            &a,
        )
        .set_json(json!({"is_available": false})),
    )
    .await;
    let menu: StoreMenu = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .json();
    assert_eq!(
        menu.items
            .iter()
            .map(|i| (i.name.as_str(), i.available, i.sold_out_until.as_deref()))
            .collect::<Vec<_>>(),
        [("Burger", true, None), ("Off", false, Some("indefinitely"))]
    );
}

#[actix_web::test]
async fn names_that_would_show_something_else_are_refused_and_text_is_normalized() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let item = add_item(&app, &a, "Cafe\u{301}", 500).await;
    assert_eq!(item.name, "Caf\u{e9}", "stored in NFC");
    for customer in [
        "Ann\u{202E}nnA",
        "Bo\u{200B}b",
        "Eve\u{2066}x\u{2069}",
        "Li\u{2028}ne",
    ] {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(json!({"items": [{"id": item.id, "qty": 1}], "customer": customer})),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{customer:?}"
        );
        assert!(reply.problem().detail.contains("customer"));
    }
    let renamed = call(
        &app,
        manager(
            TestRequest::patch().uri(&format!("/api/v1/manager/menu/{}", item.id)),
            &a,
        )
        .set_json(json!({"name": "Soup\u{202E}puoS"})),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn a_client_asking_for_unknown_hosts_again_and_again_is_slowed_down() {
    let app = spawn().await;
    provision(&app, "a.com", "#ff0000").await;
    let ask = |host: String, client: &'static str| {
        store(TestRequest::get().uri("/api/v1/store/config"), &host)
            .insert_header(("X-Real-IP", client))
    };
    let burst = chameleon_http::state::UNKNOWN_HOSTS_PER_CLIENT_BURST;
    for n in 0..burst {
        let reply = call(&app, ask(format!("x{n}.example"), "192.0.2.7")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "request {n}");
    }
    let slowed = call(&app, ask("one-more.example".into(), "192.0.2.7")).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(slowed.problem().code, "too_many_unknown_hosts");
    assert!(slowed.headers.get("retry-after").is_some());
    // Real tenants are still served to that client, and other clients keep their own budget.
    let real = call(&app, ask("a.com".into(), "192.0.2.7")).await;
    assert_eq!(real.status, StatusCode::OK);
    let other = call(&app, ask("elsewhere.example".into(), "192.0.2.8")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn an_idempotency_key_makes_a_retried_order_take_effect_once() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    let post = |key: &str, qty: i64| {
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(json!({"items": [{"id": burger.id, "qty": qty}], "customer": "Ann"}))
    };
    let first = call(&app, post("attempt-1", 2)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = call(&app, post("attempt-1", 2)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        again.json::<Value>(),
        first.json::<Value>(),
        "the first answer again"
    );

    let reused = call(&app, post("attempt-1", 3)).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.problem().code, "idempotency_key_reused");

    for bad in ["", "has space", "ключ", &"k".repeat(256)] {
        let reply = call(&app, post(bad, 1)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(reply.problem().detail.contains("Idempotency-Key"));
    }
    let orders: OrderPage = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/orders"), &a),
    )
    .await
    .json();
    assert_eq!(orders.items.len(), 1, "one order for all those requests");
}

#[actix_web::test]
async fn the_config_tells_currency_and_hours_and_a_closed_restaurant_refuses_orders() {
    let app = spawn().await;
    let reply = call(
        &app,
        admin(
            TestRequest::post()
                .uri("/api/v1/sys/provision")
                .set_json(json!({
                    "domain": "shut.com",
                    "theme": theme("#ff0000"),
                    "currency": "KWD", "locale": "ar-KW", "timezone": "Asia/Kuwait",
                    // No day has a range: it never opens.
                    "opening_hours": {}
                })),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let tenant: ProvisionedTenant = reply.json();
    let item = add_item(&app, &tenant, "Tea", 1500).await;
    let config = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/config"), "shut.com"),
    )
    .await;
    let config: StoreConfig = config.json();
    assert_eq!(
        (
            config.currency.as_str(),
            config.locale.as_str(),
            config.timezone.as_str()
        ),
        ("KWD", "ar-KW", "Asia/Kuwait")
    );
    assert!(!config.open_now);
    assert_eq!(config.next_change, None);
    let reply = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "shut.com")
            .set_json(json!({"items": [{"id": item.id, "qty": 1}], "customer": "Ann"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = reply.problem();
    assert_eq!(problem.code, "restaurant_closed");
    assert!(problem.detail.contains("closed"), "{}", problem.detail);
    // Always open again (null), through the manager's settings; bad values are refused.
    let reply = call(
        &app,
        manager(TestRequest::patch().uri("/api/v1/manager/settings"), &tenant)
            .set_json(json!({"currency": "XYZ", "timezone": "Nowhere/Land", "opening_hours": {"mon": [["9:00", "17:00"]]}})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = reply.problem().detail;
    for field in ["currency", "timezone", "opening_hours"] {
        assert!(detail.contains(field), "{detail}");
    }
    let reply = call(
        &app,
        manager(
            TestRequest::patch().uri("/api/v1/manager/settings"),
            &tenant,
        )
        .set_json(json!({"opening_hours": null, "currency": "EUR"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let config: StoreConfig = reply.json();
    assert!(config.open_now);
    assert_eq!(config.currency, "EUR");
    let reply = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "shut.com")
            .set_json(json!({"items": [{"id": item.id, "qty": 1}], "customer": "Ann"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}
