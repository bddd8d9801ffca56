#!/usr/bin/env bash
# A throwaway MariaDB server for the test suite, run by ctest fixtures.
#
#   tests/mariadb_server.sh start DIR    fresh datadir in DIR/data, random free port
#   tests/mariadb_server.sh stop DIR     stop it and remove its data (ok if not running)
#   tests/mariadb_server.sh restart DIR  stop and start it again: same port,
#                                        socket and data (connections are cut;
#                                        also starts a killed one)
#   tests/mariadb_server.sh kill DIR     crash it (SIGKILL); the data stays
#   tests/mariadb_server.sh url DIR      print the TCP URL
#   tests/mariadb_server.sh check DIR    SELECT 1 over the socket, over TCP and
#                                        over TCP with TLS
#
# DIR is a folder in the build tree (e.g. build/tests/mysql). After `start`
# it holds:
#   env          shell-sourceable AIODB_TEST_MYSQL_TCP_URL,
#                AIODB_TEST_MYSQL_SOCKET_URL, PORT, SOCKET, DATADIR, TLS_CA
#                (TLS_CA empty when there is no TLS)
#   tcp_url      mysql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb
#   socket_url   mysql://aiodb:aiodb-test-pw@localhost/aiodb?unix_socket=SOCKET
#   root_socket  the socket's path (root@localhost, no password, socket only)
#   tls_ca       the path of the CA certificate (only when TLS is set up)
#   tls/         ca.pem, ca-key.pem, server-cert.pem, server-key.pem
#   server.log   the server's error log
# The user `aiodb` (password `aiodb-test-pw`, ALL PRIVILEGES on *.*) exists
# as aiodb@localhost (the socket) and aiodb@127.0.0.1 (TCP); database
# `aiodb` is utf8mb4. The server listens on 127.0.0.1 only. When openssl is
# there, it also speaks TLS with a certificate for 127.0.0.1 and localhost
# signed by the throwaway CA in tls/ca.pem.
#
# Debian's own server (its config in /etc/mysql, /var/lib/mysql, port 3306)
# is never used nor touched: every server and client call gets --no-defaults.
# As root, the server runs as the `mysql` system user that Debian's
# mariadb-server package creates; otherwise as yourself. Missing packages
# (mariadb-server, mariadb-client, openssl) are installed with apt-get when
# root or password-less sudo allows it.
# A server that cannot be started exits 77 (ctest: skipped), or 1 when
# CI=true, where a missing server is a failure.
# Binaries: $AIODB_MARIADB_BINDIR first, else /usr/sbin, /usr/bin, PATH.
# shellcheck disable=SC2128,SC2178 # PORT and PID are scalars here, not
# tests/cluster_common.sh's node arrays
set -euo pipefail

SERVER_TAG=mariadb_server
SERVER_SYSTEM_USER=mysql
# shellcheck source=tests/server_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/cluster_common.sh"
SCRIPT_DIR=$(cd -- "$(dirname -- "$0")" && pwd -P)

# Installs Debian packages the way scripts/deps.sh does (apt-get, as root or
# through sudo), after any apt/dpkg run in progress. Output goes to
# DIR/apt.log.
install_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "mariadb_server: no apt-get to install $*" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true >/dev/null 2>&1; then
    echo "mariadb_server: cannot install $* (not root, and sudo needs a password)" >&2
    return 1
  fi
  if [ ! -f "$SCRIPT_DIR/../scripts/deps.sh" ]; then
    echo "mariadb_server: $SCRIPT_DIR/../scripts/deps.sh not found" >&2
    return 1
  fi
  # shellcheck disable=SC1091
  . "$SCRIPT_DIR/../scripts/deps.sh"
  local i
  for i in $(seq 1 600); do
    pgrep -x 'apt|apt-get|aptitude|dpkg|unattended-upgr' >/dev/null 2>&1 || break
    [ "$i" -ne 1 ] || echo "mariadb_server: waiting for apt/dpkg running elsewhere to finish"
    sleep 1
  done
  echo "mariadb_server: installing $* (log: $DIR/apt.log)"
  if ! aiodb_need_packages "$@" >"$DIR/apt.log" 2>&1; then
    tail -n 20 "$DIR/apt.log" >&2 || true
    return 1
  fi
}

# Stops our server if it runs: a clean shutdown through the socket, then
# SIGTERM, then SIGKILL.
stop_server() {
  my_stop "$DATADIR" "$PIDFILE" "${PID:-}" "$SOCKET"
}

