#!/usr/bin/env bash
# Installs what the project needs and is missing. Idempotent: a second run installs nothing.
#
#   setup.sh run    what `make run` needs
#   setup.sh test   what `make test` needs (the above, and a headless browser)
#   setup.sh web    the storefront's toolchain only (the Dockerfile's storefront stage)
#   setup.sh lint   the Rust toolchain's rustfmt and clippy (checked, never downloaded)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

what="${1:-test}"
case "$what" in
    test | run | web | lint) ;;
    *) echo "usage: $0 test|run|web|lint" >&2; exit 2 ;;
esac
if [ "$what" = web ]; then require_toolchain build-only; else require_toolchain; fi
[ "$what" = lint ] && exit 0

if [ "$what" != web ]; then

# PostgreSQL refuses to run as root, and the backend should not: when the stack is started by
# root, the private cluster and the backends run as this unprivileged system user.
if [ "$(id -u)" = 0 ] && ! id chameleon >/dev/null 2>&1; then
    log "creating the system user chameleon"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin chameleon
fi

# postgresql: the server binaries for the private clusters (make run without DATABASE_URL; the
# tests when no server is given or running). nginx: the edge. curl: readiness checks.
apt_ensure postgresql nginx curl ca-certificates
if [ "$what" = test ]; then
    # The storefront's browser test drives Debian's Chromium through chromedriver.
    apt_ensure chromium chromium-driver
    # The ACME test: Debian's pebble (a test certificate authority) and its DNS stand-in
    # (pebble-challtestsrv, same package); openssl makes the local authorities' certificates.
    apt_ensure pebble openssl
    # No container engine runs here, but the compose CLI validates deploy/compose.yaml.
    apt_ensure docker-compose
    # Citus 13.2.2, built once per machine from the vendored source, for the Citus suites.
    deploy/scripts/citus.sh
    # schemathesis (from PyPI, into a virtual environment of the project's own) drives the
    # OpenAPI document against the running stack.
    schemathesis_version="4.32.5"
    venv="target/tools/venv"
    if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $schemathesis_version" ]; then
        log "installing schemathesis $schemathesis_version"
        command -v python3 >/dev/null 2>&1 || apt_ensure python3
        python3 -c 'import venv, ensurepip' 2>/dev/null || apt_ensure python3-venv
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
    fi
fi
fi # not web

# --- the storefront's toolchain (web/) ----------------------------------------------------------
command -v npm >/dev/null 2>&1 || apt_ensure nodejs npm
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

# trunk 0.21.14: 0.22 needs a newer rustc than this toolchain.
if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
    log "installing trunk 0.21.14"
    cargo install trunk@0.21.14 --locked
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen pinned in web/Cargo.toml, built from the
# lockfile in deploy/tools: the one its crate ships names webpki-roots 1.0.11, which the registry
# this project is built from may not hold (a plain --locked install then fails), so ours is that
# lockfile with webpki-roots at 1.0.10 and nothing else changed. Every crate stays pinned.
wasm_bindgen_version="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' web/Cargo.toml)"
wasm_bindgen_lock=deploy/tools/wasm-bindgen-cli.Cargo.lock
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wasm_bindgen_version" ]; then
    log "installing wasm-bindgen-cli $wasm_bindgen_version (locked by $wasm_bindgen_lock)"
    if ! grep -A1 -x 'name = "wasm-bindgen-cli"' "$wasm_bindgen_lock" | grep -qx "version = \"$wasm_bindgen_version\""; then
        echo "error: $wasm_bindgen_lock is not wasm-bindgen-cli $wasm_bindgen_version's: make it from that crate's own Cargo.lock" >&2
        exit 1
    fi
    work="$(mktemp -d)"
    # Cargo fetches the crate (and all it needs) for a throwaway package that depends on it; its
    # source is then unpacked from cargo's cache, given our lockfile and installed --locked.
    mkdir -p "$work/fetch/src"
    : >"$work/fetch/src/lib.rs"
    printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n[workspace]\n' \
        "$wasm_bindgen_version" >"$work/fetch/Cargo.toml"
    cargo fetch --quiet --manifest-path "$work/fetch/Cargo.toml"
    crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"wasm-bindgen-cli-$wasm_bindgen_version.crate" | head -n 1)"
    tar -xzf "$crate" -C "$work"
    cp "$wasm_bindgen_lock" "$work/wasm-bindgen-cli-$wasm_bindgen_version/Cargo.lock"
    cargo install --locked --path "$work/wasm-bindgen-cli-$wasm_bindgen_version"
    rm -rf "$work"
fi

# Tailwind's CLI and binaryen's wasm-opt, pinned by web/package-lock.json.
if ! cmp -s web/package-lock.json web/node_modules/.chameleon-lock 2>/dev/null; then
    log "installing the storefront's npm tools"
    (cd web && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.chameleon-lock)
fi
