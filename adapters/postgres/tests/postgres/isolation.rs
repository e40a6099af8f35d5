//! Tenant isolation as PostgreSQL enforces it: the seed's Leakage Test, roles that cannot reach
//! other schemas, and many concurrent transactions over few connections.

use std::collections::HashMap;
use std::sync::Arc;

use super::support::TestDb;
use chameleon_core::menu::MenuItem;
use chameleon_core::tenant::Tenant;
use chameleon_postgres::TenantTx;
use chameleon_postgres::sqlstate::is_permission_denied;
use uuid::Uuid;

use super::support::{
    add_item, all_orders, count, open, order_of, provision, service, store_items,
};

#[tokio::test]
async fn the_leakage_test_at_the_repository_level() {
    let db = TestDb::new().await;
    let app = service(&db);
    let a = provision(&app, "a.com").await;
    let b = provision(&app, "b.com").await;
    let burger = add_item(&app, &a, "Burger", 900).await;
    add_item(&app, &b, "Salad", 700).await;

    let a_menu = store_items(&app, &a).await;
    assert_eq!(
        a_menu.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["Burger"]
    );
    let a_manager_menu = app.menu.list_menu_items(&a).await.unwrap();
    assert_eq!(a_manager_menu, vec![burger.clone()]);

    app.ordering
        .place_order(&open(&a), order_of(&burger, 1, "John Doe"))
        .await
        .unwrap();
    assert!(all_orders(&app, &b).await.is_empty());

    // And as the database itself sees it, with no adapter in between.
    assert_eq!(count(&db, b.schema.as_str(), "orders").await, 0);
    assert_eq!(count(&db, a.schema.as_str(), "orders").await, 1);
    assert_eq!(count(&db, a.schema.as_str(), "menu_items").await, 1);
    assert_eq!(count(&db, b.schema.as_str(), "menu_items").await, 1);
}

#[tokio::test]
async fn a_transaction_bound_to_one_tenant_is_denied_the_other_tenants_schema() {
    let db = TestDb::new().await;
    let app = service(&db);
    let a = provision(&app, "a.com").await;
    let b = provision(&app, "b.com").await;
    add_item(&app, &b, "Salad", 700).await;

    for sql in [
        format!("SELECT * FROM \"{}\".menu_items", b.schema),
        format!("SELECT * FROM \"{}\".orders", b.schema),
        format!(
            "INSERT INTO \"{}\".orders VALUES (gen_random_uuid(), 'x', 'PENDING', 1, '[1]')",
            b.schema
        ),
        "SELECT * FROM public.tenants".to_owned(),
    ] {
        let sql: &'static str = Box::leak(sql.into_boxed_str());
        let mut tx = TenantTx::begin(db.pool(), &a).await.unwrap();
        let err = tx.query(sql, &[]).await.expect_err(sql);
        let denied = err
            .chain()
            .filter_map(|e| e.downcast_ref())
            .any(is_permission_denied);
        assert!(denied, "{sql}: {err}");
    }
    assert_eq!(count(&db, b.schema.as_str(), "orders").await, 0);

    // Unqualified names resolve to the bound tenant's own tables.
    let mut tx = TenantTx::begin(db.pool(), &a).await.unwrap();
    let rows = tx
        .query(
            "SELECT current_user::text, count(*) FROM menu_items GROUP BY 1",
            &[],
        )
        .await
        .unwrap();
    assert!(rows.is_empty(), "A has no items, B's Salad must not show");
    let who = tx.query("SELECT current_user::text", &[]).await.unwrap();
    assert_eq!(who[0].get::<_, String>(0), a.schema.as_str());
}

