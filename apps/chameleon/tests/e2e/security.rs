//! The edge's defences, through nginx as a client meets them: rate and connection limits
//! answered 429 problem+json, the system API only for allowed addresses, the headers that keep
//! pages from being framed or sniffed, methods nobody serves, slow clients cut off.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chameleon_stack::EdgeLimits;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::stack::{Stack, repo_root};

#[tokio::test]
async fn a_burst_of_orders_past_the_limit_is_answered_429_problem_json() {
    let stack = Stack::start(None).await;
    let a = stack.provision("a.com", "#ff0000").await;
    let item = stack.add_item(&a, "Soup", 500).await;
    let body = json!({"items": [{"id": item.id, "qty": 1}], "customer": "Ann"});
    let replies = join_all((0..80).map(|_| {
        stack
            .request(Method::POST, "a.com", "/api/v1/store/orders")
            .json(&body)
            .send()
    }))
    .await;
    let mut placed = 0;
    let mut limited = 0;
    for reply in replies {
        let reply = reply.unwrap();
        match reply.status() {
            StatusCode::CREATED => placed += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(reply.headers()["content-type"], "application/problem+json");
                assert!(reply.headers().contains_key("retry-after"));
                let problem: Value = reply.json().await.unwrap();
                assert_eq!(problem["status"], 429);
                assert_eq!(problem["code"], "rate_limited");
            }
            other => panic!("unexpected {other}"),
        }
    }
    let limits = EdgeLimits::default();
    assert!(placed >= limits.orders_burst as usize, "{placed} placed");
    assert!(limited > 0, "nothing was limited: {placed} placed");
    assert_eq!(
        stack.count(&a.schema_name, "orders").await,
        placed as i64,
        "a limited request wrote nothing"
    );
    // Browsing is not what the order limit counts.
    let menu = stack
        .request(Method::GET, "a.com", "/api/v1/store/menu")
        .send()
        .await
        .unwrap();
    assert_eq!(menu.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_system_api_answers_only_to_allowed_addresses() {
    let limits = EdgeLimits {
        sys_allow: vec!["192.0.2.1".into()],
        ..EdgeLimits::default()
    };
    let stack = Stack::start_with(None, limits).await;
    let reply = stack
        .admin(Method::GET, "/api/v1/sys/tenants")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    assert_eq!(reply.headers()["content-type"], "application/problem+json");
    // The default lets this machine in.
    let open = Stack::start(None).await;
    let reply = open
        .admin(Method::GET, "/api/v1/sys/tenants")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_cannot_be_framed() {
    let dist = repo_root().join("web/dist");
    let stack = Stack::start(Some(&dist)).await;
    stack.provision("a.com", "#ff0000").await;
    let page = stack
        .request(Method::GET, "a.com", "/some/route")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    assert_eq!(headers["server"], "nginx", "no version is told");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    assert!(html.contains(&format!("content=\"{nonce}\"")), "{html}");
    let again = stack
        .request(Method::GET, "a.com", "/")
        .send()
        .await
        .unwrap();
    let other = again.headers()["content-security-policy"].to_str().unwrap();
    assert!(!other.contains(&nonce), "a nonce is used once");

    let docs = stack
        .request(Method::GET, "localhost", "/docs/")
        .send()
        .await
        .unwrap();
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn methods_nobody_serves_are_405_problem_json_with_allow() {
    let stack = Stack::start(None).await;
    stack.provision("a.com", "#ff0000").await;
    for (method, path) in [
        ("TRACE", "/api/v1/store/menu"),
        ("TRACE", "/"),
        ("PROPFIND", "/api/v1/store/menu"),
    ] {
        let reply = stack
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                "a.com",
                path,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(reply.headers().contains_key("allow"), "{method} {path}");
        assert_eq!(reply.headers()["content-type"], "application/problem+json");
    }
    // A method the API lacks on one of its routes: the service's own 405, with its Allow.
    let reply = stack
        .request(Method::PUT, "a.com", "/api/v1/store/menu")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers()["allow"], "GET");
    assert_eq!(reply.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn a_client_too_slow_to_send_its_headers_is_cut_off() {
    let limits = EdgeLimits {
        client_timeout: "1s".into(),
        ..EdgeLimits::default()
    };
    let stack = Stack::start_with(None, limits).await;
    let port = stack.port;
    let closed_after = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: a.com\r\n")
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        let mut buffer = [0u8; 512];
        // The server closes (or answers 408 and closes) instead of waiting for the rest.
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
        }
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(
        closed_after < Duration::from_secs(5),
        "the connection stayed open {closed_after:?}"
    );
}
