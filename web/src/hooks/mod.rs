//! The storefront's state and effects: fetching, theming, choosing a pickup time, checking out. Components only render.

mod use_checkout;
mod use_menu;
mod use_pickup;
mod use_tenant_config;

pub use use_checkout::{Checkout, CheckoutRequest, use_checkout};
pub use use_menu::{MenuState, use_menu};
pub use use_pickup::use_pickup;
pub use use_tenant_config::{ConfigState, use_tenant_config};
