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
set -euo pipefail

SERVER_TAG=mariadb_server
SERVER_SYSTEM_USER=mysql
# shellcheck source=tests/server_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/server_common.sh"
SCRIPT_DIR=$(cd -- "$(dirname -- "$0")" && pwd -P)
# The client programs read these; root's password-less login must not get
# a password from the caller's environment.
unset MYSQL_PWD MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_HISTFILE

# The first of the named programs found.
find_bin() {
  local n d
  for n in "$@"; do
    for d in ${AIODB_MARIADB_BINDIR:+"$AIODB_MARIADB_BINDIR"} /usr/sbin /usr/bin \
      /usr/local/sbin /usr/local/bin /usr/local/mysql/bin; do
      if [ -x "$d/$n" ]; then
        echo "$d/$n"
        return 0
      fi
    done
    if command -v "$n" >/dev/null 2>&1; then
      command -v "$n"
      return 0
    fi
  done
  return 1
}

# Sets MARIADBD, INSTALL_DB, CLIENT, ADMIN (empty when not found); false if
# any is missing.
find_bins() {
  MARIADBD=$(find_bin mariadbd mysqld || true)
  INSTALL_DB=$(find_bin mariadb-install-db mysql_install_db || true)
  CLIENT=$(find_bin mariadb mysql || true)
  ADMIN=$(find_bin mariadb-admin mysqladmin || true)
  [ -n "$MARIADBD" ] && [ -n "$INSTALL_DB" ] && [ -n "$CLIENT" ] && [ -n "$ADMIN" ]
}

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

# The pid of our server (from its pid file, else the one we started) if it
# is alive, is a mariadbd and serves our DATADIR; never another server.
live_server() {
  local cand cmdline
  for cand in "$(head -n1 "$PIDFILE" 2>/dev/null || true)" "${PID:-}"; do
    case "$cand" in '' | *[!0-9]*) continue ;; esac
    alive "$cand" || continue
    case "$(cat "/proc/$cand/comm" 2>/dev/null || true)" in
      mariadbd* | mysqld*) ;;
      *) continue ;;
    esac
    cmdline=$(tr '\0' '\n' <"/proc/$cand/cmdline" 2>/dev/null) || continue
    grep -qxF -- "--datadir=$DATADIR" <<<"$cmdline" || continue
    echo "$cand"
    return 0
  done
  return 1
}

# Stops our server if it runs: a clean shutdown through the socket, then
# SIGTERM, then SIGKILL.
stop_server() {
  local pid
  pid=$(live_server) || return 0
  local to=() asked=""
  command -v timeout >/dev/null 2>&1 && to=(timeout 30)
  if [ -n "$ADMIN" ] && [ -S "$SOCKET" ] && "${to[@]}" "$ADMIN" --no-defaults \
    --socket="$SOCKET" -uroot --connect-timeout=5 shutdown >/dev/null 2>&1; then
    asked=1
  fi
  # SIGTERM is a clean shutdown too.
  [ -n "$asked" ] && wait_gone "$pid" 100 || kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 300 || kill -KILL "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 50; then
    echo "mariadb_server: mariadbd $pid still running" >&2
    return 1
  fi
}

# Removes a folder only if it is one of ours in /tmp.
rm_tmpdir() {
  case "$1" in
    /tmp/aiodb-my.*) rm -rf -- "$1" ;;
    *) ;;
  esac
}

# Saves what stop and restart need.
write_state() {
  {
    echo "DATADIR=$(shq "$DATADIR")"
    echo "SOCKDIR=$(shq "$SOCKDIR")"
    echo "SOCKET=$(shq "$SOCKET")"
    echo "LOGFILE=$(shq "$LOGFILE")"
    echo "PIDFILE=$(shq "$PIDFILE")"
    echo "TMPDIR_SERVER=$(shq "$TMPDIR_SERVER")"
    echo "TLSDIR=$(shq "$TLSDIR")"
    echo "TMPDIRS=$(shq "$TMPDIRS")"
    echo "SERVER_USER=$(shq "$SERVER_USER")"
    echo "MARIADBD=$(shq "$MARIADBD")"
    echo "PORT=$(shq "$PORT")"
    echo "PID=$(shq "$PID")"
  } >"$DIR/state"
}

