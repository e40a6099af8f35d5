#!/usr/bin/env bash
# Installs Citus 13.2.2 into the PostgreSQL server the private clusters run on, built from the
# vendored source (no package registry reachable here ships Citus). A machine compiles it once:
# when the installed citus.so already is 13.2.2, this does nothing.
#
#   citus.sh            install if missing
#   citus.sh --check    exit 0 when installed, 1 otherwise (installs nothing)
#
# The source is vendored in third_party/citus (upstream tag v13.2.2, unchanged, and a patch for
# PostgreSQL 15.14+ headers; see its README); $CITUS_VENDOR_DIR names another folder holding the
# same two files.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

version="13.2.2"
vendor="${CITUS_VENDOR_DIR:-$PWD/third_party/citus}"
tarball_sha256="dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430"

# The server the clusters run on: the newest Debian installed (as `chameleon-stack` picks it).
bindir="$(pg_bindir)"
major="$(basename "$(dirname "$bindir")")"

installed() {
    local pg_config="$bindir/pg_config"
    [ -x "$pg_config" ] || return 1
    local so
    so="$("$pg_config" --pkglibdir)/citus.so"
    [ -f "$so" ] && grep -aq "Citus $version" "$so"
}

if [ "${1:-}" = --check ]; then
    installed
    exit $?
fi

if installed; then
    exit 0
fi

tarball="$vendor/citus-$version.tar.gz"
patchfile="$vendor/citus-$version-pg15.20.patch"
if [ ! -f "$tarball" ]; then
    echo "error: $tarball not found (set CITUS_VENDOR_DIR to the folder holding it)" >&2
    exit 1
fi
if [ "$(sha256sum "$tarball" | cut -d' ' -f1)" != "$tarball_sha256" ]; then
    echo "error: $tarball is not the upstream v$version source (sha256 differs)" >&2
    exit 1
fi

log "building Citus $version for PostgreSQL $major (once per machine, about two minutes)"
apt_ensure "postgresql-server-dev-$major" build-essential liblz4-dev libzstd-dev libkrb5-dev \
    libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev libssl-dev

work="target/tools/citus-build"
rm -rf "$work"
mkdir -p "$work"
tar xzf "$tarball" -C "$work"
src="$work/citus-$version"
# The patch is for PostgreSQL 15.14 and later (which export have_createdb_privilege); other
# majors build the source as it is.
if [ "$major" = 15 ] && [ -f "$patchfile" ]; then
    patch -s -d "$src" -p1 < "$patchfile"
fi
(
    cd "$src"
    PG_CONFIG="$bindir/pg_config" ./configure --without-libcurl --quiet >/dev/null
    # with_llvm=no skips LLVM bitcode: about half the build time, and nothing uses it here.
    make -s -j"$(nproc)" with_llvm=no >/dev/null
)
as_root make -s -C "$src" install with_llvm=no >/dev/null
rm -rf "$work"
installed || { echo "error: Citus $version did not install" >&2; exit 1; }
log "Citus $version installed"
