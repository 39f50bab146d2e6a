#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#   tools/pg-throwaway.sh start DIR PORT   -> prints the database URL
#   tools/pg-throwaway.sh stop DIR
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
# The server listens on 127.0.0.1:PORT and on a Unix socket inside DIR only.
set -euo pipefail
cmd=$1 dir=$2 port=${3:-54329}
bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres attestation_test
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/attestation_test"
  ;;
stop)
  if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  ;;
pause)   # stop the server but keep its data (fault tests)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
resume)  # start it again with the options it was first started with
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  ;;
*) echo "usage: $0 start|stop|pause|resume DIR [PORT]" >&2; exit 2 ;;
esac
