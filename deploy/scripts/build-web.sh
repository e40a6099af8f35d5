#!/usr/bin/env bash
# Builds the storefront into web/dist (release: web-release profile, wasm-opt -Oz), then reports
# the size of the .wasm, raw and gzipped. Assumes `setup.sh` has run (make run / make test do).
set -euo pipefail
cd "$(dirname "$0")/../../web"
source ../deploy/scripts/lib.sh

# trunk finds wasm-opt (binaryen 132) and tailwindcss here, wasm-bindgen in cargo's bin.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
trunk build --release --locked >/dev/null

wasm="$(ls dist/*.wasm | head -n 1)"
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
log "storefront built: $(basename "$wasm") $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzipped"
