# Airflow 3 natively: api-server (UI, REST and execution API on :8080), scheduler (LocalExecutor),
# dag-processor and triggerer as separate background processes from the `airflow` venv, with the
# metadata in the Postgres database $AIRFLOW_DB and everything else under .state/airflow.
# On start it makes sure the restores ran and waits until the indices hold the catalogue.
# shellcheck shell=bash

AF_DIR=$STATE_DIR/airflow
AF_PORT=${AIRFLOW_PORT:-8080}
AF_PROCESSES=(api-server scheduler dag-processor triggerer)
AF_WAIT_FOR_INDICES=${AIRFLOW_WAIT_FOR_INDICES:-600}

airflow_install() {
    ensure_venv airflow
    # The ETL package and the mappings, as deploy/airflow/Dockerfile installs them.
    install_image_project airflow deploy/airflow/Dockerfile
    command -v curl >/dev/null || ensure_apt curl
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

# The settings every Airflow process (and `airflow` CLI call) gets.
_airflow_env() {
    set -a
    # shellcheck disable=SC1091
    . "$AF_DIR/secrets.env"
    set +a
    export AIRFLOW_HOME=$AF_DIR
    export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
    export AIRFLOW__CORE__LOAD_EXAMPLES=False
    export AIRFLOW__CORE__EXECUTOR=LocalExecutor
    export AIRFLOW__CORE__PARALLELISM=4
    export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG=2
    export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$AF_PORT/execution/
    export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$AF_DIR/passwords.json
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/$AIRFLOW_DB"
    export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
    export AIRFLOW__LOGGING__BASE_LOG_FOLDER=$AF_DIR/logs
    export AIRFLOW__API__HOST=127.0.0.1
    export AIRFLOW__API__PORT=$AF_PORT
    export AIRFLOW__API__WORKERS=1
    export AIRFLOW__API__BASE_URL=http://localhost:$AF_PORT
    export AIRFLOW_CONN_CATALOGUE_DB="postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/$CATALOGUE_DB"
    export AIRFLOW_CONN_ELASTICSEARCH="{\"conn_type\": \"elasticsearch\", \"host\": \"127.0.0.1\", \"port\": $ES_PORT}"
    export AIRFLOW_VAR_CINEMA_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
    export PG_RESTORE=/usr/lib/postgresql/$(compose_version postgres | cut -d. -f1)/bin/pg_restore
    export CINEMA_RESTORE_DIR=$ROOT/restore
}

_airflow() { "$(venv_bin airflow airflow)" "$@"; }

airflow_healthy() {
    curl -fsS "http://127.0.0.1:$AF_PORT/api/v2/monitor/health" 2>/dev/null \
        | grep -q '"scheduler":{"status":"healthy"'
}

# Postgres's row counts of what the indices must hold, and the indices' document counts.
_catalogue_counts() {
    PGPASSWORD=$POSTGRES_PASSWORD "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" \
        -d "$CATALOGUE_DB" -tAF' ' -c "SELECT
            (SELECT count(*) FROM content.film_work),
            (SELECT count(*) FROM content.genre WHERE lower(btrim(name)) NOT IN ('', 'n/a')),
            (SELECT count(*) FROM content.person WHERE lower(btrim(full_name)) NOT IN ('', 'n/a'))" 2>/dev/null
}
_index_counts() {
    local name count out=()
    for name in movies genres persons; do
        count=$(curl -fsS "http://127.0.0.1:$ES_PORT/$name/_count" 2>/dev/null | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
        out+=("${count:--}")
    done
    echo "${out[*]}"
}
_catalogue_filled() { local c; c=$(_catalogue_counts) && [ -n "$c" ] && [ "${c%% *}" != 0 ]; }

airflow_start() {
    _airflow_secrets
    _airflow_env
    log airflow "migrating the metadata database $AIRFLOW_DB"
    _airflow db migrate >"$AF_DIR/logs/migrate.log" 2>&1 || die airflow "db migrate failed (see $AF_DIR/logs/migrate.log)"
    # Here because something is down or unhealthy (a scheduler that lost its database stays alive
    # but stops heartbeating): start all four afresh.
    airflow_stop
    local process
    for process in "${AF_PROCESSES[@]}"; do
        log airflow "starting $process"
        # Each in its own session under a small loop that restarts it when it exits (the scheduler
        # exits when Postgres goes away); `airflow_stop` signals the whole session.
        # From /, so that no process finds the checkout's packages in its working folder.
        (cd / || exit; setsid nohup bash -c 'while :; do "$0" "$1"; echo "$1 exited ($?); restarting in 5 s"; sleep 5; done' \
            "$(venv_bin airflow airflow)" "$process" >>"$AF_DIR/logs/$process.log" 2>&1 < /dev/null &
        echo $! > "$AF_DIR/$process.pid")
    done
    wait_until airflow 180 airflow_healthy

    # DAGs run once when created; on a restart with data missing, trigger the restores now.
    local deadline=$((SECONDS + 120))
    until _airflow dags list -o plain 2>/dev/null | grep -q restore_elasticsearch; do
        [ $SECONDS -lt $deadline ] || die airflow "the DAGs were not parsed within 120s (see $AF_DIR/logs/dag-processor.log)"
        sleep 3
    done
    _catalogue_filled || { log airflow "catalogue empty: triggering restore_postgres"; _airflow dags trigger restore_postgres >/dev/null 2>&1 || true; }
    [[ "$(_index_counts)" == *-* ]] && { log airflow "indices missing: triggering restore_elasticsearch"; _airflow dags trigger restore_elasticsearch >/dev/null 2>&1 || true; }

    log airflow "waiting (up to ${AF_WAIT_FOR_INDICES}s) until the indices hold the catalogue"
    deadline=$((SECONDS + AF_WAIT_FOR_INDICES))
    local expected actual last_log=0
    while :; do
        expected=$(_catalogue_counts || true)
        actual=$(_index_counts)
        if [ -n "$expected" ] && [ "${expected%% *}" != 0 ] && [ "$expected" = "$actual" ]; then
            log airflow "indices full: movies/genres/persons = $actual"
            break
        fi
        [ $SECONDS -lt $deadline ] || die airflow "indices not full after ${AF_WAIT_FOR_INDICES}s: Postgres ${expected:-?}, indices $actual (see the Airflow UI)"
        if [ $((SECONDS - last_log)) -ge 15 ]; then
            log airflow "movies/genres/persons: Postgres ${expected:-not restored}, indices $actual"
            last_log=$SECONDS
        fi
        sleep 3
    done
}

airflow_running() {
    local process
    for process in "${AF_PROCESSES[@]}"; do pid_alive "$AF_DIR/$process.pid" || return 1; done
}

airflow_stop() {
    local process pid
    for process in triggerer dag-processor scheduler api-server; do
        pid_alive "$AF_DIR/$process.pid" || { rm -f "$AF_DIR/$process.pid"; continue; }
        pid=$(cat "$AF_DIR/$process.pid")
        log airflow "stopping $process (pid $pid)"
        # Each process leads its own session (setsid): signal the group, so workers go too.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$pid" 2>/dev/null || true
        rm -f "$AF_DIR/$process.pid"
    done
}

airflow_describe() {
    local password
    password=$(sed -n 's/.*"admin": *"\([^"]*\)".*/\1/p' "$AF_DIR/passwords.json" 2>/dev/null)
    echo "http://localhost:$AF_PORT (Airflow; login admin / ${password:-see $AF_DIR/passwords.json})"
}
