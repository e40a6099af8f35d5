//! The ports: what the core needs from the outside world, as traits the adapters implement.
//!
//! Every tenant-scoped operation takes the [`Tenant`](crate::tenant::Tenant) explicitly. There is
//! no ambient "current tenant": an adapter binds its storage to the tenant it is handed for that
//! one operation.
//!
//! Where a write depends on a rule (pricing an order, moving an order's status, applying a
//! partial update), the port takes the rule as a closure and runs it inside its own transaction,
//! on the rows it read there. The rule is written once, here in core; an adapter only supplies
//! the data and stores the outcome, and cannot forget to apply it.
//!
//! Each method's documentation says what it MUST return in each case; the port-contract suite
//! (`contract`, feature `contract`) checks the fakes and PostgreSQL against exactly that.
//!
//! # Layout
//! - [`tenants`]: the tenant directory and the provisioner.
//! - [`menu`]: a tenant's menu.
//! - [`orders`]: a tenant's orders.
//! - [`export`]: everything of a tenant, streamed for its operator.
//! - [`staff`]: a tenant's staff, their sessions and setup links, and the audit trail.
//! - [`certificates`]: what the certificate issuer remembers, shared by every instance.

pub mod certificates;
pub mod export;
pub mod menu;
pub mod orders;
pub mod staff;
pub mod tenants;

use thiserror::Error;

pub use certificates::CertificateLedger;
pub use export::{ExportError, ExportSink, SinkClosed, TenantExport};
pub use menu::{
    CreateCategoryError, CreateMenuItemError, CreateOptionGroupError, DeleteCategoryError,
    DeleteMenuItemError, DeleteOptionGroupError, GetMenuItemError, ListCategoriesError,
    ListMenuItemsError, ListOptionGroupsError, MenuRepository, UpdateCategoryError,
    UpdateMenuItemError, UpdateOptionGroupError,
};
pub use orders::{
    ChangeOrderStatusError, GetOrderError, ListOrdersError, OrderRepository, PlaceOrderError,
    Placement, Placing,
};
pub use staff::{StaffError, StaffRepository};
pub use tenants::{
    DeprovisionError, DomainChangeError, ListTenantsError, ProvisionTenantError,
    ResolveTenantError, TenantDirectory, TenantProvisioner, UpdateTenantError,
};

/// Put by an adapter into the chain of an `Unknown` error when its backend could not be reached
/// at all (as opposed to a bug or a refused statement), so a driver can answer "try again later"
/// (HTTP 503) instead of "internal error". It carries the adapter's own error as its source.
#[derive(Debug, Error)]
#[error("the storage backend is unavailable")]
pub struct BackendUnavailable(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl BackendUnavailable {
    /// Whether `err` was caused by an unreachable backend.
    pub fn caused(err: &anyhow::Error) -> bool {
        err.chain().any(|cause| cause.is::<BackendUnavailable>())
    }
}

/// Put by an adapter into the chain of an `Unknown` error when the credential a tenant handle
/// acts with ([`Acting`](crate::staff::Acting)) was refused inside the transaction: the session
/// is unknown, ended or expired (or its member disabled), or its role may not do this.
#[derive(Debug, Error)]
#[error("{kind}")]
pub struct AccessRefused {
    pub kind: Refusal,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Why [`AccessRefused`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("no valid session")]
    NoSession,
    #[error("the role may not do this")]
    Forbidden,
}

impl AccessRefused {
    /// The refusal in `err`'s chain, if any.
    pub fn in_chain(err: &anyhow::Error) -> Option<Refusal> {
        err.chain()
            .find_map(|cause| cause.downcast_ref::<AccessRefused>())
            .map(|refused| refused.kind)
    }
}

/// One set of adapters, named together so services and the HTTP adapter take a single type
/// parameter. The binary (the composition root) names its set; tests name theirs.
pub trait Ports: Send + Sync + 'static {
    type Directory: TenantDirectory;
    type Provisioner: TenantProvisioner;
    type Export: TenantExport;
    type Menu: MenuRepository;
    type Orders: OrderRepository;
    type Staff: StaffRepository;
}
