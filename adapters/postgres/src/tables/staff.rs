//! A tenant's staff tables (tenant migration V5): `staff_users`, `staff_sessions`,
//! `staff_setup_tokens`, `sign_in_failures`, `audit_log`.

use anyhow::Context as _;
use chameleon_core::staff::{AuditEntry, Email, PasswordHash, Role, StaffId, StaffName, StaffUser};
use tokio_postgres::Row;

const COLUMNS: &str = "id, email, name, role, disabled, created_at, updated_at, password_hash";

macro_rules! user_sql {
    ($($part:literal),* $(,)?) => { concat!($($part),*) };
}

pub const LIST: &str = user_sql!(
    "SELECT id, email, name, role, disabled, created_at, updated_at, password_hash ",
    "FROM staff_users ORDER BY email"
);

pub const BY_EMAIL: &str = user_sql!(
    "SELECT id, email, name, role, disabled, created_at, updated_at, password_hash ",
    "FROM staff_users WHERE email = $1"
);

/// The member a session belongs to (the gate checked it in this transaction).
pub const BY_SESSION: &str = user_sql!(
    "SELECT u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.updated_at, u.password_hash ",
    "FROM staff_users u JOIN staff_sessions s ON s.user_id = u.id WHERE s.digest = $1"
);

pub const LOCK: &str = user_sql!(
    "SELECT id, email, name, role, disabled, created_at, updated_at, password_hash ",
    "FROM staff_users WHERE id = $1 FOR UPDATE"
);

pub const FIRST_OWNER: &str = user_sql!(
    "SELECT id, email, name, role, disabled, created_at, updated_at, password_hash ",
    "FROM staff_users WHERE role = 'owner' AND NOT disabled ORDER BY created_at, id LIMIT 1"
);

/// Locks every enabled owner, so two changes cannot each leave the other's owner the last.
pub const LOCK_OWNERS: &str =
    "SELECT id FROM staff_users WHERE role = 'owner' AND NOT disabled ORDER BY id FOR UPDATE";

pub const INSERT: &str = user_sql!(
    "INSERT INTO staff_users (id, email, name, role) VALUES ($1, $2, $3, $4) ",
    "ON CONFLICT (email) DO NOTHING ",
    "RETURNING id, email, name, role, disabled, created_at, updated_at, password_hash"
);

pub const UPDATE: &str = user_sql!(
    "UPDATE staff_users SET name = $2, role = $3, disabled = $4, updated_at = now() WHERE id = $1 ",
    "RETURNING id, email, name, role, disabled, created_at, updated_at, password_hash"
);

pub const SET_PASSWORD: &str =
    "UPDATE staff_users SET password_hash = $2, updated_at = now() WHERE id = $1";

pub const DELETE: &str = "DELETE FROM staff_users WHERE id = $1";

pub const END_SESSIONS_OF: &str = "DELETE FROM staff_sessions WHERE user_id = $1";

/// Every session of the member but `$2`.
pub const END_OTHER_SESSIONS: &str =
    "DELETE FROM staff_sessions WHERE user_id = $1 AND digest <> $2";

pub const END_SESSION: &str = "DELETE FROM staff_sessions WHERE digest = $1";

pub const END_ALL_SESSIONS_OF_SESSION: &str = "DELETE FROM staff_sessions WHERE user_id = \
     (SELECT user_id FROM staff_sessions WHERE digest = $1)";

pub const START_SESSION: &str = "INSERT INTO staff_sessions (digest, user_id, idle, expires_at) \
     VALUES ($1, $2, make_interval(secs => $3), $4)";

pub const END_SETUPS_OF: &str = "DELETE FROM staff_setup_tokens WHERE user_id = $1";

pub const ADD_SETUP: &str =
    "INSERT INTO staff_setup_tokens (digest, user_id, expires_at) VALUES ($1, $2, $3)";

/// Takes a setup link (once): the member it is for and when it expired. (Citus takes no
/// `now()` in `RETURNING`: the caller compares.)
pub const TAKE_SETUP: &str =
    "DELETE FROM staff_setup_tokens WHERE digest = $1 RETURNING user_id, expires_at";

/// Failures counted for a key within the window (`$2`, seconds), and when the window ends.
pub const FAILURES: &str = "SELECT key, failures, since + make_interval(secs => $2) \
     FROM sign_in_failures WHERE key = ANY($1) AND since + make_interval(secs => $2) > now()";

/// Counts one failure for each of two keys (`$1`, `$3`); a count whose window (`$2`, seconds)
/// has passed starts again.
pub const FAIL: &str = "INSERT INTO sign_in_failures AS f (key, failures, since) \
     VALUES ($1, 1, now()), ($3, 1, now()) \
     ON CONFLICT (key) DO UPDATE SET \
       failures = CASE WHEN f.since + make_interval(secs => $2) > now() THEN f.failures + 1 ELSE 1 END, \
       since = CASE WHEN f.since + make_interval(secs => $2) > now() THEN f.since ELSE now() END";

pub const FORGET_FAILURES: &str = "DELETE FROM sign_in_failures WHERE key = $1";

/// The newest entries older than `($1, $2)` (or all, with `$1` null), `$3` of them.
pub const AUDIT_PAGE: &str = "SELECT id, at, actor, action, target, request_id FROM audit_log \
     WHERE $1::timestamptz IS NULL OR (at, id) < ($1, $2) ORDER BY at DESC, id DESC LIMIT $3";

/// The whole audit trail, oldest first (the export).
pub const AUDIT_OLDEST_FIRST: &str =
    "SELECT id, at, actor, action, target, request_id FROM audit_log ORDER BY at, id";

/// A member and their password hash from a row of the columns above.
pub fn from_row(row: &Row) -> anyhow::Result<(StaffUser, Option<PasswordHash>)> {
    let _ = COLUMNS;
    let user = StaffUser {
        id: StaffId::from_uuid(row.try_get("id")?),
        email: Email::parse(row.try_get("email")?).context("a stored email")?,
        name: StaffName::parse(row.try_get("name")?)?,
        role: Role::parse(row.try_get("role")?)?,
        disabled: row.try_get("disabled")?,
        created_at: timestamp(row.try_get("created_at")?),
        updated_at: timestamp(row.try_get("updated_at")?),
    };
    let hash: Option<String> = row.try_get("password_hash")?;
    Ok((user, hash.map(PasswordHash::new)))
}

pub fn audit_from_row(row: &Row) -> anyhow::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: timestamp(row.try_get("at")?),
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        request_id: row.try_get("request_id")?,
    })
}

pub fn timestamp(at: std::time::SystemTime) -> jiff::Timestamp {
    jiff::Timestamp::try_from(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

pub fn system_time(at: jiff::Timestamp) -> std::time::SystemTime {
    let micros = u64::try_from(at.as_microsecond()).unwrap_or(0);
    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(micros)
}
