//! Reading PostgreSQL error codes, so driver errors are translated where they arise and never
//! travel further up as `tokio_postgres::Error`.

use tokio_postgres::error::SqlState;

/// Whether `err` is a unique violation (23505) of the constraint named `constraint`.
pub(crate) fn is_unique_violation(err: &tokio_postgres::Error, constraint: &str) -> bool {
    err.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint)
    })
}

/// Whether `err` is "insufficient privilege" (42501), as a query outside the tenant's own schema
/// gets under the tenant's role.
pub fn is_permission_denied(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
}
