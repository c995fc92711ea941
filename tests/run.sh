#!/usr/bin/env bash
# run.sh [SUITE...] - runs the test suites and prints one result line per check and a
# closing "N passed, N failed" line. With no argument, every suite in order:
#   build        gcc and clang builds with -Werror (zero warnings)
#   unit         cmocka unit tests (one executable per module)
#   integration  tests/integration/*.sh against real processes (msdemo, curl, prometheus, ...)
#   san          unit + integration again, built with ASan+UBSan
#   fuzz         every libFuzzer target for FUZZ_SECONDS (default 20) from its seed corpus
#   cross        unit tests cross-built for arm64 and armhf, run under qemu-user
#   k8s          the pipeline's k8s mode end to end on a real Kubernetes that tests/k8s/
#                builds (once per version, cached) and starts in network namespaces
# Environment: JOBS (make -j, default nproc), FUZZ_SECONDS, KEEP_GOING=0 to stop at first failure.
# PT_EVLOOP=epoll|uring|auto (lib/event/evloop.h) picks the event-loop backend of every
# program and unit test the suites start (default auto: io_uring where the kernel allows).
# The integration suite then runs msdemo's and ptest's main scripts (EVLOOP_OTHER_SCRIPTS)
# once more on the other backend, as integration-epoll/NAME or integration-uring/NAME;
# EVLOOP_OTHER=0 skips that.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"

passed=0 failed=0
failures=()
t_start=$(date +%s)

# check NAME CMD... : runs CMD with output to a log; prints ok/FAIL with the log tail on failure.
check() {
  local name=$1; shift
  local log="$LOGDIR/${name//\//_}.log" t0=$(date +%s%N) rc
  "$@" >"$log" 2>&1; rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); printf '  ok    %-44s %6d ms\n' "$name" "$ms"
  else
    failed=$((failed + 1)); failures+=("$name")
    printf '  FAIL  %-44s %6d ms (exit %d, log %s)\n' "$name" "$ms" "$rc" "$log"
    tail -n 30 "$log" | sed 's/^/        | /'
    [ "${KEEP_GOING:-1}" = 1 ] || finish
  fi
}

# The suites write only under build/ (and the system's temporary folder): no file git does
# not track, ignored ones included, may appear elsewhere in the working tree while they
# run. Compared with a list taken at the start, so files that were already there and
# tracked files others are editing never count; each new one is named (a file someone
# else creates meanwhile and has not committed is named too: the list says which).
untracked_outside_build() {
  git status --porcelain --untracked-files=all --ignored -- . ':(exclude)build' 2>/dev/null |
    sed -n 's/^\(??\|!!\) //p' | sort
}
TREE_BEFORE=$LOGDIR/tree-before.txt
untracked_outside_build >"$TREE_BEFORE"
tree_unchanged() {
  local new
  new=$(untracked_outside_build | comm -13 "$TREE_BEFORE" -)
  [ -z "$new" ] && return 0
  echo "new files outside build/ (a test or script writes into the working tree):"
  printf '%s\n' "$new"
  return 1
}

finish() {
  # Once: with KEEP_GOING=0 a failing check calls finish itself.
  [ -n "${TREE_CHECKED:-}" ] || { TREE_CHECKED=1; check tree/unchanged tree_unchanged; }
  echo
  [ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[*]}"
  printf 'total time %ds\n' $(( $(date +%s) - t_start ))
  echo "$passed passed, $failed failed"
  [ $failed -eq 0 ]; exit $?
}

mk() { make --no-print-directory -j"$JOBS" "$@"; }

suite_build() {
  echo "== build (zero warnings)"
  check build/gcc   mk WERROR=1 CC=gcc all unit-build tools
  check build/clang mk WERROR=1 CC=clang BUILD=build/clang all unit-build tools
  check tree/format scripts/format.sh --check     # .clang-format (CONTRIBUTING.md)
  check tree/names  scripts/check-names.py        # the naming rules (CONTRIBUTING.md)
}

run_units() { # DIR [RUNNER...]
  local dir=$1; shift
  local t
  for t in "$dir"/tests/test_*; do
    [ -x "$t" ] || continue
    check "$(basename "$dir")/$(basename "$t")" "$@" "$t"
  done
}

