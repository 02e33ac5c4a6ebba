# The content API (python -m api) on 127.0.0.1:8000, run from the `api` venv as the service user,
# with its log under .state/api. The venv has the packages its image installs (api/Dockerfile),
# installed afresh on every start. Settings are the API_* variables of api/settings.py (set in
# supervisord.conf.in), but for the cursor secret, which goes through api.env.
# shellcheck shell=bash

API_DIR=$STATE_DIR/api
API_NATIVE_WORKERS=${API_WORKERS:-2}

api_install() { ensure_venv api; }

api_health() { echo "60 http http://127.0.0.1:8000/api/health"; }

# The cursor secret: API_CURSOR_SECRET from .env or, for an .env made before it existed, one
# generated once into the state folder; handed over in a file only the service user reads, never
# on a command line.
api_cursor_secret() {
    if [ -z "${API_CURSOR_SECRET:-}" ]; then
        local file=$API_DIR/cursor-secret
        [ -s "$file" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$file")
        API_CURSOR_SECRET=$(cat "$file")
    fi
    (umask 077; printf 'API_CURSOR_SECRET=%s\n' "$API_CURSOR_SECRET" >"$API_DIR/api.env")
    if is_root; then chown "$SERVICE_USER" "$API_DIR/api.env"; fi
}

api_prepare() {
    service_dir "$API_DIR"
    api_cursor_secret
    install_image_project api api/Dockerfile
}

api_describe() { echo "http://127.0.0.1:8000/api/v1 (Swagger UI at /api/openapi)"; }
