# Shared helpers of the native stack; sourced by stack.sh and every services/*.sh file.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=${STATE_DIR:-$ROOT/.state}
PYTHON=${PYTHON:-python3.11}
SERVICE_USER=${SERVICE_USER:-cinema}
export ROOT STATE_DIR

log() { printf '%s %-13s %s\n' "$(date +%H:%M:%S)" "[${1}]" "${*:2}" >&2; }
die() { log "${1}" "ERROR: ${*:2}"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the unprivileged user that owns the services' data (PostgreSQL and
# Elasticsearch refuse to run as root). A non-root developer runs everything as themself.
as_service_user() {
    if is_root; then runuser -u "$SERVICE_USER" -- "$@"; else "$@"; fi
}

ensure_service_user() {
    is_root || return 0
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        log stack "creating system user $SERVICE_USER"
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
    # The services read their configuration from the checkout: a clone under a private folder
    # (such as /root) needs the search (x) bit on its parents, nothing more.
    local dir=$ROOT
    while ! runuser -u "$SERVICE_USER" -- test -r "$ROOT/docker-compose.yml" 2>/dev/null && [ "$dir" != / ]; do
        if ! runuser -u "$SERVICE_USER" -- test -x "$dir" 2>/dev/null; then
            log stack "letting $SERVICE_USER traverse $dir (chmod o+x)"
            chmod o+x "$dir"
        fi
        dir=$(dirname "$dir")
    done
}

# Directories the service user writes to; the project root stays owned by whoever cloned it.
service_dir() {
    mkdir -p "$@"
    if is_root; then chown "$SERVICE_USER" "$@"; fi
}

_apt_updated=
ensure_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=; is_root || sudo=sudo
    log apt "installing ${missing[*]}"
    if [ -z "$_apt_updated" ]; then $sudo apt-get update -qq >&2; _apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The image tag of a compose service: the one place where a component's version is pinned.
compose_version() {
    sed -n "s|^ *image: *$1:\([^ ]*\)$|\1|p" "$ROOT/docker-compose.yml" | head -1
}

# Settings: .env is made from .env.example on first start, with random secrets.
load_env() {
    if [ ! -f "$ROOT/.env" ]; then
        log stack "creating .env from .env.example with fresh secrets"
        local line
        while IFS= read -r line; do
            while [[ $line == *change-me* ]]; do
                line=${line/change-me/$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)}
            done
            printf '%s\n' "$line"
        done < "$ROOT/.env.example" > "$ROOT/.env"
        chmod 600 "$ROOT/.env"
    fi
    set -a
    # shellcheck disable=SC1091
    . "$ROOT/.env"
    set +a
}

# Poll `check` (a command) until it succeeds or `timeout` seconds pass.
wait_until() {
    local name=$1 timeout=$2; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt "$deadline" ] || die "$name" "not healthy after ${timeout}s (see $STATE_DIR/$name/*.log)"
        sleep 1
    done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop the process whose pid is in file $2, politely then firmly.
stop_pidfile() {
    local name=$1 pidfile=$2
    pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    local pid; pid=$(cat "$pidfile")
    log "$name" "stopping (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

# A Python virtual environment under .state/venvs, synced to a lock file in requirements/;
# re-synced only when the lock changes.
ensure_venv() {
    local name=$1 lock=$ROOT/requirements/$1.lock
    local venv=$STATE_DIR/venvs/$name stamp=$STATE_DIR/venvs/$name.lock-sha
    local sha; sha=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sha" ]; then return 0; fi
    ensure_uv
    log venv "syncing $name from requirements/$name.lock"
    [ -x "$venv/bin/python" ] || "$UV" venv --quiet --python "$(command -v "$PYTHON")" "$venv" >&2
    VIRTUAL_ENV=$venv "$UV" pip sync --quiet --python "$venv/bin/python" "$lock" >&2
    echo "$sha" > "$stamp"
}

UV=$STATE_DIR/venvs/uv/bin/uv
ensure_uv() {
    [ -x "$UV" ] && return 0
    log venv "bootstrapping uv from requirements/uv.lock"
    "$PYTHON" -m venv "$STATE_DIR/venvs/uv"
    "$STATE_DIR/venvs/uv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements/uv.lock" >&2
}

venv_bin() { printf '%s/venvs/%s/bin/%s' "$STATE_DIR" "$1" "$2"; }

# Node tools pinned in requirements/node (the compose linter), installed under .state/node.
ensure_node_tools() {
    local dir=$STATE_DIR/node lock=$ROOT/requirements/node/package-lock.json
    local sha; sha=$(sha256sum "$lock" | cut -d' ' -f1)
    [ "$(cat "$dir/lock-sha" 2>/dev/null)" = "$sha" ] && return 0
    command -v npm >/dev/null || ensure_apt npm
    log node "installing the tools pinned in requirements/node"
    mkdir -p "$dir"
    cp "$ROOT/requirements/node/package.json" "$lock" "$dir/"
    (cd "$dir" && npm ci --silent --no-fund --no-audit >&2)
    echo "$sha" > "$dir/lock-sha"
}

# Headless Chromium and its WebDriver from Debian, for the test that uses the Airflow UI as a data
# engineer would (only package registries are reachable: no browser download of selenium's own).
ensure_browser() {
    ensure_apt chromium chromium-driver fonts-dejavu-core
}
