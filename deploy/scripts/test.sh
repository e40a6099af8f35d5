#!/usr/bin/env bash
# `make test`: installs what is missing, builds the storefront, then runs every test of the
# workspace (unit, contract, PostgreSQL, HTTP, end to end through nginx, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

deploy/scripts/setup.sh test

# Run as root, the tests' servers run as other users: PostgreSQL clusters as `chameleon`, nginx's
# workers as `nobody`. Each must reach the files a test makes for it under TMPDIR (a data
# directory, a storefront, certificates), so TMPDIR must let others through: `mktemp -d` makes
# it 0700. Passing through is all this grants (no listing), and only on the run's own TMPDIR.
if [ "$(id -u)" = 0 ] && [ -n "${TMPDIR:-}" ] && [ -d "$TMPDIR" ] \
    && [ "$(( 0$(stat -c %a "$TMPDIR") & 1 ))" = 0 ]; then
    log "letting the tests' servers through TMPDIR ($TMPDIR: o+x)"
    chmod o+x "$TMPDIR"
fi

# The tests' private PostgreSQL (used only when DATABASE_URL is unset and nothing answers on
# 127.0.0.1:5432) stays up between test binaries; stop it when we are done, with the same code
# that started it.
stop_private_cluster() {
    local dir="${TMPDIR:-/tmp}/chameleon-test-pg"
    if [ -f "$dir/data/postmaster.pid" ] && [ -x target/debug/chameleon-stack ]; then
        target/debug/chameleon-stack stop-cluster "$dir" || true
    fi
    # The Citus cluster's nodes (coordinator, two workers), when a test started them.
    local node
    for node in "${TMPDIR:-/tmp}"/chameleon-test-citus/*/; do
        if [ -f "$node/data/postmaster.pid" ] && [ -x target/debug/chameleon-stack ]; then
            target/debug/chameleon-stack stop-cluster "$node" || true
        fi
    done
}
trap stop_private_cluster EXIT

# Private clusters the tests start are made afresh for each run (apps/testkit/src/server.rs): a
# new machine has none, and a run must not pass only because an earlier one left state behind.
CHAMELEON_TEST_RUN="$(date +%s)-$$"
export CHAMELEON_TEST_RUN

log "checking the container files"
deploy/scripts/check-containers.sh

# The browser test serves the real storefront build.
log "building the storefront"
deploy/scripts/build-web.sh

log "cargo test --workspace"
cargo test --workspace --locked

# The suites that matter, again, on a real Citus cluster (a coordinator and two workers on
# loopback): leakage, provisioning atomicity (with injected failures), isolation by role, orders
# under concurrency, migrations, least privilege, the port contract. The Citus-only tests
# (placement, credentials, pg_hba, a tenant moved under load) ran above. One test at a time:
# the tests share the cluster's roles.
log "cargo test on Citus (CHAMELEON_TEST_CITUS=1)"
CHAMELEON_TEST_CITUS=1 cargo test --locked -p chameleon-postgres --test postgres -- \
    --test-threads=1 --skip citus::
