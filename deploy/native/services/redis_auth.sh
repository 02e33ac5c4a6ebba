# Auth's own Redis (deploy/redis/redis-auth.conf: noeviction), the same Debian redis-server as the
# content cache's (redis.sh, loaded before this file), with its data under .state/redis_auth.
# shellcheck shell=bash

REDIS_AUTH_DIR=$STATE_DIR/redis_auth
AUTH_REDIS_PORT=${AUTH_REDIS_PORT:-6380}

redis_auth_install() { redis_install; }

redis_auth_health() { echo "30 redis 127.0.0.1:$AUTH_REDIS_PORT"; }

redis_auth_prepare() { redis_copy_config "$REDIS_AUTH_DIR" redis-auth.conf; }

redis_auth_describe() { echo "redis://127.0.0.1:$AUTH_REDIS_PORT (auth's, noeviction)"; }
