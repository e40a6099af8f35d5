//! In-memory fakes of every Chameleon port.
//!
//! [`MemoryStore`] implements the tenant directory, the provisioner, the export and the menu and
//! order repositories over one mutex-guarded state, with the semantics the port contract fixes and
//! PostgreSQL shows: a taken domain is a duplicate, an item of another tenant is unknown, an
//! operation on a tenant that was never provisioned fails. A unit of work (pricing an order,
//! deciding a status, editing an item) runs under the lock: the memory counterpart of one
//! transaction. Handler and service tests use it to run without a database;
//! `tests/contract.rs` holds it to the same suite as the PostgreSQL adapter.
//!
//! # Layout
//! The state, and one `impl` block per port; the staff port in `staff.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use chameleon_core::idempotency::{IdempotencyKey, PriorAttempt, PriorOutcome, RequestFingerprint};
use chameleon_core::menu::{
    Category, CategoryId, MenuFilter, MenuItem, MenuItemId, NewCategory, NewMenuItem, StoreMenu,
};
use chameleon_core::options::{
    NewOptionGroup, OfferError, OptionGroup, OptionGroupError, OptionGroupId, check_offer,
};
use chameleon_core::order::{
    NewOrder, Order, OrderId, OrderList, OrderPage, OrderRejection, OrderStatus,
    StatusChangeRefused, Stock,
};
use chameleon_core::ports::{
    ChangeOrderStatusError, CreateCategoryError, CreateMenuItemError, DeleteCategoryError,
    DeleteMenuItemError, DeprovisionError, DomainChangeError, ExportError, ExportSink,
    GetMenuItemError, GetOrderError, ListCategoriesError, ListMenuItemsError, ListOrdersError,
    ListTenantsError, MenuRepository, OrderRepository, PlaceOrderError, Placement, Placing, Ports,
    ProvisionTenantError, ResolveTenantError, TenantDirectory, TenantExport, TenantProvisioner,
    UpdateCategoryError, UpdateMenuItemError, UpdateTenantError,
};
use chameleon_core::ports::{
    CreateOptionGroupError, DeleteOptionGroupError, ListOptionGroupsError, UpdateOptionGroupError,
};
use chameleon_core::staff::AuditAction;
use chameleon_core::tenant::{
    Certificate, Domain, ManagerKeyHash, NewTenant, SchemaName, Tenant, TenantDetails,
    TenantDomain, TenantId, TenantPatch, TenantStatus,
};
use uuid::Uuid;

mod staff;

/// One tenant's data, the in-memory counterpart of a tenant schema.
#[derive(Debug, Default)]
struct TenantData {
    categories: BTreeMap<CategoryId, Category>,
    menu: BTreeMap<MenuItemId, MenuItem>,
    option_groups: BTreeMap<OptionGroupId, OptionGroup>,
    /// Oldest first; listings reverse it.
    orders: Vec<StoredOrder>,
    staff: staff::StaffData,
}

/// An order, and the key (and request fingerprint) it was placed under, if any.
#[derive(Debug, Clone)]
struct StoredOrder {
    order: Order,
    idempotency: Option<(IdempotencyKey, RequestFingerprint)>,
    /// The pickup slot it counts against (until cancelled).
    slot: Option<jiff::Timestamp>,
}

