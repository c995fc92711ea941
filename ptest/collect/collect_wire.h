/* collect_wire.h - what a distributed worker (`ptest run --report-to`) sends to the
 * collector (`ptest collect`), over plain HTTP/1.1, and how both sides check it.
 *
 * Requests (I = the worker's 0-based index, from --share I/N):
 *   POST /v1/workers/I/interval       one second of the run (JSON below), as it goes
 *   PUT  /v1/workers/I/final/NAME     one final result file: NAME is results.json or an
 *                                     interval log (collect_wire_valid_file_name)
 *   POST /v1/workers/I/final          commit: every final file is there; body {"workers": N}
 * Interval body (compact JSON):
 *   {"workers": N, "start_ms": <run start, ms since the epoch (the interval logs' BaseTime)>,
 *    "t": <second index from the start>, "len_ms": <length, 1000 but for the last>,
 *    "labels": [{"name": "<label>", "count": n, "errors": n,
 *                "errors_by_kind": {"connect_refused": n, ...}  (kinds with n > 0 only;
 *                                  they add up to errors but for local_limit, stats.h),
 *                "hist": "<base64 V2 compressed latency histogram, us (hlog.h)>"}, ...]}
 *   Labels in the worker's plan order; the total is their sum (the collector adds it).
 *   A second is identified by (worker, t): a retried upload of the same t is ignored, so a
 *   retry after a lost answer never counts twice.
 * Not thread-safe per object; the functions are reentrant.
 */
#ifndef PTEST_COLLECT_WIRE_H
#define PTEST_COLLECT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hist.h"
#include "stats.h"

#define COLLECT_WIRE_MAX_LABELS 1024
#define COLLECT_WIRE_MAX_NAME 256 /* label name bytes */
#define COLLECT_WIRE_MAX_FILE_NAME 128
#define COLLECT_WIRE_MAX_T (UINT32_C(366) * 86400)
#define COLLECT_WIRE_MAX_INTERVAL_BYTES (4u << 20) /* request body limits */
#define COLLECT_WIRE_MAX_FILE_BYTES (256u << 20)
#define COLLECT_WIRE_MAX_COMMIT_BYTES 4096

enum { COLLECT_WIRE_ESYNTAX = -1, COLLECT_WIRE_ENOMEM = -2 };

typedef struct collect_wire_label {
    char *name; /* owned */
    uint64_t count, errors;
    uint64_t by_kind[STATS_ERR_N]; /* [STATS_OK] is 0 */
    char *hist;                    /* base64 as received (owned, NUL-terminated) */
    hist *lat;                     /* decoded (owned); HIST_PTEST_* layout */
} collect_wire_label;

typedef struct collect_wire_interval {
    uint32_t workers;
    uint64_t start_ms;
    uint32_t t, len_ms;
    size_t n_labels;
    collect_wire_label *labels; /* owned */
} collect_wire_interval;

/* Renders one interval of a worker: iv's labels named names[0..iv->n_labels). Appends to out.
 * Returns 0 or COLLECT_WIRE_ENOMEM (also when a histogram cannot be encoded). */
int collect_wire_format_interval(buf *out, uint32_t workers, uint64_t start_ms, uint32_t t, uint32_t len_ms,
                                 const stats_interval *iv, const char *const *names);

/* Parses and checks an interval body (len bytes, need not be NUL-terminated): every field
 * present and in range (t <= COLLECT_WIRE_MAX_T, 1 <= len_ms <= 3600000, errors <= count, the
 * kinds add up to errors, the histogram decodes to the HIST_PTEST_* layout and holds at most
 * count values, unique non-empty names). Returns 0 (free with collect_wire_interval_fini) or
 * COLLECT_WIRE_ESYNTAX / COLLECT_WIRE_ENOMEM with err filled; *iv is then empty. */
int collect_wire_parse_interval(const char *body, size_t len, collect_wire_interval *iv, char *err, size_t errlen);
void collect_wire_interval_fini(collect_wire_interval *iv);

/* Parses a commit body {"workers": N}. Returns 0 or COLLECT_WIRE_ESYNTAX (err filled). */
int collect_wire_parse_commit(const char *body, size_t len, uint32_t *workers, char *err, size_t errlen);

/* True for 1..255 bytes of [A-Za-z0-9._-] not starting with '.' (a file name without any
 * path, never "." or "..", never a dot file). */
bool collect_wire_plain_name(const char *s, size_t n);
/* True for a final file name the collector accepts: "results.json", or 1..COLLECT_WIRE_MAX_FILE_NAME
 * bytes of [A-Za-z0-9._-] ending in ".hlog" and not starting with '.' (what
 * results_hlog_names produces; no path, so nothing can escape the worker's folder). */
bool collect_wire_valid_file_name(const char *s, size_t n);

/* Splits a worker path "/v1/workers/I/REST" (path of n bytes): *index = I (decimal, no
 * sign or leading zeros, < 2^31) and *rest a view of REST ("interval", "final",
 * "final/NAME"). Returns 0 or -1 (not a worker path). */
int collect_wire_worker_path(const char *path, size_t n, uint32_t *index, const char **rest, size_t *rest_n);

#endif
