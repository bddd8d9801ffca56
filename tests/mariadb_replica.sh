#!/usr/bin/env bash
# A throwaway MariaDB primary with a replica (binary log, GTID), for tests
# of replicas; run by the mariadb_replica ctest fixture.
#
#   tests/mariadb_replica.sh start DIR   fresh primary and replica on free
#                                        ports; returns once the replica
#                                        has applied a marker row written on
#                                        the primary
#   tests/mariadb_replica.sh stop DIR    stop both, remove their data (ok if
#                                        not running)
#   tests/mariadb_replica.sh status DIR  each server answers; the replica's
#                                        IO and SQL threads run
#
# DIR is a folder in the build tree (e.g. build/tests/mariadb-replica).
# After `start` it holds:
#   primary_url   mysql://aiodb:aiodb-test-pw@127.0.0.1:P1/aiodb
#   replica_url   mysql://aiodb:aiodb-test-pw@127.0.0.1:P2/aiodb
#   primary/, replica/  each server's folder as tests/mariadb_server.sh
#                 writes it: tcp_url, socket_url, root_socket, env (PORT,
#                 SOCKET, DATADIR), server.log
# Each server has the user aiodb (password aiodb-test-pw, every privilege,
# so read_only would not stop it; the replica has it off) and the
# database aiodb, made on each with the binary log off: replication starts
# after them. The primary (server_id 1) logs in ROW format; the replica
# (server_id 2, binary log and log_slave_updates on, so that it could serve
# as a primary) replicates with CHANGE MASTER TO ... MASTER_USE_GTID =
# slave_pos as aiodb_repl over 127.0.0.1. The marker is the table
# aiodb_cluster.marker. Both listen on 127.0.0.1 and a unix socket only;
# every call gets an option file of its own (Debian's /etc/mysql is never
# read). No TLS.
#
# As root the servers run as the `mysql` system user. A cluster that
# cannot be started exits 77 (ctest: skipped), or 1 when CI=true.
set -euo pipefail

SERVER_TAG=mariadb_replica
SERVER_SYSTEM_USER=mysql
HERE=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source=tests/server_common.sh
. "$HERE/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$HERE/cluster_common.sh"

REPL_USER=aiodb_repl

usage() {
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
}

load_state() {
  my_load_state
}

save_state() {
  my_state >"$DIR/state"
}

cmd_stop() {
  local i
  load_state
  # The replica first: it would only retry its primary meanwhile.
  for i in 2 1; do
    [ -z "${DATA[i]:-}" ] || my_stop_node "$i" || true
  done
  for i in 1 2; do
    [ -z "${NAME[i]:-}" ] || keep_log "${LOG[i]}" "$DIR/${NAME[i]}/server.log"
  done
  local n
  for n in primary replica; do
    rm -rf -- "$DIR/$n/data" "$DIR/$n/sock" "$DIR/$n/tmp"
    rm -f -- "$DIR/$n"/{tcp_url,socket_url,root_socket,env,my.cnf,mariadbd.pid,install.log}
  done
  rm_tmpdirs "$TMPDIRS" aiodb-myr
  rm -f -- "$DIR/primary_url" "$DIR/replica_url" "$DIR/state"
  return 0
}

# Fails the start: the log tails, everything stopped, unavailable.
start_failed() {
  local i
  for i in 1 2; do
    [ -f "${LOG[i]:-}" ] || continue
    echo "mariadb_replica: ${NAME[i]} log tail:" >&2
    tail -n 20 "${LOG[i]}" >&2 || true
  done
  cmd_stop
  unavailable "$1"
}

# Starts node $1 on a free port, trying up to 5 ports; its option file's
# own lines on stdin.
start_node() {
  local i="$1" attempt extra
  extra=$(cat)
  for attempt in 1 2 3 4 5; do
    pick_port "PORT[$i]" || { echo "mariadb_replica: no free port found" >&2; continue; }
    my_write_cnf "$i" <<<"$extra"
    echo "mariadb_replica: starting the ${NAME[i]} on 127.0.0.1:${PORT[i]} (attempt $attempt)"
    my_launch "$i"
    save_state
    my_wait_ping "${SOCK[i]}" 600 "${PID[i]}" && return 0
    echo "mariadb_replica: start of the ${NAME[i]} failed; log tail:" >&2
    tail -n 15 "${LOG[i]}" >&2 || true
    my_stop_node "$i" || true
  done
  return 1
}

