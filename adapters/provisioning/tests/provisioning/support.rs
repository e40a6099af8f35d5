//! Shared set-up for the provisioning tests.

use chameleon_core::tenant::{Domain, ManagerApiKey, NewTenant, TenantName};
use chameleon_core::theme::{Font, Theme, ThemeColor};
use tokio_postgres::Client;

pub fn new_tenant(domain: &str) -> NewTenant {
    NewTenant {
        domain: Domain::parse(domain).unwrap(),
        name: TenantName::parse("Test Kitchen").unwrap(),
        theme: Theme {
            primary_color: ThemeColor::parse("#00aa00").unwrap(),
            font: Font::SansSerif,
        },
        manager_key_hash: ManagerApiKey::from_random_bytes([3; 32]).hash(),
    }
}

/// Single-value query by the administrative user.
pub async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> T {
    client.query_one(sql, params).await.expect(sql).get(0)
}

/// Whether anything of the tenant with schema/role `name` exists: its row, schema, role.
pub async fn traces(client: &Client, name: &str) -> (i64, i64, i64) {
    (
        scalar(
            client,
            "SELECT count(*) FROM public.tenants WHERE schema_name = $1",
            &[&name],
        )
        .await,
        scalar(
            client,
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&name],
        )
        .await,
        scalar(
            client,
            "SELECT count(*) FROM pg_roles WHERE rolname = $1",
            &[&name],
        )
        .await,
    )
}
