#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite, run by ctest fixtures.
#
#   tests/pg_server.sh start DIR   fresh cluster in DIR/data, random free port
#   tests/pg_server.sh stop DIR    stop it and remove its data (ok if not running)
#   tests/pg_server.sh url DIR     print the TCP URL
#   tests/pg_server.sh check DIR   SELECT 1 over the socket, over TCP and over
#                                  TCP with TLS
#   tests/pg_server.sh restart DIR same data, port and socket, every
#                                  connection cut (also starts a killed one)
#   tests/pg_server.sh kill DIR    crash it: every server process quits at
#                                  once, the data stays (restart recovers)
#
# DIR is a folder in the build tree (e.g. build/tests/pg). After `start` it
# holds:
#   env         shell-sourceable AIODB_TEST_PG_TCP_URL, AIODB_TEST_PG_SOCKET_URL,
#               PORT, SOCKDIR, PGDATA, TLS_CA (empty when there is no TLS)
#   tcp_url     postgresql://aiodb:aiodb-test-pw@127.0.0.1:PORT/aiodb
#   socket_url  postgresql://aiodb@/aiodb?host=SOCKDIR&port=PORT
#   tls_ca      the path of the CA certificate (only when TLS is set up)
#   tls/        ca.pem, ca-key.pem, server-cert.pem, server-key.pem
#   server.log  the server's log
# The role `aiodb` (superuser, password `aiodb-test-pw`) owns database
# `aiodb`. Unix-socket connections are trusted; TCP (127.0.0.1 only) needs
# the password (scram-sha-256). When openssl is there the server has
# ssl = on, with a certificate for 127.0.0.1 and localhost signed by the
# throwaway CA in tls/ca.pem; TCP clients may use TLS or not (libpq's
# default sslmode=prefer uses it). libpq never encrypts a unix socket.
#
# The server cannot run as root: as root it runs as the `postgres` system
# user that Debian's postgresql package creates; otherwise as yourself.
# A server that cannot be started exits 77 (ctest: skipped), or 1 when
# CI=true, where a missing server is a failure.
# Binaries: $AIODB_PG_BINDIR, else /usr/lib/postgresql/15/bin, else the
# newest /usr/lib/postgresql/*/bin, else `pg_config --bindir`.
set -euo pipefail

SERVER_TAG=pg_server
SERVER_SYSTEM_USER=postgres
# shellcheck source=tests/server_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/server_common.sh"
# shellcheck source=tests/cluster_common.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/cluster_common.sh"

cmd_stop() {
  local PGDATA="" SOCKDIR="" TMPDIRS="" LOGFILE="" SERVER_USER="" BINDIR=""
  read_state
  [ -n "$PGDATA" ] || PGDATA="$DIR/data"
  [ -n "$BINDIR" ] || BINDIR=$(pg_find_bindir)
  pg_stop_data "$PGDATA" fast || true
  keep_log "$LOGFILE" "$DIR/server.log"
  rm -rf -- "$DIR/data" "$DIR/sock" "$DIR/tls"
  rm_tmpdirs "$TMPDIRS" aiodb-pg
  rm -f -- "$DIR/env" "$DIR/tcp_url" "$DIR/socket_url" "$DIR/tls_ca" "$DIR/state"
  return 0
}

