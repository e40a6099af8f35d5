#!/usr/bin/env bash
# `make test`: installs what is missing, builds the storefront, then runs every test of the
# workspace (unit, contract, PostgreSQL, HTTP, end to end through nginx, headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

deploy/scripts/setup.sh test

# The tests' private PostgreSQL (used only when DATABASE_URL is unset and nothing answers on
# 127.0.0.1:5432) stays up between test binaries; stop it when we are done.
stop_private_cluster() {
    local data="${TMPDIR:-/tmp}/chameleon-test-pg/data"
    if [ -f "$data/postmaster.pid" ]; then
        local bin
        bin="$(pg_bindir)"
        if [ "$(id -u)" = 0 ]; then
            runuser -u postgres -- "$bin/pg_ctl" stop -D "$data" -m fast >/dev/null || true
        else
            "$bin/pg_ctl" stop -D "$data" -m fast >/dev/null || true
        fi
    fi
}
trap stop_private_cluster EXIT

# The browser test serves the real storefront build.
log "building the storefront"
deploy/scripts/build-web.sh

log "cargo test --workspace"
cargo test --workspace --locked
