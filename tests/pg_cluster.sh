#!/usr/bin/env bash
# A throwaway PostgreSQL primary with a streaming standby, for tests of
# replicas and failover; run by the pg_cluster ctest fixture.
#
#   tests/pg_cluster.sh start DIR    fresh primary, and a standby made from it
#                                    by pg_basebackup -R; returns once the
#                                    standby streams (pg_stat_replication)
#   tests/pg_cluster.sh stop DIR     stop both, remove their data (ok if not
#                                    running)
#   tests/pg_cluster.sh status DIR   each server's role and the replication;
#                                    fails unless both are up and streaming
#                                    (or, after promote, the standby is a
#                                    primary)
#   tests/pg_cluster.sh promote DIR [MODE]  failover: the primary stops
#                                    (pg_ctl stop -m MODE: fast, the
#                                    default, or immediate, as in a crash),
#                                    the standby is promoted; returns once
#                                    it accepts writes
#
# DIR is a folder in the build tree (e.g. build/tests/pg-cluster). After
# `start` it holds:
#   primary_url   postgresql://aiodb:aiodb-test-pw@127.0.0.1:P1/aiodb
#   standby_url   postgresql://aiodb:aiodb-test-pw@127.0.0.1:P2/aiodb
#   multi_url     both, in libpq's multi-host form, primary first:
#                 postgresql://aiodb:aiodb-test-pw@/aiodb?host=127.0.0.1,127.0.0.1&port=P1,P2
#                 (add &target_session_attrs=read-write to reach whichever
#                 accepts writes). The form with the hosts in the authority
#                 (127.0.0.1:P1,127.0.0.1:P2) works as well.
#   primary/, standby/  each server's folder as tests/pg_server.sh writes
#                 it: tcp_url, socket_url, env (PORT, SOCKDIR, PGDATA),
#                 server.log
#   promoted      after `promote`: the primary is down, standby_url is the
#                 server that takes writes
# Same user, password and database as tests/pg_server.sh (socket trusted,
# TCP with the password, scram-sha-256), on 127.0.0.1 and unix sockets only,
# each server on a free port of its own; no TLS. The standby replicates
# through the physical slot aiodb_standby, connected over the primary's
# socket.
#
# As root the servers run as the `postgres` system user. A cluster that
# cannot be started exits 77 (ctest: skipped), or 1 when CI=true.
set -euo pipefail

SERVER_TAG=pg_cluster
SERVER_SYSTEM_USER=postgres
HERE=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source=tests/server_common.sh
. "$HERE/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$HERE/cluster_common.sh"

usage() {
  echo "usage: $0 start|stop|status DIR | promote DIR [fast|immediate]" >&2
  exit 2
}

load_state() {
  BINDIR="" SERVER_USER="" TMPDIRS="" WORK=""
  P_DATA="" S_DATA="" P_SOCK="" S_SOCK="" P_LOG="" S_LOG="" P_PORT="" S_PORT=""
  read_state
  [ -n "$BINDIR" ] || BINDIR=$(pg_find_bindir)
  PSQL="$BINDIR/psql"
  [ -x "$PSQL" ] || PSQL=$(command -v psql || true)
}

save_state() {
  state_vars BINDIR SERVER_USER TMPDIRS WORK P_DATA S_DATA P_SOCK S_SOCK P_LOG S_LOG P_PORT \
    S_PORT >"$DIR/state"
}

cmd_stop() {
  load_state
  local d
  # The standby first: it would only retry its primary meanwhile.
  for d in "$S_DATA" "$P_DATA"; do
    [ -z "$d" ] || pg_stop_data "$d" fast || true
  done
  # Keep the logs beside the other files when they were written elsewhere.
  keep_log "$P_LOG" "$DIR/primary/server.log"
  keep_log "$S_LOG" "$DIR/standby/server.log"
  rm -rf -- "$DIR/primary/data" "$DIR/primary/sock" "$DIR/standby/data" "$DIR/standby/sock"
  rm_tmpdirs "$TMPDIRS" aiodb-pgc
  rm -f -- "$DIR/primary_url" "$DIR/standby_url" "$DIR/multi_url" "$DIR/promoted" \
    "$DIR/state" "$DIR"/primary/{tcp_url,socket_url,env} "$DIR"/standby/{tcp_url,socket_url,env}
  return 0
}

# Writes the port (and socket folder) of the server of data folder $1.
node_conf() {
  printf "port = %s\nunix_socket_directories = '%s'\n" "$2" "$3" >"$1/aiodb_node.conf"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$1/aiodb_node.conf"
}

