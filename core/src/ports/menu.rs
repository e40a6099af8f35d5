//! A tenant's menu.

use std::future::Future;

use thiserror::Error;

use crate::menu::{MenuFilter, MenuItem, MenuItemId, NewMenuItem};
use crate::tenant::Tenant;

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

    /// Reads item `id` and keeps it from changing, lets `change` edit it, stores the result, all
    /// in one transaction; MUST return the item as stored, or `Err(NotFound)` (calling nothing).
    fn update<F>(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
        change: F,
    ) -> impl Future<Output = Result<MenuItem, UpdateMenuItemError>> + Send
    where
        F: FnOnce(&mut MenuItem) + Send;

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
