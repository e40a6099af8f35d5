//! refinery inside a transaction we own.
//!
//! refinery's own tokio-postgres driver opens and commits a transaction per migration on a
//! `Client`. Provisioning must be all or nothing (tenant row, schema, role, grants and every
//! migration), so this wrapper runs refinery's statements in the caller's open transaction and
//! leaves committing (or rolling back) to the caller.

use refinery::Migration;
use refinery_core::AsyncMigrate;
use refinery_core::traits::r#async::{AsyncQuery, AsyncTransaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_postgres::Transaction;

/// An open transaction, lent to refinery.
pub struct InTransaction<'t, 'c>(pub &'t Transaction<'c>);

impl std::fmt::Debug for InTransaction<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InTransaction")
    }
}

/// Why refinery's history could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("refinery history row is malformed: {0}")]
    Malformed(String),
}

impl AsyncTransaction for InTransaction<'_, '_> {
    type Error = HistoryError;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &mut self,
        queries: T,
    ) -> Result<usize, HistoryError> {
        let mut count = 0;
        for query in queries {
            self.0.batch_execute(query).await?;
            count += 1;
        }
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for InTransaction<'_, '_> {
    async fn query(&mut self, query: &str) -> Result<Vec<Migration>, HistoryError> {
        let rows = self.0.query(query, &[]).await?;
        rows.iter()
            .map(|row| {
                let applied_on: String = row.try_get(2)?;
                let applied_on = OffsetDateTime::parse(&applied_on, &Rfc3339)
                    .map_err(|e| HistoryError::Malformed(e.to_string()))?;
                let checksum: String = row.try_get(3)?;
                let checksum = checksum
                    .parse::<u64>()
                    .map_err(|e| HistoryError::Malformed(e.to_string()))?;
                Ok(Migration::applied(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    applied_on,
                    checksum,
                ))
            })
            .collect()
    }
}

impl AsyncMigrate for InTransaction<'_, '_> {}
