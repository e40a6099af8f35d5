//! The composition root: the one place that picks the adapters and builds the application from
//! them. Every command asks this module, never an adapter, for a `Chameleon`.

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_postgres::{
    DirectoryCacheSettings, MenuCacheSettings, PgDirectory, PgMenu, PgOrders, PgPool, PgProvisioner,
};

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

/// Chameleon over PostgreSQL, every adapter sharing `pool`.
pub fn service(pool: PgPool, caches: CacheSettings) -> Chameleon<PgPorts> {
    Chameleon::new(
        PgDirectory::new(pool.clone(), caches.directory),
        PgProvisioner::new(pool.clone()),
        PgMenu::new(pool.clone(), caches.menu),
        PgOrders::new(pool),
    )
}
