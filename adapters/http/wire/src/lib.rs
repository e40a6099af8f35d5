//! Chameleon's HTTP wire types: the JSON bodies of the API, as plain serde structs.
//!
//! This crate lives inside the HTTP adapter's folder because it is that adapter's contract; it
//! is a crate of its own so the WASM storefront can share it without pulling in actix or core.
//!
//! The HTTP adapter turns request bodies into domain values in its `convert` module (the core's
//! types have no `Deserialize` on purpose), with one function per body rather than `TryFrom`:
//! a body yields several domain values and its 422 names every invalid field at once. It turns
//! domain values into response bodies there too. The Yew storefront
//! uses the same structs, so client and server cannot disagree on a field name. This crate
//! depends on serde and uuid only; with the `openapi` feature it also derives utoipa schemas.
//!
//! Request bodies reject unknown fields: a misspelt `is_availble` is an error, not silently
//! ignored.
//!
//! # Layout
//! Everything is in this file, grouped by API area: system, manager, storefront, problems.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

// --- system -----------------------------------------------------------------------------------

/// A tenant's brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// `#rgb` or `#rrggbb`.
    #[cfg_attr(feature = "openapi", schema(example = "#ff0000"))]
    pub primary_color: String,
    /// A generic CSS family (`serif`, `sans-serif`, `monospace`, `cursive`, `fantasy`,
    /// `system-ui`, `ui-serif`, `ui-sans-serif`, `ui-monospace`, `ui-rounded`) or one of `Arial`,
    /// `Helvetica`, `Verdana`, `Tahoma`, `Trebuchet MS`, `Georgia`, `Garamond`,
    /// `Times New Roman`, `Courier New`.
    #[cfg_attr(feature = "openapi", schema(example = "sans-serif"))]
    pub font: String,
}

/// Body of `POST /api/v1/sys/provision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// The storefront's hostname, e.g. `pizza.localhost`. Case, a port and a trailing dot are
    /// ignored; international names are stored in punycode.
    #[cfg_attr(feature = "openapi", schema(example = "pizza.localhost"))]
    pub domain: String,
    /// The restaurant's display name (1 to 100 characters); the domain when omitted.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Pizza Palace"))]
    pub name: Option<String>,
    pub theme: Theme,
}

/// A registered tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TenantSummary {
    pub tenant_id: Uuid,
    /// Name of the tenant's PostgreSQL schema, and of its database role.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "tenant_6f9619ff8b86d011b42d00c04fc964ff")
    )]
    pub schema_name: String,
    pub domain: String,
    pub name: String,
    pub theme: Theme,
}

/// Response of `POST /api/v1/sys/provision`: the tenant, and its manager API key, shown this
/// once and never again (only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProvisionedTenant {
    pub tenant_id: Uuid,
    pub schema_name: String,
    pub domain: String,
    pub name: String,
    pub theme: Theme,
    /// `Authorization: Bearer <manager_api_key>` with `X-Tenant-ID: <tenant_id>` on the manager
    /// endpoints.
    pub manager_api_key: String,
}

// --- manager ----------------------------------------------------------------------------------

/// Response of `POST /api/v1/manager/key`: the tenant's new manager API key, shown this once.
/// The key used to ask for it stopped working when this was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RotatedManagerKey {
    pub tenant_id: Uuid,
    /// `Authorization: Bearer <manager_api_key>` with `X-Tenant-ID: <tenant_id>` from now on.
    pub manager_api_key: String,
}

/// Body of `POST /api/v1/manager/menu`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMenuItem {
    /// 1 to 120 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Margherita Pizza"))]
    pub name: String,
    /// In cents, 0 to 10000000.
    #[cfg_attr(feature = "openapi", schema(example = 1200))]
    pub price: i64,
    /// Defaults to `true`.
    #[serde(default)]
    pub is_available: Option<bool>,
}

/// Body of `PATCH /api/v1/manager/menu/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MenuItemPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub price: Option<i64>,
    #[serde(default)]
    pub is_available: Option<bool>,
}

/// A menu item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MenuItem {
    pub id: Uuid,
    pub name: String,
    /// In cents.
    pub price: i64,
    pub is_available: bool,
}

/// One line of an order: a snapshot of the item at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderItem {
    pub id: Uuid,
    pub name: String,
    /// Unit price in cents, as stored when the order was placed.
    pub price: i64,
    pub qty: i64,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Order {
    pub order_id: Uuid,
    /// `PENDING` or `CONFIRMED`.
    #[cfg_attr(feature = "openapi", schema(example = "PENDING"))]
    pub status: String,
    /// In cents, computed by the server from stored prices.
    pub total_amount: i64,
    pub items: Vec<OrderItem>,
    pub customer: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

// --- storefront -------------------------------------------------------------------------------

/// Response of `GET /api/v1/store/config`: everything a storefront needs to brand itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StoreConfig {
    pub tenant_id: Uuid,
    pub name: String,
    pub theme: Theme,
    /// The theme as CSS custom properties, e.g.
    /// `:root { --primary: #ff0000; --font: sans-serif; }`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = ":root { --primary: #ff0000; --font: sans-serif; }")
    )]
    pub css: String,
}

/// One line of `POST /api/v1/store/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// A menu item of this restaurant.
    pub id: Uuid,
    /// 1 to 99.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub qty: i64,
}

/// Body of `POST /api/v1/store/orders`. Prices are never sent: the server takes them from the
/// menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// 1 to 100 lines; lines naming the same item are added up.
    pub items: Vec<OrderLine>,
    /// The guest's name, 1 to 100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "John Doe"))]
    pub customer: String,
}

// --- health and problems ----------------------------------------------------------------------

/// Response of `/healthz` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub status: String,
}

/// An error, as `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// Always `about:blank`: `title` and `code` say what kind of problem this is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// A stable, machine-readable code, e.g. `validation_failed`, `domain_taken`.
    pub code: String,
}

/// The media type of [`Problem`] bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_reject_unknown_fields() {
        let typo = r#"{"name": "Burger", "price": 900, "is_availble": false}"#;
        assert!(serde_json::from_str::<NewMenuItem>(typo).is_err());
    }

    #[test]
    fn optional_fields_may_be_left_out() {
        let item: NewMenuItem =
            serde_json::from_str(r#"{"name": "Burger", "price": 900}"#).unwrap();
        assert_eq!(item.is_available, None);
        let patch: MenuItemPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(patch, MenuItemPatch::default());
    }

    #[test]
    fn problems_carry_their_type_under_its_rfc_name() {
        let json = serde_json::to_value(Problem {
            kind: "about:blank".into(),
            title: "Not Found".into(),
            status: 404,
            detail: "no restaurant here".into(),
            code: "unknown_tenant".into(),
        })
        .unwrap();
        assert_eq!(json["type"], "about:blank");
    }
}
