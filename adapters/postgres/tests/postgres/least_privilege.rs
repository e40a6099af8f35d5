//! The role that serves requests can provision and serve tenants, and nothing else: every way a
//! stolen serving credential could try to become more is refused by the database itself.

use chameleon_core::menu::{MenuItemName, NewMenuItem, PriceCents};
use chameleon_postgres::{PgPool, PgSettings};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::support::{
    SERVING_PASSWORD, SERVING_ROLE, TestDb, new_tenant, open, order_of, scalar, service_on,
};

/// A connection as the serving role, the way the running service connects.
async fn serving(db: &TestDb) -> Client {
    chameleon_testkit::connect(&db.url_as(SERVING_ROLE, SERVING_PASSWORD))
        .await
        .expect("connecting as the serving role")
}

#[tokio::test]
async fn the_serving_role_provisions_and_serves_tenants() {
    let db = TestDb::new().await;
    let pool = PgPool::new(&PgSettings::new(db.url_as(SERVING_ROLE, SERVING_PASSWORD))).unwrap();
    let app = service_on(&pool);
    let tenant = app
        .tenancy
        .provision_tenant(new_tenant("lean.localhost"))
        .await
        .unwrap();
    let item = app
        .menu
        .create_menu_item(
            &tenant,
            NewMenuItem::plain(
                MenuItemName::parse("Soup").unwrap(),
                PriceCents::try_from(450).unwrap(),
            ),
        )
        .await
        .unwrap();
    let order = app
        .ordering
        .place_order(&open(&tenant), order_of(&item, 2, "Ada"))
        .await
        .unwrap()
        .into_order();
    assert_eq!(order.total_cents, 900);

    let admin = db.inspect().await;
    let (member, inherits): (bool, bool) = {
        let row = admin
            .query_one(
                "SELECT pg_has_role($1, $2, 'MEMBER'), pg_has_role($1, $2, 'USAGE')",
                &[&SERVING_ROLE, &tenant.schema.as_str()],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(member, "the serving role may SET ROLE to the tenant");
    assert!(
        !inherits,
        "NOINHERIT: the tenant's privileges are not the serving role's by default"
    );
    let owner: String = scalar(
        &admin,
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1",
        &[&tenant.schema.as_str()],
    )
    .await;
    assert_eq!(
        owner, "chameleon_owner",
        "the serving role owns no tenant schema"
    );
    pool.close();
}

#[tokio::test]
async fn the_serving_role_has_no_attribute_and_no_membership_beyond_its_tenants() {
    let db = TestDb::new().await;
    let app = service_on(db.pool());
    app.tenancy
        .provision_tenant(new_tenant("a.localhost"))
        .await
        .unwrap();
    let client = serving(&db).await;
    let row = client
        .query_one(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit, \
                    has_database_privilege(current_user, current_database(), 'CREATE'), \
                    has_schema_privilege(current_user, 'public', 'CREATE') \
               FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap();
    for (n, attribute) in [
        "SUPERUSER",
        "CREATEROLE",
        "CREATEDB",
        "REPLICATION",
        "BYPASSRLS",
        "INHERIT",
        "CREATE on the database",
        "CREATE on public",
    ]
    .iter()
    .enumerate()
    {
        assert!(!row.get::<_, bool>(n), "the serving role has {attribute}");
    }
    let others: Vec<String> = client
        .query(
            "SELECT roleid::regrole::text FROM pg_auth_members \
              WHERE member = current_user::regrole \
                AND roleid::regrole::text !~ '^tenant_[0-9a-f]{32}$'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(others.is_empty(), "member of non-tenant roles: {others:?}");
}

#[tokio::test]
async fn every_escalation_the_serving_role_tries_is_refused() {
    let db = TestDb::new().await;
    let client = serving(&db).await;
    let me = SERVING_ROLE;
    let attempts = [
        format!("GRANT pg_execute_server_program TO {me}"),
        format!("GRANT pg_read_server_files TO {me}"),
        format!("GRANT pg_write_server_files TO {me}"),
        format!("GRANT pg_read_all_data TO {me}"),
        format!("GRANT chameleon_owner TO {me}"),
        "CREATE ROLE someone_else LOGIN".to_owned(),
        format!("ALTER ROLE {me} SUPERUSER"),
        format!("ALTER ROLE {me} CREATEROLE"),
        format!("ALTER ROLE {me} CREATEDB"),
        format!("ALTER ROLE {me} BYPASSRLS"),
        format!("ALTER ROLE {me} REPLICATION"),
        "COPY (SELECT 1) TO PROGRAM 'touch /tmp/chameleon-escalated'".to_owned(),
        "COPY (SELECT 1) TO '/tmp/chameleon-escalated'".to_owned(),
        "CREATE EXTENSION pgcrypto".to_owned(),
        "CREATE SCHEMA escalated".to_owned(),
        "CREATE TABLE public.escalated (id int)".to_owned(),
        "SELECT rolpassword FROM pg_authid".to_owned(),
        "SET ROLE chameleon_owner".to_owned(),
        "SET ROLE postgres".to_owned(),
        "SET ROLE pg_read_all_data".to_owned(),
        "SET ROLE pg_execute_server_program".to_owned(),
        "SELECT chameleon_sys.migrate_tenant(gen_random_uuid())".to_owned(),
        "SELECT chameleon_sys.grant_serving(current_user)".to_owned(),
        "INSERT INTO chameleon_sys.tenant_migrations VALUES (99, 'x', 'x', 'SELECT 1')".to_owned(),
        "UPDATE public.tenants SET name = 'taken over'".to_owned(),
        "CREATE OR REPLACE FUNCTION chameleon_sys.tenant_schema(uuid) RETURNS name \
         LANGUAGE sql AS 'SELECT ''public''::name'"
            .to_owned(),
    ];
    for sql in &attempts {
        let err = client
            .batch_execute(sql)
            .await
            .expect_err(&format!("{sql} was allowed"));
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
}

#[tokio::test]
async fn provisioning_through_the_function_takes_only_what_it_validates() {
    let db = TestDb::new().await;
    let client = serving(&db).await;
    // A domain the service would never send is refused by the table's own checks, and leaves
    // nothing behind.
    let err = client
        .execute(
            "SELECT chameleon_sys.provision_tenant(gen_random_uuid(), $1, 'x', '{}', $2)",
            &[&"evil\"; DROP SCHEMA public; --", &vec![0u8; 32]],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION), "{err}");
    let tenants: i64 = scalar(
        &db.inspect().await,
        "SELECT count(*) FROM public.tenants",
        &[],
    )
    .await;
    assert_eq!(tenants, 0);
    let schemas: i64 = scalar(
        &db.inspect().await,
        "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'",
        &[],
    )
    .await;
    assert_eq!(schemas, 0);
}
