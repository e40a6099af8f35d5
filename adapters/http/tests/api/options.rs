//! Option groups and timed availability through the HTTP contract: the manager's CRUD, the
//! store menu's `option_groups`, `available` and `available_from`, and orders with options,
//! every refusal with its code, `line` and `group_id`.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{OptionGroup, OrderPage, ProvisionedTenant, StoreMenu};
use serde_json::{Value, json};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};

use super::helpers::{Request, add_item, call, manager, provision, spawn, store};

fn size_body() -> Value {
    json!({"name": "Size", "min": 1, "max": 1, "options": [
        {"name": "Small", "price_delta": -100},
        {"name": "Large", "price_delta": 250}
    ]})
}

fn toppings_body() -> Value {
    json!({"name": "Toppings", "min": 0, "max": 2, "options": [
        {"name": "Olives", "price_delta": 100},
        {"name": "Basil", "price_delta": 0},
        {"name": "Ham", "price_delta": 200}
    ]})
}

macro_rules! send {
    ($app:expr, $tenant:expr, $method:ident, $uri:expr) => {
        call($app, manager(TestRequest::$method().uri(&$uri), $tenant)).await
    };
    ($app:expr, $tenant:expr, $method:ident, $uri:expr, $body:expr) => {
        call(
            $app,
            manager(TestRequest::$method().uri(&$uri), $tenant).set_json($body),
        )
        .await
    };
}

async fn create_group<S, B>(app: &S, tenant: &ProvisionedTenant, body: Value) -> OptionGroup
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let reply = send!(app, tenant, post, "/api/v1/manager/option-groups", &body);
    assert_eq!(reply.status, StatusCode::CREATED, "{body}");
    reply.json()
}

fn order(lines: Value) -> Value {
    json!({"items": lines, "customer": "Ann"})
}

