//! The menu repository over a tenant's `menu_items` and `categories`, with the storefront's
//! menu cached.
//!
//! The storefront menu (categories and available items) is read on every page view and changes only when a
//! manager edits it. It is cached per tenant. A write publishes the change in its own
//! transaction ([`crate::invalidation`]), so every instance drops the tenant's entry when it
//! commits (this one also at once, itself). [`MenuCacheSettings::ttl_synced`] then only bounds
//! how long a manual SQL edit of a menu goes unseen; [`MenuCacheSettings::ttl`] is the bound
//! while this instance does not hear invalidations. An entry past its time is served while it
//! is read again in the background: a warm read never waits for the database. Order placement
//! never uses the cache: it prices from the rows it reads in its own transaction.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chameleon_core::menu::{
    Category, CategoryId, MenuFilter, MenuItem, MenuItemId, NewCategory, NewMenuItem, StoreMenu,
};
use chameleon_core::options::{
    NewOptionGroup, OptionGroup, OptionGroupError, OptionGroupId, check_offer,
};
use chameleon_core::ports::{
    CreateCategoryError, CreateMenuItemError, CreateOptionGroupError, DeleteCategoryError,
    DeleteMenuItemError, DeleteOptionGroupError, GetMenuItemError, ListCategoriesError,
    ListMenuItemsError, ListOptionGroupsError, MenuRepository, UpdateCategoryError,
    UpdateMenuItemError, UpdateOptionGroupError,
};
use chameleon_core::tenant::{Tenant, TenantId};
use uuid::Uuid;

use crate::cache::{Lookup, TtlCache};
use crate::invalidation::{Change, SharedCache, SyncState};
use crate::pool::PgPool;
use crate::tables::menu_items::{self, ItemParams};
use crate::tables::{categories, option_groups};
use crate::tenant_tx::TenantTx;
use chameleon_core::staff::AuditAction;

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

/// [`MenuRepository`] over each tenant's `menu_items`.
#[derive(Debug, Clone)]
pub struct PgMenu {
    pool: PgPool,
    settings: MenuCacheSettings,
    storefront: Arc<TtlCache<TenantId, Arc<StoreMenu>>>,
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
    async fn storefront_menu(&self, tenant: &Tenant) -> anyhow::Result<Arc<StoreMenu>> {
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

    async fn load_storefront(&self, tenant: &Tenant) -> anyhow::Result<Arc<StoreMenu>> {
        let ticket = self.storefront.ticket();
        // One transaction, so the categories and items are of one moment.
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let mut first = tx
            .query_all(&[(categories::LIST, &[]), (option_groups::LIST, &[])])
            .await?
            .into_iter();
        let sections = first.next().unwrap_or_default();
        let groups = option_groups::from_rows(&first.next().unwrap_or_default())?;
        let items = menu_items::from_rows(&tx.query_and_commit(menu_items::LIST_ALL, &[]).await?)?;
        let offered: std::collections::HashSet<OptionGroupId> = items
            .iter()
            .flat_map(|item| item.option_groups.iter().copied())
            .collect();
        let menu = Arc::new(StoreMenu {
            categories: sections
                .iter()
                .map(categories::from_row)
                .collect::<anyhow::Result<_>>()?,
            items,
            option_groups: groups
                .into_iter()
                .filter(|g| offered.contains(&g.id))
                .collect(),
        });
        let ttl = self.sync.ttl(self.settings.ttl_synced, self.settings.ttl);
        self.storefront.fill(ticket, tenant.id, menu.clone(), ttl);
        Ok(menu)
    }

    /// Forgets `tenant`'s storefront menu here; other instances hear of it through the change
    /// the write published.
    fn changed(&self, tenant: &Tenant) {
        self.storefront.invalidate(&tenant.id);
    }

    async fn read(&self, tenant: &Tenant, filter: MenuFilter) -> anyhow::Result<Vec<MenuItem>> {
        let sql = match filter {
            MenuFilter::All => menu_items::LIST_ALL,
            MenuFilter::AvailableOnly => menu_items::LIST_AVAILABLE,
        };
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(sql, &[])
            .await?;
        menu_items::from_rows(&rows)
    }
}

impl MenuRepository for PgMenu {
    async fn create(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
        at_most: usize,
    ) -> Result<MenuItem, CreateMenuItemError> {
        let item = item.with_id(MenuItemId::from_uuid(Uuid::now_v7()));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if count_held(&mut tx, menu_items::HOLD_CREATION, menu_items::COUNT).await? >= at_most {
            return Err(CreateMenuItemError::LimitReached(at_most));
        }
        if let Some(category) = item.category
            && !hold_category(&mut tx, category).await?
        {
            // Dropping `tx` rolls back; nothing was written.
            return Err(CreateMenuItemError::UnknownCategory(category));
        }
        check_offer([&item], &hold_groups(&mut tx, &item).await?)?;
        let row = ItemParams::of(&item)?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::MenuItemCreate, Some(item.id.to_string()));
        tx.query_and_commit(menu_items::INSERT, &row.params())
            .await
            .context("inserting a menu item")?;
        self.changed(tenant);
        Ok(item)
    }

