//! The error responses of the API, as reusable OpenAPI responses. Every body is a
//! [`Problem`] served as `application/problem+json`.

use chameleon_wire::Problem;
use utoipa::ToResponse;

/// 400.
#[derive(Debug, ToResponse)]
#[response(
    description = "Malformed request: the body is not JSON, or a required header is missing or malformed",
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

/// 503.
#[derive(Debug, ToResponse)]
#[response(
    description = "The database is unreachable right now",
    content_type = "application/problem+json"
)]
pub struct Unavailable(#[allow(dead_code)] Problem);
