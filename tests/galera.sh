#!/usr/bin/env bash
# A throwaway 3-node MariaDB Galera cluster on loopback, for tests of
# multi-primary clusters and of a node that dies; run by the galera ctest
# fixture.
#
#   tests/galera.sh start DIR      node 1 bootstraps a new cluster, nodes 2
#                                  and 3 join it (state transfer by rsync);
#                                  returns once every node has
#                                  wsrep_cluster_size=3 and wsrep_ready=ON
#   tests/galera.sh stop DIR       stop every node, remove the data (ok if
#                                  not running)
#   tests/galera.sh status DIR     each node's wsrep state; fails unless
#                                  every node is up, synced, in a cluster
#                                  of 3
#   tests/galera.sh kill N DIR     SIGKILL node N (1, 2 or 3); the others
#                                  go on as a cluster of 2 within seconds
#   tests/galera.sh restart N DIR  start node N again on its data and
#                                  ports; it rejoins (IST or SST); returns
#                                  once it is synced
#
# DIR is a folder in the build tree (e.g. build/tests/galera). After
# `start` it holds:
#   node1_url, node2_url, node3_url   mysql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb
#   node1/, node2/, node3/  each node's folder as tests/mariadb_server.sh
#                 writes it: tcp_url, socket_url, root_socket, env (PORT,
#                 SOCKET, DATADIR), server.log; ports, its four ports
# Each node has four free ports of its own on 127.0.0.1: clients, group
# communication (gcomm://127.0.0.1:G1,127.0.0.1:G2,127.0.0.1:G3), IST and
# SST; nothing listens elsewhere. The cluster's name is unique to each
# start, so that two clusters never merge. User aiodb (password
# aiodb-test-pw, every privilege) and database aiodb are made on node 1
# before the others join. Galera replicates InnoDB tables only (and wants
# a primary key on each). Failure detection is faster than Galera's
# default (a silent node is suspected after 3 s). Every node reads an
# option file of its own (Debian's /etc/mysql is never read). No TLS.
#
# Needs galera-4 (/usr/lib/galera/libgalera_smm.so, or
# $AIODB_GALERA_PROVIDER), rsync and ss (iproute2) for the state transfer.
# As root the nodes run as the `mysql` system user. A cluster that cannot
# be started exits 77 (ctest: skipped), or 1 when CI=true.
set -euo pipefail

SERVER_TAG=galera
SERVER_SYSTEM_USER=mysql
HERE=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source=tests/server_common.sh
. "$HERE/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$HERE/cluster_common.sh"

NODES="1 2 3"
# Node i's group communication, IST and SST ports; the client port is
# PORT[i].
declare -a GPORT=() IPORT=() SPORT=()

usage() {
  echo "usage: $0 start|stop|status DIR | kill|restart N DIR" >&2
  exit 2
}

load_state() {
  PROVIDER="" CLUSTER_NAME=""
  GPORT=() IPORT=() SPORT=()
  my_load_state
}

save_state() {
  {
    my_state
    state_vars PROVIDER CLUSTER_NAME
    declare -p GPORT IPORT SPORT | sed 's/^declare -a/declare -ga/'
  } >"$DIR/state"
}

# Stops every node at once (each leaves the cluster).
stop_nodes() {
  local i pids=()
  for i in $NODES; do
    [ -n "${DATA[i]:-}" ] || continue
    my_stop_node "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
}

cmd_stop() {
  local i
  load_state
  stop_nodes
  for i in $NODES; do
    [ -z "${NAME[i]:-}" ] || keep_log "${LOG[i]}" "$DIR/${NAME[i]}/server.log"
  done
  for i in $NODES; do
    rm -rf -- "$DIR/node$i/data" "$DIR/node$i/sock" "$DIR/node$i/tmp"
    rm -f -- "$DIR/node$i"/{tcp_url,socket_url,root_socket,env,ports,my.cnf,mariadbd.pid} \
      "$DIR/node$i/install.log" "$DIR/node${i}_url"
  done
  rm_tmpdirs "$TMPDIRS" aiodb-gal
  rm -f -- "$DIR/state"
  return 0
}

# Node $1's global status variable $2 (through its socket, as root).
wsrep() {
  my_root_sql "${SOCK[$1]}" -e \
    "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$2'" \
    2>/dev/null
}