    async fn store_menu(&self, tenant: &Tenant) -> Result<StoreMenu, ListMenuItemsError> {
        Ok(self.storefront_menu(tenant).await?.as_ref().clone())
    }

    async fn list(
        &self,
        tenant: &Tenant,
        filter: MenuFilter,
    ) -> Result<Vec<MenuItem>, ListMenuItemsError> {
        Ok(self.read(tenant, filter).await?)
    }

    async fn get(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, GetMenuItemError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(menu_items::GET, &[&id.as_uuid()])
            .await
            .context("reading a menu item")?;
        Ok(rows.first().map(menu_items::from_row).transpose()?)
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
            .query(menu_items::LOCK, &[&id.as_uuid()])
            .await
            .context("locking a menu item")?;
        // Not found: dropping `tx` rolls back; nothing was written.
        let mut item =
            menu_items::from_row(rows.first().ok_or(UpdateMenuItemError::NotFound(id))?)?;
        change(&mut item);
        if let Some(category) = item.category
            && !hold_category(&mut tx, category).await?
        {
            return Err(UpdateMenuItemError::UnknownCategory(category));
        }
        check_offer([&item], &hold_groups(&mut tx, &item).await?)?;
        let row = ItemParams::of(&item)?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::MenuItemUpdate, Some(id.to_string()));
        tx.query_and_commit(menu_items::UPDATE, &row.params())
            .await
            .context("updating a menu item")?;
        self.changed(tenant);
        Ok(item)
    }

    async fn delete(&self, tenant: &Tenant, id: MenuItemId) -> Result<(), DeleteMenuItemError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        if tenant.acting.is_some() {
            // Audited: the row goes first, so the audit line is written only for a removal.
            let rows = tx
                .query(menu_items::DELETE, &[&id.as_uuid()])
                .await
                .context("deleting a menu item")?;
            if rows.is_empty() {
                return Err(DeleteMenuItemError::NotFound(id));
            }
            tx.audit_on_commit(AuditAction::MenuItemDelete, Some(id.to_string()));
            tx.query_and_commit(crate::tables::NOTHING, &[])
                .await
                .context("deleting a menu item")?;
            self.changed(tenant);
            return Ok(());
        }
        let rows = tx
            .query_and_commit(menu_items::DELETE, &[&id.as_uuid()])
            .await
            .context("deleting a menu item")?;
        self.changed(tenant);
        if rows.is_empty() {
            return Err(DeleteMenuItemError::NotFound(id));
        }
        Ok(())
    }

    async fn create_category(
        &self,
        tenant: &Tenant,
        category: NewCategory,
        at_most: usize,
    ) -> Result<Category, CreateCategoryError> {
        let category = category.with_id(CategoryId::from_uuid(Uuid::now_v7()));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if count_held(&mut tx, categories::HOLD_CREATION, categories::COUNT).await? >= at_most {
            return Err(CreateCategoryError::LimitReached(at_most));
        }
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::CategoryCreate, Some(category.id.to_string()));
        tx.query_and_commit(
            categories::INSERT,
            &[
                &category.id.as_uuid(),
                &category.name.as_str(),
                &categories::position(&category),
                &categories::serving_hours(&category),
            ],
        )
        .await
        .context("inserting a category")?;
        self.changed(tenant);
        Ok(category)
    }

    async fn list_categories(&self, tenant: &Tenant) -> Result<Vec<Category>, ListCategoriesError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(categories::LIST, &[])
            .await
            .context("listing categories")?;
        Ok(rows
            .iter()
            .map(categories::from_row)
            .collect::<anyhow::Result<_>>()?)
    }

    async fn update_category<F>(
        &self,
        tenant: &Tenant,
        id: CategoryId,
        change: F,
    ) -> Result<Category, UpdateCategoryError>
    where
        F: FnOnce(&mut Category) + Send,
    {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(categories::LOCK, &[&id.as_uuid()])
            .await
            .context("locking a category")?;
        let mut category =
            categories::from_row(rows.first().ok_or(UpdateCategoryError::NotFound(id))?)?;
        change(&mut category);
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::CategoryUpdate, Some(id.to_string()));
        tx.query_and_commit(
            categories::UPDATE,
            &[
                &id.as_uuid(),
                &category.name.as_str(),
                &categories::position(&category),
                &categories::serving_hours(&category),
            ],
        )
        .await
        .context("updating a category")?;
        self.changed(tenant);
        Ok(category)
    }

    async fn delete_category(
        &self,
        tenant: &Tenant,
        id: CategoryId,
    ) -> Result<(), DeleteCategoryError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let gone = tx
            .query(categories::DELETE, &[&id.as_uuid()])
            .await
            .context("deleting a category")?;
        if gone.is_empty() {
            return Err(DeleteCategoryError::NotFound(id));
        }
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::CategoryDelete, Some(id.to_string()));
        tx.query_and_commit(menu_items::UNCATEGORISE, &[&id.as_uuid()])
            .await
            .context("taking items out of a deleted category")?;
        self.changed(tenant);
        Ok(())
    }
    async fn create_option_group(
        &self,
        tenant: &Tenant,
        group: NewOptionGroup,
        at_most: usize,
    ) -> Result<OptionGroup, CreateOptionGroupError> {
        let group = group.with_id(OptionGroupId::from_uuid(Uuid::now_v7()));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if count_held(&mut tx, option_groups::HOLD_CREATION, option_groups::COUNT).await? >= at_most
        {
            return Err(CreateOptionGroupError::LimitReached(at_most));
        }
        let (id, name, min, max, options) = option_groups::params(&group);
        tx.audit_on_commit(AuditAction::OptionGroupCreate, Some(id.to_string()));
        tx.query_and_commit(option_groups::INSERT, &[&id, &name, &min, &max, &options])
            .await
            .context("inserting an option group")?;
        Ok(group)
    }

    async fn list_option_groups(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<OptionGroup>, ListOptionGroupsError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(option_groups::LIST, &[])
            .await
            .context("listing option groups")?;
        Ok(option_groups::from_rows(&rows)?)
    }

    async fn get_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<Option<OptionGroup>, ListOptionGroupsError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(option_groups::GET, &[&id.as_uuid()])
            .await
            .context("reading an option group")?;
        Ok(rows.first().map(option_groups::from_row).transpose()?)
    }

    async fn update_option_group<F>(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
        change: F,
    ) -> Result<OptionGroup, UpdateOptionGroupError>
    where
        F: FnOnce(&mut OptionGroup) -> Result<(), OptionGroupError> + Send,
    {
        let uuid = id.as_uuid();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        // One group change at a time per tenant, then this group locked; the items offering it,
        // and their other groups, are read after both locks are held (a fresh snapshot): an
        // item's write that took the group before is seen here, one after waits for this.
        let mut locked = tx
            .query_all(&[
                (option_groups::HOLD_CHANGE, &[]),
                (option_groups::LOCK, &[&uuid]),
            ])
            .await
            .context("locking an option group")?
            .into_iter();
        let rows = locked.nth(1).unwrap_or_default();
        let mut group =
            option_groups::from_row(rows.first().ok_or(UpdateOptionGroupError::NotFound(id))?)?;
        change(&mut group)?;
        let mut read = tx
            .query_all(&[
                (menu_items::OFFERING, &[&uuid]),
                (option_groups::BESIDE, &[&uuid]),
            ])
            .await
            .context("reading the items offering an option group")?
            .into_iter();
        let items = menu_items::from_rows(&read.next().unwrap_or_default())?;
        let mut groups = option_groups::from_rows(&read.next().unwrap_or_default())?;
        groups.retain(|g| g.id != id);
        groups.push(group.clone());
        check_offer(&items, &groups)?;
        let (_, name, min, max, options) = option_groups::params(&group);
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::OptionGroupUpdate, Some(id.to_string()));
        tx.query_and_commit(option_groups::UPDATE, &[&uuid, &name, &min, &max, &options])
            .await
            .context("updating an option group")?;
        self.changed(tenant);
        Ok(group)
    }

    async fn delete_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<(), DeleteOptionGroupError> {
        let uuid = id.as_uuid();
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let gone = tx
            .query(option_groups::DELETE, &[&uuid])
            .await
            .context("deleting an option group")?;
        if gone.is_empty() {
            return Err(DeleteOptionGroupError::NotFound(id));
        }
        // A statement of its own after the delete: a fresh snapshot, which sees an item a
        // transaction that held the group committed while the delete waited for it.
        let offered = tx
            .query(menu_items::ANY_OFFERING, &[&uuid])
            .await
            .context("looking for items offering an option group")?;
        if !offered.is_empty() {
            // Dropping `tx` rolls back: the group stays.
            return Err(DeleteOptionGroupError::InUse(id));
        }
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.audit_on_commit(AuditAction::OptionGroupDelete, Some(id.to_string()));
        tx.query_and_commit(crate::tables::NOTHING, &[])
            .await
            .context("deleting an option group")?;
        self.changed(tenant);
        Ok(())
    }
}

