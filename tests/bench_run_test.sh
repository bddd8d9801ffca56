#!/usr/bin/env bash
# bench/run prints the command it runs, with no URL's password in it.
# Usage: bench_run_test.sh SOURCE_DIR BUILD_DIR (a build with aiodb-bench)
set -u
src=$1 build=$2
secret=s3cret-bench-pw
out=$(AIODB_BENCH_BUILD="$build" bash "$src/bench/run" --only W3 --seconds 0.05 \
  --pg "postgresql://aiodb:$secret@127.0.0.1:1/none?connect_timeout=1" \
  --mysql "mysql://aiodb:$secret@127.0.0.1:1/none?connect_timeout=1" 2>&1)
if printf '%s\n' "$out" | grep -q "$secret"; then
  echo "bench_run_test: a password was printed:"
  printf '%s\n' "$out"
  exit 1
fi
if ! printf '%s\n' "$out" | grep -qF 'mysql://aiodb:***@127.0.0.1:1/none'; then
  echo "bench_run_test: the command was not shown:"
  printf '%s\n' "$out"
  exit 1
fi
echo "bench_run_test: the command was shown without its passwords"
