//! Tenancy endpoints: provisioning and each tenant's lifecycle (`/api/v1/sys`, admin token), the
//! manager's own settings and key (`/api/v1/manager`), and the storefront's branding
//! (`/api/v1/store/config`). Over core's [`Tenancy`](chameleon_core::service::Tenancy).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use anyhow::anyhow;
use chameleon_core::ports::{DeprovisionError, Ports};
use chameleon_core::tenant::{Domain, ManagerApiKey, NewTenant, TenantId};
use chameleon_wire::{
    NewDomain, ProvisionRequest, ProvisionedTenant, RotatedManagerKey, SettingsPatch, StoreConfig,
    TenantDetails, TenantExport, TenantPatch, TenantSummary,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::export;
use crate::handlers::TenantHeader;
use crate::port_errors::unknown_tenant;
use crate::problem_code::ProblemCode;
use crate::problems::{
    AdminRefusals, Conflict, JsonBodyRefusals, ManagerRefusals, NotFound, StoreRefusals,
    Unprocessable,
};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, StoreTenant};
use chameleon_core::ports::StaffRepository as _;
use chameleon_core::staff::{AuditAction, Permission};

/// A fresh manager API key from the operating system's randomness.
pub(crate) fn new_manager_key() -> Result<ManagerApiKey, ApiError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| ApiError::internal(anyhow!("no randomness for a manager key: {e}")))?;
    Ok(ManagerApiKey::from_random_bytes(secret))
}

/// Provisions a tenant: its routing row, schema, database role and tables, in one transaction.
///
/// The manager API key in the response is shown this once; only its hash is stored.
#[utoipa::path(
    post,
    path = "/api/v1/sys/provision",
    operation_id = "provision_tenant",
    tag = "system",
    request_body = ProvisionRequest,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Provisioned", body = ProvisionedTenant),
        (status = 409, response = Conflict),
        AdminRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn provision_tenant<P: Ports>(
    state: web::Data<AppState<P>>,
    req: actix_web::HttpRequest,
    body: JsonObject<ProvisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (domain, name, theme, settings) = convert::new_tenant(&body)?;
    let owner_email = body
        .owner_email
        .as_deref()
        .map(chameleon_core::staff::Email::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(format!("owner_email: {e}")))?;
    let key = new_manager_key()?;
    let new = NewTenant {
        domain,
        name,
        theme,
        settings,
        manager_key_hash: key.hash(),
    };
    let tenant = state.app.tenancy.provision_tenant(new).await?;
    tracing::info!(tenant = %tenant.id, schema = %tenant.schema, domain = %tenant.domain, "tenant provisioned");
    let owner_setup_url = match owner_email {
        Some(email) => {
            Some(crate::handlers::staff::invite_owner(&state, &req, &tenant, email).await?)
        }
        None => None,
    };
    let summary = convert::tenant_summary(&tenant);
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ProvisionedTenant {
            tenant_id: summary.tenant_id,
            schema_name: summary.schema_name,
            domain: summary.domain,
            name: summary.name,
            theme: summary.theme,
            manager_api_key: key.expose().to_owned(),
            owner_setup_url,
        }))
}

/// Lists every tenant, ordered by domain.
#[utoipa::path(
    get,
    path = "/api/v1/sys/tenants",
    operation_id = "list_tenants",
    tag = "system",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "All tenants", body = [TenantSummary]),
        AdminRefusals,
    ),
)]
pub async fn list_tenants<P: Ports>(
    state: web::Data<AppState<P>>,
) -> Result<HttpResponse, ApiError> {
    let tenants = state.app.tenancy.list_tenants().await?;
    Ok(HttpResponse::Ok().json(
        tenants
            .iter()
            .map(convert::tenant_summary)
            .collect::<Vec<_>>(),
    ))
}

/// A tenant's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TenantPath {
    /// The tenant's id.
    id: Uuid,
}

/// A tenant's id and one of its domains in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TenantDomainPath {
    /// The tenant's id.
    id: Uuid,
    /// One of the tenant's domains (normalised as at provisioning).
    domain: String,
}

/// The query of `DELETE /api/v1/sys/tenants/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTenantQuery {
    /// The tenant's primary domain, exactly as `GET /api/v1/sys/tenants/{id}` shows it: proof
    /// that the caller means this tenant.
    confirm: Option<String>,
}

async fn details_of<P: Ports>(
    state: &AppState<P>,
    id: TenantId,
) -> Result<chameleon_core::tenant::TenantDetails, ApiError> {
    state
        .app
        .tenancy
        .tenant_details(id)
        .await?
        .ok_or_else(|| unknown_tenant(id))
}

