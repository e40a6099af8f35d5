//! One tracing span and one log line per request, with its id, tenant and schema.
//!
//! The request id is nginx's `X-Request-Id` when it sent a sane one (so edge and service logs
//! join), a fresh UUID otherwise; it is echoed in the response's `X-Request-Id`.

use std::time::Instant;

use actix_web::Error;
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
