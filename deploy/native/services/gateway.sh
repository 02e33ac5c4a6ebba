# The nginx gateway from Debian's packages on port 80: /api/ to the content API, /auth/ to the
# auth service (nginx in the foreground under supervisord). The routing is
# deploy/nginx/templates/default.conf.template, the same file the compose nginx image renders;
# here envsubst renders it with loopback upstreams.
# shellcheck shell=bash

GATEWAY_DIR=$STATE_DIR/gateway
GATEWAY_PORT=80

gateway_install() {
    local fresh=
    command -v nginx >/dev/null || fresh=1
    ensure_apt nginx gettext-base
    # Debian starts its own nginx (default site on port 80) right after installing the package.
    if [ -n "$fresh" ] && [ -f /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
        log gateway "stopping the nginx that the Debian package started"
        nginx -s stop 2>/dev/null || true
    fi
}

gateway_health() { echo "30 http http://127.0.0.1:$GATEWAY_PORT/gateway/health"; }

_gateway_config() {
    mkdir -p "$GATEWAY_DIR/conf.d" "$GATEWAY_DIR/tmp"
    # The upstreams are IP addresses here, so the resolver is never asked; nginx needs one anyway.
    # shellcheck disable=SC2016
    API_UPSTREAM=127.0.0.1:8000 AUTH_UPSTREAM=127.0.0.1:8001 DNS_RESOLVER=127.0.0.1 \
        GATEWAY_ACCESS_LOG="$GATEWAY_DIR/access.log" GATEWAY_METRICS_ALLOW="${GATEWAY_METRICS_ALLOW:-0.0.0.0/32}" \
        envsubst '${API_UPSTREAM} ${AUTH_UPSTREAM} ${DNS_RESOLVER} ${GATEWAY_ACCESS_LOG} ${GATEWAY_METRICS_ALLOW}' \
        <"$ROOT/deploy/nginx/templates/default.conf.template" >"$GATEWAY_DIR/conf.d/default.conf"
    NGINX_USER=$(if is_root; then echo "user $SERVICE_USER;"; fi)
    render nginx.conf.in GATEWAY_DIR NGINX_USER >"$GATEWAY_DIR/nginx.conf"
}

gateway_prepare() {
    _gateway_config
    nginx -t -q -c "$GATEWAY_DIR/nginx.conf" -e "$GATEWAY_DIR/error.log" \
        || die gateway "invalid configuration (see $GATEWAY_DIR/error.log)"
}

gateway_describe() { echo "http://127.0.0.1:$GATEWAY_PORT (/api/ -> :8000, /auth/ -> :8001)"; }
