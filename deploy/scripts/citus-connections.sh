#!/usr/bin/env bash
# Measures what docs/scaling.md quotes: on the test Citus cluster (a coordinator and two
# workers on loopback, the one the tests use, started here through one of them), N tenants (default 1,000)
# each with one menu item, `chameleon serve` on the coordinator, guest orders spread over every
# tenant by wrk; while it runs, the connections on each worker, per role. Then the same with
# citus.max_shared_pool_size lowered to LIMIT (default 16).
#
#   deploy/scripts/citus-connections.sh [TENANTS] [LIMIT]
#
# Not part of `make test` (it takes minutes); it changes nothing outside its own database.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

tenants="${1:-1000}"
limit="${2:-16}"
dir="${TMPDIR:-/tmp}/chameleon-test-citus"
password="$(cat "$dir/coordinator/superuser.password")"
db="chameleon_citus_connections"
api_port=18181
out="target/citus-connections"
mkdir -p "$out"
psql_on() { # port, then psql arguments
    local port="$1"; shift
    PGPASSWORD="$password" psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

deploy/scripts/citus.sh
apt_ensure wrk curl bc
# The test support starts the cluster (and leaves it running) the first time a test asks.
cargo test --locked -q -p chameleon-postgres --test postgres -- \
    citus::tenant_roles_log_in_from_the_nodes_only >/dev/null
cargo build --release --locked -p chameleon >/dev/null

# The database on every node, and the tenant roles it made (roles belong to the nodes).
clean_up() {
    local roles=""
    if psql_on 15432 -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        roles="$(psql_on 15432 -d "$db" -c "SELECT schema_name FROM public.tenants" 2>/dev/null || true)"
    fi
    for port in 15432 15433 15434; do
        psql_on "$port" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
        for role in $roles; do echo "DROP ROLE IF EXISTS $role;"; done | psql_on "$port" -d postgres
    done
}
clean_up
for port in 15432 15433 15434; do
    psql_on "$port" -d postgres -c "CREATE DATABASE $db" 2>/dev/null
    psql_on "$port" -d "$db" -c "CREATE EXTENSION citus"
done
psql_on 15432 -d "$db" -c "SELECT citus_set_coordinator_host('127.0.0.1', 15432)" \
    -c "SELECT citus_add_node('127.0.0.1', 15433)" -c "SELECT citus_add_node('127.0.0.1', 15434)" >/dev/null

admin="host=127.0.0.1 port=15432 user=postgres password=$password dbname=$db"
serving_password="measure-$(date +%s)"
DATABASE_URL="$admin" SERVING_ROLE=chameleon_measure SERVING_PASSWORD="$serving_password" \
    target/release/chameleon migrate >/dev/null

log "provisioning $tenants tenants on Citus (one transaction each)"
start=$(date +%s.%N)
for i in $(seq 1 "$tenants"); do
    echo "SELECT chameleon_sys.provision_tenant(gen_random_uuid(), 't$i.localhost', 'T$i', '{\"font\": \"Georgia\", \"primary_color\": \"#c8102e\"}', sha256('k$i'));"
done | PGPASSWORD="$serving_password" psql -qAtX -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 15432 -U chameleon_measure -d "$db" >/dev/null
end=$(date +%s.%N)
echo "provisioned $tenants tenants in $(echo "$end - $start" | bc) s" | tee "$out/provisioning.txt"

# One item per tenant, and wrk's requests: one order per tenant, round robin.
psql_on 15432 -d "$db" -c "SELECT format('INSERT INTO %I.menu_items VALUES (%L, ''Soup'', 500);', schema_name, gen_random_uuid()) FROM public.tenants" \
    | psql_on 15432 -d "$db" >/dev/null
{
    echo 'local orders = {'
    for schema in $(psql_on 15432 -d "$db" -c "SELECT schema_name || ':' || domain FROM public.tenants"); do
        id=$(psql_on 15432 -d "$db" -c "SELECT id FROM \"${schema%%:*}\".menu_items LIMIT 1")
        echo "  {\"${schema#*:}\", \"$id\"},"
    done
    echo '}'
    cat <<'LUA'
local n = 0
request = function()
  n = n % #orders + 1
  local o = orders[n]
  return wrk.format("POST", "/api/v1/store/orders",
    {["Host"] = o[1], ["Content-Type"] = "application/json"},
    '{"customer":"Guest","items":[{"id":"' .. o[2] .. '","qty":1}]}')
end
LUA
} > "$out/orders.lua"

run() { # label
    local label="$1"
    DATABASE_URL="host=127.0.0.1 port=15432 user=chameleon_measure password=$serving_password dbname=$db" \
        API_PORT=$api_port ADMIN_TOKEN=0123456789abcdef0123456789abcdef RUST_LOG=warn \
        target/release/chameleon serve >"$out/serve-$label.log" 2>&1 &
    local serve=$!
    trap 'kill $serve 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do curl -fs "localhost:$api_port/readyz" >/dev/null && break; sleep 0.1; done
    kill -0 "$serve" || { cat "$out/serve-$label.log"; exit 1; }
    wrk -t2 -c32 -d20s -s "$out/orders.lua" "http://127.0.0.1:$api_port" >"$out/wrk-$label.txt" &
    local load=$!
    sleep 15
    {
        echo "== $label: $(psql_on 15432 -d "$db" -c 'SHOW citus.max_shared_pool_size')"
        for port in 15433 15434; do
            echo "worker $port: $(psql_on "$port" -d postgres -c "SELECT count(*) || ' connections, ' || count(DISTINCT usename) FILTER (WHERE usename LIKE 'tenant\_%') || ' tenant roles, at most ' || coalesce(max(n), 0) || ' per tenant role' FROM pg_stat_activity a LEFT JOIN (SELECT usename u, count(*) n FROM pg_stat_activity WHERE datname = '$db' GROUP BY 1) c ON c.u = a.usename WHERE datname = '$db' AND backend_type = 'client backend'")"
        done
        echo "coordinator backends of the service: $(psql_on 15432 -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'chameleon_measure'")"
    } | tee -a "$out/connections.txt"
    wait "$load"
    grep -E "Requests/sec|Non-2xx|Socket errors|99%" "$out/wrk-$label.txt" | tee -a "$out/connections.txt" || true
    kill "$serve" 2>/dev/null || true
    wait "$serve" || true
    trap - EXIT
}

: >"$out/connections.txt"
run default
psql_on 15432 -d postgres -c "ALTER SYSTEM SET citus.max_shared_pool_size = $limit" -c "SELECT pg_reload_conf()" >/dev/null
run "max_shared_pool_size-$limit"
psql_on 15432 -d postgres -c "ALTER SYSTEM RESET citus.max_shared_pool_size" -c "SELECT pg_reload_conf()" >/dev/null
clean_up
log "written to $out/connections.txt"
