//! Provisioning is one transaction: all of a tenant or nothing of it.

use super::support::TestDb;
use chameleon_core::ports::{ProvisionTenantError, TenantProvisioner};
use chameleon_core::tenant::{SchemaName, TenantId};
use chameleon_postgres::PgProvisioner;
use chameleon_postgres::provisioning::migrations::tenant_migrations;
use futures_util::future::join_all;
use uuid::Uuid;

use super::support::{add_tenant_migration, latest_tenant_version, new_tenant, scalar, traces};

#[tokio::test]
async fn a_provisioned_tenant_has_its_row_schema_role_tables_and_history() {
    let db = TestDb::new().await;
    let provisioner = PgProvisioner::new(db.pool().clone());
    let tenant = provisioner
        .provision(new_tenant("Pizza.Localhost"))
        .await
        .unwrap();
    let name = tenant.schema.as_str();
    let inspect = db.inspect().await;

    assert_eq!(traces(&inspect, name).await, (1, 1, 1));
    let row = inspect
        .query_one(
            "SELECT domain, name, theme::text, schema_version, octet_length(manager_key_hash) \
             FROM public.tenants WHERE id = $1",
            &[&tenant.id.as_uuid()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pizza.localhost");
    assert_eq!(row.get::<_, String>(1), "Test Kitchen");
    assert_eq!(
        row.get::<_, String>(2),
        r##"{"font": "sans-serif", "primary_color": "#00aa00"}"##
    );
    assert_eq!(row.get::<_, i32>(3), latest_tenant_version(&db).await);
    assert_eq!(row.get::<_, i32>(4), 32, "only the key's hash is stored");

    let tables: Vec<String> = inspect
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        [
            "audit_log",
            "categories",
            "menu_items",
            "option_groups",
            "orders",
            "refinery_schema_history",
            "sign_in_failures",
            "staff_sessions",
            "staff_setup_tokens",
            "staff_users",
        ]
    );
    let history: i64 = scalar(
        &inspect,
        &format!("SELECT count(*) FROM \"{name}\".refinery_schema_history"),
        &[],
    )
    .await;
    assert_eq!(history, tenant_migrations().len() as i64);
    let role_can_login: bool = scalar(
        &inspect,
        "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1",
        &[&name],
    )
    .await;
    // On Citus the coordinator logs in to the tenant's worker as the tenant's role, with a
    // secret only pg_dist_authinfo holds (docs/scaling.md); elsewhere nobody logs in as it.
    assert_eq!(role_can_login, db.citus().is_some());
    if db.citus().is_some() {
        let credentials: i64 = scalar(
            &inspect,
            "SELECT count(*) FROM pg_dist_authinfo WHERE rolename = $1 AND nodeid = 0",
            &[&name],
        )
        .await;
        assert_eq!(credentials, 1);
    }
}

#[tokio::test]
async fn a_failure_in_the_last_tenant_migration_leaves_nothing_behind() {
    let db = TestDb::new().await;
    add_tenant_migration(
        &db,
        "fails_halfway",
        "CREATE TABLE loyalty_points (id uuid PRIMARY KEY); SELECT 1 / 0;",
    )
    .await;
    let provisioner = PgProvisioner::new(db.pool().clone());
    let id = TenantId::from_uuid(Uuid::new_v4());
    let failed = provisioner
        .provision_with_id(id, new_tenant("broken.localhost"))
        .await;
    assert!(
        matches!(failed, Err(ProvisionTenantError::Unknown(_))),
        "{failed:?}"
    );

    let inspect = db.inspect().await;
    let name = SchemaName::for_tenant(id);
    assert_eq!(
        traces(&inspect, name.as_str()).await,
        (0, 0, 0),
        "no row, no schema, no role"
    );
    let rows: i64 = scalar(&inspect, "SELECT count(*) FROM public.tenants", &[]).await;
    assert_eq!(rows, 0);
    let leftovers: i64 = scalar(
        &inspect,
        "SELECT count(*) FROM pg_class WHERE relname IN ('menu_items', 'orders', 'loyalty_points')",
        &[],
    )
    .await;
    assert_eq!(
        leftovers, 0,
        "no table of the failed tenant survives anywhere"
    );

    // The domain is still free: once the broken migration is fixed, it can be had.
    db.inspect()
        .await
        .batch_execute(
            "UPDATE chameleon_sys.tenant_migrations SET sql = 'SELECT 1' \
             WHERE name = 'fails_halfway'",
        )
        .await
        .unwrap();
    provisioner
        .provision(new_tenant("broken.localhost"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_provisioning_of_one_domain_has_exactly_one_winner() {
    let db = TestDb::with_pool_size(8).await;
    let provisioner = PgProvisioner::new(db.pool().clone());
    let ids: Vec<TenantId> = (0..8)
        .map(|_| TenantId::from_uuid(Uuid::new_v4()))
        .collect();
    let attempts = join_all(
        ids.iter()
            .map(|id| provisioner.provision_with_id(*id, new_tenant("race.localhost"))),
    )
    .await;
    let winners: Vec<_> = attempts.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{attempts:?}");
    let duplicates = attempts
        .iter()
        .filter(|a| matches!(a, Err(ProvisionTenantError::DuplicateDomain(d)) if d.as_str() == "race.localhost"))
        .count();
    assert_eq!(
        duplicates, 7,
        "every loser is told the domain is taken: {attempts:?}"
    );

    let inspect = db.inspect().await;
    for id in ids {
        let name = SchemaName::for_tenant(id);
        let expected = if id == winners[0].id {
            (1, 1, 1)
        } else {
            (0, 0, 0)
        };
        assert_eq!(traces(&inspect, name.as_str()).await, expected, "{name}");
    }
}
