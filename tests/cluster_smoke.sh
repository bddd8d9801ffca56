#!/usr/bin/env bash
# Proves a throwaway cluster works through aiodb, with the `aiodb` tool
# (aiodb query URL SQL): the ctest tests pg_cluster_smoke, pgbouncer_smoke,
# mariadb_replica_smoke and galera_smoke.
#
#   tests/cluster_smoke.sh pg_cluster DIR AIODB        a row written on the
#       primary is read on the standby; the standby refuses a write;
#       multi_url reaches the standby with target_session_attrs=standby
#   tests/cluster_smoke.sh pgbouncer DIR AIODB         aiodb clients in
#       turn run a query through PgBouncer; 6 clients at once share its 2
#       server connections; the admin console shows the pool in transaction
#       mode
#   tests/cluster_smoke.sh mariadb_replica DIR AIODB   a row written on the
#       primary is read on the replica
#   tests/cluster_smoke.sh galera DIR AIODB            a row written on
#       node 1 is read on node 3; every node sees a cluster of 3
#
# DIR is the cluster's folder (its *_url files). No cluster there: exit 77
# (ctest: skipped), or 1 when CI=true.
set -euo pipefail

SERVER_TAG=cluster_smoke
# shellcheck source=tests/server_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/server_common.sh"

