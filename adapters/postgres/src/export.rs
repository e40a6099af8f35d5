//! A tenant's export ([`TenantExport`]): its categories, menu, every order, its staff and its
//! audit trail, read in one
//! snapshot and handed over as they arrive, so the export's memory does not grow with the
//! tenant (`make bench`'s neighbour, `deploy/scripts/export-memory.sh`, measures it).

use chameleon_core::ports::{ExportError, ExportSink, TenantExport};
use chameleon_core::tenant::Tenant;

use crate::pool::PgPool;
use crate::tables::{categories, menu_items, option_groups, orders, staff};
use crate::tenant_tx::TenantTx;

/// [`TenantExport`] over a tenant's tables.
#[derive(Debug, Clone)]
pub struct PgExport {
    pool: PgPool,
}

impl PgExport {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl TenantExport for PgExport {
    async fn export<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> Result<(), ExportError> {
        // One snapshot for the categories, the menu and every order; the orders stream through
        // as they arrive.
        let mut tx = TenantTx::begin(&self.pool, tenant)
            .await?
            .read_only_snapshot();
        for row in tx.query(categories::LIST, &[]).await? {
            sink.category(categories::from_row(&row)?).await?;
        }
        for row in tx.query(menu_items::LIST_ALL, &[]).await? {
            sink.menu_item(menu_items::from_row(&row)?).await?;
        }
        for row in tx.query(option_groups::LIST, &[]).await? {
            sink.option_group(option_groups::from_row(&row)?).await?;
        }
        let mut rows = tx.rows(orders::ALL_OLDEST_FIRST, &[]).await?;
        while let Some(row) = rows.next().await {
            sink.order(orders::from_row(&row?)?).await?;
        }
        drop(rows);
        for row in tx.query(staff::LIST, &[]).await? {
            sink.staff_member(staff::from_row(&row)?.0).await?;
        }
        let mut rows = tx.rows(staff::AUDIT_OLDEST_FIRST, &[]).await?;
        while let Some(row) = rows.next().await {
            sink.audit_entry(staff::audit_from_row(&row?)?).await?;
        }
        drop(rows);
        tx.rollback().await?;
        Ok(())
    }
}