#[actix_web::test]
async fn option_groups_are_created_read_replaced_and_removed() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let size = create_group(&app, &a, size_body()).await;
    assert_eq!(size.name, "Size");
    assert_eq!((size.min, size.max), (1, 1));
    assert_eq!(size.options.len(), 2);
    assert_ne!(size.options[0].id, size.options[1].id);
    assert_eq!(size.options[0].price_delta, -100);
    assert_eq!(size.options[0].sold_out_until, None);

    let listed: Vec<OptionGroup> = send!(&app, &a, get, "/api/v1/manager/option-groups").json();
    assert_eq!(listed, vec![size.clone()]);
    let one = send!(
        &app,
        &a,
        get,
        format!("/api/v1/manager/option-groups/{}", size.id)
    );
    assert_eq!(one.json::<OptionGroup>(), size);
    // Another restaurant sees nothing of it.
    let foreign = send!(
        &app,
        &b,
        get,
        format!("/api/v1/manager/option-groups/{}", size.id)
    );
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.problem().code, "option_group_not_found");
    assert!(
        send!(&app, &b, get, "/api/v1/manager/option-groups")
            .json::<Vec<OptionGroup>>()
            .is_empty()
    );

    // Options are replaced as a list; those given with their id keep it.
    let small = size.options[0].id;
    let patched = send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/option-groups/{}", size.id),
        &json!({"name": "Sizes", "options": [
            {"id": small, "name": "Small (25 cm)"},
            {"name": "Family", "price_delta": 900}
        ]})
    );
    assert_eq!(patched.status, StatusCode::OK);
    let patched: OptionGroup = patched.json();
    assert_eq!(patched.name, "Sizes");
    assert_eq!(patched.options.len(), 2, "Large was left out: removed");
    assert_eq!(patched.options[0].id, small);
    assert_eq!(patched.options[0].name, "Small (25 cm)");
    assert_eq!(patched.options[0].price_delta, -100, "kept");
    assert_eq!(patched.options[1].price_delta, 900);

    // Staff's shape: only availability, the other options as they were.
    let marked: OptionGroup = send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/option-groups/{}", size.id),
        &json!({"options": [{"id": small, "sold_out_until": "indefinitely"}]})
    )
    .json();
    assert_eq!(marked.options.len(), 2);
    assert_eq!(
        marked.options[0].sold_out_until.as_deref(),
        Some("indefinitely")
    );

    for (body, code) in [
        (
            json!({"name": "X", "min": 2, "max": 1, "options": [{"name": "a", "price_delta": 0}, {"name": "b", "price_delta": 0}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 0, "max": 0, "options": [{"name": "a", "price_delta": 0}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 2, "max": 2, "options": [{"name": "a", "price_delta": 0}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 0, "max": 1, "options": []}),
            "validation_failed",
        ),
        (
            json!({"name": "", "min": 0, "max": 1, "options": [{"name": "a", "price_delta": 0}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 0, "max": 1, "options": [{"name": "a", "price_delta": 10_000_001}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 0, "max": 1, "options": [{"name": "a", "price_delta": 0, "sold_out_until": "soon"}]}),
            "validation_failed",
        ),
        (
            json!({"name": "X", "min": 0, "max": 1, "options": (0..51).map(|n| json!({"name": format!("o{n}"), "price_delta": 0})).collect::<Vec<_>>()}),
            "limit_reached",
        ),
    ] {
        let reply = send!(&app, &a, post, "/api/v1/manager/option-groups", &body);
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.problem().code, code, "{body}");
    }
    assert_eq!(
        send!(&app, &a, get, "/api/v1/manager/option-groups")
            .json::<Vec<OptionGroup>>()
            .len(),
        1,
        "nothing of the refused bodies"
    );

    // In use: 409; once no item offers it, it goes.
    let pizza = add_item(&app, &a, "Pizza", 1000).await;
    let offered = send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/menu/{}", pizza.id),
        &json!({"option_group_ids": [size.id]})
    );
    assert_eq!(offered.status, StatusCode::OK);
    assert_eq!(offered.value()["option_group_ids"], json!([size.id]));
    let in_use = send!(
        &app,
        &a,
        delete,
        format!("/api/v1/manager/option-groups/{}", size.id)
    );
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert_eq!(in_use.problem().code, "option_group_in_use");
    send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/menu/{}", pizza.id),
        &json!({"option_group_ids": []})
    );
    let gone = send!(
        &app,
        &a,
        delete,
        format!("/api/v1/manager/option-groups/{}", size.id)
    );
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = send!(
        &app,
        &a,
        delete,
        format!("/api/v1/manager/option-groups/{}", size.id)
    );
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn no_write_may_price_a_choice_below_zero_or_name_an_unknown_group() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let size = create_group(&app, &a, size_body()).await;
    let unknown = uuid::Uuid::from_u128(7);
    let refused = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/menu",
        &json!({"name": "Pizza", "price": 900, "option_group_ids": [unknown]})
    );
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.problem().code, "unknown_option_group");
    let cheap = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/menu",
        &json!({"name": "Mini", "price": 50, "option_group_ids": [size.id]})
    );
    assert_eq!(cheap.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cheap.problem().code, "negative_price");
    let pizza = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/menu",
        &json!({"name": "Pizza", "price": 100, "option_group_ids": [size.id]})
    );
    assert_eq!(pizza.status, StatusCode::CREATED, "100 - 100 is 0: allowed");
    let pizza = pizza.value();
    let lower = send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/menu/{}", pizza["id"].as_str().unwrap()),
        &json!({"price": 99})
    );
    assert_eq!(lower.problem().code, "negative_price");
    let deeper = send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/option-groups/{}", size.id),
        &json!({"options": [{"id": size.options[0].id, "price_delta": -101}]})
    );
    assert_eq!(deeper.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(deeper.problem().code, "negative_price");
    let menu: StoreMenu = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .json();
    assert_eq!(menu.items[0].price, 100, "nothing refused was stored");
    assert_eq!(menu.option_groups[0].options[0].price_delta, -100);
}