cmd_start() {
  local BINDIR SERVER_USER work PGDATA SOCKDIR LOGFILE TMPDIRS="" TLSDIR="" port attempt

  BINDIR=$(pg_find_bindir)
  if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/postgres" ] || [ ! -x "$BINDIR/initdb" ] \
    || [ ! -x "$BINDIR/pg_ctl" ]; then
    unavailable "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin;" \
      "install the 'postgresql' package, or set AIODB_PG_BINDIR)"
  fi
  local psql="$BINDIR/psql" isready="$BINDIR/pg_isready"
  [ -x "$psql" ] || psql=$(command -v psql || true)
  [ -x "$isready" ] || isready=$(command -v pg_isready || true)
  [ -n "$psql" ] || unavailable "psql not found"
  if ! server_user; then
    unavailable "running as root but there is no 'postgres' user to run the server as"
  fi

  # Whatever ran here before goes first.
  cmd_stop
  rm -f -- "$DIR/server.log"

  # The server's files live in DIR unless its user cannot reach DIR (e.g. a
  # build folder under a 0700 home): then in a folder of its own in /tmp.
  work="$DIR"
  if [ -n "$SERVER_USER" ]; then
    chown "$SERVER_USER:" "$DIR"
    if ! as_server test -w "$DIR" -a -x "$DIR"; then
      work=$(mktemp -d /tmp/aiodb-pg.XXXXXX)
      TMPDIRS="$work"
      chown "$SERVER_USER:" "$work"
    fi
  fi
  PGDATA="$work/data"
  LOGFILE="$work/server.log"
  # The socket is SOCKDIR/.s.PGSQL.NNNNN.
  SOCKDIR=$(socket_dir "$work/sock" aiodb-pg 16)
  [ "$SOCKDIR" = "$work/sock" ] || TMPDIRS="$TMPDIRS $SOCKDIR"
  case "$PGDATA$SOCKDIR" in
    *\'* | *\\*) unavailable "paths with quotes or backslashes are not supported: $PGDATA" ;;
  esac

  state_vars PGDATA SOCKDIR LOGFILE TMPDIRS SERVER_USER BINDIR >"$DIR/state"

  pg_initdb "$PGDATA" "$work/pwfile" "$LOGFILE.initdb" || unavailable "initdb failed"

  cat >"$PGDATA/pg_hba.conf" <<'EOF'
# aiodb tests: the socket is trusted, TCP needs the password.
local all all                trust
host  all all 127.0.0.1/32   scram-sha-256
EOF
  cat >>"$PGDATA/postgresql.conf" <<EOF

# ---- aiodb test server ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKDIR'
unix_socket_permissions = 0777
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
include 'aiodb_port.conf'
EOF
  if ! command -v openssl >/dev/null 2>&1; then
    echo "pg_server: no openssl: no TLS" >&2
  elif make_tls "$work/tls"; then
    TLSDIR="$work/tls"
    [ "$work" = "$DIR" ] || ln -sfn -- "$TLSDIR" "$DIR/tls"
    cat >>"$PGDATA/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$TLSDIR/server-cert.pem'
ssl_key_file = '$TLSDIR/server-key.pem'
EOF
  else
    rm -rf -- "$work/tls"
    echo "pg_server: making the TLS certificates failed: no TLS" >&2
  fi
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$PGDATA/pg_hba.conf" "$PGDATA/postgresql.conf"

  local started=""
  for attempt in 1 2 3 4 5; do
    if ! port=$(random_port); then
      echo "pg_server: no free port found" >&2
      continue
    fi
    echo "port = $port" >"$PGDATA/aiodb_port.conf"
    [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$PGDATA/aiodb_port.conf"
    echo "pg_server: starting on 127.0.0.1:$port, socket in $SOCKDIR (attempt $attempt)"
    if as_server "$BINDIR/pg_ctl" start -D "$PGDATA" -l "$LOGFILE" -w -t 60 >/dev/null 2>&1; then
      started=1
      break
    fi
    echo "pg_server: start on port $port failed; log tail:" >&2
    tail -n 15 "$LOGFILE" >&2 || true
    # A half-started server must not hold the port or the data dir.
    local pid
    if pid=$(pg_live_postmaster "$PGDATA"); then
      as_server "$BINDIR/pg_ctl" stop -D "$PGDATA" -m immediate -w -t 20 >/dev/null 2>&1 \
        || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ -z "$started" ]; then
    cmd_stop
    unavailable "the server did not start (log: $DIR/server.log)"
  fi

  # Accepting connections over both the socket and TCP.
  local ok="" i
  for i in $(seq 1 100); do
    if [ -n "$isready" ]; then
      if "$isready" -q -h "$SOCKDIR" -p "$port" && "$isready" -q -h 127.0.0.1 -p "$port"; then
        ok=1
        break
      fi
    elif PGPASSFILE="$DIR/.no-pgpass" "$psql" -X -q -w -h "$SOCKDIR" -p "$port" -U "$TEST_USER_NAME" \
      -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
      ok=1
      break
    fi
    sleep 0.1
    : "$i"
  done
  if [ -z "$ok" ] || ! PGPASSFILE="$DIR/.no-pgpass" "$psql" -X -q -w -v ON_ERROR_STOP=1 \
    -h "$SOCKDIR" -p "$port" -U "$TEST_USER_NAME" -d postgres \
    -c "CREATE DATABASE $TEST_DB OWNER $TEST_USER_NAME" >/dev/null; then
    echo "pg_server: server not accepting connections; log tail:" >&2
    tail -n 30 "$LOGFILE" >&2 || true
    cmd_stop
    unavailable "the server did not accept connections"
  fi
  link_log "$LOGFILE" "$DIR/server.log"

  # TLS in use over TCP, the certificate verified against the CA.
  local tls_ca="" out
  if [ -n "$TLSDIR" ]; then
    out=$(PGPASSFILE="$DIR/.no-pgpass" PGPASSWORD="$TEST_PASSWORD" "$psql" -X -q -w -At \
      "host=127.0.0.1 port=$port user=$TEST_USER_NAME dbname=$TEST_DB sslmode=verify-full sslrootcert='$TLSDIR/ca.pem'" \
      -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1 || true)
    if [ "$out" = t ]; then
      tls_ca="$TLSDIR/ca.pem"
    else
      tls_broken "TLS does not work: $out" working
    fi
  fi

  local tcp_url socket_url
  pg_node_files "$DIR" "$port" "$SOCKDIR" "$PGDATA" "$tls_ca"
  tcp_url=$(cat "$DIR/tcp_url")
  socket_url=$(cat "$DIR/socket_url")
  echo "pg_server: ready: ${tcp_url/:$TEST_PASSWORD@/:***@}"
  echo "pg_server:        $socket_url"
  [ -z "$tls_ca" ] || echo "pg_server:        TLS, CA $tls_ca"
}

