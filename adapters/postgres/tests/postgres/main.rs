//! The PostgreSQL adapter against a real PostgreSQL: each test in a database of its own.

mod atomicity;
mod caching;
mod citus;
mod contract;
mod fleet;
mod idempotency;
mod invalidation;
mod isolation;
mod least_privilege;
mod pool;
mod support;
mod tenant_tx;
