//! The use cases, generic over the ports: what the HTTP adapter (or any other driver) calls.
//!
//! The rules of a use case are applied here, once, whatever the adapters: an order is priced by
//! [`NewOrder::price`] inside the order repository's transaction, a status moves only as
//! [`OrderStatus::change_to`] allows, a partial update is applied by [`MenuItemPatch::apply`].
//! Reads that involve no rule go straight to their port.

use std::fmt;
use std::sync::Arc;

use crate::hours::{OpenStatus, StoreSettings};
use crate::idempotency::{self, RequestFingerprint};
use crate::menu::{
    Category, CategoryId, CategoryPatch, MenuFilter, MenuItem, MenuItemId, MenuItemPatch,
    NewCategory, NewMenuItem, StoreMenu,
};
use crate::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderStatus, PlaceOrderRequest,
};
use crate::ports::{
    ChangeOrderStatusError, CreateCategoryError, CreateMenuItemError, DeleteCategoryError,
    DeleteMenuItemError, DeprovisionError, DomainChangeError, ExportError, ExportSink,
    GetMenuItemError, GetOrderError, ListCategoriesError, ListMenuItemsError, ListOrdersError,
    ListTenantsError, MenuRepository, MigrateAllError, MigrationReport, OrderRepository,
    PlaceOrderError, Placement, Placing, Ports, ProvisionTenantError, ResolveTenantError,
    TenantDirectory, TenantProvisioner, UpdateCategoryError, UpdateMenuItemError,
    UpdateTenantError,
};
use crate::tenant::{
    Domain, ManagerKeyHash, NewTenant, Tenant, TenantDetails, TenantId, TenantName, TenantPatch,
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

/// Chameleon's use cases over one set of adapters.
pub struct Chameleon<P: Ports> {
    directory: P::Directory,
    provisioner: P::Provisioner,
    menu: P::Menu,
    orders: P::Orders,
}

impl<P: Ports> fmt::Debug for Chameleon<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chameleon").finish_non_exhaustive()
    }
}

impl<P: Ports> Chameleon<P> {
    pub fn new(
        directory: P::Directory,
        provisioner: P::Provisioner,
        menu: P::Menu,
        orders: P::Orders,
    ) -> Self {
        Self {
            directory,
            provisioner,
            menu,
            orders,
        }
    }

    // --- system -------------------------------------------------------------------------------

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

    /// Changes a tenant's name, theme or status; every instance serves the change at once.
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

    /// The tenant's menu and orders, one record at a time, into `sink`.
    pub async fn export_tenant<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> Result<(), ExportError> {
        self.orders.export(tenant, sink).await
    }

    pub async fn migrate_all_tenants(&self) -> Result<MigrationReport, MigrateAllError> {
        self.provisioner.migrate_all().await
    }

    // --- tenant resolution --------------------------------------------------------------------

    /// The tenant a storefront request on `domain` belongs to, if any.
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

    // --- storefront ---------------------------------------------------------------------------

    /// The tenant's branding and trading settings, and whether it is open at `now`; pure, from
    /// the resolved tenant.
    pub fn store_config(&self, tenant: &Tenant, now: jiff::Timestamp) -> StoreConfig {
        StoreConfig {
            tenant_id: tenant.id,
            name: tenant.name.clone(),
            theme: tenant.theme.clone(),
            css: tenant.theme.css(),
            settings: tenant.settings.clone(),
            hours: tenant.settings.status(now),
        }
    }

    /// The categories, and what a customer can order now.
    pub async fn store_menu(&self, tenant: &Tenant) -> Result<StoreMenu, ListMenuItemsError> {
        self.menu.store_menu(tenant).await
    }

