//! The fleet migrator (what `chameleon migrate` runs): every tenant to the latest tenant
//! migration, each all or nothing, a failing tenant alone. On PostgreSQL and, with
//! `CHAMELEON_TEST_CITUS=1`, on Citus: none of these tests is skipped there.

use chameleon_core::idempotency::IdempotencyKey;
use chameleon_core::menu::{CategoryName, NewCategory, Position};
use chameleon_core::order::PlaceOrderRequest;
use chameleon_core::ports::{Placement, TenantProvisioner};
use chameleon_core::tenant::Tenant;
use chameleon_postgres::PgProvisioner;
use chameleon_postgres::provisioning::migrations::tenant_migrations;

use super::support::{
    TestDb, add_item, add_tenant_migration, all_orders, install_settings, migrate_fleet,
    new_tenant, open, order_of, provision, scalar, service,
};

async fn has_calories(db: &TestDb, tenant: &Tenant) -> bool {
    scalar(
        &db.inspect().await,
        "SELECT count(*) = 1 FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = 'menu_items' AND column_name = 'calories'",
        &[&tenant.schema.as_str()],
    )
    .await
}

#[tokio::test]
async fn a_new_migration_reaches_every_tenant_once() {
    let db = TestDb::new().await;
    let v1 = PgProvisioner::new(db.pool().clone());
    let mut tenants = Vec::new();
    for n in 0..3 {
        tenants.push(
            v1.provision(new_tenant(&format!("t{n}.localhost")))
                .await
                .unwrap(),
        );
    }
    let noop = migrate_fleet(&db).await;
    assert_eq!((noop.tenants, noop.attempted, noop.migrated), (3, 0, 0));

    let latest = add_tenant_migration(
        &db,
        "extra",
        "ALTER TABLE menu_items ADD COLUMN calories integer",
    )
    .await;
    let v2 = PgProvisioner::new(db.pool().clone());
    let report = migrate_fleet(&db).await;
    assert_eq!((report.tenants, report.migrated), (3, 3));
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    for tenant in &tenants {
        assert!(has_calories(&db, tenant).await, "{}", tenant.schema);
    }
    let versions: Vec<i32> = db
        .inspect()
        .await
        .query("SELECT schema_version FROM public.tenants", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![latest; 3]);

    let again = migrate_fleet(&db).await;
    assert_eq!((again.tenants, again.attempted, again.migrated), (3, 0, 0));
    // A tenant provisioned now gets the new migration too.
    let late = v2.provision(new_tenant("late.localhost")).await.unwrap();
    assert!(has_calories(&db, &late).await);
}

#[tokio::test]
async fn a_failing_migration_leaves_the_tenant_untouched() {
    let db = TestDb::new().await;
    let v1 = PgProvisioner::new(db.pool().clone());
    let tenant = v1.provision(new_tenant("a.localhost")).await.unwrap();
    let before = tenant_migrations().len() as i32;
    add_tenant_migration(
        &db,
        "extra",
        "ALTER TABLE menu_items ADD COLUMN calories integer; SELECT 1 / 0;",
    )
    .await;
    let report = migrate_fleet(&db).await;
    assert_eq!(report.failed.len(), 1, "the tenant's failure is reported");
    assert_eq!(report.failed[0].tenant.id, tenant.id.as_uuid());
    assert!(!has_calories(&db, &tenant).await);
    let version: i32 = scalar(
        &db.inspect().await,
        "SELECT schema_version FROM public.tenants",
        &[],
    )
    .await;
    assert_eq!(version, before);
    let history: i64 = scalar(
        &db.inspect().await,
        &format!(
            "SELECT count(*) FROM \"{}\".refinery_schema_history",
            tenant.schema
        ),
        &[],
    )
    .await;
    assert_eq!(history, tenant_migrations().len() as i64);
}

#[tokio::test]
async fn installing_again_changes_nothing() {
    let db = TestDb::new().await;
    let settings = install_settings();
    let report = chameleon_postgres::install(db.pool(), &settings)
        .await
        .unwrap();
    assert!(
        report.applied_migrations().is_empty(),
        "the template was already installed"
    );
}

