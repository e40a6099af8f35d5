//! System (admin) endpoints: provisioning and the tenant list.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use anyhow::anyhow;
use chameleon_core::ports::Ports;
use chameleon_core::tenant::{ManagerApiKey, NewTenant};
use chameleon_wire::{ProvisionRequest, ProvisionedTenant, TenantSummary};

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::problems::{AdminRefusals, Conflict, JsonBodyRefusals};
use crate::state::AppState;

/// A fresh manager API key from the operating system's randomness.
pub(crate) fn new_manager_key() -> Result<ManagerApiKey, ApiError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| ApiError::Internal(anyhow!("no randomness for a manager key: {e}")))?;
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
    body: JsonObject<ProvisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let (domain, name, theme) = convert::new_tenant(&body)?;
    let key = new_manager_key()?;
    let new = NewTenant {
        domain,
        name,
        theme,
        manager_key_hash: key.hash(),
    };
    let tenant = state.app.provision_tenant(new).await?;
    tracing::info!(tenant = %tenant.id, schema = %tenant.schema, domain = %tenant.domain, "tenant provisioned");
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
    let tenants = state.app.list_tenants().await?;
    Ok(HttpResponse::Ok().json(
        tenants
            .iter()
            .map(convert::tenant_summary)
            .collect::<Vec<_>>(),
    ))
}
