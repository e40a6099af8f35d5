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

use anyhow::{Context as _, anyhow};
use chameleon_core::menu::{
    Category, CategoryId, CategoryName, Description, ImageUrl, MenuFilter, MenuItem, MenuItemId,
    MenuItemName, NewCategory, NewMenuItem, Position, PriceCents, StoreMenu, Tag,
};
use chameleon_core::ports::{
    CreateCategoryError, CreateMenuItemError, DeleteCategoryError, DeleteMenuItemError,
    GetMenuItemError, ListCategoriesError, ListMenuItemsError, MenuRepository, UpdateCategoryError,
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
        "id, name, price, is_available, category_id, description, image_url, tags"
    };
}
const INSERT: &str = "INSERT INTO menu_items \
     (id, name, price, is_available, category_id, description, image_url, tags) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
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
const UPDATE: &str = "UPDATE menu_items SET name = $2, price = $3, is_available = $4, \
     category_id = $5, description = $6, image_url = $7, tags = $8 WHERE id = $1";
const DELETE: &str = "DELETE FROM menu_items WHERE id = $1 RETURNING id";

/// Keeps a category from being deleted until the transaction that names it ends (no foreign
/// key does it: see `V4__menu_categories.sql`).
const HOLD_CATEGORY: &str = "SELECT id FROM categories WHERE id = $1 FOR KEY SHARE";
const INSERT_CATEGORY: &str = "INSERT INTO categories (id, name, position) VALUES ($1, $2, $3)";
pub(crate) const LIST_CATEGORIES: &str = "SELECT id, name, position FROM categories \
     ORDER BY position, name COLLATE \"C\", id";
