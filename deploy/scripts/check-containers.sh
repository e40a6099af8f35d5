#!/usr/bin/env bash
# Checks the container files (Dockerfile, deploy/compose.yaml) without a container engine:
# `docker compose config` (or docker-compose's) validates the compose file, with secrets set and
# again without one (which must be refused); and the Dockerfile's stages, the files it copies
# and the scripts it runs are checked to exist. Part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

fail() { echo "check-containers: $*" >&2; exit 1; }

# --- Dockerfile --------------------------------------------------------------------------------
for stage in build storefront backend edge; do
    grep -Eq "^FROM .+ AS $stage\$" Dockerfile || fail "the Dockerfile has no stage $stage"
done
# The storefront is built by the scripts make run uses, in its own stage.
awk '/^FROM .* AS storefront$/,/^FROM .* AS backend$/' Dockerfile \
    | grep -q 'deploy/scripts/setup.sh web && deploy/scripts/build-web.sh' \
    || fail "the storefront stage does not build with setup.sh web and build-web.sh"
# Runtime stages run as an unprivileged user.
for stage in backend edge; do
    awk -v s="$stage" '$0 ~ "^FROM .* AS "s"$" {on=1; next} /^FROM / {on=0} on' Dockerfile \
        | grep -Eq '^USER [1-9][0-9]*$' || fail "stage $stage does not switch to a non-root user"
done
# Every path copied from the build context exists.
while read -r src; do
    [ -e "$src" ] || fail "the Dockerfile copies $src, which does not exist"
done < <(grep -E '^COPY ' Dockerfile | grep -v -- '--from=' | awk '{print $(NF-1)}' | grep -v '^\.$')

# --- compose -----------------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    log "no docker compose CLI here: deploy/compose.yaml not validated"
    exit 0
fi
secrets=(POSTGRES_PASSWORD=check-postgres SERVING_PASSWORD=check-serving
         ADMIN_TOKEN=0123456789abcdef0123456789abcdef)
config="$(env "${secrets[@]}" "${compose[@]}" -f deploy/compose.yaml config)" \
    || fail "${compose[*]} config refused deploy/compose.yaml"
for service in postgres migrate backend1 backend2 edge; do
    grep -Eq "^  $service:\$" <<<"$config" || fail "compose has no service $service"
done
[ "$(grep -c 'healthcheck:' <<<"$config")" -ge 4 ] || fail "postgres, the backends and the edge need health checks"
if env -u ADMIN_TOKEN "${secrets[@]:0:2}" "${compose[@]}" -f deploy/compose.yaml config -q >/dev/null 2>&1; then
    fail "compose accepted a missing ADMIN_TOKEN: secrets must come from the environment"
fi
log "deploy/compose.yaml is valid (${compose[*]} config)"
