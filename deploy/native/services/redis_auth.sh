# Auth's own Redis (deploy/redis/redis-auth.conf: noeviction), the same Debian redis-server as the
# content cache's, with its data under .state/redis_auth.
# shellcheck shell=bash

REDIS_AUTH_DIR=$STATE_DIR/redis_auth
AUTH_REDIS_PORT=${AUTH_REDIS_PORT:-6380}

redis_auth_install() { ensure_apt redis-server redis-tools; }

redis_auth_health() { echo "30 redis 127.0.0.1:$AUTH_REDIS_PORT"; }

# Read from the state folder: the checkout may be out of the service user's reach.
redis_auth_prepare() {
    service_dir "$REDIS_AUTH_DIR"
    install -m 0644 "$ROOT/deploy/redis/redis-auth.conf" "$REDIS_AUTH_DIR/redis.conf"
}

redis_auth_describe() { echo "redis://127.0.0.1:$AUTH_REDIS_PORT (auth's, noeviction)"; }
