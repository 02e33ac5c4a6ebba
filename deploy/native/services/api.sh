# The content API (python -m api) on 127.0.0.1:8000, run from the `api` venv as the service user,
# with its log under .state/api. The venv has the packages its image installs (api/Dockerfile),
# installed afresh on every start. Settings are the API_* variables of api/settings.py (set in
# supervisord.conf.in).
# shellcheck shell=bash

API_DIR=$STATE_DIR/api
API_NATIVE_WORKERS=${API_WORKERS:-2}

api_install() { ensure_venv api; }

api_health() { echo "60 http http://127.0.0.1:8000/api/health"; }

api_prepare() {
    service_dir "$API_DIR"
    install_image_project api api/Dockerfile
}

api_describe() { echo "http://127.0.0.1:8000/api/v1 (Swagger UI at /api/openapi)"; }
