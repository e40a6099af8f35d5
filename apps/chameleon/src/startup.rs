//! The composition root: the one place that picks the adapters and builds the application from
//! them. Every command asks this module, never an adapter, for a `Chameleon`.

use std::sync::Arc;

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_postgres::{
    DirectoryCacheSettings, Listener, ListenerSettings, MenuCacheSettings, PgDirectory, PgExport,
    PgMenu, PgOrders, PgPool, PgProvisioner, PgStaff, SyncState,
};

/// Every port backed by PostgreSQL.
#[derive(Debug)]
pub struct PgPorts;

impl Ports for PgPorts {
    type Directory = PgDirectory;
    type Provisioner = PgProvisioner;
    type Export = PgExport;
    type Menu = PgMenu;
    type Orders = PgOrders;
    type Staff = PgStaff;
}

/// The cache settings of the PostgreSQL read paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheSettings {
    pub directory: DirectoryCacheSettings,
    pub menu: MenuCacheSettings,
}

/// Chameleon over PostgreSQL, every adapter sharing `pool`: for the one-shot commands. Its
/// caches hear no other instance, so they keep entries for the short TTLs only.
pub fn service(pool: PgPool, caches: CacheSettings) -> Chameleon<PgPorts> {
    shared_service(pool, caches).0
}

/// Chameleon over PostgreSQL, and the [`Listener`] that keeps its caches in step with every
/// other instance's writes (`chameleon serve` runs it for as long as it serves).
pub fn shared_service(pool: PgPool, caches: CacheSettings) -> (Chameleon<PgPorts>, Listener) {
    let sync = Arc::new(SyncState::default());
    let directory = PgDirectory::new(pool.clone(), caches.directory).with_sync(sync.clone());
    let menu = PgMenu::new(pool.clone(), caches.menu).with_sync(sync.clone());
    let listener = Listener::new(&pool, sync, ListenerSettings::default())
        .keep(Arc::new(directory.clone()))
        .keep(Arc::new(menu.clone()));
    let app = Chameleon::new(
        directory,
        PgProvisioner::new(pool.clone()),
        PgExport::new(pool.clone()),
        menu,
        PgOrders::new(pool.clone()),
        PgStaff::new(pool),
    );
    (app, listener)
}
