//! Pickup times through the HTTP contract: the trading settings (read, changed, refused), the
//! storefront's `/slots`, orders for a slot or as soon as possible, a full slot (`slot_full`
//! with `next_available`), busy and paused, and the kitchen's list by pickup.
//!
//! The service reads the real clock here: slots are asked for tomorrow, whole days ahead of
//! any lead time, in a restaurant that is always open in UTC.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{Order, OrderPage, Settings, StoreConfig, StoreSlots};
use jiff::{Timestamp, ToSpan as _};
use serde_json::{Value, json};

use super::helpers::{add_item, call, manager, provision, spawn, store};

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

/// Today and tomorrow in UTC (the restaurants here are in UTC).
fn days() -> (jiff::civil::Date, jiff::civil::Date) {
    let today = Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    (today, today.checked_add(1.day()).unwrap())
}

fn order_for(item: uuid::Uuid, pickup_at: Option<&str>) -> Value {
    json!({"items": [{"id": item, "qty": 1}], "customer": "Ann", "pickup_at": pickup_at})
}

#[actix_web::test]
async fn settings_are_read_changed_and_refused_whole() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let defaults: Settings = send!(&app, &a, get, "/api/v1/manager/settings").json();
    assert_eq!(
        (
            defaults.prep_minutes,
            defaults.slot_minutes,
            defaults.slot_capacity,
            defaults.schedule_days_ahead,
            defaults.busy_extra_minutes,
            defaults.accepting_orders,
        ),
        (20, 15, None, 6, 0, true)
    );
    assert!(defaults.closures.is_empty());
    assert_eq!(defaults.name, "a.com kitchen");

    let patch = json!({
        "prep_minutes": 10, "slot_minutes": 30, "slot_capacity": 4, "schedule_days_ahead": 2,
        "busy_extra_minutes": 15, "accepting_orders": false,
        "closures": [{"date": "2026-12-25", "reason": "Christmas"}]
    });
    let changed = send!(&app, &a, patch, "/api/v1/manager/settings", &patch);
    assert_eq!(changed.status, StatusCode::OK);
    let changed: Settings = changed.json();
    assert_eq!(
        (
            changed.prep_minutes,
            changed.slot_minutes,
            changed.slot_capacity,
            changed.schedule_days_ahead,
            changed.busy_extra_minutes,
            changed.accepting_orders,
        ),
        (10, 30, Some(4), 2, 15, false)
    );
    assert_eq!(changed.closures[0].date, "2026-12-25");
    assert_eq!(changed.closures[0].reason, "Christmas");
    let read: Settings = send!(&app, &a, get, "/api/v1/manager/settings").json();
    assert_eq!(read, changed);
    // The storefront's config says what a customer needs.
    let config: StoreConfig = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/config"), "a.com"),
    )
    .await
    .json();
    assert_eq!(
        (
            config.accepting_orders,
            config.busy_extra_minutes,
            config.prep_minutes,
            config.slot_minutes,
            config.schedule_days_ahead
        ),
        (false, 15, 10, 30, 2)
    );

    // Every bad value: 422, naming each field, and nothing changes.
    for bad in [
        json!({"prep_minutes": 241}),
        json!({"prep_minutes": -1}),
        json!({"slot_minutes": 4}),
        json!({"slot_minutes": 61}),
        json!({"slot_capacity": 0}),
        json!({"slot_capacity": 1001}),
        json!({"schedule_days_ahead": 15}),
        json!({"busy_extra_minutes": 241}),
        json!({"prep_minutes": 1.5}),
        json!({"accepting_orders": "no"}),
        json!({"closures": [{"date": "2026-02-30", "reason": "x"}]}),
        json!({"closures": [{"date": "2026-12-25"}]}),
        json!({"closures": [{"date": "2026-12-25", "reason": " "}]}),
        json!({"closures": [{"date": "2026-12-25", "reason": "a"}, {"date": "2026-12-25", "reason": "b"}]}),
        json!({"prep_minutes": 5, "slot_minutes": 1}),
    ] {
        let refused = send!(&app, &a, patch, "/api/v1/manager/settings", &bad);
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let after: Settings = send!(&app, &a, get, "/api/v1/manager/settings").json();
        assert_eq!(after, changed, "{bad} wrote something");
    }
    // Unlimited again.
    let unlimited: Settings = send!(
        &app,
        &a,
        patch,
        "/api/v1/manager/settings",
        &json!({"slot_capacity": null})
    )
    .json();
    assert_eq!(unlimited.slot_capacity, None);
    assert_eq!(unlimited.prep_minutes, 10);
}

