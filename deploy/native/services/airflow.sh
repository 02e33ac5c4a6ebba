# Airflow 3 natively: api-server (UI, REST and execution API on :8080), scheduler (LocalExecutor),
# dag-processor and triggerer, four supervisord programs (group `airflow`) from the `airflow` venv,
# with the metadata in the Postgres database $AIRFLOW_DB and everything else under .state/airflow.
# On start it makes sure the restores ran and waits until the indices hold the catalogue.
# shellcheck shell=bash

AF_DIR=$STATE_DIR/airflow
AF_PORT=${AIRFLOW_PORT:-8080}
AIRFLOW_BIN=$STATE_DIR/venvs/airflow/bin/airflow
AF_WAIT_FOR_INDICES=${AIRFLOW_WAIT_FOR_INDICES:-600}

airflow_install() {
    ensure_venv airflow
    # The ETL package and the mappings, as deploy/airflow/Dockerfile installs them.
    install_image_project airflow deploy/airflow/Dockerfile
}

# Secrets made once per machine: the admin password (simple auth manager) and the JWT secret all
# four processes share (tasks fail with "Signature verification failed" otherwise).
_airflow_secrets() {
    mkdir -p "$AF_DIR/logs"
    if [ ! -f "$AF_DIR/passwords.json" ]; then
        (umask 077; printf '{"admin": "%s"}\n' "$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)" \
            > "$AF_DIR/passwords.json")
        log airflow "generated the admin password in $AF_DIR/passwords.json"
    fi
    if [ ! -f "$AF_DIR/secrets.env" ]; then
        (umask 077; printf 'AIRFLOW__API_AUTH__JWT_SECRET=%s\nAIRFLOW__API__SECRET_KEY=%s\n' \
            "$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" \
            "$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" > "$AF_DIR/secrets.env")
    fi
}

# The settings every Airflow process (and `airflow` CLI call) gets, in airflow.env (0600): the
# supervisord programs read it, and so does this script before each CLI call.
_airflow_env() {
    (umask 077; { cat "$AF_DIR/secrets.env"; render airflow.env.in AF_DIR ROOT AF_PORT POSTGRES_USER \
        POSTGRES_PASSWORD POSTGRES_PORT AIRFLOW_DB CATALOGUE_DB ES_PORT REDIS_PORT PG_BIN; } >"$AF_DIR/airflow.env")
    chmod 600 "$AF_DIR/airflow.env"  # also when an older file was made with other rights
    set -a
    # shellcheck disable=SC1091
    . "$AF_DIR/airflow.env"
    set +a
}

_airflow() { "$AIRFLOW_BIN" "$@"; }

airflow_health() { echo "180 airflow http://127.0.0.1:$AF_PORT/api/v2/monitor/health"; }

airflow_prepare() {
    _airflow_secrets
    _airflow_env
    log airflow "migrating the metadata database $AIRFLOW_DB"
    _airflow db migrate >"$AF_DIR/logs/migrate.log" 2>&1 || die airflow "db migrate failed (see $AF_DIR/logs/migrate.log)"
}

# Restores triggered when data is missing, then the wait until the indices hold the catalogue
# (readiness.py from the airflow venv: the index names are those of its es_mappings).
airflow_ready() {
    PG_BIN=$PG_BIN "$(venv_bin airflow python)" "$ROOT/deploy/native/readiness.py" catalogue \
        "$AIRFLOW_BIN" "$AF_WAIT_FOR_INDICES" || exit 1
}

airflow_describe() {
    local password
    password=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["admin"])' \
        "$AF_DIR/passwords.json" 2>/dev/null)
    echo "http://localhost:$AF_PORT (Airflow; login admin / ${password:-see $AF_DIR/passwords.json})"
}
