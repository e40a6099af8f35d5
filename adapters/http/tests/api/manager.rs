//! Manager endpoints: X-Tenant-ID and that tenant's key; menu CRUD and orders.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{MenuItem, Order, OrderPage};
use serde_json::json;
use uuid::Uuid;

use super::helpers::{add_item, call, manager, provision, spawn, store};

#[actix_web::test]
async fn manager_requests_need_the_tenants_own_key() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let menu = || TestRequest::get().uri("/api/v1/manager/menu");

    let no_key = call(
        &app,
        menu().insert_header(("X-Tenant-ID", a.tenant_id.to_string())),
    )
    .await;
    assert_eq!(no_key.status, StatusCode::UNAUTHORIZED);
    no_key.problem();

    let bearer_a = ("Authorization", format!("Bearer {}", a.manager_api_key));
    let no_tenant = call(&app, menu().insert_header(bearer_a.clone())).await;
    assert_eq!(no_tenant.status, StatusCode::BAD_REQUEST);
    let bad_tenant = call(
        &app,
        menu()
            .insert_header(bearer_a.clone())
            .insert_header(("X-Tenant-ID", "nope")),
    )
    .await;
    assert_eq!(bad_tenant.status, StatusCode::BAD_REQUEST);
    bad_tenant.problem();
    let unknown = call(
        &app,
        menu()
            .insert_header(bearer_a.clone())
            .insert_header(("X-Tenant-ID", Uuid::new_v4().to_string())),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A's key on B's tenant: authenticated, but not B's manager.
    let foreign = call(
        &app,
        menu()
            .insert_header(bearer_a.clone())
            .insert_header(("X-Tenant-ID", b.tenant_id.to_string())),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    foreign.problem();
    let create_foreign = call(
        &app,
        TestRequest::post()
            .uri("/api/v1/manager/menu")
            .insert_header(bearer_a)
            .insert_header(("X-Tenant-ID", b.tenant_id.to_string()))
            .set_json(json!({"name": "Sneaky", "price": 1})),
    )
    .await;
    assert_eq!(create_foreign.status, StatusCode::FORBIDDEN);
    let b_menu = call(&app, manager(menu(), &b)).await;
    assert_eq!(
        b_menu.json::<Vec<MenuItem>>(),
        vec![],
        "nothing was written to B"
    );

    let own = call(&app, manager(menu(), &a)).await;
    assert_eq!(own.status, StatusCode::OK);
}

#[actix_web::test]
async fn the_menu_can_be_created_read_patched_and_deleted() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let created = call(
        &app,
        manager(TestRequest::post().uri("/api/v1/manager/menu"), &a)
            .set_json(json!({"name": "Margherita Pizza", "price": 1200})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let item: MenuItem = created.json();
    assert_eq!(
        (item.name.as_str(), item.price, item.is_available),
        ("Margherita Pizza", 1200, true)
    );
    assert_eq!(
        created.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/manager/menu/{}", item.id)
    );
    let path = format!("/api/v1/manager/menu/{}", item.id);

    let got = call(&app, manager(TestRequest::get().uri(&path), &a)).await;
    assert_eq!(got.json::<MenuItem>(), item);

    let patched = call(
        &app,
        manager(TestRequest::patch().uri(&path), &a)
            .set_json(json!({"price": 1350, "is_available": false})),
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK);
    let patched: MenuItem = patched.json();
    assert_eq!(
        (patched.name.as_str(), patched.price, patched.is_available),
        ("Margherita Pizza", 1350, false)
    );

    let listed = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/menu"), &a),
    )
    .await;
    assert_eq!(listed.json::<Vec<MenuItem>>(), vec![patched]);

    let deleted = call(&app, manager(TestRequest::delete().uri(&path), &a)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for req in [TestRequest::get(), TestRequest::delete()] {
        let gone = call(&app, manager(req.uri(&path), &a)).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.problem().code, "menu_item_not_found");
    }
    let not_an_id = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/menu/42"), &a),
    )
    .await;
    assert_eq!(not_an_id.status, StatusCode::NOT_FOUND);
    not_an_id.problem();
}

