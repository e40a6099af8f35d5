//! Staff endpoints: setting up an account from its link, signing in and out, one's own account,
//! the owner's staff management, and the audit trail.
//!
//! Sign-in and setup are answered on the restaurant's own host (the tenant is the one its `Host`
//! names, as for the storefront) and start a session: a 256-bit token in the `chameleon_session`
//! cookie (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when the client came over https),
//! stored only as its SHA-256, in the tenant's schema.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chameleon_core::ports::{Ports, StaffError, StaffRepository as _};
use chameleon_core::staff::{
    Acting, AuditCursor, Credential, Email, Grant, NewStaffUser, Password, Permission, Role,
    StaffId, StaffName, StaffPatch, StaffUser, Token,
};
use chameleon_core::tenant::{Domain, Tenant, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::client_budget::client_of;
use crate::error::ApiError;
use crate::passwords::Busy;
use crate::problem_code::ProblemCode;
use crate::state::{AppState, StaffSettings};
use crate::tenancy::{CurrentTenant, SESSION_COOKIE, same_origin_of, scheme_of, session_cookie};

impl From<StaffError> for ApiError {
    fn from(err: StaffError) -> Self {
        match err {
            StaffError::NotFound(id) => ApiError::new(
                ProblemCode::StaffNotFound,
                format!("this restaurant has no staff member {id}"),
            ),
            StaffError::EmailTaken(email) => ApiError::new(
                ProblemCode::EmailTaken,
                format!("a staff member already signs in as {email}"),
            ),
            StaffError::LastOwner => ApiError::new(
                ProblemCode::LastOwner,
                "the restaurant would be left without an enabled owner",
            ),
            StaffError::InvalidSetupToken => invalid_setup_token(),
            StaffError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

fn invalid_setup_token() -> ApiError {
    ApiError::new(
        ProblemCode::InvalidSetupToken,
        "this setup link is used, expired, or not one of this restaurant's",
    )
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        ProblemCode::InvalidCredentials,
        "the email or the password is wrong",
    )
}

fn hashing(err: anyhow::Error) -> ApiError {
    if err.is::<Busy>() {
        ApiError::unavailable(err)
    } else {
        ApiError::internal(err)
    }
}

fn settings<P: Ports>(state: &AppState<P>) -> Result<&StaffSettings, ApiError> {
    state
        .staff
        .as_ref()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("staff sign-in is not configured")))
}

fn random_token() -> Result<Token, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("drawing a token: {e}")))?;
    Ok(Token::from_random_bytes(bytes))
}

fn after(d: Duration) -> jiff::Timestamp {
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(jiff::Timestamp::MAX)
}

/// A new session's token and what is stored of it.
fn new_session(settings: &StaffSettings) -> Result<(Token, Grant), ApiError> {
    let token = random_token()?;
    let grant = Grant {
        digest: token.digest(),
        expires_at: after(settings.session_max),
        idle: settings.session_idle,
    };
    Ok((token, grant))
}

/// A new setup link's token and what is stored of it.
pub(crate) fn new_setup(settings: &StaffSettings) -> Result<(Token, Grant), ApiError> {
    let token = random_token()?;
    let grant = Grant {
        digest: token.digest(),
        expires_at: after(settings.setup_valid),
        idle: settings.setup_valid,
    };
    Ok((token, grant))
}

/// `scheme://<domain>[:port]/manage/setup?token=...`: the scheme and port the request came
/// with (the platform's admin and the restaurant share the edge), the tenant's primary domain.
pub(crate) fn setup_url<P: Ports>(
    state: &AppState<P>,
    req: &HttpRequest,
    domain: &Domain,
    token: &Token,
) -> String {
    let port = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| host.rsplit_once(':'))
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty())
        .map(|(_, port)| format!(":{port}"))
        .unwrap_or_default();
    format!(
        "{}://{}{}/manage/setup?token={}",
        scheme_of(req, &state.access.trusted_proxies),
        domain.as_str(),
        port,
        token.expose()
    )
}

fn session_cookie_header<P: Ports>(
    state: &AppState<P>,
    req: &HttpRequest,
    value: &str,
    max_age: Duration,
) -> String {
    let secure = if scheme_of(req, &state.access.trusted_proxies) == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

fn signed_in<P: Ports>(state: &AppState<P>, req: &HttpRequest, token: &Token) -> HttpResponse {
    let max = state
        .staff
        .as_ref()
        .map_or(Duration::ZERO, |s| s.session_max);
    HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            session_cookie_header(state, req, token.expose(), max),
        ))
        .finish()
}

