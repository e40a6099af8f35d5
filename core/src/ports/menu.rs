//! A tenant's menu: its items and the categories that order them.

use std::future::Future;

use thiserror::Error;

use crate::menu::{
    Category, CategoryId, MenuFilter, MenuItem, MenuItemId, NewCategory, NewMenuItem, StoreMenu,
};
use crate::options::{NewOptionGroup, OfferError, OptionGroup, OptionGroupError, OptionGroupId};
use crate::tenant::Tenant;

/// A tenant's menu.
pub trait MenuRepository: Send + Sync + 'static {
    /// Stores a new item under a freshly drawn id and MUST return it as stored; MUST return
    /// `Err(UnknownCategory)` (storing nothing) when its category is not one of the tenant's,
    /// `Err(Offer)` (storing nothing) when [`check_offer`](crate::options::check_offer) refuses
    /// it with the tenant's groups as they are in the transaction (which MUST keep them from
    /// changing until it ends), and `Err(LimitReached)` (storing nothing) when the tenant has `at_most` items already,
    /// also when several creations race for the last place.
    fn create(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
        at_most: usize,
    ) -> impl Future<Output = Result<MenuItem, CreateMenuItemError>> + Send;

    /// MUST return the tenant's items admitted by `filter`, ordered by name then id, and never an
    /// item of another tenant.
    fn list(
        &self,
        tenant: &Tenant,
        filter: MenuFilter,
    ) -> impl Future<Output = Result<Vec<MenuItem>, ListMenuItemsError>> + Send;

    /// What a customer sees: every category of the tenant, by position, then name (byte order),
    /// then id; every item, as [`Self::list`] orders them; and the groups those items offer, by
    /// name then id. MAY be served from a
    /// cache, which every write through this repository MUST leave current at once.
    fn store_menu(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<StoreMenu, ListMenuItemsError>> + Send;

    /// MUST return `Ok(None)` when the tenant has no item `id` (also when another tenant has).
    fn get(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> impl Future<Output = Result<Option<MenuItem>, GetMenuItemError>> + Send;

    /// Reads item `id` and keeps it from changing, lets `change` edit it, stores the result, all
    /// in one transaction; MUST return the item as stored, or `Err(NotFound)` (calling nothing),
    /// or `Err(UnknownCategory)` (storing nothing) when the edited item's category is not one of
    /// the tenant's, or `Err(Offer)` as [`Self::create`] does.
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

    /// Stores a new category under a freshly drawn id and MUST return it as stored; MUST return
    /// `Err(LimitReached)` (storing nothing) when the tenant has `at_most` categories already,
    /// also when several creations race for the last place.
    fn create_category(
        &self,
        tenant: &Tenant,
        category: NewCategory,
        at_most: usize,
    ) -> impl Future<Output = Result<Category, CreateCategoryError>> + Send;

    /// MUST return the tenant's categories in the order [`Self::store_menu`] gives them.
    fn list_categories(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Vec<Category>, ListCategoriesError>> + Send;

    /// Like [`Self::update`], for category `id`.
    fn update_category<F>(
        &self,
        tenant: &Tenant,
        id: CategoryId,
        change: F,
    ) -> impl Future<Output = Result<Category, UpdateCategoryError>> + Send
    where
        F: FnOnce(&mut Category) + Send;

    /// Removes the category and, in the same transaction, takes its items out of it (they stay
    /// on the menu, uncategorised); MUST return `Err(NotFound)` when the tenant has no
    /// category `id`.
    fn delete_category(
        &self,
        tenant: &Tenant,
        id: CategoryId,
    ) -> impl Future<Output = Result<(), DeleteCategoryError>> + Send;

    /// Stores a new option group (already [checked](OptionGroup::check)) under a freshly drawn
    /// id and MUST return it as stored; `Err(LimitReached)` (storing nothing) when the tenant
    /// has `at_most` groups already, also when several creations race for the last place.
    fn create_option_group(
        &self,
        tenant: &Tenant,
        group: NewOptionGroup,
        at_most: usize,
    ) -> impl Future<Output = Result<OptionGroup, CreateOptionGroupError>> + Send;

    /// MUST return the tenant's groups by name (byte order), then id.
    fn list_option_groups(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Vec<OptionGroup>, ListOptionGroupsError>> + Send;

    /// MUST return `Ok(None)` when the tenant has no group `id` (also when another tenant has).
    fn get_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> impl Future<Output = Result<Option<OptionGroup>, ListOptionGroupsError>> + Send;

    /// Reads group `id` and keeps it from changing, lets `change` edit it, stores the result,
    /// all in one transaction; MUST return the group as stored, or `Err(NotFound)` (calling
    /// nothing), or `Err(Invalid)` with `change`'s refusal, or `Err(Offer)` when an item that
    /// offers the group would then price below 0 ([`check_offer`](crate::options::check_offer)
    /// over every such item), storing nothing.
    fn update_option_group<F>(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
        change: F,
    ) -> impl Future<Output = Result<OptionGroup, UpdateOptionGroupError>> + Send
    where
        F: FnOnce(&mut OptionGroup) -> Result<(), OptionGroupError> + Send;

    /// Removes the group; MUST return `Err(NotFound)` when the tenant has none `id`, and
    /// `Err(InUse)` (removing nothing) when an item offers it, also an item stored by a
    /// transaction that raced with this one.
    fn delete_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> impl Future<Output = Result<(), DeleteOptionGroupError>> + Send;
}

#[derive(Debug, Error)]
pub enum CreateOptionGroupError {
    /// Refused by [`NewOptionGroup::check`] (the service checks before the repository stores).
    #[error(transparent)]
    Invalid(#[from] OptionGroupError),
    #[error("the menu already has {0} option groups, as many as a restaurant may have")]
    LimitReached(usize),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
#[error("the option groups could not be read")]
pub struct ListOptionGroupsError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
pub enum UpdateOptionGroupError {
    #[error("there is no option group {0}")]
    NotFound(OptionGroupId),
    #[error(transparent)]
    Invalid(#[from] OptionGroupError),
    #[error(transparent)]
    Offer(#[from] OfferError),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
pub enum DeleteOptionGroupError {
    #[error("there is no option group {0}")]
    NotFound(OptionGroupId),
    #[error("option group {0} is offered by a menu item")]
    InUse(OptionGroupId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
pub enum CreateMenuItemError {
    #[error("there is no category {0}")]
    UnknownCategory(CategoryId),
    #[error(transparent)]
    Offer(#[from] OfferError),
    #[error("the menu already has {0} items, as many as a restaurant may have")]
    LimitReached(usize),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

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
    #[error("there is no category {0}")]
    UnknownCategory(CategoryId),
    #[error(transparent)]
    Offer(#[from] OfferError),
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

#[derive(Debug, Error)]
pub enum CreateCategoryError {
    #[error("the menu already has {0} categories, as many as a restaurant may have")]
    LimitReached(usize),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
#[error("the categories could not be read")]
pub struct ListCategoriesError(#[from] pub anyhow::Error);

#[derive(Debug, Error)]
pub enum UpdateCategoryError {
    #[error("there is no category {0}")]
    NotFound(CategoryId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, Error)]
pub enum DeleteCategoryError {
    #[error("there is no category {0}")]
    NotFound(CategoryId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
