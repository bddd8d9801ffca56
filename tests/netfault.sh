#!/usr/bin/env bash
# Network faults between aiodb and real servers: the netfault suite of
# aiodb_tests runs in a network namespace of its own, and reaches the
# throwaway PostgreSQL and MariaDB servers of the faults fixtures through a
# veth pair to a second namespace, where tests/netfwd.c relays each
# connection to the server's unix socket. The suite cuts that link, drops
# packets on it and uses a port whose forwarder delays every byte.
#
#   tests/netfault.sh run TESTS NETFWD PG_DIR MY_DIR STATE_DIR
#       sets the path up, runs `TESTS netfault` in the client namespace,
#       and takes everything down again, whatever happens
#   tests/netfault.sh ctl STATE_DIR down|up|loss PCT
#       what the suite calls to change the link: down (the server end of
#       the veth goes down: the client's packets vanish, nothing answers),
#       up, loss PCT (PCT % of the packets each way dropped at random by
#       nftables; 0 ends it)
#
# Addresses: 10.200.0.1 (server end) and 10.200.0.2 (client end), which
# exist only inside the two namespaces this script makes; nothing else is
# reachable from the client's namespace. Ports on 10.200.0.1: 5432 and 3306
# relay to PostgreSQL and MariaDB as they are; 5433 and 3307 hold every
# chunk $DELAY_MS ms each way (the kernel's netem may be missing; a delay
# line in the forwarder needs nothing).
#
# The namespaces are anonymous (unshare): each lives as long as a holder
# process, and the holders, the forwarder and the suite die with this
# script (PR_SET_PDEATHSIG), so even a script killed by ctest's timeout
# leaves no namespace, interface or process behind.
#
# Exit 77 (skipped) when this machine does not allow it: not root, or no
# network namespaces or veth pairs (a container without CAP_NET_ADMIN).
# The tools missing (iproute2, util-linux's unshare/nsenter/setpriv,
# nftables) skip too, but fail under CI=true, where scripts/deps.sh
# installs them.
set -euo pipefail

DELAY_MS=100
SRV_ADDR=10.200.0.1
CLI_ADDR=10.200.0.2

is_ci() {
  case "${CI:-}" in
    [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;;
    *) return 1 ;;
  esac
}

skip() {
  echo "netfault: skipped: $*"
  exit 77
}

# A tool that scripts/deps.sh installs is missing: a failure under CI.
missing() {
  if is_ci; then
    echo "netfault: $* (CI=true: a failure; scripts/deps.sh installs it)" >&2
    exit 1
  fi
  skip "$*"
}

cmd_ctl() {
  local state="$1" what="$2" SRV
  SRV=$(cat "$state/srv_pid")
  case "$what" in
    down) nsenter -t "$SRV" -n ip link set nf_s down ;;
    up) nsenter -t "$SRV" -n ip link set nf_s up ;;
    loss)
      local pct="$3"
      nsenter -t "$SRV" -n nft delete table inet aiodb_netfault 2>/dev/null || true
      [ "$pct" -gt 0 ] || return 0
      nsenter -t "$SRV" -n nft -f - <<EOF
table inet aiodb_netfault {
  chain in {
    type filter hook input priority 0; policy accept;
    iifname "nf_s" numgen random mod 100 < $pct drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "nf_s" numgen random mod 100 < $pct drop
  }
}
EOF
      ;;
    *)
      echo "netfault: unknown ctl action $what" >&2
      exit 2
      ;;
  esac
}

