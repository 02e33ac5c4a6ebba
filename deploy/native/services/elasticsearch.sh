# Elasticsearch from Maven Central (the integ-test-zip distribution, same version as the compose
# image), run in the foreground by the JDK from Debian as the service user (heap ES_HEAP), with its
# data under .state/elasticsearch.
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

elasticsearch_health() { echo "120 http http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s"; }

elasticsearch_prepare() {
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
    return 0
}

elasticsearch_describe() { echo "http://127.0.0.1:$ES_PORT (Elasticsearch $ES_VERSION)"; }
