//! The core is pure: nothing that does I/O (network, database, runtime, randomness, JSON I/O)
//! may appear anywhere in its dependency tree, whatever features are on.

use std::collections::BTreeSet;
use std::process::Command;

/// Crates whose presence would mean the core can reach the outside world.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "async-std",
    "smol",
    "tokio-postgres",
    "postgres",
    "postgres-protocol",
    "postgres-types",
    "deadpool",
    "deadpool-postgres",
    "refinery",
    "refinery-core",
    "actix-web",
    "actix-http",
    "actix-rt",
    "actix-server",
    "hyper",
    "reqwest",
    "serde_json",
    "getrandom",
    "rand",
    "chrono",
    "time",
    "utoipa",
    "tracing",
];

fn dependencies() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--package",
            "chameleon-core",
            "--all-features",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{lib}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.trim().replace('_', "-"))
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_core_depends_on_nothing_that_does_io() {
    let deps = dependencies();
    // The listing is real: the core's own direct dependencies are in it.
    for expected in ["chameleon-core", "uuid", "thiserror", "idna"] {
        assert!(
            deps.contains(expected),
            "cargo tree did not list {expected}: {deps:?}"
        );
    }
    let found: Vec<&str> = FORBIDDEN
        .iter()
        .copied()
        .filter(|name| deps.contains(*name))
        .collect();
    assert!(found.is_empty(), "the core depends on {found:?}");
}