#[tokio::test]
async fn each_tenant_role_is_named_like_its_schema_and_reaches_only_it() {
    let db = TestDb::new().await;
    let app = service(&db);
    let tenants = [
        provision(&app, "a.com").await,
        provision(&app, "b.com").await,
        provision(&app, "c.com").await,
    ];
    let inspect = db.inspect().await;
    for tenant in &tenants {
        let role = tenant.schema.as_str();
        let row = inspect
            .query_one(
                "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolinherit \
                 FROM pg_roles WHERE rolname = $1",
                &[&role],
            )
            .await
            .expect("the tenant's role exists");
        let flags: (bool, bool, bool, bool, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        // LOGIN on Citus only: the coordinator connects to the tenant's worker as its role.
        let login = db.citus().is_some();
        assert_eq!(
            flags,
            (login, false, false, false, false),
            "{role}: NOLOGIN (LOGIN on Citus) and nothing else"
        );

        let privileges = |sql: &'static str, object: String| {
            let inspect = &inspect;
            async move {
                inspect
                    .query_one(sql, &[&role, &object])
                    .await
                    .unwrap()
                    .get::<_, bool>(0)
            }
        };
        let own = role.to_owned();
        assert!(privileges("SELECT has_schema_privilege($1, $2, 'USAGE')", own.clone()).await);
        assert!(!privileges("SELECT has_schema_privilege($1, $2, 'CREATE')", own.clone()).await);
        assert!(
            privileges(
                "SELECT has_table_privilege($1, $2, 'SELECT,INSERT,UPDATE,DELETE')",
                format!("{own}.orders")
            )
            .await
        );
        assert!(
            !privileges(
                "SELECT has_table_privilege($1, $2, 'SELECT')",
                format!("{own}.refinery_schema_history")
            )
            .await,
            "migration history is not the tenant's to read"
        );
        assert!(
            !privileges(
                "SELECT has_table_privilege($1, $2, 'SELECT')",
                "public.tenants".into()
            )
            .await
        );
        for other in tenants.iter().filter(|t| t.id != tenant.id) {
            let theirs = other.schema.to_string();
            assert!(
                !privileges(
                    "SELECT has_schema_privilege($1, $2, 'USAGE')",
                    theirs.clone()
                )
                .await
            );
            assert!(
                !privileges(
                    "SELECT has_table_privilege($1, $2, 'SELECT')",
                    format!("{theirs}.orders")
                )
                .await
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_over_two_connections_land_only_in_their_own_tenant() {
    const TENANTS: usize = 20;
    const ORDERS: usize = 400;
    // 400 transactions queued at once for two connections: on Citus over loopback on two CPUs
    // (each transaction opens its worker connection anew) the last waits longer than the
    // service's 5 s. The test checks where rows land, not how fast.
    let db =
        Arc::new(TestDb::with_pool_size_and_wait(2, std::time::Duration::from_secs(120)).await);
    let app = Arc::new(service(&db));
    let mut tenants: Vec<(Tenant, MenuItem)> = Vec::new();
    for n in 0..TENANTS {
        let tenant = provision(&*app, &format!("t{n}.localhost")).await;
        // A price unique to the tenant: an order priced from another tenant's menu would show.
        let item = add_item(&*app, &tenant, &format!("dish of t{n}"), 100 + n as i64).await;
        tenants.push((tenant, item));
    }
    let tenants = Arc::new(tenants);

    let tasks = (0..ORDERS).map(|n| {
        let (app, db, tenants) = (app.clone(), db.clone(), tenants.clone());
        tokio::spawn(async move {
            let (tenant, item) = &tenants[n % TENANTS];
            match n % 5 {
                // Rolled back on purpose: written, then abandoned (explicitly or by dropping).
                0 | 1 => {
                    let mut tx = TenantTx::begin(db.pool(), tenant).await.unwrap();
                    tx.query(
                        "INSERT INTO orders (id, customer_name, status, total_amount, items) \
                         VALUES ($1, $2, 'PENDING', 1, '[{}]')",
                        &[&Uuid::new_v4(), &format!("rolled back {n}")],
                    )
                    .await
                    .unwrap();
                    if n % 5 == 0 {
                        tx.rollback().await.unwrap();
                    } else {
                        drop(tx);
                    }
                    None
                }
                _ => {
                    let order = app
                        .ordering
                        .place_order(
                            &open(tenant),
                            order_of(
                                item,
                                1 + (n % 3) as i64,
                                &format!("t{} order {n}", n % TENANTS),
                            ),
                        )
                        .await
                        .unwrap()
                        .into_order();
                    Some((n % TENANTS, order.id))
                }
            }
        })
    });
    let mut committed: HashMap<usize, Vec<Uuid>> = HashMap::new();
    for task in tasks.collect::<Vec<_>>() {
        if let Some((tenant, id)) = task.await.unwrap() {
            committed.entry(tenant).or_default().push(id.as_uuid());
        }
    }

    let inspect = db.inspect().await;
    let mut seen = 0;
    for (n, (tenant, item)) in tenants.iter().enumerate() {
        let rows = inspect
            .query(
                &format!(
                    "SELECT id, customer_name, total_amount FROM \"{}\".orders",
                    tenant.schema
                ),
                &[],
            )
            .await
            .unwrap();
        let mut ids: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
        ids.sort();
        let mut expected = committed.remove(&n).unwrap_or_default();
        expected.sort();
        assert_eq!(
            ids, expected,
            "tenant {n} holds exactly its committed orders"
        );
        for row in &rows {
            let customer: String = row.get(1);
            assert!(
                customer.starts_with(&format!("t{n} order ")),
                "{customer} in t{n}"
            );
            let total: i64 = row.get(2);
            assert_eq!(
                total % i64::from(item.price.cents()),
                0,
                "priced from t{n}'s menu"
            );
        }
        seen += rows.len();
    }
    assert_eq!(
        seen,
        ORDERS * 3 / 5,
        "every placed order committed, no rolled back one did"
    );
}
