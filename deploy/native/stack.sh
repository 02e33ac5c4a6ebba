#!/usr/bin/env bash
# The native stack: `stack.sh up|down|status|restart [service...]`, `stack.sh run VENV CMD...`
# to run a command in one of the project's virtual environments with the stack's settings, and
# `stack.sh bench CMD...` to run a benchmark in the dev environment with Airflow paused, and
# `stack.sh reset` to stop everything and delete the state folder.
#
# Supervision: one supervisord of our own (Debian's package; not its system-wide service), started
# by the first `up` with the config rendered from supervisord.conf.in into .state/supervisor/,
# runs every process in the foreground as a program (Airflow's four as the group `airflow`):
# it restarts what exits, writes each program's log under .state/<service>/, and stops them with
# their own signal and timeout. This script is the glue: for each service in the order below it
# installs what is missing, prepares its files, `supervisorctl start`s it and lets readiness.py
# wait until it answers; `down` is `supervisorctl stop` (and, for the whole stack, `shutdown`).
# Each service has a file in services/ defining <name>_install, <name>_prepare, <name>_health
# ("SECONDS KIND TARGET" for readiness.py), <name>_describe and optionally <name>_ready (run once
# it is healthy).
set -euo pipefail
# What the stack writes (venvs, copies of the services' files) must stay readable by the service user.
umask 022

# shellcheck source=deploy/native/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES=(postgres redis redis_auth elasticsearch airflow api auth gateway)
SERVICES=()
for name in "${ALL_SERVICES[@]}"; do
    if [ -f "$ROOT/deploy/native/services/$name.sh" ]; then
        SERVICES+=("$name")
    fi
done

load_env
for name in "${SERVICES[@]}"; do
    # shellcheck disable=SC1090
    . "$ROOT/deploy/native/services/$name.sh"
done

selected() { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else printf '%s\n' "${SERVICES[@]}"; fi; }

SV_DIR=$STATE_DIR/supervisor
SV_CONF=$SV_DIR/supervisord.conf
sv() { supervisorctl -c "$SV_CONF" "$@"; }
sv_alive() { [ -S "$SV_DIR/supervisord.sock" ] && sv pid >/dev/null 2>&1; }

# Render the config (the values of this run); start supervisord, or have it take up a change.
ensure_supervisord() {
    ensure_apt supervisor gettext-base
    # supervisord refuses a config naming a log file in a missing folder.
    service_dir "$PG_DIR" "$REDIS_DIR" "$REDIS_AUTH_DIR" "$ES_DIR" "$API_DIR" "$AUTH_DIR"
    mkdir -p "$SV_DIR" "$AF_DIR/logs" "$GATEWAY_DIR"
    local new=$SV_CONF.new
    SV_USER=$(if is_root; then echo "$SERVICE_USER"; else id -un; fi)
    SV_HOME=$(if is_root; then echo /nonexistent; else echo "$HOME"; fi)
    render supervisord.conf.in STATE_DIR PG_BIN POSTGRES_PORT REDIS_PORT AUTH_REDIS_PORT ES_HOME ES_PORT ES_JAVA_HOME ES_HEAP \
        AIRFLOW_BIN API_NATIVE_WORKERS SV_USER SV_HOME >"$new"
    if sv_alive; then
        if ! cmp -s "$new" "$SV_CONF"; then
            mv "$new" "$SV_CONF"
            sv reread >/dev/null && sv update >/dev/null
        fi
        rm -f "$new"
    else
        mv "$new" "$SV_CONF"
        # Its own session, no inherited stdio: nothing keeps the caller's output pipe open.
        setsid supervisord -c "$SV_CONF" </dev/null >>"$SV_DIR/supervisord.out" 2>&1 \
            || die stack "supervisord did not start: $(tail -2 "$SV_DIR/supervisord.out")"
        local i; for i in $(seq 50); do sv_alive && break; sleep 0.2; done
        sv_alive || die stack "supervisord did not start (see $SV_DIR/supervisord.log)"
    fi
}

# The supervisord states of a service's programs (RUNNING, STARTING, BACKOFF, STOPPED, ...), from
# one `supervisorctl status` per call of this script, taken again after each start or stop.
SV_STATUS=
refresh() { SV_STATUS=$( { [ -S "$SV_DIR/supervisord.sock" ] && sv status; } 2>/dev/null || true); }
states() { awk -v name="$1" '$1 == name || index($1, name ":") == 1 {print $2}' <<<"$SV_STATUS"; }
running() { local s; s=$(states "$1") && [ -n "$s" ] && ! grep -qvx 'RUNNING' <<<"$s"; }
supervised() { states "$1" | grep -qxE 'RUNNING|STARTING|BACKOFF'; }
healthy() { read -r _ kind target <<<"$("${1}_health")"; "$PYTHON" "$ROOT/deploy/native/readiness.py" check "$kind" "$target"; }

