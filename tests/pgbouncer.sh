#!/usr/bin/env bash
# A throwaway PgBouncer in front of a test PostgreSQL, for tests of pooling
# proxies; run by the pgbouncer ctest fixture.
#
#   tests/pgbouncer.sh start DIR [PGDIR]  PgBouncer on a free port; PGDIR is
#                       a folder of tests/pg_server.sh, or of
#                       tests/pg_cluster.sh (its primary is used). Without
#                       PGDIR, a PostgreSQL of its own is started in DIR/pg
#                       by tests/pg_server.sh (and stopped with PgBouncer).
#   tests/pgbouncer.sh stop DIR     stop PgBouncer (and its own PostgreSQL)
#   tests/pgbouncer.sh status DIR   SELECT 1 through PgBouncer and SHOW POOLS
#                                   on its admin console
#
# PgBouncer listens on 127.0.0.1 and a unix socket folder of its own, with
# pool_mode = transaction and default_pool_size = 2: many clients share at
# most 2 server connections. PgBouncer 1.18 does not follow prepared
# statements from one server connection to another: aiodb's named ones
# clash between clients unless the URL says pgbouncer=1 (docs/testing.md,
# tests/test_pgbouncer.c). Clients
# log in as aiodb with the password (scram-sha-256, over TCP and the
# socket); auth_file holds the user's SCRAM secret as the server stores it,
# and PgBouncer reuses it to log in to the server over TCP with SCRAM.
# After `start` DIR holds:
#   url         postgresql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb
#   socket_url  postgresql://aiodb:aiodb-test-pw@/aiodb?host=SOCKDIR&port=PORT
#   admin_url   postgresql://aiodb:aiodb-test-pw@127.0.0.1:PORT/pgbouncer, the
#               admin console (aiodb is in admin_users and stats_users):
#               SHOW POOLS, SHOW SERVERS, ... It takes the simple query
#               protocol only, e.g. psql "$(cat admin_url)" -c 'SHOW POOLS'
#   admin       shell-sourceable PORT, SOCKDIR, ADMIN_USER, ADMIN_DB
#               (pgbouncer), ADMIN_URL, SERVER_PORT (PostgreSQL's)
#   server      the PostgreSQL folder behind it
#   pgbouncer.ini, pgbouncer.log
#
# PgBouncer refuses to run as root: as root it runs as the `postgres`
# system user. Missing pgbouncer, or a start that fails: exit 77 (ctest:
# skipped), or 1 when CI=true.
set -euo pipefail

SERVER_TAG=pgbouncer
SERVER_SYSTEM_USER=postgres
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=tests/server_common.sh
. "$HERE/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$HERE/cluster_common.sh"

usage() {
  echo "usage: $0 start DIR [PGDIR] | stop DIR | status DIR" >&2
  exit 2
}

load_state() {
  SERVER_USER="" TMPDIRS="" WORK="" PIDFILE="" LOGFILE="" OWN_PG=""
  read_state
}

save_state() {
  state_vars SERVER_USER TMPDIRS WORK PIDFILE LOGFILE OWN_PG >"$DIR/state"
}

# PgBouncer's pid from PIDFILE, if it is alive and is pgbouncer.
live_bouncer() {
  local pid
  [ -n "$PIDFILE" ] && [ -f "$PIDFILE" ] || return 1
  pid=$(head -n1 "$PIDFILE" 2>/dev/null) || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pgbouncer ] || return 1
  echo "$pid"
}

stop_bouncer() {
  local pid
  pid=$(live_bouncer) || return 0
  # SIGTERM: immediate shutdown (SIGINT would wait for the clients).
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 100 || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 50 || { echo "pgbouncer: pgbouncer $pid still running" >&2; return 1; }
}

cmd_stop() {
  load_state
  stop_bouncer || true
  if [ -n "$OWN_PG" ]; then
    bash "$HERE/pg_server.sh" stop "$OWN_PG" >/dev/null || true
  fi
  keep_log "$LOGFILE" "$DIR/pgbouncer.log"
  rm_tmpdirs "$TMPDIRS" aiodb-pgb
  rm -rf -- "$DIR/sock"
  rm -f -- "$DIR/url" "$DIR/socket_url" "$DIR/admin_url" "$DIR/admin" "$DIR/server" \
    "$DIR/userlist.txt" "$DIR/pgbouncer.pid" "$DIR/state"
  return 0
}

