#!/bin/sh
# The edge container: renders nginx's configuration with chameleon-stack, the code `make run`
# renders it with (same template, same EDGE_* and SYS_ALLOW variables), then runs nginx in the
# foreground as this (unprivileged) user. BACKENDS lists the backends, `host:port` each.
set -eu
dir=/run/chameleon-edge
set --
for backend in $BACKENDS; do set -- "$@" --backend "$backend"; done
chameleon-stack render-nginx --dir "$dir" --template /etc/chameleon/nginx.conf.template \
    --web-root /srv/storefront --port "$PORT" "$@" >/dev/null
# Logs to the container's output as well as into the state directory.
ln -sf /dev/stdout "$dir/access.log"
ln -sf /dev/stderr "$dir/error.log"
exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;'
