#!/usr/bin/env bash
# The Debian packages: scripts/package builds them (dpkg-buildpackage,
# lintian, the packaged library's ABI); each is unpacked with dpkg-deb -x
# into a scratch root, where every file must be in its package; the
# install test's consumer (tests/consumer/) is built against that root with
# pkg-config and with find_package, and writes a SQLite file that the
# packaged `aiodb` reads back (LD_LIBRARY_PATH at the root's library: the
# packaged programs have no run path).
#   package_test.sh SOURCE_DIR WORK
set -euo pipefail
src="$1" work="$2"
rm -rf "$work"; mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/scripts/package" "$work/debs"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
lib="usr/lib/$ma"
root="$work/root"
declare -A want=(
  [libaiodb0]="$lib/libaiodb.so.0 $lib/libaiodb.so.0.1.0"
  [libaiodb-dev]="usr/include/aiodb.h usr/include/aiodb/version.h
    usr/include/aiodb/adapters/poll.h $lib/libaiodb.so $lib/libaiodb.a
    $lib/pkgconfig/aiodb.pc $lib/cmake/aiodb/aiodbConfig.cmake
    $lib/cmake/aiodb/aiodbTargets.cmake usr/share/man/man7/aiodb.7.gz
    usr/share/man/man3/aiodb_query.3.gz usr/share/man/man3/aiodb_open.3.gz
    usr/share/doc/libaiodb-dev/html/aiodb.html"
  [aiodb-tools]="usr/bin/aiodb usr/share/man/man1/aiodb.1.gz"
)
echo "== the packages' files"
for p in libaiodb0 libaiodb-dev aiodb-tools; do
  deb=$(ls "$work/debs/${p}_"*.deb)
  dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' >"$work/$p.files"
  for f in ${want[$p]}; do
    grep -qxF "$f" "$work/$p.files" || fail "$p lacks /$f"
  done
  echo "$p: $(grep -vc '/$' "$work/$p.files") files and links, $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -x "$deb" "$root"
done
dup=$(cat "$work"/*.files | grep -v '/$' | sort | uniq -d)
[ -z "$dup" ] || fail "in two packages: $dup"
deps=$(dpkg-deb -f "$work"/debs/aiodb-tools_*.deb Depends)
grep -qF 'libaiodb0 (>= 0.1.0)' <<<"$deps" ||
  fail "aiodb-tools does not depend on libaiodb0"
# the man pages render without a warning
for m in man1/aiodb.1.gz man7/aiodb.7.gz man3/aiodb_query.3.gz; do
  out=$(zcat "$root/usr/share/man/$m" | groff -man -ww -z -Tutf8 2>&1)
  [ -z "$out" ] || fail "$m: $out"
done

echo "== a program built against the packages (tests/install_test.sh)"
bash "$src/tests/install_test.sh" --prefix "$root/usr" "$src/tests/consumer" \
  "$work/consumer" "lib/$ma" bin 0 1

echo "== the packaged aiodb"
export LD_LIBRARY_PATH="$root/$lib"
aiodb="$root/usr/bin/aiodb"
if readelf -d "$aiodb" | grep -E 'R(UN)?PATH'; then fail "aiodb has a run path"; fi
got=$(ldd "$aiodb" | awk '$1 == "libaiodb.so.0" { print $3 }')
[ "$(realpath "$got")" = "$(realpath "$root/$lib/libaiodb.so.0.1.0")" ] ||
  fail "aiodb loads '$got', not the root's libaiodb"
out=$("$aiodb" --version)
echo "$out"
[ "$out" = "aiodb 0.1.0" ] || fail "aiodb --version: $out"
for c in pc_consumer cmake/consumer cmake/consumer_static; do
  db="$work/${c//\//_}.db"
  "$work/consumer/$c" "sqlite:///$db"
  out=$("$aiodb" query "sqlite:///$db" "SELECT v FROM consumer")
  grep -qE '^ *installed ok *$' <<<"$out" || fail "$c: the tool read: $out"
done
echo "package test passed"
