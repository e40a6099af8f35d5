//! Chameleon's schema provisioning for PostgreSQL.
//!
//! Provisioning a tenant is ONE transaction: the routing row in `public.tenants`,
//! `CREATE SCHEMA tenant_<hex>`, `CREATE ROLE tenant_<hex>` (NOLOGIN) with usage of that schema
//! and nothing else, and every tenant migration, run by refinery inside that same transaction
//! (its history table lands in the tenant schema). Any failure rolls all of it back: no row, no
//! schema, no role.
//!
//! `migrate_all` brings every existing tenant to the latest tenant migration, each tenant in a
//! transaction of its own, and costs two small queries when there is nothing to do.
//!
//! # Layout
//! - [`migrations`]: the embedded `public` and `tenant` migration sets; [`migrate_public`].
//! - [`provisioner`]: [`PgProvisioner`], the [`TenantProvisioner`](chameleon_core::ports::TenantProvisioner).
//! - [`refinery_tx`]: refinery's async traits for a transaction we own.
//! - [`PgPorts`]: the PostgreSQL adapters named together as core `Ports`.

pub mod migrations;
pub mod provisioner;
pub mod refinery_tx;

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_postgres::{
    DirectoryCacheSettings, MenuCacheSettings, PgDirectory, PgMenu, PgOrders, PgPool,
};

pub use migrations::migrate_public;
pub use provisioner::PgProvisioner;

/// Every port backed by PostgreSQL.
#[derive(Debug)]
pub struct PgPorts;

impl Ports for PgPorts {
    type Directory = PgDirectory;
    type Provisioner = PgProvisioner;
    type Menu = PgMenu;
    type Orders = PgOrders;
}

/// The cache settings of the PostgreSQL read paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheSettings {
    pub directory: DirectoryCacheSettings,
    pub menu: MenuCacheSettings,
}

/// Chameleon over PostgreSQL, all adapters sharing `pool`.
pub fn service(pool: PgPool, caches: CacheSettings) -> Chameleon<PgPorts> {
    service_with(PgProvisioner::new(pool.clone()), pool, caches)
}

/// Like [`service`], with a provisioner of the caller's (tests inject migrations this way).
pub fn service_with(
    provisioner: PgProvisioner,
    pool: PgPool,
    caches: CacheSettings,
) -> Chameleon<PgPorts> {
    Chameleon::new(
        PgDirectory::new(pool.clone(), caches.directory),
        provisioner,
        PgMenu::new(pool.clone(), caches.menu),
        PgOrders::new(pool),
    )
}
