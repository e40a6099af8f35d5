//! Chameleon's white-label storefront: one build, every restaurant.
//!
//! Served by nginx at `/` on every tenant's domain, it asks the API (same origin) who it is
//! (`GET /api/v1/store/config`, answered from the `Host`), applies that restaurant's theme as CSS
//! custom properties before anything branded paints, then shows the menu, a cart and a guest
//! checkout.
//!
//! # Layout
//! - [`app`]: the root component: loading, unknown restaurant, or the storefront.
//! - [`hooks`]: the fetching and theming logic (`use_tenant_config`, `use_menu`, `use_pickup`,
//!   `use_checkout`).
//! - [`components`]: what is rendered, one component per file.
//! - [`api`]: every HTTP call, decoding problem+json into readable errors.
//! - [`cart`]: the cart as a pure reducer; a line is an item with a set of options.
//! - [`options`]: choosing a dish's options: the groups' rules, what may be ticked, the price.
//! - [`pickup`]: the pickup choice (as soon as possible, or a slot) as a pure reducer, and the
//!   calendar arithmetic of its day picker.
//! - [`checkout_retry`]: how a checkout retries under one `Idempotency-Key`.
//! - [`money`], [`hours`], [`theme`]: formatting (prices, times) and colour helpers.
//!
//! The pure modules are tested natively (`cargo test -p chameleon-web`); what only a browser can
//! show is tested in headless Chromium (`apps/chameleon/tests/e2e/storefront.rs`).

mod api;
mod app;
mod cart;
mod checkout_retry;
mod components;
mod hooks;
mod hours;
mod money;
mod options;
mod pickup;
mod theme;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
