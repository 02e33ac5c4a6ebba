# Redis from Debian's packages, with its data under .state/redis.
# shellcheck shell=bash

REDIS_DIR=$STATE_DIR/redis

redis_install() { ensure_apt redis-server redis-tools; }

redis_healthy() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_start() {
    service_dir "$REDIS_DIR"
    # Read from the state folder: the checkout may be out of the service user's reach.
    install -m 0644 "$ROOT/deploy/redis/redis.conf" "$REDIS_DIR/redis.conf"
    log redis "starting on 127.0.0.1:$REDIS_PORT"
    as_service_user redis-server "$REDIS_DIR/redis.conf" --bind 127.0.0.1 --port "$REDIS_PORT" \
        --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
    wait_until redis 30 redis_healthy
}

redis_running() { pid_alive "$REDIS_DIR/redis.pid"; }

redis_stop() { stop_pidfile redis "$REDIS_DIR/redis.pid"; }

redis_describe() { echo "redis://127.0.0.1:$REDIS_PORT"; }