# True once node $1 answers, is ready, synced and in a primary component
# of $2 nodes (within $3 seconds); false at once if it exits.
wait_synced() {
  local i="$1" end=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$end" ]; do
    if [ "$(wsrep "$i" WSREP_READY)" = ON ] \
      && [ "$(wsrep "$i" WSREP_LOCAL_STATE_COMMENT)" = Synced ] \
      && [ "$(wsrep "$i" WSREP_CLUSTER_STATUS)" = Primary ] \
      && [ "$(wsrep "$i" WSREP_CLUSTER_SIZE)" = "$2" ]; then
      return 0
    fi
    alive "${PID[i]}" || return 1
    sleep 0.1
  done
  return 1
}

# Writes node $1's option file.
write_cnf() {
  local i="$1" j peers=""
  for j in $NODES; do peers="$peers${peers:+,}127.0.0.1:${GPORT[j]}"; done
  my_write_cnf "$i" <<EOF
binlog-format=ROW
default-storage-engine=InnoDB
innodb-autoinc-lock-mode=2
wsrep-on=ON
wsrep-provider=$PROVIDER
wsrep-cluster-name=$CLUSTER_NAME
wsrep-cluster-address=gcomm://$peers
wsrep-node-name=node$i
wsrep-node-address=127.0.0.1:${GPORT[i]}
wsrep-node-incoming-address=127.0.0.1:${PORT[i]}
wsrep-sst-method=rsync
wsrep-sst-receive-address=127.0.0.1:${SPORT[i]}
wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:${GPORT[i]};ist.recv_addr=127.0.0.1:${IPORT[i]};gcache.size=16M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
EOF
  printf 'client=%s gcomm=%s ist=%s sst=%s\n' "${PORT[i]}" "${GPORT[i]}" "${IPORT[i]}" \
    "${SPORT[i]}" >"$DIR/node$i/ports"
}

# Log tails, for a start that failed.
log_tails() {
  local i
  for i in $NODES; do
    [ -f "${LOG[i]:-}" ] || continue
    echo "galera: node$i log tail:" >&2
    tail -n 25 "${LOG[i]}" >&2 || true
  done
}

# One try at the whole cluster, on fresh ports; false if it did not come up
# (the caller stops what runs).
try_start() {
  local i n
  for i in $NODES; do
    if ! { pick_port "PORT[$i]" && pick_port "GPORT[$i]" && pick_port "IPORT[$i]" \
      && pick_port "SPORT[$i]"; }; then
      echo "galera: no free port found" >&2
      return 1
    fi
  done
  for i in $NODES; do write_cnf "$i"; done
  save_state

  echo "galera: bootstrapping node1 on 127.0.0.1:${PORT[1]} (gcomm ${GPORT[1]})"
  my_launch 1 --wsrep-new-cluster
  save_state
  wait_synced 1 1 60 || { echo "galera: node1 did not bootstrap" >&2; return 1; }
  { my_setup_sql; } | my_root_sql "${SOCK[1]}" \
    || { echo "galera: node1 did not accept the setup" >&2; return 1; }

  for i in 2 3; do
    echo "galera: node$i joins on 127.0.0.1:${PORT[i]} (gcomm ${GPORT[i]})"
    my_launch "$i"
  done
  save_state
  for i in 2 3; do
    wait_synced "$i" 3 90 || { echo "galera: node$i did not join" >&2; return 1; }
  done
  for i in $NODES; do
    n=$(wsrep "$i" WSREP_CLUSTER_SIZE)
    [ "$n" = 3 ] || { echo "galera: node$i sees a cluster of '$n'" >&2; return 1; }
  done
}

