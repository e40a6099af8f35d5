//! The tenant middleware: who is asking, and for which tenant.
//!
//! - Storefront routes: the tenant is the one registered for the request's `Host` (port, case
//!   and a trailing dot ignored). `X-Forwarded-Host` is never looked at: nginx forwards `Host`
//!   exactly, and a header a client can set must not pick the tenant. An unknown host is a 404,
//!   never a default tenant. A suspended tenant's storefront answers 503 `tenant_suspended`.
//! - Manager routes: either `X-Tenant-ID` names the tenant and `Authorization: Bearer` carries
//!   that tenant's manager key (acting as an owner), or the `chameleon_session` cookie is sent to
//!   the tenant's own host (resolved from `Host` as for the storefront). The session itself is
//!   checked by the storage adapter in each transaction the request opens (see
//!   [`Acting`](chameleon_core::staff::Acting)); here only its shape, and, for anything but GET
//!   and HEAD, that `Origin` (or `Referer`) is the request's own scheme, host and port (CSRF).
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
use chameleon_core::staff::{Acting, Credential, Permission, Token, TokenDigest};
use chameleon_core::tenant::{ActiveTenant, Domain, ManagerApiKey, Tenant, TenantId};

use crate::client_budget::client_of;
use crate::error::ApiError;
use crate::problem_code::ProblemCode;
use crate::state::AppState;
use crate::telemetry::RequestId;

/// The tenant a manager request was resolved to, and how the caller proved who they are.
#[derive(Debug, Clone)]
pub struct CurrentTenant {
    pub tenant: Arc<Tenant>,
    pub credential: Credential,
    pub request_id: Option<String>,
}

impl CurrentTenant {
    /// The tenant handle for doing something `permission` covers: the storage adapter checks
    /// the caller's right to it in each transaction, and audits each change.
    pub fn acting(&self, permission: Permission) -> Tenant {
        self.tenant.acting(Acting::new(
            self.credential.clone(),
            permission,
            self.request_id.clone(),
        ))
    }
}

/// The name of the staff session cookie.
pub const SESSION_COOKIE: &str = "chameleon_session";

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
        &self.tenant
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
    let tenant = host_tenant::<P>(req).await?;
    // The storefront closes; the manager (another middleware) keeps working.
    ActiveTenant::check(tenant)
        .map_err(|closed| ApiError::new(ProblemCode::TenantSuspended, closed.to_string()))
}

/// The tenant registered for the request's `Host`, open or not.
pub(crate) async fn host_tenant<P: Ports>(req: &ServiceRequest) -> Result<Arc<Tenant>, ApiError> {
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
        Some(tenant) => Ok(tenant),
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
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let resolved = if bearer(&req).is_none() && session_cookie(req.request()).is_some() {
        session_tenant::<P>(&req).await.map(|(tenant, digest)| {
            Some(CurrentTenant {
                tenant,
                credential: Credential::Session(digest),
                request_id,
            })
        })
    } else {
        authenticate_manager::<P>(&req).await.map(|tenant| {
            Some(CurrentTenant {
                tenant,
                credential: Credential::ApiKey,
                request_id,
            })
        })
    };
    proceed(req, next, resolved).await
}

/// The value of the `chameleon_session` cookie, if the request has one.
pub(crate) fn session_cookie(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
}

/// A cookie-authenticated request: the tenant of its host and its session's digest (the session
/// is checked where it is stored, in the request's transactions). Writes must come from the
/// same origin.
pub(crate) async fn session_tenant<P: Ports>(
    req: &ServiceRequest,
) -> Result<(Arc<Tenant>, TokenDigest), ApiError> {
    let token = session_cookie(req.request())
        .and_then(Token::parse)
        .ok_or_else(|| ApiError::unauthorized("the session is not valid; sign in again"))?;
    same_origin::<P>(req)?;
    let tenant = host_tenant::<P>(req).await?;
    Ok((tenant, token.digest()))
}

/// The request's scheme as its client used it: nginx's `X-Forwarded-Proto` when nginx (a
/// trusted proxy) sent it, else the connection's own.
pub(crate) fn scheme_of(req: &HttpRequest, trusted: &crate::networks::Networks) -> &'static str {
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| trusted.contains(peer.ip()));
    let forwarded = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok());
    match (from_proxy, forwarded) {
        (true, Some(proto)) if proto.eq_ignore_ascii_case("https") => "https",
        (true, Some(_)) => "http",
        _ if req.app_config().secure() => "https",
        _ => "http",
    }
}

/// CSRF: a cookie-authenticated request that may change something (any method but GET and
/// HEAD) must name the request's own scheme, host and port in `Origin`, or when there is no
/// `Origin`, in `Referer`. 403 `csrf_rejected` otherwise.
pub(crate) fn same_origin<P: Ports>(req: &ServiceRequest) -> Result<(), ApiError> {
    let state = state::<P>(req)?;
    same_origin_of(req.request(), &state.access.trusted_proxies)
}

/// [`same_origin`] for a request a handler holds.
pub(crate) fn same_origin_of(
    req: &HttpRequest,
    trusted: &crate::networks::Networks,
) -> Result<(), ApiError> {
    if matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    ) {
        return Ok(());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let own = format!("{}://{}", scheme_of(req, trusted), host);
    let header_value = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let claimed = match (header_value(header::ORIGIN), header_value(header::REFERER)) {
        (Some(origin), _) => Some(origin.to_ascii_lowercase()),
        (None, Some(referer)) => url_origin(referer),
        (None, None) => None,
    };
    match claimed {
        Some(origin) if !host.is_empty() && origin == own => Ok(()),
        _ => Err(ApiError::new(
            ProblemCode::CsrfRejected,
            "a signed-in change must come from this restaurant's own pages (Origin or Referer \
             of the same scheme, host and port)",
        )),
    }
}

/// `scheme://host[:port]` of an absolute URL, lower-cased.
fn url_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains('@'))
        .then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

async fn authenticate_manager<P: Ports>(req: &ServiceRequest) -> Result<Arc<Tenant>, ApiError> {
    let state = state::<P>(req)?;
    let key = bearer(req).ok_or_else(|| {
        ApiError::unauthorized(
            "send the tenant's manager API key as `Authorization: Bearer <key>` with \
             X-Tenant-ID, or sign in on the restaurant's own host",
        )
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
    let allowed = state::<P>(&req)
        .and_then(|state| spend(&state.tracking, &req, &state, "order tracking requests"));
    proceed::<CurrentTenant, B>(req, next, allowed).await
}

/// Pickup boards (`/api/v1/store/slots`): a budget of their own, as large as tracking's (a
/// checkout asks for a day or two, a few times).
pub async fn slots_budget<P: Ports, B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let allowed = state::<P>(&req)
        .and_then(|state| spend(&state.slots, &req, &state, "pickup time requests"));
    proceed::<CurrentTenant, B>(req, next, allowed).await
}

/// One request of `req`'s client from `budget`; 429 `rate_limited` past it.
fn spend<P: Ports>(
    budget: &crate::client_budget::ClientBudget,
    req: &ServiceRequest,
    state: &AppState<P>,
    what: &str,
) -> Result<Option<CurrentTenant>, ApiError> {
    budget
        .spend(client_of(req.request(), &state.access.trusted_proxies))
        .map(|()| None)
        .map_err(|retry_after_secs| {
            ApiError::new(
                ProblemCode::RateLimited,
                format!("too many {what} from this address; try again shortly"),
            )
            .retry_after(retry_after_secs)
        })
}
