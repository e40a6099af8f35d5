//! The menu repository over a tenant's `menu_items`, with the storefront's menu cached.
//!
//! The storefront menu (available items) is read on every page view and changes only when a
//! manager edits it. It is cached per tenant. A write publishes the change in its own
//! transaction ([`crate::invalidation`]), so every instance drops the tenant's entry when it
//! commits (this one also at once, itself). [`MenuCacheSettings::ttl_synced`] then only bounds
//! how long a manual SQL edit of a menu goes unseen; [`MenuCacheSettings::ttl`] is the bound
//! while this instance does not hear invalidations. An entry past its time is served while it
//! is read again in the background: a warm read never waits for the database. Order placement
//! never uses the cache: it prices from the rows it reads in its own transaction.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chameleon_core::menu::{
    MenuFilter, MenuItem, MenuItemId, MenuItemName, NewMenuItem, PriceCents,
};
use chameleon_core::ports::{
    CreateMenuItemError, DeleteMenuItemError, GetMenuItemError, ListMenuItemsError, MenuRepository,
    UpdateMenuItemError,
};
use chameleon_core::tenant::{Tenant, TenantId};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::cache::{Lookup, TtlCache};
use crate::invalidation::{Change, SharedCache, SyncState};
use crate::pool::PgPool;
use crate::tenant_tx::TenantTx;

/// How long the storefront menu is reused.
#[derive(Debug, Clone, Copy)]
pub struct MenuCacheSettings {
    /// While this instance does not hear invalidations (not yet, or reconnecting).
    pub ttl: Duration,
    /// While it does.
    pub ttl_synced: Duration,
    /// Tenants whose menu is kept at most.
    pub capacity: usize,
}

impl Default for MenuCacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30),
            ttl_synced: Duration::from_secs(300),
            capacity: 100_000,
        }
    }
}

macro_rules! item_columns {
    () => {
        "id, name, price, is_available"
    };
}
const INSERT: &str =
    "INSERT INTO menu_items (id, name, price, is_available) VALUES ($1, $2, $3, $4)";
pub(crate) const LIST_ALL: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM menu_items ORDER BY name COLLATE \"C\", id"
);
const LIST_AVAILABLE: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM menu_items WHERE is_available ORDER BY name COLLATE \"C\", id"
);
const GET: &str = concat!("SELECT ", item_columns!(), " FROM menu_items WHERE id = $1");
pub(crate) const GET_MANY: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM menu_items WHERE id = ANY($1)"
);
const LOCK: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM menu_items WHERE id = $1 FOR UPDATE"
);
const UPDATE: &str = "UPDATE menu_items SET name = $2, price = $3, is_available = $4 WHERE id = $1";
const DELETE: &str = "DELETE FROM menu_items WHERE id = $1 RETURNING id";

/// [`MenuRepository`] over each tenant's `menu_items`.
#[derive(Debug, Clone)]
pub struct PgMenu {
    pool: PgPool,
    settings: MenuCacheSettings,
    storefront: Arc<TtlCache<TenantId, Arc<Vec<MenuItem>>>>,
    sync: Arc<SyncState>,
}

impl PgMenu {
    pub fn new(pool: PgPool, settings: MenuCacheSettings) -> Self {
        Self {
            pool,
            settings,
            storefront: Arc::new(TtlCache::new("store_menu", settings.capacity)),
            sync: Arc::default(),
        }
    }

    /// Shares `sync` with the [`crate::invalidation::Listener`] that keeps this cache in step;
    /// without one, entries live for the short TTL only.
    pub fn with_sync(mut self, sync: Arc<SyncState>) -> Self {
        self.sync = sync;
        self
    }

    /// The storefront menu: cached; past its time, served while it is read again in the
    /// background; read now only when nothing usable is cached.
    async fn storefront_menu(&self, tenant: &Tenant) -> anyhow::Result<Arc<Vec<MenuItem>>> {
        match self.storefront.lookup(&tenant.id) {
            Lookup::Hit(items) => Ok(items),
            Lookup::Refresh(stale) => {
                let this = self.clone();
                let tenant = tenant.clone();
                tokio::spawn(async move {
                    if let Err(err) = this.load_storefront(&tenant).await {
                        tracing::warn!(
                            error = format!("{err:#}"),
                            "refreshing a menu failed; serving the previous one"
                        );
                        this.storefront.abandon_refresh(&tenant.id);
                    }
                });
                Ok(stale)
            }
            Lookup::Miss => self.load_storefront(tenant).await,
        }
    }

