# Redis from Debian's packages, with its data under .state/redis.
# shellcheck shell=bash

REDIS_DIR=$STATE_DIR/redis

redis_install() { ensure_apt redis-server redis-tools; }

redis_health() { echo "30 redis 127.0.0.1:$REDIS_PORT"; }

# A Redis program's config, copied from deploy/redis/ into its state folder: the checkout may be
# out of the service user's reach. Also used by redis_auth.sh.
redis_copy_config() {
    service_dir "$1"
    install -m 0644 "$ROOT/deploy/redis/$2" "$1/redis.conf"
}

redis_prepare() { redis_copy_config "$REDIS_DIR" redis.conf; }

redis_describe() { echo "redis://127.0.0.1:$REDIS_PORT"; }
