//! The port contract, run against PostgreSQL (the same suite the in-memory fakes pass).

use super::support::TestDb;

chameleon_core::port_contract_tests!(async {
    let db = TestDb::new().await;
    (super::support::service(&db), db)
});
