#!/usr/bin/env bash
# `make run`: the whole stack on one machine, in the foreground.
#
#   PostgreSQL  DATABASE_URL if set; else a private cluster in .state/pg (data kept between runs)
#   backend     target/release/chameleon serve, on 127.0.0.1:$API_PORT (default 8081)
#   nginx       the storefront and the API, on $PORT (default 8080)
#
# ADMIN_TOKEN comes from the environment, else is generated once into .state/admin-token.
# DEMO=0 skips provisioning the demo tenants. Ctrl-C or SIGTERM stops everything started here.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

repo="$(pwd)"
state="$repo/.state"
PORT="${PORT:-8080}"
API_PORT="${API_PORT:-8081}"
DEMO="${DEMO:-1}"

deploy/scripts/setup.sh run
mkdir -p "$state/logs"
chmod 755 "$state"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$API_PORT"; do
    if ! port_free "$p"; then
        echo "error: port $p is already in use (set PORT / API_PORT to choose others)" >&2
        exit 1
    fi
done

log "building the backend (release)"
cargo build --release --locked -p chameleon
bin="$repo/target/release/chameleon"

web_root="$repo/web/dist"
if [ -x deploy/scripts/build-web.sh ]; then
    log "building the storefront"
    deploy/scripts/build-web.sh
fi
if [ ! -f "$web_root/index.html" ]; then
    mkdir -p "$web_root"
    echo '<!doctype html><title>Chameleon</title><p>The storefront is not built.</p>' >"$web_root/index.html"
fi

# --- everything started from here on is stopped on exit ---------------------------------------
backend_pid="" nginx_pid="" pg_started=""
cleanup() {
    trap - EXIT INT TERM
    echo
    log "stopping"
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    [ -n "$backend_pid" ] && kill -TERM "$backend_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null || true
    [ -n "$backend_pid" ] && wait "$backend_pid" 2>/dev/null || true
    [ -n "$pg_started" ] && pg_cluster stop || true
    log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL ---------------------------------------------------------------------------------
pg_dir="$state/pg"
pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_cluster() {
    local bin
    bin="$(pg_bindir)"
    case "$1" in
        start)
            pg_as "$bin/pg_ctl" start -w -D "$pg_dir/data" -l "$pg_dir/postgres.log" \
                -o "-c listen_addresses='' -k $pg_dir/run -c max_connections=200" >/dev/null
            ;;
        stop) pg_as "$bin/pg_ctl" stop -D "$pg_dir/data" -m fast >/dev/null ;;
        running) pg_as "$bin/pg_ctl" status -D "$pg_dir/data" >/dev/null 2>&1 ;;
    esac
}

if [ -n "${DATABASE_URL:-}" ]; then
    log "using the PostgreSQL in DATABASE_URL"
    database_url="$DATABASE_URL"
else
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$state"; then
        # postgres refuses to run as root, and the postgres user must reach its data directory.
        alt="/var/tmp/chameleon-$(printf '%s' "$repo" | md5sum | cut -c1-12)"
        echo "note: $state is not reachable by the postgres user; keeping PostgreSQL data in $alt"
        mkdir -p "$alt" && chmod 755 "$alt"
        [ -L "$pg_dir" ] || [ -e "$pg_dir" ] || ln -s "$alt" "$pg_dir"
    fi
    if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
        log "creating a private PostgreSQL cluster in .state/pg"
        mkdir -p "$pg_dir/data" "$pg_dir/run"
        [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pg_dir/"
        pg_as "$(pg_bindir)/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 >/dev/null
    fi
    if pg_cluster running; then
        log "the private PostgreSQL cluster is already running"
    else
        log "starting the private PostgreSQL cluster"
        pg_cluster start
        pg_started=1
    fi
    # The service runs as a least-privileged role (docs/database-roles.md), not as postgres.
    # Idempotent, so an interrupted first start is completed by the next one.
    psql_admin() { pg_as "$(pg_bindir)/psql" -qAt -v ON_ERROR_STOP=1 -h "$pg_dir/run" -U postgres "$@"; }
    psql_admin -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE chameleon LOGIN NOINHERIT CREATEROLE'
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chameleon') \gexec
SELECT 'CREATE DATABASE chameleon OWNER chameleon'
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'chameleon') \gexec
SQL
    psql_admin -d chameleon -c "ALTER SCHEMA public OWNER TO chameleon" >/dev/null
    database_url="host=$pg_dir/run port=5432 user=chameleon dbname=chameleon"
fi
export DATABASE_URL="$database_url"

# --- admin token --------------------------------------------------------------------------------
if [ -z "${ADMIN_TOKEN:-}" ]; then
    if [ ! -s "$state/admin-token" ]; then
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/admin-token")
    fi
    ADMIN_TOKEN="$(cat "$state/admin-token")"
fi
export ADMIN_TOKEN

# --- schema and demo ----------------------------------------------------------------------------
log "migrating"
"$bin" migrate >>"$state/logs/chameleon.log" 2>&1 || {
    echo "error: migrating failed; see .state/logs/chameleon.log" >&2
    tail -n 20 "$state/logs/chameleon.log" >&2
    exit 1
}
if [ "$DEMO" != 0 ]; then
    log "provisioning the demo tenants (if missing)"
    "$bin" demo --keys-file "$state/demo-tenants.jsonl" >>"$state/logs/chameleon.log" 2>&1
fi

# --- backend and edge ---------------------------------------------------------------------------
log "starting the backend on 127.0.0.1:$API_PORT"
API_PORT="$API_PORT" "$bin" serve --no-migrate >>"$state/logs/chameleon.log" 2>&1 &
backend_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$API_PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$backend_pid" 2>/dev/null || { tail -n 20 "$state/logs/chameleon.log" >&2; exit 1; }
    sleep 0.1
done

log "starting nginx on port $PORT"
nginx_state="$state/nginx"
mkdir -p "$nginx_state"
deploy/scripts/render-nginx.sh "$nginx_state" "$PORT" "$API_PORT" "$web_root"
"$(nginx_bin)" -p "$nginx_state" -c "$nginx_state/nginx.conf" -e "$nginx_state/error.log" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$nginx_pid" 2>/dev/null || { tail -n 20 "$nginx_state/error.log" >&2; exit 1; }
    sleep 0.1
done

cat <<BANNER

  Chameleon is running.

    Storefronts   http://pizza.localhost:$PORT   http://burger.localhost:$PORT
    API docs      http://localhost:$PORT/docs/      (spec: /api-docs/openapi.json)
    Admin token   $ADMIN_TOKEN
                  (Swagger UI: "Authorize", admin_token; manager keys of the demo
                   tenants are in .state/demo-tenants.jsonl)

    Logs          .state/logs/chameleon.log, .state/nginx/access.log
    Stop          Ctrl-C

BANNER

# Runs until a signal arrives or a component dies; either way `cleanup` stops the rest.
wait -n "$backend_pid" "$nginx_pid" || true
echo "error: a component stopped unexpectedly; see .state/logs/" >&2
exit 1
