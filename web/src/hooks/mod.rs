//! The storefront's state and effects: fetching, theming, checking out. Components only render.

mod use_checkout;
mod use_menu;
mod use_tenant_config;

pub use use_checkout::{Checkout, CheckoutRequest, use_checkout};
pub use use_menu::{MenuState, use_menu};
pub use use_tenant_config::{ConfigState, use_tenant_config};
