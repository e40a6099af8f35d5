//! Reading PostgreSQL errors at the seam, so a driver error is translated where it arises and
//! never travels further up as `tokio_postgres::Error`.
//!
//! The one distinction the rest of the service needs: could the database not serve this request
//! right now (restarting, unreachable, a lock or statement timeout, a deadlock), so the answer is
//! "try again shortly" (HTTP 503); or is it a bug or a refusal (HTTP 500, or a typed error
//! decided by the caller).

use chameleon_core::ports::{AccessRefused, BackendUnavailable, Refusal};
use tokio_postgres::error::SqlState;

/// Whether `err` is a unique violation (23505) of the constraint named `constraint`.
pub(crate) fn is_unique_violation(err: &tokio_postgres::Error, constraint: &str) -> bool {
    err.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::UNIQUE_VIOLATION
            && db
                .constraint()
                .or_else(|| constraint_in_message(db.message()))
                .is_some_and(|name| names(name, constraint))
    })
}

/// The constraint a unique violation names in its message. Citus passes a worker's error on
/// with its code and message but without the constraint field.
fn constraint_in_message(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("unique constraint \"")?;
    rest.split_once('"').map(|(name, _)| name)
}

/// Whether `reported` is `constraint`, or, on Citus, its shard's copy: Citus reports the
/// constraint of the shard that refused the row, named `<constraint>_<shard id>`.
fn names(reported: &str, constraint: &str) -> bool {
    reported.strip_prefix(constraint).is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('_')
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether `err` is "insufficient privilege" (42501), as a query outside the tenant's own schema
/// gets under the tenant's role.
pub fn is_permission_denied(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
}

/// Whether `err` is a lock wait that ran out of time (`lock_timeout`, 55P03).
pub(crate) fn is_lock_timeout(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE)
}

/// Whether the server dropped a prepared statement's plan because a table it reads changed shape
/// (0A000 "cached plan must not change result type"): preparing it again fixes it.
pub(crate) fn is_stale_plan(err: &tokio_postgres::Error) -> bool {
    err.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::FEATURE_NOT_SUPPORTED && db.message().contains("cached plan")
    })
}

/// Whether the database could not serve the request now, through no fault of the request.
pub(crate) fn is_transient(err: &tokio_postgres::Error) -> bool {
    let Some(db) = err.as_db_error() else {
        // No answer from the server at all: the connection is gone, or could not be made.
        return err.is_closed()
            || std::error::Error::source(err).is_some_and(|s| s.is::<std::io::Error>());
    };
    let code = db.code();
    code.code().starts_with("08") // connection exception
        || code.code().starts_with("53") // insufficient resources (too many connections, ...)
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::QUERY_CANCELED,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ]
        .contains(code)
        || is_stale_plan(err)
}

/// The SQLSTATE class (its first two characters) of `err`, or `connection` when the server gave
/// no answer at all: the bounded label of the database-error counter.
fn sqlstate_class(err: &tokio_postgres::Error) -> String {
    match err.code() {
        Some(code) => code.code().chars().take(2).collect(),
        None => "connection".to_owned(),
    }
}

/// `err` as an `anyhow::Error`, marked [`BackendUnavailable`] when it [is transient](is_transient).
/// Every database error the service sees passes here once, and is counted by SQLSTATE class.
pub(crate) fn classify(err: tokio_postgres::Error) -> anyhow::Error {
    // The session check's refusals (`tenant_tx::session_gate`) are answers, not errors.
    let refusal = err
        .as_db_error()
        .filter(|db| db.code() == &SqlState::INVALID_TEXT_REPRESENTATION)
        .and_then(|db| {
            if db.message().contains(crate::tenant_tx::NO_SESSION) {
                Some(Refusal::NoSession)
            } else if db.message().contains(crate::tenant_tx::FORBIDDEN) {
                Some(Refusal::Forbidden)
            } else {
                None
            }
        });
    if let Some(kind) = refusal {
        return anyhow::Error::new(AccessRefused {
            kind,
            source: Box::new(err),
        });
    }
    metrics::counter!("chameleon_db_errors_total", "class" => sqlstate_class(&err)).increment(1);
    if is_transient(&err) {
        anyhow::Error::new(BackendUnavailable(Box::new(err)))
    } else {
        anyhow::Error::new(err)
    }
}

/// [`classify`] for results.
pub(crate) trait AtSeam<T> {
    fn at_seam(self) -> anyhow::Result<T>;
}

impl<T> AtSeam<T> for Result<T, tokio_postgres::Error> {
    fn at_seam(self) -> anyhow::Result<T> {
        self.map_err(classify)
    }
}

#[cfg(test)]
mod tests {
    use super::{constraint_in_message, names};

    #[test]
    fn a_unique_violation_passed_on_by_citus_names_its_constraint_in_the_message() {
        assert_eq!(
            constraint_in_message(
                "duplicate key value violates unique constraint \"orders_idempotency_key_102011\""
            ),
            Some("orders_idempotency_key_102011")
        );
        assert_eq!(constraint_in_message("deadlock detected"), None);
    }

    #[test]
    fn a_constraint_is_known_by_its_name_or_its_citus_shards_name() {
        assert!(names("orders_idempotency_key", "orders_idempotency_key"));
        assert!(names(
            "orders_idempotency_key_102011",
            "orders_idempotency_key"
        ));
        assert!(!names("orders_idempotency_key_x", "orders_idempotency_key"));
        assert!(!names("orders_idempotency_key_", "orders_idempotency_key"));
        assert!(!names("orders_idempotency", "orders_idempotency_key"));
        assert!(!names(
            "other_orders_idempotency_key",
            "orders_idempotency_key"
        ));
    }
}
