//! The seed's Leakage Test, through nginx, with the tenant picked by Host.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::stack::Stack;

#[tokio::test]
async fn the_leakage_test_through_nginx() {
    let stack = Stack::start(None).await;
    // 1. Provision Tenant A (a.com) and Tenant B (b.com).
    let a = stack.provision("a.com", "#ff0000").await;
    let b = stack.provision("b.com", "#0000ff").await;
    // 2. Add "Burger" to A. 3. Add "Salad" to B.
    let burger = stack.add_item(&a, "Burger", 900).await;
    stack.add_item(&b, "Salad", 700).await;

    // 4. A's menu via the API: only "Burger".
    let menu: Value = stack
        .request(Method::GET, "a.com", "/api/v1/store/menu")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Burger"]);

    // 5. Place an order on A.
    let placed = stack
        .request(Method::POST, "a.com", "/api/v1/store/orders")
        .json(&json!({"items": [{"id": burger.id, "qty": 2}], "customer": "John Doe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), StatusCode::CREATED);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total_amount"], 1800);

    // 6. B's orders table is empty; A's holds the order.
    assert_eq!(stack.count(&b.schema_name, "orders").await, 0);
    assert_eq!(stack.count(&a.schema_name, "orders").await, 1);
    let b_orders: Value = stack
        .manager(Method::GET, &b, "/api/v1/manager/orders")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b_orders["items"], serde_json::json!([]));
    assert_eq!(b_orders["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_inputs_through_nginx_are_refused_and_write_nothing() {
    let stack = Stack::start(None).await;
    let a = stack.provision("a.com", "#ff0000").await;
    let b = stack.provision("b.com", "#0000ff").await;
    let burger = stack.add_item(&a, "Burger", 900).await;
    let salad = stack.add_item(&b, "Salad", 700).await;

    let expect = |status: StatusCode| {
        move |res: reqwest::Response| async move {
            assert_eq!(res.status(), status, "{}", res.url());
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let problem: Value = res.json().await.unwrap();
            assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
    };
    let order = |body: Value| {
        stack
            .request(Method::POST, "a.com", "/api/v1/store/orders")
            .json(&body)
    };

    expect(StatusCode::NOT_FOUND)(
        stack
            .request(Method::GET, "nobody.example", "/api/v1/store/menu")
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect(StatusCode::BAD_REQUEST)(
        stack
            .request(Method::POST, "a.com", "/api/v1/store/orders")
            .header("Content-Type", "application/json")
            .body("{\"items\": [")
            .send()
            .await
            .unwrap(),
    )
    .await;
    for qty in [json!(0), json!(100), json!(-3), json!(2.5)] {
        expect(StatusCode::UNPROCESSABLE_ENTITY)(
            order(json!({"items": [{"id": burger.id, "qty": qty}], "customer": "Ann"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    expect(StatusCode::UNPROCESSABLE_ENTITY)(
        order(json!({"items": [{"id": salad.id, "qty": 1}], "customer": "Ann"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect(StatusCode::UNPROCESSABLE_ENTITY)(
        stack
            .manager(Method::POST, &a, "/api/v1/manager/menu")
            .json(&json!({"name": "Refund", "price": -100}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect(StatusCode::FORBIDDEN)(
        stack
            .request(Method::POST, "localhost", "/api/v1/manager/menu")
            .header("X-Tenant-ID", b.tenant_id.to_string())
            .bearer_auth(&a.manager_api_key)
            .json(&json!({"name": "Sneaky", "price": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    expect(StatusCode::UNPROCESSABLE_ENTITY)(
        stack
            .admin(Method::POST, "/api/v1/sys/provision")
            .json(&json!({"domain": "c.com", "theme": {"primary_color": "#fff;} body{display:none", "font": "serif"}}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(stack.count(&a.schema_name, "orders").await, 0);
    assert_eq!(stack.count(&b.schema_name, "orders").await, 0);
    assert_eq!(stack.count(&a.schema_name, "menu_items").await, 1);
    assert_eq!(stack.count(&b.schema_name, "menu_items").await, 1);
    assert_eq!(stack.count("public", "tenants").await, 2);
}
