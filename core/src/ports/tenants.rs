//! Tenants: finding them (the directory) and creating their isolated storage (the provisioner).

use std::future::Future;
use std::sync::Arc;

use thiserror::Error;

use crate::tenant::{
    Domain, ManagerKeyHash, NewTenant, Tenant, TenantDetails, TenantId, TenantPatch,
};

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

    /// Makes `hash` the only manager key of tenant `id` and MUST return the tenant as stored;
    /// from then on this directory MUST never answer with the old hash. `Err(NotFound)` when
    /// there is no tenant `id`.
    fn replace_manager_key(
        &self,
        id: TenantId,
        hash: ManagerKeyHash,
    ) -> impl Future<Output = Result<Arc<Tenant>, UpdateTenantError>> + Send;

    /// MUST return `Ok(Some(_))` with tenant `id` and every domain it answers on (the primary
    /// first, then the others by name), read from the store, not a cache; `Ok(None)` when there
    /// is no tenant `id`.
    fn details(
        &self,
        id: TenantId,
    ) -> impl Future<Output = Result<Option<TenantDetails>, ResolveTenantError>> + Send;

    /// Changes the settings `patch` names, and only those, and MUST return the tenant as stored;
    /// from then on this directory MUST answer with the new settings. `Err(NotFound)` when there
    /// is no tenant `id`.
    fn update(
        &self,
        id: TenantId,
        patch: TenantPatch,
    ) -> impl Future<Output = Result<Arc<Tenant>, UpdateTenantError>> + Send;

    /// Adds `domain` to tenant `id` (as its primary domain when `primary`; the previous primary
    /// stays as a secondary one), and MUST return the tenant's details as stored. The domain
    /// resolves to the tenant at once. `Err(Taken)` when any tenant, this one included, already
    /// has it; `Err(TooManyDomains)` when the tenant has 20; `Err(NotFound)` when there is no tenant `id`. Nothing changes on `Err`.
    fn add_domain(
        &self,
        id: TenantId,
        domain: Domain,
        primary: bool,
    ) -> impl Future<Output = Result<TenantDetails, DomainChangeError>> + Send;

    /// Removes `domain` from tenant `id` and MUST return the details as stored; it resolves to
    /// nothing at once. Removing the primary domain makes the oldest remaining one primary.
    /// `Err(LastDomain)` when it is the tenant's only domain, `Err(NoSuchDomain)` when the
    /// tenant does not have it, `Err(NotFound)` when there is no tenant `id`. Nothing changes on
    /// `Err`.
    fn remove_domain(
        &self,
        id: TenantId,
        domain: &Domain,
    ) -> impl Future<Output = Result<TenantDetails, DomainChangeError>> + Send;

    /// Forgets `removed`, just deprovisioned: none of its domains nor its id may resolve
    /// through this directory afterwards.
    fn unregister(&self, removed: &TenantDetails) -> impl Future<Output = ()> + Send;
}

/// Why a tenant's domains were not changed. Nothing was written.
#[derive(Debug, Error)]
pub enum DomainChangeError {
    #[error("there is no tenant {0}")]
    NotFound(TenantId),
    #[error("the domain {0} is already registered")]
    Taken(Domain),
    #[error("the tenant has no domain {0}")]
    NoSuchDomain(Domain),
    #[error("{0} is the tenant's only domain: a tenant answers on at least one")]
    LastDomain(Domain),
    #[error(
        "a tenant has at most {} domains",
        crate::rules::numbers::DOMAINS_PER_TENANT
    )]
    TooManyDomains,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a tenant was not changed. Nothing was written.
#[derive(Debug, Error)]
pub enum UpdateTenantError {
    #[error("there is no tenant {0}")]
    NotFound(TenantId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The directory could not answer.
#[derive(Debug, Error)]
#[error("the tenant directory could not answer")]
pub struct ResolveTenantError(#[from] pub anyhow::Error);

/// The directory could not list the tenants.
#[derive(Debug, Error)]
#[error("the tenants could not be listed")]
pub struct ListTenantsError(#[from] pub anyhow::Error);

/// Creates a tenant's isolated storage, and removes it. (Bringing every tenant's storage to the
/// latest schema is an operator's job, not a use case: the PostgreSQL adapter's fleet migrator,
/// which `chameleon migrate` runs.)
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

    /// Removes tenant `id` whole, in one unit: its routing row, its domains, its storage and its
    /// database identity, provided `confirm` is its primary domain; MUST return what it removed.
    /// `Err(WrongConfirmation)` when `confirm` is not the primary domain, `Err(NotFound)` when
    /// there is no tenant `id`; on any `Err` nothing was removed. Afterwards the domains may be
    /// provisioned again.
    fn deprovision(
        &self,
        id: TenantId,
        confirm: &Domain,
    ) -> impl Future<Output = Result<TenantDetails, DeprovisionError>> + Send;
}

/// Why provisioning failed. Nothing of the tenant was kept.
#[derive(Debug, Error)]
pub enum ProvisionTenantError {
    #[error("the domain {0} is already registered")]
    DuplicateDomain(Domain),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why a tenant was not removed. Nothing was.
#[derive(Debug, Error)]
pub enum DeprovisionError {
    #[error("there is no tenant {0}")]
    NotFound(TenantId),
    #[error("the confirmation is not the tenant's primary domain")]
    WrongConfirmation,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