cmd_start() {
  local pgdir="$1" t0 PGB PSQL BINDIR PORT SOCKDIR="" SERVER_PORT SERVER_SOCK secret attempt
  local started="" i
  t0=$(date +%s.%N)
  cmd_stop
  load_state
  PGB=$(command -v pgbouncer || true)
  [ -n "$PGB" ] || [ ! -x /usr/sbin/pgbouncer ] || PGB=/usr/sbin/pgbouncer
  [ -n "$PGB" ] || unavailable "pgbouncer not found (install the 'pgbouncer' package)"
  BINDIR=$(pg_find_bindir)
  PSQL="$BINDIR/psql"
  [ -x "$PSQL" ] || PSQL=$(command -v psql || true)
  [ -n "$PSQL" ] || unavailable "psql not found"
  server_user || unavailable "running as root but there is no 'postgres' user to run pgbouncer as"

  # The PostgreSQL behind it.
  OWN_PG=""
  if [ -z "$pgdir" ]; then
    OWN_PG="$DIR/pg"
    save_state
    # 77 or 1 from pg_server.sh: the same for us.
    bash "$HERE/pg_server.sh" start "$OWN_PG" >"$DIR/pg_server.out" 2>&1 || {
      local rc=$?
      cat "$DIR/pg_server.out" >&2
      cmd_stop
      exit "$rc"
    }
    pgdir="$OWN_PG"
  else
    pgdir=$(cd -- "$pgdir" && pwd -P)
    [ ! -f "$pgdir/primary/env" ] || pgdir="$pgdir/primary"
  fi
  [ -f "$pgdir/env" ] || { cmd_stop; unavailable "no PostgreSQL running for $pgdir"; }
  SERVER_PORT=$(sed -n 's/^PORT=//p' "$pgdir/env")
  SERVER_SOCK=$(
    # shellcheck disable=SC1091
    . "$pgdir/env" && echo "$SOCKDIR"
  )

  TMPDIRS=""
  cluster_workdir aiodb-pgb
  SOCKDIR=$(socket_dir "$WORK/sock" aiodb-pgb)
  case "$SOCKDIR" in /tmp/aiodb-pgb.*) TMPDIRS="$TMPDIRS $SOCKDIR" ;; esac
  PIDFILE="$WORK/pgbouncer.pid"
  LOGFILE="$WORK/pgbouncer.log"
  save_state

  # The user's SCRAM secret, as the server keeps it (the socket is trusted).
  secret=$(PGPASSFILE="$DIR/.no-pgpass" "$PSQL" -X -q -w -At -h "$SERVER_SOCK" -p "$SERVER_PORT" \
    -U "$TEST_USER_NAME" -d postgres \
    -c "SELECT rolpassword FROM pg_authid WHERE rolname = '$TEST_USER_NAME'" 2>&1) \
    || { echo "$secret" >&2; cmd_stop; unavailable "could not read the user's secret from the server"; }
  case "$secret" in
    SCRAM-SHA-256\$*) ;;
    *) cmd_stop; unavailable "the server's secret for $TEST_USER_NAME is not SCRAM" ;;
  esac
  printf '"%s" "%s"\n' "$TEST_USER_NAME" "$secret" >"$WORK/userlist.txt"
  chmod 0600 "$WORK/userlist.txt"
  : >"$LOGFILE"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$WORK/userlist.txt" "$LOGFILE"

  for attempt in 1 2 3 4 5; do
    pick_port PORT || { echo "pgbouncer: no free port found" >&2; continue; }
    cat >"$WORK/pgbouncer.ini" <<EOF