cmd_start() {
  local t0 i token got pids=()
  t0=$(date +%s.%N)
  cmd_stop
  load_state
  my_need_bins
  server_user || unavailable "running as root but there is no 'mysql' user to run the servers as"
  TMPDIRS=""
  cluster_workdir aiodb-myr
  my_node_paths 1 primary aiodb-myr
  my_node_paths 2 replica aiodb-myr
  save_state

  for i in 1 2; do
    my_install_db "${DATA[i]}" "${TMPD[i]}" "$WORK/${NAME[i]}/install.log" &
    pids[i]=$!
  done
  for i in 1 2; do
    wait "${pids[i]}" || {
      cat "$WORK/${NAME[i]}/install.log" >&2
      start_failed "mariadb-install-db failed for the ${NAME[i]}"
    }
    rm -f -- "$WORK/${NAME[i]}/install.log"
  done

  start_node 1 <<'EOF' || start_failed "the primary did not start"
server-id=1
log-bin=mariadb-bin
binlog-format=ROW
EOF
  start_node 2 <<'EOF' || start_failed "the replica did not start"
server-id=2
log-bin=mariadb-bin
log-slave-updates
binlog-format=ROW
relay-log=relay-bin
skip-slave-start
EOF
  save_state

  # Users and database on each, out of the binary log; the replication user
  # on the primary.
  for i in 1 2; do
    { echo "SET sql_log_bin = 0;"; my_setup_sql; } | my_root_sql "${SOCK[i]}" \
      || start_failed "the ${NAME[i]} did not accept the setup"
  done
  my_root_sql "${SOCK[1]}" <<EOF || start_failed "the primary did not accept the replication user"
SET sql_log_bin = 0;
CREATE USER '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';
EOF
  my_root_sql "${SOCK[2]}" <<EOF || start_failed "the replica did not start replicating"
CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${PORT[1]},
  MASTER_USER = '$REPL_USER', MASTER_PASSWORD = '$TEST_PASSWORD',
  MASTER_CONNECT_RETRY = 1, MASTER_USE_GTID = slave_pos;
START SLAVE;
EOF

  token="marker-$(date +%s%N)"
  my_root_sql "${SOCK[1]}" <<EOF || start_failed "the primary did not take the marker"
CREATE DATABASE IF NOT EXISTS aiodb_cluster;
CREATE TABLE IF NOT EXISTS aiodb_cluster.marker (id INT PRIMARY KEY, token VARCHAR(64));
REPLACE INTO aiodb_cluster.marker VALUES (1, '$token');
EOF
  got=""
  for i in $(seq 1 300); do
    got=$(my_root_sql "${SOCK[2]}" -e "SELECT token FROM aiodb_cluster.marker WHERE id = 1" \
      2>/dev/null || true)
    [ "$got" != "$token" ] || break
    sleep 0.1
    : "$i"
  done
  if [ "$got" != "$token" ]; then
    MYSQL_PWD="" "$CLIENT" --no-defaults --socket="${SOCK[2]}" -uroot -e 'SHOW SLAVE STATUS\G' >&2 \
      || true
    start_failed "the replica did not apply the marker row"
  fi

  for i in 1 2; do
    my_node_files "$DIR/${NAME[i]}" "${PORT[i]}" "${SOCK[i]}" "${DATA[i]}"
  done
  cp -- "$DIR/primary/tcp_url" "$DIR/primary_url"
  cp -- "$DIR/replica/tcp_url" "$DIR/replica_url"
  echo "mariadb_replica: ready: primary 127.0.0.1:${PORT[1]}, replica 127.0.0.1:${PORT[2]}" \
    "(marker replicated)"
  echo "mariadb_replica: started in $(elapsed "$t0") s"
}

cmd_status() {
  local i out bad=""
  load_state
  [ -f "$DIR/primary_url" ] || unavailable "no cluster running for $DIR (mariadb_replica_start skipped or failed)"
  for i in 1 2; do
    if out=$(my_root_sql "${SOCK[i]}" -e 'SELECT @@server_id, @@gtid_current_pos' 2>&1); then
      echo "${NAME[i]} 127.0.0.1:${PORT[i]}: server_id, gtid_current_pos: $out"
    else
      echo "${NAME[i]} 127.0.0.1:${PORT[i]}: $out"
      bad=1
    fi
  done
  out=$(MYSQL_PWD="" "$CLIENT" --no-defaults --socket="${SOCK[2]}" -uroot --connect-timeout=5 \
    -e 'SHOW SLAVE STATUS\G' 2>&1 | sed -n \
    's/^ *\(Slave_IO_Running\|Slave_SQL_Running\|Using_Gtid\|Gtid_IO_Pos\|Seconds_Behind_Master\|Last_Error\): */\1: /p' || true)
  printf 'replica: %s\n' "$out" | sed '2,$s/^/replica: /'
  grep -qx 'Slave_IO_Running: Yes' <<<"$out" || bad=1
  grep -qx 'Slave_SQL_Running: Yes' <<<"$out" || bad=1
  [ -z "$bad" ] || { echo "mariadb_replica: not as it should be" >&2; exit 1; }
}

[ $# -eq 2 ] || usage
set_dir "$2"
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
