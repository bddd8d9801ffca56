# shellcheck shell=bash
# Sourced by tests/pg_server.sh and tests/mariadb_server.sh: what a
# throwaway test server's script needs whatever the server. The sourcing
# script sets SERVER_TAG (its name in messages) and SERVER_SYSTEM_USER (the
# system user the server runs as when started by root) first.

# The user, password and database every test server has.
# shellcheck disable=SC2034 # used by the scripts that source this one
TEST_USER_NAME=aiodb
TEST_PASSWORD=aiodb-test-pw
TEST_DB=aiodb

is_ci() {
  case "${CI:-}" in
    [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;;
    *) return 1 ;;
  esac
}

# Cannot provide a server: skipped outside CI, failure in CI.
unavailable() {
  echo "$SERVER_TAG: $*" >&2
  if is_ci; then
    echo "$SERVER_TAG: CI=${CI:-} so this is a failure" >&2
    exit 1
  fi
  echo "$SERVER_TAG: skipping (set CI=true to make this a failure)" >&2
  exit 77
}

# One word for a shell, single-quoted.
shq() {
  printf "'%s'" "${1//\'/\'\\\'\'}"
}

# Runs a command as the server's user, from / (the caller's working folder
# may not be readable by that user).
as_server() {
  if [ -z "$SERVER_USER" ]; then
    (cd / && "$@")
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$SERVER_USER" -- "$@")
  elif command -v setpriv >/dev/null 2>&1; then
    (cd / && setpriv --reuid="$SERVER_USER" --regid="$SERVER_USER" --init-groups -- "$@")
  else
    local q="" a
    for a in "$@"; do q+=" $(shq "$a")"; done
    (cd / && su -s /bin/sh "$SERVER_USER" -c "exec$q")
  fi
}

# Sets SERVER_USER: empty when not root (the server runs as the caller),
# else SERVER_SYSTEM_USER, which must exist.
server_user() {
  if [ "$(id -u)" -ne 0 ]; then
    SERVER_USER=""
    return 0
  fi
  SERVER_USER=$SERVER_SYSTEM_USER
  id -u "$SERVER_USER" >/dev/null 2>&1
}

port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    # No ss: let the server's bind decide (start is retried).
    return 1
  fi
}

# A free loopback port from 20000 to 60000, never a fixed one.
random_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40001 ))
    if ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
    : "$i"
  done
  return 1
}

# True while the process exists and is not a zombie waiting to be reaped.
alive() {
  local state
  kill -0 "$1" 2>/dev/null || [ -d "/proc/$1" ] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$state" ] || [ ! -d /proc/self ] || return 1
  [ "$state" != Z ]
}

# True once the process is gone, polling every 0.1 s up to $2 times.
wait_gone() {
  local pid="$1" n="$2" i
  for i in $(seq 1 "$n"); do
    alive "$pid" || return 0
    sleep 0.1
    : "$i"
  done
  return 1
}

# A throwaway CA and a server certificate for 127.0.0.1 and localhost
# (subjectAltName IP:127.0.0.1, DNS:localhost) in folder $1: ca.pem,
# ca-key.pem, server-cert.pem, server-key.pem. The server's key is 0600 and
# owned by SERVER_USER (PostgreSQL refuses a key others can read).
make_tls() {
  local d="$1" cnf
  rm -rf -- "$d"
  mkdir -p "$d"
  chmod 0755 "$d"
  cnf="$d/openssl.cnf"
  cat >"$cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = aiodb test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  # (set -e does not apply here: the subshell is left of ||.)
  (
    cd "$d" && umask 077 \
      && openssl req -config "$cnf" -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
        -subj "/O=aiodb tests/CN=aiodb test CA $(openssl rand -hex 4)" -extensions ca_ext \
        -keyout ca-key.pem -out ca.pem \
      && openssl req -config "$cnf" -new -newkey rsa:2048 -nodes -sha256 \
        -subj "/O=aiodb tests/CN=localhost" -keyout server-key.pem -out server-req.pem \
      && openssl x509 -req -in server-req.pem -CA ca.pem -CAkey ca-key.pem \
        -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
        -extfile "$cnf" -extensions server_ext -out server-cert.pem \
      && openssl verify -CAfile ca.pem server-cert.pem
  ) >"$d/openssl.log" 2>&1 || {
    cat "$d/openssl.log" >&2
    return 1
  }
  rm -f -- "$d/server-req.pem" "$cnf" "$d/openssl.log"
  chmod 0644 "$d/ca.pem" "$d/server-cert.pem"
  chmod 0600 "$d/ca-key.pem" "$d/server-key.pem"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$d/server-key.pem" "$d/server-cert.pem"
}

usage() {
  echo "usage: $0 start|stop|restart|kill|url|check DIR" >&2
  exit 2
}

# The command line: ACTION DIR. Sets DIR (absolute, created) and runs the
# script's cmd_ACTION.
server_main() {
  [ $# -eq 2 ] || usage
  mkdir -p -- "$2"
  # shellcheck disable=SC2034 # read by the sourcing script's cmd_*
  DIR=$(cd -- "$2" && pwd -P)
  case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    kill) cmd_kill ;;
    url) cmd_url ;;
    check) cmd_check ;;
    *) usage ;;
  esac
}

# TLS was set up but does not work ($1 says how): said, with the log's
# tail; in CI, where it must work, the server is stopped and the start
# fails ("TLS set up but not $2"). Uses the caller's LOGFILE and cmd_stop.
tls_broken() {
  echo "$SERVER_TAG: $1; log tail:" >&2
  tail -n 15 "$LOGFILE" >&2 || true
  if is_ci; then
    cmd_stop
    unavailable "TLS set up but not $2"
  fi
}

# Writes the server's URLs ($1 over TCP, $2 over the socket) in DIR, and
# the CA ($3) when TLS works.
write_urls() {
  printf '%s\n' "$1" >"$DIR/tcp_url"
  printf '%s\n' "$2" >"$DIR/socket_url"
  if [ -n "$3" ]; then
    printf '%s\n' "$3" >"$DIR/tls_ca"
  fi
}
