//! The stored tables, one module each: its columns, the SQL that reads and writes it, and the
//! codecs between its rows and core's values. Repositories compose these modules and never
//! each other's SQL; a new column of a table touches its module and the repositories that
//! want it, nothing else. (crates.io's `crates_io_database` is cut the same way.)
//!
//! Tenant tables (`menu_items`, `categories`, `orders`) live in each tenant's schema and are
//! named without one: their SQL only ever runs in a [`TenantTx`](crate::TenantTx), on the
//! tenant's own search path and role. Control-plane tables are named with their schema.
//!
//! # Layout
//! - [`tenants`]: `public.tenants`: identity, routing, branding, settings, schema version; and
//!   the `chameleon_sys` functions that write it.
//! - [`tenant_domains`]: `public.tenant_domains`: every domain a tenant answers on.
//! - [`menu_items`]: a tenant's `menu_items`.
//! - [`categories`]: a tenant's `categories`, with their serving hours.
//! - [`option_groups`]: a tenant's `option_groups`, with their options.
//! - [`orders`]: a tenant's `orders`, with their item snapshots and idempotency keys.
//! - [`staff`]: a tenant's `staff_users`, `staff_sessions`, `staff_setup_tokens`,
//!   `sign_in_failures` and `audit_log`.
//! - [`tenant_migrations`]: `chameleon_sys.tenant_migrations`, the stored tenant migrations.
//! - [`schema_history`]: `public.refinery_schema_history`, the control plane's migrations.

pub mod categories;
pub mod menu_items;
pub mod option_groups;
pub mod orders;
pub mod schema_history;
pub mod staff;
pub mod tenant_domains;
pub mod tenant_migrations;
pub mod tenants;

/// A statement that does nothing: what commits a transaction whose work is done, so the audit
/// row and the `COMMIT` still ride in one message.
pub const NOTHING: &str = "SELECT 1";
