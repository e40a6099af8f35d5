#!/usr/bin/env bash
# `make bench`: installs what is missing and builds, then hands over to chameleon-bench, which
# starts a stack of its own through chameleon-stack (a fresh private PostgreSQL cluster, the
# backend, nginx, on free ports), measures it, stops it, and writes target/bench/summary.json,
# docs/bench/summary.json, and the documents rendered from it (docs/bench/results.md, the SVGs).
#
#   BENCH_QUICK=1 make bench                              a smoke run (a few minutes)
#   cargo run --release -p chameleon-bench -- render      re-render the documents, no stack
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

deploy/scripts/setup.sh run
# wrk: the HTTP load generator. pgbench ships with Debian's postgresql server package.
apt_ensure wrk
command -v pgbench >/dev/null || apt_ensure postgresql-client

log "building (release)"
cargo build --release --locked -p chameleon -p chameleon-bench
deploy/scripts/build-web.sh

exec target/release/chameleon-bench
