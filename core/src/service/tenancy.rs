//! Tenants: provisioning, finding, changing and removing them, and what a storefront brands
//! itself with.

use std::fmt;
use std::sync::Arc;

use crate::hours::{OpenStatus, StoreSettings};
use crate::ports::{
    DeprovisionError, DomainChangeError, ExportError, ExportSink, ListTenantsError,
    ProvisionTenantError, ResolveTenantError, TenantDirectory, TenantExport, TenantProvisioner,
    UpdateTenantError,
};
use crate::tenant::{
    ActiveTenant, Domain, ManagerKeyHash, NewTenant, Tenant, TenantDetails, TenantId, TenantName,
    TenantPatch,
};
use crate::theme::Theme;

/// What a storefront needs to brand itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub tenant_id: TenantId,
    pub name: TenantName,
    pub theme: Theme,
    /// The Chameleon block generated from `theme`.
    pub css: String,
    pub settings: StoreSettings,
    /// Open at the instant asked about, and the next change.
    pub hours: OpenStatus,
}

/// The tenancy use cases: over the directory, the provisioner and the export.
pub struct Tenancy<D, P, E> {
    directory: D,
    provisioner: P,
    export: E,
}

impl<D, P, E> fmt::Debug for Tenancy<D, P, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenancy").finish_non_exhaustive()
    }
}

impl<D: TenantDirectory, P: TenantProvisioner, E: TenantExport> Tenancy<D, P, E> {
    pub fn new(directory: D, provisioner: P, export: E) -> Self {
        Self {
            directory,
            provisioner,
            export,
        }
    }

    /// Provisions a tenant and makes it resolvable at once.
    pub async fn provision_tenant(&self, new: NewTenant) -> Result<Tenant, ProvisionTenantError> {
        let tenant = self.provisioner.provision(new).await?;
        self.directory.register(&tenant).await;
        Ok(tenant)
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, ListTenantsError> {
        self.directory.list().await
    }

    /// The tenant with its domains, as stored now.
    pub async fn tenant_details(
        &self,
        id: TenantId,
    ) -> Result<Option<TenantDetails>, ResolveTenantError> {
        self.directory.details(id).await
    }

    /// Changes a tenant's name, theme, settings or status; every instance serves the change at
    /// once.
    pub async fn update_tenant(
        &self,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        self.directory.update(id, patch).await
    }

    pub async fn add_domain(
        &self,
        id: TenantId,
        domain: Domain,
        primary: bool,
    ) -> Result<TenantDetails, DomainChangeError> {
        self.directory.add_domain(id, domain, primary).await
    }

    pub async fn remove_domain(
        &self,
        id: TenantId,
        domain: &Domain,
    ) -> Result<TenantDetails, DomainChangeError> {
        self.directory.remove_domain(id, domain).await
    }

    /// Removes a tenant whole, once `confirm` names its primary domain, and forgets it here at
    /// once (other instances hear of it through the store).
    pub async fn delete_tenant(
        &self,
        id: TenantId,
        confirm: &Domain,
    ) -> Result<TenantDetails, DeprovisionError> {
        let removed = self.provisioner.deprovision(id, confirm).await?;
        self.directory.unregister(&removed).await;
        Ok(removed)
    }

    /// The tenant's categories, menu and orders, one record at a time, into `sink`.
    pub async fn export_tenant<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> Result<(), ExportError> {
        self.export.export(tenant, sink).await
    }

    /// Replaces the tenant's manager key: the old one stops working at once.
    pub async fn rotate_manager_key(
        &self,
        tenant: &Tenant,
        hash: ManagerKeyHash,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        self.directory.replace_manager_key(tenant.id, hash).await
    }

    /// The tenant a storefront request on `domain` belongs to, if any (suspended or not: the
    /// storefront's use cases then take it only as an [`ActiveTenant`]).
    pub async fn tenant_for_domain(
        &self,
        domain: &Domain,
    ) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        self.directory.resolve_domain(domain).await
    }

    pub async fn tenant_by_id(
        &self,
        id: TenantId,
    ) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        self.directory.get(id).await
    }

    /// What the storefront brands itself with, and whether the restaurant is open at `now`.
    pub fn store_config(&self, tenant: &ActiveTenant, now: jiff::Timestamp) -> StoreConfig {
        self.config(tenant, now)
    }

    /// The same for the restaurant's own manager, suspended or not (what its settings now
    /// look like on the storefront).
    pub fn config(&self, tenant: &Tenant, now: jiff::Timestamp) -> StoreConfig {
        StoreConfig {
            tenant_id: tenant.id,
            name: tenant.name.clone(),
            theme: tenant.theme.clone(),
            css: tenant.theme.css(),
            settings: tenant.settings.clone(),
            hours: tenant.settings.status(now),
        }
    }
}
