# Redis from Debian's packages, with its data under .state/redis.
# shellcheck shell=bash

REDIS_DIR=$STATE_DIR/redis

redis_install() { ensure_apt redis-server redis-tools; }

redis_health() { echo "30 redis 127.0.0.1:$REDIS_PORT"; }

# Read from the state folder: the checkout may be out of the service user's reach.
redis_prepare() {
    service_dir "$REDIS_DIR"
    install -m 0644 "$ROOT/deploy/redis/redis.conf" "$REDIS_DIR/redis.conf"
}

redis_describe() { echo "redis://127.0.0.1:$REDIS_PORT"; }
