//! Reading PostgreSQL error codes, so driver errors are translated where they arise and never
//! travel further up as `tokio_postgres::Error`.

use tokio_postgres::error::SqlState;

/// The SQLSTATE of `err` if the server reported one, looking through `anyhow` context.
pub fn code(err: &anyhow::Error) -> Option<&SqlState> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<tokio_postgres::Error>())
        .and_then(tokio_postgres::Error::code)
}

/// Whether `err` is a unique violation (23505) of the constraint named `constraint`.
pub fn is_unique_violation(err: &tokio_postgres::Error, constraint: &str) -> bool {
    err.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint)
    })
}

/// Whether `err` is "insufficient privilege" (42501), as a query outside the tenant's own schema
/// gets under the tenant's role.
pub fn is_permission_denied(err: &tokio_postgres::Error) -> bool {
    err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
}
