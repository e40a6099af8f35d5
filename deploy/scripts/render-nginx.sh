#!/usr/bin/env bash
# Renders deploy/nginx/nginx.conf.template into STATE_DIR/nginx.conf.
#   render-nginx.sh STATE_DIR PORT API_PORT WEB_ROOT
set -euo pipefail
cd "$(dirname "$0")/../.."
state_dir="$1" port="$2" api_port="$3" web_root="$4"
mkdir -p "$state_dir/tmp" "$state_dir/conf.d"
sed -e "s|@STATE_DIR@|$state_dir|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@API_PORT@|$api_port|g" \
    -e "s|@WEB_ROOT@|$web_root|g" \
    deploy/nginx/nginx.conf.template >"$state_dir/nginx.conf"
