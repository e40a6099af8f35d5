# syntax=docker/dockerfile:1
# Chameleon's images, built from this checkout with the scripts `make run` uses
# (deploy/scripts/setup.sh installs the storefront's toolchain, build-web.sh builds it).
#
#   docker build --target backend -t chameleon .        # the API (`chameleon`), non-root
#   docker build --target edge -t chameleon-edge .      # nginx with the storefront, non-root
#
# deploy/compose.yaml builds and runs both (README: Containers).

# The toolchain rust-toolchain.toml pins, so rustup in the image has nothing to download.
ARG RUST_VERSION=1.95.0
ARG DEBIAN=bookworm

# --- the backend's binaries ---------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=chameleon-target \
    cargo build --release --locked -p chameleon -p chameleon-stack \
    && install -D -m 0755 -t /out target/release/chameleon target/release/chameleon-stack

# --- the storefront, in a stage of its own ------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN} AS storefront
WORKDIR /src
# The toolchain first, from only what pins it, so that a change to the code keeps this layer:
# the same pins as `make run` (trunk, wasm-bindgen-cli from web/Cargo.toml, binaryen and Tailwind
# from web/package-lock.json), installed by the same script (setup.sh web).
COPY rust-toolchain.toml ./
COPY deploy/scripts/lib.sh deploy/scripts/setup.sh deploy/scripts/
COPY deploy/tools/wasm-bindgen-cli.Cargo.lock deploy/tools/
COPY web/Cargo.toml web/package.json web/package-lock.json web/
RUN deploy/scripts/setup.sh web
# Then the build, by the script `make run` builds it with (web/node_modules is kept: the
# context never carries one, .dockerignore).
COPY . .
RUN deploy/scripts/build-web.sh

# --- the API: the binary alone, as an unprivileged user -----------------------------------------
FROM debian:${DEBIAN}-slim AS backend
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin chameleon \
    && install -d -m 2750 -o 10001 -g 10002 /var/lib/chameleon/certs
# The certificate directory (compose's `certs` volume takes its owner from here): written by
# the backends (ACME), read by the edge (uid/gid 10002) through its group, which every file made
# in it inherits (set-group-id).
COPY --from=build /out/chameleon /usr/local/bin/chameleon
USER 10001
# Listen on the container's network; metrics stay on a port of their own that the edge never
# proxies (compose publishes neither).
ENV API_HOST=0.0.0.0 API_PORT=8081 METRICS_ADDR=0.0.0.0:9091 LOG_FORMAT=json
EXPOSE 8081 9091
# curl is the health check's client: /readyz answers 503 while the database is unreachable or
# the service is stopping, which a bare TCP probe could not tell from a 200.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
    CMD curl -fsS "http://127.0.0.1:${API_PORT}/readyz" || exit 1
ENTRYPOINT ["chameleon"]
CMD ["serve", "--no-migrate"]

# --- the edge: nginx, the storefront build, our template ----------------------------------------
FROM debian:${DEBIAN}-slim AS edge
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10002 --no-create-home --shell /usr/sbin/nologin edge \
    && install -d -o edge -g edge /run/chameleon-edge
COPY --from=build /out/chameleon-stack /usr/local/bin/chameleon-stack
COPY --from=storefront /src/web/dist /srv/storefront
COPY deploy/nginx/nginx.conf.template /etc/chameleon/nginx.conf.template
COPY deploy/docker/edge.sh /usr/local/bin/chameleon-edge
USER 10002
ENV PORT=8080 BACKENDS="backend1:8081 backend2:8081"
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/healthz" || exit 1
# nginx's graceful stop: requests in flight are finished, idle connections closed.
STOPSIGNAL SIGQUIT
ENTRYPOINT ["chameleon-edge"]
