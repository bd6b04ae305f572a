#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: REDFLAG_TEST_POSTGRES_URL points at it, and
# the cluster is stopped and removed when the command ends, whatever its outcome.
# A REDFLAG_TEST_POSTGRES_URL given from outside is used as it is.
set -euo pipefail
if [ -n "${REDFLAG_TEST_POSTGRES_URL:-}" ]; then exec "$@"; fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/redflag-pg.XXXXXX)
as_postgres() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}
[ "$(id -u)" = "0" ] && chown postgres "$dir"
cleanup() {
  as_postgres "$bin/pg_ctl -D $dir/data -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
as_postgres "$bin/initdb -D $dir/data -A trust -U postgres" >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# A random port, another if it is taken (another cluster of a run beside this one): tried a few times.
started=0
for _ in 1 2 3 4 5; do
  port=${REDFLAG_TEST_POSTGRES_PORT:-$(( 55000 + RANDOM % 5000 ))}
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
  if as_postgres "$bin/pg_ctl -D $dir/data -l $dir/log -w start -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300'" >/dev/null; then
    started=1
    break
  fi
  [ -n "${REDFLAG_TEST_POSTGRES_PORT:-}" ] && break
done
[ "$started" = 1 ] || { cat "$dir/log" >&2; exit 1; }
export REDFLAG_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
# For tests that restart the cluster themselves (bench/fleet.ts: pg_ctl -D "$REDFLAG_TEST_POSTGRES_DATA" -m immediate
# restart, as the postgres user when run as root; the server log is "$REDFLAG_TEST_POSTGRES_DATA/../log").
export REDFLAG_TEST_POSTGRES_DATA="$dir/data"
export REDFLAG_TEST_POSTGRES_BIN="$bin"
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running for the tests on port $port"
set +e
"$@"
status=$?
exit $status