cmd_start() {
  local t0 i attempt started=""
  t0=$(date +%s.%N)
  cmd_stop
  load_state
  my_need_bins
  PROVIDER=${AIODB_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
  [ -f "$PROVIDER" ] || unavailable "Galera provider $PROVIDER not found (install the 'galera-4' package)"
  command -v rsync >/dev/null 2>&1 || unavailable "rsync not found (install the 'rsync' package)"
  command -v ss >/dev/null 2>&1 || unavailable "ss not found (install the 'iproute2' package)"
  server_user || unavailable "running as root but there is no 'mysql' user to run the nodes as"

  for attempt in 1 2; do
    TMPDIRS=""
    # (Galera takes up to 32 characters.)
    CLUSTER_NAME="aiodb-$(date +%s)-$RANDOM"
    cluster_workdir aiodb-gal
    for i in $NODES; do my_node_paths "$i" "node$i" aiodb-gal; done
    # Only node 1 starts from a fresh data folder: the others get a copy of
    # its state when they join.
    server_mkdir "${DATA[2]}" "${DATA[3]}"
    save_state
    if ! my_install_db "${DATA[1]}" "${TMPD[1]}" "$WORK/node1/install.log"; then
      cat "$WORK/node1/install.log" >&2
      cmd_stop
      unavailable "mariadb-install-db failed"
    fi
    rm -f -- "$WORK/node1/install.log"
    if try_start; then
      started=1
      break
    fi
    echo "galera: start failed (attempt $attempt)" >&2
    log_tails
    cmd_stop
    # (cmd_stop read the state it removed.)
    server_user
    PROVIDER=${AIODB_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
  done
  [ -n "$started" ] || unavailable "the cluster did not start (logs: $DIR/node*/server.log)"

  for i in $NODES; do
    my_node_files "$DIR/node$i" "${PORT[i]}" "${SOCK[i]}" "${DATA[i]}"
    cp -- "$DIR/node$i/tcp_url" "$DIR/node${i}_url"
  done
  echo "galera: ready: nodes on 127.0.0.1:${PORT[1]}, ${PORT[2]}, ${PORT[3]}" \
    "(cluster $CLUSTER_NAME, size 3)"
  echo "galera: started in $(elapsed "$t0") s"
}

# Node $1 from the command line, checked.
node_arg() {
  case "$1" in
    1 | 2 | 3) ;;
    *) echo "galera: no node '$1' (1, 2 or 3)" >&2; exit 2 ;;
  esac
  [ -f "$DIR/state" ] || { echo "galera: no cluster running for $DIR" >&2; exit 1; }
}

cmd_kill() {
  local i="$1" pid
  load_state
  pid=$(my_live "${DATA[i]}" "${PIDF[i]}" "${PID[i]}") \
    || { echo "galera: node$i is not running" >&2; exit 1; }
  kill -KILL "$pid"
  wait_gone "$pid" 100 || { echo "galera: node$i ($pid) still running" >&2; exit 1; }
  echo "galera: killed node$i"
}

cmd_restart() {
  local i="$1" j t0 n=1
  t0=$(date +%s.%N)
  load_state
  if my_live "${DATA[i]}" "${PIDF[i]}" "${PID[i]}" >/dev/null; then
    echo "galera: node$i is running" >&2
    exit 1
  fi
  for j in $NODES; do
    [ "$j" = "$i" ] || ! my_live "${DATA[j]}" "${PIDF[j]}" "${PID[j]}" >/dev/null || n=$((n + 1))
  done
  [ "$n" -gt 1 ] || { echo "galera: no other node runs: nothing to rejoin" >&2; exit 1; }
  my_launch "$i"
  save_state
  if ! wait_synced "$i" "$n" 120; then
    echo "galera: node$i did not rejoin; log tail:" >&2
    tail -n 25 "${LOG[i]}" >&2 || true
    exit 1
  fi
  echo "galera: node$i rejoined in $(elapsed "$t0") s (cluster of $n)"
}

cmd_status() {
  local i bad="" v
  load_state
  [ -f "$DIR/node1_url" ] || unavailable "no cluster running for $DIR (galera_start skipped or failed)"
  for i in $NODES; do
    if ! my_live "${DATA[i]}" "${PIDF[i]}" "${PID[i]}" >/dev/null; then
      echo "node$i 127.0.0.1:${PORT[i]}: down"
      bad=1
      continue
    fi
    v="ready=$(wsrep "$i" WSREP_READY) state=$(wsrep "$i" WSREP_LOCAL_STATE_COMMENT)"
    v="$v status=$(wsrep "$i" WSREP_CLUSTER_STATUS) size=$(wsrep "$i" WSREP_CLUSTER_SIZE)"
    echo "node$i 127.0.0.1:${PORT[i]}: $v"
    [ "$v" = "ready=ON state=Synced status=Primary size=3" ] || bad=1
  done
  [ -z "$bad" ] || { echo "galera: not as it should be" >&2; exit 1; }
}

case "${1:-}" in
  start | stop | status)
    [ $# -eq 2 ] || usage
    set_dir "$2"
    case "$1" in
      start) cmd_start ;;
      stop) cmd_stop ;;
      *) cmd_status ;;
    esac
    ;;
  kill | restart)
    [ $# -eq 3 ] || usage
    [ -d "$3" ] || { echo "galera: no cluster running for $3" >&2; exit 1; }
    DIR=$(cd -- "$3" && pwd -P)
    node_arg "$2"
    if [ "$1" = kill ]; then cmd_kill "$2"; else cmd_restart "$2"; fi
    ;;
  *) usage ;;
esac
