/* metrics.h - msdemo's request metrics and their Prometheus text exposition.
 *
 * Shared-nothing: each worker thread owns one metrics_worker and is its only writer; the
 * /metrics handler (any worker) reads all of them with relaxed atomic loads, so a scrape
 * never stops a worker and 64-bit counters are never torn on 32-bit ARM.
 * A metrics_layout describes the rows (one per path label), their histogram buckets and the
 * status codes; it is built once at start and read-only afterwards.
 */
#ifndef MSDEMO_METRICS_H
#define MSDEMO_METRICS_H

#include "buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_ROWS 80
#define METRICS_MAX_BUCKETS 20
#define METRICS_MAX_CODES 24

typedef struct metrics_row {
    const char *path; /* label value (not owned) */
    size_t n_buckets;
    uint64_t le_ns[METRICS_MAX_BUCKETS]; /* upper bounds, increasing; +Inf implicit */
} metrics_row;

typedef struct metrics_layout {
    size_t n_rows;
    metrics_row rows[METRICS_MAX_ROWS];
    size_t n_codes;
    int codes[METRICS_MAX_CODES]; /* codes[0] is 200 */
    size_t cells_per_row;         /* n_codes + METRICS_MAX_BUCKETS + 1 + 2 */
} metrics_layout;

typedef struct metrics_worker {
    const metrics_layout *layout;
    uint64_t *cells;      /* n_rows * cells_per_row */
    int64_t inflight;     /* requests received, response not yet written */
    uint64_t connections; /* open connections */
    uint64_t rejected;    /* connections refused over max_connections */
} metrics_worker;

/* Starts an empty layout with the standard codes. */
void metrics_layout_init(metrics_layout *l);
/* Adds a status code (deduplicated). Returns 0 or -1 when the table is full. */
int metrics_layout_add_code(metrics_layout *l, int code);
/* Adds a row whose buckets cover values from lo_ns to hi_ns (a 1-2.5-5 ladder, plus the
 * given extra bounds such as a delay series' quantiles). Returns the row index or -1. */
int metrics_layout_add_row(metrics_layout *l, const char *path, uint64_t lo_ns, uint64_t hi_ns, const uint64_t *extra,
                           size_t n_extra);

int metrics_worker_init(metrics_worker *w, const metrics_layout *l);
void metrics_worker_fini(metrics_worker *w);

/* Records one answered request. Only the owning thread calls this. */
void metrics_observe(metrics_worker *w, size_t row, int code, uint64_t duration_ns);
void metrics_inflight_add(metrics_worker *w, int64_t delta);
void metrics_conn_add(metrics_worker *w, int64_t delta);
void metrics_rejected_inc(metrics_worker *w);

/* Process-wide values rendered beside the request metrics. */
typedef struct metrics_process {
    double start_time_seconds;
    bool ready;
    const char *version;
} metrics_process;

/* Renders the exposition of all workers into out (which reports allocation failure). */
void metrics_render(const metrics_layout *l, metrics_worker *const *workers, size_t n_workers,
                    const metrics_process *proc, buf *out);

#endif
