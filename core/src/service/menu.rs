//! A tenant's menu: its items and categories, and what a customer can order.

use std::fmt;

use crate::menu::{
    Category, CategoryId, CategoryPatch, MenuFilter, MenuItem, MenuItemId, MenuItemPatch,
    NewCategory, NewMenuItem, StoreMenu,
};
use crate::options::{NewOptionGroup, OptionGroup, OptionGroupId, OptionGroupPatch};
use crate::ports::{
    CreateCategoryError, CreateMenuItemError, CreateOptionGroupError, DeleteCategoryError,
    DeleteMenuItemError, DeleteOptionGroupError, GetMenuItemError, ListCategoriesError,
    ListMenuItemsError, ListOptionGroupsError, MenuRepository, UpdateCategoryError,
    UpdateMenuItemError, UpdateOptionGroupError,
};
use crate::tenant::{ActiveTenant, Tenant};

/// How large a restaurant's menu may grow: every storefront and manager read returns the whole
/// menu, so its size bounds what one request can cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuLimits {
    /// Items at most (`MAX_MENU_ITEMS`).
    pub items: usize,
    /// Categories at most (`MAX_CATEGORIES`).
    pub categories: usize,
    /// Option groups at most (`MAX_OPTION_GROUPS`).
    pub option_groups: usize,
}

impl Default for MenuLimits {
    fn default() -> Self {
        Self {
            items: 2_000,
            categories: 200,
            option_groups: 200,
        }
    }
}

/// The menu use cases: over the menu repository only.
pub struct Menu<M> {
    menu: M,
    limits: MenuLimits,
}

impl<M> fmt::Debug for Menu<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Menu").finish_non_exhaustive()
    }
}

impl<M: MenuRepository> Menu<M> {
    pub fn new(menu: M) -> Self {
        Self {
            menu,
            limits: MenuLimits::default(),
        }
    }

    /// The same use cases under other limits.
    pub fn with_limits(mut self, limits: MenuLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> MenuLimits {
        self.limits
    }

    /// The categories, and what a customer can order now.
    pub async fn store_menu(&self, tenant: &ActiveTenant) -> Result<StoreMenu, ListMenuItemsError> {
        self.menu.store_menu(tenant).await
    }

    pub async fn create_menu_item(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
    ) -> Result<MenuItem, CreateMenuItemError> {
        self.menu.create(tenant, item, self.limits.items).await
    }

    pub async fn list_menu_items(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<MenuItem>, ListMenuItemsError> {
        self.menu.list(tenant, MenuFilter::All).await
    }

    pub async fn get_menu_item(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, GetMenuItemError> {
        self.menu.get(tenant, id).await
    }

    /// Changes the fields `patch` names, and only those.
    pub async fn update_menu_item(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
        patch: MenuItemPatch,
    ) -> Result<MenuItem, UpdateMenuItemError> {
        self.menu
            .update(tenant, id, move |item| patch.apply(item))
            .await
    }

    pub async fn delete_menu_item(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> Result<(), DeleteMenuItemError> {
        self.menu.delete(tenant, id).await
    }

    pub async fn create_category(
        &self,
        tenant: &Tenant,
        category: NewCategory,
    ) -> Result<Category, CreateCategoryError> {
        self.menu
            .create_category(tenant, category, self.limits.categories)
            .await
    }

    /// The tenant's categories in the menu's order.
    pub async fn list_categories(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<Category>, ListCategoriesError> {
        self.menu.list_categories(tenant).await
    }

    /// Changes the fields `patch` names, and only those.
    pub async fn update_category(
        &self,
        tenant: &Tenant,
        id: CategoryId,
        patch: CategoryPatch,
    ) -> Result<Category, UpdateCategoryError> {
        self.menu
            .update_category(tenant, id, move |category| patch.apply(category))
            .await
    }

    /// Removes a category; its items stay on the menu, in no category.
    pub async fn delete_category(
        &self,
        tenant: &Tenant,
        id: CategoryId,
    ) -> Result<(), DeleteCategoryError> {
        self.menu.delete_category(tenant, id).await
    }

    /// Creates an option group, once it [checks](OptionGroup::check).
    pub async fn create_option_group(
        &self,
        tenant: &Tenant,
        group: NewOptionGroup,
    ) -> Result<OptionGroup, CreateOptionGroupError> {
        group.check()?;
        self.menu
            .create_option_group(tenant, group, self.limits.option_groups)
            .await
    }

    /// The tenant's option groups, by name.
    pub async fn list_option_groups(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<OptionGroup>, ListOptionGroupsError> {
        self.menu.list_option_groups(tenant).await
    }

    pub async fn get_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<Option<OptionGroup>, ListOptionGroupsError> {
        self.menu.get_option_group(tenant, id).await
    }

    /// Changes what `patch` names; the group must still check, and no item offering it may
    /// then price below 0.
    pub async fn update_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
        patch: OptionGroupPatch,
    ) -> Result<OptionGroup, UpdateOptionGroupError> {
        self.menu
            .update_option_group(tenant, id, move |group| patch.apply(group))
            .await
    }

    /// Removes a group no item offers.
    pub async fn delete_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<(), DeleteOptionGroupError> {
        self.menu.delete_option_group(tenant, id).await
    }
}
