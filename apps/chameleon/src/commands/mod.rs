//! One module per subcommand.

pub mod demo;
pub mod migrate;
pub mod provision;
pub mod serve;

use chameleon_core::tenant::ManagerApiKey;
use chameleon_postgres::PgPool;

use crate::config::DatabaseArgs;

/// The pool, with the session limits of a serving connection. The control plane must be
/// installed (`chameleon migrate`).
pub fn connect(database: &DatabaseArgs) -> anyhow::Result<PgPool> {
    PgPool::new(&database.serving_settings()?)
}

/// A fresh manager API key from the operating system's randomness.
pub fn new_manager_key() -> anyhow::Result<ManagerApiKey> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(ManagerApiKey::from_random_bytes(secret))
}