#[actix_web::test]
async fn a_slot_takes_its_capacity_and_a_full_one_names_the_next() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let soup = add_item(&app, &a, "Soup", 500).await;
    let capacity = json!({"slot_capacity": 1});
    send!(&app, &a, patch, "/api/v1/manager/settings", &capacity);
    let (today, _) = days();
    // Two days ahead: after any quote for as soon as possible, even one placed near midnight.
    let later = today.checked_add(2.days()).unwrap();
    let slots = |date: String| {
        call(
            &app,
            store(
                TestRequest::get().uri(&format!("/api/v1/store/slots?date={date}")),
                "a.com",
            ),
        )
    };
    let board: StoreSlots = slots(later.to_string()).await.json();
    assert_eq!(board.date, later.to_string());
    // Always open: 96 slots of 15 minutes from midnight, each taking one order.
    assert_eq!(board.slots.len(), 96);
    assert!(
        board
            .slots
            .iter()
            .all(|s| s.available && s.remaining == Some(1))
    );
    assert!(board.asap.available);
    let noon = &board.slots[48];
    assert_eq!(noon.start, format!("{later}T12:00:00+00:00"));
    assert_eq!(noon.end, format!("{later}T12:15:00+00:00"));

    // Today by default; ASAP about now plus the prep time.
    let today_board: StoreSlots = call(
        &app,
        store(TestRequest::get().uri("/api/v1/store/slots"), "a.com"),
    )
    .await
    .json();
    assert_eq!(today_board.date, today.to_string());
    let quote: Timestamp = today_board.asap.ready_at.unwrap().parse().unwrap();
    let lead = quote.duration_since(Timestamp::now()).as_secs();
    assert!((20 * 60 - 5..=21 * 60).contains(&lead), "{lead}");

    let placed = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .insert_header(("Idempotency-Key", "noon-1"))
            .set_json(order_for(soup.id, Some(&noon.start))),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.value());
    let placed: Order = placed.json();
    assert_eq!(placed.pickup_at.as_deref(), Some(noon.start.as_str()));
    assert_eq!(placed.ready_at.as_deref(), Some(noon.start.as_str()));

    // Full: the next slot is named as /slots names it; nothing is written.
    let full = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .set_json(order_for(soup.id, Some(&noon.start))),
    )
    .await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    let problem = full.problem();
    assert_eq!(problem.code, "slot_full");
    assert_eq!(
        problem.next_available,
        Some(Some(board.slots[49].start.clone()))
    );
    // A retry of the order that took the place replays it.
    let replayed = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .insert_header(("Idempotency-Key", "noon-1"))
            .set_json(order_for(soup.id, Some(&noon.start))),
    )
    .await;
    assert_eq!(replayed.status, StatusCode::CREATED);
    assert_eq!(replayed.json::<Order>(), placed);
    let board: StoreSlots = slots(later.to_string()).await.json();
    assert_eq!(
        (board.slots[48].available, board.slots[48].remaining),
        (false, Some(0))
    );

    // Refused times and days.
    for (pickup, code) in [
        (format!("{later}T12:05:00Z"), "slot_invalid"),
        (format!("{today}T00:00:00Z"), "slot_invalid"),
        (
            format!("{}T12:00:00Z", today.checked_add(7.days()).unwrap()),
            "slot_invalid",
        ),
        (format!("{later}T12:00:00"), "validation_failed"),
        ("soon".to_owned(), "validation_failed"),
    ] {
        let refused = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(order_for(soup.id, Some(&pickup))),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{pickup}");
        assert_eq!(refused.problem().code, code, "{pickup}");
    }
    for (date, status, code) in [
        (
            today.checked_add(7.days()).unwrap().to_string(),
            422,
            "date_out_of_range",
        ),
        (
            today.checked_sub(1.day()).unwrap().to_string(),
            422,
            "date_out_of_range",
        ),
        ("2026-02-30".to_owned(), 400, "bad_request"),
        ("later".to_owned(), 400, "bad_request"),
    ] {
        let refused = slots(date.clone()).await;
        assert_eq!(refused.status.as_u16(), status, "{date}");
        assert_eq!(refused.problem().code, code, "{date}");
    }

    // The kitchen's view: by ready_at, within a window.
    let asap: Order = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .set_json(order_for(soup.id, None)),
    )
    .await
    .json();
    assert_eq!(asap.pickup_at, None);
    assert!(asap.ready_at.is_some());
    let by_pickup: OrderPage = send!(&app, &a, get, "/api/v1/manager/orders?sort=pickup").json();
    let ids: Vec<_> = by_pickup.items.iter().map(|o| o.order_id).collect();
    assert_eq!(ids, [asap.order_id, placed.order_id]);
    let newest: OrderPage = send!(&app, &a, get, "/api/v1/manager/orders").json();
    let ids: Vec<_> = newest.items.iter().map(|o| o.order_id).collect();
    assert_eq!(ids, [asap.order_id, placed.order_id]);
    let from = format!("{later}T00:00:00Z");
    let later_only: OrderPage = send!(
        &app,
        &a,
        get,
        format!("/api/v1/manager/orders?sort=pickup&pickup_from={from}")
    )
    .json();
    assert_eq!(later_only.items, vec![placed.clone()]);
    let before = send!(
        &app,
        &a,
        get,
        format!(
            "/api/v1/manager/orders?pickup_to={}",
            from.replace(':', "%3A")
        )
    )
    .json::<OrderPage>();
    assert_eq!(before.items.len(), 1);
    assert_eq!(before.items[0].order_id, asap.order_id);
    for bad in ["sort=newest", "pickup_from=today", "pickup_to=2026-12-07"] {
        let refused = send!(&app, &a, get, format!("/api/v1/manager/orders?{bad}"));
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Accepting sets when it is to be ready: not before its slot.
    let accepted: Order = send!(
        &app,
        &a,
        post,
        format!("/api/v1/manager/orders/{}/confirm", placed.order_id)
    )
    .json();
    assert_eq!(accepted.ready_at, placed.ready_at);
    // A cancelled order frees its place.
    let cancel = json!({"status": "CANCELLED"});
    send!(
        &app,
        &a,
        post,
        format!("/api/v1/manager/orders/{}/status", placed.order_id),
        &cancel
    );
    let board: StoreSlots = slots(later.to_string()).await.json();
    assert_eq!(
        (board.slots[48].available, board.slots[48].remaining),
        (true, Some(1))
    );
}