/// The restaurant whose host the request came to.
async fn own_host<P: Ports>(
    state: &AppState<P>,
    req: &HttpRequest,
) -> Result<Arc<Tenant>, ApiError> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("the request has no Host header"))?;
    let found = match Domain::parse(host) {
        Ok(domain) => state.app.tenancy.tenant_for_domain(&domain).await?,
        Err(_) => None,
    };
    found.ok_or_else(|| {
        ApiError::new(
            ProblemCode::UnknownTenant,
            format!("no restaurant is registered for the host {host:?}"),
        )
    })
}

/// The request's id (see [`crate::telemetry`]), for the audit trail.
fn request_id(req: &HttpRequest) -> Option<String> {
    use actix_web::HttpMessage as _;
    req.extensions()
        .get::<crate::telemetry::RequestId>()
        .map(|id| id.0.clone())
}

fn validation(field: &str, err: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("{field}: {err}"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    token: String,
    password: String,
}

/// `POST /api/v1/manager/setup`: uses a setup link, sets the password, signs in.
pub async fn set_up<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    body: web::Json<SetupRequest>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let tenant = own_host(&state, &req).await?;
    let token = Token::parse(&body.token).ok_or_else(invalid_setup_token)?;
    let password = Password::parse(&body.password).map_err(|e| validation("password", e))?;
    let hash = settings.hasher.hash(password).await.map_err(hashing)?;
    let (session, grant) = new_session(settings)?;
    state
        .app
        .staff
        .repository()
        .redeem_setup(&tenant, token.digest(), hash, grant)
        .await?;
    Ok(signed_in(&state, &req, &session))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    email: String,
    password: String,
}

/// `POST /api/v1/manager/session`: signs in with email and password.
pub async fn sign_in<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    body: web::Json<SignInRequest>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let tenant = own_host(&state, &req).await?;
    let email = Email::parse(&body.email).map_err(|e| validation("email", e))?;
    let address = client_of(&req, &state.access.trusted_proxies).to_string();
    let staff = state.app.staff.repository();
    let window = settings.failure_window;
    let record = staff
        .sign_in_record(&tenant, &email, &address, window)
        .await?;
    if record.account_failures >= settings.failures_per_account
        || record.address_failures >= settings.failures_per_address
    {
        let wait = record
            .retry_at
            .and_then(|at| {
                at.duration_since(jiff::Timestamp::now())
                    .as_secs()
                    .try_into()
                    .ok()
            })
            .unwrap_or(1u64)
            .max(1);
        return Err(ApiError::new(
            ProblemCode::TooManyAttempts,
            "too many failed sign-ins for this account or from this address; try again later",
        )
        .retry_after(wait));
    }
    // Unknown, disabled and not-yet-set-up accounts are checked against the dummy hash: the same
    // work, the same answer.
    let (user, stored) = match record.user {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, None),
    };
    let matched = settings
        .hasher
        .verify(Password::attempt(&body.password), stored)
        .await
        .map_err(hashing)?;
    match user {
        Some(user) if matched => {
            let (token, grant) = new_session(settings)?;
            staff.start_session(&tenant, user.id, &email, grant).await?;
            Ok(signed_in(&state, &req, &token))
        }
        _ => {
            staff
                .sign_in_failed(&tenant, &email, &address, window)
                .await?;
            Err(invalid_credentials())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SignOutQuery {
    #[serde(default)]
    all: bool,
}

/// `DELETE /api/v1/manager/session[?all=true]`: ends this session (or every session of its
/// member) and clears the cookie.
pub async fn sign_out<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    query: web::Query<SignOutQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = session_cookie(&req)
        .and_then(Token::parse)
        .ok_or_else(|| ApiError::unauthorized("there is no session to end"))?;
    same_origin_of(&req, &state.access.trusted_proxies)?;
    let tenant = own_host(&state, &req).await?;
    let tenant = tenant.acting(Acting::new(
        Credential::Session(token.digest()),
        Permission::OwnAccount,
        request_id(&req),
    ));
    state
        .app
        .staff
        .repository()
        .end_sessions(&tenant, query.all)
        .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            session_cookie_header(&state, &req, "", Duration::ZERO),
        ))
        .finish())
}

