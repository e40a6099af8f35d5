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

# Fails with a clear message when cargo is missing: the toolchain cannot be downloaded here.
require_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: cargo not found. Install the Rust toolchain (rustup) first." >&2
        exit 1
    fi
}

log() { printf '==> %s\n' "$*"; }

# nginx lives in /usr/sbin, which is not on an ordinary user's PATH on Debian.
nginx_bin() {
    command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}