#[actix_web::test]
async fn busy_moves_every_quote_and_paused_refuses_every_order() {
    let app = spawn().await;
    let a = provision(&app, "a.com", "#ff0000").await;
    let soup = add_item(&app, &a, "Soup", 500).await;
    let quote = || async {
        let board: StoreSlots = call(
            &app,
            store(TestRequest::get().uri("/api/v1/store/slots"), "a.com"),
        )
        .await
        .json();
        board.asap
    };
    let before: Timestamp = quote().await.ready_at.unwrap().parse().unwrap();
    let busy = json!({"busy_extra_minutes": 20});
    send!(&app, &a, patch, "/api/v1/manager/settings", &busy);
    let after: Timestamp = quote().await.ready_at.unwrap().parse().unwrap();
    let moved = after.duration_since(before).as_mins();
    assert!((19..=21).contains(&moved), "{moved}");
    let placed: Order = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .set_json(order_for(soup.id, None)),
    )
    .await
    .json();
    let ready: Timestamp = placed.ready_at.as_deref().unwrap().parse().unwrap();
    assert!(ready >= after);

    let paused = json!({"accepting_orders": false});
    send!(&app, &a, patch, "/api/v1/manager/settings", &paused);
    let asap = quote().await;
    assert!(!asap.available);
    assert_eq!(asap.ready_at, None);
    let (_, tomorrow) = days();
    for pickup in [None, Some(format!("{tomorrow}T12:00:00Z"))] {
        let refused = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .set_json(order_for(soup.id, pickup.as_deref())),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.problem().code, "not_accepting_orders");
    }
    // Tracking and the manager go on.
    let tracked = call(
        &app,
        store(
            TestRequest::get().uri(&format!(
                "/api/v1/store/orders/{}?t={}",
                placed.order_id,
                placed.tracking_token.as_deref().unwrap()
            )),
            "a.com",
        ),
    )
    .await;
    assert_eq!(tracked.status, StatusCode::OK);
    let listed: OrderPage = send!(&app, &a, get, "/api/v1/manager/orders").json();
    assert_eq!(listed.items.len(), 1);
}