/// Whether the tenant has category `id`; if so, it cannot be deleted before `tx` ends.
/// Takes `hold` (a lock kept to the end of the transaction) then runs `count`, in one round
/// trip: the count's snapshot is taken once the lock is held, so it sees every row a creation
/// that held the lock before committed.
async fn count_held(
    tx: &mut TenantTx,
    hold: &'static str,
    count: &'static str,
) -> anyhow::Result<usize> {
    let rows = tx
        .query_all(&[(hold, &[]), (count, &[])])
        .await
        .context("counting what the tenant has")?;
    let n: i64 = rows
        .get(1)
        .and_then(|rows| rows.first())
        .context("a count without a row")?
        .try_get(0)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The groups `item` offers, as they are (those that exist), kept from changing or going until
/// `tx` ends; none read when it offers none.
async fn hold_groups(tx: &mut TenantTx, item: &MenuItem) -> anyhow::Result<Vec<OptionGroup>> {
    if item.option_groups.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = item.option_groups.iter().map(|g| g.as_uuid()).collect();
    let rows = tx
        .query(option_groups::HOLD_MANY, &[&ids])
        .await
        .context("reading a menu item's option groups")?;
    option_groups::from_rows(&rows)
}

async fn hold_category(tx: &mut TenantTx, id: CategoryId) -> anyhow::Result<bool> {
    let rows = tx
        .query(categories::HOLD, &[&id.as_uuid()])
        .await
        .context("checking a menu item's category")?;
    Ok(!rows.is_empty())
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
