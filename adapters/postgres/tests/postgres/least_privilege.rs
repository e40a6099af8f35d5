//! The service needs no superuser: a NOINHERIT, CREATEROLE role that owns its database can
//! provision tenants and serve them through the tenant roles.

use super::support::TestDb;
use chameleon_core::menu::{MenuItemName, NewMenuItem, PriceCents};
use chameleon_core::order::{CustomerName, OrderLines, OrderRequest, Quantity};
use chameleon_postgres::{PgPool, PgSettings};
use uuid::Uuid;

use super::support::new_tenant;

#[tokio::test]
async fn a_least_privileged_service_role_provisions_and_serves_tenants() {
    let db = TestDb::new().await;
    let role = format!("chameleon_svc_{}", Uuid::new_v4().simple());
    db.drop_role_afterwards(&role);
    let admin = db.inspect().await;
    admin
        .batch_execute(&format!(
            "CREATE ROLE \"{role}\" LOGIN NOINHERIT CREATEROLE;
             ALTER DATABASE \"{db}\" OWNER TO \"{role}\";
             ALTER SCHEMA public OWNER TO \"{role}\";
             ALTER TABLE public.tenants OWNER TO \"{role}\";",
            db = db.name()
        ))
        .await
        .unwrap();
    let is_super: bool = admin
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .unwrap()
        .get(0);
    assert!(!is_super);

    let pool = PgPool::new(&PgSettings::new(format!("{} user={role}", db.url()))).unwrap();
    let app = super::support::service_on(&pool);
    let tenant = app
        .provision_tenant(new_tenant("lean.localhost"))
        .await
        .unwrap();
    let item = app
        .create_menu_item(
            &tenant,
            NewMenuItem {
                name: MenuItemName::parse("Soup").unwrap(),
                price: PriceCents::try_from(450).unwrap(),
                is_available: true,
            },
        )
        .await
        .unwrap();
    let order = app
        .place_order(
            &tenant,
            OrderRequest {
                customer: CustomerName::parse("Ada").unwrap(),
                lines: OrderLines::parse([(item.id, Quantity::try_from(2).unwrap())]).unwrap(),
            },
        )
        .await
        .unwrap();
    assert_eq!(order.total_cents, 900);

    // The service role reaches the tenant's data only by switching to the tenant's role.
    let member: bool = admin
        .query_one(
            "SELECT pg_has_role($1, $2, 'MEMBER')",
            &[&role, &tenant.schema.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(member, "the service role may SET ROLE to the tenant");
    let inherits: bool = admin
        .query_one(
            "SELECT pg_has_role($1, $2, 'USAGE')",
            &[&role, &tenant.schema.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !inherits,
        "NOINHERIT: the tenant's privileges are not the service's by default"
    );
    pool.close();
}