cmd_url() {
  if [ ! -f "$DIR/tcp_url" ]; then
    echo "pg_server: no server running for $DIR" >&2
    exit 1
  fi
  cat "$DIR/tcp_url"
}

# Restarts the running server in place: same data, port and socket, every
# connection cut (for tests of a server that goes away mid-query).
cmd_restart() {
  local PGDATA="" SOCKDIR="" TMPDIRS="" LOGFILE="" SERVER_USER="" BINDIR="" i
  if [ ! -f "$DIR/state" ] || [ ! -f "$DIR/tcp_url" ]; then
    echo "pg_server: no server running for $DIR" >&2
    exit 1
  fi
  read_state
  local PORT
  PORT=$(sed -n 's/^PORT=//p' "$DIR/env")
  as_server "$BINDIR/pg_ctl" restart -D "$PGDATA" -l "$LOGFILE" -m fast -w -t 60 >/dev/null 2>&1 || {
    echo "pg_server: restart failed; log tail:" >&2
    tail -n 15 "$LOGFILE" >&2 || true
    exit 1
  }
  for i in $(seq 1 100); do
    if "$BINDIR/pg_isready" -q -h "$SOCKDIR" -p "$PORT" 2>/dev/null \
      || pg_isready -q -h "$SOCKDIR" -p "$PORT" 2>/dev/null; then
      echo "pg_server: restarted"
      return 0
    fi
    sleep 0.1
  done
  echo "pg_server: not accepting connections after restart" >&2
  exit 1
}