/// Who is signed in.
#[derive(Debug, Serialize)]
pub struct Me {
    id: Option<Uuid>,
    email: Option<String>,
    name: Option<String>,
    role: &'static str,
}

/// `GET /api/v1/manager/me`.
pub async fn me<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::OwnAccount);
    let me = match state.app.staff.repository().me(&tenant).await? {
        Some((user, _)) => Me {
            id: Some(user.id.as_uuid()),
            email: Some(user.email.as_str().to_owned()),
            name: Some(user.name.as_str().to_owned()),
            role: user.role.as_str(),
        },
        None => Me {
            id: None,
            email: None,
            name: None,
            role: Role::Owner.as_str(),
        },
    };
    Ok(HttpResponse::Ok().json(me))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/manager/password`: the signed-in member's own password; their other sessions
/// end.
pub async fn change_password<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let tenant = manager.acting(Permission::OwnAccount);
    let staff = state.app.staff.repository();
    let Some((_, stored)) = staff.me(&tenant).await? else {
        return Err(ApiError::new(
            ProblemCode::Forbidden,
            "the API key has no password: sign in as a staff member to change yours",
        ));
    };
    let new = Password::parse(&body.new_password).map_err(|e| validation("new_password", e))?;
    let matched = settings
        .hasher
        .verify(Password::attempt(&body.current_password), stored)
        .await
        .map_err(hashing)?;
    if !matched {
        return Err(invalid_credentials());
    }
    let hash = settings.hasher.hash(new).await.map_err(hashing)?;
    staff.change_password(&tenant, hash).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A staff member as the API shows them.
#[derive(Debug, Serialize)]
pub struct StaffMember {
    id: Uuid,
    email: String,
    name: String,
    role: &'static str,
    disabled: bool,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_url: Option<String>,
}

fn member(user: &StaffUser, setup_url: Option<String>) -> StaffMember {
    StaffMember {
        id: user.id.as_uuid(),
        email: user.email.as_str().to_owned(),
        name: user.name.as_str().to_owned(),
        role: user.role.as_str(),
        disabled: user.disabled,
        created_at: user.created_at.to_string(),
        updated_at: user.updated_at.to_string(),
        setup_url,
    }
}

/// `GET /api/v1/manager/staff`.
pub async fn list_staff<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ManageStaff);
    let users = state.app.staff.repository().list(&tenant).await?;
    Ok(HttpResponse::Ok().json(users.iter().map(|u| member(u, None)).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    email: String,
    name: String,
    role: String,
}

fn parse_member(body: &NewMember) -> Result<NewStaffUser, ApiError> {
    let mut problems = Vec::new();
    let email = Email::parse(&body.email).map_err(|e| problems.push(format!("email: {e}")));
    let name = StaffName::parse(&body.name).map_err(|e| problems.push(format!("name: {e}")));
    let role = Role::parse(&body.role).map_err(|e| problems.push(format!("role: {e}")));
    match (email, name, role) {
        (Ok(email), Ok(name), Ok(role)) => Ok(NewStaffUser { email, name, role }),
        _ => Err(ApiError::invalid(problems.join("; "))),
    }
}

/// `POST /api/v1/manager/staff`: invites a member; the answer carries their setup link, shown
/// this once.
pub async fn invite<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    manager: CurrentTenant,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let tenant = manager.acting(Permission::ManageStaff);
    let new = parse_member(&body)?;
    let (token, grant) = new_setup(settings)?;
    let user = state
        .app
        .staff
        .repository()
        .invite(&tenant, new, grant)
        .await?;
    let url = setup_url(&state, &req, &tenant.domain, &token);
    Ok(HttpResponse::Created().json(member(&user, Some(url))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// `PATCH /api/v1/manager/staff/{id}`.
pub async fn update_member<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
    body: web::Json<MemberPatch>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ManageStaff);
    let mut problems = Vec::new();
    let name = body
        .name
        .as_deref()
        .map(StaffName::parse)
        .transpose()
        .map_err(|e| problems.push(format!("name: {e}")))
        .ok()
        .flatten();
    let role = body
        .role
        .as_deref()
        .map(Role::parse)
        .transpose()
        .map_err(|e| problems.push(format!("role: {e}")))
        .ok()
        .flatten();
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems.join("; ")));
    }
    let patch = StaffPatch {
        name,
        role,
        disabled: body.disabled,
    };
    let user = state
        .app
        .staff
        .repository()
        .update(&tenant, StaffId::from_uuid(id.into_inner()), patch)
        .await?;
    Ok(HttpResponse::Ok().json(member(&user, None)))
}

/// `DELETE /api/v1/manager/staff/{id}`.
pub async fn remove_member<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ManageStaff);
    state
        .app
        .staff
        .repository()
        .remove(&tenant, StaffId::from_uuid(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A setup link, shown once.
#[derive(Debug, Serialize)]
pub struct SetupLink {
    setup_url: String,
}

/// `POST /api/v1/manager/staff/{id}/setup-link`: a new link; the old one and the member's
/// sessions end.
pub async fn reissue_setup<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let tenant = manager.acting(Permission::ManageStaff);
    let (token, grant) = new_setup(settings)?;
    state
        .app
        .staff
        .repository()
        .issue_setup(&tenant, StaffId::from_uuid(id.into_inner()), grant)
        .await?;
    Ok(HttpResponse::Ok().json(SetupLink {
        setup_url: setup_url(&state, &req, &tenant.domain, &token),
    }))
}

/// `POST /api/v1/sys/tenants/{id}/owner-setup-link`: a new setup link for the restaurant's
/// first enabled owner (a locked-out owner).
pub async fn owner_setup_link<P: Ports>(
    state: web::Data<AppState<P>>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings(&state)?;
    let id = TenantId::from_uuid(id.into_inner());
    let tenant = state
        .app
        .tenancy
        .tenant_by_id(id)
        .await?
        .ok_or_else(|| crate::port_errors::unknown_tenant(id))?;
    let tenant = tenant.acting(Acting::new(
        Credential::Platform,
        Permission::ManageStaff,
        request_id(&req),
    ));
    let staff = state.app.staff.repository();
    let owner = staff.first_owner(&tenant).await?.ok_or_else(|| {
        ApiError::new(
            ProblemCode::StaffNotFound,
            "this restaurant has no enabled owner (provision it with `owner_email`)",
        )
    })?;
    let (token, grant) = new_setup(settings)?;
    staff.issue_setup(&tenant, owner.id, grant).await?;
    Ok(HttpResponse::Ok().json(SetupLink {
        setup_url: setup_url(&state, &req, &tenant.domain, &token),
    }))
}

/// Invites `email` as the first owner of `tenant`, just provisioned; the setup link's URL.
pub(crate) async fn invite_owner<P: Ports>(
    state: &AppState<P>,
    req: &HttpRequest,
    tenant: &Tenant,
    email: Email,
) -> Result<String, ApiError> {
    let settings = settings(state)?;
    let name = StaffName::parse(email.as_str().split('@').next().unwrap_or("owner"))
        .or_else(|_| StaffName::parse("Owner"))
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let tenant = tenant.acting(Acting::new(
        Credential::Platform,
        Permission::ManageStaff,
        request_id(req),
    ));
    let (token, grant) = new_setup(settings)?;
    state
        .app
        .staff
        .repository()
        .invite(
            &tenant,
            NewStaffUser {
                email,
                name,
                role: Role::Owner,
            },
            grant,
        )
        .await?;
    Ok(setup_url(state, req, &tenant.domain, &token))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
struct AuditItem {
    at: String,
    actor: String,
    action: String,
    target: Option<String>,
    request_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct AuditAnswer {
    items: Vec<AuditItem>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/manager/audit?limit=&cursor=`: newest first.
pub async fn audit<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadAudit);
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1 to 200"));
    }
    let cursor = match &query.cursor {
        Some(raw) => Some(
            AuditCursor::parse(raw)
                .ok_or_else(|| ApiError::bad_request("cursor is not one this service gave"))?,
        ),
        None => None,
    };
    let page = state
        .app
        .staff
        .repository()
        .audit(&tenant, limit, cursor)
        .await?;
    Ok(HttpResponse::Ok().json(AuditAnswer {
        items: page
            .items
            .into_iter()
            .map(|e| AuditItem {
                at: e.at.to_string(),
                actor: e.actor,
                action: e.action,
                target: e.target,
                request_id: e.request_id,
            })
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
