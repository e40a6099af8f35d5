//! Menu endpoints: a tenant's items and categories for its manager (`/api/v1/manager`), and what
//! a customer can order (`/api/v1/store/menu`). Over core's [`Menu`](chameleon_core::service::Menu).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chameleon_core::menu::{CategoryId, MenuItemId};
use chameleon_core::options::OptionGroupId;
use chameleon_core::ports::Ports;
use chameleon_wire::{
    Category, CategoryPatch, MenuItem, MenuItemPatch, NewCategory, NewMenuItem, NewOptionGroup,
    OptionGroup, OptionGroupPatch, StoreMenu,
};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::handlers::TenantHeader;
use crate::port_errors::{item_not_found, option_group_not_found};
use crate::problems::{JsonBodyRefusals, ManagerRefusals, StoreRefusals};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, StoreTenant};
use chameleon_core::staff::Permission;

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

/// An option group's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct OptionGroupPath {
    /// The option group's id.
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
    manager: CurrentTenant,
    body: JsonObject<NewMenuItem>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditMenu);
    let item = convert::new_menu_item(&body)?;
    let created = state.app.menu.create_menu_item(&tenant, item).await?;
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
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadMenu);
    let items = state.app.menu.list_menu_items(&tenant).await?;
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
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadMenu);
    let id = MenuItemId::from_uuid(id.into_inner());
    let item = state
        .app
        .menu
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
    manager: CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<MenuItemPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = MenuItemId::from_uuid(id.into_inner());
    let patch = convert::menu_patch(&body)?;
    let tenant = manager.acting(patch.permission());
    let item = state.app.menu.update_menu_item(&tenant, id, patch).await?;
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
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditMenu);
    let id = MenuItemId::from_uuid(id.into_inner());
    state.app.menu.delete_menu_item(&tenant, id).await?;
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
    manager: CurrentTenant,
    body: JsonObject<NewCategory>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditMenu);
    let category = convert::new_category(&body)?;
    let created = state.app.menu.create_category(&tenant, category).await?;
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
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadMenu);
    let categories = state.app.menu.list_categories(&tenant).await?;
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
    manager: CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<CategoryPatch>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditMenu);
    let id = CategoryId::from_uuid(id.into_inner());
    let patch = convert::category_patch(&body)?;
    let category = state.app.menu.update_category(&tenant, id, patch).await?;
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
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditMenu);
    let id = CategoryId::from_uuid(id.into_inner());
    state.app.menu.delete_category(&tenant, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The menu: the restaurant's categories in its order, and what can be ordered now (the
/// available items, by name, each naming its category or none).
#[utoipa::path(
    get,
    path = "/api/v1/store/menu",
    operation_id = "list_store_menu",
    tag = "storefront",
    responses(
        (status = 200, description = "The categories and the available items", body = StoreMenu),
        StoreRefusals,
    ),
)]
pub async fn list_store_menu<P: Ports>(
    state: web::Data<AppState<P>>,
    StoreTenant(tenant): StoreTenant,
) -> Result<HttpResponse, ApiError> {
    let menu = state.app.menu.store_menu(&tenant).await?;
    // Whether each item can be ordered is worked out now, not when the menu was cached.
    let now = jiff::Timestamp::now();
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(convert::store_menu(
            &menu,
            tenant.settings.timezone.zone(),
            now,
        )))
}

/// Creates an option group (a pizza's sizes, a burger's extras): a customer chooses `min` to
/// `max` of its options; each option's `price_delta` is added to the item's price. Every
/// option gets an `id`. 422 `limit_reached` past `MAX_OPTION_GROUPS` groups or 50 options.
#[utoipa::path(
    post,
    path = "/api/v1/manager/option-groups",
    operation_id = "create_option_group",
    tag = "manager",
    params(TenantHeader),
    request_body = NewOptionGroup,
    security(("manager_key" = [])),
    responses(
        (status = 201, description = "Created", body = OptionGroup),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn create_option_group<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    body: JsonObject<NewOptionGroup>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditOptions);
    let group = convert::new_option_group(&body)?;
    let created = state.app.menu.create_option_group(&tenant, group).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/manager/option-groups/{}", created.id),
        ))
        .json(convert::option_group(&created)))
}

/// Lists the tenant's option groups, by name.
#[utoipa::path(
    get,
    path = "/api/v1/manager/option-groups",
    operation_id = "list_option_groups",
    tag = "manager",
    params(TenantHeader),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The option groups", body = [OptionGroup]),
        ManagerRefusals,
    ),
)]
pub async fn list_option_groups<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadMenu);
    let groups = state.app.menu.list_option_groups(&tenant).await?;
    Ok(HttpResponse::Ok().json(groups.iter().map(convert::option_group).collect::<Vec<_>>()))
}

/// Reads one option group.
#[utoipa::path(
    get,
    path = "/api/v1/manager/option-groups/{id}",
    operation_id = "get_option_group",
    tag = "manager",
    params(TenantHeader, OptionGroupPath),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The option group", body = OptionGroup),
        ManagerRefusals,
    ),
)]
pub async fn get_option_group<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadMenu);
    let id = OptionGroupId::from_uuid(id.into_inner());
    let group = state
        .app
        .menu
        .get_option_group(&tenant, id)
        .await?
        .ok_or_else(|| option_group_not_found(id))?;
    Ok(HttpResponse::Ok().json(convert::option_group(&group)))
}

/// Changes the fields of an option group present in the body. `options` replaces the list
/// (an entry with an option's `id` keeps it); a list of `{"id", "sold_out_until"}` entries
/// only marks those options sold out or back, which service staff may do. 422
/// `negative_price` when an item offering the group could then be ordered below 0.
#[utoipa::path(
    patch,
    path = "/api/v1/manager/option-groups/{id}",
    operation_id = "update_option_group",
    tag = "manager",
    params(TenantHeader, OptionGroupPath),
    request_body = OptionGroupPatch,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The updated option group", body = OptionGroup),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn update_option_group<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<OptionGroupPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = OptionGroupId::from_uuid(id.into_inner());
    let patch = convert::option_group_patch(&body)?;
    let tenant = manager.acting(patch.permission());
    let group = state
        .app
        .menu
        .update_option_group(&tenant, id, patch)
        .await?;
    Ok(HttpResponse::Ok().json(convert::option_group(&group)))
}

/// Removes an option group; 409 `option_group_in_use` while a menu item offers it. Orders
/// already placed keep their snapshot of the options chosen.
#[utoipa::path(
    delete,
    path = "/api/v1/manager/option-groups/{id}",
    operation_id = "delete_option_group",
    tag = "manager",
    params(TenantHeader, OptionGroupPath),
    security(("manager_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = crate::problems::Conflict),
        ManagerRefusals,
    ),
)]
pub async fn delete_option_group<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::EditOptions);
    let id = OptionGroupId::from_uuid(id.into_inner());
    state.app.menu.delete_option_group(&tenant, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
