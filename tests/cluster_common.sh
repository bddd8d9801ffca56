# shellcheck shell=bash
# Sourced after tests/server_common.sh by the scripts that start throwaway
# servers and clusters (tests/pg_server.sh, tests/mariadb_server.sh,
# tests/pg_cluster.sh, tests/pgbouncer.sh, tests/mariadb_replica.sh,
# tests/galera.sh): the PostgreSQL and MariaDB helpers they share, and what
# a cluster needs beyond a single server.

# Seconds since $1 (a `date +%s.%N`), one decimal.
elapsed() {
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# PICKED: ports handed out by pick_port in this run, so that one cluster's
# servers never get the same port twice.
PICKED=" "

# Sets variable $1 to a free loopback port not handed out before in this
# run (not in a subshell: PICKED must keep it).
pick_port() {
  local p n=0
  while [ "$n" -lt 20 ]; do
    n=$((n + 1))
    p=$(random_port) || return 1
    case "$PICKED" in
      *" $p "*) continue ;;
    esac
    PICKED="$PICKED$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
  return 1
}

# Sets WORK: where the servers' files live. DIR itself unless the server's
# user cannot reach it (e.g. a build folder under a 0700 home) or its path
# has characters the tools or the URLs would trip over: then a folder of its
# own in /tmp (named $1.XXXXXX), added to TMPDIRS.
cluster_workdir() {
  WORK="$DIR"
  case "$DIR" in
    *[!A-Za-z0-9/._+-]*) WORK="" ;;
  esac
  if [ -n "$WORK" ] && [ -n "$SERVER_USER" ]; then
    chown "$SERVER_USER:" "$DIR" 2>/dev/null || true
    as_server test -w "$DIR" -a -x "$DIR" || WORK=""
  fi
  if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    TMPDIRS="$TMPDIRS $WORK"
    chmod 0755 "$WORK"
    [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$WORK"
  fi
}

