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
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
env_file="$work/empty.env"
: >"$env_file"
run_compose() { "${compose[@]}" --env-file "$env_file" -f deploy/compose.yaml "$@"; }

# Secrets are files (compose `secrets:`), named by these variables; never values in the
# environment.
secrets=()
for name in POSTGRES_PASSWORD_FILE SERVING_PASSWORD_FILE ADMIN_TOKEN_FILE; do
    echo "check-secret-$name" >"$work/$name"
    secrets+=("$name=$work/$name")
done
config="$(export "${secrets[@]}"; run_compose config)" \
    || fail "${compose[*]} config refused deploy/compose.yaml"
for secret in "${secrets[@]}"; do
    name="${secret%%=*}"
    if (export "${secrets[@]}"; unset "$name"; run_compose config -q) >/dev/null 2>&1; then
        fail "compose accepted a missing $name: every secret file must be named"
    fi
done
if grep -q 'check-secret-' <<<"$config"; then
    fail "a secret's value appears in the compose configuration"
fi

# The rest is read from what compose resolved (docker-compose is Python, with its YAML module).
printf '%s\n' "$config" >"$work/config.yaml"
python3 - "$work/config.yaml" <<'PY' || fail "the compose configuration is not hardened (above)"
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
services, networks = config["services"], config.get("networks", {})
problems = []
def need(ok, what):
    if not ok:
        problems.append(what)
for name in ["postgres", "migrate", "backend1", "backend2", "edge"]:
    need(name in services, f"compose has no service {name}")
for name, svc in services.items():
    need(svc.get("read_only") is True, f"{name}: the root filesystem is not read_only")
    need("ALL" in (svc.get("cap_drop") or []), f"{name}: capabilities are not dropped (cap_drop: [ALL])")
    need(any(o.replace("=", ":") in ("no-new-privileges:true", "no-new-privileges")
             for o in svc.get("security_opt") or []), f"{name}: no-new-privileges is not set")
    extra = set(svc.get("cap_add") or []) - ({"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"} if name == "postgres" else set())
    need(not extra, f"{name}: capabilities added beyond the named ones: {sorted(extra)}")
    env = svc.get("environment") or {}
    for key, value in env.items():
        secretish = any(w in key for w in ("PASSWORD", "TOKEN", "SECRET")) and not key.endswith("_FILE")
        need(not secretish, f"{name}: the secret {key} is an environment variable")
        need("password=" not in str(value), f"{name}: {key} carries a password")
    hc = svc.get("healthcheck") or {}
    if name != "migrate":
        need(hc.get("test") and hc.get("test") != ["NONE"] and not hc.get("disable"), f"{name}: no health check")
    ports = svc.get("ports") or []
    need(not ports or name == "edge", f"{name}: only the edge may publish ports")
    need(not any("9091" in str(p) for p in ports), f"{name}: publishes the metrics port")
def nets(name):
    n = services[name].get("networks") or {}
    return set(n) if isinstance(n, (dict, list)) else set()
need(nets("edge") == {"edge"}, f"the edge is on {sorted(nets('edge'))}: it may be on the edge network only")
need(nets("postgres") == {"data"}, f"PostgreSQL is on {sorted(nets('postgres'))}: the data network only")
for name in ["backend1", "backend2"]:
    need({"edge", "data", "metrics"} <= nets(name), f"{name} is not on the edge, data and metrics networks")
    addr = services[name]["environment"].get("METRICS_ADDR", "")
    mine = (services[name]["networks"].get("metrics") or {}).get("ipv4_address")
    need(mine and addr == f"{mine}:9091", f"{name}: METRICS_ADDR {addr!r} is not its metrics-network address")
for name in ["data", "metrics"]:
    need(networks.get(name, {}).get("internal") is True, f"the {name} network is not internal")
for p in problems:
    print("check-containers:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

log "deploy/compose.yaml is valid (${compose[*]} config) and hardened; refused without each of ${secrets[*]%%=*}"