# Starts mariadbd in the background, detached, and sets PID.
launch_server() {
  local args=(--no-defaults)
  [ -z "$SERVER_USER" ] || args+=("--user=$SERVER_USER")
  args+=(
    "--datadir=$DATADIR"
    "--socket=$SOCKET"
    "--port=$PORT"
    --bind-address=127.0.0.1
    --skip-name-resolve
    "--pid-file=$PIDFILE"
    "--log-error=$LOGFILE"
    "--tmpdir=$TMPDIR_SERVER"
    --character-set-server=utf8mb4
    --collation-server=utf8mb4_general_ci
    --max-connections=200
    --max-allowed-packet=64M
    --performance-schema=OFF
    --key-buffer-size=8M
    --innodb-buffer-pool-size=32M
    --innodb-log-file-size=8M
    --innodb-log-buffer-size=4M
    --innodb-use-native-aio=0
    --innodb-flush-log-at-trx-commit=2
    --innodb-doublewrite=0
  )
  if [ -n "$TLSDIR" ]; then
    args+=("--ssl-ca=$TLSDIR/ca.pem" "--ssl-cert=$TLSDIR/server-cert.pem"
      "--ssl-key=$TLSDIR/server-key.pem")
  fi
  local ss=()
  command -v setsid >/dev/null 2>&1 && ss=(setsid)
  # Not a process group leader, so setsid execs: PID is mariadbd itself.
  (cd / && exec "${ss[@]}" "$MARIADBD" "${args[@]}" </dev/null >>"$LOGFILE" 2>&1) &
  PID=$!
}

# True once the server answers on its socket (up to $1 tenths of a second);
# false at once if it exits.
wait_ready() {
  local n="$1" i
  for i in $(seq 1 "$n"); do
    if "$ADMIN" --no-defaults --socket="$SOCKET" -uroot --connect-timeout=2 \
      ping >/dev/null 2>&1; then
      return 0
    fi
    alive "$PID" || return 1
    sleep 0.1
    : "$i"
  done
  return 1
}

# As root through the socket; SQL on stdin.
root_sql() {
  "$CLIENT" --no-defaults --socket="$SOCKET" -uroot --batch --skip-column-names "$@"
}

cmd_stop() {
  local DATADIR="" SOCKDIR="" SOCKET="" LOGFILE="" PIDFILE="" TMPDIR_SERVER="" TLSDIR=""
  local TMPDIRS="" SERVER_USER="" MARIADBD="" PORT="" PID=""
  local INSTALL_DB CLIENT ADMIN
  if [ -f "$DIR/state" ]; then
    # shellcheck disable=SC1091
    . "$DIR/state"
  fi
  [ -n "$DATADIR" ] || DATADIR="$DIR/data"
  [ -n "$PIDFILE" ] || PIDFILE="$DIR/mariadbd.pid"
  [ -n "$SOCKET" ] || SOCKET="$DIR/sock/mysqld.sock"
  find_bins || true

  stop_server || true

  # Keep the log beside the other files when it was written elsewhere.
  if [ -n "$LOGFILE" ] && [ "$LOGFILE" != "$DIR/server.log" ] && [ -f "$LOGFILE" ]; then
    rm -f -- "$DIR/server.log"
    cp -f -- "$LOGFILE" "$DIR/server.log" 2>/dev/null || true
  fi
  rm -rf -- "$DIR/data" "$DIR/sock" "$DIR/tls" "$DIR/tmp"
  local t
  for t in $TMPDIRS; do rm_tmpdir "$t"; done
  rm -f -- "$DIR/env" "$DIR/tcp_url" "$DIR/socket_url" "$DIR/root_socket" "$DIR/tls_ca" \
    "$DIR/mariadbd.pid" "$DIR/install.log" "$DIR/state"
  return 0
}

