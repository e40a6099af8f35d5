//! A tenant's export: everything it has, as one stream, for its operator.

use std::future::Future;

use thiserror::Error;

use crate::menu::{Category, MenuItem};
use crate::options::OptionGroup;
use crate::order::Order;
use crate::staff::{AuditEntry, StaffUser};
use crate::tenant::Tenant;

/// Reads everything of a tenant, for its export.
pub trait TenantExport: Send + Sync + 'static {
    /// Hands the tenant's categories (in the menu's order), then its whole menu (by name, then
    /// id), then every one of its orders (oldest first, ties by id), then its staff (by email),
    /// then its audit trail (oldest first) to `sink`, all read in one
    /// consistent snapshot. MUST hand them over as they are read, holding at most a bounded
    /// number in memory whatever the number of orders, and MUST stop with `Err(SinkClosed)` as
    /// soon as the sink refuses one. MUST never hand over anything of another tenant.
    fn export<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> impl Future<Output = Result<(), ExportError>> + Send;
}

/// Where an export goes, one record at a time: all categories, then all menu items, then all
/// option groups, then all orders.
pub trait ExportSink: Send {
    fn category(
        &mut self,
        category: Category,
    ) -> impl Future<Output = Result<(), SinkClosed>> + Send;
    fn menu_item(&mut self, item: MenuItem) -> impl Future<Output = Result<(), SinkClosed>> + Send;
    /// After the menu items: every option group (by name).
    fn option_group(
        &mut self,
        group: OptionGroup,
    ) -> impl Future<Output = Result<(), SinkClosed>> + Send;
    fn order(&mut self, order: Order) -> impl Future<Output = Result<(), SinkClosed>> + Send;
    /// After the orders: every staff member (by email).
    fn staff_member(
        &mut self,
        member: StaffUser,
    ) -> impl Future<Output = Result<(), SinkClosed>> + Send;
    /// Last: the audit trail, oldest first.
    fn audit_entry(
        &mut self,
        entry: AuditEntry,
    ) -> impl Future<Output = Result<(), SinkClosed>> + Send;
}

/// The sink takes nothing more (its reader went away).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the export's reader went away")]
pub struct SinkClosed;

/// Why an export stopped.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error(transparent)]
    SinkClosed(#[from] SinkClosed),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