# Saves what stop and restart need.
write_state() {
  state_vars DATADIR SOCKDIR SOCKET LOGFILE PIDFILE TMPDIR_SERVER TLSDIR TMPDIRS SERVER_USER \
    MARIADBD PORT PID >"$DIR/state"
}

# Starts mariadbd in the background, detached, and sets PID.
launch_server() {
  local args=(--no-defaults) opts MY_PID
  mapfile -t opts < <(my_options "$DATADIR" "$SOCKET" "$PORT" "$PIDFILE" "$LOGFILE" \
    "$TMPDIR_SERVER")
  args+=("${opts[@]/#/--}")
  if [ -n "$TLSDIR" ]; then
    args+=("--ssl-ca=$TLSDIR/ca.pem" "--ssl-cert=$TLSDIR/server-cert.pem"
      "--ssl-key=$TLSDIR/server-key.pem")
  fi
  my_spawn "$LOGFILE" "${args[@]}"
  PID=$MY_PID
}

cmd_stop() {
  local DATADIR="" SOCKDIR="" SOCKET="" LOGFILE="" PIDFILE="" TMPDIR_SERVER="" TLSDIR=""
  local TMPDIRS="" SERVER_USER="" MARIADBD="" PORT="" PID=""
  local INSTALL_DB CLIENT ADMIN
  read_state
  [ -n "$DATADIR" ] || DATADIR="$DIR/data"
  [ -n "$PIDFILE" ] || PIDFILE="$DIR/mariadbd.pid"
  [ -n "$SOCKET" ] || SOCKET="$DIR/sock/mysqld.sock"
  my_find_bins || true

  stop_server || true

  keep_log "$LOGFILE" "$DIR/server.log"
  rm -rf -- "$DIR/data" "$DIR/sock" "$DIR/tls" "$DIR/tmp"
  rm_tmpdirs "$TMPDIRS" aiodb-my
  rm -f -- "$DIR/env" "$DIR/tcp_url" "$DIR/socket_url" "$DIR/root_socket" "$DIR/tls_ca" \
    "$DIR/mariadbd.pid" "$DIR/install.log" "$DIR/state"
  return 0
}

