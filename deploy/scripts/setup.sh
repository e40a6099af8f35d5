#!/usr/bin/env bash
# Installs what the project needs and is missing. Idempotent: a second run installs nothing.
#
#   setup.sh test   what `make test` needs
#   setup.sh run    what `make run` needs
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh

what="${1:-test}"
case "$what" in
    test | run) ;;
    *) echo "usage: $0 test|run" >&2; exit 2 ;;
esac
require_cargo

# postgresql: the server binaries for the private clusters (make run without DATABASE_URL; the
# tests when no server is given or running). nginx: the edge. curl: readiness checks.
apt_ensure postgresql nginx curl ca-certificates
