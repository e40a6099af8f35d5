#!/usr/bin/env bash
# Measures what README's "Exporting a tenant" quotes: the peak memory of `chameleon serve`
# while it streams GET /api/v1/sys/tenants/{id}/export for a tenant with ORDERS orders
# (default 1,000,000), against the same for a tenant with 1,000 orders, each on a fresh
# process, in the same run. The orders are written straight into the tenant's schema.
#
#   deploy/scripts/export-memory.sh [ORDERS]
#
# Needs a PostgreSQL superuser at ADMIN_URL (default: the local server on 127.0.0.1:5432, user
# postgres). Not part of `make test` (it takes a minute or two); it creates and drops its own
# database, and removes its tenants (and so their roles) through the API.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

orders="${1:-1000000}"
admin_url="${ADMIN_URL:-host=127.0.0.1 port=5432 user=postgres dbname=postgres}"
db="chameleon_export_measure"
api_port=18281
metrics_port=18282
token=0123456789abcdef0123456789abcdef
out="target/export-memory"
mkdir -p "$out"
apt_ensure curl jq
cargo build --release --locked -p chameleon >/dev/null

psql "$admin_url" -qAtX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
db_url="${admin_url/dbname=postgres/dbname=$db}"
serving_password="measure-$(date +%s)"
DATABASE_URL="$db_url" SERVING_ROLE=chameleon_export_measure SERVING_PASSWORD="$serving_password" \
    target/release/chameleon migrate >/dev/null
serving_url="host=127.0.0.1 port=5432 user=chameleon_export_measure password=$serving_password dbname=$db"

serve() {
    DATABASE_URL="$serving_url" API_PORT=$api_port METRICS_ADDR=127.0.0.1:$metrics_port \
        ADMIN_TOKEN=$token RUST_LOG=warn target/release/chameleon serve --no-migrate \
        >"$out/serve.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 1 100); do curl -fs "localhost:$api_port/readyz" >/dev/null && return; sleep 0.1; done
    cat "$out/serve.log"; exit 1
}
stop() { kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
trap stop EXIT
kib() { awk -v f="$2" '$1 == f":" {print $2}' "/proc/$1/status"; }
api() { curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

# A tenant with one item and `n` orders.
make_tenant() { # domain n
    local tenant
    tenant="$(api -d "{\"domain\":\"$1\",\"theme\":{\"primary_color\":\"#c8102e\",\"font\":\"Georgia\"}}" \
        "localhost:$api_port/api/v1/sys/provision")"
    local id schema item
    id="$(jq -r .tenant_id <<<"$tenant")"
    schema="$(jq -r .schema_name <<<"$tenant")"
    item="$(curl -fsS -H "X-Tenant-ID: $id" -H "Authorization: Bearer $(jq -r .manager_api_key <<<"$tenant")" \
        -H 'Content-Type: application/json' -d '{"name":"Margherita","price":1200}' \
        "localhost:$api_port/api/v1/manager/menu" | jq -r .id)"
    psql "$db_url" -qAtX -v ON_ERROR_STOP=1 -c "
        INSERT INTO \"$schema\".orders (id, customer_name, total_amount, items, created_at)
        SELECT gen_random_uuid(), 'Guest ' || i, 2400,
               jsonb_build_array(jsonb_build_object('id', '$item', 'name', 'Margherita', 'price', 1200, 'qty', 2)),
               now() - make_interval(secs => i)
          FROM generate_series(1, $2) AS i" >/dev/null
    echo "$id"
}

measure() { # label domain n
    serve
    local id
    id="$(make_tenant "$2" "$3")"
    stop; serve   # a fresh process: its peak is the export's, not the provisioning's
    local before start end bytes peak
    before="$(kib "$serve_pid" VmRSS)"
    start=$(date +%s.%N)
    bytes="$(api "localhost:$api_port/api/v1/sys/tenants/$id/export" | tee "$out/$1.json" | wc -c)"
    end=$(date +%s.%N)
    peak="$(kib "$serve_pid" VmHWM)"
    local count
    count="$(jq '.orders | length' "$out/$1.json")"
    rm -f "$out/$1.json"
    printf '%s: %s orders exported (%s bytes) in %.1f s; RSS before %s KiB, peak %s KiB (+%s KiB)\n' \
        "$1" "$count" "$bytes" "$(echo "$end - $start" | bc)" "$before" "$peak" "$((peak - before))" \
        | tee -a "$out/results.txt"
    api -X DELETE "localhost:$api_port/api/v1/sys/tenants/$id?confirm=$2"
    stop
}

: >"$out/results.txt"
measure baseline small.localhost 1000
measure large large.localhost "$orders"
psql "$admin_url" -qAtX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS chameleon_export_measure" >/dev/null || true
cat "$out/results.txt"
