//! Paths that two readers could route apart are refused with 400 `bad_path`.
//!
//! nginx decodes `%2F` and resolves `.` and `..` segments before it picks a location (where the
//! system API's address check and rate limit live); actix routes on the path as sent. A path
//! holding an encoded slash or backslash, or a dot segment (plain or encoded), could therefore
//! be one route to nginx and another to the service. No client of Chameleon ever sends one, so
//! both refuse them: nginx first (`deploy/nginx/nginx.conf.template`), and the service too, for
//! whoever reaches it without nginx.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::ApiError;
use crate::problem_code::ProblemCode;

/// Whether the raw (undecoded) `path` holds an encoded slash or backslash or a dot segment.
pub fn is_ambiguous(path: &str) -> bool {
    // The common case costs one scan and no allocation: neither an escape nor a segment that
    // starts with a dot.
    if !path.contains('%') && !path.contains("/.") && !path.starts_with('.') {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    lower.contains("%2f")
        || lower.contains("%5c")
        || lower.split('/').any(|segment| {
            let segment = segment.replace("%2e", ".");
            segment == "." || segment == ".."
        })
}

/// Middleware: answers 400 `bad_path` for an ambiguous path (see the module documentation).
pub async fn refuse_ambiguous<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if is_ambiguous(req.uri().path()) {
        let refusal = ApiError::new(
            ProblemCode::BadPath,
            "the path holds an encoded slash or a dot segment; send it as its canonical form",
        );
        return Ok(req.error_response(refusal).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_slashes_and_dot_segments_are_ambiguous() {
        for bad in [
            "/api/v1/sys%2ftenants",
            "/api/v1/store/..%2Fsys/tenants",
            "/api/v1/store/%2e%2e/sys/tenants",
            "/api/v1/store/../sys/tenants",
            "/api/v1/./sys/tenants",
            "/api/v1/sys/tenants/.",
            "/api/v1/sys/tenants/..",
            "/api/v1/%2E/sys",
            "/api/v1/.%2e/sys",
            "/api%5Cv1",
        ] {
            assert!(is_ambiguous(bad), "{bad}");
        }
        for good in [
            "/",
            "/api/v1/store/menu",
            "/assets/app-1a2b.wasm",
            "/.well-known/acme-challenge/abc",
            "/orders/...",
            "/a..b/c.d",
            "/api/v1/sys/tenants/%41",
        ] {
            assert!(!is_ambiguous(good), "{good}");
        }
    }
}
