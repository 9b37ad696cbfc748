#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on loopback for the test suite and benchmarks.
# Prints the URL to use as COMPANY_REVIEWER_TEST_PG_URL. Needs Debian's `postgresql` package.
set -euo pipefail
action=${1:-start}
port=${PG_TEST_PORT:-54329}
root=${PG_TEST_DIR:-/tmp/company-reviewer-pg}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing PostgreSQL from Debian's packages..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$bindir" ]; then
  echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql' (Debian) first." >&2
  exit 1
fi
as_pg() {  # the server refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    if ! [ -f "$root/data/PG_VERSION" ]; then
      mkdir -p "$root"
      [ "$(id -u)" = 0 ] && chown postgres "$root"
      as_pg "$bindir/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 >"$root/initdb.log" 2>&1 \
        || as_pg "$bindir/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 >"$root/initdb.log" 2>&1
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then
      as_pg "$bindir/pg_ctl" -D "$root/data" -l "$root/server.log" -w \
        -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    fi
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='company_reviewer_test'" | grep -q 1 \
      || as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres company_reviewer_test
    echo "postgresql://postgres@127.0.0.1:$port/company_reviewer_test"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$root/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
