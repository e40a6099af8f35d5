//! Shared set-up for the PostgreSQL tests.

use chameleon_core::menu::MenuItem;
use chameleon_core::order::{CustomerName, OrderLines, OrderRequest, Quantity};
use chameleon_core::service::Chameleon;
use chameleon_provisioning::{CacheSettings, PgPorts};
use chameleon_testkit::TestDb;

pub fn service(db: &TestDb) -> Chameleon<PgPorts> {
    chameleon_provisioning::service(db.pool().clone(), CacheSettings::default())
}

// The port contract's own set-up helpers serve these tests too.
pub use chameleon_core::contract::{add_item, provision};

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
