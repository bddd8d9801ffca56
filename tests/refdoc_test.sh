#!/usr/bin/env bash
# scripts/refdoc.py on altered copies of the header: a call without a
# comment, a comment naming a call that does not exist, a declared call the
# library does not export, and a page for a name since removed each fail
# the check; a new documented call gets its page.
#   refdoc_test.sh SOURCE_DIR LIBAIODB WORK
set -euo pipefail
src="$1" lib="$2" work="$3"
refdoc=(python3 "$src/scripts/refdoc.py")
rm -rf "$work"; mkdir -p "$work"
h="$work/aiodb.h"
fails() {  # fails WHAT PATTERN ARGS...: the check must fail, saying PATTERN
  local what="$1" pat="$2" out; shift 2
  if out=$("${refdoc[@]}" "$h" --check "$@" 2>&1); then
    echo "FAIL: $what passed the check" >&2; exit 1
  fi
  grep -qF -- "$pat" <<<"$out" || { echo "FAIL: $what: $out" >&2; exit 1; }
  echo "ok: $what"
}
# the header as it is passes, and its pages are all there
"${refdoc[@]}" "$src/include/aiodb.h" --man "$work/man" --version t
"${refdoc[@]}" "$src/include/aiodb.h" --check --lib "$lib" --man "$work/man"

# an undocumented call
sed 's|^/\* The library.s version as .*\*/$||' "$src/include/aiodb.h" >"$h"
grep -q '^AIODB_EXTERN const char \*aiodb_version' "$h"
fails "an undocumented call" "aiodb_version: declared in"
# an undocumented type
cp "$src/include/aiodb.h" "$h"
printf '\ntypedef struct aiodb_nodoc aiodb_nodoc;\n' >>"$h"
fails "an undocumented type" "aiodb_nodoc: declared in"
# a comment naming a call that does not exist
{ cat "$src/include/aiodb.h"; printf '/* See aiodb_gone() for this. */\n'; \
  printf 'AIODB_EXTERN void aiodb_zzz_new(void);\n'; } >"$h"
fails "a comment naming a missing call" "a comment names aiodb_gone, which the header does not declare"
# ... and the call it declares is not in the library
fails "a call the library lacks" "aiodb_zzz_new: declared in the header but not exported" --lib "$lib"
# the new call has a page, of its own comment
"${refdoc[@]}" "$h" --man "$work/man2" --version t
grep -qF 'aiodb_zzz_new \- See aiodb_gone() for this' "$work/man2/man3/aiodb_zzz_new.3"
# code the script cannot read
{ cat "$src/include/aiodb.h"; printf '/* A stray. */\nint aiodb_stray = 3;\n'; } >"$h"
fails "a declaration it cannot read" "a declaration refdoc.py cannot read"
# a page of a name the header no longer has
cp "$src/include/aiodb.h" "$h"
cp "$work/man2/man3/aiodb_zzz_new.3" "$work/man/man3/"
fails "a page of no name" "aiodb_zzz_new.3: a page for a name that does not exist" --man "$work/man"
# a page that does not render cleanly
rm "$work/man/man3/aiodb_zzz_new.3"
printf '.TH X 3\n.SH NAME\n.BOGUS x\n' >"$work/man/man3/aiodb_open_native.3"
fails "a page groff warns about" "aiodb_open_native.3: groff" --man "$work/man"
echo "refdoc test passed"
