//! The port contract, run against the in-memory fakes.

use chameleon_memory::MemoryStore;

chameleon_core::port_contract_tests!(async { (MemoryStore::new().into_service(), ()) });