/// A tenant with its status and every domain it answers on.
#[utoipa::path(
    get,
    path = "/api/v1/sys/tenants/{id}",
    operation_id = "get_tenant",
    tag = "system",
    params(TenantPath),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The tenant", body = TenantDetails),
        (status = 404, response = NotFound),
        AdminRefusals,
    ),
)]
pub async fn get_tenant<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let details = details_of(&state, TenantId::from_uuid(path.into_inner())).await?;
    Ok(HttpResponse::Ok().json(convert::tenant_details(&details)))
}

/// Changes a tenant's name, theme or status; every instance serves the change at once.
///
/// A `suspended` tenant's storefront answers 503 `tenant_suspended` (and shows "temporarily
/// closed"); its manager keeps working.
#[utoipa::path(
    patch,
    path = "/api/v1/sys/tenants/{id}",
    operation_id = "update_tenant",
    tag = "system",
    params(TenantPath),
    request_body = TenantPatch,
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The tenant as changed", body = TenantDetails),
        (status = 404, response = NotFound),
        AdminRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_tenant<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<Uuid>,
    body: JsonObject<TenantPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = TenantId::from_uuid(path.into_inner());
    let patch = convert::tenant_patch(&body)?;
    state.app.tenancy.update_tenant(id, patch).await?;
    tracing::info!(tenant = %id, "tenant updated");
    let details = details_of(&state, id).await?;
    Ok(HttpResponse::Ok().json(convert::tenant_details(&details)))
}

/// Adds a domain to a tenant; the storefront answers on it at once.
#[utoipa::path(
    post,
    path = "/api/v1/sys/tenants/{id}/domains",
    operation_id = "add_tenant_domain",
    tag = "system",
    params(TenantPath),
    request_body = NewDomain,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Added; the tenant with its domains", body = TenantDetails),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        AdminRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn add_domain<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<Uuid>,
    body: JsonObject<NewDomain>,
) -> Result<HttpResponse, ApiError> {
    let id = TenantId::from_uuid(path.into_inner());
    let domain = convert::new_domain(&body)?;
    let details = state
        .app
        .tenancy
        .add_domain(id, domain.clone(), body.primary)
        .await?;
    tracing::info!(tenant = %id, %domain, primary = body.primary, "domain added");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/sys/tenants/{id}/domains/{domain}"),
        ))
        .json(convert::tenant_details(&details)))
}

/// Removes a domain from a tenant; it answers 404 at once. The last domain cannot be removed
/// (409); removing the primary makes the oldest remaining domain primary.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/tenants/{id}/domains/{domain}",
    operation_id = "remove_tenant_domain",
    tag = "system",
    params(TenantDomainPath),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        AdminRefusals,
    ),
)]
pub async fn remove_domain<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, raw) = path.into_inner();
    let id = TenantId::from_uuid(id);
    let domain = Domain::parse(&raw).map_err(|_| {
        ApiError::new(
            ProblemCode::DomainNotFound,
            format!("this tenant has no domain {raw:?}"),
        )
    })?;
    state.app.tenancy.remove_domain(id, &domain).await?;
    tracing::info!(tenant = %id, %domain, "domain removed");
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a tenant whole, in one transaction: its row, its domains, its schema (every menu item
/// and order) and its database role. Irreversible: `confirm` must be its primary domain.
/// Afterwards its domains answer 404 and can be provisioned again.
#[utoipa::path(
    delete,
    path = "/api/v1/sys/tenants/{id}",
    operation_id = "delete_tenant",
    tag = "system",
    params(TenantPath, DeleteTenantQuery),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        AdminRefusals,
    ),
)]
pub async fn delete_tenant<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<Uuid>,
    query: web::Query<DeleteTenantQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = TenantId::from_uuid(path.into_inner());
    // The confirmation must be a domain as the API writes it (`Domain::parse_name`); whether it
    // is this tenant's primary one is decided in the removal's own transaction.
    let Some(confirm) = query
        .confirm
        .as_deref()
        .and_then(|raw| Domain::parse_name(raw).ok())
    else {
        // An unknown tenant is 404 whatever the confirmation.
        details_of(&state, id).await?;
        return Err(DeprovisionError::WrongConfirmation.into());
    };
    let removed = state.app.tenancy.delete_tenant(id, &confirm).await?;
    tracing::warn!(
        tenant = %id,
        schema = %removed.tenant.schema,
        domains = removed.domains.len(),
        "tenant removed"
    );
    Ok(HttpResponse::NoContent().finish())
}

