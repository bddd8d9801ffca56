#!/usr/bin/env bash
# scripts/abi check: the library as built against the checked-in dump
# passes; then the check itself, on altered copies of the dump, each
# standing for a library changed since it: a call removed and a public
# struct resized fail; a new call and a new enumerator pass; the same
# resize passes under a new SONAME; a library without debug information
# is refused rather than checked on its symbols alone.
#   abi_test.sh SOURCE_DIR LIBAIODB WORK
set -euo pipefail
src="$1" lib="$2" work="$3"
abi="$src/scripts/abi"
rm -rf "$work"; mkdir -p "$work"

echo "== the library against abi/libaiodb.so.0.abi"
"$abi" check "$lib"

# alter NAME PYTHON: $work/NAME.abi, the dump with PYTHON applied to its
# root element r.
alter() {
  python3 - "$src/abi/libaiodb.so.0.abi" "$work/$1.abi" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]); r = t.getroot()
def named(tag, name):
    return [(p, c) for p in r.iter() for c in p if c.tag == tag and c.get('name') == name]
exec(sys.argv[3])
t.write(sys.argv[2])
EOF
}
expect() {  # expect STATUS NAME PATTERN: the check of NAME.abi exits STATUS, saying PATTERN
  local want="$1" name="$2" pat="$3" out rc=0
  out=$("$abi" check "$lib" --baseline "$work/$name.abi" 2>&1) || rc=$?
  if [ "$rc" != "$want" ] || ! grep -qF -- "$pat" <<<"$out"; then
    printf '%s\n' "$out" >&2
    echo "FAIL: $name: exit $rc (want $want), or no '$pat' above" >&2
    exit 1
  fi
  echo "ok: $name: exit $rc, '$pat'"
}

# A call the library no longer has: the dump's aiodb_version renamed.
alter removed_call "
for p, c in named('elf-symbol', 'aiodb_version') + named('function-decl', 'aiodb_version'):
    c.set('name', 'aiodb_gone'); c.get('elf-symbol-id') and c.set('elf-symbol-id', 'aiodb_gone')
"
expect 1 removed_call "[D] 'function const char* aiodb_gone()'"
# A public struct whose size changed (the old aiodb_error was smaller).
alter struct_size "
for p, c in named('class-decl', 'aiodb_error'):
    c.get('size-in-bits') and c.set('size-in-bits', '2048')
"
expect 1 struct_size "type size changed from 2048 to 2176"
# A new call: the dump without aiodb_version.
alter added_call "
for p, c in named('elf-symbol', 'aiodb_version') + named('function-decl', 'aiodb_version'):
    p.remove(c)
"
expect 0 added_call "abi: compatible: additions only"
# A new enumerator: the dump's aiodb_diag_kind without its last one.
alter added_enumerator "
for p, c in named('enum-decl', 'aiodb_diag_kind'):
    c.remove(c.findall('enumerator')[-1])
"
expect 0 added_enumerator "abi: no change"
# The resize again, the SOVERSION raised since the dump.
alter struct_size_new_soname "
for p, c in named('class-decl', 'aiodb_error'):
    c.get('size-in-bits') and c.set('size-in-bits', '2048')
r.set('soname', 'libaiodb.so.00')
"
expect 0 struct_size_new_soname "the SONAME changed (libaiodb.so.00 -> libaiodb.so.0)"
# No debug information: refused (exit 2), not passed on symbols alone.
objcopy --strip-debug "$lib" "$work/libaiodb.so.0"
out=$("$abi" check "$work/libaiodb.so.0" 2>&1) && rc=0 || rc=$?
if [ "$rc" != 2 ]; then
  printf '%s\n' "$out" >&2; echo "FAIL: a library without debug info: exit $rc" >&2; exit 1
fi
echo "ok: a library without debug information: exit 2"
echo "abi test passed"
