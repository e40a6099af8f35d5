//! A test application over the in-memory fakes, and shorthands for calling it.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::web;
use chameleon_core::service::Chameleon;
use chameleon_http::state::StaffSettings;
use chameleon_http::{AppState, DEFAULT_BODY_LIMIT, always_ready, app};
use chameleon_memory::{MemoryPorts, MemoryStore};
use chameleon_wire::{MenuItem, Problem, ProvisionedTenant};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub const ADMIN: &str = "admin-token-for-tests";

pub type Request = actix_http::Request;

/// A fresh application over an empty in-memory store.
pub async fn spawn()
-> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let state = web::Data::new(
        AppState::new(
            {
                let store = MemoryStore::new();
                Chameleon::<MemoryPorts>::new(
                    store.clone(),
                    store.clone(),
                    store.clone(),
                    store.clone(),
                    store.clone(),
                    store,
                )
            },
            &SecretString::from(ADMIN),
            always_ready(),
        )
        .with_staff(StaffSettings::defaults().expect("a hashing pool")),
    );
    test::init_service(app(state, DEFAULT_BODY_LIMIT)).await
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: web::Bytes,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn value(&self) -> Value {
        self.json()
    }

    /// The problem body, checking it is served as one.
    pub fn problem(&self) -> Problem {
        assert_eq!(
            self.headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("application/problem+json"),
            "{}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        let problem: Problem = self.json();
        assert_eq!(problem.status, self.status.as_u16());
        assert!(!problem.detail.is_empty());
        problem
    }
}

pub async fn call<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Reply {
        status,
        headers,
        body,
    }
}

pub fn admin(req: TestRequest) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {ADMIN}")))
}

pub fn manager(req: TestRequest, tenant: &ProvisionedTenant) -> TestRequest {
    req.insert_header(("X-Tenant-ID", tenant.tenant_id.to_string()))
        .insert_header((
            "Authorization",
            format!("Bearer {}", tenant.manager_api_key),
        ))
}

pub fn store(req: TestRequest, host: &str) -> TestRequest {
    req.insert_header(("Host", host))
}

pub fn theme(color: &str) -> Value {
    json!({"primary_color": color, "font": "sans-serif"})
}

pub async fn provision<S, B>(app: &S, domain: &str, color: &str) -> ProvisionedTenant
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let reply = call(
        app,
        admin(TestRequest::post().uri("/api/v1/sys/provision")).set_json(
            json!({"domain": domain, "name": format!("{domain} kitchen"), "theme": theme(color)}),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.json()
}

pub async fn add_item<S, B>(app: &S, tenant: &ProvisionedTenant, name: &str, price: i64) -> MenuItem
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let reply = call(
        app,
        manager(TestRequest::post().uri("/api/v1/manager/menu"), tenant)
            .set_json(json!({"name": name, "price": price})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.json()
}