cmd_start() {
  local MARIADBD INSTALL_DB CLIENT ADMIN SERVER_USER WORK DATADIR SOCKDIR SOCKET LOGFILE
  local PIDFILE TMPDIR_SERVER TLSDIR="" TMPDIRS="" PORT="" PID="" attempt t0
  t0=$(date +%s.%N)

  if ! my_find_bins; then
    install_packages mariadb-server mariadb-client || true
    my_need_bins
  fi
  if ! command -v openssl >/dev/null 2>&1; then
    install_packages openssl || echo "mariadb_server: no openssl: no TLS" >&2
  fi
  if ! server_user; then
    unavailable "running as root but there is no 'mysql' user to run the server as"
  fi

  # Whatever ran here before goes first.
  cmd_stop
  rm -f -- "$DIR/server.log" "$DIR/apt.log"

  cluster_workdir aiodb-my
  DATADIR="$WORK/data"
  LOGFILE="$WORK/server.log"
  PIDFILE="$WORK/mariadbd.pid"
  TMPDIR_SERVER="$WORK/tmp"
  # The socket is SOCKDIR/mysqld.sock.
  SOCKDIR=$(socket_dir "$WORK/sock" aiodb-my 12)
  [ "$SOCKDIR" = "$WORK/sock" ] || TMPDIRS="$TMPDIRS $SOCKDIR"
  SOCKET="$SOCKDIR/mysqld.sock"
  server_mkdir "$TMPDIR_SERVER"
  chmod 0700 "$TMPDIR_SERVER"
  my_new_log "$LOGFILE"
  link_log "$LOGFILE" "$DIR/server.log"
  write_state

  if command -v openssl >/dev/null 2>&1; then
    if make_tls "$WORK/tls"; then
      TLSDIR="$WORK/tls"
      [ "$WORK" = "$DIR" ] || ln -sfn -- "$TLSDIR" "$DIR/tls"
    else
      rm -rf -- "$WORK/tls"
      echo "mariadb_server: making the TLS certificates failed: no TLS" >&2
    fi
  fi
  write_state

  if ! my_install_db "$DATADIR" "$TMPDIR_SERVER" "$WORK/install.log"; then
    cat "$WORK/install.log" >&2
    cmd_stop
    unavailable "mariadb-install-db failed"
  fi
  rm -f -- "$WORK/install.log"

  local started=""
  for attempt in 1 2 3 4 5; do
    if ! PORT=$(random_port); then
      echo "mariadb_server: no free port found" >&2
      continue
    fi
    echo "mariadb_server: starting on 127.0.0.1:$PORT, socket $SOCKET (attempt $attempt)"
    launch_server
    write_state
    if my_wait_ping "$SOCKET" 600 "$PID"; then
      started=1
      break
    fi
    echo "mariadb_server: start on port $PORT failed; log tail:" >&2
    tail -n 15 "$LOGFILE" >&2 || true
    # A half-started server must not hold the port or the data dir.
    stop_server || true
  done
  if [ -z "$started" ]; then
    cmd_stop
    unavailable "the server did not start (log: $DIR/server.log)"
  fi

  # root only through the socket; the aiodb user and database.
  if ! my_setup_sql | my_root_sql "$SOCKET"; then
    echo "mariadb_server: setting up user and database failed; log tail:" >&2
    tail -n 30 "$LOGFILE" >&2 || true
    cmd_stop
    unavailable "the server did not accept the setup"
  fi

  local tls_ca=""
  if [ -n "$TLSDIR" ]; then
    if [ "$(my_root_sql "$SOCKET" -e "SELECT @@have_ssl" 2>/dev/null || true)" = YES ]; then
      tls_ca="$TLSDIR/ca.pem"
    else
      tls_broken "the server did not enable TLS" enabled
    fi
  fi

  local tcp_url socket_url
  my_node_files "$DIR" "$PORT" "$SOCKET" "$DATADIR" "$tls_ca"
  tcp_url=$(cat "$DIR/tcp_url")
  socket_url=$(cat "$DIR/socket_url")
  echo "mariadb_server: ready: ${tcp_url/:$TEST_PASSWORD@/:***@}"
  echo "mariadb_server:        ${socket_url/:$TEST_PASSWORD@/:***@}"
  [ -z "$tls_ca" ] || echo "mariadb_server:        TLS, CA $tls_ca"
  echo "mariadb_server: started in $(elapsed "$t0") s"
}

cmd_url() {
  if [ ! -f "$DIR/tcp_url" ]; then
    echo "mariadb_server: no server running for $DIR" >&2
    exit 1
  fi
  cat "$DIR/tcp_url"
}

# Restarts the running server in place: same data, port and socket, every
# connection cut (for tests of a server that goes away mid-query).
cmd_restart() {
  local DATADIR="" SOCKDIR="" SOCKET="" LOGFILE="" PIDFILE="" TMPDIR_SERVER="" TLSDIR=""
  local TMPDIRS="" SERVER_USER="" MARIADBD="" PORT="" PID="" INSTALL_DB CLIENT ADMIN i
  if [ ! -f "$DIR/state" ] || [ ! -f "$DIR/tcp_url" ]; then
    echo "mariadb_server: no server running for $DIR" >&2
    exit 1
  fi
  read_state
  my_find_bins || true
  [ -n "$ADMIN" ] || { echo "mariadb_server: mariadb-admin not found" >&2; exit 1; }
  stop_server || exit 1
  # The port was ours a moment ago; should another process take it meanwhile,
  # retry for a few seconds.
  for i in 1 2 3 4 5; do
    launch_server
    write_state
    if my_wait_ping "$SOCKET" 600 "$PID"; then
      echo "mariadb_server: restarted"
      return 0
    fi
    stop_server || true
    sleep 1
    : "$i"
  done
  echo "mariadb_server: restart failed; log tail:" >&2
  tail -n 15 "$LOGFILE" >&2 || true
  exit 1
}

# Kills the running server the way a crash would (SIGKILL), keeping its
# data; `restart` starts it again (InnoDB recovers from its log).
cmd_kill() {
  local DATADIR="" SOCKDIR="" SOCKET="" LOGFILE="" PIDFILE="" TMPDIR_SERVER="" TLSDIR=""
  local TMPDIRS="" SERVER_USER="" MARIADBD="" PORT="" PID="" pid
  if [ ! -f "$DIR/state" ]; then
    echo "mariadb_server: no server running for $DIR" >&2
    exit 1
  fi
  read_state
  pid=$(my_live "$DATADIR" "$PIDFILE" "$PID") || { echo "mariadb_server: not running" >&2; exit 1; }
  kill -KILL "$pid"
  wait_gone "$pid" 100 || { echo "mariadb_server: mariadbd $pid still running" >&2; exit 1; }
  echo "mariadb_server: killed"
}