[ $# -eq 3 ] || { echo "usage: $0 pg_cluster|pgbouncer|mariadb_replica|galera DIR AIODB" >&2; exit 2; }
KIND=$1 DIR=$2 AIODB=$3
TOKEN="smoke-$$-$(date +%s%N)"

fail() {
  echo "$KIND: FAIL: $*" >&2
  exit 1
}

# The URL in file $1 (need checked it is there).
url() {
  cat "$DIR/$1"
}

# Every file named is in DIR; else no cluster there.
need() {
  local f
  for f in "$@"; do
    [ -f "$DIR/$f" ] || unavailable "no $f in $DIR ($KIND start skipped or failed)"
  done
}

# aiodb query URL SQL [ARG...], its table on stdout; a failure is fatal.
q() {
  local out
  out=$("$AIODB" query "$@" 2>&1) || fail "aiodb query ${2%% *}... on ${1/:$TEST_PASSWORD@/:***@}: $out"
  printf '%s\n' "$out"
}

# The table's first value (the line under the header's rule).
value() {
  q "$@" | awk 'found == 1 { sub(/^ +/, ""); sub(/ +$/, ""); print; found = 2 } /^-+/ && !found { found = 1 }'
}

# True once `aiodb query $1 $2` prints TOKEN (up to 10 s).
poll_token() {
  local i
  for i in $(seq 1 100); do
    "$AIODB" query "$1" "$2" 2>/dev/null | grep -w -- "$TOKEN" >/dev/null && return 0
    sleep 0.1
    : "$i"
  done
  return 1
}

port_of() {
  sed -n 's|.*@127\.0\.0\.1:\([0-9]*\)/.*|\1|p' <<<"$1"
}

case "$KIND" in
  pg_cluster)
    need primary_url standby_url multi_url
    primary=$(url primary_url) standby=$(url standby_url) multi=$(url multi_url)
    q "$primary" "CREATE TABLE IF NOT EXISTS cluster_smoke (id int PRIMARY KEY, token text)" >/dev/null
    q "$primary" "INSERT INTO cluster_smoke VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET token = excluded.token" \
      "$TOKEN" >/dev/null
    echo "pg_cluster: wrote $TOKEN on the primary"
    poll_token "$standby" "SELECT token FROM cluster_smoke WHERE id = 1" \
      || fail "the row written on the primary is not on the standby after 10 s"
    echo "pg_cluster: read it on the standby"
    if out=$("$AIODB" query "$standby" "INSERT INTO cluster_smoke VALUES (2, 'x')" 2>&1); then
      fail "the standby took a write"
    fi
    grep -q AIODB_EREADONLY <<<"$out" || fail "a write on the standby: expected AIODB_EREADONLY, got: $out"
    echo "pg_cluster: the standby refuses a write: $out"
    got=$(value "$multi&target_session_attrs=standby" "SELECT inet_server_port()")
    [ "$got" = "$(port_of "$standby")" ] \
      || fail "multi_url with target_session_attrs=standby reached port '$got', not the standby's"
    got=$(value "$multi&target_session_attrs=read-write" "SELECT inet_server_port()")
    [ "$got" = "$(port_of "$primary")" ] \
      || fail "multi_url with target_session_attrs=read-write reached port '$got', not the primary's"
    echo "pg_cluster: multi_url reaches the standby and the primary by target_session_attrs"
    ;;

  pgbouncer)
    need url socket_url admin_url
    bouncer=$(url url) socket=$(url socket_url) admin=$(url admin_url)
    psql=$(command -v psql || true)
    [ -n "$psql" ] || psql=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n1)
    [ -x "$psql" ] || unavailable "psql not found (for PgBouncer's admin console)"
    export PGPASSFILE=/nonexistent PGCONNECT_TIMEOUT=10
    # aiodb, one client after another (each a new client connection), with
    # unnamed statements: in transaction mode a server connection passes
    # from client to client, and PgBouncer 1.18 does not follow prepared
    # statements (the pgbouncer suite runs clients at once, with
    # pgbouncer=1).
    for u in "$bouncer?statement_cache=0" "$socket&statement_cache=0" "$bouncer?statement_cache=0"; do
      got=$(value "$u" "SELECT ?::text AS token" "$TOKEN")
      [ "$got" = "$TOKEN" ] || fail "through PgBouncer: got '$got', not the token"
    done
    echo "pgbouncer: 3 aiodb clients in turn (TCP, socket, TCP) ran a query with a parameter"
    # 6 clients at once share the pool's 2 server connections (psql: the
    # simple query protocol, one round trip).
    work=$(mktemp -d)
    trap 'rm -rf -- "$work"' EXIT
    pids=()
    for i in 1 2 3 4 5 6; do
      "$psql" -X -w -At "$bouncer" -c 'SELECT pg_backend_pid() FROM pg_sleep(0.3)' \
        >"$work/$i.out" 2>&1 &
      pids+=($!)
    done
    for i in 1 2 3 4 5 6; do
      wait "${pids[i - 1]}" || fail "psql client $i through PgBouncer: $(cat "$work/$i.out")"
    done
    n=$(sort -u "$work"/*.out | wc -l)
    if [ "$n" -lt 1 ] || [ "$n" -gt 2 ]; then
      fail "6 clients ran on $n server connections; PgBouncer's pool has 2"
    fi
    echo "pgbouncer: 6 clients at once ran on $n server connection(s)"
    pools=$("$psql" -X -w -At -F ' ' "$admin" -c 'SHOW POOLS' 2>&1) \
      || fail "SHOW POOLS on the admin console: $pools"
    grep -q '^aiodb aiodb .* transaction$' <<<"$pools" \
      || fail "SHOW POOLS has no pool aiodb/aiodb in transaction mode: $pools"
    echo "pgbouncer: SHOW POOLS: $(grep '^aiodb aiodb' <<<"$pools")"
    ;;

  mariadb_replica)
    need primary_url replica_url
    primary=$(url primary_url) replica=$(url replica_url)
    q "$primary" "CREATE TABLE IF NOT EXISTS cluster_smoke (id INT PRIMARY KEY, token VARCHAR(64))" >/dev/null
    q "$primary" "REPLACE INTO cluster_smoke VALUES (1, ?)" "$TOKEN" >/dev/null
    echo "mariadb_replica: wrote $TOKEN on the primary"
    poll_token "$replica" "SELECT token FROM cluster_smoke WHERE id = 1" \
      || fail "the row written on the primary is not on the replica after 10 s"
    [ "$(value "$replica" "SELECT @@server_id")" = 2 ] || fail "replica_url is not server 2"
    echo "mariadb_replica: read it on the replica (server_id 2)"
    ;;

  galera)
    need node1_url node2_url node3_url
    n1=$(url node1_url) n2=$(url node2_url) n3=$(url node3_url)
    for u in "$n1" "$n2" "$n3"; do
      got=$(value "$u" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'")
      [ "$got" = 3 ] || fail "node at port $(port_of "$u") sees a cluster of '$got'"
    done
    echo "galera: every node sees a cluster of 3"
    q "$n1" "CREATE TABLE IF NOT EXISTS cluster_smoke (id INT PRIMARY KEY, token VARCHAR(64)) ENGINE=InnoDB" >/dev/null
    q "$n1" "REPLACE INTO cluster_smoke VALUES (1, ?)" "$TOKEN" >/dev/null
    echo "galera: wrote $TOKEN on node 1"
    poll_token "$n3" "SELECT token FROM cluster_smoke WHERE id = 1" \
      || fail "the row written on node 1 is not on node 3 after 10 s"
    echo "galera: read it on node 3"
    ;;

  *) echo "$0: unknown cluster '$KIND'" >&2; exit 2 ;;
esac
echo "$KIND: ok"