#[actix_web::test]
async fn invalid_menu_items_are_refused_and_nothing_is_written() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    for body in [
        json!({"name": "Free money", "price": -1}),
        json!({"name": "Gold", "price": 10_000_001}),
        json!({"name": "Fraction", "price": 12.5}),
        json!({"name": "Text", "price": "1200"}),
        json!({"name": "", "price": 100}),
        json!({"name": "x".repeat(121), "price": 100}),
        json!({"price": 100}),
        json!({"name": "Typo", "price": 100, "is_availble": true}),
    ] {
        let reply = call(
            &app,
            manager(TestRequest::post().uri("/api/v1/manager/menu"), &a).set_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        reply.problem();
    }
    let path = format!("/api/v1/manager/menu/{}", burger.id);
    for body in [
        json!({"price": -5}),
        json!({"name": " "}),
        json!({"price": null, "colour": "red"}),
    ] {
        let reply = call(
            &app,
            manager(TestRequest::patch().uri(&path), &a).set_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let listed = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/menu"), &a),
    )
    .await;
    assert_eq!(listed.json::<Vec<MenuItem>>(), vec![burger]);
}

#[actix_web::test]
async fn orders_are_listed_newest_first_and_confirmed_once() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    let mut placed = Vec::new();
    for qty in 1..=3 {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(json!({"items": [{"id": burger.id, "qty": qty}], "customer": "Ann"})),
        )
        .await;
        placed.push(reply.json::<Order>().order_id);
    }
    placed.reverse();
    let listed: Vec<Order> = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/orders"), &a),
    )
    .await
    .json::<OrderPage>()
    .items;
    assert_eq!(
        listed.iter().map(|o| o.order_id).collect::<Vec<_>>(),
        placed
    );
    assert_eq!(listed[0].total_amount, 2700);

    let confirm = |tenant| {
        manager(
            TestRequest::post().uri(&format!("/api/v1/manager/orders/{}/confirm", placed[0])),
            tenant,
        )
    };
    let foreign = call(&app, confirm(&b)).await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "B cannot see A's order"
    );
    let confirmed = call(&app, confirm(&a)).await;
    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.json::<Order>().status, "CONFIRMED");
    let again = call(&app, confirm(&a)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem().code, "order_not_pending");
    let ghost = call(
        &app,
        manager(
            TestRequest::post().uri(&format!(
                "/api/v1/manager/orders/{}/confirm",
                Uuid::new_v4()
            )),
            &a,
        ),
    )
    .await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_rotated_key_works_at_once_and_the_old_one_stops() {
    let app = spawn().await;
    let mut a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let menu = || TestRequest::get().uri("/api/v1/manager/menu");
    assert_eq!(call(&app, manager(menu(), &a)).await.status, StatusCode::OK);

    let rotated = call(
        &app,
        manager(TestRequest::post().uri("/api/v1/manager/key"), &a),
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_eq!(rotated.headers.get("cache-control").unwrap(), "no-store");
    let body: chameleon_wire::RotatedManagerKey = rotated.json();
    assert_eq!(body.tenant_id, a.tenant_id);
    assert_ne!(body.manager_api_key, a.manager_api_key);

    let old = call(&app, manager(menu(), &a)).await;
    assert_eq!(
        old.status,
        StatusCode::FORBIDDEN,
        "the old key stopped working"
    );
    old.problem();
    a.manager_api_key = body.manager_api_key;
    assert_eq!(call(&app, manager(menu(), &a)).await.status, StatusCode::OK);
    assert_eq!(
        call(&app, manager(menu(), &b)).await.status,
        StatusCode::OK,
        "B's key is untouched"
    );
}

#[actix_web::test]
async fn a_key_that_cannot_be_one_is_refused_before_any_lookup() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    for key in ["short", "chm_xyz", &a.manager_api_key.to_uppercase()] {
        let reply = call(
            &app,
            TestRequest::get()
                .uri("/api/v1/manager/menu")
                .insert_header(("X-Tenant-ID", a.tenant_id.to_string()))
                .insert_header(("Authorization", format!("Bearer {key}"))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{key}");
        assert!(reply.problem().detail.contains("not a manager API key"));
    }
}

#[actix_web::test]
async fn manager_and_system_answers_are_never_cached() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let listed = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/orders"), &a),
    )
    .await;
    assert_eq!(listed.headers.get("cache-control").unwrap(), "no-store");
    let refused = call(&app, TestRequest::get().uri("/api/v1/manager/orders")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers.get("cache-control").unwrap(), "no-store");
    let tenants = call(
        &app,
        super::helpers::admin(TestRequest::get().uri("/api/v1/sys/tenants")),
    )
    .await;
    assert_eq!(tenants.headers.get("cache-control").unwrap(), "no-store");
}