/// Now, to the microsecond: what PostgreSQL keeps of a timestamp, so orders placed here page
/// exactly as they do there.
fn now_micros() -> SystemTime {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    UNIX_EPOCH + Duration::from_micros(u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
}

#[derive(Debug, Default)]
struct State {
    tenants: HashMap<TenantId, Arc<Tenant>>,
    by_domain: HashMap<Domain, TenantId>,
    /// Each tenant's domains, oldest first (the primary is also [`Tenant::domain`]).
    domains: HashMap<TenantId, Vec<Domain>>,
    data: HashMap<TenantId, TenantData>,
}

impl State {
    fn details(&self, id: TenantId) -> Option<TenantDetails> {
        let tenant = self.tenants.get(&id)?;
        let mut domains: Vec<TenantDomain> = self
            .domains
            .get(&id)
            .into_iter()
            .flatten()
            .map(|domain| TenantDomain {
                domain: domain.clone(),
                primary: *domain == tenant.domain,
                // The fakes issue no certificates.
                certificate: Certificate::default(),
            })
            .collect();
        domains.sort_by(|a, b| (!a.primary, &a.domain).cmp(&(!b.primary, &b.domain)));
        Some(TenantDetails {
            tenant: (**tenant).clone(),
            domains,
        })
    }

    /// Replaces tenant `id` with what `change` makes of it.
    fn change_tenant(&mut self, id: TenantId, change: impl FnOnce(&Tenant) -> Tenant) {
        if let Some(tenant) = self.tenants.get_mut(&id) {
            *tenant = Arc::new(change(tenant));
        }
    }
}

/// All ports in memory. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

/// The [`Ports`] bundle in which every port is a [`MemoryStore`]: what a test names to build a
/// `Chameleon<MemoryPorts>` over one store (`Chameleon::new(store.clone(), store.clone(),
/// store.clone(), store.clone(), store)`). Building the application stays with whoever composes it.
#[derive(Debug)]
pub struct MemoryPorts;

impl Ports for MemoryPorts {
    type Directory = MemoryStore;
    type Provisioner = MemoryStore;
    type Export = MemoryStore;
    type Menu = MemoryStore;
    type Orders = MemoryStore;
    type Staff = MemoryStore;
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated (every mutation
        // below completes before it could panic), so a poisoned lock is safe to reuse.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the tenant's data, failing like PostgreSQL would (a missing schema) when the
    /// tenant was never provisioned.
    fn with_tenant<T>(
        &self,
        tenant: &Tenant,
        f: impl FnOnce(&mut TenantData) -> T,
    ) -> Result<T, anyhow::Error> {
        let mut state = self.lock();
        let data = state
            .data
            .get_mut(&tenant.id)
            .ok_or_else(|| anyhow!("tenant {} has no storage", tenant.id))?;
        // What PostgreSQL's session check (`session_gate`) does at the start of each transaction.
        data.staff.gate(tenant)?;
        Ok(f(data))
    }
}

impl TenantDirectory for MemoryStore {
    async fn register(&self, _tenant: &Tenant) {
        // `provision` already made the tenant visible: this directory has no cache to warm.
    }

    async fn resolve_domain(
        &self,
        domain: &Domain,
    ) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        let state = self.lock();
        Ok(state
            .by_domain
            .get(domain)
            .and_then(|id| state.tenants.get(id))
            .cloned())
    }

    async fn get(&self, id: TenantId) -> Result<Option<Arc<Tenant>>, ResolveTenantError> {
        Ok(self.lock().tenants.get(&id).cloned())
    }

    async fn list(&self) -> Result<Vec<Tenant>, ListTenantsError> {
        let mut tenants: Vec<Tenant> = self
            .lock()
            .tenants
            .values()
            .map(|t| (**t).clone())
            .collect();
        tenants.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok(tenants)
    }

    async fn replace_manager_key(
        &self,
        id: TenantId,
        hash: ManagerKeyHash,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut state = self.lock();
        let tenant = state
            .tenants
            .get_mut(&id)
            .ok_or(UpdateTenantError::NotFound(id))?;
        let mut updated = (**tenant).clone();
        updated.manager_key_hash = hash;
        *tenant = Arc::new(updated);
        Ok(tenant.clone())
    }

    async fn details(&self, id: TenantId) -> Result<Option<TenantDetails>, ResolveTenantError> {
        Ok(self.lock().details(id))
    }

    async fn update(
        &self,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Arc<Tenant>, UpdateTenantError> {
        let mut state = self.lock();
        let tenant = state
            .tenants
            .get_mut(&id)
            .ok_or(UpdateTenantError::NotFound(id))?;
        *tenant = Arc::new(patch.apply(tenant));
        Ok(tenant.clone())
    }

    async fn add_domain(
        &self,
        id: TenantId,
        domain: Domain,
        primary: bool,
    ) -> Result<TenantDetails, DomainChangeError> {
        let mut state = self.lock();
        if !state.tenants.contains_key(&id) {
            return Err(DomainChangeError::NotFound(id));
        }
        if state.domains.get(&id).map_or(0, Vec::len)
            >= chameleon_core::rules::numbers::DOMAINS_PER_TENANT
        {
            return Err(DomainChangeError::TooManyDomains);
        }
        if state.by_domain.contains_key(&domain) {
            return Err(DomainChangeError::Taken(domain));
        }
        state.by_domain.insert(domain.clone(), id);
        state.domains.entry(id).or_default().push(domain.clone());
        if primary {
            state.change_tenant(id, |t| Tenant {
                domain,
                ..t.clone()
            });
        }
        Ok(state.details(id).expect("the tenant exists"))
    }

    async fn remove_domain(
        &self,
        id: TenantId,
        domain: &Domain,
    ) -> Result<TenantDetails, DomainChangeError> {
        let mut state = self.lock();
        let domains = state
            .domains
            .get_mut(&id)
            .ok_or(DomainChangeError::NotFound(id))?;
        let at = domains
            .iter()
            .position(|d| d == domain)
            .ok_or_else(|| DomainChangeError::NoSuchDomain(domain.clone()))?;
        if domains.len() == 1 {
            return Err(DomainChangeError::LastDomain(domain.clone()));
        }
        domains.remove(at);
        let oldest = domains[0].clone();
        state.by_domain.remove(domain);
        if state.tenants.get(&id).is_some_and(|t| t.domain == *domain) {
            state.change_tenant(id, |t| Tenant {
                domain: oldest,
                ..t.clone()
            });
        }
        Ok(state.details(id).expect("the tenant exists"))
    }

    async fn unregister(&self, _removed: &TenantDetails) {
        // `deprovision` already removed it: nothing is cached here.
    }
}

impl TenantProvisioner for MemoryStore {
    async fn provision(&self, new: NewTenant) -> Result<Tenant, ProvisionTenantError> {
        let mut state = self.lock();
        if state.by_domain.contains_key(&new.domain) {
            return Err(ProvisionTenantError::DuplicateDomain(new.domain));
        }
        let id = TenantId::from_uuid(Uuid::new_v4());
        let tenant = Tenant {
            id,
            schema: SchemaName::for_tenant(id),
            domain: new.domain,
            name: new.name,
            theme: new.theme,
            status: TenantStatus::Active,
            settings: new.settings,
            manager_key_hash: new.manager_key_hash,
            acting: None,
        };
        state.by_domain.insert(tenant.domain.clone(), id);
        state.domains.insert(id, vec![tenant.domain.clone()]);
        state.tenants.insert(id, Arc::new(tenant.clone()));
        state.data.insert(id, TenantData::default());
        Ok(tenant)
    }

    async fn deprovision(
        &self,
        id: TenantId,
        confirm: &Domain,
    ) -> Result<TenantDetails, DeprovisionError> {
        let mut state = self.lock();
        let details = state.details(id).ok_or(DeprovisionError::NotFound(id))?;
        if details.tenant.domain != *confirm {
            return Err(DeprovisionError::WrongConfirmation);
        }
        for domain in state.domains.remove(&id).unwrap_or_default() {
            state.by_domain.remove(&domain);
        }
        state.tenants.remove(&id);
        state.data.remove(&id);
        Ok(details)
    }
}

impl MenuRepository for MemoryStore {
    async fn create(
        &self,
        tenant: &Tenant,
        item: NewMenuItem,
        at_most: usize,
    ) -> Result<MenuItem, CreateMenuItemError> {
        let item = item.with_id(MenuItemId::from_uuid(Uuid::now_v7()));
        self.with_tenant(tenant, |data| {
            if data.menu.len() >= at_most {
                return Err(CreateMenuItemError::LimitReached(at_most));
            }
            if let Some(unknown) = data.unknown_category(&item) {
                return Err(CreateMenuItemError::UnknownCategory(unknown));
            }
            data.check_offer([&item])?;
            data.menu.insert(item.id, item.clone());
            data.staff
                .audit(tenant, AuditAction::MenuItemCreate, item.id);
            Ok(item)
        })?
    }

    async fn store_menu(&self, tenant: &Tenant) -> Result<StoreMenu, ListMenuItemsError> {
        let items = MenuRepository::list(self, tenant, MenuFilter::All).await?;
        let (categories, option_groups) = self.with_tenant(tenant, |data| {
            let offered: std::collections::HashSet<OptionGroupId> = items
                .iter()
                .flat_map(|item| item.option_groups.iter().copied())
                .collect();
            let groups = data
                .sorted_groups()
                .into_iter()
                .filter(|g| offered.contains(&g.id))
                .collect();
            (data.sorted_categories(), groups)
        })?;
        Ok(StoreMenu {
            categories,
            items,
            option_groups,
        })
    }

    async fn list(
        &self,
        tenant: &Tenant,
        filter: MenuFilter,
    ) -> Result<Vec<MenuItem>, ListMenuItemsError> {
        let mut items = self.with_tenant(tenant, |data| {
            data.menu
                .values()
                .filter(|item| filter.admits(item))
                .cloned()
                .collect::<Vec<_>>()
        })?;
        items.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        Ok(items)
    }

    async fn get(
        &self,
        tenant: &Tenant,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, GetMenuItemError> {
        Ok(self.with_tenant(tenant, |data| data.menu.get(&id).cloned())?)
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
        self.with_tenant(tenant, |data| {
            let mut item = data
                .menu
                .get(&id)
                .cloned()
                .ok_or(UpdateMenuItemError::NotFound(id))?;
            change(&mut item);
            if let Some(unknown) = data.unknown_category(&item) {
                return Err(UpdateMenuItemError::UnknownCategory(unknown));
            }
            data.check_offer([&item])?;
            data.menu.insert(id, item.clone());
            data.staff.audit(tenant, AuditAction::MenuItemUpdate, id);
            Ok(item)
        })?
    }

    async fn delete(&self, tenant: &Tenant, id: MenuItemId) -> Result<(), DeleteMenuItemError> {
        self.with_tenant(tenant, |data| {
            let removed = data.menu.remove(&id);
            if removed.is_some() {
                data.staff.audit(tenant, AuditAction::MenuItemDelete, id);
            }
            removed
        })?
        .map(drop)
        .ok_or(DeleteMenuItemError::NotFound(id))
    }

    async fn create_category(
        &self,
        tenant: &Tenant,
        category: NewCategory,
        at_most: usize,
    ) -> Result<Category, CreateCategoryError> {
        let category = category.with_id(CategoryId::from_uuid(Uuid::now_v7()));
        self.with_tenant(tenant, |data| {
            if data.categories.len() >= at_most {
                return Err(CreateCategoryError::LimitReached(at_most));
            }
            data.categories.insert(category.id, category.clone());
            data.staff
                .audit(tenant, AuditAction::CategoryCreate, category.id);
            Ok(category)
        })?
    }

    async fn list_categories(&self, tenant: &Tenant) -> Result<Vec<Category>, ListCategoriesError> {
        Ok(self.with_tenant(tenant, |data| data.sorted_categories())?)
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
        self.with_tenant(tenant, |data| {
            let changed = data.categories.get_mut(&id).map(|category| {
                change(category);
                category.clone()
            });
            if changed.is_some() {
                data.staff.audit(tenant, AuditAction::CategoryUpdate, id);
            }
            changed
        })?
        .ok_or(UpdateCategoryError::NotFound(id))
    }

    async fn delete_category(
        &self,
        tenant: &Tenant,
        id: CategoryId,
    ) -> Result<(), DeleteCategoryError> {
        self.with_tenant(tenant, |data| {
            data.categories.remove(&id)?;
            data.staff.audit(tenant, AuditAction::CategoryDelete, id);
            for item in data.menu.values_mut() {
                if item.category == Some(id) {
                    item.category = None;
                }
            }
            Some(())
        })?
        .ok_or(DeleteCategoryError::NotFound(id))
    }

    async fn create_option_group(
        &self,
        tenant: &Tenant,
        group: NewOptionGroup,
        at_most: usize,
    ) -> Result<OptionGroup, CreateOptionGroupError> {
        let group = group.with_id(OptionGroupId::from_uuid(Uuid::now_v7()));
        self.with_tenant(tenant, |data| {
            if data.option_groups.len() >= at_most {
                return Err(CreateOptionGroupError::LimitReached(at_most));
            }
            data.option_groups.insert(group.id, group.clone());
            data.staff
                .audit(tenant, AuditAction::OptionGroupCreate, group.id);
            Ok(group)
        })?
    }

    async fn list_option_groups(
        &self,
        tenant: &Tenant,
    ) -> Result<Vec<OptionGroup>, ListOptionGroupsError> {
        Ok(self.with_tenant(tenant, |data| data.sorted_groups())?)
    }

    async fn get_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<Option<OptionGroup>, ListOptionGroupsError> {
        Ok(self.with_tenant(tenant, |data| data.option_groups.get(&id).cloned())?)
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
        self.with_tenant(tenant, |data| {
            let mut group = data
                .option_groups
                .get(&id)
                .cloned()
                .ok_or(UpdateOptionGroupError::NotFound(id))?;
            change(&mut group)?;
            let previous = data.option_groups.insert(id, group.clone());
            let offering: Vec<MenuItem> = data
                .menu
                .values()
                .filter(|item| item.option_groups.contains(&id))
                .cloned()
                .collect();
            if let Err(refused) = data.check_offer(&offering) {
                // Put back: nothing is stored.
                data.option_groups.extend(previous.map(|g| (id, g)));
                return Err(refused.into());
            }
            data.staff.audit(tenant, AuditAction::OptionGroupUpdate, id);
            Ok(group)
        })?
    }

    async fn delete_option_group(
        &self,
        tenant: &Tenant,
        id: OptionGroupId,
    ) -> Result<(), DeleteOptionGroupError> {
        self.with_tenant(tenant, |data| {
            if !data.option_groups.contains_key(&id) {
                return Err(DeleteOptionGroupError::NotFound(id));
            }
            if data
                .menu
                .values()
                .any(|item| item.option_groups.contains(&id))
            {
                return Err(DeleteOptionGroupError::InUse(id));
            }
            data.option_groups.remove(&id);
            data.staff.audit(tenant, AuditAction::OptionGroupDelete, id);
            Ok(())
        })?
    }
}

impl TenantData {
    /// The item's category when the tenant has no such category.
    fn unknown_category(&self, item: &MenuItem) -> Option<CategoryId> {
        item.category
            .filter(|category| !self.categories.contains_key(category))
    }

    /// [`check_offer`] of `items` against the tenant's groups.
    fn check_offer<'a>(
        &self,
        items: impl IntoIterator<Item = &'a MenuItem>,
    ) -> Result<(), OfferError> {
        let groups: Vec<OptionGroup> = self.option_groups.values().cloned().collect();
        check_offer(items, &groups)
    }

    /// By name (byte order), then id.
    fn sorted_groups(&self) -> Vec<OptionGroup> {
        let mut groups: Vec<OptionGroup> = self.option_groups.values().cloned().collect();
        groups.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        groups
    }

    fn sorted_categories(&self) -> Vec<Category> {
        let mut categories: Vec<Category> = self.categories.values().cloned().collect();
        Category::sort(&mut categories);
        categories
    }
}

impl OrderRepository for MemoryStore {
    async fn place<J, P>(
        &self,
        tenant: &Tenant,
        placing: Placing<'_, J, P>,
    ) -> Result<Placement, PlaceOrderError>
    where
        J: FnOnce(&PriorAttempt) -> Result<PriorOutcome, PlaceOrderError> + Send,
        P: Fn(&Stock) -> Result<NewOrder, OrderRejection> + Send + Sync,
    {
        // Everything below happens under one lock: the memory counterpart of one transaction,
        // and of the unique index on keys (a second request under a key waits, then replays).
        self.with_tenant(tenant, |data| {
            let now = now_micros();
            if let Some(key) = placing.key
                && let Some(prior) = data
                    .orders
                    .iter_mut()
                    .find(|stored| stored.idempotency.as_ref().is_some_and(|(k, _)| k == key))
            {
                let fingerprint = prior.idempotency.as_ref().map(|(_, f)| *f);
                let attempt = PriorAttempt {
                    order: prior.order.clone(),
                    fingerprint: fingerprint.expect("found by its key"),
                    now,
                };
                match (placing.judge_prior)(&attempt)? {
                    PriorOutcome::Replay => return Ok(Placement::Replayed(attempt.order)),
                    PriorOutcome::Forget => prior.idempotency = None,
                }
            }
            let items: Vec<MenuItem> = placing
                .wanted
                .iter()
                .filter_map(|id| data.menu.get(id).cloned())
                .collect();
            let stock = Stock {
                groups: items
                    .iter()
                    .flat_map(|item| item.option_groups.iter())
                    .filter_map(|id| data.option_groups.get(id).cloned())
                    .collect(),
                categories: items
                    .iter()
                    .filter_map(|item| item.category)
                    .filter_map(|id| data.categories.get(&id).cloned())
                    .collect(),
                items,
            };
            let new = (placing.price)(&stock)?;
            let plan = placing
                .pickup
                .ok_or_else(|| anyhow::anyhow!("an order priced without a pickup plan"))?;
            let taken = |slot: jiff::Timestamp| data.taken(slot);
            let choice = plan
                .first_with_room(taken)
                .ok_or_else(|| plan.full(taken))?;
            let new = new.with_pickup(plan.pickup_at, choice);
            let idempotency = new.idempotency().cloned();
            let order = new.placed(OrderId::from_uuid(Uuid::now_v7()), now);
            data.orders.push(StoredOrder {
                order: order.clone(),
                idempotency,
                slot: Some(choice.slot),
            });
            Ok(Placement::Placed(order))
        })?
    }

    async fn list(&self, tenant: &Tenant, page: OrderPage) -> Result<OrderList, ListOrdersError> {
        Ok(self.with_tenant(tenant, |data| {
            let mut orders: Vec<Order> = data
                .orders
                .iter()
                .map(|stored| stored.order.clone())
                .filter(|order| page.admits(order))
                .collect();
            page.sort(&mut orders);
            orders.truncate(page.limit.get() + 1);
            OrderList::from_lookahead(orders, &page)
        })?)
    }

    async fn change_status<F>(
        &self,
        tenant: &Tenant,
        id: OrderId,
        decide: F,
    ) -> Result<Order, ChangeOrderStatusError>
    where
        F: FnOnce(&Order) -> Result<Order, StatusChangeRefused> + Send,
    {
        self.with_tenant(tenant, |data| {
            let order = &mut data
                .orders
                .iter_mut()
                .find(|stored| stored.order.id == id)
                .ok_or(ChangeOrderStatusError::NotFound(id))?
                .order;
            let changed = decide(order)?;
            order.status = changed.status;
            order.ready_at = changed.ready_at;
            let order = order.clone();
            data.staff.audit(tenant, AuditAction::OrderStatus, id);
            Ok(order)
        })?
    }

    async fn get(&self, tenant: &Tenant, id: OrderId) -> Result<Option<Order>, GetOrderError> {
        Ok(self.with_tenant(tenant, |data| {
            data.orders
                .iter()
                .find(|stored| stored.order.id == id)
                .map(|stored| stored.order.clone())
        })?)
    }

    async fn slot_counts(
        &self,
        tenant: &Tenant,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<(jiff::Timestamp, u64)>, ListOrdersError> {
        Ok(self.with_tenant(tenant, |data| {
            let mut counts: BTreeMap<jiff::Timestamp, u64> = BTreeMap::new();
            for slot in data.orders.iter().filter_map(StoredOrder::counted_slot) {
                if (from..=to).contains(&slot) {
                    *counts.entry(slot).or_default() += 1;
                }
            }
            counts.into_iter().collect()
        })?)
    }
}

impl TenantData {
    /// Orders that take a place in `slot`.
    fn taken(&self, slot: jiff::Timestamp) -> u64 {
        let holding = self
            .orders
            .iter()
            .filter(|stored| stored.counted_slot() == Some(slot))
            .count();
        u64::try_from(holding).unwrap_or(u64::MAX)
    }
}

impl StoredOrder {
    /// The slot it takes a place in: none once cancelled.
    fn counted_slot(&self) -> Option<jiff::Timestamp> {
        self.slot
            .filter(|_| self.order.status != OrderStatus::Cancelled)
    }
}

impl TenantExport for MemoryStore {
    async fn export<S: ExportSink>(
        &self,
        tenant: &Tenant,
        sink: &mut S,
    ) -> Result<(), ExportError> {
        // The snapshot is a copy taken under the lock: the data is in memory already, so the
        // copy is the fake's whole cost (PostgreSQL streams instead).
        let (categories, mut menu, groups, mut orders, (staff, audit)) =
            self.with_tenant(tenant, |data| {
                let menu: Vec<MenuItem> = data.menu.values().cloned().collect();
                let orders: Vec<Order> = data.orders.iter().map(|s| s.order.clone()).collect();
                (
                    data.sorted_categories(),
                    menu,
                    data.sorted_groups(),
                    orders,
                    data.staff.exported(),
                )
            })?;
        menu.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        orders.sort_by_key(|order| (order.created_at, order.id));
        for category in categories {
            sink.category(category).await?;
        }
        for item in menu {
            sink.menu_item(item).await?;
        }
        for group in groups {
            sink.option_group(group).await?;
        }
        for order in orders {
            sink.order(order).await?;
        }
        for member in staff {
            sink.staff_member(member).await?;
        }
        for entry in audit {
            sink.audit_entry(entry).await?;
        }
        Ok(())
    }
}