    async fn load_storefront(&self, tenant: &Tenant) -> anyhow::Result<Arc<Vec<MenuItem>>> {
        let ticket = self.storefront.ticket();
        let items = Arc::new(self.read(tenant, MenuFilter::AvailableOnly).await?);
        let ttl = self.sync.ttl(self.settings.ttl_synced, self.settings.ttl);
        self.storefront.fill(ticket, tenant.id, items.clone(), ttl);
        Ok(items)
    }

    /// Forgets `tenant`'s storefront menu here; other instances hear of it through the change
    /// the write published.
    fn changed(&self, tenant: &Tenant) {
        self.storefront.invalidate(&tenant.id);
    }

    async fn read(&self, tenant: &Tenant, filter: MenuFilter) -> anyhow::Result<Vec<MenuItem>> {
        let sql = match filter {
            MenuFilter::All => LIST_ALL,
            MenuFilter::AvailableOnly => LIST_AVAILABLE,
        };
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(sql, &[])
            .await?;
        rows.iter().map(item_from_row).collect()
    }
}

impl MenuRepository for PgMenu {
    async fn create(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
    ) -> Result<MenuItem, CreateMenuItemError> {
        let id = Uuid::now_v7();
        let price = i32::try_from(item.price.cents()).context("price out of range")?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(
            INSERT,
            &[&id, &item.name.as_str(), &price, &item.is_available],
        )
        .await
        .context("inserting a menu item")?;
        self.changed(tenant);
        Ok(MenuItem {
            id: MenuItemId::from_uuid(id),
            name: item.name,
            price: item.price,
            is_available: item.is_available,
        })
    }

    async fn list(
        &self,
        tenant: &Tenant,
        filter: MenuFilter,
    ) -> Result<Vec<MenuItem>, ListMenuItemsError> {
        if filter == MenuFilter::All {
            return Ok(self.read(tenant, filter).await?);
        }
        Ok(self.storefront_menu(tenant).await?.as_ref().clone())
    }

    async fn get(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, GetMenuItemError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(GET, &[&id.as_uuid()])
            .await
            .context("reading a menu item")?;
        Ok(rows.first().map(item_from_row).transpose()?)
    }

    async fn update<F>(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
        change: F,
    ) -> Result<MenuItem, UpdateMenuItemError>
    where
        F: FnOnce(&mut MenuItem) + Send,
    {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(LOCK, &[&id.as_uuid()])
            .await
            .context("locking a menu item")?;
        // Not found: dropping `tx` rolls back; nothing was written.
        let mut item = item_from_row(rows.first().ok_or(UpdateMenuItemError::NotFound(id))?)?;
        change(&mut item);
        let price = i32::try_from(item.price.cents()).context("price out of range")?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(
            UPDATE,
            &[
                &id.as_uuid(),
                &item.name.as_str(),
                &price,
                &item.is_available,
            ],
        )
        .await
        .context("updating a menu item")?;
        self.changed(tenant);
        Ok(item)
    }

    async fn delete(&self, tenant: &Tenant, id: MenuItemId) -> Result<(), DeleteMenuItemError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        let rows = tx
            .query_and_commit(DELETE, &[&id.as_uuid()])
            .await
            .context("deleting a menu item")?;
        self.changed(tenant);
        if rows.is_empty() {
            return Err(DeleteMenuItemError::NotFound(id));
        }
        Ok(())
    }
}

impl SharedCache for PgMenu {
    fn apply(&self, change: &Change) {
        // A tenant's own change (removed, above all) drops its menu too: rare, and cheap.
        let (Change::Menu(id) | Change::Tenant { id, .. }) = change;
        self.storefront.invalidate(id);
    }

    fn forget_everything(&self) {
        self.storefront.forget_all();
    }
}

/// Rebuilds a menu item from a `menu_items` row, re-validating its fields.
pub(crate) fn item_from_row(row: &Row) -> anyhow::Result<MenuItem> {
    let id: Uuid = row.try_get("id")?;
    let price: i32 = row.try_get("price")?;
    Ok(MenuItem {
        id: MenuItemId::from_uuid(id),
        name: MenuItemName::parse(row.try_get("name")?)
            .map_err(|e| anyhow!("menu item {id}: {e}"))?,
        price: PriceCents::try_from(i64::from(price))?,
        is_available: row.try_get("is_available")?,
    })
}