#[tokio::test]
async fn an_edited_released_tenant_migration_is_refused() {
    let db = TestDb::new().await;
    db.inspect()
        .await
        .batch_execute(
            "UPDATE chameleon_sys.tenant_migrations SET checksum = '1' WHERE version = 1",
        )
        .await
        .unwrap();
    let settings = install_settings();
    let refused = chameleon_postgres::install(db.pool(), &settings).await;
    let message = format!("{:#}", refused.unwrap_err());
    assert!(message.contains("must never be edited"), "{message}");
}

/// A fleet of tenants from every earlier release (on Citus: from V2, the first Citus ran
/// with) gets every later tenant migration from the fleet migrator (on Citus, in the forms Citus
/// takes, the new tables joining the tenant's co-location group), and then works like new
/// tenants do: keyed orders, categories.
#[tokio::test]
async fn tenants_from_every_earlier_release_work_like_new_ones_once_migrated() {
    let db = TestDb::new().await;
    let latest = tenant_migrations().len() as i32;
    let first = if db.citus().is_some() { 2 } else { 1 };
    let admin = db.inspect().await;
    let app = service(&db);
    let mut old = Vec::new();
    // Newest first: each release knew its own migrations and none after.
    for version in (first..latest).rev() {
        admin
            .execute(
                "DELETE FROM chameleon_sys.tenant_migrations WHERE version > $1",
                &[&version],
            )
            .await
            .unwrap();
        let tenant = provision(&app, &format!("v{version}.localhost")).await;
        assert_eq!(schema_version(&db, &tenant).await, version);
        old.push(tenant);
    }

    // The new release: `chameleon migrate` stores its migrations and rolls them out.
    chameleon_postgres::install(db.pool(), &install_settings())
        .await
        .unwrap();
    let report = migrate_fleet(&db).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!((report.tenants, report.migrated), (old.len(), old.len()));

    for tenant in &old {
        assert_eq!(schema_version(&db, tenant).await, latest);
        let item = add_item(&app, tenant, "Burger", 900).await;
        let keyed = || PlaceOrderRequest {
            placed_at: jiff::Timestamp::now(),
            tracking_token: chameleon_core::order::TrackingToken::parse(&"A".repeat(43)).unwrap(),
            idempotency_key: Some(IdempotencyKey::parse("checkout-1").unwrap()),
            ..order_of(&item, 2, "Old Guest")
        };
        let placed = app
            .ordering
            .place_order(&open(tenant), keyed())
            .await
            .unwrap();
        let Placement::Placed(placed) = placed else {
            panic!("the first request was not placed: {placed:?}");
        };
        let again = app
            .ordering
            .place_order(&open(tenant), keyed())
            .await
            .unwrap();
        assert_eq!(again, Placement::Replayed(placed.clone()));
        assert_eq!(all_orders(&app, tenant).await, vec![placed]);
        // What the later migrations brought (categories, V4) works as for a new tenant.
        let category = app
            .menu
            .create_category(
                tenant,
                NewCategory {
                    name: CategoryName::parse("Mains").unwrap(),
                    position: Position::try_from(1).unwrap(),
                    serving_hours: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            app.menu.list_categories(tenant).await.unwrap(),
            vec![category]
        );
        // And staff (V5): an owner invited, set up, signed in, the session checked in the
        // transaction, the audit trail written.
        staff_work_on(&app, tenant).await;
        // And option groups (V6): the burger (stored before them) offered a group, an order
        // with an option priced and stored with its snapshot.
        options_work_on(&app, tenant, &item).await;
        // And pickup times (V7): a slot takes its capacity and no more.
        pickup_works_on(&app, tenant, &item).await;
    }
}

async fn pickup_works_on(
    app: &chameleon_core::service::Chameleon<super::support::PgPorts>,
    tenant: &Tenant,
    item: &chameleon_core::menu::MenuItem,
) {
    use chameleon_core::order::{OrderRejection, TrackingToken};
    use chameleon_core::pickup::{PickupPatch, SlotCapacity};
    use chameleon_core::ports::PlaceOrderError;
    use chameleon_core::tenant::TenantPatch;
    let tenant = app
        .tenancy
        .update_tenant(
            tenant.id,
            TenantPatch {
                pickup: PickupPatch {
                    slot_capacity: Some(Some(SlotCapacity::try_from(1).unwrap())),
                    ..PickupPatch::default()
                },
                ..TenantPatch::default()
            },
        )
        .await
        .unwrap();
    // Always open, in UTC: tomorrow at noon is a slot.
    let now = jiff::Timestamp::now();
    let noon = tenant
        .settings
        .today(now)
        .checked_add(jiff::ToSpan::day(1))
        .unwrap()
        .at(12, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    let request = || {
        let mut request = order_of(item, 1, "Later Guest");
        request.placed_at = now;
        request.order.pickup_at = Some(noon);
        request.tracking_token = TrackingToken::parse(&"C".repeat(43)).unwrap();
        request
    };
    let placed = app
        .ordering
        .place_order(&open(&tenant), request())
        .await
        .unwrap()
        .into_order();
    assert_eq!(
        (placed.pickup_at, placed.ready_at),
        (Some(noon), Some(noon))
    );
    assert!(matches!(
        app.ordering.place_order(&open(&tenant), request()).await,
        Err(PlaceOrderError::Rejected(OrderRejection::SlotFull { .. }))
    ));
}

async fn options_work_on(
    app: &chameleon_core::service::Chameleon<super::support::PgPorts>,
    tenant: &Tenant,
    item: &chameleon_core::menu::MenuItem,
) {
    use chameleon_core::menu::MenuItemPatch;
    use chameleon_core::order::{CustomerName, OrderLines, OrderRequest, Quantity};
    let extras =
        chameleon_core::contract::add_group(app, tenant, "Extras", 0, 2, &[("Cheese", 100)]).await;
    app.menu
        .update_menu_item(
            tenant,
            item.id,
            MenuItemPatch {
                option_groups: Some(vec![extras.id]),
                ..MenuItemPatch::default()
            },
        )
        .await
        .unwrap();
    let placed = app
        .ordering
        .place_order(
            &open(tenant),
            PlaceOrderRequest {
                order: OrderRequest {
                    pickup_at: None,
                    customer: CustomerName::parse("Old Guest").unwrap(),
                    lines: OrderLines::parse_with_options([(
                        item.id,
                        Quantity::try_from(1).unwrap(),
                        vec![extras.options[0].id],
                    )])
                    .unwrap(),
                },
                idempotency_key: None,
                placed_at: jiff::Timestamp::now(),
                tracking_token: chameleon_core::order::TrackingToken::parse(&"B".repeat(43))
                    .unwrap(),
            },
        )
        .await
        .unwrap()
        .into_order();
    assert_eq!(placed.total_cents, 900 + 100);
    assert_eq!(placed.items[0].options[0].name.as_str(), "Cheese");
    assert!(all_orders(app, tenant).await.contains(&placed));
}

/// Invites an owner, redeems their link, and reads the audit trail with their session.
async fn staff_work_on(
    app: &chameleon_core::service::Chameleon<super::support::PgPorts>,
    tenant: &Tenant,
) {
    use chameleon_core::ports::StaffRepository as _;
    use chameleon_core::staff::{
        Acting, Credential, Email, Grant, NewStaffUser, PasswordHash, Permission, Role, StaffName,
        Token,
    };
    let staff = app.staff.repository();
    let day = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap();
    let grant = |token: &Token| Grant {
        digest: token.digest(),
        expires_at: day,
        idle: std::time::Duration::from_secs(3600),
    };
    let platform = tenant.acting(Acting::new(
        Credential::Platform,
        Permission::ManageStaff,
        Some("req-1".into()),
    ));
    let setup = Token::from_random_bytes([9; 32]);
    let owner = staff
        .invite(
            &platform,
            NewStaffUser {
                email: Email::parse("owner@old.example").unwrap(),
                name: StaffName::parse("Owner").unwrap(),
                role: Role::Owner,
            },
            grant(&setup),
        )
        .await
        .unwrap();
    let session = Token::from_random_bytes([8; 32]);
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into());
    staff
        .redeem_setup(tenant, setup.digest(), hash, grant(&session))
        .await
        .unwrap();
    let signed_in = tenant.acting(Acting::new(
        Credential::Session(session.digest()),
        Permission::ReadAudit,
        None,
    ));
    let page = staff.audit(&signed_in, 10, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].action, "staff.invite");
    assert_eq!(page.items[0].actor, "platform");
    assert_eq!(page.items[0].target, Some(owner.id.to_string()));
    assert_eq!(page.items[0].request_id.as_deref(), Some("req-1"));
    let me = staff.me(&signed_in).await.unwrap().unwrap().0;
    assert_eq!(
        (me.id, me.email, me.role),
        (owner.id, owner.email, owner.role)
    );
    // Another session of nobody is refused inside the transaction.
    let stranger = tenant.acting(Acting::new(
        Credential::Session(Token::from_random_bytes([7; 32]).digest()),
        Permission::ReadAudit,
        None,
    ));
    let refused = staff.audit(&stranger, 10, None).await.unwrap_err();
    let chameleon_core::ports::StaffError::Unknown(err) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        chameleon_core::ports::AccessRefused::in_chain(&err),
        Some(chameleon_core::ports::Refusal::NoSession)
    );
}

