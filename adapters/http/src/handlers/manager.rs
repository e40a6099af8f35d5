//! Manager endpoints: a tenant's menu and orders, behind `X-Tenant-ID` and the tenant's
//! manager API key (checked by `tenancy::manager_tenant` before any handler runs).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chameleon_core::menu::MenuItemId;
use chameleon_core::order::OrderId;
use chameleon_core::ports::{ConfirmOrderError, DeleteMenuItemError, Ports, UpdateMenuItemError};
use chameleon_wire::{MenuItem, MenuItemPatch, NewMenuItem, Order};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::convert;
use crate::error::ApiError;
use crate::problems::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    Unprocessable, UnsupportedMediaType,
};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

/// The tenant a manager request is for; `Authorization: Bearer` carries its manager API key.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct TenantHeader {
    /// The tenant's id, as returned by provisioning.
    #[param(rename = "X-Tenant-ID")]
    x_tenant_id: Uuid,
}

/// A menu item's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ItemPath {
    /// The menu item's id.
    id: Uuid,
}

/// An order's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct OrderPath {
    /// The order's id.
    id: Uuid,
}

fn item_not_found(id: MenuItemId) -> ApiError {
    ApiError::not_found(
        "menu_item_not_found",
        format!("this restaurant has no menu item {id}"),
    )
}

/// Adds an item to the tenant's menu.
#[utoipa::path(
    post,
    path = "/api/v1/manager/menu",
    operation_id = "create_menu_item",
    tag = "manager",
    params(TenantHeader),
    request_body = NewMenuItem,
    security(("manager_key" = [])),
    responses(
        (status = 201, description = "Created", body = MenuItem),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn create_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    body: web::Json<NewMenuItem>,
) -> Result<HttpResponse, ApiError> {
    let item = convert::new_menu_item(&body)?;
    let created = state
        .app
        .create_menu_item(&tenant, item)
        .await
        .map_err(|e| ApiError::from_port(e.0))?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/manager/menu/{}", created.id),
        ))
        .json(convert::menu_item(&created)))
}

/// Lists the tenant's whole menu, available or not, ordered by name.
#[utoipa::path(
    get,
    path = "/api/v1/manager/menu",
    operation_id = "list_menu_items",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The menu", body = [MenuItem]),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_menu_items<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let items = state
        .app
        .list_menu_items(&tenant)
        .await
        .map_err(|e| ApiError::from_port(e.0))?;
    Ok(HttpResponse::Ok().json(items.iter().map(convert::menu_item).collect::<Vec<_>>()))
}

/// Reads one menu item.
#[utoipa::path(
    get,
    path = "/api/v1/manager/menu/{id}",
    operation_id = "get_menu_item",
    tag = "manager",
    params(TenantHeader, ItemPath),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The item", body = MenuItem),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn get_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    let item = state
        .app
        .get_menu_item(&tenant, id)
        .await
        .map_err(|e| ApiError::from_port(e.0))?
        .ok_or_else(|| item_not_found(id))?;
    Ok(HttpResponse::Ok().json(convert::menu_item(&item)))
}

/// Changes the fields of a menu item present in the body; the others stay as they are.
#[utoipa::path(
    patch,
    path = "/api/v1/manager/menu/{id}",
    operation_id = "update_menu_item",
    tag = "manager",
    params(TenantHeader, ItemPath),
    request_body = MenuItemPatch,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The updated item", body = MenuItem),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn update_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
    body: web::Json<MenuItemPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    let patch = convert::menu_patch(&body)?;
    let item = state
        .app
        .update_menu_item(&tenant, id, patch)
        .await
        .map_err(|err| match err {
            UpdateMenuItemError::NotFound(id) => item_not_found(id),
            UpdateMenuItemError::Unknown(err) => ApiError::from_port(err),
        })?;
    Ok(HttpResponse::Ok().json(convert::menu_item(&item)))
}

/// Removes a menu item. Orders already placed keep their snapshot of it.
#[utoipa::path(
    delete,
    path = "/api/v1/manager/menu/{id}",
    operation_id = "delete_menu_item",
    tag = "manager",
    params(TenantHeader, ItemPath),
    security(("manager_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn delete_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    state
        .app
        .delete_menu_item(&tenant, id)
        .await
        .map_err(|err| match err {
            DeleteMenuItemError::NotFound(id) => item_not_found(id),
            DeleteMenuItemError::Unknown(err) => ApiError::from_port(err),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the tenant's orders, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/manager/orders",
    operation_id = "list_orders",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The orders, newest first", body = [Order]),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list_orders<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let orders = state
        .app
        .list_orders(&tenant)
        .await
        .map_err(|e| ApiError::from_port(e.0))?;
    Ok(HttpResponse::Ok().json(orders.iter().map(convert::order).collect::<Vec<_>>()))
}

/// Confirms a PENDING order.
#[utoipa::path(
    post,
    path = "/api/v1/manager/orders/{id}/confirm",
    operation_id = "confirm_order",
    tag = "manager",
    params(TenantHeader, OrderPath),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The order, now CONFIRMED", body = Order),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn confirm_order<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId::from_uuid(id.into_inner());
    let order = state
        .app
        .confirm_order(&tenant, id)
        .await
        .map_err(|err| match err {
            ConfirmOrderError::NotFound(id) => ApiError::not_found(
                "order_not_found",
                format!("this restaurant has no order {id}"),
            ),
            ConfirmOrderError::NotPending { id, status } => ApiError::conflict(
                "order_not_pending",
                format!("order {id} is {status}; only a PENDING order can be confirmed"),
            ),
            ConfirmOrderError::Unknown(err) => ApiError::from_port(err),
        })?;
    Ok(HttpResponse::Ok().json(convert::order(&order)))
}
