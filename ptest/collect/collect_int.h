/* collect_int.h - the collector's state, shared by collect.c (uploads, status, results
 * index), collect_live.c (metrics and progress) and collect_finish.c (the merge). */
#ifndef PTEST_COLLECT_INT_H
#define PTEST_COLLECT_INT_H

#include "collect.h"
#include "collect_wire.h"
#include "hist.h"
#include "stats.h"

#define COLLECT_RING 4 /* recent wall-clock seconds kept for the live rate */

enum { COLLECT_WAITING, COLLECT_LIVE, COLLECT_FINAL };

/* One label of one received second, as the worker sent it. */
typedef struct collect_sec_label {
    uint32_t label; /* index into the worker's labels */
    uint64_t count, errors;
    uint64_t by_kind[STATS_ERR_N];
    char *hist; /* base64 (owned); decoded again only for a partial worker */
} collect_sec_label;

typedef struct collect_sec {
    uint32_t t, len_ms;
    size_t n;
    collect_sec_label *l;
} collect_sec;

typedef struct collect_worker {
    int state;         /* COLLECT_WAITING / _LIVE / _FINAL */
    bool cut_short;    /* final, but its run was interrupted or aborted */
    uint64_t start_ms; /* run start (from its first interval) */
    size_t n_labels;
    char **labels; /* names in the order first sent */
    size_t n_secs, cap_secs;
    collect_sec *secs; /* freed when the worker goes final */
    uint8_t *seen;     /* bitmap of the seconds t received */
    size_t seen_bytes;
    char *dir; /* OUT/.workers/worker-I */
} collect_worker;

/* Live totals of one label over every worker (or of all labels: collect.total). */
typedef struct collect_agg {
    char *name;
    uint64_t count, errors;
    uint64_t by_kind[STATS_ERR_N];
    hist *lat; /* whole run so far */
    uint64_t ring_sec[COLLECT_RING], ring_count[COLLECT_RING];
} collect_agg;

struct collect {
    uint32_t n_workers;
    collect_worker *w;
    size_t n_aggs, cap_aggs;
    collect_agg *aggs;
    collect_agg total;
    hist *ring_lat[COLLECT_RING]; /* total latency of the recent seconds */
    char *out_dir, *spool;
    char **files; /* what the merge and the analysis wrote into out_dir, sorted */
    size_t n_files;
    bool done, complete, timed_out;
    bool finish_requested; /* POST /finish: merge what arrived, now */
    int exit_code;
};

/* Index of second s (wall clock, seconds since the epoch) in the ring, or -1 when the ring
 * no longer holds it. */
int collect_ring_slot(const collect_agg *a, uint64_t s);

/* Records the files of the merged folder (results.json, the interval logs it names, the
 * reports) for the index. Returns 0 or -1. */
int collect_list_results(collect *c);

#endif
