//! The use cases, generic over the ports, one capability per module, each over only the ports
//! it needs: what the HTTP adapter (or any other driver) calls.
//!
//! The rules of a use case are applied here, once, whatever the adapters: an order is priced by
//! [`NewOrder::price`](crate::order::NewOrder::price) inside the order repository's transaction,
//! a status moves only as [`OrderStatus::change_to`](crate::order::OrderStatus::change_to)
//! allows, a partial update is applied by
//! [`MenuItemPatch::apply`](crate::menu::MenuItemPatch::apply), and the storefront's use cases
//! take an [`ActiveTenant`](crate::tenant::ActiveTenant), which only an open restaurant makes.
//! Reads that involve no rule go straight to their port.
//!
//! A new capability (staff, scheduling, notifications, payments) is a new module here and a
//! field of [`Chameleon`], over the ports it needs and no others.
//!
//! # Layout
//! - [`tenancy`]: [`Tenancy`]: provisioning, finding, changing and removing tenants; what a
//!   storefront brands itself with.
//! - [`menu`]: [`Menu`]: a tenant's items and categories; what a customer can order.
//! - [`staffing`]: [`Staffing`]: staff accounts, sign-in, the audit trail.
//! - [`ordering`]: [`Ordering`]: placing, following and moving orders.

pub mod menu;
pub mod ordering;
pub mod staffing;
pub mod tenancy;

use std::fmt;

pub use menu::{Menu, MenuLimits};
pub use ordering::{Ordering, SlotsError};
pub use staffing::Staffing;
pub use tenancy::{StoreConfig, Tenancy};

use crate::ports::Ports;

/// Chameleon's use cases over one set of adapters: each capability over its own ports.
pub struct Chameleon<P: Ports> {
    pub tenancy: Tenancy<P::Directory, P::Provisioner, P::Export>,
    pub menu: Menu<P::Menu>,
    pub ordering: Ordering<P::Orders>,
    pub staff: Staffing<P::Staff>,
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
        export: P::Export,
        menu: P::Menu,
        orders: P::Orders,
        staff: P::Staff,
    ) -> Self {
        Self {
            tenancy: Tenancy::new(directory, provisioner, export),
            menu: Menu::new(menu),
            ordering: Ordering::new(orders),
            staff: Staffing::new(staff),
        }
    }

    /// The same use cases with the menu capped at `limits` instead of the defaults.
    pub fn with_menu_limits(mut self, limits: MenuLimits) -> Self {
        self.menu = self.menu.with_limits(limits);
        self
    }
}
