# PostgreSQL from Debian's packages, with its data under .state/postgres.
# shellcheck shell=bash

PG_MAJOR=$(compose_version postgres | cut -d. -f1)
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_DIR=$STATE_DIR/postgres

postgres_install() {
    [ -x "$PG_BIN/postgres" ] || ensure_apt "postgresql-$PG_MAJOR"
    ensure_apt "postgresql-client-$PG_MAJOR"
}

postgres_health() { echo "60 postgres 127.0.0.1:$POSTGRES_PORT"; }

postgres_prepare() {
    service_dir "$PG_DIR" "$PG_DIR/run"
    if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
        log postgres "initialising a new cluster in $PG_DIR/data"
        local pwfile=$PG_DIR/.pwfile
        (umask 077; printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile")
        is_root && chown "$SERVICE_USER" "$pwfile"
        as_service_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$POSTGRES_USER" --pwfile="$pwfile" \
            --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log"
        rm -f "$pwfile"
    fi
    # The server reads its configuration from the state folder: the checkout may be out of its reach.
    install -m 0644 "$ROOT/deploy/postgres/postgresql.conf" "$PG_DIR/postgresql.conf"
}

# Once it accepts connections: the databases and roles (each step skips what exists).
postgres_ready() {
    PGHOST=127.0.0.1 PGPORT=$POSTGRES_PORT PGPASSWORD=$POSTGRES_PASSWORD PATH=$PG_BIN:$PATH \
        bash "$ROOT/deploy/postgres/init-databases.sh"
}

postgres_describe() {
    echo "postgresql://$POSTGRES_USER:***@127.0.0.1:$POSTGRES_PORT (databases $CATALOGUE_DB, $AUTH_DB, $AIRFLOW_DB)"
}
