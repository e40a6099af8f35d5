//! Every error is a problem: malformed bodies, wrong media types, oversized bodies, unknown
//! routes and methods.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use super::helpers::{admin, call, provision, spawn, store};

#[actix_web::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn().await;
    provision(&app, "a.com", "#ff0000").await;
    for body in ["{", "not json", "{\"items\": [}", ""] {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body:?}");
        reply.problem();
    }
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_unsupported() {
    let app = spawn().await;
    let reply = call(
        &app,
        admin(TestRequest::post().uri("/api/v1/sys/provision"))
            .insert_header(("Content-Type", "text/plain"))
            .set_payload("domain=a.com"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    reply.problem();
}

#[actix_web::test]
async fn an_oversized_body_is_refused() {
    let app = spawn().await;
    provision(&app, "a.com", "#ff0000").await;
    let huge = format!(
        "{{\"customer\": \"{}\", \"items\": []}}",
        "x".repeat(70_000)
    );
    let reply = call(
        &app,
        store(TestRequest::post().uri("/api/v1/store/orders"), "a.com")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(huge),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.problem();
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let app = spawn().await;
    provision(&app, "a.com", "#ff0000").await;
    let nothing = call(&app, TestRequest::get().uri("/api/v1/nothing")).await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
    nothing.problem();
    let wrong_method = call(
        &app,
        store(TestRequest::delete().uri("/api/v1/store/config"), "a.com"),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.problem().code, "method_not_allowed");
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = spawn().await;
    let fresh = call(&app, TestRequest::get().uri("/healthz")).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.headers.get("x-request-id").unwrap().len(), 32);
    let given = call(
        &app,
        TestRequest::get()
            .uri("/nope")
            .insert_header(("X-Request-Id", "edge-1234")),
    )
    .await;
    assert_eq!(given.headers.get("x-request-id").unwrap(), "edge-1234");
    let hostile = call(
        &app,
        TestRequest::get()
            .uri("/healthz")
            .insert_header(("X-Request-Id", "a b\"c")),
    )
    .await;
    assert_ne!(hostile.headers.get("x-request-id").unwrap(), "a b\"c");
}

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn().await;
    for path in ["/healthz", "/readyz"] {
        let reply = call(&app, TestRequest::get().uri(path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
}
