#!/usr/bin/env bash
# Run the whole suite on SQLite and on a throwaway PostgreSQL server started here.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/attestation-pg.XXXXXX)
chmod 755 "$pgdir"
port=${PG_TEST_PORT:-$(( 20000 + RANDOM % 20000 ))}
trap 'tools/pg-throwaway.sh stop "$pgdir"' EXIT
DATABASE_URL_PG=$(tools/pg-throwaway.sh start "$pgdir" "$port")
export DATABASE_URL_PG
export REQUIRE_POSTGRES=1
# The fault tests stop and start this server: they need its directory and port.
export PG_TEST_DIR=$pgdir PG_TEST_PORT=$port
echo "PostgreSQL test server: $DATABASE_URL_PG"
# Most tests wait (a board's pace, a browser, a server): two at a time use this machine's
# two cores.  The tests that stop the shared PostgreSQL server run alone afterwards.
status=0
.venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" -m "not serial" "$@" || status=$?
.venv/bin/python -m pytest -m serial "$@" || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
exit "$status"
