# The auth service (python -m auth serve) on 127.0.0.1:8001, run from the `auth` venv as the
# service user, with its log, pidfile and development signing key under .state/auth. The venv has
# the packages its image installs (auth/Dockerfile), installed afresh on every start.
# Pending migrations are applied by `serve` itself before it listens.
# shellcheck shell=bash

AUTH_DIR=$STATE_DIR/auth
AUTH_NATIVE_PORT=8001

auth_install() {
    ensure_venv auth
    command -v curl >/dev/null || ensure_apt curl
}

auth_healthy() { curl -fsS "http://127.0.0.1:$AUTH_NATIVE_PORT/auth/health" >/dev/null 2>&1; }

# Settings go through a file only the service user can read, never through argv (visible in ps).
_auth_write_env() {
    local file=$AUTH_DIR/auth.env
    (
        umask 077
        cat >"$file" <<ENV
AUTH_HOST=127.0.0.1
AUTH_PORT=$AUTH_NATIVE_PORT
AUTH_DATABASE_URL=postgres://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/$AUTH_DB
AUTH_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/1
AUTH_PRIVATE_KEY_FILE=$AUTH_DIR/keys/private.pem
PYTHONDONTWRITEBYTECODE=1
ENV
    )
    is_root && chown "$SERVICE_USER" "$file"
    return 0
}

# Started in its own session so that neither `make` exiting nor a Ctrl-C in its terminal stops it;
# its standard streams are detached too, so a caller reading stack.sh's output is not kept waiting.
_auth_detached() {
    if is_root; then (cd / && setsid -f runuser -u "$SERVICE_USER" -- "$@"); else setsid -f "$@"; fi
}

auth_start() {
    service_dir "$AUTH_DIR" "$AUTH_DIR/keys"
    chmod 700 "$AUTH_DIR/keys"
    _auth_write_env
    local python
    python=$(venv_bin auth python)
    install_image_project auth auth/Dockerfile
    if [ ! -f "$AUTH_DIR/keys/private.pem" ]; then
        log auth "generating a development signing key in $AUTH_DIR/keys"
        as_service_user env PYTHONDONTWRITEBYTECODE=1 \
            "$python" -m auth generate-keys "$AUTH_DIR/keys" --if-missing >&2
    fi
    log auth "starting on 127.0.0.1:$AUTH_NATIVE_PORT"
    # The wrapper shell records its own pid, then becomes the service (exec keeps the pid).
    # shellcheck disable=SC2016
    _auth_detached bash -c 'echo $$ >"$1/auth.pid"; set -a; . "$1/auth.env"; set +a; cd /;
        exec "$2" -m auth serve >>"$1/auth.log" 2>&1' auth "$AUTH_DIR" "$python" </dev/null >/dev/null 2>&1
    wait_until auth 60 auth_healthy
}

auth_running() { pid_alive "$AUTH_DIR/auth.pid"; }

auth_stop() { stop_pidfile auth "$AUTH_DIR/auth.pid"; }

auth_describe() { echo "http://127.0.0.1:$AUTH_NATIVE_PORT/auth (openapi at /auth/openapi)"; }
