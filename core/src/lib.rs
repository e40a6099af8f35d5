//! Chameleon's core: the domain of a multi-tenant restaurant ordering platform, the ports its
//! adapters implement, and the services that run its use cases.
//!
//! This crate is pure. It performs no I/O, reads no clock and draws no randomness: identifiers,
//! timestamps and secrets come in from the adapters. That keeps every rule here testable without a
//! database and lets the in-memory fakes and the PostgreSQL adapter share one definition of the
//! behaviour (see the `contract` module, behind the `contract` feature).
//!
//! Domain values are built only by parsing, each with a typed error, so a value of type
//! [`Domain`](tenant::Domain) or [`PriceCents`](menu::PriceCents) is valid by construction.
//!
//! # Layout
//! - [`rules`]: every input rule as data (the `chameleon-rules` crate, re-exported).
//! - [`tenant`]: tenant identity and routing: [`TenantId`](tenant::TenantId),
//!   [`SchemaName`](tenant::SchemaName), [`Domain`](tenant::Domain), the manager API key.
//! - [`theme`]: the "Chameleon" theme: colour, font and the CSS block generated from them.
//! - [`hours`]: currency, locale, time zone and opening hours: how prices read, when orders
//!   are taken.
//! - [`menu`]: menu items and their validated fields.
//! - [`options`]: option groups (sizes, add-ons), price deltas, sold out until when.
//! - [`order`]: orders, their lines, pricing with checked arithmetic and the status lifecycle.
//! - [`idempotency`]: keys that make retried order placements take effect once.
//! - [`staff`]: staff accounts, roles and their permission table, sessions, the audit trail.
//! - [`ports`]: the traits adapters implement, one error enum per operation.
//! - [`service`]: the use cases, generic over the ports.
//! - `contract` (feature `contract`): the port-contract suite every adapter runs.

/// The rules' data (lengths, ranges, character classes, code lists), applied by this crate's
/// parsers and read by the HTTP adapter's OpenAPI document and the storefront.
pub use chameleon_rules as rules;

pub mod hours;
pub mod idempotency;
pub mod menu;
pub mod options;
pub mod order;
pub mod pickup;
pub mod ports;
pub mod service;
pub mod staff;
pub mod tenant;
pub mod theme;

#[cfg(feature = "contract")]
pub mod contract;

#[cfg(any(test, feature = "contract"))]
pub mod carts;

mod text;
