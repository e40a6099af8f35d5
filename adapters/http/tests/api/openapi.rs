//! The OpenAPI document: served, complete, and snapshotted so every API change is a diff.

use std::path::PathBuf;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

use super::helpers::{call, spawn};

/// The committed snapshot. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p chameleon-http`.
fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[actix_web::test]
async fn the_served_document_matches_the_committed_snapshot() {
    let app = spawn().await;
    let reply = call(&app, TestRequest::get().uri("/api-docs/openapi.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let served: Value = reply.json();
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == pretty,
        "the OpenAPI document changed; review it and run `UPDATE_SNAPSHOTS=1 cargo test -p chameleon-http` \
         to update docs/openapi.json"
    );
}

#[actix_web::test]
async fn every_operation_is_named_and_authenticated_as_it_must_be() {
    let app = spawn().await;
    let doc: Value = call(&app, TestRequest::get().uri("/api-docs/openapi.json"))
        .await
        .json();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["admin_token"]["scheme"], "bearer");
    assert_eq!(schemes["manager_key"]["scheme"], "bearer");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(op["operationId"].is_string(), "{method} {path}");
            let security = op["security"].to_string();
            if path.starts_with("/api/v1/sys") {
                assert!(security.contains("admin_token"), "{method} {path}");
            }
            if path.starts_with("/api/v1/manager") {
                assert!(security.contains("manager_key"), "{method} {path}");
                assert!(
                    op["parameters"].to_string().contains("X-Tenant-ID"),
                    "{method} {path}"
                );
            }
        }
    }
    assert_eq!(operations, 35);
}

#[actix_web::test]
async fn swagger_ui_is_served() {
    let app = spawn().await;
    let page = call(&app, TestRequest::get().uri("/docs/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.body).contains("swagger"));
}

/// Every `$ref` in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[actix_web::test]
async fn every_reference_in_the_document_resolves() {
    let app = spawn().await;
    let doc: Value = call(&app, TestRequest::get().uri("/api-docs/openapi.json"))
        .await
        .json();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 20, "the document uses references: {found:?}");
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}
