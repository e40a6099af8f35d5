//! The edge and the service hardened (issue 21): HTTPS per SNI name, paths two readers could
//! route apart, every answer nginx makes itself in the API's language, the system API's address
//! check in the service too, menus capped, no secret in the server's statement log, and no
//! serving as a login that may do more than serve.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use chameleon_stack::EdgeLimits;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::stack::{ADMIN_TOKEN, SERVING_PASSWORD, Stack, StackOptions};

/// One raw HTTP/1.1 request to `port` (nothing normalises the path on the way): the status,
/// the headers (lower-cased names) and the body.
fn raw(port: u16, request: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn get(port: u16, host: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    raw(
        port,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The body is a problem with `code` and `status`, served as problem+json.
fn assert_problem(answer: &(u16, Vec<(String, String)>, String), status: u16, code: &str) {
    let (got, headers, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(
        header(headers, "content-type"),
        Some("application/problem+json"),
        "{body}"
    );
    // A chunked body (the service's) carries its length first: the JSON is between braces.
    let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    let problem: Value = serde_json::from_str(json).unwrap_or_else(|_| panic!("{body}"));
    assert_eq!(problem["code"], code, "{body}");
    assert_eq!(problem["status"], status, "{body}");
}

const AMBIGUOUS: [&str; 7] = [
    "/api/v1/store/..%2F..%2Fapi/v1/sys/tenants",
    "/api/v1/sys%2Ftenants",
    "/api/v1/store/%2e%2e/sys/tenants",
    "/api/v1/store/../sys/tenants",
    "/api/v1/manager/./menu",
    "/docs/%2E%2E/api/v1/sys/tenants",
    "/api%5Cv1/sys/tenants",
];

#[tokio::test]
async fn paths_two_readers_could_route_apart_are_refused_by_the_edge_and_by_the_service() {
    let stack = Stack::start(None).await;
    stack.provision("a.com", "#ff0000").await;
    for path in AMBIGUOUS {
        assert_problem(&get(stack.port, "localhost", path), 400, "bad_path");
        let backend = stack.backend_url(0, "");
        let port: u16 = backend.rsplit(':').next().unwrap().parse().unwrap();
        assert_problem(&get(port, "localhost", path), 400, "bad_path");
    }
    // The canonical spelling still works, and a query string may hold anything.
    let (status, _, body) = get(stack.port, "localhost", "/api/v1/sys/tenants?x=/../%2F");
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_service_applies_sys_allow_itself() {
    // nginx lets loopback through (its default); the service is told only 192.0.2.1 may.
    let stack = Stack::start_opts(StackOptions {
        backend_env: vec![("SYS_ALLOW", "192.0.2.1".to_owned())],
        ..StackOptions::default()
    })
    .await;
    let port: u16 = stack
        .backend_url(0, "")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_problem(
        &get(stack.port, "localhost", "/api/v1/sys/tenants"),
        404,
        "no_route",
    );
    assert_problem(
        &get(port, "localhost", "/api/v1/sys/tenants"),
        404,
        "no_route",
    );
    // A loopback peer is trusted to name the client (nginx runs beside the service): named as
    // the allowed address, the client is let through.
    let spoofed = raw(
        port,
        &format!(
            "GET /api/v1/sys/tenants HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.1\r\n\
             Authorization: Bearer {ADMIN_TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(spoofed.0, 200, "{}", spoofed.2);
}

#[tokio::test]
async fn every_answer_nginx_makes_itself_is_problem_json() {
    let limits = EdgeLimits {
        orders_rate: "1r/m".into(),
        orders_burst: 1,
        manager_writes_rate: "1r/m".into(),
        manager_writes_burst: 1,
        sys_rate: "1r/m".into(),
        sys_burst: 3,
        tracking_rate: "1r/m".into(),
        tracking_burst: 1,
        ..EdgeLimits::default()
    };
    let stack = Stack::start_with(None, limits).await;
    let tenant = stack.provision("a.com", "#ff0000").await;
    let port = stack.port;
    let post = |host: &str, path: &str, extra: &str| {
        raw(
            port,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 {extra}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            ),
        )
    };
    // Each limited location, past its burst: 429 rate_limited with Retry-After.
    for (name, send) in [
        (
            "orders",
            Box::new(|| post("a.com", "/api/v1/store/orders", ""))
                as Box<dyn Fn() -> (u16, Vec<(String, String)>, String)>,
        ),
        (
            "manager writes",
            Box::new(|| {
                post(
                    "localhost",
                    "/api/v1/manager/menu",
                    &format!(
                        "X-Tenant-ID: {}\r\nAuthorization: Bearer {}\r\n",
                        tenant.tenant_id, tenant.manager_api_key
                    ),
                )
            }),
        ),
        (
            "tracking",
            Box::new(|| {
                get(
                    port,
                    "a.com",
                    "/api/v1/store/orders/00000000-0000-0000-0000-000000000001?t=x",
                )
            }),
        ),
        (
            "pickup times",
            Box::new(|| get(port, "a.com", "/api/v1/store/slots?date=2026-12-07")),
        ),
        (
            "sys",
            Box::new(|| get(port, "localhost", "/api/v1/sys/tenants")),
        ),
    ] {
        let answers: Vec<_> = (0..6).map(|_| send()).collect();
        let limited = answers
            .iter()
            .find(|a| a.0 == 429)
            .unwrap_or_else(|| panic!("{name}: never limited: {answers:?}"));
        assert_problem(limited, 429, "rate_limited");
        assert!(header(&limited.1, "retry-after").is_some(), "{name}");
    }
    // 413: a body over the limit.
    let big = "x".repeat(70 * 1024);
    let too_large = raw(
        port,
        &format!(
            "POST /api/v1/store/orders HTTP/1.1\r\nHost: b.com\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{big}",
            big.len()
        ),
    );
    assert_problem(&too_large, 413, "payload_too_large");
    // 400: a request nginx cannot read (two Host headers), and an ambiguous path.
    let malformed = raw(
        port,
        "GET / HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\nConnection: close\r\n\r\n",
    );
    assert_problem(&malformed, 400, "bad_request");
    assert_problem(&get(port, "a.com", "/x/../index.html"), 400, "bad_path");
    // 404: an asset that is not there.
    assert_problem(&get(port, "a.com", "/missing-1234.wasm"), 404, "no_route");
    // 405: a method nothing has.
    let trace = raw(
        port,
        "TRACE / HTTP/1.1\r\nHost: a.com\r\nConnection: close\r\n\r\n",
    );
    assert_problem(&trace, 405, "method_not_allowed");
}

#[tokio::test]
async fn the_sys_allow_refusal_at_the_edge_is_problem_json() {
    let limits = EdgeLimits {
        sys_allow: vec!["192.0.2.0/24".into()],
        ..EdgeLimits::default()
    };
    let stack = Stack::start_with(None, limits).await;
    assert_problem(
        &get(stack.port, "localhost", "/api/v1/sys/tenants"),
        404,
        "no_route",
    );
}

#[tokio::test]
async fn https_is_served_per_sni_name_with_the_local_authority_s_certificates() {
    let stack = Stack::start_opts(StackOptions {
        tls_domains: vec!["a.localhost", "shop.example"],
        ..StackOptions::default()
    })
    .await;
    stack.provision("a.localhost", "#ff0000").await;
    let (tls_port, ca) = stack.tls.clone().expect("HTTPS");
    let curl = |name: &str, extra: &[&str]| {
        let output = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-D", "-", "--max-time", "10"])
            .arg("--cacert")
            .arg(&ca)
            .arg("--resolve")
            .arg(format!("{name}:{tls_port}:127.0.0.1"))
            .args(extra)
            .arg(format!("https://{name}:{tls_port}/api/v1/store/config"))
            .output()
            .expect("curl (apt install curl; `make test` does)");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).to_ascii_lowercase(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // Each name gets its own certificate, and the chain verifies against the printed CA.
    let (ok, head, err) = curl("a.localhost", &[]);
    assert!(ok, "{err}");
    assert!(
        head.starts_with("http/2 200") || head.starts_with("http/1.1 200"),
        "{head}"
    );
    assert!(
        !head.contains("strict-transport-security"),
        ".localhost: no HSTS\n{head}"
    );
    let (ok, head, err) = curl("shop.example", &[]);
    assert!(ok, "{err}");
    assert!(
        head.contains("strict-transport-security: max-age="),
        "{head}"
    );
    // A name with no certificate: no handshake (no certificate for an arbitrary Host).
    let (ok, _, _) = curl("b.localhost", &[]);
    assert!(!ok, "a name without a certificate got a handshake");
    // TLS 1.1 and older are refused.
    let (ok, _, _) = curl("a.localhost", &["--tlsv1.1", "--tls-max", "1.1"]);
    assert!(!ok, "TLS 1.1 was accepted");
    // The key is readable by its owner and nginx's group only.
    let key = stack.dir.join("certs/a.localhost.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o640);
    // The access log is not world-readable.
    let log = stack.dir.join("nginx/access.log");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&log).unwrap().permissions());
    assert_eq!(mode & 0o007, 0, "the access log is world-readable");
}

#[tokio::test]
async fn menus_are_capped_per_restaurant() {
    let stack = Stack::start_opts(StackOptions {
        backend_env: vec![
            ("MAX_MENU_ITEMS", "2".to_owned()),
            ("MAX_CATEGORIES", "1".to_owned()),
        ],
        limits: EdgeLimits::unlimited(),
        ..StackOptions::default()
    })
    .await;
    let tenant = stack.provision("a.com", "#ff0000").await;
    stack.add_item(&tenant, "Soup", 450).await;
    stack.add_item(&tenant, "Bread", 250).await;
    let third = stack
        .manager(Method::POST, &tenant, "/api/v1/manager/menu")
        .json(&json!({"name": "Wine", "price": 900}))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = third.json().await.unwrap();
    assert_eq!(problem["code"], "limit_reached");
    for (n, expected) in [
        (1, StatusCode::CREATED),
        (2, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let res = stack
            .manager(Method::POST, &tenant, "/api/v1/manager/categories")
            .json(&json!({"name": format!("Section {n}"), "position": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
    }
}

#[tokio::test]
async fn no_secret_reaches_the_server_s_statement_log() {
    let stack = Stack::start_opts(StackOptions {
        own_database: true,
        log_statements: true,
        limits: EdgeLimits::unlimited(),
        ..StackOptions::default()
    })
    .await;
    let tenant = stack.provision("a.com", "#ff0000").await;
    let item = stack.add_item(&tenant, "Soup", 450).await;
    let placed: Value = stack
        .request(Method::POST, "a.com", "/api/v1/store/orders")
        .json(&json!({"items": [{"id": item.id, "qty": 1}], "customer": "Ann"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = placed["tracking_token"].as_str().unwrap().to_owned();
    let tracked = stack
        .request(
            Method::GET,
            "a.com",
            &format!(
                "/api/v1/store/orders/{}?t={token}",
                placed["order_id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status(), StatusCode::OK);
    // (The tracking token is the order's own data, stored with it, so a log of statements with
    // their parameters shows it as it shows the customer's name; it is no credential of ours.)
    let log = std::fs::read_to_string(stack.cluster().log()).unwrap();
    assert!(
        log.contains("statement:") || log.contains("execute"),
        "statements are logged: the check below means something"
    );
    let superuser = stack.cluster().superuser_password().unwrap();
    for (what, secret) in [
        ("the superuser's password", superuser.as_str()),
        ("the serving role's password", SERVING_PASSWORD),
        ("the admin token", ADMIN_TOKEN),
        ("the manager key", tenant.manager_api_key.as_str()),
    ] {
        assert!(!log.contains(secret), "{what} is in the server's log");
    }
}

#[tokio::test]
async fn serve_refuses_a_login_that_may_do_more_than_serve() {
    let db = chameleon_testkit::TestDb::new(&super::stack::template()).await;
    // The secrets from files, as compose's `secrets:` hands them over.
    let dir = std::env::temp_dir().join(format!("chameleon-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("url"), format!("{}\n", db.url())).unwrap();
    std::fs::write(dir.join("token"), format!("{ADMIN_TOKEN}\n")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_chameleon"))
        .args(["serve", "--no-migrate"])
        .env_remove("DATABASE_URL")
        .env_remove("ADMIN_TOKEN")
        .env("DATABASE_URL_FILE", dir.join("url"))
        .env("ADMIN_TOKEN_FILE", dir.join("token"))
        .env("API_PORT", "0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it served: {said}");
    assert!(said.contains("refusing to serve"), "{said}");
    assert!(said.contains("superuser"), "{said}");
    assert!(said.contains("SERVING_ROLE"), "the fix is named: {said}");
}

#[tokio::test]
async fn plain_http_is_redirected_to_https_but_the_challenge_and_health_checks() {
    let stack = Stack::start_opts(StackOptions {
        tls_domains: vec!["a.localhost"],
        tls_redirect: true,
        ..StackOptions::default()
    })
    .await;
    let (tls_port, _) = stack.tls.clone().expect("HTTPS");
    let (status, headers, _) = get(stack.port, "a.localhost", "/menu?x=1");
    assert_eq!(status, 308);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("https://a.localhost:{tls_port}/menu?x=1").as_str())
    );
    assert_eq!(get(stack.port, "a.localhost", "/healthz").0, 200);
    assert_eq!(get(stack.port, "a.localhost", "/readyz").0, 200);
    let challenge = get(stack.port, "a.localhost", "/.well-known/acme-challenge/abc");
    assert_ne!(challenge.0, 308, "the ACME challenge is answered over HTTP");
}

#[tokio::test]
async fn database_connections_honour_sslmode() {
    use chameleon_postgres::{PgPool, PgSettings};
    use chameleon_stack::certs::{CertDir, LocalCa};
    use chameleon_stack::{Cluster, ServerOptions, ServerTls, users};

    let dir = std::env::temp_dir().join(format!("chameleon-sslmode-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca = LocalCa::ensure(&dir.join("ca")).unwrap();
    let stranger = LocalCa::ensure(&dir.join("other-ca")).unwrap();
    let certs = CertDir::open(&dir.join("certs"), None).unwrap();
    ca.issue("localhost", &certs).unwrap();
    let port = super::stack::free_port();
    let cluster = Cluster::new(dir.join("pg"), users::server_user().unwrap()).unwrap();
    cluster.init_if_missing().await.unwrap();
    cluster
        .start(&ServerOptions {
            unsafe_fast: true,
            tcp_port: Some(port),
            tls: Some(ServerTls {
                chain_pem: std::fs::read_to_string(certs.cert_path("localhost")).unwrap(),
                key_pem: std::fs::read_to_string(certs.key_path("localhost")).unwrap(),
            }),
            ..ServerOptions::default()
        })
        .await
        .unwrap();
    let password = cluster.superuser_password().unwrap();
    // Whether a pooled connection of `url` works, and whether it is encrypted.
    let encrypted = |host: &str, tls: String| {
        let url = format!(
            "host={host} port={port} user=postgres password={password} dbname=postgres {tls}"
        );
        async move {
            let pool = PgPool::new(&PgSettings::new(url))?;
            let conn = pool.get().await?;
            let ssl: bool = conn
                .client()
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await?
                .get(0);
            anyhow::Ok(ssl)
        }
    };
    let ca_file = ca.cert().display().to_string();
    let other_ca = stranger.cert().display().to_string();
    let cases = [
        (
            "localhost",
            format!("sslmode=verify-full sslrootcert={ca_file}"),
            Some(true),
        ),
        // The certificate names localhost, not 127.0.0.1.
        (
            "127.0.0.1",
            format!("sslmode=verify-full sslrootcert={ca_file}"),
            None,
        ),
        (
            "127.0.0.1",
            format!("sslmode=verify-ca sslrootcert={ca_file}"),
            Some(true),
        ),
        (
            "localhost",
            format!("sslmode=verify-ca sslrootcert={other_ca}"),
            None,
        ),
        (
            "localhost",
            format!("sslmode=require sslrootcert={other_ca}"),
            None,
        ),
        ("127.0.0.1", "sslmode=require".to_owned(), Some(true)),
        ("127.0.0.1", "sslmode=prefer".to_owned(), Some(true)),
        ("127.0.0.1", "sslmode=disable".to_owned(), Some(false)),
        ("127.0.0.1", String::new(), Some(true)),
    ];
    let mut outcomes = Vec::new();
    for (host, tls, expected) in cases {
        let got = encrypted(host, tls.clone()).await;
        outcomes.push((
            host,
            tls,
            expected,
            got.as_ref().ok().copied(),
            got.err().map(|e| format!("{e:#}")),
        ));
    }
    cluster.stop(Duration::from_secs(10)).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    for (host, tls, expected, got, error) in outcomes {
        assert_eq!(got, expected, "host={host} {tls}: {error:?}");
    }
}
