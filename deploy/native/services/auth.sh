# The auth service (python -m auth serve) on 127.0.0.1:8001, run from the `auth` venv as the
# service user, with its log, pidfile and development signing key under .state/auth. The venv has
# the packages its image installs (auth/Dockerfile), installed afresh on every start.
# Pending migrations are applied by `serve` itself before it listens.
# shellcheck shell=bash

AUTH_DIR=$STATE_DIR/auth
AUTH_NATIVE_PORT=8001

auth_install() { ensure_venv auth; }

auth_health() { echo "60 http http://127.0.0.1:$AUTH_NATIVE_PORT/auth/health"; }

# The service's own Postgres role (deploy/postgres/init-auth-role.sh): its password comes from
# .env (AUTH_DB_PASSWORD) or, for an .env made before the role existed, from one generated once
# into the state folder.
auth_database_role() {
    AUTH_DB_USER=${AUTH_DB_USER:-cinema_auth}
    if [ -z "${AUTH_DB_PASSWORD:-}" ]; then
        local file=$AUTH_DIR/db-password
        [ -s "$file" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$file")
        AUTH_DB_PASSWORD=$(cat "$file")
    fi
    export AUTH_DB_USER AUTH_DB_PASSWORD
    PGHOST=127.0.0.1 PGPORT=$POSTGRES_PORT PGPASSWORD=$POSTGRES_PASSWORD PATH=$PG_BIN:$PATH \
        bash "$ROOT/deploy/postgres/init-auth-role.sh" \
        || die auth "could not set up the Postgres role $AUTH_DB_USER (is postgres up?)"
}

auth_prepare() {
    service_dir "$AUTH_DIR" "$AUTH_DIR/keys"
    chmod 700 "$AUTH_DIR/keys"
    auth_database_role
    # Settings go through a file only the service user can read, never through argv (visible in ps).
    AUTH_SIGNUPS_PER_IP=${AUTH_SIGNUPS_PER_IP:-100000}
    (umask 077; render auth.env.in AUTH_NATIVE_PORT AUTH_DB_USER AUTH_DB_PASSWORD POSTGRES_PORT AUTH_DB \
        AUTH_REDIS_PORT AUTH_DIR AUTH_SIGNUPS_PER_IP >"$AUTH_DIR/auth.env")
    chmod 600 "$AUTH_DIR/auth.env"
    if is_root; then chown "$SERVICE_USER" "$AUTH_DIR/auth.env"; fi
    install_image_project auth auth/Dockerfile
    # The signing key and the key that seals TOTP secrets (totp.keys) are made once and kept.
    if [ ! -f "$AUTH_DIR/keys/private.pem" ] || [ ! -f "$AUTH_DIR/keys/totp.keys" ]; then
        log auth "generating the missing development keys in $AUTH_DIR/keys"
        as_service_user env PYTHONDONTWRITEBYTECODE=1 \
            "$(venv_bin auth python)" -m auth generate-keys "$AUTH_DIR/keys" --if-missing >&2
    fi
}

auth_describe() { echo "http://127.0.0.1:$AUTH_NATIVE_PORT/auth (openapi at /auth/openapi)"; }
