#!/usr/bin/env bash
# scripts/format.sh [--check] - the C style of .clang-format, on every tracked .c and .h file.
#   (no option)  rewrites the files in place (`make format`)
#   --check      changes nothing; lists the files clang-format would change, exit 1 if any
# The style is pinned to clang-format 14 (Debian bookworm, scripts/deps.sh test installs it):
# another major version formats some constructs differently, so --check refuses to judge
# with it (exit 2) rather than report differences that are the tool's, not the code's.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null || { echo "format: $cf not found (scripts/deps.sh test installs it)" >&2; exit 2; }
ver=$("$cf" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --check ]; then
  [ "$ver" = 14 ] || { echo "format: the style is pinned to clang-format 14, this is $ver" >&2; exit 2; }
  bad=()
  for f in "${files[@]}"; do
    "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  [ ${#bad[@]} -eq 0 ] && { echo "format: ${#files[@]} files as .clang-format says"; exit 0; }
  printf 'format: not as .clang-format says (make format): %s\n' "${bad[@]}"
  exit 1
fi
"$cf" -i "${files[@]}"
