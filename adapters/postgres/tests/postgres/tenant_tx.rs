//! The tenant-bound transaction's hygiene: what a connection carries back to the pool.

use std::time::Duration;

use chameleon_postgres::TenantTx;

use super::support::TestDb;

use super::support::{add_item, all_orders, provision, service};

/// Role, search path and open transaction id of the pool's only connection, as seen by a
/// control-plane (not tenant-bound) statement. A transaction that wrote and was never ended would
/// still show its transaction id.
async fn session_state(db: &TestDb) -> (String, String, Option<String>) {
    let conn = db.pool().get().await.unwrap();
    let row = conn
        .client()
        .query_one(
            "SELECT current_user::text, current_setting('search_path'), \
                    txid_current_if_assigned()::text",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test]
async fn a_transaction_dropped_midway_is_rolled_back_before_the_connection_is_reused() {
    let db = TestDb::with_pool_size(1).await;
    let app = service(&db);
    let tenant = provision(&app, "a.com").await;
    let clean = session_state(&db).await;
    assert_eq!(clean.2, None, "a fresh connection has no transaction");

    let mut tx = TenantTx::begin(db.pool(), &tenant).await.unwrap();
    tx.query(
        "INSERT INTO menu_items (id, name, price) VALUES (gen_random_uuid(), 'Ghost', 1)",
        &[],
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(
        session_state(&db).await,
        clean,
        "role and search_path are reset"
    );
    assert!(
        app.menu.list_menu_items(&tenant).await.unwrap().is_empty(),
        "the insert was rolled back"
    );

    // A request cancelled while its statement is in flight: the server is asked to cancel the
    // statement (seen in pg_stat_activity: it stops running long before it would have ended),
    // and the connection is not reused (the next transaction gets a clean one at once, instead
    // of waiting behind the statement).
    let mut tx = TenantTx::begin(db.pool(), &tenant).await.unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(200), tx.query(CANCEL_PROBE, &[])).await;
    assert!(cancelled.is_err(), "the statement outlived the timeout");
    let admin = db.inspect().await;
    assert!(
        running(&admin).await,
        "the probe runs on the server before the request is dropped"
    );
    let dropped_at = std::time::Instant::now();
    drop(tx);
    while running(&admin).await {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(10),
            "the statement still runs 10 s after its request was dropped: no cancel reached it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(session_state(&db).await, clean);
    assert!(
        dropped_at.elapsed() < Duration::from_secs(10),
        "the next transaction did not wait for the statement"
    );
}

/// A statement that runs for a minute unless it is cancelled, marked so it can be found.
const CANCEL_PROBE: &str = "SELECT pg_sleep(60) /* chameleon-cancel-probe */ FROM menu_items \
     UNION ALL SELECT pg_sleep(60) /* chameleon-cancel-probe */";

/// Whether the probe runs on the server now.
async fn running(admin: &tokio_postgres::Client) -> bool {
    admin
        .query_one(
            "SELECT count(*) > 0 FROM pg_stat_activity \
             WHERE state = 'active' AND query LIKE '%chameleon-cancel-probe%' \
             AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn statements_are_prepared_once_per_connection_whatever_the_tenant() {
    let db = TestDb::with_pool_size(1).await;
    let app = service(&db);
    let a = provision(&app, "a.com").await;
    let b = provision(&app, "b.com").await;
    add_item(&app, &a, "Burger", 900).await;
    add_item(&app, &b, "Salad", 700).await;

    let prepared = || async {
        let conn = db.pool().get().await.unwrap();
        conn.client()
            .query_one("SELECT count(*) FROM pg_prepared_statements", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    // Warm up: every statement the next loop uses is prepared once.
    app.menu.list_menu_items(&a).await.unwrap();
    all_orders(&app, &a).await;
    let warm = prepared().await;
    for _ in 0..25 {
        for tenant in [&a, &b] {
            let items = app.menu.list_menu_items(tenant).await.unwrap();
            assert_eq!(items.len(), 1);
            all_orders(&app, tenant).await;
        }
    }
    assert_eq!(prepared().await, warm, "no statement was prepared again");
    // One statement, two tenants: each read saw its own tenant's table.
    assert_eq!(
        app.menu.list_menu_items(&a).await.unwrap()[0].name.as_str(),
        "Burger"
    );
    assert_eq!(
        app.menu.list_menu_items(&b).await.unwrap()[0].name.as_str(),
        "Salad"
    );
}

/// A TCP relay between the pool and the server that counts round trips: each time the client
/// speaks after the server has answered is one more.
async fn round_trip_counter(
    upstream: (String, u16),
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let turns = Arc::new(AtomicUsize::new(0));
    let counted = turns.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect((upstream.0.as_str(), upstream.1))
                .await
                .unwrap();
            let (turns, answered) = (counted.clone(), Arc::new(AtomicBool::new(true)));
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let asked = answered.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = client_read.read(&mut buf).await {
                    if asked.swap(false, Ordering::SeqCst) {
                        turns.fetch_add(1, Ordering::SeqCst);
                    }
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = server_read.read(&mut buf).await {
                    answered.store(true, Ordering::SeqCst);
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, turns)
}

/// Checking a staff session costs a manager request no round trip: it rides behind `BEGIN`. A
/// read of the menu, and a change of an item, take as many round trips with a session as with
/// the API key (measured on the wire, between the pool and the server).
#[tokio::test]
async fn a_session_check_adds_no_round_trip() {
    use std::sync::atomic::Ordering;

    use chameleon_core::ports::StaffRepository as _;
    use chameleon_core::staff::{
        Acting, Credential, Email, Grant, NewStaffUser, PasswordHash, Permission, Role, StaffName,
        Token,
    };
    use chameleon_postgres::{PgPool, PgSettings};

    use super::support::service_on;

    let db = TestDb::new().await;
    let app = service(&db);
    let tenant = provision(&app, "trips.localhost").await;
    let item = add_item(&app, &tenant, "Soup", 450).await;
    let day = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap();
    let grant = |token: &Token| Grant {
        digest: token.digest(),
        expires_at: day,
        idle: Duration::from_secs(3600),
    };
    let (setup, session) = (
        Token::from_random_bytes([1; 32]),
        Token::from_random_bytes([2; 32]),
    );
    let staff = app.staff.repository();
    staff
        .invite(
            &tenant.acting(Acting::new(
                Credential::Platform,
                Permission::ManageStaff,
                None,
            )),
            NewStaffUser {
                email: Email::parse("owner@trips.example").unwrap(),
                name: StaffName::parse("Owner").unwrap(),
                role: Role::Owner,
            },
            grant(&setup),
        )
        .await
        .unwrap();
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into());
    staff
        .redeem_setup(&tenant, setup.digest(), hash, grant(&session))
        .await
        .unwrap();

    let config: tokio_postgres::Config = db.url().parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        other => panic!("a TCP test server, not {other:?}"),
    };
    let (port, turns) = round_trip_counter((host, config.get_ports()[0])).await;
    let url = db
        .url()
        .replace(
            &format!(":{}/", config.get_ports()[0]),
            &format!(":{port}/"),
        )
        .replace(
            &format!("port={}", config.get_ports()[0]),
            &format!("port={port}"),
        );
    let mut settings = PgSettings::new(&url);
    settings.max_connections = 1;
    let pool = PgPool::new(&settings).unwrap();
    let app = service_on(&pool);
    let as_key = |p| tenant.acting(Acting::new(Credential::ApiKey, p, None));
    let as_session = |p| tenant.acting(Acting::new(Credential::Session(session.digest()), p, None));
    let count = || turns.load(Ordering::SeqCst);
    let patch = || chameleon_core::menu::MenuItemPatch {
        is_available: Some(true),
        ..Default::default()
    };
    // Warm: the connection is open and every statement prepared.
    for _ in 0..2 {
        for t in [
            as_key(Permission::EditMenu),
            as_session(Permission::EditMenu),
        ] {
            app.menu.list_menu_items(&t).await.unwrap();
            app.menu
                .update_menu_item(&t, item.id, patch())
                .await
                .unwrap();
        }
    }
    let before = count();
    app.menu
        .list_menu_items(&as_key(Permission::ReadMenu))
        .await
        .unwrap();
    let read_key = count() - before;
    let before = count();
    app.menu
        .list_menu_items(&as_session(Permission::ReadMenu))
        .await
        .unwrap();
    let read_session = count() - before;
    let before = count();
    app.menu
        .update_menu_item(&as_key(Permission::EditMenu), item.id, patch())
        .await
        .unwrap();
    let change_key = count() - before;
    let before = count();
    app.menu
        .update_menu_item(&as_session(Permission::EditMenu), item.id, patch())
        .await
        .unwrap();
    let change_session = count() - before;
    eprintln!(
        "round trips: read {read_key} (key) {read_session} (session); \
         change {change_key} (key) {change_session} (session)"
    );
    assert_eq!(read_key, 1, "a menu read is one round trip");
    assert_eq!(
        read_session, read_key,
        "the session check adds none to a read"
    );
    assert_eq!(change_session, change_key, "nor to a change");
}
