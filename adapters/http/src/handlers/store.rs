//! Storefront endpoints: the tenant is the one registered for the request's `Host`
//! (resolved by `tenancy::store_tenant` before any handler runs). Guest checkout, no login.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chameleon_core::ports::Ports;
use chameleon_wire::{MenuItem, Order, PlaceOrder, StoreConfig};

use crate::convert;
use crate::error::ApiError;
use crate::problems::{JsonBodyRefusals, StoreRefusals};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

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
    CurrentTenant(tenant): CurrentTenant,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(convert::store_config(state.app.store_config(&tenant)))
}

/// What can be ordered now: the restaurant's available items, ordered by name.
#[utoipa::path(
    get,
    path = "/api/v1/store/menu",
    operation_id = "list_store_menu",
    tag = "storefront",
    responses(
        (status = 200, description = "The available items", body = [MenuItem]),
        StoreRefusals,
    ),
)]
pub async fn list_store_menu<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let items = state.app.store_menu(&tenant).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(items.iter().map(convert::menu_item).collect::<Vec<_>>()))
}

/// Places a guest order. The total is computed from the restaurant's stored prices.
#[utoipa::path(
    post,
    path = "/api/v1/store/orders",
    operation_id = "place_order",
    tag = "storefront",
    request_body = PlaceOrder,
    responses(
        (status = 201, description = "Placed, PENDING", body = Order),
        StoreRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn place_order<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    body: web::Json<PlaceOrder>,
) -> Result<HttpResponse, ApiError> {
    let request = convert::order_request(&body)?;
    let order = state.app.place_order(&tenant, request).await?;
    tracing::info!(order = %order.id, total = order.total_cents, "order placed");
    Ok(HttpResponse::Created().json(convert::order(&order)))
}