#[actix_web::test]
async fn orders_choose_options_and_every_refusal_names_its_line_and_group() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let size = create_group(&app, &a, size_body()).await;
    let toppings = create_group(&app, &a, toppings_body()).await;
    let other = create_group(
        &app,
        &a,
        json!({"name": "Other", "min": 0, "max": 1, "options": [{"name": "Foreign", "price_delta": 0}]}),
    )
    .await;
    let fries = add_item(&app, &a, "Fries", 350).await;
    let pizza: Value = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/menu",
        &json!({"name": "Pizza", "price": 1000, "option_group_ids": [size.id, toppings.id]})
    )
    .value();
    let pizza = pizza["id"].as_str().unwrap().to_owned();
    let (small, large) = (size.options[0].id, size.options[1].id);
    let (olives, ham) = (toppings.options[0].id, toppings.options[2].id);

    let menu: Value = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .value();
    let names: Vec<&str> = menu["option_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Size", "Toppings"],
        "only the groups an item offers"
    );
    assert_eq!(
        menu["option_groups"][0]["options"][0],
        json!({"id": small, "name": "Small", "price_delta": -100, "available": true})
    );
    let listed = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == pizza.as_str())
        .unwrap();
    assert_eq!(listed["option_group_ids"], json!([size.id, toppings.id]));
    assert_eq!(listed["available"], true);
    assert_eq!(listed["available_from"], Value::Null);

    let placed = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com").set_json(order(json!([
            {"id": pizza, "qty": 2, "options": [ham, large, olives]},
            {"id": fries.id, "qty": 1},
            {"id": pizza, "qty": 1, "options": [olives, large, ham]},
            {"id": pizza, "qty": 1, "options": [small]}
        ]))),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let placed = placed.value();
    assert_eq!(
        placed["total_amount"],
        3 * (1000 + 250 + 100 + 200) + 350 + (1000 - 100)
    );
    let line = &placed["items"][0];
    assert_eq!(
        line["qty"], 3,
        "the same options in another order: one line"
    );
    assert_eq!(line["unit_price"], 1550);
    assert_eq!(line["price"], 1550);
    assert_eq!(
        line["options"],
        json!([
            {"id": large, "group_id": size.id, "group": "Size", "name": "Large", "price_delta": 250},
            {"id": olives, "group_id": toppings.id, "group": "Toppings", "name": "Olives", "price_delta": 100},
            {"id": ham, "group_id": toppings.id, "group": "Toppings", "name": "Ham", "price_delta": 200}
        ])
    );
    assert_eq!(placed["items"][1]["options"], json!([]));
    assert_eq!(placed["items"][2]["unit_price"], 900);
    // The manager's list carries the same lines.
    let page: OrderPage = send!(&app, &a, get, "/api/v1/manager/orders").json();
    assert_eq!(page.items[0].items[0].options.len(), 3);

    // Every refusal: its code, the line as sent, and the group where it applies.
    let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string();
    let sold_out = add_item(&app, &a, "Soup", 500).await;
    send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/menu/{}", sold_out.id),
        &json!({"sold_out_until": later})
    );
    send!(
        &app,
        &a,
        patch,
        format!("/api/v1/manager/option-groups/{}", toppings.id),
        &json!({"options": [{"id": ham, "sold_out_until": "indefinitely"}]})
    );
    for (lines, code, line, group) in [
        (
            json!([{"id": fries.id, "qty": 1}, {"id": pizza, "qty": 1}]),
            "options_below_min",
            1,
            Some(size.id),
        ),
        (
            json!([{"id": pizza, "qty": 1, "options": [small, large]}]),
            "options_above_max",
            0,
            Some(size.id),
        ),
        (
            json!([{"id": fries.id, "qty": 1}, {"id": fries.id, "qty": 1, "options": [small]}]),
            "unknown_option",
            1,
            None,
        ),
        (
            json!([{"id": pizza, "qty": 1, "options": [small, other.options[0].id]}]),
            "unknown_option",
            0,
            None,
        ),
        (
            json!([{"id": fries.id, "qty": 1}, {"id": fries.id, "qty": 1}, {"id": pizza, "qty": 1, "options": [small, small]}]),
            "duplicate_option",
            2,
            None,
        ),
        (
            json!([{"id": fries.id, "qty": 1}, {"id": sold_out.id, "qty": 1}]),
            "item_unavailable",
            1,
            None,
        ),
        (
            json!([{"id": pizza, "qty": 1, "options": [small, ham]}]),
            "option_unavailable",
            0,
            Some(toppings.id),
        ),
    ] {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(order(lines.clone())),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{lines}");
        let problem = reply.problem();
        assert_eq!(problem.code, code, "{lines}");
        assert_eq!(problem.line, Some(line), "{lines}");
        assert_eq!(problem.group_id, group, "{lines}");
    }
    let page: OrderPage = send!(&app, &a, get, "/api/v1/manager/orders").json();
    assert_eq!(page.items.len(), 1, "refusals store nothing");

    // The store menu says when the soup comes back.
    let menu: Value = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .value();
    let soup = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Soup")
        .unwrap();
    assert_eq!(soup["available"], false);
    assert_eq!(soup["sold_out_until"], later.as_str());
    assert_eq!(soup["available_from"], later.as_str());
    let ham_listed = &menu["option_groups"][1]["options"][2];
    assert_eq!(ham_listed["available"], false);
}