# Starts the server of data folder $1 (log $2, socket folder $3) on a free
# port, trying up to 5 ports; sets NODE_PORT.
start_node() {
  local data="$1" log="$2" sock="$3" attempt pid
  for attempt in 1 2 3 4 5; do
    pick_port NODE_PORT || { echo "pg_cluster: no free port found" >&2; continue; }
    node_conf "$data" "$NODE_PORT" "$sock"
    if as_server "$BINDIR/pg_ctl" start -D "$data" -l "$log" -w -t 60 >/dev/null 2>&1; then
      return 0
    fi
    echo "pg_cluster: start of $data on port $NODE_PORT failed (attempt $attempt); log tail:" >&2
    tail -n 15 "$log" >&2 || true
    if pid=$(pg_live_postmaster "$data"); then
      pg_stop_data "$data" immediate || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  return 1
}

# Fails the start: the log tails, everything stopped, unavailable.
start_failed() {
  echo "pg_cluster: $1; primary log tail:" >&2
  tail -n 20 "$P_LOG" >&2 2>/dev/null || true
  if [ -f "$S_LOG" ]; then
    echo "pg_cluster: standby log tail:" >&2
    tail -n 20 "$S_LOG" >&2 || true
  fi
  cmd_stop
  unavailable "$1"
}

cmd_start() {
  local t0 NODE_PORT i n
  t0=$(date +%s.%N)
  cmd_stop
  load_state
  if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/postgres" ] || [ ! -x "$BINDIR/initdb" ] \
    || [ ! -x "$BINDIR/pg_ctl" ] || [ ! -x "$BINDIR/pg_basebackup" ]; then
    unavailable "PostgreSQL server programs not found (initdb, pg_ctl, pg_basebackup in" \
      "/usr/lib/postgresql/*/bin; install the 'postgresql' package, or set AIODB_PG_BINDIR)"
  fi
  [ -n "$PSQL" ] || unavailable "psql not found"
  server_user || unavailable "running as root but there is no 'postgres' user to run the servers as"
  TMPDIRS=""
  cluster_workdir aiodb-pgc
  mkdir -p -- "$DIR/primary" "$DIR/standby"
  server_mkdir "$WORK/primary" "$WORK/standby"
  P_DATA="$WORK/primary/data" S_DATA="$WORK/standby/data"
  P_LOG="$WORK/primary/server.log" S_LOG="$WORK/standby/server.log"
  P_SOCK=$(socket_dir "$WORK/primary/sock" aiodb-pgc)
  S_SOCK=$(socket_dir "$WORK/standby/sock" aiodb-pgc)
  # socket_dir ran in a subshell: its /tmp folders are added here.
  case "$P_SOCK" in /tmp/aiodb-pgc.*) TMPDIRS="$TMPDIRS $P_SOCK" ;; esac
  case "$S_SOCK" in /tmp/aiodb-pgc.*) TMPDIRS="$TMPDIRS $S_SOCK" ;; esac
  case "$P_DATA$S_DATA$P_SOCK$S_SOCK" in
    *\'* | *\\*) unavailable "paths with quotes or backslashes are not supported: $WORK" ;;
  esac
  save_state

  if ! pg_initdb "$P_DATA" "$WORK/primary/pwfile" "$P_LOG.initdb"; then
    cmd_stop
    unavailable "initdb failed"
  fi
  cat >"$P_DATA/pg_hba.conf" <<'EOF'
# aiodb tests: the socket is trusted, TCP needs the password; the same for
# replication connections.
local all         all                trust
host  all         all 127.0.0.1/32   scram-sha-256
local replication all                trust
host  replication all 127.0.0.1/32   scram-sha-256
EOF
  cat >>"$P_DATA/postgresql.conf" <<'EOF'

