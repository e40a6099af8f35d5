//! What nginx itself must get right: Host forwarded exactly, no default tenant, limits, docs,
//! the single-page app's fallback.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::stack::Stack;

#[tokio::test]
async fn the_host_is_forwarded_exactly_and_the_app_decides() {
    let stack = Stack::start(None).await;
    let a = stack.provision("a.com", "#ff0000").await;
    for host in ["a.com", "A.COM", "a.com:8080", "a.com."] {
        let res = stack
            .request(Method::GET, host, "/api/v1/store/config")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{host}");
        let config: Value = res.json().await.unwrap();
        assert_eq!(config["tenant_id"], a.tenant_id.to_string());
        assert_eq!(
            config["css"],
            ":root { --primary: #ff0000; --font: sans-serif; }"
        );
    }
    for host in ["b.com", "localhost", "127.0.0.1"] {
        let res = stack
            .request(Method::GET, host, "/api/v1/store/config")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{host}");
    }
    let spoofed = stack
        .request(Method::GET, "b.com", "/api/v1/store/config")
        .header("X-Forwarded-Host", "a.com")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_edge_limits_bodies_serves_the_docs_and_the_app() {
    let stack = Stack::start(None).await;
    stack.provision("a.com", "#ff0000").await;

    let huge = stack
        .request(Method::POST, "a.com", "/api/v1/store/orders")
        .header("Content-Type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.headers()["content-type"], "application/problem+json");

    let docs = stack
        .request(Method::GET, "localhost", "/docs/")
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
    let spec: Value = stack
        .request(Method::GET, "localhost", "/api-docs/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/api/v1/store/orders"]["post"].is_object());

    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            stack
                .request(Method::GET, "any.host", path)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    let deep_link = stack
        .request(Method::GET, "a.com", "/checkout/step/2")
        .send()
        .await
        .unwrap();
    assert_eq!(deep_link.status(), StatusCode::OK);
    assert!(
        deep_link
            .text()
            .await
            .unwrap()
            .contains("<title>storefront</title>")
    );
    let request_id = stack
        .request(Method::GET, "a.com", "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(
        request_id.headers()["x-request-id"].len(),
        32,
        "nginx's $request_id reaches the app"
    );
}