const LOCK_CATEGORY: &str = "SELECT id, name, position FROM categories WHERE id = $1 FOR UPDATE";
const UPDATE_CATEGORY: &str = "UPDATE categories SET name = $2, position = $3 WHERE id = $1";
const DELETE_CATEGORY: &str = "DELETE FROM categories WHERE id = $1 RETURNING id";
/// A statement of its own after the delete, not a CTE: under READ COMMITTED it takes a fresh
/// snapshot, so it also sees an item a transaction that held the category committed while the
/// delete waited for it.
const UNCATEGORISE: &str = "UPDATE menu_items SET category_id = NULL WHERE category_id = $1";

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
        let categories = tx.query(LIST_CATEGORIES, &[]).await?;
        let items = tx.query_and_commit(LIST_AVAILABLE, &[]).await?;
        let menu = Arc::new(StoreMenu {
            categories: categories
                .iter()
                .map(category_from_row)
                .collect::<anyhow::Result<_>>()?,
            items: items
                .iter()
                .map(item_from_row)
                .collect::<anyhow::Result<_>>()?,
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
        let item = item.with_id(MenuItemId::from_uuid(Uuid::now_v7()));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        if let Some(category) = item.category
            && !hold_category(&mut tx, category).await?
        {
            // Dropping `tx` rolls back; nothing was written.
            return Err(CreateMenuItemError::UnknownCategory(category));
        }
        let row = ItemParams::of(&item)?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(INSERT, &row.params())
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
        if let Some(category) = item.category
            && !hold_category(&mut tx, category).await?
        {
            return Err(UpdateMenuItemError::UnknownCategory(category));
        }
        let row = ItemParams::of(&item)?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(UPDATE, &row.params())
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

    async fn create_category(
        &self,
        tenant: &Tenant,
        category: NewCategory,
    ) -> Result<Category, CreateCategoryError> {
        let category = category.with_id(CategoryId::from_uuid(Uuid::now_v7()));
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(
            INSERT_CATEGORY,
            &[
                &category.id.as_uuid(),
                &category.name.as_str(),
                &i32::from(category.position.get()),
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
            .query_and_commit(LIST_CATEGORIES, &[])
            .await
            .context("listing categories")?;
        Ok(rows
            .iter()
            .map(category_from_row)
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
            .query(LOCK_CATEGORY, &[&id.as_uuid()])
            .await
            .context("locking a category")?;
        let mut category =
            category_from_row(rows.first().ok_or(UpdateCategoryError::NotFound(id))?)?;
        change(&mut category);
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(
            UPDATE_CATEGORY,
            &[
                &id.as_uuid(),
                &category.name.as_str(),
                &i32::from(category.position.get()),
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
            .query(DELETE_CATEGORY, &[&id.as_uuid()])
            .await
            .context("deleting a category")?;
        if gone.is_empty() {
            return Err(DeleteCategoryError::NotFound(id));
        }
        tx.publish_on_commit(&Change::Menu(tenant.id));
        tx.query_and_commit(UNCATEGORISE, &[&id.as_uuid()])
            .await
            .context("taking items out of a deleted category")?;
        self.changed(tenant);
        Ok(())
    }
}

/// Whether the tenant has category `id`; if so, it cannot be deleted before `tx` ends.
async fn hold_category(tx: &mut TenantTx, id: CategoryId) -> anyhow::Result<bool> {
    let rows = tx
        .query(HOLD_CATEGORY, &[&id.as_uuid()])
        .await
        .context("checking a menu item's category")?;
    Ok(!rows.is_empty())
}

/// An item's columns as statement parameters, in `INSERT`'s and `UPDATE`'s order.
struct ItemParams<'a> {
    id: Uuid,
    name: &'a str,
    price: i32,
    is_available: bool,
    category: Option<Uuid>,
    description: Option<&'a str>,
    image_url: Option<&'a str>,
    tags: Option<Vec<&'static str>>,
}

impl<'a> ItemParams<'a> {
    fn of(item: &'a MenuItem) -> anyhow::Result<Self> {
        Ok(Self {
            id: item.id.as_uuid(),
            name: item.name.as_str(),
            price: i32::try_from(item.price.cents()).context("price out of range")?,
            is_available: item.is_available,
            category: item.category.map(|c| c.as_uuid()),
            description: item.description.as_ref().map(Description::as_str),
            image_url: item.image_url.as_ref().map(ImageUrl::as_str),
            // No tags is NULL (the column refuses an empty array).
            tags: (!item.tags.is_empty()).then(|| item.tags.iter().map(|t| t.as_str()).collect()),
        })
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 8] {
        [
            &self.id,
            &self.name,
            &self.price,
            &self.is_available,
            &self.category,
            &self.description,
            &self.image_url,
            &self.tags,
        ]
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
    let bad = |e: &dyn std::fmt::Display| anyhow!("menu item {id}: {e}");
    let description: Option<&str> = row.try_get("description")?;
    let image_url: Option<&str> = row.try_get("image_url")?;
    let tags: Option<Vec<&str>> = row.try_get("tags")?;
    Ok(MenuItem {
        id: MenuItemId::from_uuid(id),
        name: MenuItemName::parse(row.try_get("name")?).map_err(|e| bad(&e))?,
        price: PriceCents::try_from(i64::from(price))?,
        is_available: row.try_get("is_available")?,
        category: row
            .try_get::<_, Option<Uuid>>("category_id")?
            .map(CategoryId::from_uuid),
        description: description
            .map(Description::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        image_url: image_url
            .map(ImageUrl::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        tags: Tag::parse_set(tags.unwrap_or_default()).map_err(|e| bad(&e))?,
    })
}

/// Rebuilds a category from a `categories` row, re-validating its fields.
pub(crate) fn category_from_row(row: &Row) -> anyhow::Result<Category> {
    let id: Uuid = row.try_get("id")?;
    let position: i32 = row.try_get("position")?;
    Ok(Category {
        id: CategoryId::from_uuid(id),
        name: CategoryName::parse(row.try_get("name")?)
            .map_err(|e| anyhow!("category {id}: {e}"))?,
        position: Position::try_from(i64::from(position))?,
    })
}
