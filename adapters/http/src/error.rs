//! [`ApiError`]: every error response, as `application/problem+json` (RFC 9457).
//!
//! Handlers and middleware return `ApiError`; it is turned into a response (and logged) in one
//! place, [`ResponseError::error_response`]. A 5xx body says nothing internal.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chameleon_core::ports::BackendUnavailable;
use chameleon_wire::{PROBLEM_JSON, Problem};

/// Everything that can go wrong in a request. Each variant documents its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request itself is malformed (not JSON, a bad header).
    #[error("{0}")]
    BadRequest(String),
    /// 401: credentials are missing or not recognised at all.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: credentials are valid, but not for this tenant.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such tenant, resource or route. `code` says which.
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    /// 405: the route exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request conflicts with the current state (domain taken, order not pending).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 413: the body is larger than the limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not `application/json`.
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// 422: well-formed JSON whose content is invalid; nothing was written.
    #[error("{0}")]
    Unprocessable(String),
    /// 422 with a code of its own (a refusal more specific than invalid fields).
    #[error("{detail}")]
    UnprocessableCode { code: &'static str, detail: String },
    /// 429: this client sent too many requests of a kind; `Retry-After` says when to try again.
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    /// 503: the restaurant is suspended by the operator; its storefront is closed for now.
    #[error("{0}")]
    Suspended(String),
    /// 503: a dependency (the database) is unavailable right now.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug or an unexpected failure; details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::NotFound {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// An unexpected failure of a port: 503 when the database could not be reached in time,
    /// 500 otherwise.
    pub fn from_port(err: anyhow::Error) -> Self {
        if BackendUnavailable::caused(&err) {
            ApiError::Unavailable(err)
        } else {
            ApiError::Internal(err)
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::TooManyRequests { code, .. }
            | ApiError::UnprocessableCode { code, .. } => code,
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unprocessable(_) => "validation_failed",
            ApiError::Suspended(_) => "tenant_suspended",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The body of this error's response.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().to_owned(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::UnprocessableCode { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Suspended(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(err) | ApiError::Unavailable(err) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    code = self.code(),
                    "request failed"
                );
            }
            _ => tracing::info!(detail = %self, code = self.code(), "request refused"),
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let ApiError::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            // The database comes back within seconds (a restart, a lock released).
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// Turns the JSON extractor's failures into problems: malformed JSON is a 400, JSON of the wrong
/// shape (a string for a number, a missing or unknown field) a 422.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::PayloadTooLarge { limit: *limit }
        }
        E::ContentType => ApiError::UnsupportedMediaType,
        E::Deserialize(json) if json.is_data() => {
            ApiError::Unprocessable(format!("the request body is not valid: {json}"))
        }
        E::Deserialize(json) => {
            ApiError::BadRequest(format!("the request body is not valid JSON: {json}"))
        }
        other => ApiError::BadRequest(format!("the request body could not be read: {other}")),
    };
    api.into()
}

/// A query string that does not parse (a number that is not one): 400.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("the query string is not valid: {err}")).into()
}

/// A path segment that should be an id but is not a UUID names nothing: 404.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found("not_found", format!("no such resource: {err}")).into()
}
