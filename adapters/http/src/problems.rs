//! The error responses of the API, as reusable OpenAPI responses, and the groups of them that
//! whole families of operations share. Every body is a [`Problem`] served as
//! `application/problem+json`.
//!
//! A group is declared once ([`ManagerRefusals`], [`JsonBodyRefusals`], ...) and named in each
//! operation's `responses(...)` beside what is particular to it, so the documented statuses of
//! an operation cannot drift from those of its siblings.

use std::collections::BTreeMap;

use chameleon_wire::Problem;
use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

/// 400.
#[derive(Debug, ToResponse)]
#[response(
    description = "Malformed request: the body is not JSON, a required header is missing or malformed, or the path holds an encoded slash or a dot segment (bad_path)",
    content_type = "application/problem+json"
)]
pub struct BadRequest(#[allow(dead_code)] Problem);

/// 401.
#[derive(Debug, ToResponse)]
#[response(
    description = "The bearer credential is missing or not recognised",
    content_type = "application/problem+json"
)]
pub struct Unauthorized(#[allow(dead_code)] Problem);

/// 403.
#[derive(Debug, ToResponse)]
#[response(
    description = "The manager API key belongs to another tenant",
    content_type = "application/problem+json"
)]
pub struct Forbidden(#[allow(dead_code)] Problem);

/// 404.
#[derive(Debug, ToResponse)]
#[response(
    description = "No such tenant or resource",
    content_type = "application/problem+json"
)]
pub struct NotFound(#[allow(dead_code)] Problem);

/// 409.
#[derive(Debug, ToResponse)]
#[response(
    description = "Conflicts with the current state",
    content_type = "application/problem+json"
)]
pub struct Conflict(#[allow(dead_code)] Problem);

/// 413.
#[derive(Debug, ToResponse)]
#[response(
    description = "The body is too large",
    content_type = "application/problem+json"
)]
pub struct PayloadTooLarge(#[allow(dead_code)] Problem);

/// 415.
#[derive(Debug, ToResponse)]
#[response(
    description = "The body is not application/json",
    content_type = "application/problem+json"
)]
pub struct UnsupportedMediaType(#[allow(dead_code)] Problem);

/// 422.
#[derive(Debug, ToResponse)]
#[response(
    description = "Well-formed JSON with invalid content; nothing was written. `detail` names every invalid field",
    content_type = "application/problem+json"
)]
pub struct Unprocessable(#[allow(dead_code)] Problem);

/// 429.
#[derive(Debug, ToResponse)]
#[response(
    description = "Too many requests from this client (the edge's limits, or too many requests for unknown hosts); `Retry-After` says when to try again",
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct TooManyRequests(#[allow(dead_code)] Problem);

/// 503.
#[derive(Debug, ToResponse)]
#[response(
    description = "The database is unreachable right now (`unavailable`), or, on a storefront operation, the restaurant is suspended (`tenant_suspended`)",
    content_type = "application/problem+json"
)]
pub struct Unavailable(#[allow(dead_code)] Problem);

/// References to the reusable responses above, by status.
fn refs(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries
        .iter()
        .map(|(status, name)| {
            (
                (*status).to_owned(),
                RefOr::Ref(Ref::from_response_name(*name)),
            )
        })
        .collect()
}

/// Every manager operation: the `X-Tenant-ID` and key checks, and the database.
#[derive(Debug)]
pub struct ManagerRefusals;

impl IntoResponses for ManagerRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("404", "NotFound"),
            ("429", "TooManyRequests"),
            ("503", "Unavailable"),
        ])
    }
}

/// Every system operation: a path that is not canonical (`bad_path`), the admin token, and the
/// database.
#[derive(Debug)]
pub struct AdminRefusals;

impl IntoResponses for AdminRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("401", "Unauthorized"),
            ("429", "TooManyRequests"),
            ("503", "Unavailable"),
        ])
    }
}

/// Every storefront operation: a path that is not canonical (`bad_path`), an unknown `Host`,
/// and the database.
#[derive(Debug)]
pub struct StoreRefusals;

impl IntoResponses for StoreRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("404", "NotFound"),
            ("429", "TooManyRequests"),
            ("503", "Unavailable"),
        ])
    }
}

/// Every operation that takes a JSON body.
#[derive(Debug)]
pub struct JsonBodyRefusals;

impl IntoResponses for JsonBodyRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("422", "Unprocessable"),
        ])
    }
}
