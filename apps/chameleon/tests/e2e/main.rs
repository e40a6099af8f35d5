//! End to end: PostgreSQL, the `chameleon` binary and nginx, started on free ports, driven over
//! HTTP through nginx exactly as a browser or `curl` would.

mod acme;
mod conformance;
mod edge;
mod faults;
mod hardening;
mod instances;
mod leakage;
mod lifecycle;
mod lossy_proxy;
mod migrate_cli;
mod security;
mod stack;
mod staff;
mod storefront;
