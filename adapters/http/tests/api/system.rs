//! System endpoints: provisioning and the tenant list, behind the admin token.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use chameleon_wire::{ProvisionedTenant, TenantDetails, TenantExport, TenantStatus, TenantSummary};
use serde_json::json;

use super::helpers::{add_item, admin, call, provision, spawn, store, theme};

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

#[actix_web::test]
async fn a_tenant_s_lifecycle_refuses_what_it_cannot_do_and_writes_nothing() {
    let app = spawn().await;
    let tenant = provision(&app, "life.com", "#ff0000").await;
    let other = provision(&app, "other.com", "#0000ff").await;
    let base = format!("/api/v1/sys/tenants/{}", tenant.tenant_id);

    // The lifecycle is the admin's.
    for req in [
        TestRequest::get().uri(&base),
        TestRequest::patch()
            .uri(&base)
            .set_json(json!({"name": "X"})),
        TestRequest::delete().uri(&format!("{base}?confirm=life.com")),
        TestRequest::get().uri(&format!("{base}/export")),
    ] {
        assert_eq!(call(&app, req).await.status, StatusCode::UNAUTHORIZED);
    }
    // Unknown tenants and ids that are not UUIDs: 404.
    for uri in [
        "/api/v1/sys/tenants/6f9619ff-8b86-d011-b42d-00c04fc964ff".to_owned(),
        "/api/v1/sys/tenants/not-a-uuid".to_owned(),
        "/api/v1/sys/tenants/6f9619ff-8b86-d011-b42d-00c04fc964ff/export".to_owned(),
    ] {
        let reply = call(&app, admin(TestRequest::get().uri(&uri))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        reply.problem();
    }
    // Invalid patches: every field named, nothing written.
    let reply = call(
        &app,
        admin(TestRequest::patch().uri(&base).set_json(
            json!({"name": "", "theme": {"primary_color": "blue", "font": "Comic Sans"}}),
        )),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = reply.problem().detail;
    for field in ["name", "theme.primary_color", "theme.font"] {
        assert!(detail.contains(field), "{detail}");
    }
    for bad in [
        json!({"status": "closed"}),
        json!({"schema_name": "tenant_x"}),
        json!({"domain": "x.com"}),
    ] {
        let reply = call(&app, admin(TestRequest::patch().uri(&base).set_json(&bad))).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let details = call(&app, admin(TestRequest::get().uri(&base))).await;
    assert_eq!(details.status, StatusCode::OK);
    let details: TenantDetails = details.json();
    assert_eq!(
        (details.name.as_str(), details.status),
        ("life.com kitchen", TenantStatus::new("active"))
    );
    assert_eq!(details.domains.len(), 1);
    assert!(details.domains[0].primary);

    // Domains: malformed 422, taken 409, last 409.
    for (body, status) in [
        (
            json!({"domain": "not a domain"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"domain": "127.0.0.1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"domain": "other.com"}), StatusCode::CONFLICT),
        (json!({"domain": "LIFE.com."}), StatusCode::CONFLICT),
        (
            json!({"domain": "x.com", "primary": "yes"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let reply = call(
            &app,
            admin(
                TestRequest::post()
                    .uri(&format!("{base}/domains"))
                    .set_json(&body),
            ),
        )
        .await;
        assert_eq!(reply.status, status, "{body}");
        reply.problem();
    }
    let reply = call(
        &app,
        admin(TestRequest::delete().uri(&format!("{base}/domains/life.com"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.problem().code, "last_domain");
    let reply = call(
        &app,
        admin(TestRequest::delete().uri(&format!("{base}/domains/other.com"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Removal needs the primary domain, exactly.
    for query in [
        "",
        "?confirm=",
        "?confirm=other.com",
        "?confirm=LIFE.COM%20",
        "?other=life.com",
    ] {
        let reply = call(
            &app,
            admin(TestRequest::delete().uri(&format!("{base}{query}"))),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}");
        assert_eq!(reply.problem().code, "confirmation_mismatch");
    }
    let reply = call(&app, admin(TestRequest::get().uri(&base))).await;
    assert_eq!(reply.status, StatusCode::OK, "still there");
    let reply = call(
        &app,
        admin(TestRequest::delete().uri(&format!("{base}?confirm=life.com"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = call(&app, admin(TestRequest::get().uri(&base))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let other_base = format!("/api/v1/sys/tenants/{}", other.tenant_id);
    let reply = call(&app, admin(TestRequest::get().uri(&other_base))).await;
    assert_eq!(reply.status, StatusCode::OK, "another tenant stays");
}

#[actix_web::test]
async fn an_export_is_one_json_document_of_the_tenant_alone() {
    let app = spawn().await;
    let tenant = provision(&app, "exp.com", "#ff0000").await;
    let other = provision(&app, "exp-other.com", "#0000ff").await;
    let soup = add_item(&app, &tenant, "Soup", 450).await;
    add_item(&app, &other, "Foreign", 100).await;
    for qty in [1, 2] {
        let reply = call(
            &app,
            store(TestRequest::post().uri("/api/v1/store/orders"), "exp.com")
                .set_json(json!({"items": [{"id": soup.id, "qty": qty}], "customer": "Ada"})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let reply = call(
        &app,
        admin(TestRequest::get().uri(&format!("/api/v1/sys/tenants/{}/export", tenant.tenant_id))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("exp.com-export.json")
    );
    let export: TenantExport = reply.json();
    assert_eq!(export.format, "chameleon.export.v1");
    assert_eq!(export.tenant.tenant_id, tenant.tenant_id);
    assert_eq!(export.menu.len(), 1);
    assert_eq!(
        export
            .orders
            .iter()
            .map(|o| o.total_amount)
            .collect::<Vec<_>>(),
        [450, 900],
        "oldest first"
    );
}
