//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use chameleon_core::ports::Ports;
use chameleon_wire::Health;

use crate::error::ApiError;
use crate::problems::Unavailable;
use crate::state::AppState;

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "get_health",
    tag = "health",
    responses((status = 200, description = "The process is up", body = Health)),
)]
pub async fn get_health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// The database is reachable.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "get_readiness",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_readiness<P: Ports>(
    state: web::Data<AppState<P>>,
) -> Result<HttpResponse, ApiError> {
    state.ready().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready".into(),
    }))
}