/// The Citus form of a tenant migration makes the schema the migration makes: the same columns
/// and the same constraints, named alike (what a later migration may refer to).
#[tokio::test]
async fn a_citus_form_makes_the_schema_its_migration_makes() {
    let db = TestDb::new().await;
    let admin = db.inspect().await;
    for (file, citus_sql) in chameleon_postgres::provisioning::migrations::CITUS_FORMS {
        let version: i32 = file[1..file.find("__").unwrap()].parse().unwrap();
        let migration = tenant_migrations()
            .into_iter()
            .find(|m| m.version() == version)
            .unwrap();
        let mut catalogs = Vec::new();
        for sql in [migration.sql().unwrap(), *citus_sql] {
            // A schema (and its role) shaped like a tenant's: the migrations insist on it.
            let schema = format!("tenant_{}", uuid::Uuid::new_v4().simple());
            admin
                .batch_execute(&format!("CREATE ROLE {schema} NOLOGIN"))
                .await
                .unwrap();
            db.drop_role_afterwards(&schema);
            // The schema as the migrations before this one leave it, then this one.
            let mut batch = format!("CREATE SCHEMA {schema}; SET search_path TO {schema};");
            for earlier in tenant_migrations().iter().filter(|m| m.version() < version) {
                batch.push_str(earlier.sql().unwrap());
                batch.push(';');
            }
            batch.push_str(sql);
            batch.push_str("; RESET search_path;");
            admin.batch_execute(&batch).await.unwrap();
            catalogs.push(catalog(&admin, &schema).await);
        }
        assert_eq!(catalogs[0], catalogs[1], "{file}");
    }
}

/// Every column (table, name, type, nullability) and constraint (table, name, definition) of a
/// schema, sorted.
async fn catalog(admin: &tokio_postgres::Client, schema: &str) -> Vec<String> {
    let mut lines: Vec<String> = admin
        .query(
            "SELECT format('column %s.%s %s %s', table_name, column_name, data_type, is_nullable) \
               FROM information_schema.columns WHERE table_schema = $1 \
             UNION ALL \
             SELECT format('constraint %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid)) \
               FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
              WHERE c.relnamespace = to_regnamespace($1) \
             UNION ALL \
             SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = $1",
            &[&schema],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<_, String>(0).replace(schema, "<schema>"))
        .collect();
    lines.sort();
    lines
}

async fn schema_version(db: &TestDb, tenant: &Tenant) -> i32 {
    scalar(
        &db.inspect().await,
        "SELECT schema_version FROM public.tenants WHERE id = $1",
        &[&tenant.id.as_uuid()],
    )
    .await
}
