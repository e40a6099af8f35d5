//! Manager endpoints: a tenant's menu and orders, behind `X-Tenant-ID` and the tenant's
//! manager API key (checked by `tenancy::manager_tenant` before any handler runs).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chameleon_core::menu::{CategoryId, MenuItemId};
use chameleon_core::order::{OrderId, OrderStatus};
use chameleon_core::ports::Ports;
use chameleon_wire::{
    Category, CategoryPatch, ListOrdersQuery, MenuItem, MenuItemPatch, NewCategory, NewMenuItem,
    Order, OrderPage, OrderStatusChange, RotatedManagerKey, SettingsPatch, StoreConfig,
};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::handlers::system::new_manager_key;
use crate::port_errors::item_not_found;
use crate::problems::{Conflict, JsonBodyRefusals, ManagerRefusals};
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

/// A category's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CategoryPath {
    /// The category's id.
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

/// Adds an item to the tenant's menu. A `category_id` that is not one of the tenant's
/// categories is refused (422 `unknown_category`).
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
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn create_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    body: JsonObject<NewMenuItem>,
) -> Result<HttpResponse, ApiError> {
    let item = convert::new_menu_item(&body)?;
    let created = state.app.create_menu_item(&tenant, item).await?;
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
        ManagerRefusals,
    ),
)]
pub async fn list_menu_items<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let items = state.app.list_menu_items(&tenant).await?;
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
        ManagerRefusals,
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
        .await?
        .ok_or_else(|| item_not_found(id))?;
    Ok(HttpResponse::Ok().json(convert::menu_item(&item)))
}

/// Changes the fields of a menu item present in the body; the others stay as they are (`null`
/// clears `category_id`, `description` or `image_url`; `tags` replaces the tags).
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
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<MenuItemPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    let patch = convert::menu_patch(&body)?;
    let item = state.app.update_menu_item(&tenant, id, patch).await?;
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
        ManagerRefusals,
    ),
)]
pub async fn delete_menu_item<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    state.app.delete_menu_item(&tenant, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds a category to the tenant's menu.
#[utoipa::path(
    post,
    path = "/api/v1/manager/categories",
    operation_id = "create_category",
    tag = "manager",
    params(TenantHeader),
    request_body = NewCategory,
    security(("manager_key" = [])),
    responses(
        (status = 201, description = "Created", body = Category),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn create_category<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    body: JsonObject<NewCategory>,
) -> Result<HttpResponse, ApiError> {
    let category = convert::new_category(&body)?;
    let created = state.app.create_category(&tenant, category).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/manager/categories/{}", created.id),
        ))
        .json(convert::category(&created)))
}

/// Lists the tenant's categories in the menu's order: by position, then name.
#[utoipa::path(
    get,
    path = "/api/v1/manager/categories",
    operation_id = "list_categories",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The categories", body = [Category]),
        ManagerRefusals,
    ),
)]
pub async fn list_categories<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let categories = state.app.list_categories(&tenant).await?;
    Ok(HttpResponse::Ok().json(categories.iter().map(convert::category).collect::<Vec<_>>()))
}

/// Renames or moves a category (the fields present in the body).
#[utoipa::path(
    patch,
    path = "/api/v1/manager/categories/{id}",
    operation_id = "update_category",
    tag = "manager",
    params(TenantHeader, CategoryPath),
    request_body = CategoryPatch,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The updated category", body = Category),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_category<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<CategoryPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = CategoryId::from_uuid(id.into_inner());
    let patch = convert::category_patch(&body)?;
    let category = state.app.update_category(&tenant, id, patch).await?;
    Ok(HttpResponse::Ok().json(convert::category(&category)))
}

/// Removes a category. Its items stay on the menu, in no category (`category_id: null`).
#[utoipa::path(
    delete,
    path = "/api/v1/manager/categories/{id}",
    operation_id = "delete_category",
    tag = "manager",
    params(TenantHeader, CategoryPath),
    security(("manager_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        ManagerRefusals,
    ),
)]
pub async fn delete_category<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CategoryId::from_uuid(id.into_inner());
    state.app.delete_category(&tenant, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists the tenant's orders, newest first, a page at a time (keyset: `next_cursor` continues
/// exactly where the page ended, whatever was placed since).
#[utoipa::path(
    get,
    path = "/api/v1/manager/orders",
    operation_id = "list_orders",
    tag = "manager",
    params(TenantHeader, ListOrdersQuery),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "A page of orders, newest first", body = OrderPage),
        ManagerRefusals,
    ),
)]
pub async fn list_orders<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    query: web::Query<ListOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = convert::order_page(&query)?;
    let orders = state.app.list_orders(&tenant, page).await?;
    Ok(HttpResponse::Ok().json(convert::order_list(&orders)))
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
        (status = 409, response = Conflict),
        ManagerRefusals,
    ),
)]
pub async fn confirm_order<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId::from_uuid(id.into_inner());
    let order = state.app.confirm_order(&tenant, id).await?;
    Ok(HttpResponse::Ok().json(convert::order(&order)))
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
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let key = new_manager_key()?;
    let rotated = state.app.rotate_manager_key(&tenant, key.hash()).await?;
    tracing::info!(tenant = %rotated.id, "manager key rotated");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RotatedManagerKey {
            tenant_id: rotated.id.as_uuid(),
            manager_api_key: key.expose().to_owned(),
        }))
}

/// Changes the restaurant's own name or theme; the storefront shows the change on its next
/// load. (Its status is the operator's: `PATCH /api/v1/sys/tenants/{id}`.)
#[utoipa::path(
    patch,
    path = "/api/v1/manager/settings",
    operation_id = "update_settings",
    tag = "manager",
    params(TenantHeader),
    request_body = SettingsPatch,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The storefront's settings as changed", body = StoreConfig),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_settings<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    body: JsonObject<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let patch = convert::settings_patch(&body)?;
    let updated = state.app.update_tenant(tenant.id, patch).await?;
    tracing::info!("settings updated");
    Ok(HttpResponse::Ok().json(convert::store_config(
        state.app.store_config(&updated, jiff::Timestamp::now()),
    )))
}

/// Moves an order along: PENDING → CONFIRMED → READY → COMPLETED, or CANCELLED from any status
/// but COMPLETED (the transitions are the core's). The customer's tracking page shows it.
#[utoipa::path(
    post,
    path = "/api/v1/manager/orders/{id}/status",
    operation_id = "change_order_status",
    tag = "manager",
    params(TenantHeader, OrderPath),
    request_body = OrderStatusChange,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The order, with its new status", body = Order),
        (status = 409, response = Conflict),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn change_order_status<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<OrderStatusChange>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId::from_uuid(id.into_inner());
    let next =
        OrderStatus::parse(&body.status).map_err(|e| ApiError::invalid(format!("status: {e}")))?;
    let order = state.app.change_order_status(&tenant, id, next).await?;
    tracing::info!(order = %order.id, status = %order.status, "order status changed");
    Ok(HttpResponse::Ok().json(convert::order(&order)))
}
