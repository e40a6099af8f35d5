//! System endpoints: provisioning and the tenant list, behind the admin token.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{ProvisionedTenant, TenantSummary};
use serde_json::json;

use super::helpers::{admin, call, provision, spawn, theme};

#[actix_web::test]
async fn provisioning_needs_the_admin_token() {
    let app = spawn().await;
    let body = json!({"domain": "a.com", "theme": theme("#ff0000")});
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic YWRtaW4="),
        Some("Bearer "),
    ] {
        let mut req = TestRequest::post()
            .uri("/api/v1/sys/provision")
            .set_json(&body);
        if let Some(auth) = auth {
            req = req.insert_header(("Authorization", auth));
        }
        let reply = call(&app, req).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
        reply.problem();
    }
    let list = call(&app, TestRequest::get().uri("/api/v1/sys/tenants")).await;
    assert_eq!(list.status, StatusCode::UNAUTHORIZED);
    let listed = call(&app, admin(TestRequest::get().uri("/api/v1/sys/tenants"))).await;
    assert_eq!(
        listed.json::<Vec<TenantSummary>>(),
        vec![],
        "nothing was provisioned"
    );
}

#[actix_web::test]
async fn provisioning_returns_the_tenant_and_its_key_once() {
    let app = spawn().await;
    let reply = call(
        &app,
        admin(TestRequest::post().uri("/api/v1/sys/provision")).set_json(json!({
            "domain": "Pizza.Localhost:8080",
            "name": "Pizza Palace",
            "theme": {"primary_color": "#FF0000", "font": "sans-serif"}
        })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let tenant: ProvisionedTenant = reply.json();
    assert_eq!(tenant.domain, "pizza.localhost");
    assert_eq!(tenant.name, "Pizza Palace");
    assert_eq!(
        tenant.schema_name,
        format!("tenant_{}", tenant.tenant_id.simple())
    );
    assert_eq!(tenant.theme.primary_color, "#ff0000");
    assert!(tenant.manager_api_key.starts_with("chm_") && tenant.manager_api_key.len() == 68);

    let listed = call(&app, admin(TestRequest::get().uri("/api/v1/sys/tenants"))).await;
    assert_eq!(listed.status, StatusCode::OK);
    let body = listed.value();
    assert_eq!(body[0]["tenant_id"], tenant.tenant_id.to_string());
    assert!(
        body[0].get("manager_api_key").is_none(),
        "the key is shown only once"
    );
    assert!(!String::from_utf8_lossy(&listed.body).contains(&tenant.manager_api_key));

    let another = provision(&app, "burger.localhost", "#00ff00").await;
    assert_ne!(another.manager_api_key, tenant.manager_api_key);
}

#[actix_web::test]
async fn a_taken_domain_is_a_conflict() {
    let app = spawn().await;
    provision(&app, "a.com", "#ff0000").await;
    for domain in ["a.com", "A.COM", "a.com.", "a.com:9999"] {
        let reply = call(
            &app,
            admin(TestRequest::post().uri("/api/v1/sys/provision"))
                .set_json(json!({"domain": domain, "theme": theme("#00ff00")})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{domain}");
        assert_eq!(reply.problem().code, "domain_taken");
    }
}

#[actix_web::test]
async fn an_invalid_domain_name_or_theme_is_refused_and_nothing_is_written() {
    let app = spawn().await;
    let ok_theme = theme("#ff0000");
    for body in [
        json!({"domain": "not a domain", "theme": ok_theme}),
        json!({"domain": "", "theme": ok_theme}),
        json!({"domain": "127.0.0.1", "theme": ok_theme}),
        json!({"domain": "a.com/evil", "theme": ok_theme}),
        json!({"domain": "a.com", "name": "   ", "theme": ok_theme}),
        json!({"domain": "a.com", "name": "x".repeat(101), "theme": ok_theme}),
        json!({"domain": "a.com", "theme": {"primary_color": "red", "font": "serif"}}),
        json!({"domain": "a.com", "theme": {"primary_color": "#ff0000; } body { display: none } :root {", "font": "serif"}}),
        json!({"domain": "a.com", "theme": {"primary_color": "#ff0000", "font": "serif; } * { color: red"}}),
        json!({"domain": "a.com", "theme": {"primary_color": "#ff0000", "font": "</style><script>alert(1)</script>"}}),
        json!({"domain": "a.com", "theme": {"primary_color": "#ff0000"}}),
        json!({"domain": "a.com", "theme": {"primary_color": "#ff0000", "font": "serif", "logo": "x"}}),
        json!({"domain": 42, "theme": ok_theme}),
        json!({"theme": ok_theme}),
    ] {
        let reply = call(
            &app,
            admin(TestRequest::post().uri("/api/v1/sys/provision")).set_json(&body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.problem().code, "validation_failed");
    }
    let listed = call(&app, admin(TestRequest::get().uri("/api/v1/sys/tenants"))).await;
    assert_eq!(listed.json::<Vec<TenantSummary>>(), vec![]);
}
