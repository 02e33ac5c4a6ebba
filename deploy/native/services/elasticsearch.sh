# Elasticsearch from Maven Central (the integ-test-zip distribution, same version as the compose
# image), run by the JDK from Debian as the service user, with its data under .state/elasticsearch.
# That distribution lacks the analysis-common module, so the `stemmer` filter the mappings use is
# supplied by the small plugin in deploy/elasticsearch/stemmer-plugin, built here with javac.
# shellcheck shell=bash

ES_VERSION=$(compose_version docker.elastic.co/elasticsearch/elasticsearch)
ES_HOME=$STATE_DIR/opt/elasticsearch-$ES_VERSION
ES_DIR=$STATE_DIR/elasticsearch
ES_JAVA_HOME=${ES_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}

elasticsearch_install() {
    [ -x "$ES_JAVA_HOME/bin/javac" ] || ensure_apt openjdk-17-jdk-headless
    command -v mvn >/dev/null || ensure_apt maven
    command -v unzip >/dev/null || ensure_apt unzip
    command -v curl >/dev/null || ensure_apt curl
    [ -x "$ES_HOME/bin/elasticsearch" ] && [ -f "$ES_HOME/plugins/cinema-stemmer/cinema-stemmer.jar" ] && return 0

    local downloads=$STATE_DIR/downloads zip
    zip=$downloads/elasticsearch-$ES_VERSION.zip
    if [ ! -f "$zip" ]; then
        log elasticsearch "downloading $ES_VERSION from Maven Central"
        mkdir -p "$downloads"
        mvn -q -B -Dstyle.color=never dependency:copy \
            -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
            -DoutputDirectory="$downloads" >&2
    fi
    rm -rf "$ES_HOME" "$ES_HOME.tmp"
    mkdir -p "$ES_HOME.tmp"
    unzip -q "$zip" -d "$ES_HOME.tmp"
    mv "$ES_HOME.tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
    rmdir "$ES_HOME.tmp"

    log elasticsearch "building the stemmer plugin"
    local src=$ROOT/deploy/elasticsearch/stemmer-plugin build
    build=$(mktemp -d)
    "$ES_JAVA_HOME/bin/javac" --release 17 -nowarn -cp "$ES_HOME/lib/*" -d "$build" \
        "$src"/src/org/cinema/analysis/*.java
    mkdir -p "$ES_HOME/plugins/cinema-stemmer"
    "$ES_JAVA_HOME/bin/jar" cf "$ES_HOME/plugins/cinema-stemmer/cinema-stemmer.jar" -C "$build" .
    sed "s/@ES_VERSION@/$ES_VERSION/" "$src/plugin-descriptor.properties.in" \
        > "$ES_HOME/plugins/cinema-stemmer/plugin-descriptor.properties"
    rm -rf "$build"
}

elasticsearch_healthy() {
    curl -fsS "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

elasticsearch_start() {
    # A node of this state folder that answers but lost its pidfile is adopted, not started twice
    # (a second node would fail on the data folder's lock).
    local orphan
    orphan=$(pgrep -f -- "-Des.path.home=$ES_HOME( |$)" | head -1 || true)
    if [ -n "$orphan" ] && elasticsearch_healthy; then
        log elasticsearch "adopting the running node (pid $orphan)"
        echo "$orphan" > "$ES_DIR/elasticsearch.pid"
        return 0
    fi
    service_dir "$ES_DIR" "$ES_DIR/data" "$ES_DIR/logs" "$ES_DIR/config" "$ES_DIR/tmp" "$ES_DIR/snapshots"
    # The snapshot of restore/ is read by the node, which may not reach the checkout: a copy under
    # $ES_DIR/restore stands for restore/ (the path.repo entry, as the compose mount does).
    rm -rf "$ES_DIR/restore"
    mkdir -p "$ES_DIR/restore"
    cp -r "$ROOT/restore/elasticsearch" "$ES_DIR/restore/elasticsearch"
    chmod -R a+rX "$ES_DIR/restore"
    # The distribution's config (jvm.options, log4j2) with the project's elasticsearch.yml.
    cp -r "$ES_HOME/config/." "$ES_DIR/config/"
    cp "$ROOT/deploy/elasticsearch/elasticsearch.yml" "$ES_DIR/config/elasticsearch.yml"
    is_root && chown -R "$SERVICE_USER" "$ES_DIR/config"
    log elasticsearch "starting $ES_VERSION on 127.0.0.1:$ES_PORT (heap $ES_HEAP)"
    as_service_user env ES_JAVA_HOME="$ES_JAVA_HOME" ES_PATH_CONF="$ES_DIR/config" ES_TMPDIR="$ES_DIR/tmp" \
        ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
        "$ES_HOME/bin/elasticsearch" --daemonize --pidfile "$ES_DIR/elasticsearch.pid" \
        -Enetwork.host=127.0.0.1 -Ehttp.port="$ES_PORT" -Epath.data="$ES_DIR/data" -Epath.logs="$ES_DIR/logs" \
        -Epath.repo="[\"$ES_DIR/restore\",\"$ES_DIR/snapshots\"]" >"$ES_DIR/startup.log" 2>&1 \
        || die elasticsearch "did not start: $(tail -5 "$ES_DIR/startup.log")"
    wait_until elasticsearch 120 elasticsearch_healthy
}

elasticsearch_running() { pid_alive "$ES_DIR/elasticsearch.pid"; }

elasticsearch_stop() { stop_pidfile elasticsearch "$ES_DIR/elasticsearch.pid"; }

elasticsearch_describe() { echo "http://127.0.0.1:$ES_PORT (Elasticsearch $ES_VERSION)"; }
