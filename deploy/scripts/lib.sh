# Shared helpers for the project's scripts. Sourced, not run.

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: '$*' needs root and sudo is not installed" >&2
        return 1
    fi
}

_apt_updated=""
# Installs the Debian packages given that are not installed yet; does nothing when all are.
apt_ensure() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing Debian packages: ${missing[*]}"
    if [ -z "$_apt_updated" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The newest PostgreSQL server binaries Debian installed (they are kept out of PATH).
pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Fails with a clear message when the toolchain rust-toolchain.toml pins (with its rustfmt and
# clippy) is not there. It is not downloaded from here: rustup's own server may be out of reach,
# and a toolchain is the user's to install, so this says how instead.
require_toolchain() {
    if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
        echo "error: cargo and rustup not found. Install the Rust toolchain with rustup" \
            "(https://rustup.rs), then run this again." >&2
        exit 1
    fi
    local channel="the pinned one"
    [ -f rust-toolchain.toml ] && channel="$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)"
    # RUSTUP_AUTO_INSTALL=0: asking must not install.
    if ! RUSTUP_AUTO_INSTALL=0 rustc --version >/dev/null 2>&1; then
        echo "error: the Rust toolchain $channel (rust-toolchain.toml) is not installed." >&2
        echo "       rustup toolchain install $channel --profile minimal --component rustfmt,clippy" >&2
        exit 1
    fi
    # The storefront's image stage builds only: it needs neither.
    [ "${1:-}" = build-only ] && return 0
    local missing=()
    RUSTUP_AUTO_INSTALL=0 cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    RUSTUP_AUTO_INSTALL=0 cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "error: the Rust toolchain $channel lacks ${missing[*]}." >&2
        echo "       rustup component add --toolchain $channel ${missing[*]}" >&2
        exit 1
    fi
}

log() { printf '==> %s\n' "$*"; }

# nginx lives in /usr/sbin, which is not on an ordinary user's PATH on Debian.
nginx_bin() {
    command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}
