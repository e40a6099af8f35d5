//! Wire bodies to domain values (parsing, every problem reported at once) and back.

use std::time::SystemTime;

use chameleon_core::menu::{
    MenuItem, MenuItemId, MenuItemName, MenuItemPatch, NewMenuItem, PriceCents,
};
use chameleon_core::order::{CustomerName, Order, OrderLines, OrderRequest, Quantity};
use chameleon_core::service::StoreConfig;
use chameleon_core::tenant::{Domain, Tenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use chameleon_wire as wire;

use crate::error::ApiError;

/// Collects field errors so one response names every problem of a body.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check<T, E: std::fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|e| self.0.push(format!("{field}: {e}")))
            .ok()
    }

    /// `Ok(value)` when no problem was recorded (every `Option` is then `Some`).
    fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        match (self.0.is_empty(), build()) {
            (true, Some(value)) => Ok(value),
            _ => Err(ApiError::Unprocessable(self.0.join("; "))),
        }
    }
}

fn parse_theme(problems: &mut Problems, theme: &wire::Theme) -> Option<Theme> {
    let primary_color = problems.check(
        "theme.primary_color",
        ThemeColor::parse(&theme.primary_color),
    );
    let font = problems.check("theme.font", Font::parse(&theme.font));
    Some(Theme {
        primary_color: primary_color?,
        font: font?,
    })
}

/// The validated parts of a provisioning request.
pub fn new_tenant(body: &wire::ProvisionRequest) -> Result<(Domain, TenantName, Theme), ApiError> {
    let mut problems = Problems::default();
    let domain = problems.check("domain", Domain::parse(&body.domain));
    let name = match (&body.name, &domain) {
        (Some(name), _) => problems.check("name", TenantName::parse(name)),
        // Without a name the storefront shows the domain, which always fits a name.
        (None, Some(domain)) => problems.check("name", TenantName::parse(domain.as_str())),
        (None, None) => None,
    };
    let theme = parse_theme(&mut problems, &body.theme);
    problems.finish(|| Some((domain?, name?, theme?)))
}

pub fn new_menu_item(body: &wire::NewMenuItem) -> Result<NewMenuItem, ApiError> {
    let mut problems = Problems::default();
    let name = problems.check("name", MenuItemName::parse(&body.name));
    let price = problems.check("price", PriceCents::try_from(body.price));
    problems.finish(|| {
        Some(NewMenuItem {
            name: name?,
            price: price?,
            is_available: body.is_available.unwrap_or(true),
        })
    })
}

pub fn menu_patch(body: &wire::MenuItemPatch) -> Result<MenuItemPatch, ApiError> {
    let mut problems = Problems::default();
    let name = body
        .name
        .as_deref()
        .map(|name| problems.check("name", MenuItemName::parse(name)));
    let price = body
        .price
        .map(|price| problems.check("price", PriceCents::try_from(price)));
    // A field present but invalid was recorded as a problem, so `flatten` only ever turns
    // "absent" into `None` by the time `finish` uses the value.
    problems.finish(|| {
        Some(MenuItemPatch {
            name: name.flatten(),
            price: price.flatten(),
            is_available: body.is_available,
        })
    })
}

pub fn order_request(body: &wire::PlaceOrder) -> Result<OrderRequest, ApiError> {
    let mut problems = Problems::default();
    let customer = problems.check("customer", CustomerName::parse(&body.customer));
    let mut lines = Vec::with_capacity(body.items.len());
    for (n, line) in body.items.iter().enumerate() {
        if let Some(qty) = problems.check(&format!("items[{n}].qty"), Quantity::try_from(line.qty))
        {
            lines.push((MenuItemId::from_uuid(line.id), qty));
        }
    }
    let lines = if lines.len() == body.items.len() {
        problems.check("items", OrderLines::parse(lines))
    } else {
        None
    };
    problems.finish(|| {
        Some(OrderRequest {
            customer: customer?,
            lines: lines?,
        })
    })
}