#[actix_web::test]
async fn sold_out_until_and_serving_hours_are_written_as_the_contract_says() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let item = add_item(&app, &a, "Soup", 500).await;
    let uri = format!("/api/v1/manager/menu/{}", item.id);
    for (body, is_available, sold_out_until) in [
        (
            json!({"sold_out_until": "2030-01-01T12:00:00+01:00"}),
            true,
            json!("2030-01-01T11:00:00Z"),
        ),
        (
            json!({"sold_out_until": "indefinitely"}),
            false,
            json!("indefinitely"),
        ),
        (json!({"sold_out_until": null}), true, Value::Null),
        (json!({"is_available": false}), false, json!("indefinitely")),
        (json!({"is_available": true}), true, Value::Null),
    ] {
        let reply = send!(&app, &a, patch, uri, &body);
        assert_eq!(reply.status, StatusCode::OK, "{body}");
        let item = reply.value();
        assert_eq!(item["is_available"], is_available, "{body}");
        assert_eq!(item["sold_out_until"], sold_out_until, "{body}");
    }
    for body in [
        json!({"sold_out_until": "tomorrow"}),
        json!({"sold_out_until": "2030-02-30T12:00:00Z"}),
        json!({"sold_out_until": "indefinitely", "is_available": true}),
    ] {
        let reply = send!(&app, &a, patch, uri, &body);
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }

    let breakfast = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/categories",
        &json!({"name": "Breakfast", "position": 0, "serving_hours": {"mon": [["07:00", "11:00"]]}})
    );
    assert_eq!(breakfast.status, StatusCode::CREATED);
    let breakfast = breakfast.value();
    assert_eq!(
        breakfast["serving_hours"],
        json!({"mon": [["07:00", "11:00"]]})
    );
    let cleared = send!(
        &app,
        &a,
        patch,
        format!(
            "/api/v1/manager/categories/{}",
            breakfast["id"].as_str().unwrap()
        ),
        &json!({"serving_hours": null})
    );
    assert_eq!(cleared.value()["serving_hours"], Value::Null);
    let bad = send!(
        &app,
        &a,
        post,
        "/api/v1/manager/categories",
        &json!({"name": "Late", "position": 1, "serving_hours": {"mon": [["25:00", "11:00"]]}})
    );
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