/// Everything of one tenant as one JSON document: its settings and domains, its menu and every
/// order (oldest first), read in one snapshot and streamed as it is read, so the memory it
/// takes does not grow with the number of orders.
#[utoipa::path(
    get,
    path = "/api/v1/sys/tenants/{id}/export",
    operation_id = "export_tenant",
    tag = "system",
    params(TenantPath),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The tenant's data", body = TenantExport),
        (status = 404, response = NotFound),
        AdminRefusals,
    ),
)]
pub async fn export_tenant<P: Ports>(
    state: web::Data<AppState<P>>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let details = details_of(&state, TenantId::from_uuid(path.into_inner())).await?;
    let filename = format!("{}-export.json", details.tenant.domain);
    let (sink, body) = export::JsonSink::channel(
        &convert::tenant_details(&details),
        details.tenant.settings.timezone.zone().clone(),
    );
    let tenant = details.tenant;
    actix_web::rt::spawn(async move {
        let mut sink = sink;
        let outcome = state.app.tenancy.export_tenant(&tenant, &mut sink).await;
        sink.finish(outcome).await;
    });
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body))
}

/// Replaces the tenant's manager API key. The new key is in the response, shown this once; the
/// key used for this request stops working at once.
#[utoipa::path(
    post,
    path = "/api/v1/manager/key",
    operation_id = "rotate_manager_key",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The new key (shown once; not cached)", body = RotatedManagerKey),
        ManagerRefusals,
    ),
)]
pub async fn rotate_manager_key<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::RotateApiKey);
    let staff = state.app.staff.repository();
    // The key lives in the control plane, outside the tenant's schema: the caller's right is
    // checked there first, and the change audited once made.
    staff.me(&tenant).await?;
    let key = new_manager_key()?;
    let rotated = state
        .app
        .tenancy
        .rotate_manager_key(&tenant, key.hash())
        .await?;
    staff
        .record(
            &tenant,
            AuditAction::ApiKeyRotate,
            Some(tenant.id.to_string()),
        )
        .await?;
    tracing::info!(tenant = %rotated.id, "manager key rotated");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RotatedManagerKey {
            tenant_id: rotated.id.as_uuid(),
            manager_api_key: key.expose().to_owned(),
        }))
}

/// Every setting of the restaurant: branding, currency and locale, time zone and hours, and how
/// it takes pickup orders (prep time, slots and their capacity, days ahead, busy, paused,
/// closures). Any member of its staff may read them.
#[utoipa::path(
    get,
    path = "/api/v1/manager/settings",
    operation_id = "get_settings",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "Every setting", body = chameleon_wire::Settings),
        ManagerRefusals,
    ),
)]
pub async fn get_settings<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadSettings);
    state.app.staff.repository().me(&tenant).await?;
    Ok(HttpResponse::Ok().json(convert::settings(
        state.app.tenancy.config(&tenant, jiff::Timestamp::now()),
        &tenant,
    )))
}

/// Changes the restaurant's own settings; only the fields present change, and the storefront
/// shows the change at once (busy and paused on every instance). Service staff may set busy
/// (`busy_extra_minutes`) and paused (`accepting_orders`) alone; managers and owners any
/// setting. (Its status is the operator's: `PATCH /api/v1/sys/tenants/{id}`.)
#[utoipa::path(
    patch,
    path = "/api/v1/manager/settings",
    operation_id = "update_settings",
    tag = "manager",
    params(TenantHeader),
    request_body = SettingsPatch,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "Every setting, as changed", body = chameleon_wire::Settings),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_settings<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    body: JsonObject<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let patch = convert::settings_patch(&body)?;
    let only_busy_or_paused = !patch.pickup.beyond_busy_and_paused()
        && chameleon_core::tenant::TenantPatch {
            pickup: patch.pickup.clone(),
            ..Default::default()
        } == patch;
    let tenant = manager.acting(if only_busy_or_paused {
        Permission::PauseOrders
    } else {
        Permission::EditSettings
    });
    // As for the API key: checked first, audited once made (the settings are not in the
    // tenant's schema).
    let staff = state.app.staff.repository();
    staff.me(&tenant).await?;
    let updated = state.app.tenancy.update_tenant(tenant.id, patch).await?;
    staff
        .record(
            &tenant,
            AuditAction::SettingsUpdate,
            Some(tenant.id.to_string()),
        )
        .await?;
    tracing::info!("settings updated");
    Ok(HttpResponse::Ok().json(convert::settings(
        state.app.tenancy.config(&updated, jiff::Timestamp::now()),
        &updated,
    )))
}

/// The restaurant's branding: name, theme and the theme as CSS custom properties.
///
/// The restaurant is picked by the `Host` header (a browser sends the page's host), so in
/// Swagger UI this answers for the host Swagger UI was opened on.
#[utoipa::path(
    get,
    path = "/api/v1/store/config",
    operation_id = "get_store_config",
    tag = "storefront",
    responses(
        (status = 200, description = "The restaurant's branding", body = StoreConfig),
        StoreRefusals,
    ),
)]
pub async fn get_store_config<P: Ports>(
    state: web::Data<AppState<P>>,
    StoreTenant(tenant): StoreTenant,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(convert::store_config(
            state
                .app
                .tenancy
                .store_config(&tenant, jiff::Timestamp::now()),
        ))
}
