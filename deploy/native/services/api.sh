# The content API (python -m api) on 127.0.0.1:8000, run from the `api` venv as the service user,
# with its log and pidfile under .state/api. The venv has the packages its image installs
# (api/Dockerfile), installed afresh on every start. Settings are the API_* variables of api/settings.py.
# shellcheck shell=bash

API_DIR=$STATE_DIR/api
API_NATIVE_PORT=8000
API_NATIVE_WORKERS=${API_WORKERS:-2}

api_install() {
    ensure_venv api
    command -v curl >/dev/null || ensure_apt curl
}

api_healthy() { curl -fsS "http://127.0.0.1:$API_NATIVE_PORT/api/health" >/dev/null 2>&1; }

# Started in its own session so that neither `make` exiting nor a Ctrl-C in its terminal stops it,
# and with no inherited stdio: a process holding the caller's stdout would keep a pipe reading
# `make up`'s output (CI, `| tee`) open after make has finished.
_api_detached() {
    if is_root; then
        (cd / && setsid -f runuser -u "$SERVICE_USER" -- "$@" </dev/null >>"$API_DIR/api.log" 2>&1)
    else
        setsid -f "$@" </dev/null >>"$API_DIR/api.log" 2>&1
    fi
}

api_start() {
    service_dir "$API_DIR"
    # The service user appends to the log; made here first, the caller's redirection would create it
    # as root in a fresh state folder and the API could not write it (nor start).
    touch "$API_DIR/api.log"
    is_root && chown "$SERVICE_USER" "$API_DIR/api.log"
    install_image_project api api/Dockerfile
    log api "starting on 127.0.0.1:$API_NATIVE_PORT ($API_NATIVE_WORKERS workers)"
    # The wrapper shell records its own pid, then becomes the service (exec keeps the pid).
    # shellcheck disable=SC2016
    _api_detached env \
        API_HOST=127.0.0.1 API_PORT="$API_NATIVE_PORT" API_WORKERS="$API_NATIVE_WORKERS" \
        API_ES_URL="http://127.0.0.1:$ES_PORT" API_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
        PYTHONDONTWRITEBYTECODE=1 \
        bash -c 'echo $$ >"$1/api.pid"; cd /; exec "$2" -m api >>"$1/api.log" 2>&1 </dev/null' \
        api "$API_DIR" "$(venv_bin api python)"
    wait_until api 60 api_healthy
}

api_running() { pid_alive "$API_DIR/api.pid"; }

api_stop() { stop_pidfile api "$API_DIR/api.pid"; }

api_describe() { echo "http://127.0.0.1:$API_NATIVE_PORT/api/v1 (Swagger UI at /api/openapi)"; }
