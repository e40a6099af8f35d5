//! Provisioning and fleet migrations against a real PostgreSQL, each test in a database of its own.

mod atomicity;
mod least_privilege;
mod migrate_all;
mod support;
