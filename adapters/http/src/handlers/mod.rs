//! The handlers, one module per capability of core (the same cut as `chameleon_core::service`):
//! a new capability is a new module here. Which audience reaches a handler (system, manager,
//! storefront) is decided by its route's scope and middleware (`server`, `tenancy`), not by the
//! module it sits in. Each handler has `#[utoipa::path]` with every status it can return and an
//! operation id `<verb>_<resource>`.
//!
//! # Layout
//! - [`tenancy`]: provisioning, a tenant's lifecycle, the manager's settings and key, the
//!   storefront's branding.
//! - [`menu`]: items and categories; the storefront's menu.
//! - [`ordering`]: placing, following, listing and moving orders.
//! - [`health`]: liveness and readiness.
//! - [`acme`]: answers to a certificate authority's HTTP-01 challenges (not in the API's document).

pub mod acme;
pub mod health;
pub mod menu;
pub mod ordering;
pub mod staff;
pub mod tenancy;

use utoipa::IntoParams;
use uuid::Uuid;

/// The tenant a manager request is for; `Authorization: Bearer` carries its manager API key.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct TenantHeader {
    /// The tenant's id, as returned by provisioning.
    #[param(rename = "X-Tenant-ID")]
    x_tenant_id: Uuid,
}
