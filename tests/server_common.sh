# shellcheck shell=bash
# Sourced by the scripts in tests/ that start throwaway test servers and
# clusters: what such a script needs whatever the server. The sourcing
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

# Sets DIR: folder $1, made if missing, as an absolute path.
set_dir() {
  mkdir -p -- "$1"
  # shellcheck disable=SC2034 # read by the sourcing script
  DIR=$(cd -- "$1" && pwd -P)
}

# The command line: ACTION DIR. Sets DIR (absolute, created) and runs the
# script's cmd_ACTION.
server_main() {
  [ $# -eq 2 ] || usage
  set_dir "$2"
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

# Prints the named variables as shell code that sets them again (for
# DIR/state).
state_vars() {
  local v
  for v in "$@"; do
    echo "$v=$(shq "${!v}")"
  done
}

# Reads DIR/state, if there is one, into the caller's variables. Its
# SERVER_USER is dropped when not root (nobody to switch to then).
read_state() {
  if [ -f "$DIR/state" ]; then
    # shellcheck disable=SC1091
    . "$DIR/state"
  fi
  if [ -n "$SERVER_USER" ] && [ "$(id -u)" -ne 0 ]; then
    SERVER_USER=""
  fi
}

# Copies log $1 to $2 when it was written elsewhere, so that it stays
# beside the other files once its folder is gone.
keep_log() {
  if [ -n "$1" ] && [ "$1" != "$2" ] && [ -f "$1" ]; then
    rm -f -- "$2"
    cp -f -- "$1" "$2" 2>/dev/null || true
  fi
}

# Links log $1 as $2 when it is written elsewhere.
link_log() {
  [ "$1" = "$2" ] || ln -sfn -- "$1" "$2"
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

# Writes a server's folder $1: tcp_url ($4), socket_url ($5), tls_ca ($6)
# when TLS works, and env, shell code that sets AIODB_TEST_$2_TCP_URL,
# AIODB_TEST_$2_SOCKET_URL, PORT ($3), the NAME=VALUE pairs that follow, and
# TLS_CA.
server_files() {
  local d="$1" tag="$2" port="$3" tcp="$4" unix="$5" ca="$6" kv
  shift 6
  mkdir -p -- "$d"
  printf '%s\n' "$tcp" >"$d/tcp_url"
  printf '%s\n' "$unix" >"$d/socket_url"
  [ -z "$ca" ] || printf '%s\n' "$ca" >"$d/tls_ca"
  {
    echo "AIODB_TEST_${tag}_TCP_URL=$(shq "$tcp")"
    echo "AIODB_TEST_${tag}_SOCKET_URL=$(shq "$unix")"
    echo "PORT=$port"
    for kv in "$@"; do
      echo "${kv%%=*}=$(shq "${kv#*=}")"
    done
    echo "TLS_CA=$(shq "$ca")"
  } >"$d/env"
}