; aiodb tests: PgBouncer in front of 127.0.0.1:$SERVER_PORT.
[databases]
$TEST_DB = host=127.0.0.1 port=$SERVER_PORT dbname=$TEST_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $SOCKDIR
unix_socket_mode = 0777
auth_type = scram-sha-256
auth_file = $WORK/userlist.txt
admin_users = $TEST_USER_NAME
stats_users = $TEST_USER_NAME
pool_mode = transaction
default_pool_size = 2
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = 2
server_tls_sslmode = disable
client_tls_sslmode = disable
logfile = $LOGFILE
pidfile = $PIDFILE
EOF
    echo "pgbouncer: starting on 127.0.0.1:$PORT, socket in $SOCKDIR, in front of" \
      "127.0.0.1:$SERVER_PORT (attempt $attempt)"
    if ! as_server "$PGB" -d "$WORK/pgbouncer.ini" >>"$LOGFILE.out" 2>&1; then
      tail -n 10 "$LOGFILE.out" "$LOGFILE" >&2 || true
      continue
    fi
    for i in $(seq 1 100); do
      if PGPASSFILE="$DIR/.no-pgpass" PGPASSWORD="$TEST_PASSWORD" PGCONNECT_TIMEOUT=5 \
        "$PSQL" -X -q -w -At -h 127.0.0.1 -p "$PORT" -U "$TEST_USER_NAME" -d "$TEST_DB" \
        -c 'SELECT 1' >/dev/null 2>&1; then
        started=1
        break
      fi
      live_bouncer >/dev/null || break
      sleep 0.1
      : "$i"
    done
    [ -z "$started" ] || break
    echo "pgbouncer: start on port $PORT failed; log tail:" >&2
    tail -n 15 "$LOGFILE" >&2 || true
    stop_bouncer || true
  done
  rm -f -- "$LOGFILE.out"
  if [ -z "$started" ]; then
    cmd_stop
    unavailable "pgbouncer did not start (log: $DIR/pgbouncer.log)"
  fi
  link_log "$LOGFILE" "$DIR/pgbouncer.log"
  [ "$WORK" = "$DIR" ] || ln -sfn -- "$WORK/pgbouncer.ini" "$DIR/pgbouncer.ini"

  local url="postgresql://$TEST_USER_NAME:$TEST_PASSWORD@127.0.0.1:$PORT/$TEST_DB"
  local admin_url="postgresql://$TEST_USER_NAME:$TEST_PASSWORD@127.0.0.1:$PORT/pgbouncer"
  printf '%s\n' "$url" >"$DIR/url"
  printf 'postgresql://%s:%s@/%s?host=%s&port=%s\n' "$TEST_USER_NAME" "$TEST_PASSWORD" \
    "$TEST_DB" "$SOCKDIR" "$PORT" >"$DIR/socket_url"
  printf '%s\n' "$admin_url" >"$DIR/admin_url"
  printf '%s\n' "$pgdir" >"$DIR/server"
  {
    echo "PORT=$PORT"
    echo "SOCKDIR=$(shq "$SOCKDIR")"
    echo "ADMIN_USER=$TEST_USER_NAME"
    echo "ADMIN_DB=pgbouncer"
    echo "ADMIN_URL=$(shq "$admin_url")"
    echo "SERVER_PORT=$SERVER_PORT"
  } >"$DIR/admin"
  rm -f -- "$DIR/pg_server.out"
  echo "pgbouncer: ready: 127.0.0.1:$PORT (transaction pooling, 2 server connections)"
  echo "pgbouncer: started in $(elapsed "$t0") s"
}

cmd_status() {
  local PSQL out
  [ -f "$DIR/url" ] || unavailable "no pgbouncer running for $DIR (pgbouncer_start skipped or failed)"
  PSQL="$(pg_find_bindir)/psql"
  [ -x "$PSQL" ] || PSQL=$(command -v psql)
  export PGPASSFILE="$DIR/.no-pgpass" PGCONNECT_TIMEOUT=10
  unset PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE PGSERVICE
  out=$("$PSQL" -X -w -At -v ON_ERROR_STOP=1 "$(cat "$DIR/url")" -c 'SELECT 1')
  [ "$out" = 1 ] || { echo "through pgbouncer: unexpected result '$out'" >&2; exit 1; }
  echo "through pgbouncer: SELECT 1 -> $out"
  "$PSQL" -X -w -v ON_ERROR_STOP=1 "$(cat "$DIR/admin_url")" -c 'SHOW POOLS'
}

[ $# -ge 2 ] || usage
set_dir "$2"
case "$1" in
  start) [ $# -le 3 ] || usage; cmd_start "${3:-}" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop ;;
  status) [ $# -eq 2 ] || usage; cmd_status ;;
  *) usage ;;
esac
