#!/usr/bin/env bash
# Regenerates restore/catalogue.dump: the default catalogue (seed 42, 999 films) generated into a
# scratch database and dumped in pg_dump's custom format (restorable by pg_restore 15 and newer).
# Run through `make backup`, which starts the stack and provides the settings and the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=catalogue_backup_build
export PGHOST=127.0.0.1 PGPORT=$POSTGRES_PORT PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD
pg_bin=/usr/lib/postgresql/$(sed -n 's|^ *image: *postgres:\([0-9]*\).*|\1|p' docker-compose.yml)/bin

"$pg_bin/dropdb" --if-exists "$scratch"
"$pg_bin/createdb" "$scratch"
trap '"$pg_bin/dropdb" --if-exists "$scratch"' EXIT
python -m catalogue generate --films 999 --seed 42 --dsn "dbname=$scratch"
"$pg_bin/pg_dump" --format=custom --compress=9 --no-owner --no-privileges --schema=content \
    --file=restore/catalogue.dump "$scratch"
echo "wrote restore/catalogue.dump ($(du -h restore/catalogue.dump | cut -f1))"
