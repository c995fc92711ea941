#!/usr/bin/env bash
# `make` on a machine without a library: the Makefile's check stops before the first
# compile with one message naming the missing Debian packages and scripts/deps.sh build
# (not a compile or linker error half-way through the tree). The library is hidden for
# real: the compiler runs with a --sysroot that is this machine's /usr minus the
# library's headers and files, so the Makefile's own probe is what finds it missing.
# Needs gcc; builds into $TMP, nothing in the working tree.
source "$(dirname "$0")/lib.sh"

triple=$(gcc -print-multiarch)
[ -n "$triple" ] || { fail "gcc -print-multiarch names no library folder"; finish; exit 1; }

# sysroot NAME PATTERN...: $TMP/sysroot-NAME, links to every entry of /usr/include and
# /usr/lib/TRIPLE except those matching a PATTERN; prints a compiler that uses it.
sysroot() {
  local name=$1 e b p skip; shift
  local root=$TMP/sysroot-$name
  mkdir -p "$root/usr/include" "$root/usr/lib/$triple" "$root/lib"
  for e in /usr/include/* "/usr/lib/$triple"/*; do
    b=${e##*/} skip=0
    for p in "$@"; do
      # shellcheck disable=SC2053 # PATTERN is a glob on purpose
      [[ $b == $p ]] && skip=1
    done
    [ $skip = 1 ] || ln -s "$e" "$root${e%/*}/"
  done
  ln -s "../usr/lib/$triple" "$root/lib/$triple"
  [ -e /lib64 ] && ln -s /lib64 "$root/lib64"
  printf '#!/bin/sh\nexec gcc --sysroot=%s "$@"\n' "$root" >"$TMP/cc-$name"
  chmod +x "$TMP/cc-$name"
  echo "$TMP/cc-$name"
}

# build NAME CC [MAKE ARGS...]: make all with CC into $TMP/NAME; output in $TMP/NAME.log.
build() {
  local name=$1 cc=$2; shift 2
  rc=0
  make --no-print-directory -C "$ROOT" BUILD="$TMP/$name" CC="$cc" "$@" all >"$TMP/$name.log" 2>&1 || rc=$?
}
objects() { find "$TMP/$1" -name '*.o' 2>/dev/null | wc -l; }

# The setup is honest: this compiler cannot see jansson.h, and sees the other headers.
cc=$(sysroot nojansson 'jansson*.h' 'libjansson*')
check_cmd "the hiding compiler builds a program with yaml and zlib" \
  sh -c "printf '#include <yaml.h>\n#include <zlib.h>\nint main(void) { return 0; }\n' | '$cc' -x c - -o '$TMP/probe' -lyaml -lz"
check_cmd "... and cannot include jansson.h" \
  sh -c "! printf '#include <jansson.h>\n' | '$cc' -x c -c - -o /dev/null 2>/dev/null"

build nojansson "$cc" -j2
check_eq "jansson hidden: make fails" 2 "$rc"
check_cmd "... naming the package" grep -qx 'make: missing libraries (Debian packages): libjansson-dev' "$TMP/nojansson.log"
check_cmd "... and scripts/deps.sh build" grep -q 'install them with scripts/deps.sh build' "$TMP/nojansson.log"
check_eq "... before compiling anything" 0 "$(objects nojansson)"
check_cmd "... no compiler or linker error" bash -c "! grep -Eq 'cannot find -l|No such file|error:' '$TMP/nojansson.log'"

# Two hidden at once: both in one line, in the Makefile's order.
cc=$(sysroot two 'jansson*.h' 'libjansson*' 'expat*.h' 'libexpat*')
build two "$cc"
check_eq "jansson and expat hidden: make fails" 2 "$rc"
check_cmd "... one line names both" grep -qx 'make: missing libraries (Debian packages): libjansson-dev libexpat1-dev' "$TMP/two.log"

# The unit tests need cmocka as well: a program build does not ask for it, unit-build does.
cc=$(sysroot nocmocka 'cmocka*.h' 'libcmocka*')
rc=0
make --no-print-directory -C "$ROOT" BUILD="$TMP/nocmocka" CC="$cc" "$TMP/nocmocka/tests/test_buf" \
  >"$TMP/nocmocka.log" 2>&1 || rc=$?
check_eq "cmocka hidden: a unit test build fails" 2 "$rc"
check_cmd "... naming libcmocka-dev" grep -qx 'make: missing libraries (Debian packages): libcmocka-dev' "$TMP/nocmocka.log"

# No compiler at all: said as such, not as every library missing.
build nocc "$TMP/no-such-cc"
check_eq "no compiler: make fails" 2 "$rc"
check_cmd "... naming the compiler" grep -q "make: '$TMP/no-such-cc' cannot build an empty C program" "$TMP/nocc.log"
check_cmd "... not a list of libraries" bash -c "! grep -q 'missing libraries' '$TMP/nocc.log'"

# With every library there the check passes once and leaves its stamp: later builds skip it.
rc=0
make --no-print-directory -C "$ROOT" BUILD="$TMP/ok" CC=gcc "$TMP/ok/deps-ok.gcc" >"$TMP/ok.log" 2>&1 || rc=$?
check_eq "every library present: the check passes" 0 "$rc"
# (uring-flag is the Makefile's parse-time record of whether liburing links: no compile)
check_cmd "... and leaves nothing but its stamp" test "$(ls -A "$TMP/ok" | grep -vx uring-flag)" = deps-ok.gcc
finish
