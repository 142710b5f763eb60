# Sourced by the bench scripts: a throwaway PostgreSQL cluster on loopback
# with durable defaults (Debian's postgresql package). After
# `start_throwaway_postgres PORT`, DB_URL names an empty database `ingang`;
# `stop_throwaway_postgres` stops the cluster and deletes it.
PGDIR=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_throwaway_postgres() {
  local port=$1
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is missing: apt-get install postgresql" >&2; exit 1; }
  PGDIR=$(mktemp -d /var/tmp/ingang-bench-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w \
    -o "-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
  DB_URL="postgres://postgres@127.0.0.1:$port/ingang"
  psql -q "postgres://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE ingang"
}

stop_throwaway_postgres() {
  if [ -n "$PGDIR" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
  fi
}

# SERVE_ARGS for `ingang serve`: with BACKEND=postgres, a throwaway cluster
# on port $1 and its URL; otherwise nothing (the embedded SQLite).
database_for_backend() {
  SERVE_ARGS=()
  if [ "${BACKEND:-sqlite}" = postgres ]; then
    start_throwaway_postgres "$1"
    SERVE_ARGS=(--database-url "$DB_URL")
  fi
}
