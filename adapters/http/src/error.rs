//! [`ApiError`]: every error response, as `application/problem+json` (RFC 9457).
//!
//! Handlers and middleware return `ApiError`; it is turned into a response (and logged) in one
//! place, [`ResponseError::error_response`]. A 5xx body says nothing internal. Its status is its
//! [`ProblemCode`]'s: a code and a status can never disagree.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chameleon_core::ports::{AccessRefused, BackendUnavailable, Refusal};
use chameleon_wire::{PROBLEM_JSON, Problem};

use crate::problem_code::ProblemCode;

/// Everything that can go wrong in a request: a [`ProblemCode`] (which fixes the status), what
/// went wrong for a person, and for a 5xx the cause, which goes to the log and never into the
/// answer.
#[derive(Debug)]
pub struct ApiError {
    code: ProblemCode,
    detail: String,
    /// `Retry-After`, in seconds.
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
    /// The problem's `line` member: which order line was refused.
    line: Option<u64>,
    /// The problem's `group_id` member: which option group.
    group_id: Option<uuid::Uuid>,
    /// The problem's `next_available` member (`slot_full`): `Some(None)` is `null`.
    next_available: Option<Option<String>>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|cause| cause.as_ref())
    }
}

impl ApiError {
    /// A problem `code`, explained by `detail`.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            retry_after_secs: None,
            cause: None,
            line: None,
            group_id: None,
            next_available: None,
        }
    }

    /// Names the next pickup slot that still takes an order (`None`: none does).
    pub fn next_available(mut self, slot: Option<String>) -> Self {
        self.next_available = Some(slot);
        self
    }

    /// Names the order line (its index as sent) the problem is about.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = u64::try_from(line).ok();
        self
    }

    /// Names the option group the problem is about.
    pub fn in_group(mut self, group: uuid::Uuid) -> Self {
        self.group_id = Some(group);
        self
    }

    /// 400 `bad_request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ProblemCode::BadRequest, detail)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ProblemCode::Unauthorized, detail)
    }

    /// 422 `validation_failed`: `detail` names every invalid field.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ProblemCode::ValidationFailed, detail)
    }

    /// Has the answer say when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds);
        self
    }

    /// 500 `internal`: a bug or an unexpected failure; `err` goes to the log only.
    pub fn internal(err: anyhow::Error) -> Self {
        Self {
            cause: Some(err),
            ..Self::new(ProblemCode::Internal, "internal error")
        }
    }

    /// 503 `unavailable`: a dependency (the database) cannot answer now; `err` goes to the log.
    /// The database comes back within seconds (a restart, a lock released): retry in one.
    pub fn unavailable(err: anyhow::Error) -> Self {
        Self {
            cause: Some(err),
            ..Self::new(
                ProblemCode::Unavailable,
                "the service is temporarily unavailable",
            )
        }
        .retry_after(1)
    }

    /// An unexpected failure of a port: 503 when the database could not be reached in time,
    /// 500 otherwise.
    pub fn from_port(err: anyhow::Error) -> Self {
        match AccessRefused::in_chain(&err) {
            Some(Refusal::NoSession) => {
                return Self::unauthorized(
                    "the session is not valid (ended, expired or unknown); sign in again",
                );
            }
            Some(Refusal::Forbidden) => {
                return Self::new(ProblemCode::Forbidden, "your role may not do this");
            }
            None => {}
        }
        if BackendUnavailable::caused(&err) {
            Self::unavailable(err)
        } else {
            Self::internal(err)
        }
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> ProblemCode {
        self.code
    }

    /// The body of this error's response.
    pub fn problem(&self) -> Problem {
        let status = self.code.status();
        Problem {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            line: self.line,
            group_id: self.group_id,
            next_available: self.next_available.clone(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        match &self.cause {
            Some(cause) => tracing::error!(
                error = format!("{cause:#}"),
                code = self.code.as_str(),
                "request failed"
            ),
            None => tracing::info!(
                detail = %self.detail,
                code = self.code.as_str(),
                "request refused"
            ),
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if self.code == ProblemCode::Unauthorized {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// Turns the JSON extractor's failures into problems: malformed JSON is a 400, JSON of the wrong
/// shape (a string for a number, a missing or unknown field) a 422.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => too_large(*limit),
        E::ContentType => ApiError::new(
            ProblemCode::UnsupportedMediaType,
            "the request body must be application/json",
        ),
        E::Deserialize(json) if json.is_data() => {
            ApiError::invalid(format!("the request body is not valid: {json}"))
        }
        E::Deserialize(json) => {
            ApiError::bad_request(format!("the request body is not valid JSON: {json}"))
        }
        other => ApiError::bad_request(format!("the request body could not be read: {other}")),
    };
    api.into()
}

/// A query string that does not parse (a number that is not one): 400.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request(format!("the query string is not valid: {err}")).into()
}

/// A path segment that should be an id but is not a UUID names nothing: 404.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(ProblemCode::NotFound, format!("no such resource: {err}")).into()
}

/// 413 `payload_too_large`.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ProblemCode::PayloadTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
}
