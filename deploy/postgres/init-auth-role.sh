#!/usr/bin/env bash
# The auth service's own Postgres role: it logs in, owns the auth database and what is in it, and
# nothing else (no superuser, no CREATEDB/CREATEROLE, no connection to the catalogue or Airflow).
# Run by the postgres image on first start (/docker-entrypoint-initdb.d, after init-databases.sh)
# and by `make up` before auth starts. Idempotent: it creates the role when missing, sets its
# password, and hands over objects an earlier superuser-run service created in the auth database.
set -euo pipefail

: "${AUTH_DB_USER:?set AUTH_DB_USER}" "${AUTH_DB_PASSWORD:?set AUTH_DB_PASSWORD}"
auth_db=${AUTH_DB:-auth}
run() { psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --quiet --tuples-only "$@"; }

run --dbname postgres --set role="$AUTH_DB_USER" --set password="$AUTH_DB_PASSWORD" --set db="$auth_db" \
    --set others="${CATALOGUE_DB:-cinema},${AIRFLOW_DB:-airflow}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"role";
-- Every role may connect to every database unless PUBLIC loses that right; the services that use
-- the other databases connect as their owner.
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', datname)
FROM pg_database WHERE datname = ANY (string_to_array(:'others', ',')) \gexec
SQL

run --dbname "$auth_db" --set role="$AUTH_DB_USER" <<'SQL'
ALTER SCHEMA public OWNER TO :"role";
SELECT format('ALTER TABLE public.%I OWNER TO %I', c.relname, :'role')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') AND pg_get_userbyid(c.relowner) <> :'role' \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO %I', c.relname, :'role')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> :'role'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) \gexec
SELECT format('ALTER FUNCTION public.%I(%s) OWNER TO %I', p.proname, pg_get_function_identity_arguments(p.oid), :'role')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> :'role' \gexec
SQL
