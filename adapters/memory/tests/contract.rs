//! The port contract, run against the in-memory fakes.

use chameleon_core::service::Chameleon;
use chameleon_memory::{MemoryPorts, MemoryStore};

fn service() -> Chameleon<MemoryPorts> {
    let store = MemoryStore::new();
    Chameleon::new(
        store.clone(),
        store.clone(),
        store.clone(),
        store.clone(),
        store.clone(),
        store,
    )
}

chameleon_core::port_contract_tests!(async { (service(), ()) });
