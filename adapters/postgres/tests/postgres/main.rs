//! The PostgreSQL adapter against a real PostgreSQL: each test in a database of its own.

mod caching;
mod contract;
mod isolation;
mod pool;
mod support;
mod tenant_tx;
