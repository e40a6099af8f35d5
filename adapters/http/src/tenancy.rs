//! The tenant middleware: who is asking, and for which tenant.
//!
//! - Storefront routes: the tenant is the one registered for the request's `Host` (port, case
//!   and a trailing dot ignored). `X-Forwarded-Host` is never looked at: nginx forwards `Host`
//!   exactly, and a header a client can set must not pick the tenant. An unknown host is a 404,
//!   never a default tenant. A suspended tenant's storefront answers 503 `tenant_suspended`.
//! - Manager routes: `X-Tenant-ID` names the tenant and `Authorization: Bearer` must carry that
//!   tenant's manager key.
//! - System routes: `Authorization: Bearer` must carry the admin token.
//!
//! The resolved tenant is recorded on the request's tracing span (id and schema) and handed to
//! handlers as [`CurrentTenant`].

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use anyhow::anyhow;
use chameleon_core::ports::Ports;
use chameleon_core::rules::formats::{MANAGER_KEY_HEX_DIGITS, MANAGER_KEY_PREFIX};
use chameleon_core::tenant::{ActiveTenant, Domain, ManagerApiKey, Tenant, TenantId};

use crate::client_budget::client_of;
use crate::error::ApiError;
use crate::problem_code::ProblemCode;
use crate::state::AppState;

/// The tenant a request was resolved to by the tenant middleware.
#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

/// The open restaurant a storefront request is for (see [`ActiveTenant`]): what the storefront's
/// handlers take, so they can only call core's storefront use cases for an open restaurant.
#[derive(Debug, Clone)]
pub struct StoreTenant(pub ActiveTenant);

/// What a tenant middleware hands its handlers: kept in the request's extensions, taken by the
/// handlers as an extractor.
trait Resolved: Clone + 'static {
    /// The middleware that puts it there, for the error when a route lacks it.
    const MIDDLEWARE: &'static str;

    fn tenant(&self) -> &Tenant;
}

impl Resolved for CurrentTenant {
    const MIDDLEWARE: &'static str = "tenant middleware";

    fn tenant(&self) -> &Tenant {
        &self.0
    }
}

impl Resolved for StoreTenant {
    const MIDDLEWARE: &'static str = "the storefront's middleware";

    fn tenant(&self) -> &Tenant {
        &self.0
    }
}

/// The value `T`'s middleware left on `req`; a route served without it is a bug (500).
fn from_extensions<T: Resolved>(req: &HttpRequest) -> Ready<Result<T, ApiError>> {
    ready(req.extensions().get::<T>().cloned().ok_or_else(|| {
        ApiError::internal(anyhow!(
            "{} is served without {}",
            req.path(),
            T::MIDDLEWARE
        ))
    }))
}

impl FromRequest for CurrentTenant {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        from_extensions(req)
    }
}

impl FromRequest for StoreTenant {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        from_extensions(req)
    }
}

fn state<P: Ports>(req: &ServiceRequest) -> Result<web::Data<AppState<P>>, ApiError> {
    req.app_data::<web::Data<AppState<P>>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow!("application state is missing")))
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn record(tenant: &Tenant) {
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(tenant.id));
    span.record("schema", tenant.schema.as_str());
}

fn unknown_host(host: &str) -> ApiError {
    ApiError::new(
        ProblemCode::UnknownTenant,
        format!("no restaurant is registered for the host {host:?}"),
    )
}

/// Runs `next` with the tenant `resolved` found, or answers with its refusal. Refusals are
/// turned into responses here, with the request they belong to, so they pass through the outer
/// middleware (request id, logging) like any other response.
async fn proceed<T: Resolved, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
    resolved: Result<Option<T>, ApiError>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    match resolved {
        Ok(tenant) => {
            if let Some(tenant) = tenant {
                record(tenant.tenant());
                req.extensions_mut().insert(tenant);
            }
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refusal) => Ok(req.error_response(refusal).map_into_right_body()),
    }
}

/// Storefront routes: resolves the tenant from `Host`, and opens it (core refuses a suspended
/// one: 503 `tenant_suspended`).
pub async fn store_tenant<P: Ports, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let resolved = resolve_host::<P>(&req).await.map(|t| Some(StoreTenant(t)));
    proceed(req, next, resolved).await
}

