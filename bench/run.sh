#!/usr/bin/env bash
# run.sh - runs every bench/*.sh in turn (`make bench`). Benchmarks print figures; they are
# not tests and are never part of `make test`. Exits 1 if a benchmark could not run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
rc=0
for b in bench/*.sh; do
  case $b in bench/run.sh | bench/lib.sh) continue ;; esac
  echo "=== $b"
  if ! "$b"; then
    echo "=== $b could not run" >&2
    rc=1
  fi
  echo
done
exit $rc
