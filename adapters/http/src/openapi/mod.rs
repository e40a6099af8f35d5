//! The OpenAPI document, served at `/api-docs/openapi.json` and rendered by Swagger UI at `/docs/`.
//!
//! # Layout
//! - this module: the operations, components, security schemes and time zones.
//! - [`constraints`]: every constraint on a value, made from core's rules.

pub mod constraints;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers::{health, menu, ordering, tenancy};
use crate::problems;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Chameleon",
        description = "Multi-tenant, white-label restaurant ordering. System endpoints take the \
                       admin token; manager endpoints take `X-Tenant-ID` and that tenant's manager \
                       API key; storefront endpoints pick the restaurant from the `Host` header. \
                       Every error is `application/problem+json`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        tenancy::provision_tenant,
        tenancy::list_tenants,
        tenancy::get_tenant,
        tenancy::update_tenant,
        tenancy::delete_tenant,
        tenancy::add_domain,
        tenancy::remove_domain,
        tenancy::export_tenant,
        menu::create_menu_item,
        menu::list_menu_items,
        menu::get_menu_item,
        menu::update_menu_item,
        menu::delete_menu_item,
        menu::create_category,
        menu::list_categories,
        menu::update_category,
        menu::delete_category,
        menu::create_option_group,
        menu::list_option_groups,
        menu::get_option_group,
        menu::update_option_group,
        menu::delete_option_group,
        ordering::list_orders,
        ordering::confirm_order,
        ordering::change_order_status,
        tenancy::rotate_manager_key,
        tenancy::get_settings,
        tenancy::update_settings,
        tenancy::get_store_config,
        menu::list_store_menu,
        ordering::place_order,
        ordering::track_order,
        ordering::store_slots,
        health::get_health,
        health::get_readiness,
    ),
    components(schemas(chameleon_wire::Problem), responses(
        problems::BadRequest,
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
        problems::PayloadTooLarge,
        problems::UnsupportedMediaType,
        problems::Unprocessable,
        problems::TooManyRequests,
        problems::Unavailable,
    )),
    modifiers(&SecuritySchemes, &TimeZoneNames),
    tags(
        (name = "system", description = "Provisioning and each tenant's lifecycle: settings, status, domains, removal, export (admin token)"),
        (name = "manager", description = "A tenant's menu and orders (X-Tenant-ID + manager API key)"),
        (name = "storefront", description = "What a customer's browser calls; the tenant comes from Host"),
        (name = "health", description = "Liveness and readiness"),
    ),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The ADMIN_TOKEN the service was started with"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "manager_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The manager_api_key returned when the tenant was provisioned; send the \
                         tenant's id as X-Tenant-ID too",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "staff_session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "chameleon_session",
                    "A staff member's session (POST /api/v1/manager/session or \
                     /api/v1/manager/setup on the restaurant's own host): every manager \
                     endpoint takes it instead of X-Tenant-ID and the manager key, on the \
                     restaurant's own host, within the member's role (403 `forbidden` \
                     otherwise); a change must carry an Origin (or Referer) of that host \
                     (403 `csrf_rejected`)",
                ),
            )),
        );
    }
}

/// Every time zone the service knows, as the `enum` of each request body's `timezone`: the
/// schema then admits exactly the names the service accepts (the bundled IANA database).
struct TimeZoneNames;

impl Modify for TimeZoneNames {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::Schema;
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| chameleon_core::hours::TimeZoneName::parse(name).is_ok())
            .collect();
        names.sort();
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::Object(object)) = schema else {
                continue;
            };
            if let Some(RefOr::T(Schema::Object(timezone))) = object.properties.get_mut("timezone")
            {
                let mut values: Vec<serde_json::Value> = names
                    .iter()
                    .map(|n| serde_json::Value::from(n.as_str()))
                    .collect();
                let nullable =
                    serde_json::to_string(&timezone.schema_type).is_ok_and(|t| t.contains("null"));
                if nullable {
                    values.push(serde_json::Value::Null);
                }
                timezone.enum_values = Some(values);
            }
        }
    }
}

/// The document, as served.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    constraints::Constraints.modify(&mut document);
    document
}

/// The document before [`constraints`] are applied (for checking that each finds its field).
pub fn document_without_constraints() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
