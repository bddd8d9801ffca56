# Sourced by scripts/demo and scripts/test: installs what a fresh Debian
# machine lacks to build and test aiodb. Needs root (or sudo) only when
# something is missing.
aiodb_need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq </dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

# python3: scripts/refdoc.py, which makes the man pages and HTML reference.
AIODB_BUILD_PACKAGES=(build-essential cmake pkg-config clang libsqlite3-dev python3)
# scripts/demo installs these and the build packages, nothing else: it can
# be the first thing run on a fresh machine, where Check (a test package)
# is absent, so its build leaves the Check suites out unless Check is
# there (AIODB_BUILD_TESTS is on by default only where Check is found).
# libglib2.0-dev: the benchmark's GLib loop workload (W5), built only
# where GLib is found.
AIODB_DEMO_PACKAGES=(libglib2.0-dev)
# How scripts/demo configures its build (tests/demo_configure_test.sh
# configures the same on a machine without Check).
AIODB_DEMO_CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DAIODB_BUILD_TOOLS=ON)
# postgresql (pulls postgresql-15): the throwaway server tests/pg_server.sh
# runs for the PostgreSQL suites, with its own port and socket (Debian's own
# default cluster, if the package's postinst starts one, is not used).
# iproute2 (ss) picks a free port; procps for looking at processes.
# mariadb-server and mariadb-client: the throwaway server of
# tests/mariadb_server.sh; libmariadb-dev: MariaDB Connector/C, the MySQL
# driver's client library; openssl makes that server's test certificates.
# libuv1-dev, libevent-dev, libglib2.0-dev and qt6-base-dev (with g++):
# the loops the adapters in include/aiodb/adapters/ are tested in.
# libgtk-4-dev, xvfb and xdotool: the GTK example in examples/gtk/,
# run in a throwaway X server and typed into.
# nftables (with iproute2's ip and util-linux's unshare, nsenter and
# setpriv): tests/netfault.sh's network path, which it makes lose packets.
# pgbouncer: tests/pgbouncer.sh's pooling proxy; galera-4 (the Galera
# provider) and rsync (its state transfer, with ss): the nodes of
# tests/galera.sh (Debian 12's mariadb-server depends on both today; named
# because the tests need them).
# groff-base: the test docs_reference renders every man page with groff.
AIODB_TEST_PACKAGES=(check libsubunit-dev postgresql libpq-dev iproute2 procps
                     mariadb-server mariadb-client libmariadb-dev openssl
                     libuv1-dev libevent-dev libglib2.0-dev qt6-base-dev g++
                     libgtk-4-dev xvfb xdotool nftables
                     pgbouncer galera-4 rsync groff-base)
# scripts/package (the Debian packages, debian/): debhelper, dpkg-dev and
# fakeroot build them, with the client libraries of debian/control's
# Build-Depends (libpq-dev, libmariadb-dev; libglib2.0-dev for the tool's
# GLib benchmark workload); lintian checks them; abigail-tools (abidw,
# abidiff) is scripts/abi's ABI check. scripts/test needs them too: its
# tests package, abi and abi_check.
AIODB_DEB_PACKAGES=(debhelper dpkg-dev fakeroot lintian abigail-tools
                    libpq-dev libmariadb-dev libglib2.0-dev)
AIODB_TEST_PACKAGES+=("${AIODB_DEB_PACKAGES[@]}")
