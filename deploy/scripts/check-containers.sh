#!/usr/bin/env bash
# Checks the container files (Dockerfile, deploy/compose.yaml) without a container engine:
# `docker compose config` (or docker-compose's) validates the compose file, with the secrets set
# and again without each one (which must be refused); what it prints is checked for the health
# checks and for the edge being the only service published (never the metrics port); and the
# Dockerfile's stages, users, the files it copies and the scripts it runs are checked to exist.
# Part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

fail() { echo "check-containers: $*" >&2; exit 1; }

# The lines of one stage of the Dockerfile (FROM excluded).
stage() { awk -v s="$1" '$0 ~ "^FROM .* AS "s"$" {on=1; next} /^FROM / {on=0} on' Dockerfile; }

# --- Dockerfile --------------------------------------------------------------------------------
for name in build storefront backend edge; do
    grep -Eq "^FROM .+ AS $name\$" Dockerfile || fail "the Dockerfile has no stage $name"
done
grep -q 'cargo build --release --locked -p chameleon -p chameleon-stack' <(stage build) \
    || fail "the build stage does not build chameleon and chameleon-stack (--release --locked)"
# The storefront is built by the scripts make run uses, in its own stage.
for script in 'deploy/scripts/setup.sh web' 'deploy/scripts/build-web.sh'; do
    grep -Eq "^RUN (.*&& )?$script( |\$)" <(stage storefront) \
        || fail "the storefront stage does not run $script"
done
# The images build with the toolchain the repository pins (rust-toolchain.toml).
pinned="$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)"
grep -qx "ARG RUST_VERSION=$pinned" Dockerfile \
    || fail "the Dockerfile's RUST_VERSION is not $pinned, the toolchain rust-toolchain.toml pins"
# Runtime stages run as an unprivileged user.
for name in backend edge; do
    grep -Eq '^USER [1-9][0-9]*$' <(stage "$name") || fail "stage $name does not switch to a non-root user"
done
# The backend's image carries the binary alone (the migrations are compiled into it).
[ "$(grep -E '^COPY ' <(stage backend))" = "COPY --from=build /out/chameleon /usr/local/bin/chameleon" ] \
    || fail "the backend stage should copy the chameleon binary and nothing else"
# Every path copied from the build context, and every script a stage runs, exists.
while read -r src; do
    [ -e "$src" ] || fail "the Dockerfile copies $src, which does not exist"
done < <(grep -E '^COPY ' Dockerfile | grep -v -- '--from=' \
         | awk '{for (i = 2; i < NF; i++) if ($i !~ /^--/ && $i != ".") print $i}')
while read -r script; do
    [ -x "$script" ] || fail "the Dockerfile runs $script, which is not an executable file"
done < <(grep -oE 'deploy/[a-z/_-]+\.sh' Dockerfile | sort -u)
# nginx never proxies the metrics listener.
if grep -Eq '9091|/metrics' deploy/nginx/nginx.conf.template; then
    fail "deploy/nginx/nginx.conf.template mentions the metrics listener: nginx must not proxy it"
fi

# --- compose -----------------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    log "skipped: no docker compose CLI here, deploy/compose.yaml not validated (the Dockerfile was checked)"
    exit 0
fi
# An empty env file: a developer's deploy/.env must not stand in for the secrets given here.
env_file="$(mktemp)"
trap 'rm -f "$env_file"' EXIT
run_compose() { "${compose[@]}" --env-file "$env_file" -f deploy/compose.yaml "$@"; }

secrets=(POSTGRES_PASSWORD=check-postgres SERVING_PASSWORD=check-serving
         ADMIN_TOKEN=0123456789abcdef0123456789abcdef)
config="$(export "${secrets[@]}"; run_compose config)" \
    || fail "${compose[*]} config refused deploy/compose.yaml"
for secret in "${secrets[@]}"; do
    name="${secret%%=*}"
    if (export "${secrets[@]}"; unset "$name"; run_compose config -q) >/dev/null 2>&1; then
        fail "compose accepted a missing $name: secrets must come from the environment"
    fi
done

# Per service: has a health check (a test, not NONE/disabled), publishes ports, publishes 9091.
summary="$(awk '
    /^[^ #]/ { section = $1; svc = ""; next }
    section == "services:" && /^  [A-Za-z0-9_.-]+:$/ { svc = $1; sub(/:$/, "", svc); seen[svc] = 1; next }
    svc == "" { next }
    /^    [a-z_]+:/ { key = $1; sub(/:.*/, "", key) }
    key == "healthcheck" && /CMD/ { hc[svc] = 1 }
    key == "healthcheck" && (/NONE/ || /disable: true/) { nohc[svc] = 1 }
    key == "ports" && !/^    ports:$/ { pub[svc] = 1; if (/9091/) metrics[svc] = 1 }
    END { for (s in seen) print s, (hc[s] && !nohc[s]) ? "health" : "-", pub[s] ? "published" : "-", metrics[s] ? "metrics" : "-" }
' <<<"$config" | sort)"
for service in postgres migrate backend1 backend2 edge; do
    grep -q "^$service " <<<"$summary" || fail "compose has no service $service"
done
for service in postgres backend1 backend2 edge; do
    grep -q "^$service health " <<<"$summary" || fail "compose: $service has no health check"
done
published="$(awk '$3 == "published" {print $1}' <<<"$summary" | xargs)"
[ "$published" = edge ] || fail "compose: only the edge may publish ports (published: ${published:-none})"
if grep -q ' metrics$' <<<"$summary"; then fail "compose publishes the metrics port 9091"; fi

log "deploy/compose.yaml is valid (${compose[*]} config); refused without each of ${secrets[*]%%=*}; only the edge is published"