    /// Places a guest order, priced from the prices stored when it is placed: the repository
    /// reads the items in the transaction that stores the order, and core prices them there.
    /// With an `Idempotency-Key`, a retry of the same request answers as the first did and
    /// places nothing (see [`idempotency`]).
    pub async fn place_order(
        &self,
        tenant: &Tenant,
        request: PlaceOrderRequest,
    ) -> Result<Placement, PlaceOrderError> {
        let PlaceOrderRequest {
            order,
            idempotency_key,
            tracking_token,
            placed_at,
        } = request;
        // Judged with the items, inside the placement: a retry of an order placed while open
        // still replays after closing time, like one whose items have since run out.
        let hours = tenant.settings.status(placed_at);
        let closed = (!hours.open_now).then(|| {
            let zone = &tenant.settings.timezone;
            OrderRejection::Closed {
                opens: hours.next_change,
                opens_local: hours.next_change.map(|at| {
                    let local = at.to_zoned_datetime(zone.zone().clone());
                    format!("{} ({})", local.strftime("%a %H:%M"), zone.as_str())
                }),
            }
        });
        let wanted: Vec<MenuItemId> = order.lines.item_ids().collect();
        let fingerprint = RequestFingerprint::of(&order);
        let placing = Placing {
            wanted: &wanted,
            key: idempotency_key.as_ref(),
            judge_prior: |prior: &_| Ok(idempotency::judge(prior, &fingerprint)?),
            price: |stored: &[_]| {
                if let Some(closed) = &closed {
                    return Err(closed.clone());
                }
                let new = NewOrder::price(&order, stored)?.with_tracking(tracking_token.clone());
                Ok(match &idempotency_key {
                    Some(key) => new.with_idempotency(key.clone(), fingerprint),
                    None => new,
                })
            },
        };
        Ok(match self.orders.place(tenant, placing).await? {
            Placement::Replayed(order) => Placement::Replayed(idempotency::first_answer(order)),
            placed => placed,
        })
    }

    /// Order `id` for the customer holding `token`: `None` when there is no such order on this
    /// tenant, when it cannot be followed, or when the token is not its own (one answer for all,
    /// so a guess learns nothing).
    pub async fn track_order(
        &self,
        tenant: &Tenant,
        id: OrderId,
        token: &str,
    ) -> Result<Option<Order>, GetOrderError> {
        let order = self.orders.get(tenant, id).await?;
        Ok(order.filter(|order| {
            order
                .tracking_token
                .as_ref()
                .is_some_and(|own| own.verifies(token))
        }))
    }

    // --- manager ------------------------------------------------------------------------------

    /// Replaces the tenant's manager key: the old one stops working at once.
    pub async fn rotate_manager_key(
        &self,
        tenant: &Tenant,
        hash: ManagerKeyHash,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        self.directory.replace_manager_key(tenant.id, hash).await
    }

    pub async fn create_menu_item(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
    ) -> Result<MenuItem, CreateMenuItemError> {
        self.menu.create(tenant, item).await
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
        self.menu.create_category(tenant, category).await
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

    /// One page of the tenant's orders, newest first.
    pub async fn list_orders(
        &self,
        tenant: &Tenant,
        page: OrderPage,
    ) -> Result<OrderList, ListOrdersError> {
        self.orders.list(tenant, page).await
    }

    /// Moves an order to `next`, as [`OrderStatus::may_become`] allows; anything else is refused
    /// and nothing changes.
    pub async fn change_order_status(
        &self,
        tenant: &Tenant,
        id: OrderId,
        next: OrderStatus,
    ) -> Result<Order, ChangeOrderStatusError> {
        self.orders
            .change_status(tenant, id, |order| order.status.change_to(next))
            .await
    }

    /// Confirms a PENDING order; any other status is refused and nothing changes.
    pub async fn confirm_order(
        &self,
        tenant: &Tenant,
        id: OrderId,
    ) -> Result<Order, ChangeOrderStatusError> {
        self.orders
            .change_status(tenant, id, |order| {
                order.status.change_to(OrderStatus::Confirmed)
            })
            .await
    }
}
