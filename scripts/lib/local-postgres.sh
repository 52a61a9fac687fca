# Sourced by bench/commands.sh and bench/pg-campaign.sh: a PostgreSQL server of their own, in a
# directory they give, on a free 127.0.0.1 port, stopped (and its data removed with the directory)
# by local_pg_stop. As root the server runs as the postgres user (it refuses to run as root).
#
#   local_pg_start DIR     sets LOCAL_PG_PORT, LOCAL_PG_URL (postgresql://ohfp@127.0.0.1:PORT/ohfp);
#                          the server logs to DIR/pg/server.log
#   local_pg_restart       fast shutdown (clients are disconnected) and start, same port
#   local_pg_stop
#   local_pg_sql SQL       runs SQL as the superuser "ohfp" (psql, unaligned rows)

LOCAL_PG_DIR=
LOCAL_PG_BIN=

local_pg_as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

local_pg_start() {
  LOCAL_PG_DIR=$1/pg
  LOCAL_PG_BIN=$(pg_config --bindir 2>/dev/null || true)
  [ -x "$LOCAL_PG_BIN/initdb" ] || LOCAL_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
  [ -x "$LOCAL_PG_BIN/initdb" ] || { echo "PostgreSQL's server programs are missing (scripts/install-deps.sh)" >&2; return 1; }
  mkdir -p "$LOCAL_PG_DIR"
  [ "$(id -u)" -eq 0 ] && { chown postgres: "$LOCAL_PG_DIR"; chmod 755 "$1"; }
  local_pg_as_server_user "$LOCAL_PG_BIN/initdb" -D "$LOCAL_PG_DIR/data" -A trust -U ohfp -E UTF8 \
    --locale=C --no-sync >"$LOCAL_PG_DIR/../initdb.log" 2>&1 || { echo "initdb failed" >&2; return 1; }
  local attempt
  for attempt in 1 2 3; do
    LOCAL_PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local_pg_launch && break
    [ "$attempt" = 3 ] && { echo "PostgreSQL did not start (see $LOCAL_PG_DIR/server.log)" >&2; return 1; }
  done
  LOCAL_PG_URL=postgresql://ohfp@127.0.0.1:$LOCAL_PG_PORT/ohfp
  local_pg_sql "CREATE DATABASE ohfp" postgres >/dev/null
}

local_pg_launch() {
  local_pg_as_server_user "$LOCAL_PG_BIN/pg_ctl" -D "$LOCAL_PG_DIR/data" -l "$LOCAL_PG_DIR/server.log" \
    -o "-p $LOCAL_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$LOCAL_PG_DIR -c max_connections=300 ${LOCAL_PG_OPTIONS:-}" \
    -w -t 60 start >/dev/null
}

local_pg_restart() {
  local_pg_as_server_user "$LOCAL_PG_BIN/pg_ctl" -D "$LOCAL_PG_DIR/data" -m fast -w stop >/dev/null &&
    local_pg_launch
}

local_pg_stop() {
  [ -n "$LOCAL_PG_DIR" ] && [ -d "$LOCAL_PG_DIR/data" ] &&
    local_pg_as_server_user "$LOCAL_PG_BIN/pg_ctl" -D "$LOCAL_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  LOCAL_PG_DIR=
  return 0
}

local_pg_sql() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$LOCAL_PG_PORT" -U ohfp -d "${2:-ohfp}" -c "$1"
}
