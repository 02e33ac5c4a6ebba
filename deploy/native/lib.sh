# Shared helpers of the native stack; sourced by stack.sh and every services/*.sh file.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian's Python 3.11, the version the lock files are compiled for. Not whichever `python3.11`
# comes first on PATH: pyenv's lives in root's home (0700 on a new machine), where the service
# user cannot run it.
PYTHON=${PYTHON:-/usr/bin/python3.11}
SERVICE_USER=${SERVICE_USER:-cinema}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Whether a user without rights of its own can reach $1: every folder down to it searchable by
# others (the service user is a system user of its own group, so only the "other" bits count).
_reachable_by_others() {
    local dir=$1
    while [ "$dir" != / ]; do
        [ -d "$dir" ] && [ -z "$(find "$dir" -maxdepth 0 -perm -o=x)" ] && return 1
        dir=$(dirname "$dir")
    done
}

# The state folder (data, logs, venvs, the files each service runs from). As root, the services
# run as $SERVICE_USER and read only from here, so it must be within that user's reach; the
# stack changes the mode of nothing outside the checkout. A checkout in a private folder (root's
# home is 0700 on Debian) therefore keeps its state in /var/lib/cinema/<checkout>-<hash>,
# linked from .state; anywhere else it is .state itself. STATE_DIR set by the caller wins.
_state_dir() {
    if [ -L "$ROOT/.state" ] || [ -d "$ROOT/.state" ]; then readlink -m "$ROOT/.state"
    elif is_root && ! _reachable_by_others "$ROOT"; then
        printf '/var/lib/cinema/%s-%s' "$(basename "$ROOT")" "$(printf %s "$ROOT" | sha256sum | cut -c1-8)"
    else printf '%s/.state' "$ROOT"
    fi
}
STATE_DIR=${STATE_DIR:-$(_state_dir)}
export ROOT STATE_DIR

# Make the state folder (and the .state link to it); refuse one the service user cannot reach.
ensure_state_dir() {
    if [ "$(dirname "$STATE_DIR")" = /var/lib/cinema ]; then
        install -d -m 0755 /var/lib/cinema "$STATE_DIR"
        [ -e "$ROOT/.state" ] || ln -sfn "$STATE_DIR" "$ROOT/.state"
    else
        mkdir -p "$STATE_DIR"
    fi
    if is_root && ! _reachable_by_others "$STATE_DIR"; then
        die stack "the service user $SERVICE_USER cannot reach the state folder $STATE_DIR (a parent folder is not searchable by others): choose another STATE_DIR"
    fi
}

log() { printf '%s %-13s %s\n' "$(date +%H:%M:%S)" "[${1}]" "${*:2}" >&2; }
die() { log "${1}" "ERROR: ${*:2}"; exit 1; }

# Run a command as the unprivileged user that owns the services' data (PostgreSQL and
# Elasticsearch refuse to run as root). A non-root developer runs everything as themself.
# From /: the caller's folder (the checkout, say) may be out of the service user's reach.
as_service_user() {
    if is_root; then (cd / && runuser -u "$SERVICE_USER" -- "$@"); else "$@"; fi
}

ensure_service_user() {
    is_root || return 0
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        log stack "creating system user $SERVICE_USER"
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
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

# Render the template deploy/native/$1 to stdout, substituting only the variables named after it.
render() {
    local template=$1 var; shift
    (for var in "$@"; do export "${var?}"; done; envsubst "$(printf '${%s} ' "$@")" <"$ROOT/deploy/native/$template")
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

# A Python virtual environment under .state/venvs, synced to a lock file in requirements/;
# re-synced only when the lock changes, made anew when it was made with another interpreter.
ensure_venv() {
    local name=$1 lock=$ROOT/requirements/$1.lock
    local venv=$STATE_DIR/venvs/$name stamp=$STATE_DIR/venvs/$name.lock-sha
    local sha; sha=$(sha256sum "$lock" | cut -d' ' -f1)
    if _venv_uses_python "$venv" && [ "$(cat "$stamp" 2>/dev/null)" = "$sha" ]; then return 0; fi
    ensure_uv
    log venv "syncing $name from requirements/$name.lock"
    if ! _venv_uses_python "$venv"; then
        rm -rf "$venv"
        "$UV" venv --quiet --python "$PYTHON" "$venv" >&2
    fi
    VIRTUAL_ENV=$venv "$UV" pip sync --quiet --python "$venv/bin/python" "$lock" >&2
    # The sync removed the project, which is not in the lock: it is installed again after this.
    rm -f "$STATE_DIR/venvs/$name.project-sha"
    echo "$sha" > "$stamp"
}

# Whether the venv at $1 exists and runs $PYTHON (its pyvenv.cfg names the interpreter's folder).
_venv_uses_python() {
    [ -x "$1/bin/python" ] && grep -qx "home = $(dirname "$PYTHON")" "$1/pyvenv.cfg" 2>/dev/null
}

UV=$STATE_DIR/venvs/uv/bin/uv
ensure_uv() {
    _venv_uses_python "$STATE_DIR/venvs/uv" && [ -x "$UV" ] && return 0
    ensure_python
    log venv "bootstrapping uv from requirements/uv.lock"
    rm -rf "$STATE_DIR/venvs/uv"
    "$PYTHON" -m venv "$STATE_DIR/venvs/uv"
    "$STATE_DIR/venvs/uv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements/uv.lock" >&2
}

# Debian's interpreter and its venv module (a PYTHON of one's own is taken as it is).
ensure_python() {
    if [ "$PYTHON" = /usr/bin/python3.11 ]; then ensure_apt python3.11 python3.11-venv; fi
}

# The project as the image of Dockerfile $2 installs it: the stage copying pyproject.toml laid
# out under .state/$1/image, and installed from there into the venv $1 (built by setuptools in
# uv's isolated environment; the venv's lock has the dependencies). A service started from that
# venv runs the code its image would, and never reads the checkout.
install_image_project() {
    local venv=$1 dockerfile=$2 dest=$STATE_DIR/$1/image folder
    ensure_python
    ensure_uv
    folder=$("$PYTHON" "$ROOT/deploy/native/image_files.py" project "$ROOT/$dockerfile" "$dest" --context "$ROOT") \
        || die stack "could not lay out the files of $dockerfile"
    VIRTUAL_ENV=$STATE_DIR/venvs/$venv "$UV" pip install --quiet --no-deps --refresh-package cinema \
        --reinstall-package cinema --python "$STATE_DIR/venvs/$venv/bin/python" "$dest$folder" >&2 \
        || die stack "could not install the project of $dockerfile into the $venv venv"
}

# The checkout installed editable into the dev venv (tests, linters, benchmarks import it from
# any folder); again when pyproject.toml or the set of top-level packages changes (the editable
# finder maps each package to its folder), or when the venv was re-synced.
ensure_dev_project() {
    local stamp=$STATE_DIR/venvs/dev.project-sha sha
    sha=$(cd "$ROOT" && { cat pyproject.toml; printf '%s\n' ./*/__init__.py; } | sha256sum | cut -d' ' -f1)
    [ "$(cat "$stamp" 2>/dev/null)" = "$sha" ] && return 0
    ensure_uv
    log venv "installing the checkout into the dev venv (editable)"
    VIRTUAL_ENV=$STATE_DIR/venvs/dev "$UV" pip install --quiet --no-deps \
        --python "$STATE_DIR/venvs/dev/bin/python" --editable "$ROOT" >&2
    echo "$sha" > "$stamp"
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
