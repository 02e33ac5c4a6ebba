#!/usr/bin/env bash
# Regenerates restore/elasticsearch/: the default catalogue (restore/catalogue.dump) restored into a
# scratch database, loaded into scratch indices by the ETL, snapshotted, and the snapshot
# repository copied here. Run through `make es-snapshot`, which starts the stack and provides the
# settings and the venv. The snapshot is written where Elasticsearch may write (the native
# stack's .state/elasticsearch/snapshots, listed in path.repo), then copied.
set -euo pipefail
cd "$(dirname "$0")/.."

PATH=/usr/lib/postgresql/$(sed -n 's|^ *image: *postgres:\([0-9]*\).*|\1|p' docker-compose.yml)/bin:$PATH
python -m cinema_etl.snapshot \
    --dsn "postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@127.0.0.1:$POSTGRES_PORT/postgres" \
    --es "http://127.0.0.1:$ES_PORT" --work-dir "${STATE_DIR:-$PWD/.state}/elasticsearch/snapshots" \
    --backups "$PWD/restore"
echo "wrote restore/elasticsearch ($(du -sh restore/elasticsearch | cut -f1))"
