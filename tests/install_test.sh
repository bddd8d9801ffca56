#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds and runs a small
# program outside the tree twice: with pkg-config, and with find_package.
# When the tool was built (tool=1), runs the installed `aiodb` with no
# LD_LIBRARY_PATH, on a SQLite file when the driver was built (sqlite=1),
# before and after the whole prefix is moved elsewhere.
#   install_test.sh BUILD CONSUMER_SRC WORK [LIBDIR BINDIR TOOL SQLITE]
# With --prefix PREFIX for BUILD, the checks run on a tree installed
# already (tests/package_test.sh: the .debs unpacked, PREFIX their /usr),
# whose man pages must be there.
set -euo pipefail
if [ "$1" = --prefix ]; then
  prefix="$2" build=""
  shift
else
  build="$1" prefix=""
fi
src="$2" work="$3"
libdir_rel="${4:-}" bindir_rel="${5:-bin}" tool="${6:-0}" sqlite="${7:-0}"
rm -rf "$work"
mkdir -p "$work"
if [ -n "$build" ]; then
  prefix="$work/prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null
fi
if [[ "$libdir_rel" == /* || "$bindir_rel" == /* ]]; then
  echo "absolute install folders: the tool's run path is not relocatable, not checked"
  libdir_rel="" tool=0
fi
if [ -n "$libdir_rel" ]; then
  libdir="$prefix/$libdir_rel"
else
  libdir=$(ls -d "$prefix"/lib*/ | head -n1)
  libdir=${libdir%/}
fi

echo "== pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs aiodb)
echo "pkg-config --cflags --libs aiodb: $flags"
# its -I is the prefix's include folder, not one elsewhere on the machine
incs=$(for f in $(pkg-config --cflags-only-I aiodb); do realpath -m "${f#-I}"; done)
grep -qxF "$(realpath "$prefix/include")" <<<"$incs" || { echo "no -I$prefix/include" >&2; exit 1; }
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$work/pc_consumer" "$src/main.c" $flags
LD_LIBRARY_PATH="$libdir" "$work/pc_consumer"
# the shared library exports the API and nothing internal
if nm -D --defined-only "$libdir/libaiodb.so" | awk '{print $3}' | grep -v '^aiodb_' | grep -v '^_' ; then
  echo "unexpected exported symbols above" >&2
  exit 1
fi
readlink "$libdir/libaiodb.so" | grep -q '^libaiodb.so.0$'
# the man pages, when the build made them (AIODB_BUILD_DOCS)
if [ -z "$build" ] || [ -e "$build/man/man7/aiodb.7" ]; then
  for p in man7/aiodb.7 man3/aiodb_open.3 man3/aiodb_query.3; do
    [ -n "$(find "$prefix" -path "*/man/$p" -o -path "*/man/$p.gz")" ] ||
      { echo "$p not installed" >&2; exit 1; }
  done
fi

echo "== find_package(aiodb)"
cmake -S "$src" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
# the package found is the prefix's
grep -qxF "aiodb_DIR:PATH=$(realpath "$libdir")/cmake/aiodb" "$work/cmake/CMakeCache.txt" ||
  { grep aiodb_DIR "$work/cmake/CMakeCache.txt" >&2; echo "aiodb found outside $prefix" >&2; exit 1; }
LD_LIBRARY_PATH="$libdir" "$work/cmake/consumer"
"$work/cmake/consumer_static"

# The installed tool finds libaiodb through its own run path
# ($ORIGIN/../lib), wherever the prefix is.
check_tool() {
  local p="$1" aiodb="$1/$bindir_rel/aiodb" url="sqlite:///$1/tool.db" out
  local want got
  want=$(realpath "$p/$libdir_rel/libaiodb.so.0")
  got=$(env -u LD_LIBRARY_PATH ldd "$aiodb" | awk '$1 == "libaiodb.so.0" { print $3 }')
  echo "libaiodb.so.0 => $got"
  if [ ! -e "$got" ] || [ "$(realpath "$got")" != "$want" ]; then
    echo "$aiodb does not load $want" >&2
    exit 1
  fi
  out=$(env -u LD_LIBRARY_PATH "$aiodb" --version)
  echo "$out"
  [[ "$out" == "aiodb "* ]]
  [ "$sqlite" = 1 ] || return 0
  rm -f "$p/tool.db"
  env -u LD_LIBRARY_PATH "$aiodb" query "$url" "CREATE TABLE t(a INTEGER, b TEXT)"
  out=$(env -u LD_LIBRARY_PATH "$aiodb" query "$url" "INSERT INTO t VALUES (?, ?), (?, ?)" 7 seven 8 eight)
  echo "$out"
  [ "$out" = "OK, 2 rows affected, last id 2" ]
  out=$(env -u LD_LIBRARY_PATH "$aiodb" query "$url" "SELECT a, b FROM t WHERE a > ? ORDER BY a" 7)
  echo "$out"
  grep -qE '^ *8 \| eight *$' <<<"$out"
  grep -qxF '(1 row)' <<<"$out"
  if grep -q seven <<<"$out"; then exit 1; fi
}
if [ "$tool" = 1 ]; then
  [ -n "$libdir_rel" ] || libdir_rel=${libdir#"$prefix"/}
  echo "== the installed aiodb, no LD_LIBRARY_PATH"
  check_tool "$prefix"
  echo "== the same, the prefix moved"
  mv "$prefix" "$work/moved"
  check_tool "$work/moved"
fi
echo "install test passed"
