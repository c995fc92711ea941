// hdr_interop.js - the hdr-histogram-js side of tests/integration/hdr_interop.sh.
//
// Every histogram here is the plain JS implementation with 64-bit (Float64Array) counts:
// build({ bitBucketSize: 64, useWebAssembly: false, autoResize: false, ... }) and
// HistogramLogReader(content, 64, false) / decodeFromCompressedBase64(b64, 64, false). With
// ptest's configuration (1 .. 3,600,000,000, 3 digits) the bucket layout is the same as
// lib/hist/hist.c, so counts and percentiles must match exactly.
//
// Output lines mirror tests/tools/hlogtool:
//   percentiles: "p50 p90 p99 p999 max count" where pNN = getValueAtPercentile(NN) (highest
//                equivalent value of the bucket reaching the percentile) and
//                max = highestEquivalentValue(maxValue) (highest value of the top bucket)
//   buckets:     "lowest_equivalent count" per non-empty bucket, ascending
//
// Usage:
//   node hdr_interop.js read-percentiles LOG [TAG]     merge a log's intervals (HistogramLogReader)
//   node hdr_interop.js read-buckets LOG [TAG]
//   node hdr_interop.js write VALUES OUT.hlog PER_INTERVAL [TAG]
//                        log VALUES with HistogramLogWriter; prints the in-memory percentiles
//   node hdr_interop.js values-buckets VALUES           buckets of the values recorded in memory
//   node hdr_interop.js encode VALUES                   encodeIntoCompressedBase64
//   node hdr_interop.js decode-percentiles B64          decodeFromCompressedBase64
//   node hdr_interop.js decode-buckets B64
//   node hdr_interop.js gen KIND OUT                    write a value set: mixed | single |
//                                                       empty | steps | heavy (deterministic)
"use strict";

const fs = require("fs");
const hdr = require("hdr-histogram-js");

const CONFIG = {
  bitBucketSize: 64,
  useWebAssembly: false,
  autoResize: false,
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3600000000,
  numberOfSignificantValueDigits: 3,
};

function newHistogram() {
  return hdr.build(CONFIG);
}

function readValues(path) {
  return fs
    .readFileSync(path, "utf8")
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map((l) => {
      if (!/^[0-9]+$/.test(l)) throw new Error("bad value line: " + l);
      return Number(l);
    });
}

function percentiles(h) {
  const max = h.totalCount === 0 ? 0 : h.highestEquivalentValue(h.maxValue);
  return [
    h.getValueAtPercentile(50),
    h.getValueAtPercentile(90),
    h.getValueAtPercentile(99),
    h.getValueAtPercentile(99.9),
    max,
    h.totalCount,
  ].join(" ");
}

function buckets(h) {
  const out = [];
  for (let i = 0; i < h.countsArrayLength; i++) {
    const c = h.getCountAtIndex(i);
    if (c > 0) out.push(h.valueFromIndex(i) + " " + c);
  }
  return out.join("\n");
}

function mergeLog(path, tag) {
  const reader = new hdr.HistogramLogReader(fs.readFileSync(path, "utf8"), 64, false);
  const acc = newHistogram();
  let h;
  let n = 0;
  while ((h = reader.nextIntervalHistogram()) !== null) {
    n++;
    if (tag !== undefined && h.tag !== tag) continue;
    acc.add(h);
  }
  if (n === 0) throw new Error("no interval read from " + path);
  return acc;
}

function writeLog(values, out, perInterval, tag) {
  let content = "";
  const writer = new hdr.HistogramLogWriter((s) => {
    content += s;
  });
  const startMs = 1700000000000;
  writer.outputLogFormatVersion();
  writer.outputStartTime(startMs);
  writer.outputLegend();
  const all = newHistogram();
  const h = newHistogram();
  if (tag !== undefined) h.tag = tag;
  let k = 0;
  const flush = () => {
    // Absolute timestamps: the reader deduces base time 0 (no BaseTime line).
    writer.outputIntervalHistogram(h, startMs / 1000 + k, startMs / 1000 + k + 1, 1000);
    h.reset();
    if (tag !== undefined) h.tag = tag;
    k++;
  };
  let inInterval = 0;
  for (const v of values) {
    h.recordValue(v);
    all.recordValue(v);
    if (++inInterval === perInterval) {
      flush();
      inInterval = 0;
    }
  }
  if (inInterval > 0 || k === 0) flush();
  fs.writeFileSync(out, content);
  return all;
}

// Value sets for the interop test. A fixed xorshift32 stream, integer arithmetic only for the
// state; the files are generated once per run and read by both sides, so the last-ulp
// behaviour of Math.exp does not matter. All values are <= highestTrackableValue: above it
// lib/hdr clamps while hdr-histogram-js records up to the end of its counts array (or
// throws), which is a documented difference, not an interop property.
function genValues(kind) {
  let x = 0x9e3779b9 | 0;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const edges = [0, 1, 2, 3, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 999999, 1000000,
    1000001, 3599999999, 3600000000];
  const out = [];
  switch (kind) {
    case "empty":
      break;
    case "single":
      out.push(123456);
      break;
    case "mixed":
      out.push(...edges);
      for (let i = 0; i < 20000; i++) {
        // log-uniform over 1 .. 3.6e9 plus a latency-like hump around 20 ms
        const v = next() < 0.5 ? Math.floor(Math.exp(next() * Math.log(3600000000))) :
          Math.floor(20000 + 5000 * (next() + next() + next() - 1.5));
        out.push(Math.min(v, 3600000000));
      }
      break;
    case "steps":
      // 1 .. 1000 (one value per bucket): (99.9 / 100) * 1000 is 999.0000000000001 in
      // doubles, so p99.9 is 999 only with the reference's "- ulp" rounding rule
      for (let i = 1; i <= 1000; i++) out.push(i);
      break;
    case "heavy":
      // large per-bucket counts: multi-byte LEB128 counts and long zero runs
      for (let i = 0; i < 200000; i++) out.push(1234);
      for (let i = 0; i < 70000; i++) out.push(999);
      for (let i = 0; i < 3; i++) out.push(3600000000);
      out.push(1);
      break;
    default:
      throw new Error("unknown value set " + kind);
  }
  return out;
}

function main(argv) {
  const [cmd, a, b, c, d] = argv;
  switch (cmd) {
    case "read-percentiles":
      return percentiles(mergeLog(a, b));
    case "read-buckets":
      return buckets(mergeLog(a, b));
    case "write":
      return percentiles(writeLog(readValues(a), b, Number(c), d));
    case "values-buckets": {
      const h = newHistogram();
      readValues(a).forEach((v) => h.recordValue(v));
      return buckets(h);
    }
    case "encode": {
      const h = newHistogram();
      readValues(a).forEach((v) => h.recordValue(v));
      return hdr.encodeIntoCompressedBase64(h);
    }
    case "decode-percentiles":
      return percentiles(hdr.decodeFromCompressedBase64(a, 64, false));
    case "decode-buckets":
      return buckets(hdr.decodeFromCompressedBase64(a, 64, false));
    case "gen": {
      const v = genValues(a);
      fs.writeFileSync(b, v.length ? v.join("\n") + "\n" : "");
      return "";
    }
    default:
      throw new Error("unknown command " + cmd);
  }
}

try {
  const out = main(process.argv.slice(2));
  if (out.length > 0) process.stdout.write(out + "\n");
} catch (e) {
  process.stderr.write("hdr_interop.js: " + e.message + "\n");
  process.exit(1);
}
