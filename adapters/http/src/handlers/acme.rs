//! The answer to an ACME HTTP-01 challenge (`GET /.well-known/acme-challenge/{token}`), for the
//! certificate authority checking that a tenant's domain is ours. The answers are kept in the
//! control plane by whichever instance placed the order (`chameleon_acme`), so any instance
//! answers. Not part of the API (no operation in the OpenAPI document): nginx passes the path
//! on over plain HTTP, even when it redirects everything else to HTTPS.
//!
//! Only a token asked for on the domain it was issued for is answered; anything else is 404.
//! Each lookup costs a query, so each client has a budget of them (429 past it).

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use chameleon_core::ports::Ports;
use chameleon_core::tenant::Domain;

use crate::client_budget::client_of;
use crate::error::ApiError;
use crate::problem_code::ProblemCode;
use crate::state::AppState;

pub async fn answer_challenge<P: Ports>(
    req: HttpRequest,
    state: web::Data<AppState<P>>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let nothing = || {
        ApiError::new(
            ProblemCode::NoRoute,
            "no challenge is pending under this token for this domain",
        )
    };
    let token = token.into_inner();
    let well_formed = (1..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let domain = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| Domain::parse(h).ok());
    let (Some(answers), true, Some(domain)) = (&state.acme_challenges, well_formed, domain) else {
        return Err(nothing());
    };
    if let Err(retry_after_secs) = state
        .challenge_lookups
        .spend(client_of(&req, &state.access.trusted_proxies))
    {
        return Err(ApiError::new(
            ProblemCode::RateLimited,
            "too many challenge lookups from this address; try again shortly",
        )
        .retry_after(retry_after_secs));
    }
    match answers(domain, token).await {
        Ok(Some(key_authorization)) => Ok(HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body(key_authorization)),
        Ok(None) => Err(nothing()),
        Err(err) => Err(ApiError::unavailable(err)),
    }
}