pub fn theme(theme: &Theme) -> wire::Theme {
    wire::Theme {
        primary_color: theme.primary_color.as_str().to_owned(),
        font: theme.font.name().to_owned(),
    }
}

pub fn tenant_summary(tenant: &Tenant) -> wire::TenantSummary {
    wire::TenantSummary {
        tenant_id: tenant.id.as_uuid(),
        schema_name: tenant.schema.as_str().to_owned(),
        domain: tenant.domain.as_str().to_owned(),
        name: tenant.name.as_str().to_owned(),
        theme: theme(&tenant.theme),
    }
}

pub fn menu_item(item: &MenuItem) -> wire::MenuItem {
    wire::MenuItem {
        id: item.id.as_uuid(),
        name: item.name.as_str().to_owned(),
        price: i64::from(item.price.cents()),
        is_available: item.is_available,
    }
}

pub fn order(order: &Order) -> wire::Order {
    wire::Order {
        order_id: order.id.as_uuid(),
        status: order.status.as_str().to_owned(),
        total_amount: order.total_cents,
        items: order
            .items
            .iter()
            .map(|item| wire::OrderItem {
                id: item.id.as_uuid(),
                name: item.name.as_str().to_owned(),
                price: i64::from(item.price.cents()),
                qty: i64::from(item.qty.get()),
            })
            .collect(),
        customer: order.customer.as_str().to_owned(),
        created_at: rfc3339(order.created_at),
    }
}

pub fn store_config(config: StoreConfig) -> wire::StoreConfig {
    wire::StoreConfig {
        tenant_id: config.tenant_id.as_uuid(),
        name: config.name.as_str().to_owned(),
        theme: theme(&config.theme),
        css: config.css,
    }
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn detail(err: ApiError) -> String {
        match err {
            ApiError::Unprocessable(detail) => detail,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let body = wire::ProvisionRequest {
            domain: "not a domain".into(),
            name: Some(" ".into()),
            theme: wire::Theme {
                primary_color: "#ff0000; } body { display: none".into(),
                font: "Comic Sans".into(),
            },
        };
        let detail = detail(new_tenant(&body).unwrap_err());
        for field in ["domain:", "name:", "theme.primary_color:", "theme.font:"] {
            assert!(detail.contains(field), "{detail}");
        }
    }

    #[test]
    fn a_missing_name_defaults_to_the_domain() {
        let body = wire::ProvisionRequest {
            domain: "Pizza.localhost".into(),
            name: None,
            theme: wire::Theme {
                primary_color: "#f00".into(),
                font: "serif".into(),
            },
        };
        let (domain, name, _) = new_tenant(&body).unwrap();
        assert_eq!(
            (domain.as_str(), name.as_str()),
            ("pizza.localhost", "pizza.localhost")
        );
    }

    #[test]
    fn order_lines_are_checked_one_by_one() {
        let body = wire::PlaceOrder {
            items: vec![
                wire::OrderLine {
                    id: Uuid::nil(),
                    qty: 0,
                },
                wire::OrderLine {
                    id: Uuid::max(),
                    qty: 100,
                },
            ],
            customer: "".into(),
        };
        let detail = detail(order_request(&body).unwrap_err());
        assert!(detail.contains("items[0].qty"), "{detail}");
        assert!(detail.contains("items[1].qty"), "{detail}");
        assert!(detail.contains("customer"), "{detail}");
    }

    #[test]
    fn an_order_without_items_is_refused() {
        let body = wire::PlaceOrder {
            items: vec![],
            customer: "Ann".into(),
        };
        assert!(detail(order_request(&body).unwrap_err()).contains("at least one item"));
    }

    #[test]
    fn a_patch_validates_only_what_it_carries() {
        let ok = menu_patch(&wire::MenuItemPatch {
            price: Some(5),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.price.map(PriceCents::cents), Some(5));
        assert!(ok.name.is_none());
        let bad = menu_patch(&wire::MenuItemPatch {
            price: Some(-5),
            ..Default::default()
        });
        assert!(detail(bad.unwrap_err()).contains("price"));
    }
}