async fn resolve_host<P: Ports>(req: &ServiceRequest) -> Result<ActiveTenant, ApiError> {
    let state = state::<P>(req)?;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .ok_or_else(|| ApiError::bad_request("the request has no Host header"))?;
    let found = match Domain::parse(&host) {
        Ok(domain) => state.app.tenancy.tenant_for_domain(&domain).await?,
        Err(_) => None,
    };
    match found {
        // The storefront closes; the manager (another middleware) keeps working.
        Some(tenant) => ActiveTenant::check(tenant)
            .map_err(|closed| ApiError::new(ProblemCode::TenantSuspended, closed.to_string())),
        // Unknown hosts are answered from a per-client budget: 404 while it lasts, then 429.
        None => match state
            .unknown_hosts
            .spend(client_of(req.request(), &state.access.trusted_proxies))
        {
            Ok(()) => Err(unknown_host(&host)),
            Err(retry_after_secs) => Err(ApiError::new(
                ProblemCode::TooManyUnknownHosts,
                "too many requests for hosts no restaurant has; try again later",
            )
            .retry_after(retry_after_secs)),
        },
    }
}

/// Manager routes: `X-Tenant-ID` and that tenant's manager key.
pub async fn manager_tenant<P: Ports, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let resolved = authenticate_manager::<P>(&req)
        .await
        .map(|t| Some(CurrentTenant(t)));
    proceed(req, next, resolved).await
}

async fn authenticate_manager<P: Ports>(req: &ServiceRequest) -> Result<Arc<Tenant>, ApiError> {
    let state = state::<P>(req)?;
    let key = bearer(req).ok_or_else(|| {
        ApiError::unauthorized("send the tenant's manager API key as `Authorization: Bearer <key>`")
    })?;
    // A key that cannot be one costs no lookup at all.
    if !ManagerApiKey::is_well_formed(key) {
        return Err(ApiError::unauthorized(format!(
            "this is not a manager API key (`{MANAGER_KEY_PREFIX}` and {MANAGER_KEY_HEX_DIGITS} \
             hex digits)"
        )));
    }
    let id = req
        .headers()
        .get("x-tenant-id")
        .ok_or_else(|| ApiError::bad_request("the X-Tenant-ID header is required"))?
        .to_str()
        .ok()
        .and_then(|raw| TenantId::parse(raw).ok())
        .ok_or_else(|| ApiError::bad_request("X-Tenant-ID must be a UUID"))?;
    let tenant = state
        .app
        .tenancy
        .tenant_by_id(id)
        .await?
        .ok_or_else(|| crate::port_errors::unknown_tenant(id))?;
    if !tenant.manager_key_hash.verifies(key) {
        return Err(ApiError::new(
            ProblemCode::Forbidden,
            format!("this API key is not a manager key of tenant {id}"),
        ));
    }
    Ok(tenant)
}

/// System routes: a client `SYS_ALLOW` admits (others are told there is nothing there, as
/// nginx tells them in front), with the admin token.
pub async fn admin_only<P: Ports, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let allowed = state::<P>(&req).and_then(|state| {
        if let Some(allow) = &state.access.sys_allow
            && !allow.contains(client_of(req.request(), &state.access.trusted_proxies))
        {
            return Err(ApiError::new(
                ProblemCode::NoRoute,
                format!("there is nothing at {} {}", req.method(), req.path()),
            ));
        }
        match bearer(&req) {
            Some(token) if state.is_admin_token(token) => Ok(None),
            Some(_) => Err(ApiError::unauthorized("the admin token is not valid")),
            None => Err(ApiError::unauthorized(
                "send the admin token as `Authorization: Bearer <token>`",
            )),
        }
    });
    proceed::<CurrentTenant, B>(req, next, allowed).await
}

/// Order tracking: each client's budget (a poll every few seconds is far within it); 429
/// `rate_limited` with `Retry-After` past it, before any lookup.
pub async fn tracking_budget<P: Ports, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let allowed = state::<P>(&req).and_then(|state| {
        state
            .tracking
            .spend(client_of(req.request(), &state.access.trusted_proxies))
            .map(|()| None)
            .map_err(|retry_after_secs| {
                ApiError::new(
                    ProblemCode::RateLimited,
                    "too many order tracking requests from this address; try again shortly",
                )
                .retry_after(retry_after_secs)
            })
    });
    proceed::<CurrentTenant, B>(req, next, allowed).await
}
