#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL for the tests, then prints the URL to use:
#   export TIDESYNC_PG_URL=$(bash scripts/start-postgres.sh)
# Listens on 127.0.0.1 only. Idempotent.
set -euo pipefail
PASSWORD=${TIDESYNC_PG_PASSWORD:-tidesync}
DB=${TIDESYNC_PG_DB:-tidesync_test}
log() { echo "$@" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$VERSION main"; then
  pg_createcluster "$VERSION" main >&2
fi
if ! pg_lsclusters -h | grep "^$VERSION main" | grep -q online; then
  pg_ctlcluster "$VERSION" main start >&2
fi
for _ in $(seq 1 30); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p 5432"; then break; fi
  sleep 1
done
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD '$PASSWORD';\"" >&2
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$DB'\"" | grep -q 1; then
  su postgres -c "createdb $DB" >&2
fi
echo "postgres://postgres:$PASSWORD@127.0.0.1:5432/$DB"
