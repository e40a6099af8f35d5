//! The OpenAPI document, served at `/api-docs/openapi.json` and rendered by Swagger UI at `/docs/`.
//!
//! # Layout
//! - this module: the operations, components, security schemes and time zones.
//! - [`constraints`]: every constraint on a value, made from core's rules.

pub mod constraints;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers::{health, manager, store, system};
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
        system::provision_tenant,
        system::list_tenants,
        system::get_tenant,
        system::update_tenant,
        system::delete_tenant,
        system::add_domain,
        system::remove_domain,
        system::export_tenant,
        manager::create_menu_item,
        manager::list_menu_items,
        manager::get_menu_item,
        manager::update_menu_item,
        manager::delete_menu_item,
        manager::create_category,
        manager::list_categories,
        manager::update_category,
        manager::delete_category,
        manager::list_orders,
        manager::confirm_order,
        manager::change_order_status,
        manager::rotate_manager_key,
        manager::update_settings,
        store::get_store_config,
        store::list_store_menu,
        store::place_order,
        store::track_order,
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