cmd_start() {
  local MARIADBD INSTALL_DB CLIENT ADMIN SERVER_USER work DATADIR SOCKDIR SOCKET LOGFILE
  local PIDFILE TMPDIR_SERVER TLSDIR="" TMPDIRS="" PORT="" PID="" attempt t0
  t0=$(date +%s.%N)

  if ! find_bins; then
    install_packages mariadb-server mariadb-client || true
    find_bins || unavailable "MariaDB server/client programs not found (mariadbd," \
      "mariadb-install-db, mariadb, mariadb-admin; install the 'mariadb-server' and" \
      "'mariadb-client' packages, or set AIODB_MARIADB_BINDIR)"
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

  # The server's files live in DIR unless its user cannot reach DIR (e.g. a
  # build folder under a 0700 home) or its path has characters the tools or
  # the URLs would trip over: then in a folder of its own in /tmp.
  work="$DIR"
  case "$DIR" in
    *[!A-Za-z0-9/._+-]*) work="" ;;
  esac
  if [ -n "$work" ] && [ -n "$SERVER_USER" ]; then
    chown "$SERVER_USER:" "$DIR" 2>/dev/null || true
    as_server test -w "$DIR" -a -x "$DIR" || work=""
  fi
  if [ -z "$work" ]; then
    work=$(mktemp -d /tmp/aiodb-my.XXXXXX)
    TMPDIRS="$work"
    chmod 0755 "$work"
    [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$work"
  fi
  DATADIR="$work/data"
  LOGFILE="$work/server.log"
  PIDFILE="$work/mariadbd.pid"
  TMPDIR_SERVER="$work/tmp"
  SOCKDIR="$work/sock"
  SOCKET="$SOCKDIR/mysqld.sock"
  # sun_path holds 107 bytes.
  if [ ${#SOCKET} -gt 100 ]; then
    SOCKDIR=$(mktemp -d /tmp/aiodb-my.XXXXXX)
    SOCKET="$SOCKDIR/mysqld.sock"
    TMPDIRS="$TMPDIRS $SOCKDIR"
  fi
  mkdir -p "$SOCKDIR" "$TMPDIR_SERVER"
  chmod 0755 "$SOCKDIR"
  chmod 0700 "$TMPDIR_SERVER"
  : >"$LOGFILE"
  chmod 0644 "$LOGFILE"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$SOCKDIR" "$TMPDIR_SERVER" "$LOGFILE"
  if [ "$LOGFILE" != "$DIR/server.log" ]; then
    ln -sfn -- "$LOGFILE" "$DIR/server.log"
  fi
  write_state

  if command -v openssl >/dev/null 2>&1; then
    if make_tls "$work/tls"; then
      TLSDIR="$work/tls"
      [ "$work" = "$DIR" ] || ln -sfn -- "$TLSDIR" "$DIR/tls"
    else
      rm -rf -- "$work/tls"
      echo "mariadb_server: making the TLS certificates failed: no TLS" >&2
    fi
  fi
  write_state

  local dbopts=(--innodb-buffer-pool-size=32M --innodb-log-file-size=8M
    --innodb-use-native-aio=0)
  if ! as_server "$INSTALL_DB" --no-defaults "--datadir=$DATADIR" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    "--tmpdir=$TMPDIR_SERVER" "${dbopts[@]}" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    cmd_stop
    unavailable "mariadb-install-db failed"
  fi
  rm -f -- "$work/install.log"

  local started=""
  for attempt in 1 2 3 4 5; do
    if ! PORT=$(random_port); then
      echo "mariadb_server: no free port found" >&2
      continue
    fi
    echo "mariadb_server: starting on 127.0.0.1:$PORT, socket $SOCKET (attempt $attempt)"
    launch_server
    write_state
    if wait_ready 600; then
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
  if ! root_sql <<EOF; then
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
FLUSH PRIVILEGES;
CREATE DATABASE $TEST_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER '$TEST_USER_NAME'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER '$TEST_USER_NAME'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER_NAME'@'127.0.0.1';
EOF
    echo "mariadb_server: setting up user and database failed; log tail:" >&2
    tail -n 30 "$LOGFILE" >&2 || true
    cmd_stop
    unavailable "the server did not accept the setup"
  fi

  local tls_ca=""
  if [ -n "$TLSDIR" ]; then
    if [ "$(root_sql -e "SELECT @@have_ssl" 2>/dev/null || true)" = YES ]; then
      tls_ca="$TLSDIR/ca.pem"
    else
      tls_broken "the server did not enable TLS" enabled
    fi
  fi

  local tcp_url="mysql://$TEST_USER_NAME:$TEST_PASSWORD@127.0.0.1:$PORT/$TEST_DB"
  local socket_url="mysql://$TEST_USER_NAME:$TEST_PASSWORD@localhost/$TEST_DB?unix_socket=$SOCKET"
  write_urls "$tcp_url" "$socket_url" "$tls_ca"
  printf '%s\n' "$SOCKET" >"$DIR/root_socket"
  {
    echo "AIODB_TEST_MYSQL_TCP_URL=$(shq "$tcp_url")"
    echo "AIODB_TEST_MYSQL_SOCKET_URL=$(shq "$socket_url")"
    echo "PORT=$PORT"
    echo "SOCKET=$(shq "$SOCKET")"
    echo "DATADIR=$(shq "$DATADIR")"
    echo "TLS_CA=$(shq "$tls_ca")"
  } >"$DIR/env"
  echo "mariadb_server: ready: ${tcp_url/:$TEST_PASSWORD@/:***@}"
  echo "mariadb_server:        ${socket_url/:$TEST_PASSWORD@/:***@}"
  [ -z "$tls_ca" ] || echo "mariadb_server:        TLS, CA $tls_ca"
  echo "mariadb_server: started in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
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
  # shellcheck disable=SC1091
  . "$DIR/state"
  if [ -n "$SERVER_USER" ] && [ "$(id -u)" -ne 0 ]; then
    SERVER_USER=""
  fi
  find_bins || true
  [ -n "$ADMIN" ] || { echo "mariadb_server: mariadb-admin not found" >&2; exit 1; }
  stop_server || exit 1
  # The port was ours a moment ago; should another process take it meanwhile,
  # retry for a few seconds.
  for i in 1 2 3 4 5; do
    launch_server
    write_state
    if wait_ready 600; then
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
  # shellcheck disable=SC1091
  . "$DIR/state"
  pid=$(live_server) || { echo "mariadb_server: not running" >&2; exit 1; }
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
  CLIENT=$(find_bin mariadb mysql) || { echo "mariadb_server: no mariadb client" >&2; exit 1; }
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
