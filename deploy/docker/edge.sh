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
# Logs go to the container's output (`docker compose logs edge`) when this user may open it
# again, as nginx does (runc hands the container's stdio to its user); otherwise they stay in
# the state directory.
rm -f "$dir/access.log" "$dir/error.log"
if (: >>/dev/stdout) 2>/dev/null && (: >>/dev/stdout) 1>&2 2>/dev/null; then
    ln -s /dev/stdout "$dir/access.log"
    ln -s /dev/stderr "$dir/error.log"
else
    echo "chameleon-edge: cannot reopen stdout/stderr as uid $(id -u); logs in $dir" >&2
fi
exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;'
