#!/usr/bin/env bash
# Builds the storefront into web/dist (release: web-release profile, wasm-opt -Oz), then reports
# the size of the .wasm, raw and gzipped. Assumes `setup.sh` has run (make run / make test do).
# Skips the build when web/dist is newer than everything it is built from.
set -euo pipefail
cd "$(dirname "$0")/../../web"
source ../deploy/scripts/lib.sh

inputs=(src styles/input.css index.html Cargo.toml Trunk.toml package-lock.json
        ../adapters/http/wire ../core/rules ../Cargo.lock ../Cargo.toml)
if [ -f dist/index.html ] && [ -z "$(find "${inputs[@]}" -newer dist/index.html -print -quit)" ]; then
    log "storefront up to date"
    exit 0
fi

# trunk finds wasm-opt (binaryen 132) and tailwindcss here, wasm-bindgen in cargo's bin.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
trunk build --release --locked >/dev/null

wasm="$(ls dist/*.wasm | head -n 1)"
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
log "storefront built: $(basename "$wasm") $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzipped"
