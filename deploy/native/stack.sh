#!/usr/bin/env bash
# The native stack: `stack.sh up|down|status|restart [service...]`, `stack.sh run VENV CMD...`
# to run a command in one of the project's virtual environments with the stack's settings, and
# `stack.sh bench CMD...` to run a benchmark in the dev environment with Airflow paused, and
# `stack.sh reset` to stop everything and delete the state folder.
# Services start in the order below; each has a file in services/ defining
# <name>_install, <name>_start, <name>_stop, <name>_running, <name>_healthy and <name>_describe.
set -euo pipefail
# What the stack writes (venvs, copies of the services' files) must stay readable by the service user.
umask 022

# shellcheck source=deploy/native/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES=(postgres redis elasticsearch airflow api auth gateway)
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

up() {
    ensure_state_dir
    ensure_service_user
    local name started=0
    for name in $(selected "$@"); do
        if "${name}_running" && "${name}_healthy"; then
            continue
        fi
        "${name}_install"
        "${name}_start"
        started=$((started + 1))
    done
    [ "$started" -eq 0 ] && log stack "everything is already running"
    status "$@"
}

down() {
    local name names
    names=$(selected "$@" | tac)
    for name in $names; do "${name}_stop"; done
}

status() {
    local name rc=0
    for name in $(selected "$@"); do
        if "${name}_running" 2>/dev/null && "${name}_healthy" 2>/dev/null; then
            printf '  %-14s up      %s\n' "$name" "$("${name}_describe")"
        elif "${name}_running" 2>/dev/null; then
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
# a service back while `make up` runs) would both find a service down and start it twice, and the
# loser's exit can remove the winner's pidfile. flock holds the lock while this script runs again
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
        if airflow_running; then
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