# The MAC address of interface $2 in the namespace of pid $1.
mac() {
  nsenter -t "$1" -n ip -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

cmd_run() {
  local tests="$1" netfwd="$2" pg_dir="$3" my_dir="$4" state="$5" SRV CLI i
  [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
  for t in ip unshare nsenter setpriv; do
    command -v "$t" >/dev/null 2>&1 || missing "$t not found"
  done
  command -v nft >/dev/null 2>&1 || missing "nft not found (package nftables)"
  unshare -n -- true 2>/dev/null || skip "network namespaces are not permitted here"

  mkdir -p "$state"
  rm -f -- "$state"/*
  trap cleanup EXIT
  trap 'exit 1' INT TERM
  # Each namespace's anchor: a process that lives until killed, or until
  # this script dies (started here, not in a subshell, whose end would be
  # its parent's death).
  setpriv --pdeathsig KILL -- unshare -n -- sleep 3600 &
  SRV=$!
  PIDS+=("$SRV")
  setpriv --pdeathsig KILL -- unshare -n -- sleep 3600 &
  CLI=$!
  PIDS+=("$CLI")
  # The holders are in their namespaces once unshare has exec'd sleep.
  for i in $(seq 1 50); do
    if [ "$(readlink "/proc/$SRV/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] \
      && [ "$(readlink "/proc/$CLI/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ]; then
      break
    fi
    sleep 0.1
    : "$i"
  done
  echo "$SRV" >"$state/srv_pid"
  echo "$CLI" >"$state/cli_pid"
  nsenter -t "$SRV" -n ip link set lo up
  nsenter -t "$CLI" -n ip link set lo up
  if ! nsenter -t "$SRV" -n ip link add nf_s type veth peer name nf_c netns "/proc/$CLI/ns/net" \
    2>"$state/veth.err"; then
    skip "no veth pair: $(cat "$state/veth.err")"
  fi
  nsenter -t "$SRV" -n ip addr add "$SRV_ADDR/30" dev nf_s
  nsenter -t "$SRV" -n ip link set nf_s up
  nsenter -t "$CLI" -n ip addr add "$CLI_ADDR/30" dev nf_c
  nsenter -t "$CLI" -n ip link set nf_c up
  # Each end knows the other's MAC for good: no ARP, whose failures while
  # the link is down would linger as "No route to host" after it is back.
  nsenter -t "$SRV" -n ip neigh replace "$CLI_ADDR" dev nf_s nud permanent \
    lladdr "$(mac "$CLI" nf_c)"
  nsenter -t "$CLI" -n ip neigh replace "$SRV_ADDR" dev nf_c nud permanent \
    lladdr "$(mac "$SRV" nf_s)"
  # nftables in the kernel: probe the rule the suite uses for loss.
  if ! cmd_ctl "$state" loss 1 2>"$state/nft.err"; then
    skip "nftables cannot drop packets here: $(cat "$state/nft.err")"
  fi
  cmd_ctl "$state" loss 0

  # The crash suite kills these servers and starts them again; should it
  # have died in between, start them here.
  local here
  here=$(dirname -- "$0")
  if [ -f "$pg_dir/env" ] && ! bash "$here/pg_server.sh" check "$pg_dir" >/dev/null 2>&1; then
    bash "$here/pg_server.sh" restart "$pg_dir"
  fi
  if [ -f "$my_dir/env" ] && ! bash "$here/mariadb_server.sh" check "$my_dir" >/dev/null 2>&1; then
    bash "$here/mariadb_server.sh" restart "$my_dir"
  fi

  # The servers' unix sockets.
  local fwd_args=() env_args=(AIODB_NETFAULT_CTL="bash $0 ctl $state" AIODB_NETFAULT_DELAY_MS=$DELAY_MS)
  if [ -f "$pg_dir/env" ]; then
    local pg_sock
    pg_sock="$(sed -n "s/^SOCKDIR='\(.*\)'$/\1/p" "$pg_dir/env")/.s.PGSQL.$(sed -n 's/^PORT=//p' "$pg_dir/env")"
    fwd_args+=("$SRV_ADDR:5432" "$pg_sock" -d "$DELAY_MS" "$SRV_ADDR:5433" "$pg_sock")
    env_args+=(AIODB_NETFAULT_PG_URL="postgresql://aiodb@$SRV_ADDR:5432/aiodb"
      AIODB_NETFAULT_PG_SLOW_URL="postgresql://aiodb@$SRV_ADDR:5433/aiodb")
  fi
  if [ -f "$my_dir/env" ]; then
    local my_sock
    my_sock=$(sed -n "s/^SOCKET='\(.*\)'$/\1/p" "$my_dir/env")
    fwd_args+=("$SRV_ADDR:3306" "$my_sock" -d "$DELAY_MS" "$SRV_ADDR:3307" "$my_sock")
    env_args+=(AIODB_NETFAULT_MY_URL="mysql://aiodb:aiodb-test-pw@$SRV_ADDR:3306/aiodb"
      AIODB_NETFAULT_MY_SLOW_URL="mysql://aiodb:aiodb-test-pw@$SRV_ADDR:3307/aiodb")
  fi
  if [ ${#fwd_args[@]} -gt 0 ]; then
    setpriv --pdeathsig KILL -- nsenter -t "$SRV" -n -- "$netfwd" "${fwd_args[@]}" \
      >"$state/fwd.out" 2>&1 &
    PIDS+=($!)
    for i in $(seq 1 50); do
      grep -q ready "$state/fwd.out" 2>/dev/null && break
      sleep 0.1
      : "$i"
    done
    grep -q ready "$state/fwd.out" || { cat "$state/fwd.out" >&2; exit 1; }
  fi
  echo "netfault: client $CLI_ADDR (namespace of pid $CLI) -> server $SRV_ADDR (pid $SRV)"

  local rc=0
  setpriv --pdeathsig KILL -- nsenter -t "$CLI" -n -- env "${env_args[@]}" "$tests" netfault || rc=$?
  exit "$rc"
}

case "${1:-}" in
  run)
    [ $# -eq 6 ] || { echo "usage: $0 run TESTS NETFWD PG_DIR MY_DIR STATE_DIR" >&2; exit 2; }
    shift
    cmd_run "$@"
    ;;
  ctl)
    [ $# -ge 3 ] || { echo "usage: $0 ctl STATE_DIR down|up|loss PCT" >&2; exit 2; }
    shift
    cmd_ctl "$@"
    ;;
  *)
    echo "usage: $0 run|ctl ..." >&2
    exit 2
    ;;
esac
