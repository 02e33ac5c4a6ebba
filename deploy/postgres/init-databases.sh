#!/usr/bin/env bash
# Creates the databases of the catalogue, the auth service and Airflow when missing.
# Run by the postgres image on first start (/docker-entrypoint-initdb.d) and by `make up`
# on every start; it changes nothing that already exists.
set -euo pipefail

for db in "${CATALOGUE_DB:-cinema}" "${AUTH_DB:-auth}" "${AIRFLOW_DB:-airflow}"; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres --quiet --tuples-only \
        --set db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
done
