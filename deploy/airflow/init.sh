#!/usr/bin/env bash
# airflow-init (compose): makes the shared secrets on first start, migrates the metadata database,
# then exits; the other Airflow services start after it succeeded. Runs as root to own the volumes.
set -euo pipefail
secrets=/opt/airflow/secrets
mkdir -p "$secrets" /opt/airflow/logs
random() { python -c 'import secrets; print(secrets.token_urlsafe(32))'; }
umask 077
[ -s "$secrets/jwt_secret" ] || random > "$secrets/jwt_secret"
[ -s "$secrets/api_secret_key" ] || random > "$secrets/api_secret_key"
if [ ! -s "$secrets/passwords.json" ]; then
    password=${AIRFLOW_ADMIN_PASSWORD:-$(random)}
    printf '{"admin": "%s"}\n' "$password" > "$secrets/passwords.json"
    echo "Airflow UI login: admin / $password (kept in the airflow-secrets volume, passwords.json)"
fi
chown -R "${AIRFLOW_UID:-50000}:0" "$secrets" /opt/airflow/logs
# Through the image's entrypoint, which waits for the database and sets up the environment.
/entrypoint airflow db migrate
echo "airflow-init done"
