//! On a real Citus 13.2.2 cluster (a coordinator and two workers on loopback, built from the
//! vendored source by `deploy/scripts/citus.sh`): what only Citus can get wrong. The suites
//! that matter everywhere (leakage, atomicity, isolation, orders under concurrency,
//! migrations) run on Citus too: `make test` runs them again with `CHAMELEON_TEST_CITUS=1`.
//!
//! One test at a time: the Citus tests share the cluster's roles (roles belong to a node, not
//! to a database), and each install gives the owner role a new worker password.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chameleon_core::ports::ProvisionTenantError;
use chameleon_core::tenant::{SchemaName, Tenant, TenantId};
use chameleon_postgres::PgProvisioner;
use chameleon_postgres::sqlstate::is_permission_denied;
use tokio::sync::Mutex;
use tokio_postgres::Client;
use uuid::Uuid;

use super::support::{
    TestDb, add_item, add_tenant_migration, count, migrate_fleet, new_tenant, open, order_of,
    provision, scalar, service, store_items,
};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// The loopback port of the worker holding `tenant`'s schema (all its tables on one node).
async fn worker_port_of(inspect: &Client, tenant: &Tenant) -> i32 {
    let ports: Vec<i32> = inspect
        .query(
            "SELECT DISTINCT nodeport FROM citus_shards \
              WHERE citus_table_type = 'schema' AND table_name::text LIKE $1 || '.%'",
            &[&tenant.schema.as_str()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ports.len(), 1, "{}: one node holds it all", tenant.schema);
    ports[0]
}

#[tokio::test]
async fn a_tenant_schema_goes_whole_to_one_worker_with_its_credential() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = service(&db);
    let inspect = db.inspect().await;
    let cluster = db.citus().unwrap().clone();
    let coordinator_port = i32::from(cluster.coordinator().port);
    let worker_ports: Vec<i32> = cluster.workers().iter().map(|w| w.port.into()).collect();

    let tenants = [
        provision(&app, "a.localhost").await,
        provision(&app, "b.localhost").await,
        provision(&app, "c.localhost").await,
        provision(&app, "d.localhost").await,
    ];
    let mut placed = Vec::new();
    for tenant in &tenants {
        let schema = tenant.schema.as_str();
        let distributed: i64 = scalar(
            &inspect,
            "SELECT count(*) FROM pg_dist_schema WHERE schemaid = to_regnamespace($1)",
            &[&schema],
        )
        .await;
        assert_eq!(distributed, 1, "{schema} is a distributed schema");
        let tables: i64 = scalar(
            &inspect,
            "SELECT count(*) FROM citus_shards WHERE table_name::text LIKE $1 || '.%'",
            &[&schema],
        )
        .await;
        assert_eq!(
            tables, 10,
            "{schema}: categories, menu_items, option_groups, orders, the five staff tables and \
             history are Citus tables"
        );
        let port = worker_port_of(&inspect, tenant).await;
        assert_ne!(port, coordinator_port, "{schema} is not on the coordinator");
        assert!(worker_ports.contains(&port));
        placed.push(port);

        let credentials: i64 = scalar(
            &inspect,
            "SELECT count(*) FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = $1 \
                AND authinfo ~ '^password=[0-9a-f]{64}$'",
            &[&schema],
        )
        .await;
        assert_eq!(
            credentials, 1,
            "{schema}: a generated secret, stored for Citus only"
        );
    }
    // Citus spreads new schemas over the workers.
    assert!(
        worker_ports.iter().all(|p| placed.contains(p)),
        "{placed:?}"
    );

    // On every worker: each tenant role, able to log in, in the group pg_hba names.
    for worker in db.workers().await {
        for tenant in &tenants {
            let row = worker
                .query_one(
                    "SELECT rolcanlogin, rolsuper, rolcreaterole, pg_has_role(rolname, 'chameleon_tenants', 'MEMBER') \
                       FROM pg_roles WHERE rolname = $1",
                    &[&tenant.schema.as_str()],
                )
                .await
                .expect("the tenant role exists on every worker");
            let flags: (bool, bool, bool, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
            assert_eq!(flags, (true, false, false, true), "{}", tenant.schema);
        }
    }
}

#[tokio::test]
async fn a_provisioning_failing_at_commit_leaves_nothing_on_any_node() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let inspect = db.inspect().await;
    // A check that fails only when the transaction commits: after the schema, the role, the
    // credential and the tables have reached a worker, inside Citus's two-phase commit.
    inspect
        .batch_execute(
            "CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$; \
             CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON public.tenants \
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
               EXECUTE FUNCTION public.refuse_at_commit();",
        )
        .await
        .unwrap();
    let provisioner = PgProvisioner::new(db.pool().clone());
    let id = TenantId::from_uuid(Uuid::new_v4());
    let failed = provisioner
        .provision_with_id(id, new_tenant("broken.localhost"))
        .await;
    assert!(
        matches!(failed, Err(ProvisionTenantError::Unknown(_))),
        "{failed:?}"
    );
    let name = SchemaName::for_tenant(id);
    let name = name.as_str();
    let on_coordinator: (i64, i64, i64, i64, i64) = {
        let row = inspect
            .query_one(
                "SELECT (SELECT count(*) FROM public.tenants), \
                        (SELECT count(*) FROM pg_namespace WHERE nspname = $1), \
                        (SELECT count(*) FROM pg_roles WHERE rolname = $1), \
                        (SELECT count(*) FROM pg_dist_authinfo WHERE rolename = $1), \
                        (SELECT count(*) FROM pg_dist_schema)",
                &[&name],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
    };
    assert_eq!(
        on_coordinator,
        (0, 0, 0, 0, 0),
        "nothing on the coordinator"
    );
    for worker in db.workers().await {
        let row = worker
            .query_one(
                "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = $1), \
                        (SELECT count(*) FROM pg_roles WHERE rolname = $1), \
                        (SELECT count(*) FROM pg_class WHERE relname LIKE 'orders%' \
                           OR relname LIKE 'menu_items%'), \
                        (SELECT count(*) FROM pg_prepared_xacts)",
                &[&name],
            )
            .await
            .unwrap();
        let left: (i64, i64, i64, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(
            left,
            (0, 0, 0, 0),
            "nothing on a worker, no transaction in doubt"
        );
    }

    // And once the check is gone, the same domain provisions and serves.
    inspect
        .batch_execute("DROP TRIGGER refuse_at_commit ON public.tenants")
        .await
        .unwrap();
    let app = service(&db);
    let tenant = provision(&app, "broken.localhost").await;
    add_item(&app, &tenant, "Soup", 500).await;
    assert_eq!(store_items(&app, &tenant).await.len(), 1);
}

#[tokio::test]
async fn on_the_workers_a_tenant_role_is_refused_every_other_tenant() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = service(&db);
    let tenants = [
        provision(&app, "a.localhost").await,
        provision(&app, "b.localhost").await,
        provision(&app, "c.localhost").await,
    ];
    for tenant in &tenants {
        let item = add_item(&app, tenant, "Bread", 300).await;
        app.ordering
            .place_order(&open(tenant), order_of(&item, 1, "Ann"))
            .await
            .unwrap();
    }
    for worker in db.workers().await {
        for me in &tenants {
            for other in tenants.iter().filter(|t| t.id != me.id) {
                // The shell table Citus keeps on every node, and the shard itself where it is.
                let shards: Vec<String> = worker
                    .query(
                        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
                           JOIN pg_namespace n ON n.oid = c.relnamespace \
                          WHERE n.nspname = $1 AND c.relkind = 'r' \
                            AND c.relname ~ '^(orders|menu_items)(_[0-9]+)?$'",
                        &[&other.schema.as_str()],
                    )
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                assert!(!shards.is_empty());
                for table in shards {
                    let sql = format!(
                        "BEGIN; SET LOCAL ROLE \"{}\"; SELECT count(*) FROM {table}",
                        me.schema
                    );
                    let denied = worker.batch_execute(&sql).await.unwrap_err();
                    worker.batch_execute("ROLLBACK").await.unwrap();
                    assert!(
                        is_permission_denied(&denied),
                        "{} reading {table}: {denied}",
                        me.schema
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn tenant_roles_log_in_from_the_nodes_only_never_over_a_local_socket() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = service(&db);
    let tenant = provision(&app, "a.localhost").await;
    let secret: String = scalar(
        &db.inspect().await,
        "SELECT substr(authinfo, length('password=') + 1) FROM pg_dist_authinfo WHERE rolename = $1",
        &[&tenant.schema.as_str()],
    )
    .await;
    let cluster = db.citus().unwrap();
    let worker = &cluster.workers()[0];
    let socket = format!(
        "host={} port={} user={} password={secret} dbname={}",
        worker.cluster.socket_dir().display(),
        worker.port,
        tenant.schema,
        db.name()
    );
    let refused = chameleon_testkit::connect(&socket).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("pg_hba.conf rejects"),
        "{refused:#}"
    );
    // From a node's address (loopback here: every node is), with the secret, it may.
    let tcp = format!(
        "host=127.0.0.1 port={} user={} password={secret} dbname={}",
        worker.port,
        tenant.schema,
        db.name()
    );
    chameleon_testkit::connect(&tcp).await.unwrap();
}

#[tokio::test]
async fn a_table_a_later_migration_creates_joins_its_tenants_worker() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = service(&db);
    let tenants = [
        provision(&app, "a.localhost").await,
        provision(&app, "b.localhost").await,
    ];
    add_tenant_migration(
        &db,
        "reviews",
        "CREATE TABLE reviews (id uuid PRIMARY KEY, body text NOT NULL); \
         ALTER TABLE menu_items ADD COLUMN calories integer;",
    )
    .await;
    let report = migrate_fleet(&db).await;
    assert_eq!((report.tenants, report.migrated), (2, 2));
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let inspect = db.inspect().await;
    for tenant in &tenants {
        let same_group: bool = scalar(
            &inspect,
            "SELECT p.colocationid = s.colocationid FROM pg_dist_partition p \
               JOIN pg_dist_schema s ON s.schemaid = to_regnamespace($1) \
              WHERE p.logicalrelid = to_regclass($1 || '.reviews')",
            &[&tenant.schema.as_str()],
        )
        .await;
        assert!(
            same_group,
            "{}: reviews is in the schema's group",
            tenant.schema
        );
        let tables: i64 = scalar(
            &inspect,
            "SELECT count(*) FROM citus_shards WHERE table_name::text LIKE $1 || '.%'",
            &[&tenant.schema.as_str()],
        )
        .await;
        assert_eq!(
            tables, 11,
            "categories, menu_items, option_groups (V6), orders, the five staff tables (V5), \
             reviews, history"
        );
        worker_port_of(&inspect, tenant).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_moved_to_the_other_worker_while_taking_orders_loses_no_request() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = Arc::new(service(&db));
    let tenant = provision(&app, "moving.localhost").await;
    let item = add_item(&app, &tenant, "Pizza", 1200).await;
    let inspect = db.inspect().await;
    let from = worker_port_of(&inspect, &tenant).await;
    let to = db
        .citus()
        .unwrap()
        .workers()
        .iter()
        .map(|w| i32::from(w.port))
        .find(|p| *p != from)
        .unwrap();

    let running = Arc::new(AtomicBool::new(true));
    let placed = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for n in 0..4 {
        let (app, tenant, item) = (app.clone(), tenant.clone(), item.clone());
        let (running, placed) = (running.clone(), placed.clone());
        clients.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            while running.load(Ordering::Relaxed) {
                match app
                    .ordering
                    .place_order(&open(&tenant), order_of(&item, 1, &format!("Guest {n}")))
                    .await
                {
                    Ok(_) => {
                        placed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => failures.push(format!("{err:?}")),
                }
            }
            failures
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = placed.load(Ordering::Relaxed);
    inspect
        .execute(
            "SELECT citus_schema_move($1::text::regnamespace, '127.0.0.1'::text, $2::int)",
            &[&tenant.schema.as_str(), &to],
        )
        .await
        .expect("citus_schema_move");
    let at_move = placed.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.store(false, Ordering::Relaxed);
    let mut failures = Vec::new();
    for client in clients {
        failures.extend(client.await.unwrap());
    }
    let total = placed.load(Ordering::Relaxed);
    eprintln!(
        "orders: {before} before the move, {} during it, {} after; {} failed",
        at_move - before,
        total - at_move,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert!(before > 0 && total > at_move, "{before} {at_move} {total}");
    // The claim is "while taking orders": orders were placed while the move ran, not only
    // before and after it.
    assert!(
        at_move > before,
        "no order was placed during the move ({before} before, {total} in all)"
    );
    assert_eq!(worker_port_of(&inspect, &tenant).await, to, "moved");
    let stored = count(&db, tenant.schema.as_str(), "orders").await;
    assert_eq!(
        stored,
        i64::try_from(total).unwrap(),
        "every order placed is stored once"
    );
}

#[tokio::test]
async fn a_removed_tenant_leaves_nothing_on_any_node_and_no_credential() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = TestDb::on_citus().await;
    let app = service(&db);
    let inspect = db.inspect().await;
    let gone = provision(&app, "gone.localhost").await;
    let kept = provision(&app, "kept.localhost").await;
    let item = add_item(&app, &gone, "Soup", 450).await;
    app.ordering
        .place_order(&open(&gone), order_of(&item, 1, "Ada"))
        .await
        .unwrap();
    let domain = chameleon_core::tenant::Domain::parse("gone.localhost").unwrap();
    app.tenancy.delete_tenant(gone.id, &domain).await.unwrap();

    let schema = gone.schema.as_str();
    let left: i64 = scalar(
        &inspect,
        "SELECT (SELECT count(*) FROM pg_dist_authinfo WHERE rolename = $1) \
              + (SELECT count(*) FROM pg_dist_schema WHERE schemaid::regnamespace::text = $1) \
              + (SELECT count(*) FROM pg_namespace WHERE nspname = $1) \
              + (SELECT count(*) FROM pg_roles WHERE rolname = $1)",
        &[&schema],
    )
    .await;
    assert_eq!(left, 0, "the coordinator keeps nothing of {schema}");
    for worker in db.workers().await {
        let left: i64 = scalar(
            &worker,
            "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = $1) \
                  + (SELECT count(*) FROM pg_roles WHERE rolname = $1)",
            &[&schema],
        )
        .await;
        assert_eq!(left, 0, "a worker keeps nothing of {schema}");
        let kept_schema: i64 = scalar(
            &worker,
            "SELECT count(*) FROM pg_roles WHERE rolname = $1",
            &[&kept.schema.as_str()],
        )
        .await;
        assert_eq!(kept_schema, 1, "the other tenant's role stays");
    }
    // The other tenant still takes orders, and the domain can be provisioned again.
    let soup = add_item(&app, &kept, "Soup", 450).await;
    app.ordering
        .place_order(&open(&kept), order_of(&soup, 1, "Ada"))
        .await
        .unwrap();
    let again = provision(&app, "gone.localhost").await;
    assert_ne!(again.id, gone.id);
    assert_eq!(count(&db, again.schema.as_str(), "orders").await, 0);
}
