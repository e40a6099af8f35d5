//! End to end: PostgreSQL, the `chameleon` binary and nginx, started on free ports, driven over
//! HTTP through nginx exactly as a browser or `curl` would.

mod edge;
mod leakage;
mod security;
mod stack;
mod storefront;
