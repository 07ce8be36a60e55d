# Starts a throwaway PostgreSQL 15 cluster on a temp dir and unix socket; stops and removes
# it when the sourcing script exits. Sets PG_URL (database "postgres") and PG_DIR.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

start_pg() {
  PG_DIR=$(mktemp -d /tmp/jinguo-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  PG_USER=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un )
  trap stop_pg EXIT
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
    -o "-k $PG_DIR -c listen_addresses='' $PG_OPTS" >/dev/null
  PG_URL="postgres://$PG_USER@localhost/postgres?host=$PG_DIR"
}

# PostgreSQL refuses to run as root: run the cluster as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$PG_DIR"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_pg() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
