#!/usr/bin/env bash
# `make run`: installs what is missing, builds, then hands over to `chameleon-stack run`, which
# starts the whole stack in the foreground and stops all of it on Ctrl-C, SIGTERM or SIGHUP
# (apps/stack: the one implementation of the stack's lifecycle, shared with `make bench` and
# the end-to-end tests).
#
# Configuration is read from the environment by chameleon-stack (README: Configuration).
# PROFILE=debug uses debug builds; BUILD=0 uses the binaries already built (the lifecycle test
# runs `make run` with both, on the binaries `cargo test` just built).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

deploy/scripts/setup.sh run

profile="${PROFILE:-release}"
case "$profile" in
    release) cargo_profile=(--release) ;;
    debug) cargo_profile=() ;;
    *) echo "error: PROFILE must be release or debug" >&2; exit 2 ;;
esac
if [ "${BUILD:-1}" != 0 ]; then
    log "building the backend ($profile)"
    cargo build "${cargo_profile[@]}" --locked -p chameleon -p chameleon-stack
    log "building the storefront"
    deploy/scripts/build-web.sh
fi

# exec: the stack's supervisor takes this process's place, so a signal sent to `make` (or to
# its whole process group) reaches it directly.
export CHAMELEON_BIN="${CHAMELEON_BIN:-$PWD/target/$profile/chameleon}"
exec "target/$profile/chameleon-stack" run