start() {
    local name=$1 seconds kind target
    "${name}_install"
    "${name}_prepare"
    # Here because something is down or unhealthy (a scheduler that lost its database stays alive
    # but stops heartbeating): its programs start afresh.
    sv stop "$name:*" >/dev/null 2>&1 || true
    read -r seconds kind target <<<"$("${name}_health")"
    "$PYTHON" "$ROOT/deploy/native/readiness.py" free "$name" "$kind" "$target" || exit 1
    log "$name" "starting"
    sv start "$name:*" >/dev/null || true
    "$PYTHON" "$ROOT/deploy/native/readiness.py" wait "$name" "$seconds" "$kind" "$target" || exit 1
    if declare -F "${name}_ready" >/dev/null; then "${name}_ready"; fi
    refresh
}

up() {
    ensure_state_dir
    ensure_service_user
    ensure_python
    ensure_supervisord
    local name started=0
    refresh
    for name in $(selected "$@"); do
        if running "$name" && healthy "$name"; then continue; fi
        start "$name"
        started=$((started + 1))
    done
    [ "$started" -eq 0 ] && log stack "everything is already running"
    status "$@"
}

down() {
    local name
    sv_alive || return 0
    refresh
    for name in $(selected "$@" | tac); do
        if supervised "$name"; then log "$name" "stopping"; sv stop "$name:*" >/dev/null; fi
    done
    if [ $# -eq 0 ]; then
        local pid; pid=$(cat "$SV_DIR/supervisord.pid" 2>/dev/null || true)
        sv shutdown >/dev/null
        while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
}

status() {
    local name rc=0
    refresh
    for name in $(selected "$@"); do
        if running "$name" && healthy "$name"; then
            printf '  %-14s up      %s\n' "$name" "$("${name}_describe")"
        elif supervised "$name"; then
            printf '  %-14s unhealthy %s\n' "$name" "$("${name}_describe")"; rc=1
        else
            printf '  %-14s down\n' "$name"; rc=1
        fi
    done
    return $rc
}

command=${1:-status}
shift || true

# Calls that start or stop services take turns: two at once (a second terminal, a test bringing
# a service back while `make up` runs) would both find a service down and start it twice. flock holds the lock while this script runs again
# under it; --close keeps the lock's descriptor out of the services started here.
case $command in
    up | down | restart)
        if [ -z "${CINEMA_STACK_TURN:-}" ]; then
            ensure_state_dir
            CINEMA_STACK_TURN=1 exec flock --close "$STATE_DIR/stack.lock" bash "$0" "$command" "$@"
        fi
        unset CINEMA_STACK_TURN
        ;;
esac

case $command in
    up) up "$@" ;;
    down) down "$@" ;;
    restart) down "$@"; up "$@" ;;
    status) status "$@" ;;
    run)
        venv=$1; shift
        ensure_state_dir
        ensure_venv "$venv"
        # wrk: the load generator of bench/load.py and bench/api.py (and so of the load test).
        if [ "$venv" = dev ]; then ensure_dev_project; ensure_node_tools; ensure_browser; ensure_apt wrk; fi
        PATH=$STATE_DIR/venvs/$venv/bin:$STATE_DIR/node/node_modules/.bin:$PATH exec "$@"
        ;;
    bench)
        # A benchmark shares the machine with the stack. Airflow is the one part of it that works
        # when nobody asks (scheduler and DAG processor polling, and every minute a run of each
        # ETL DAG in fresh task processes): about 15% of 2 cores, in bursts that the figures
        # would charge to the services measured. The benchmarks run the ETL code themselves, so
        # Airflow stops while they run and starts again after, whatever their outcome.
        restart_airflow=0
        refresh
        if running airflow; then
            restart_airflow=1
            log bench "stopping Airflow while the benchmark runs (started again after)"
            bash "$0" down airflow
            export BENCH_AIRFLOW_STOPPED=1  # bench/report.py says so under its table
        fi
        rc=0
        trap 'rc=130' INT TERM
        bash "$0" run dev "$@" || rc=$?
        trap - INT TERM
        if [ "$restart_airflow" = 1 ]; then bash "$0" up airflow >/dev/null || rc=1; fi
        exit "$rc"
        ;;
    reset)
        # Everything local goes: the state folder (also when .state links elsewhere) and the link.
        bash "$0" down
        log stack "deleting $STATE_DIR"
        rm -rf "$STATE_DIR"
        if [ -L "$ROOT/.state" ]; then rm -f "$ROOT/.state"; fi
        ;;
    *) echo "usage: $0 up|down|restart|status|reset [service...] | run VENV COMMAND... | bench COMMAND..." >&2; exit 2 ;;
esac