run_integration() { # BUILD_DIR TAG
  local bdir=$1 tag=$2 s
  for s in tests/integration/*.sh; do
    [ -x "$s" ] || continue
    if [ "$tag" = san ] && ! grep -q '^# san: yes' "$s"; then continue; fi
    check "$tag/$(basename "$s" .sh)" env BUILD="$ROOT/$bdir" "$s"
  done
}

suite_unit() {
  echo "== unit"
  mk all unit-build tools >/dev/null || { check unit/build mk all unit-build tools; return; }
  run_units build
}

# The tests' kubectl (kustomize, schema checks, the k8s suite) is the pinned one the test
# cluster is built with (tests/k8s/build.sh, cached): Debian 12 has none recent enough.
use_pinned_kubectl() {
  local kbin
  if kbin=$(tests/k8s/build.sh 2>"$LOGDIR/k8s-build.log"); then export PATH=$kbin:$PATH
  else echo "  note: no pinned kubectl (tests/k8s/build.sh failed, $LOGDIR/k8s-build.log); using $(command -v kubectl || echo none)"; fi
}

# The other backend than the one the suite ran on: epoll when that was io_uring or auto,
# io_uring when it was epoll.
EVLOOP_OTHER_SCRIPTS=${EVLOOP_OTHER_SCRIPTS:-msdemo_endpoints msdemo_drain ptest_cli ptest_gate ptest_msdemo}
run_other_backend() { # BUILD_DIR
  local bdir=$1 other s
  [ "${EVLOOP_OTHER:-1}" = 1 ] || return 0
  case ${PT_EVLOOP:-epoll} in epoll) other=uring ;; *) other=epoll ;; esac
  if [ "$other" = uring ] && ! PT_EVLOOP=uring "$bdir/msdemo" --check >/dev/null 2>&1; then
    echo "  note: no io_uring here ($(PT_EVLOOP=uring "$bdir/msdemo" --check 2>&1 | tail -n 1)); not run twice"
    return 0
  fi
  for s in $EVLOOP_OTHER_SCRIPTS; do
    [ -x "tests/integration/$s.sh" ] || continue
    check "integration-$other/$s" env PT_EVLOOP=$other BUILD="$ROOT/$bdir" "tests/integration/$s.sh"
  done
}

suite_integration() {
  echo "== integration"
  use_pinned_kubectl
  mk all tools >/dev/null || { check integration/build mk all tools; return; }
  run_integration build integration
  run_other_backend build
}

suite_san() {
  echo "== san (ASan+UBSan)"
  use_pinned_kubectl
  check san/build mk SAN=1 all unit-build tools || return
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_units build/san
  run_integration build/san san
  unset ASAN_OPTIONS UBSAN_OPTIONS
}

suite_fuzz() {
  echo "== fuzz (${FUZZ_SECONDS}s per target)"
  check fuzz/build mk fuzz-build || return
  local f n corpus
  for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    n=$(basename "$f"); n=${n#fuzz_}
    corpus=$(mktemp -d)
    [ -d "tests/fuzz/corpus/$n" ] && cp -r "tests/fuzz/corpus/$n/." "$corpus/"
    check "fuzz/$n" "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$LOGDIR/fuzz-$n-" "$corpus"
    rm -rf "$corpus"
  done
}

suite_cross() {
  echo "== cross (qemu-user)"
  local triple qemu
  for triple in aarch64-linux-gnu arm-linux-gnueabihf; do
    case $triple in aarch64*) qemu=qemu-aarch64-static ;; arm*) qemu=qemu-arm-static ;; esac
    check "cross/$triple/build" mk CROSS=$triple- WERROR=1 all unit-build || continue
    run_units "build/$triple" $qemu -L /usr/$triple \
      -E LD_LIBRARY_PATH="$ROOT/build/sysroot/$triple/usr/lib/$triple"
    # The static programs must start and answer --help on the target architecture.
    local p
    for p in build/$triple/msdemo build/$triple/ptest build/$triple/picluster; do
      [ -x "$p" ] && check "cross/$triple/$(basename "$p")-help" $qemu "$p" --help
    done
  done
}

# The k8s suite's checks are its own lines (tests/k8s/suite.sh prints them), counted here.
suite_k8s() {
  echo "== k8s (real cluster: tests/k8s/cluster)"
  mk all >/dev/null || { check k8s/build mk all; return; }
  local log=$LOGDIR/k8s.log t0 rc line
  t0=$(date +%s)
  tests/k8s/suite.sh >"$log" 2>&1
  rc=$?
  while IFS= read -r line; do
    case $line in
      "ok    "*) passed=$((passed + 1)); printf '  ok    %s\n' "${line#ok    }" ;;
      "FAIL  "*) failed=$((failed + 1)); failures+=("k8s: ${line#FAIL  }"); printf '  FAIL  %s\n' "${line#FAIL  }" ;;
      "      "*) printf '  %s\n' "$line" ;;
    esac
  done <"$log"
  if [ $rc -ne 0 ] && ! grep -q '^FAIL  ' "$log"; then
    failed=$((failed + 1)); failures+=("k8s/suite"); echo "  FAIL  k8s suite exited $rc (log $log)"; tail -n 30 "$log" | sed 's/^/        | /'
  fi
  echo "  k8s suite: $(( $(date +%s) - t0 )) s (log $log)"
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(build unit integration san fuzz cross k8s)
for s in "${suites[@]}"; do
  "suite_$s"
done
finish
