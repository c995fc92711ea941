#!/usr/bin/env bash
# hdr_interop.sh - proves that lib/hdr + lib/hlog interoperate with hdr-histogram-js.
#
# For each value set (tests/integration/hdr_interop.js gen: mixed, single, empty, steps, heavy):
#   a) hlogtool writes an interval log (several intervals, untagged and tagged); node reads it
#      with HistogramLogReader: percentiles and every non-empty bucket must equal ours.
#   b) node writes an interval log with HistogramLogWriter; hlogtool reads it: percentiles
#      must equal node's in-memory histogram, buckets must equal node's recorded buckets.
#   c) a single histogram through encodeIntoCompressedBase64 / decodeFromCompressedBase64
#      in both directions.
#   d) both sides agree on the ground truth: hlogtool's merged log == node's in-memory values.
# Compared line: "p50 p90 p99 p999 max count"; pNN is the highest equivalent value of the
# bucket where the cumulative count reaches ceil(NN/100 * count - ulp) (the HdrHistogram
# getValueAtPercentile rule, see lib/hist/hist.h), max the highest equivalent value of the top
# bucket. The JS side uses the plain JS implementation with 64-bit counts (no WebAssembly,
# no packed array) and ptest's configuration, so equality is exact.
#
# Env: BUILD (default build), HLOGTOOL (default $BUILD/tools/hlogtool, built if missing),
# HDR_JS_VERSION (default 3.0.1; installed with npm into $BUILD/node if missing).
# Prints "N passed, N failed" last; exits non-zero on any failure.
# san: yes
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
HDR_JS_VERSION=${HDR_JS_VERSION:-3.0.1}
js=tests/integration/hdr_interop.js

die() {
    echo "hdr_interop: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

command -v node >/dev/null 2>&1 || die "node not found"
if [ -z "${HLOGTOOL:-}" ]; then
    HLOGTOOL=$BUILD/tools/hlogtool
    # tests/run.sh builds the tools first; standalone runs build it here (ASan flags for the
    # build/san tree, whose objects need them).
    if [ ! -x "$HLOGTOOL" ]; then
        san=; [ "$(basename "$BUILD")" = san ] && san=SAN=1
        make --no-print-directory BUILD="$BUILD" $san "$HLOGTOOL" >&2 || die "cannot build $HLOGTOOL"
    fi
fi
[ -x "$HLOGTOOL" ] || die "$HLOGTOOL not executable"

nodedir=$BUILD/node
if [ ! -f "$nodedir/node_modules/hdr-histogram-js/package.json" ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found"
    mkdir -p "$nodedir"
    npm install --prefix "$nodedir" --no-audit --no-fund --silent \
        "hdr-histogram-js@$HDR_JS_VERSION" >&2 || die "npm install hdr-histogram-js failed"
fi
export NODE_PATH=$nodedir/node_modules
echo "hdr-histogram-js $(node -p 'require("hdr-histogram-js/package.json").version')"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hdr_interop.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
# check NAME EXPECTED_FILE ACTUAL_FILE
check() {
    if [ -s "$2" ] || [ -s "$3" ] || [ "$4" = empty-ok ]; then
        if cmp -s "$2" "$3"; then
            pass=$((pass + 1))
            echo "ok   $1 ($(head -n 1 "$2"))"
            return
        fi
    fi
    fail=$((fail + 1))
    echo "FAIL $1"
    diff "$2" "$3" | head -n 10
}

for set in mixed single empty steps heavy; do
    v=$tmp/$set.values
    node "$js" gen "$set" "$v" || die "cannot generate $set"
    # Ground truth from node's in-memory histogram (also writes the node log for b).
    node "$js" write "$v" "$tmp/$set.node.hlog" 7000 > "$tmp/$set.truth" 2>&1
    node "$js" values-buckets "$v" > "$tmp/$set.truth.buckets" 2>&1
    node "$js" write "$v" "$tmp/$set.node-tag.hlog" 5000 ptest_A > /dev/null 2>&1

    # a) ours -> node
    "$HLOGTOOL" write "$tmp/$set.ours.hlog" -n 7000 < "$v"
    "$HLOGTOOL" write "$tmp/$set.ours-tag.hlog" -n 5000 -t ptest_A < "$v"
    "$HLOGTOOL" percentiles "$tmp/$set.ours.hlog" > "$tmp/a.ours" 2>&1
    node "$js" read-percentiles "$tmp/$set.ours.hlog" > "$tmp/a.node" 2>&1
    check "$set a: hlogtool log -> HistogramLogReader percentiles" "$tmp/a.ours" "$tmp/a.node" x
    "$HLOGTOOL" buckets "$tmp/$set.ours.hlog" > "$tmp/a.ours.b" 2>&1
    node "$js" read-buckets "$tmp/$set.ours.hlog" > "$tmp/a.node.b" 2>&1
    check "$set a: hlogtool log -> HistogramLogReader buckets" "$tmp/a.ours.b" "$tmp/a.node.b" empty-ok
    "$HLOGTOOL" percentiles "$tmp/$set.ours-tag.hlog" -t ptest_A > "$tmp/a.ours.t" 2>&1
    node "$js" read-percentiles "$tmp/$set.ours-tag.hlog" ptest_A > "$tmp/a.node.t" 2>&1
    check "$set a: tagged hlogtool log -> HistogramLogReader" "$tmp/a.ours.t" "$tmp/a.node.t" x

    # b) node -> ours
    "$HLOGTOOL" percentiles "$tmp/$set.node.hlog" > "$tmp/b.ours" 2>&1
    check "$set b: HistogramLogWriter log -> hlogtool percentiles" "$tmp/$set.truth" "$tmp/b.ours" x
    "$HLOGTOOL" buckets "$tmp/$set.node.hlog" > "$tmp/b.ours.b" 2>&1
    check "$set b: HistogramLogWriter log -> hlogtool buckets" "$tmp/$set.truth.buckets" "$tmp/b.ours.b" empty-ok
    "$HLOGTOOL" percentiles "$tmp/$set.node-tag.hlog" -t ptest_A > "$tmp/b.ours.t" 2>&1
    check "$set b: tagged HistogramLogWriter log -> hlogtool" "$tmp/$set.truth" "$tmp/b.ours.t" x

    # c) single histograms, base64 both ways
    ours_b64=$("$HLOGTOOL" encode < "$v")
    node "$js" decode-percentiles "$ours_b64" > "$tmp/c.node" 2>&1
    "$HLOGTOOL" decode "$ours_b64" > "$tmp/c.ours" 2>&1
    check "$set c: hlogtool encode -> decodeFromCompressedBase64" "$tmp/c.ours" "$tmp/c.node" x
    node_b64=$(node "$js" encode "$v")
    "$HLOGTOOL" decode "$node_b64" > "$tmp/c.ours2" 2>&1
    node "$js" decode-percentiles "$node_b64" > "$tmp/c.node2" 2>&1
    check "$set c: encodeIntoCompressedBase64 -> hlogtool decode" "$tmp/c.node2" "$tmp/c.ours2" x
    "$HLOGTOOL" decode-buckets "$node_b64" > "$tmp/c.ours2.b" 2>&1
    check "$set c: encodeIntoCompressedBase64 -> hlogtool buckets" "$tmp/$set.truth.buckets" "$tmp/c.ours2.b" empty-ok

    # d) ground truth
    check "$set d: hlogtool recording == hdr-histogram-js recording" "$tmp/$set.truth" "$tmp/a.ours" x
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
