/* collect.h - the collector of a distributed run (`ptest collect`): what N workers sent
 * (collect_wire.h), merged live, and at the end the merged results directory.
 *
 * Worker states: waiting (nothing received), live (intervals received, no final results),
 * final (its result files were uploaded and committed). The run is done when every worker
 * is final, or when collect_finish is called (the --timeout, or a signal): then
 *   - every final worker's uploaded folder (OUT/.workers/worker-I/: results.json and the
 *     interval logs exactly as the worker wrote them) is merged;
 *   - a live worker (killed mid-run) contributes the seconds it sent: the collector writes
 *     them as an ordinary results folder (results.c, no plan echo, no service times) in
 *     OUT/.workers/worker-I/ and merges that too: it is "partial";
 *   - a waiting worker is "missing";
 * through merge.c's exact merge into OUT (results.json with "distributed", the interval
 * logs), then analysed like `ptest merge` (junit.xml, scorecard.html + .css, summary.txt;
 * partial and missing workers fail the gate, gate.h).
 * The live view (collect_status_json, collect_metrics, collect_progress) adds every received second:
 * counts and error kinds per label since the start, latency quantiles of the whole run so
 * far, and the request rate of the last complete wall-clock second (COLLECT_LAG_S ago).
 * Ownership: collect owns everything it holds (collect_destroy). Single-threaded.
 */
#ifndef PTEST_COLLECT_H
#define PTEST_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct collect collect;

/* Results of the upload handlers; each maps to one HTTP status (collect_http_status). */
enum {
    COLLECT_OK = 0,
    COLLECT_EBAD = -1,      /* malformed body or name: 400 */
    COLLECT_ENOTFOUND = -2, /* worker index out of range: 404 */
    COLLECT_ECONFLICT = -3, /* another worker count, already committed, run already merged: 409 */
    COLLECT_ENOMEM = -4,    /* 500 */
    COLLECT_EIO = -5,       /* cannot write the spool folder: 500 */
};

/* Seconds behind the wall clock at which a second counts as complete for the live rate. */
#define COLLECT_LAG_S 2

/* workers >= 1; out_dir is created (with its .workers spool) when missing. Returns 0 or -1
 * with err filled. */
int collect_create(collect **out, uint32_t workers, const char *out_dir, char *err, size_t errlen);
void collect_destroy(collect *c);

/* Handlers: body is the request body (len bytes). msg receives a one-line answer for the
 * worker ("ok", "duplicate second 5 ignored", or what is wrong). Return a COLLECT_* code. */
int collect_interval(collect *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen);
int collect_put_file(collect *c, uint32_t worker, const char *name, size_t name_n, const char *body, size_t len,
                     char *msg, size_t msglen);
/* The worker's results.json and every interval log it names must be there and load
 * (analysis.h); a second commit of a final worker is fine. */
int collect_commit(collect *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen);
int collect_http_status(int rc);

bool collect_all_final(const collect *c);
bool collect_done(const collect *c);
/* POST /finish: whoever runs the workers knows that the silent ones are gone (their pods
 * ended); the collector then merges at once instead of waiting for --timeout. */
void collect_request_finish(collect *c);
bool collect_finish_requested(const collect *c);
const char *collect_out_dir(const collect *c);

/* Merges and analyses (see above); timed_out says why it happens before every worker is
 * final. Afterwards collect_done() is true and uploads answer COLLECT_ECONFLICT. Returns the
 * analysis' exit code (run.h: 0 pass, 1 gate failed, 3 aborted), or RUN_EXIT_USAGE with
 * err filled when the results could not be written. quiet: no summary on stdout. */
int collect_finish(collect *c, bool timed_out, bool quiet, char *err, size_t errlen);

/* GET /status: {"workers": N, "reported": [final, not cut short], "live": [sent anything], "partial":
 * [live, not final], "missing": [nothing sent], "done", "complete" (every worker final when
 * done), "timed_out", "exit_code": null | the analysis' exit code}. */
int collect_status_json(const collect *c, buf *out);
/* GET /metrics, Prometheus text format 0.0.4; now_ms = wall clock, ms since the epoch. */
int collect_metrics(const collect *c, uint64_t now_ms, buf *out);
/* The progress line (no newline). elapsed_ns since the collector started. */
size_t collect_progress(const collect *c, uint64_t elapsed_ns, uint64_t now_ms, char *out, size_t outlen);
/* GET /results/: the merged folder's file names, one per line (only after done). Returns 0
 * or -1. collect_result_ok tells whether name (n bytes) is one of them. */
int collect_results_index(const collect *c, buf *out);
bool collect_result_ok(const collect *c, const char *name, size_t n);

#endif
