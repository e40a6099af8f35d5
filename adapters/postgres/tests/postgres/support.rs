//! Shared set-up for the PostgreSQL tests.

use chameleon_core::menu::{MenuItem, MenuItemName, NewMenuItem, PriceCents};
use chameleon_core::order::{CustomerName, OrderLines, OrderRequest, Quantity};
use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_core::tenant::{Domain, ManagerApiKey, NewTenant, Tenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use chameleon_provisioning::{CacheSettings, PgPorts};
use chameleon_testkit::TestDb;

pub fn service(db: &TestDb) -> Chameleon<PgPorts> {
    chameleon_provisioning::service(db.pool().clone(), CacheSettings::default())
}

pub async fn provision<P: Ports>(app: &Chameleon<P>, domain: &str) -> Tenant {
    app.provision_tenant(NewTenant {
        domain: Domain::parse(domain).unwrap(),
        name: TenantName::parse(domain).unwrap(),
        theme: Theme {
            primary_color: ThemeColor::parse("#123456").unwrap(),
            font: Font::Georgia,
        },
        manager_key_hash: ManagerApiKey::from_random_bytes([9; 32]).hash(),
    })
    .await
    .expect("provisioning")
}

pub async fn add_item<P: Ports>(
    app: &Chameleon<P>,
    tenant: &Tenant,
    name: &str,
    cents: i64,
) -> MenuItem {
    app.create_menu_item(
        tenant,
        NewMenuItem {
            name: MenuItemName::parse(name).unwrap(),
            price: PriceCents::try_from(cents).unwrap(),
            is_available: true,
        },
    )
    .await
    .expect("creating a menu item")
}

pub fn order_of(item: &MenuItem, qty: i64, customer: &str) -> OrderRequest {
    OrderRequest {
        customer: CustomerName::parse(customer).unwrap(),
        lines: OrderLines::parse([(item.id, Quantity::try_from(qty).unwrap())]).unwrap(),
    }
}

/// Rows in `<schema>.<table>`, counted by the administrative user.
pub async fn count(db: &TestDb, schema: &str, table: &str) -> i64 {
    db.inspect()
        .await
        .query_one(
            &format!("SELECT count(*) FROM \"{schema}\".\"{table}\""),
            &[],
        )
        .await
        .expect("counting rows")
        .get(0)
}
