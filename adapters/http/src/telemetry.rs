//! One tracing span and one log line per request, with its id, tenant and schema, and the
//! request's count and latency in the metrics.
//!
//! The request id is nginx's `X-Request-Id` when it sent a sane one (so edge and service logs
//! join), a fresh UUID otherwise; it is echoed in the response's `X-Request-Id`.

use std::time::Instant;

use actix_web::Error;
use actix_web::HttpMessage as _;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument as _;
use tracing::field::Empty;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Requests slower than this are logged at `warn`, so they show even with per-request lines off.
const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// `chameleon_http_requests_total` and `chameleon_http_request_duration_seconds`, by method,
/// route and status. The route is the pattern that matched (`/api/v1/manager/menu/{id}`), never
/// the path itself, so no label takes unbounded values: a path nothing matched is `unmatched`,
/// a method outside the API's is `other`.
fn record_metrics(response: &ServiceResponse<BoxBody>, elapsed: std::time::Duration) {
    let request = response.request();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    };
    let status = response.status().as_str().to_owned();
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!("chameleon_http_requests_total", &labels).increment(1);
    metrics::histogram!("chameleon_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// The request's id, as the audit trail records it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_span<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
        tenant = Empty,
        schema = Empty,
    );
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    // Inner middleware turns its refusals into responses itself (see `tenancy`), so an `Err`
    // here is exceptional; it is logged and passed on for actix to render.
    let mut response = match next.call(req).instrument(span.clone()).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(err) => {
            span.in_scope(|| tracing::warn!(error = %err, "request failed in middleware"));
            return Err(err);
        }
    };
    let elapsed = started.elapsed();
    record_metrics(&response, elapsed);
    span.in_scope(|| {
        let status = response.status().as_u16();
        let elapsed_us = elapsed.as_micros() as u64;
        if elapsed >= SLOW {
            tracing::warn!(status, elapsed_us, "slow request");
        } else {
            tracing::info!(status, elapsed_us, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