# Proves the server works: SELECT 1 over the socket and over TCP with the
# password, a wrong or no password is refused, and TLS over TCP when set up.
cmd_check() {
  if [ ! -f "$DIR/tcp_url" ] || [ ! -f "$DIR/env" ]; then
    unavailable "no server running for $DIR (mysql_start skipped or failed)"
  fi
  local MARIADBD INSTALL_DB CLIENT ADMIN PORT SOCKET DATADIR TLS_CA
  # shellcheck disable=SC2034 # set by env
  local AIODB_TEST_MYSQL_TCP_URL AIODB_TEST_MYSQL_SOCKET_URL out
  # shellcheck disable=SC1091
  . "$DIR/env"
  CLIENT=$(my_find_bin mariadb mysql) || { echo "mariadb_server: no mariadb client" >&2; exit 1; }
  local base=("$CLIENT" --no-defaults --batch --skip-column-names --connect-timeout=10)
  local tcp=(--protocol=TCP -h 127.0.0.1 -P "$PORT" -u "$TEST_USER_NAME")

  out=$(MYSQL_PWD="$TEST_PASSWORD" "${base[@]}" --protocol=SOCKET --socket="$SOCKET" \
    -u "$TEST_USER_NAME" "$TEST_DB" -e 'SELECT 1') || { echo "socket: connection failed" >&2; exit 1; }
  [ "$out" = 1 ] || { echo "socket: unexpected result '$out'" >&2; exit 1; }
  echo "socket ($SOCKET) as $TEST_USER_NAME: SELECT 1 -> $out"

  out=$("${base[@]}" --protocol=SOCKET --socket="$SOCKET" -u root -e 'SELECT 1') \
    || { echo "socket as root: connection failed" >&2; exit 1; }
  [ "$out" = 1 ] || { echo "socket as root: unexpected result '$out'" >&2; exit 1; }
  echo "socket ($SOCKET) as root: SELECT 1 -> $out"

  out=$(MYSQL_PWD="$TEST_PASSWORD" "${base[@]}" "${tcp[@]}" --skip-ssl "$TEST_DB" -e 'SELECT 1') \
    || { echo "tcp: connection failed" >&2; exit 1; }
  [ "$out" = 1 ] || { echo "tcp: unexpected result '$out'" >&2; exit 1; }
  echo "tcp (127.0.0.1:$PORT) as $TEST_USER_NAME: SELECT 1 -> $out"

  if MYSQL_PWD=wrong-pw "${base[@]}" "${tcp[@]}" --skip-ssl "$TEST_DB" -e 'SELECT 1' >/dev/null 2>&1; then
    echo "tcp with a wrong password was accepted; it must be refused" >&2
    exit 1
  fi
  echo "tcp with a wrong password: refused, as it should be"
  if "${base[@]}" "${tcp[@]}" --skip-ssl "$TEST_DB" -e 'SELECT 1' >/dev/null 2>&1; then
    echo "tcp without a password was accepted; it must be refused" >&2
    exit 1
  fi
  echo "tcp without a password: refused"
  if "${base[@]}" --protocol=TCP -h 127.0.0.1 -P "$PORT" -u root --skip-ssl \
    -e 'SELECT 1' >/dev/null 2>&1; then
    echo "tcp as root without a password was accepted; it must be refused" >&2
    exit 1
  fi
  echo "tcp as root: refused"

  if [ -n "${TLS_CA:-}" ]; then
    out=$(MYSQL_PWD="$TEST_PASSWORD" "${base[@]}" "${tcp[@]}" --ssl --ssl-ca="$TLS_CA" \
      --ssl-verify-server-cert "$TEST_DB" -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'") \
      || { echo "tls: connection failed" >&2; exit 1; }
    out=$(printf '%s\n' "$out" | awk -F '\t' '$1 == "Ssl_cipher" { print $2 }')
    [ -n "$out" ] || { echo "tls: connected but Ssl_cipher is empty" >&2; exit 1; }
    echo "tls (127.0.0.1:$PORT, CA $TLS_CA, server cert verified): cipher $out"
  else
    echo "tls: not set up (no openssl), not checked"
  fi
}

server_main "$@"