# A folder for unix sockets at $1, or in /tmp (named $2.XXXXXX; the caller
# adds it to TMPDIRS, as this runs in a subshell) when $1 is too long for a
# socket's path (sun_path holds 107 bytes; the longest name put there, with
# its slash, is $3 bytes, 20 unless given). Printed; made 0755 and owned by
# SERVER_USER.
socket_dir() {
  local d="$1"
  if [ $(( ${#d} + ${3:-20} )) -gt 100 ]; then
    d=$(mktemp -d "/tmp/$2.XXXXXX")
  else
    mkdir -p -- "$d"
  fi
  chmod 0755 "$d"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$d"
  echo "$d"
}

# Removes the folders in $1 that are ours in /tmp (prefix $2).
rm_tmpdirs() {
  local t
  for t in $1; do
    case "$t" in
      "/tmp/$2".*) rm -rf -- "$t" ;;
      *) ;;
    esac
  done
}

# Makes folders owned by SERVER_USER.
server_mkdir() {
  mkdir -p -- "$@"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$@"
}

# ---- PostgreSQL ----

# PostgreSQL's programs: $AIODB_PG_BINDIR, else /usr/lib/postgresql/15/bin,
# else the newest /usr/lib/postgresql/*/bin, else `pg_config --bindir`.
pg_find_bindir() {
  local d
  if [ -n "${AIODB_PG_BINDIR:-}" ]; then
    echo "$AIODB_PG_BINDIR"
    return
  fi
  if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  d=$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n1)
  if [ -x "$d" ]; then
    dirname "$d"
    return
  fi
  if command -v pg_config >/dev/null 2>&1; then
    pg_config --bindir 2>/dev/null || true
  fi
}

# The postmaster's pid of data folder $1 if it is alive and is postgres.
pg_live_postmaster() {
  local pid
  [ -f "$1/postmaster.pid" ] || return 1
  pid=$(head -n1 "$1/postmaster.pid" 2>/dev/null) || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
    postgres* | postmaster*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Stops the server of data folder $1 (BINDIR's pg_ctl, mode $2: fast or
# immediate) and waits until its postmaster is gone.
pg_stop_data() {
  local pid
  pid=$(pg_live_postmaster "$1") || return 0
  if [ -n "$BINDIR" ] && [ -x "$BINDIR/pg_ctl" ]; then
    as_server "$BINDIR/pg_ctl" stop -D "$1" -m "$2" -w -t 30 >/dev/null 2>&1 || true
  else
    kill -INT "$pid" 2>/dev/null || true # what pg_ctl -m fast sends
  fi
  # pg_ctl returns once postmaster.pid is gone, a moment before the
  # process itself; signals only if it really does not go.
  wait_gone "$pid" 50 || kill -QUIT "$pid" 2>/dev/null || true
  wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 20 || { echo "$SERVER_TAG: postmaster $pid still running" >&2; return 1; }
}

# psql through the socket folder $1, port $2, as the test user (trusted
# there), to database $3; more arguments follow. Unaligned, tuples only.
pg_sql() {
  local sock="$1" port="$2" db="$3"
  shift 3
  PGPASSFILE="$DIR/.no-pgpass" PGCONNECT_TIMEOUT=5 "$PSQL" -X -q -w -At -v ON_ERROR_STOP=1 \
    -h "$sock" -p "$port" -U "$TEST_USER_NAME" -d "$db" "$@"
}

# initdb of data folder $1 (BINDIR's), the test user its superuser with the
# test password (passed in file $2, removed after), the socket trusted, TCP
# with the password; initdb's output goes to $3, shown and kept if it fails.
pg_initdb() {
  local data="$1" pwfile="$2" log="$3"
  printf '%s\n' "$TEST_PASSWORD" >"$pwfile"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$pwfile"
  chmod 0600 "$pwfile"
  if ! as_server env LC_ALL=C "$BINDIR/initdb" -D "$data" -U "$TEST_USER_NAME" \
    --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --no-locale -E UTF8 --no-sync >"$log" 2>&1; then
    rm -f -- "$pwfile"
    cat "$log" >&2
    return 1
  fi
  rm -f -- "$pwfile" "$log"
}

# Writes a server's folder $1 (tcp_url, socket_url, tls_ca, env: see
# tests/pg_server.sh) for server port $2, socket folder $3, data folder $4
# and the CA $5 when TLS works.
pg_node_files() {
  server_files "$1" PG "$2" "postgresql://$TEST_USER_NAME:$TEST_PASSWORD@127.0.0.1:$2/$TEST_DB" \
    "postgresql://$TEST_USER_NAME@/$TEST_DB?host=$3&port=$2" "${5:-}" "SOCKDIR=$3" "PGDATA=$4"
}

# ---- MariaDB ----

# The client programs read these; root's password-less login must not get
# a password from the caller's environment.
unset MYSQL_PWD MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_HISTFILE

# The first of the named programs found: $AIODB_MARIADB_BINDIR, /usr/sbin,
# /usr/bin, /usr/local/..., PATH.
my_find_bin() {
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
# one is missing.
my_find_bins() {
  MARIADBD=$(my_find_bin mariadbd mysqld || true)
  INSTALL_DB=$(my_find_bin mariadb-install-db mysql_install_db || true)
  CLIENT=$(my_find_bin mariadb mysql || true)
  ADMIN=$(my_find_bin mariadb-admin mysqladmin || true)
  [ -n "$MARIADBD" ] && [ -n "$INSTALL_DB" ] && [ -n "$CLIENT" ] && [ -n "$ADMIN" ]
}

# my_find_bins, or the server is unavailable.
my_need_bins() {
  MARIADBD="" INSTALL_DB="" CLIENT="" ADMIN=""
  my_find_bins || unavailable "MariaDB server/client programs not found (mariadbd," \
    "mariadb-install-db, mariadb, mariadb-admin; install the 'mariadb-server' and" \
    "'mariadb-client' packages, or set AIODB_MARIADB_BINDIR)"
}

# The pid of the mariadbd serving data folder $1 (from its pid file $2, else
# pid $3) if it is alive; never another server.
my_live() {
  local cand cmdline
  for cand in "$(head -n1 "$2" 2>/dev/null || true)" "${3:-}"; do
    case "$cand" in '' | *[!0-9]*) continue ;; esac
    alive "$cand" || continue
    case "$(cat "/proc/$cand/comm" 2>/dev/null || true)" in
      mariadbd* | mysqld*) ;;
      *) continue ;;
    esac
    cmdline=$(tr '\0' '\n' 2>/dev/null <"/proc/$cand/cmdline") || continue
    grep -qxF -- "--datadir=$1" <<<"$cmdline" || continue
    echo "$cand"
    return 0
  done
  return 1
}

# As root through socket $1 (password-less there); SQL on stdin or with -e.
my_root_sql() {
  local sock="$1"
  shift
  MYSQL_PWD="" "$CLIENT" --no-defaults --socket="$sock" -uroot --batch --skip-column-names \
    --connect-timeout=5 "$@"
}

# Stops the server of data folder $1 (pid file $2, pid $3, socket $4): a
# clean shutdown through the socket, then SIGTERM, then SIGKILL.
my_stop() {
  local pid to=() asked=""
  pid=$(my_live "$1" "$2" "${3:-}") || return 0
  command -v timeout >/dev/null 2>&1 && to=(timeout 30)
  if [ -n "${ADMIN:-}" ] && [ -S "$4" ] && MYSQL_PWD="" "${to[@]}" "$ADMIN" --no-defaults \
    --socket="$4" -uroot --connect-timeout=5 shutdown >/dev/null 2>&1; then
    asked=1
  fi
  [ -n "$asked" ] && wait_gone "$pid" 100 || kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 300 || kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 50 || { echo "$SERVER_TAG: mariadbd $pid still running" >&2; return 1; }
}

# True once the server of socket $1 answers a ping (up to $2 tenths of a
# second); false at once when pid $3 is gone.
my_wait_ping() {
  local i
  for i in $(seq 1 "$2"); do
    if MYSQL_PWD="" "$ADMIN" --no-defaults --socket="$1" -uroot --connect-timeout=2 \
      ping >/dev/null 2>&1; then
      return 0
    fi
    alive "$3" || return 1
    sleep 0.1
    : "$i"
  done
  return 1
}

# mariadb-install-db into data folder $1 (temporary folder $2), as the
# server's user; its output goes to $3.
my_install_db() {
  as_server "$INSTALL_DB" --no-defaults "--datadir=$1" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    "--tmpdir=$2" --innodb-buffer-pool-size=32M --innodb-log-file-size=8M \
    --innodb-use-native-aio=0 >"$3" 2>&1
}

# The SQL that makes a fresh server the test server tests/mariadb_server.sh
# makes: root through the socket only; user aiodb (localhost and
# 127.0.0.1) with every privilege; database aiodb.
my_setup_sql() {
  cat <<EOF
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
FLUSH PRIVILEGES;
CREATE DATABASE $TEST_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER '$TEST_USER_NAME'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER '$TEST_USER_NAME'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER_NAME'@'127.0.0.1';
EOF
}

# Writes a server's folder $1 (tcp_url, socket_url, root_socket, tls_ca,
# env: see tests/mariadb_server.sh) for port $2, socket $3, data folder $4
# and the CA $5 when TLS works.
my_node_files() {
  server_files "$1" MYSQL "$2" "mysql://$TEST_USER_NAME:$TEST_PASSWORD@127.0.0.1:$2/$TEST_DB" \
    "mysql://$TEST_USER_NAME:$TEST_PASSWORD@localhost/$TEST_DB?unix_socket=$3" "${5:-}" \
    "SOCKET=$3" "DATADIR=$4"
  printf '%s\n' "$3" >"$1/root_socket"
}

# Reads DIR/state of a MariaDB cluster (SERVER_USER, TMPDIRS, WORK and the
# node arrays, emptied first; other variables the caller empties) and finds
# the programs.
my_load_state() {
  SERVER_USER="" TMPDIRS="" WORK=""
  my_nodes_reset
  read_state
  my_find_bins || true
}

# Prints what my_load_state reads as shell code.
my_state() {
  state_vars SERVER_USER TMPDIRS WORK
  my_nodes_state
}

# MariaDB nodes, numbered from 1: arrays indexed by the number. NAME (its
# folder in DIR is DIR/NAME, with tcp_url, socket_url, env, server.log),
# DATA, SOCK, PIDF, LOG, TMPD, CNF (the server's option file), PORT, PID.
# Emptied by my_nodes_reset.
my_nodes_reset() {
  NAME=() DATA=() SOCK=() PIDF=() LOG=() TMPD=() CNF=() PORT=() PID=()
}

# Prints the node arrays as shell code that sets them (global when sourced
# inside a function).
my_nodes_state() {
  declare -p NAME DATA SOCK PIDF LOG TMPD CNF PORT PID | sed 's/^declare -a/declare -ga/'
}

# Sets node $1's paths, named $2, under WORK; its socket folder may be in
# /tmp (named $3.XXXXXX, added to TMPDIRS).
my_node_paths() {
  local i="$1" w="$WORK/$2" s
  NAME[i]=$2
  server_mkdir "$w"
  DATA[i]="$w/data" PIDF[i]="$w/mariadbd.pid" LOG[i]="$w/server.log"
  TMPD[i]="$w/tmp" CNF[i]="$w/my.cnf" PORT[i]="" PID[i]=""
  s=$(socket_dir "$w/sock" "$3")
  case "$s" in /tmp/*) TMPDIRS="$TMPDIRS $s" ;; esac
  SOCK[i]="$s/mysqld.sock"
  server_mkdir "${TMPD[i]}"
  chmod 0700 "${TMPD[i]}"
  my_new_log "${LOG[i]}"
  mkdir -p -- "$DIR/$2"
  link_log "${LOG[i]}" "$DIR/$2/server.log"
}

# The options of every test server, one a line as in an option file, for
# data folder $1, socket $2, port $3, pid file $4, error log $5, temporary
# folder $6.
my_options() {
  [ -z "$SERVER_USER" ] || echo "user=$SERVER_USER"
  cat <<EOC
datadir=$1
socket=$2
port=$3
bind-address=127.0.0.1
skip-name-resolve
pid-file=$4
log-error=$5
tmpdir=$6
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
max-connections=200
max-allowed-packet=64M
performance-schema=OFF
key-buffer-size=8M
innodb-buffer-pool-size=32M
innodb-log-file-size=8M
innodb-log-buffer-size=4M
innodb-use-native-aio=0
innodb-flush-log-at-trx-commit=2
innodb-doublewrite=0
EOC
}

# Makes an empty log file $1 the server can write.
my_new_log() {
  : >"$1"
  chmod 0644 "$1"
  [ -z "$SERVER_USER" ] || chown "$SERVER_USER:" "$1"
}

# Writes node $1's option file: my_options, then the lines on stdin. Read by
# mariadbd (--defaults-file) and by the Galera SST scripts it runs.
my_write_cnf() {
  local i="$1"
  {
    echo "[mysqld]"
    my_options "${DATA[i]}" "${SOCK[i]}" "${PORT[i]}" "${PIDF[i]}" "${LOG[i]}" "${TMPD[i]}"
    cat
  } >"${CNF[i]}"
  chmod 0644 "${CNF[i]}"
}

# Starts mariadbd in the background, detached, its output appended to log
# $1, with the options that follow; sets MY_PID.
my_spawn() {
  local log="$1" ss=()
  shift
  command -v setsid >/dev/null 2>&1 && ss=(setsid)
  # Not a process group leader, so setsid execs: the pid is mariadbd itself.
  (cd / && exec "${ss[@]}" "$MARIADBD" "$@" </dev/null >>"$log" 2>&1) &
  MY_PID=$!
}

# Starts node $1's mariadbd (more options may follow); sets PID[$1].
my_launch() {
  local i="$1" MY_PID
  shift
  my_spawn "${LOG[i]}" "--defaults-file=${CNF[i]}" "--datadir=${DATA[i]}" "$@"
  PID[i]=$MY_PID
}

# Stops node $1 (ok if it is not running).
my_stop_node() {
  my_stop "${DATA[$1]}" "${PIDF[$1]}" "${PID[$1]}" "${SOCK[$1]}"
}