#[actix_web::test]
async fn orders_are_paged_with_a_cursor_and_filtered_by_status() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    let mut placed = Vec::new();
    for qty in 1..=5 {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(json!({"items": [{"id": burger.id, "qty": qty}], "customer": "Ann"})),
        )
        .await;
        placed.push(reply.json::<Order>().order_id);
    }
    placed.reverse();
    let page = |query: String| {
        manager(
            TestRequest::get().uri(&format!("/api/v1/manager/orders{query}")),
            &a,
        )
    };
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let reply: OrderPage = call(&app, page(query.clone())).await.json();
        assert!(reply.items.len() <= 2);
        seen.extend(reply.items.iter().map(|o| o.order_id));
        match reply.next_cursor {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, placed);

    let confirm = call(
        &app,
        manager(
            TestRequest::post().uri(&format!("/api/v1/manager/orders/{}/confirm", placed[2])),
            &a,
        ),
    )
    .await;
    assert_eq!(confirm.status, StatusCode::OK);
    let confirmed: OrderPage = call(&app, page("?status=CONFIRMED".into())).await.json();
    assert_eq!(
        confirmed
            .items
            .iter()
            .map(|o| o.order_id)
            .collect::<Vec<_>>(),
        vec![placed[2]]
    );
    let default: OrderPage = call(&app, page(String::new())).await.json();
    assert_eq!(default.items.len(), 5);

    for bad in [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?cursor=nonsense!",
        "?cursor=AAAA",
        "?status=LOST",
    ] {
        let reply = call(&app, page(bad.into())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        reply.problem();
    }
}