# Kills the running server the way a crash would, keeping its data: every
# server process quits at once, without a checkpoint or a word to its
# clients beyond a dropped connection (SIGQUIT, pg_ctl's immediate mode).
# `restart` starts it again, recovering from the WAL.
cmd_kill() {
  local PGDATA="" SOCKDIR="" TMPDIRS="" LOGFILE="" SERVER_USER="" BINDIR="" pid
  if [ ! -f "$DIR/state" ]; then
    echo "pg_server: no server running for $DIR" >&2
    exit 1
  fi
  read_state
  pid=$(pg_live_postmaster "$PGDATA") || { echo "pg_server: not running" >&2; exit 1; }
  kill -QUIT "$pid"
  wait_gone "$pid" 100 || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 50 || { echo "pg_server: postmaster $pid still running" >&2; exit 1; }
  echo "pg_server: killed"
}

# Proves the server works: SELECT 1 over the socket (trusted) and over TCP
# (with the password), TCP without the password is refused, and TLS over TCP
# with the server's certificate verified, when set up.
cmd_check() {
  if [ ! -f "$DIR/tcp_url" ] || [ ! -f "$DIR/socket_url" ]; then
    unavailable "no server running for $DIR (pg_start skipped or failed)"
  fi
  local BINDIR psql tcp sock out
  BINDIR=$(pg_find_bindir)
  psql="$BINDIR/psql"
  [ -x "$psql" ] || psql=$(command -v psql)
  tcp=$(cat "$DIR/tcp_url")
  sock=$(cat "$DIR/socket_url")
  export PGPASSFILE="$DIR/.no-pgpass" PGCONNECT_TIMEOUT=10
  unset PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE PGSERVICE

  out=$("$psql" -X -w -At -v ON_ERROR_STOP=1 "$sock" -c 'SELECT 1')
  [ "$out" = 1 ] || { echo "socket: unexpected result '$out'" >&2; exit 1; }
  echo "socket ($sock): SELECT 1 -> $out"

  out=$("$psql" -X -w -At -v ON_ERROR_STOP=1 "$tcp" -c 'SELECT 1')
  [ "$out" = 1 ] || { echo "tcp: unexpected result '$out'" >&2; exit 1; }
  echo "tcp (${tcp/:$TEST_PASSWORD@/:***@}): SELECT 1 -> $out"

  local nopw="${tcp/:$TEST_PASSWORD@/@}"
  if "$psql" -X -w -At "$nopw" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "tcp without password ($nopw) was accepted; it must be refused" >&2
    exit 1
  fi
  echo "tcp without password ($nopw): refused, as it should be"
  if "$psql" -X -w -At "${tcp/:$TEST_PASSWORD@/:wrong-pw@}" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "tcp with a wrong password was accepted" >&2
    exit 1
  fi
  echo "tcp with a wrong password: refused"

  local ca=""
  [ ! -f "$DIR/tls_ca" ] || ca=$(cat "$DIR/tls_ca")
  if [ -n "$ca" ]; then
    out=$("$psql" -X -w -At -v ON_ERROR_STOP=1 "$tcp?sslmode=verify-full&sslrootcert=$ca" \
      -c 'SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl') \
      || { echo "tls: connection failed" >&2; exit 1; }
    [ -n "$out" ] || { echo "tls: connected but not encrypted" >&2; exit 1; }
    echo "tls (verify-full, CA $ca): $out"
    out=$("$psql" -X -w -At -v ON_ERROR_STOP=1 "$tcp?sslmode=disable" \
      -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()') \
      || { echo "tcp with sslmode=disable: connection failed" >&2; exit 1; }
    [ "$out" = f ] || { echo "tcp with sslmode=disable: ssl is '$out'" >&2; exit 1; }
    echo "tcp with sslmode=disable: clear text"
  else
    echo "tls: not set up (no openssl), not checked"
  fi
}

server_main "$@"
