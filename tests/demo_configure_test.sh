#!/usr/bin/env bash
# scripts/demo as the first command on a fresh machine, where Check and
# the server drivers' libraries are absent: its configure (the same
# arguments) with pkg-config pointed at an empty folder, so that it finds
# nothing, and the PostgreSQL driver off (FindPostgreSQL does not ask
# pkg-config). The configure must pass with the Check suites left out, and
# the demo's programs must build, SQLite alone; asking for the suites must
# fail, naming Check; and once Check is back, the same build folder takes
# -DAIODB_BUILD_TESTS=ON (scripts/test after scripts/demo, as .ci/run does).
#   demo_configure_test.sh SOURCE WORK [C_COMPILER]
set -euo pipefail
src="$1" work="$2" cc="${3:-}"
. "$src/scripts/deps.sh"
rm -rf "$work"
mkdir -p "$work/empty"
args=("${AIODB_DEMO_CMAKE_ARGS[@]}")
[ -n "$cc" ] && args+=(-DCMAKE_C_COMPILER="$cc")
no_pc() { env PKG_CONFIG_LIBDIR="$work/empty" PKG_CONFIG_PATH= "$@"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
configure() {  # LOG COMMAND...
  local log="$1"
  shift
  echo "\$ $*"
  "$@" >"$log" 2>&1
}

echo "== the demo's configure, no Check"
if ! configure "$work/demo.log" no_pc cmake -S "$src" -B "$work/demo" "${args[@]}" \
     -DAIODB_WITH_POSTGRES=OFF; then
  cat "$work/demo.log"
  fail "the demo's configure failed without Check"
fi
grep -qx 'AIODB_BUILD_TESTS:BOOL=OFF' "$work/demo/CMakeCache.txt" ||
  fail "the Check suites are not off"
grep -qx 'AIODB_BUILD_TOOLS:BOOL=ON' "$work/demo/CMakeCache.txt" ||
  fail "the tools are not on"
[ ! -e "$work/demo/tests" ] || fail "tests/ was configured"
grep -qx 'AIODB_WITH_MYSQL:BOOL=OFF' "$work/demo/CMakeCache.txt" ||
  fail "the MySQL driver is on though pkg-config finds nothing"

echo "== the demo's programs, SQLite alone"
if ! configure "$work/build.log" no_pc cmake --build "$work/demo" -j2 \
     --target aiodb_tool example_epoll; then
  tail -n 40 "$work/build.log"
  fail "the demo's programs do not build with SQLite alone"
fi
"$work/demo/aiodb" query sqlite:// "SELECT 'built' AS ok"

echo "== the Check suites asked for, no Check"
if configure "$work/tests.log" no_pc cmake -S "$src" -B "$work/tests" "${args[@]}" \
     -DAIODB_BUILD_TESTS=ON; then
  fail "configured without Check"
fi
grep -q 'AIODB_BUILD_TESTS needs Check' "$work/tests.log" || {
  cat "$work/tests.log"
  fail "the error does not name Check"
}

echo "== Check back: the demo's build folder takes the suites"
if ! configure "$work/again.log" cmake -S "$src" -B "$work/demo" -DAIODB_BUILD_TESTS=ON; then
  cat "$work/again.log"
  fail "the demo's build folder refused the Check suites"
fi
[ -e "$work/demo/tests/CTestTestfile.cmake" ] || fail "tests/ not configured"
rm -rf "$work"
echo "demo configure test passed"
