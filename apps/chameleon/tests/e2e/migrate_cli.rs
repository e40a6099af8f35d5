//! `chameleon migrate` as an operator runs it: status, dry run, a tenant that cannot be migrated
//! (its tables locked by someone else) reported while the others go on, exit code 2, and a
//! second run resuming with what is left.

use std::process::{Command, Output};

use chameleon_testkit::TestDb;
use serde_json::Value;

use super::stack::{SERVING_PASSWORD, SERVING_ROLE, template};

fn chameleon(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chameleon"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .env("SERVING_ROLE", SERVING_ROLE)
        .env("SERVING_PASSWORD", SERVING_PASSWORD)
        .env("RUST_LOG", "info")
        .output()
        .expect("running chameleon")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Provisions a tenant with the CLI; returns its id and schema.
fn provision(db: &TestDb, domain: &str) -> (String, String) {
    let output = chameleon(db, &["provision", "--domain", domain]);
    assert!(output.status.success(), "{}", text(&output));
    let tenant: Value = serde_json::from_slice(&output.stdout).unwrap();
    (
        tenant["tenant_id"].as_str().unwrap().to_owned(),
        tenant["schema_name"].as_str().unwrap().to_owned(),
    )
}

/// Puts a tenant back at V1, as the release before idempotency keys (V2), order tracking (V3),
/// menu categories (V4), staff accounts (V5), option groups (V6) and pickup times (V7) left it.
async fn back_to_v1(db: &TestDb, id: &str, schema: &str) {
    db.inspect()
        .await
        .batch_execute(&format!(
            "DROP TABLE \"{schema}\".categories, \"{schema}\".option_groups;
             DROP TABLE \"{schema}\".staff_users, \"{schema}\".staff_sessions,
                 \"{schema}\".staff_setup_tokens, \"{schema}\".sign_in_failures,
                 \"{schema}\".audit_log;
             ALTER TABLE \"{schema}\".menu_items DROP COLUMN category_id, DROP COLUMN description,
                 DROP COLUMN image_url, DROP COLUMN tags, DROP COLUMN sold_out_until,
                 DROP COLUMN option_group_ids;
             ALTER TABLE \"{schema}\".orders DROP COLUMN tracking_token;
             ALTER TABLE \"{schema}\".orders DROP COLUMN pickup_at, DROP COLUMN ready_at,
                 DROP COLUMN slot_start;
             DROP INDEX \"{schema}\".orders_idempotency_key;
             ALTER TABLE \"{schema}\".orders DROP COLUMN idempotency_key, DROP COLUMN request_fingerprint;
             DELETE FROM \"{schema}\".refinery_schema_history WHERE version > 1;
             UPDATE public.tenants SET schema_version = 1 WHERE id = '{id}';"
        ))
        .await
        .unwrap();
}

async fn version_of(db: &TestDb, id: &str) -> i32 {
    db.inspect()
        .await
        .query_one(
            &format!("SELECT schema_version FROM public.tenants WHERE id = '{id}'"),
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn an_operator_sees_the_plan_survives_a_stuck_tenant_and_resumes() {
    let db = TestDb::new(&template()).await;
    let (a, a_schema) = provision(&db, "a.localhost");
    let (b, b_schema) = provision(&db, "b.localhost");
    let (c, _) = provision(&db, "c.localhost");
    back_to_v1(&db, &a, &a_schema).await;
    back_to_v1(&db, &b, &b_schema).await;

    let status = chameleon(&db, &["migrate", "status"]);
    let shown = text(&status);
    assert!(status.status.success(), "{shown}");
    assert!(shown.contains("tenants: 3 (2 behind"), "{shown}");
    assert!(
        shown.contains("V1: 2") && shown.contains("V7: 1"),
        "{shown}"
    );

    let dry = chameleon(&db, &["migrate", "--dry-run"]);
    let shown = text(&dry);
    assert!(dry.status.success(), "{shown}");
    assert!(
        shown.contains("2 at V1 would get V2__idempotency_keys"),
        "{shown}"
    );
    assert_eq!(version_of(&db, &a).await, 1, "a dry run changes nothing");

    // Someone holds tenant a's orders table: a's migration gives up after the lock timeout,
    // b's goes through.
    let blocker = db.inspect().await;
    blocker
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE \"{a_schema}\".orders IN ACCESS SHARE MODE"
        ))
        .await
        .unwrap();
    let run = chameleon(&db, &["migrate", "--tenant-lock-timeout-ms", "300"]);
    let shown = text(&run);
    assert_eq!(run.status.code(), Some(2), "{shown}");
    assert!(shown.contains(&format!("FAILED tenant {a}")), "{shown}");
    assert!(
        shown.contains("1 of 2 tenants could not be migrated"),
        "{shown}"
    );
    assert_eq!(version_of(&db, &a).await, 1);
    assert_eq!(version_of(&db, &b).await, 7);
    assert_eq!(version_of(&db, &c).await, 7);

    // Released: the next run migrates only what is left.
    blocker.batch_execute("COMMIT").await.unwrap();
    let again = chameleon(&db, &["migrate"]);
    let shown = text(&again);
    assert!(again.status.success(), "{shown}");
    assert!(shown.contains("to_migrate=1"), "{shown}");
    assert_eq!(version_of(&db, &a).await, 7);
    let done = chameleon(&db, &["migrate"]);
    assert!(
        text(&done).contains("every tenant schema is at the latest migration"),
        "{}",
        text(&done)
    );
}

/// A migration that cannot take the lock says who holds it, so the operator can find (and end)
/// that session.
#[tokio::test]
async fn a_migration_kept_waiting_says_who_holds_the_lock() {
    let db = TestDb::new(&template()).await;
    let holder =
        chameleon_testkit::connect(&format!("{} application_name=stuck-migration", db.url()))
            .await
            .unwrap();
    let pid: i32 = holder
        .query_one(
            "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(7163082329813708654)) AS taken",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let output = Command::new(env!("CARGO_BIN_EXE_chameleon"))
        .arg("migrate")
        .env("DATABASE_URL", db.url())
        .env("SERVING_ROLE", SERVING_ROLE)
        .env("SERVING_PASSWORD", SERVING_PASSWORD)
        .env("MIGRATION_LOCK_WAIT_SECS", "1")
        .env("RUST_LOG", "warn")
        .output()
        .expect("running chameleon");
    let said = text(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains(&format!("held by pid {pid}")), "{said}");
    assert!(said.contains("stuck-migration"), "{said}");
}
