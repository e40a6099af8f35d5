#!/usr/bin/env bash
# `make bench`: starts its own stack (release build, a fresh PostgreSQL cluster, the backend,
# nginx) on free ports, runs target/release/chameleon-bench against it, and stops it all.
# Writes target/bench/summary.json and docs/benchmarks.md (with plots under docs/bench/).
#
#   BENCH_QUICK=1 make bench    a smoke run (under 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

repo="$(pwd)"
out="$repo/target/bench"
state="$out/stack"

deploy/scripts/setup.sh run
# wrk: the HTTP load generator. pgbench ships with Debian's postgresql server package.
apt_ensure wrk
command -v pgbench >/dev/null || apt_ensure postgresql-client

log "building (release)"
cargo build --release --locked -p chameleon -p chameleon-bench
deploy/scripts/build-web.sh

rm -rf "$state"
mkdir -p "$state/logs" "$state/nginx"
chmod 755 "$out" "$state"

free_port() {
    local p
    while :; do
        p=$(shuf -i 20000-60000 -n 1)
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
port="$(free_port)"
api_port="$(free_port)"

# --- PostgreSQL: a fresh cluster, default durability (fsync on): the same server for the
# service and for the pgbench ceilings.
pg_dir="$state/pg"
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$state"; then
    pg_dir="/var/tmp/chameleon-bench-pg"
    rm -rf "$pg_dir"
fi
mkdir -p "$pg_dir/data" "$pg_dir/run"
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pg_dir"
bin_dir="$(pg_bindir)"
pg_as "$bin_dir/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 >/dev/null

backend_pid="" nginx_pid=""
cleanup() {
    trap - EXIT INT TERM
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
    [ -n "$backend_pid" ] && kill -TERM "$backend_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null || true
    [ -n "$backend_pid" ] && wait "$backend_pid" 2>/dev/null || true
    pg_as "$bin_dir/pg_ctl" stop -D "$pg_dir/data" -m fast >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_as "$bin_dir/pg_ctl" start -w -D "$pg_dir/data" -l "$pg_dir/postgres.log" \
    -o "-c listen_addresses='' -k $pg_dir/run -c max_connections=300 -c shared_buffers=256MB" >/dev/null
pg_as "$bin_dir/psql" -qAt -v ON_ERROR_STOP=1 -h "$pg_dir/run" -U postgres -d postgres \
    -c "CREATE ROLE chameleon LOGIN NOINHERIT CREATEROLE" \
    -c "CREATE DATABASE bench OWNER chameleon" >/dev/null
pg_as "$bin_dir/psql" -qAt -h "$pg_dir/run" -U postgres -d bench -c "ALTER SCHEMA public OWNER TO chameleon" >/dev/null

# The service runs as in `make run`: least-privileged role, release build. Per-request log
# lines are off (RUST_LOG=warn): at tens of thousands of requests a second they would measure
# the terminal, not the service.
service_url="host=$pg_dir/run port=5432 user=chameleon dbname=bench"
admin_token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DATABASE_URL="$service_url" "$repo/target/release/chameleon" migrate >"$state/logs/chameleon.log" 2>&1
# As many database connections as pgbench gets clients (chameleon-bench runs 32 of each).
DATABASE_URL="$service_url" ADMIN_TOKEN="$admin_token" API_PORT="$api_port" RUST_LOG=warn DB_POOL_SIZE=32 \
    "$repo/target/release/chameleon" serve --no-migrate >>"$state/logs/chameleon.log" 2>&1 &
backend_pid=$!

deploy/scripts/render-nginx.sh "$state/nginx" "$port" "$api_port" "$repo/web/dist"
# The bench writes its static-JSON ceilings into conf.d before it reloads nginx.
"$(nginx_bin)" -p "$state/nginx" -c "$state/nginx/nginx.conf" -e "$state/nginx/error.log" -g 'daemon off;' &
nginx_pid=$!

for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done

log "benchmarking (BENCH_QUICK=${BENCH_QUICK:-0})"
BENCH_BASE_URL="http://127.0.0.1:$port" \
BENCH_API_URL="http://127.0.0.1:$api_port" \
BENCH_POSTMASTER_PID="$(head -n 1 "$pg_dir/data/postmaster.pid")" \
BENCH_ADMIN_TOKEN="$admin_token" \
BENCH_SERVICE_PID="$backend_pid" \
BENCH_NGINX_PID="$nginx_pid" \
BENCH_NGINX_CONF_DIR="$state/nginx/conf.d" \
BENCH_PG_SOCKET="$pg_dir/run" \
BENCH_DATABASE_URL="$service_url" \
BENCH_ADMIN_DATABASE_URL="host=$pg_dir/run port=5432 user=postgres dbname=bench" \
BENCH_OUT="$out" \
BENCH_DOCS="$repo/docs" \
    "$repo/target/release/chameleon-bench"
log "wrote target/bench/summary.json and docs/benchmarks.md"