# ---- aiodb test cluster (copied to the standby by pg_basebackup) ----
listen_addresses = '127.0.0.1'
unix_socket_permissions = 0777
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
wal_keep_size = '64MB'
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = '1s'
include 'aiodb_node.conf'
EOF
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$P_DATA/pg_hba.conf" "$P_DATA/postgresql.conf"

  echo "pg_cluster: starting the primary, socket in $P_SOCK"
  start_node "$P_DATA" "$P_LOG" "$P_SOCK" || start_failed "the primary did not start"
  P_PORT=$NODE_PORT
  save_state
  pg_sql "$P_SOCK" "$P_PORT" postgres -c "CREATE DATABASE $TEST_DB OWNER $TEST_USER_NAME" \
    >/dev/null || start_failed "the primary did not accept connections"
  echo "pg_cluster: primary on 127.0.0.1:$P_PORT"

  # The standby: a copy of the primary, streaming from its slot.
  if ! as_server "$BINDIR/pg_basebackup" -h "$P_SOCK" -p "$P_PORT" -U "$TEST_USER_NAME" \
    -D "$S_DATA" -R -X stream -C -S aiodb_standby --checkpoint=fast --no-sync \
    >"$S_LOG.basebackup" 2>&1; then
    cat "$S_LOG.basebackup" >&2
    start_failed "pg_basebackup failed"
  fi
  rm -f -- "$S_LOG.basebackup"
  echo "pg_cluster: starting the standby, socket in $S_SOCK"
  start_node "$S_DATA" "$S_LOG" "$S_SOCK" || start_failed "the standby did not start"
  S_PORT=$NODE_PORT
  save_state

  n=0
  for i in $(seq 1 300); do
    n=$(pg_sql "$P_SOCK" "$P_PORT" postgres \
      -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)
    [ "$n" != 1 ] || break
    sleep 0.1
    : "$i"
  done
  [ "$n" = 1 ] || start_failed "the standby does not stream from the primary"
  [ "$(pg_sql "$S_SOCK" "$S_PORT" "$TEST_DB" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] \
    || start_failed "the standby does not answer as a standby"

  pg_node_files "$DIR/primary" "$P_PORT" "$P_SOCK" "$P_DATA"
  pg_node_files "$DIR/standby" "$S_PORT" "$S_SOCK" "$S_DATA"
  link_log "$P_LOG" "$DIR/primary/server.log"
  link_log "$S_LOG" "$DIR/standby/server.log"
  cp -- "$DIR/primary/tcp_url" "$DIR/primary_url"
  cp -- "$DIR/standby/tcp_url" "$DIR/standby_url"
  printf 'postgresql://%s:%s@/%s?host=127.0.0.1,127.0.0.1&port=%s,%s\n' "$TEST_USER_NAME" \
    "$TEST_PASSWORD" "$TEST_DB" "$P_PORT" "$S_PORT" >"$DIR/multi_url"
  echo "pg_cluster: ready: primary 127.0.0.1:$P_PORT, standby 127.0.0.1:$S_PORT (streaming)"
  echo "pg_cluster: started in $(elapsed "$t0") s"
}

cmd_promote() {
  local t0 i ok="" mode="${1:-fast}"
  t0=$(date +%s.%N)
  case "$mode" in fast | immediate) ;; *) usage ;; esac
  load_state
  [ -f "$DIR/standby_url" ] || { echo "pg_cluster: no cluster running for $DIR" >&2; exit 1; }
  pg_stop_data "$P_DATA" "$mode" || exit 1
  as_server "$BINDIR/pg_ctl" promote -D "$S_DATA" -w -t 60 >/dev/null || {
    echo "pg_cluster: promote failed; standby log tail:" >&2
    tail -n 20 "$S_LOG" >&2 || true
    exit 1
  }
  # Writable: a transaction id can be assigned (never during recovery).
  for i in $(seq 1 300); do
    if pg_sql "$S_SOCK" "$S_PORT" "$TEST_DB" -c 'SELECT txid_current()' >/dev/null 2>&1; then
      ok=1
      break
    fi
    sleep 0.1
    : "$i"
  done
  [ -n "$ok" ] || { echo "pg_cluster: the promoted standby does not accept writes" >&2; exit 1; }
  echo "standby" >"$DIR/promoted"
  echo "pg_cluster: promoted the standby (127.0.0.1:$S_PORT) in $(elapsed "$t0") s;" \
    "the old primary is down"
}

cmd_status() {
  local role bad="" rep
  load_state
  [ -f "$DIR/primary_url" ] || unavailable "no cluster running for $DIR (pg_cluster_start skipped or failed)"
  if [ -f "$DIR/promoted" ]; then
    echo "primary 127.0.0.1:$P_PORT: down (promoted the standby)"
  elif role=$(pg_sql "$P_SOCK" "$P_PORT" "$TEST_DB" -c 'SELECT pg_is_in_recovery()' 2>&1); then
    echo "primary 127.0.0.1:$P_PORT: in recovery: $role"
    [ "$role" = f ] || bad=1
    rep=$(pg_sql "$P_SOCK" "$P_PORT" postgres -F ' ' \
      -c "SELECT application_name, state, sync_state FROM pg_stat_replication" 2>&1 || true)
    echo "primary: replication: ${rep:-none}"
    case "$rep" in *streaming*) ;; *) bad=1 ;; esac
  else
    echo "primary 127.0.0.1:$P_PORT: $role"
    bad=1
  fi
  if role=$(pg_sql "$S_SOCK" "$S_PORT" "$TEST_DB" -c 'SELECT pg_is_in_recovery()' 2>&1); then
    echo "standby 127.0.0.1:$S_PORT: in recovery: $role"
    if [ -f "$DIR/promoted" ]; then [ "$role" = f ] || bad=1; else [ "$role" = t ] || bad=1; fi
  else
    echo "standby 127.0.0.1:$S_PORT: $role"
    bad=1
  fi
  [ -z "$bad" ] || { echo "pg_cluster: not as it should be" >&2; exit 1; }
}

[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = promote ]; } || usage
set_dir "$2"
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  promote) cmd_promote "${3:-}" ;;
  *) usage ;;
esac