#[actix_web::test]
async fn categories_order_the_store_menu_and_items_carry_their_details() {
    use chameleon_wire::{Category, StoreMenu};

    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let b = provision(&app, "b.com", "#00ff00").await;
    let create = |tenant, name: &str, position: i64| {
        manager(
            TestRequest::post()
                .uri("/api/v1/manager/categories")
                .set_json(json!({"name": name, "position": position})),
            tenant,
        )
    };
    let drinks = call(&app, create(&a, "Drinks", 20)).await;
    assert_eq!(drinks.status, StatusCode::CREATED);
    let drinks: Category = drinks.json();
    let pizzas: Category = call(&app, create(&a, "Pizzas", 10)).await.json();
    let foreign: Category = call(&app, create(&b, "Secret", 0)).await.json();

    // Bad bodies: 422, nothing stored.
    for bad in [
        json!({"name": "", "position": 1}),
        json!({"name": "X", "position": -1}),
        json!({"name": "X", "position": 10001}),
        json!({"name": "X"}),
    ] {
        let reply = call(
            &app,
            manager(
                TestRequest::post()
                    .uri("/api/v1/manager/categories")
                    .set_json(&bad),
                &a,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        reply.problem();
    }

    let item = call(
        &app,
        manager(
            TestRequest::post()
                .uri("/api/v1/manager/menu")
                .set_json(json!({
                    "name": "Margherita",
                    "price": 1100,
                    "category_id": pizzas.id,
                    "description": "Tomato, mozzarella, basil.",
                    "image_url": "https://img.example.com/margherita.jpg",
                    "tags": ["vegetarian", "vegetarian"],
                })),
            &a,
        ),
    )
    .await;
    assert_eq!(item.status, StatusCode::CREATED);
    let item: MenuItem = item.json();
    assert_eq!(item.category_id, Some(pizzas.id));
    assert_eq!(item.tags, [chameleon_wire::Tag::new("vegetarian")]);
    add_item(&app, &a, "Water", 200).await;

    for (bad, code) in [
        (
            json!({"image_url": "http://img.example.com/a.jpg"}),
            "validation_failed",
        ),
        (
            json!({"image_url": "https://10.0.0.1/a.jpg"}),
            "validation_failed",
        ),
        (json!({"description": "x".repeat(501)}), "validation_failed"),
        (json!({"tags": ["keto"]}), "validation_failed"),
        (json!({"category_id": foreign.id}), "unknown_category"),
        (json!({"category_id": Uuid::new_v4()}), "unknown_category"),
    ] {
        let mut body = json!({"name": "Bad", "price": 100});
        body.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let reply = call(
            &app,
            manager(
                TestRequest::post()
                    .uri("/api/v1/manager/menu")
                    .set_json(&body),
                &a,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.problem().code, code, "{body}");
    }

    let menu: StoreMenu = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/menu"), "a.com"),
    )
    .await
    .json();
    let names: Vec<_> = menu.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Pizzas", "Drinks"]);
    assert_eq!(menu.items.len(), 2, "nothing of the refused bodies");
    assert_eq!(menu.items[0].id, item.id);
    assert_eq!(menu.items[0].category_id, item.category_id);
    assert!(menu.items[0].available);

    // Drinks first now; a foreign category cannot be touched.
    let moved = call(
        &app,
        manager(
            TestRequest::patch()
                .uri(&format!("/api/v1/manager/categories/{}", drinks.id))
                .set_json(json!({"position": 0})),
            &a,
        ),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK);
    let listed: Vec<Category> = call(
        &app,
        manager(TestRequest::get().uri("/api/v1/manager/categories"), &a),
    )
    .await
    .json();
    let names: Vec<_> = listed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Drinks", "Pizzas"]);
    for req in [
        TestRequest::patch()
            .uri(&format!("/api/v1/manager/categories/{}", foreign.id))
            .set_json(json!({"name": "Mine"})),
        TestRequest::delete().uri(&format!("/api/v1/manager/categories/{}", foreign.id)),
    ] {
        let reply = call(&app, manager(req, &a)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.problem().code, "category_not_found");
    }

    // Deleting Pizzas leaves the Margherita on the menu, in no category.
    let gone = call(
        &app,
        manager(
            TestRequest::delete().uri(&format!("/api/v1/manager/categories/{}", pizzas.id)),
            &a,
        ),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let after: MenuItem = call(
        &app,
        manager(
            TestRequest::get().uri(&format!("/api/v1/manager/menu/{}", item.id)),
            &a,
        ),
    )
    .await
    .json();
    assert_eq!(after.category_id, None);

    // A patch clears the optional fields with null.
    let cleared: MenuItem = call(
        &app,
        manager(
            TestRequest::patch()
                .uri(&format!("/api/v1/manager/menu/{}", item.id))
                .set_json(json!({"description": null, "image_url": null, "tags": []})),
            &a,
        ),
    )
    .await
    .json();
    assert_eq!(
        (cleared.description, cleared.image_url, cleared.tags),
        (None, None, vec![])
    );
}
