#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds and runs a small
# program outside the tree twice: with pkg-config, and with find_package.
set -euo pipefail
build="$1" src="$2" work="$3"
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -n1)
libdir=${libdir%/}

echo "== pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs aiodb)
echo "pkg-config --cflags --libs aiodb: $flags"
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$work/pc_consumer" "$src/main.c" $flags
LD_LIBRARY_PATH="$libdir" "$work/pc_consumer"
# the shared library exports the API and nothing internal
if nm -D --defined-only "$libdir/libaiodb.so" | awk '{print $3}' | grep -v '^aiodb_' | grep -v '^_' ; then
  echo "unexpected exported symbols above" >&2
  exit 1
fi
readlink "$libdir/libaiodb.so" | grep -q '^libaiodb.so.0$'

echo "== find_package(aiodb)"
cmake -S "$src" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH="$libdir" "$work/cmake/consumer"
"$work/cmake/consumer_static"
echo "install test passed"
