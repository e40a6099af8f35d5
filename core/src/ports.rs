//! The ports: what the core needs from the outside world, as traits the adapters implement.
//!
//! Every tenant-scoped operation takes the [`Tenant`] explicitly. There is no ambient "current
//! tenant": an adapter binds its storage to the tenant it is handed for that one operation.
//!
//! Each method's documentation says what it MUST return in each case; the port-contract suite
//! (`contract`, feature `contract`) checks the fakes and PostgreSQL against exactly that.

use std::future::Future;
use std::sync::Arc;

use thiserror::Error;

use crate::menu::{MenuFilter, MenuItem, MenuItemId, MenuItemPatch, NewMenuItem};
use crate::order::{Order, OrderId, OrderRequest, OrderStatus};
use crate::tenant::{Domain, NewTenant, Tenant, TenantId};

/// Finds tenants: by the domain a storefront request arrives on, or by id for managers.
pub trait TenantDirectory: Send + Sync + 'static {
    /// Makes `tenant`, just provisioned, resolvable through this directory at once. A caching
    /// directory MUST drop any "no such tenant" it remembers for the tenant's domain or id.
    fn register(&self, tenant: &Tenant) -> impl Future<Output = ()> + Send;

    /// MUST return `Ok(Some(_))` with the tenant registered for `domain`, `Ok(None)` when there is
    /// none (never a default tenant), and `Err` only when the directory cannot answer.
    fn resolve_domain(
        &self,
        domain: &Domain,
    ) -> impl Future<Output = Result<Option<Arc<Tenant>>, ResolveTenantError>> + Send;

    /// MUST return `Ok(Some(_))` with the tenant `id`, `Ok(None)` when there is none.
    fn get(
        &self,
        id: TenantId,
    ) -> impl Future<Output = Result<Option<Arc<Tenant>>, ResolveTenantError>> + Send;

    /// MUST return every registered tenant, ordered by domain.
    fn list(&self) -> impl Future<Output = Result<Vec<Tenant>, ListTenantsError>> + Send;
}

/// The directory could not answer.
#[derive(Debug, Error)]
#[error("the tenant directory could not answer")]
pub struct ResolveTenantError(#[from] pub anyhow::Error);

/// The directory could not list the tenants.
#[derive(Debug, Error)]
#[error("the tenants could not be listed")]
pub struct ListTenantsError(#[from] pub anyhow::Error);

/// Creates a tenant's isolated storage and keeps every tenant's storage on the latest schema.
pub trait TenantProvisioner: Send + Sync + 'static {
    /// Registers `new` under a freshly drawn id and creates its isolated storage, all or nothing.
    ///
    /// MUST return `Err(DuplicateDomain)` when the domain is already registered, including when a
    /// concurrent call for the same domain wins; whenever it returns `Err`, nothing of the tenant
    /// remains.
    fn provision(
        &self,
        new: NewTenant,
    ) -> impl Future<Output = Result<Tenant, ProvisionTenantError>> + Send;

    /// Brings every tenant's storage to the latest schema version. MUST leave each tenant either
    /// fully migrated or untouched, and MUST be cheap when there is nothing to do.
    fn migrate_all(&self) -> impl Future<Output = Result<MigrationReport, MigrateAllError>> + Send;
}

/// Why provisioning failed. Nothing of the tenant was kept.
#[derive(Debug, Error)]
pub enum ProvisionTenantError {
    #[error("the domain {0} is already registered")]
    DuplicateDomain(Domain),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// What `migrate_all` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrationReport {
    /// Tenants looked at.
    pub tenants: usize,
    /// Tenants that had at least one migration applied.
    pub migrated: usize,
}

/// `migrate_all` stopped. Tenants migrated before the failure stay migrated; the failing tenant
/// is untouched.
#[derive(Debug, Error)]
#[error("migrating the tenants failed")]
pub struct MigrateAllError(#[from] pub anyhow::Error);

/// A tenant's menu.
pub trait MenuRepository: Send + Sync + 'static {
    /// Stores a new item under a freshly drawn id and MUST return it as stored.
    fn create(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
    ) -> impl Future<Output = Result<MenuItem, CreateMenuItemError>> + Send;

    /// MUST return the tenant's items admitted by `filter`, ordered by name then id, and never an
    /// item of another tenant.
    fn list(
        &self,
        tenant: &Tenant,
        filter: MenuFilter,
    ) -> impl Future<Output = Result<Vec<MenuItem>, ListMenuItemsError>> + Send;

    /// MUST return `Ok(None)` when the tenant has no item `id` (also when another tenant has).
    fn get(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> impl Future<Output = Result<Option<MenuItem>, GetMenuItemError>> + Send;

    /// Applies `patch` and MUST return the updated item, or `Err(NotFound)`.
    fn update(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
        patch: MenuItemPatch,
    ) -> impl Future<Output = Result<MenuItem, UpdateMenuItemError>> + Send;

    /// Removes the item; MUST return `Err(NotFound)` when the tenant has no item `id`. Orders
    /// already placed keep their snapshot of it.
    fn delete(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> impl Future<Output = Result<(), DeleteMenuItemError>> + Send;
}

#[derive(Debug, Error)]
#[error("the menu item could not be stored")]
pub struct CreateMenuItemError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
#[error("the menu could not be read")]
pub struct ListMenuItemsError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
#[error("the menu item could not be read")]
pub struct GetMenuItemError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
pub enum UpdateMenuItemError {
    #[error("there is no menu item {0}")]
    NotFound(MenuItemId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
pub enum DeleteMenuItemError {
    #[error("there is no menu item {0}")]
    NotFound(MenuItemId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A tenant's orders.
pub trait OrderRepository: Send + Sync + 'static {
    /// Places a PENDING order priced from the tenant's stored items (see
    /// [`price_order`](crate::order::price_order)), in one transaction with reading those prices.
    ///
    /// MUST return `Err(UnknownItem)` for an item the tenant does not have (including another
    /// tenant's item), `Err(UnavailableItem)` for one not available, and store nothing then.
    fn place(
        &self,
        tenant: &Tenant,
        request: OrderRequest,
    ) -> impl Future<Output = Result<Order, PlaceOrderError>> + Send;

    /// MUST return the tenant's orders, newest first.
    fn list(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Vec<Order>, ListOrdersError>> + Send;

    /// Moves a PENDING order to CONFIRMED and MUST return it; `Err(NotFound)` when the tenant has
    /// no order `id`, `Err(NotPending)` (changing nothing) when it is not PENDING.
    fn confirm(
        &self,
        tenant: &Tenant,
        id: OrderId,
    ) -> impl Future<Output = Result<Order, ConfirmOrderError>> + Send;
}

/// Why an order was not placed. Nothing was stored.
#[derive(Debug, Error)]
pub enum PlaceOrderError {
    #[error("there is no menu item {0}")]
    UnknownItem(MenuItemId),
    #[error("menu item {0} is not available")]
    UnavailableItem(MenuItemId),
    #[error("the order's total is too large")]
    TotalOverflow,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
#[error("the orders could not be read")]
pub struct ListOrdersError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
pub enum ConfirmOrderError {
    #[error("there is no order {0}")]
    NotFound(OrderId),
    #[error("order {id} is {status}, only a PENDING order can be confirmed")]
    NotPending { id: OrderId, status: OrderStatus },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

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

/// One set of adapters, named together so services and the HTTP adapter take a single type
/// parameter.
pub trait Ports: Send + Sync + 'static {
    type Directory: TenantDirectory;
    type Provisioner: TenantProvisioner;
    type Menu: MenuRepository;
    type Orders: OrderRepository;
}
