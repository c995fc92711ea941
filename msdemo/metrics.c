/* metrics.c - counters, histograms and the Prometheus text format (version 0.0.4). */
#include "metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procstat.h"
#include "promtext.h"

/* Single-writer counters: a relaxed load and store is enough (no lock prefix on x86), and
 * the __atomic builtins make the 64-bit access untearable on armv7 as well. */
#define CELL_ADD(p, v) __atomic_store_n((p), __atomic_load_n((p), __ATOMIC_RELAXED) + (v), __ATOMIC_RELAXED)
#define CELL_GET(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* Cell layout of a row: [codes...][buckets... + Inf][sum_ns][count] */
#define BUCKET_BASE(l) ((l)->n_codes)

void metrics_layout_init(metrics_layout *l)
{
    static const int std_codes[] = {200, 400, 404, 405, 408, 413, 431, 500, 503, 505};
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < sizeof std_codes / sizeof std_codes[0]; i++)
        metrics_layout_add_code(l, std_codes[i]);
}

int metrics_layout_add_code(metrics_layout *l, int code)
{
    for (size_t i = 0; i < l->n_codes; i++)
        if (l->codes[i] == code)
            return 0;
    if (l->n_codes >= METRICS_MAX_CODES || l->n_rows > 0)
        return -1; /* codes are fixed before the first row so cell offsets never move */
    l->codes[l->n_codes++] = code;
    l->cells_per_row = l->n_codes + METRICS_MAX_BUCKETS + 1 + 2;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rounds v up to three significant decimal digits so that bucket labels stay readable and a
 * bound never falls below the value it is meant to cover. */
static uint64_t round3_up(uint64_t v)
{
    uint64_t scale = 1;
    while (v / scale >= 1000)
        scale *= 10;
    return (v + scale - 1) / scale * scale;
}

int metrics_layout_add_row(metrics_layout *l, const char *path, uint64_t lo_ns, uint64_t hi_ns, const uint64_t *extra,
                           size_t n_extra)
{
    if (l->n_rows >= METRICS_MAX_ROWS)
        return -1;
    uint64_t cand[64];
    size_t n = 0;
    /* The 1-2.5-5 ladder from 100 us to 10 s, kept where it brackets [lo/2, hi*4]. */
    static const uint64_t ladder_us[] = {100,   250,    500,    1000,   2500,    5000,    10000,   25000,
                                         50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
    uint64_t from = lo_ns / 2, to = hi_ns > UINT64_MAX / 4 ? UINT64_MAX : hi_ns * 4;
    if (to < 1000000)
        to = 1000000; /* always cover at least 1 ms: answers are never faster than the wire */
    for (size_t i = 0; i < sizeof ladder_us / sizeof ladder_us[0]; i++) {
        uint64_t b = ladder_us[i] * 1000;
        if (b >= from && b <= to)
            cand[n++] = b;
    }
    for (size_t i = 0; i < n_extra && n < sizeof cand / sizeof cand[0]; i++)
        if (extra[i] > 0)
            cand[n++] = round3_up(extra[i]);
    qsort(cand, n, sizeof cand[0], cmp_u64);
    /* Deduplicate, then keep every other bound (always the last) until they fit. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || cand[i] != cand[m - 1])
            cand[m++] = cand[i];
    while (m > METRICS_MAX_BUCKETS) {
        size_t k = 0;
        for (size_t i = 0; i < m; i += 2)
            cand[k++] = cand[i];
        if (cand[k - 1] != cand[m - 1])
            cand[k++] = cand[m - 1];
        m = k;
    }
    metrics_row *r = &l->rows[l->n_rows];
    r->path = path;
    r->n_buckets = m;
    memcpy(r->le_ns, cand, m * sizeof cand[0]);
    return (int)l->n_rows++;
}

int metrics_worker_init(metrics_worker *w, const metrics_layout *l)
{
    memset(w, 0, sizeof *w);
    w->layout = l;
    w->cells = calloc(l->n_rows * l->cells_per_row, sizeof *w->cells);
    return w->cells ? 0 : -1;
}

void metrics_worker_fini(metrics_worker *w)
{
    free(w->cells);
    w->cells = NULL;
}

void metrics_observe(metrics_worker *w, size_t row, int code, uint64_t duration_ns)
{
    const metrics_layout *l = w->layout;
    uint64_t *c = w->cells + row * l->cells_per_row;
    size_t ci = 0;
    while (ci < l->n_codes && l->codes[ci] != code)
        ci++;
    if (ci == l->n_codes)
        ci = 0; /* cannot happen: every code msdemo sends is in the layout */
    CELL_ADD(&c[ci], 1);
    const metrics_row *r = &l->rows[row];
    size_t b = 0;
    while (b < r->n_buckets && duration_ns > r->le_ns[b])
        b++;
    CELL_ADD(&c[BUCKET_BASE(l) + b], 1); /* b == n_buckets is the +Inf bucket */
    CELL_ADD(&c[BUCKET_BASE(l) + METRICS_MAX_BUCKETS + 1], duration_ns);
    CELL_ADD(&c[BUCKET_BASE(l) + METRICS_MAX_BUCKETS + 2], 1);
}

void metrics_inflight_add(metrics_worker *w, int64_t delta)
{
    CELL_ADD(&w->inflight, delta);
}
void metrics_conn_add(metrics_worker *w, int64_t delta)
{
    CELL_ADD(&w->connections, (uint64_t)delta);
}
void metrics_rejected_inc(metrics_worker *w)
{
    CELL_ADD(&w->rejected, 1);
}


static uint64_t sum_cell(metrics_worker *const *ws, size_t n, size_t row, size_t cell)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += CELL_GET(&ws[i]->cells[row * ws[i]->layout->cells_per_row + cell]);
    return s;
}


void metrics_render(const metrics_layout *l, metrics_worker *const *ws, size_t n, const metrics_process *proc, buf *out)
{
    promtext_family(out, "msdemo_requests_total", "counter", "Requests answered, by path and status code.");
    for (size_t r = 0; r < l->n_rows; r++)
        for (size_t c = 0; c < l->n_codes; c++) {
            uint64_t v = sum_cell(ws, n, r, c);
            if (v || c == 0) /* 200 always present so rate() has a series from the start */
                buf_printf(out, "msdemo_requests_total{path=\"%s\",code=\"%d\"} %" PRIu64 "\n", l->rows[r].path,
                           l->codes[c], v);
        }

    promtext_family(out, "msdemo_request_duration_seconds", "histogram",
                    "Time from a request's arrival to its response being written, by path.");
    for (size_t r = 0; r < l->n_rows; r++) {
        const metrics_row *row = &l->rows[r];
        uint64_t cum = 0;
        for (size_t b = 0; b <= row->n_buckets; b++) {
            cum += sum_cell(ws, n, r, BUCKET_BASE(l) + b);
            buf_printf(out, "msdemo_request_duration_seconds_bucket{path=\"%s\",le=\"", row->path);
            if (b < row->n_buckets)
                promtext_seconds(out, row->le_ns[b]);
            else
                buf_puts(out, "+Inf");
            buf_printf(out, "\"} %" PRIu64 "\n", cum);
        }
        buf_printf(out, "msdemo_request_duration_seconds_sum{path=\"%s\"} ", row->path);
        promtext_seconds(out, sum_cell(ws, n, r, BUCKET_BASE(l) + METRICS_MAX_BUCKETS + 1));
        buf_printf(out, "\nmsdemo_request_duration_seconds_count{path=\"%s\"} %" PRIu64 "\n", row->path,
                   sum_cell(ws, n, r, BUCKET_BASE(l) + METRICS_MAX_BUCKETS + 2));
    }

    int64_t inflight = 0;
    uint64_t conns = 0, rejected = 0;
    for (size_t i = 0; i < n; i++) {
        inflight += (int64_t)CELL_GET(&ws[i]->inflight);
        conns += CELL_GET(&ws[i]->connections);
        rejected += CELL_GET(&ws[i]->rejected);
    }
    promtext_family(out, "msdemo_inflight_requests", "gauge", "Requests received whose response is not yet written.");
    buf_printf(out, "msdemo_inflight_requests %" PRId64 "\n", inflight);
    promtext_family(out, "msdemo_open_connections", "gauge", "Client connections currently open.");
    buf_printf(out, "msdemo_open_connections %" PRIu64 "\n", conns);
    promtext_family(out, "msdemo_rejected_connections_total", "counter",
                    "Connections refused because limits.max_connections was reached.");
    buf_printf(out, "msdemo_rejected_connections_total %" PRIu64 "\n", rejected);
    promtext_family(out, "msdemo_ready", "gauge", "1 while /readyz answers 200, 0 while draining.");
    buf_printf(out, "msdemo_ready %d\n", proc->ready ? 1 : 0);
    promtext_family(out, "msdemo_build_info", "gauge", "Build information; the value is always 1.");
    buf_printf(out, "msdemo_build_info{version=\"%s\"} 1\n", proc->version);

    procstat ps;
    procstat_read(&ps);
    promtext_family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    buf_printf(out, "process_cpu_seconds_total %.6f\n", ps.cpu_seconds);
    promtext_family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    buf_printf(out, "process_resident_memory_bytes %" PRIu64 "\n", ps.rss_bytes);
    promtext_family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    buf_printf(out, "process_virtual_memory_bytes %" PRIu64 "\n", ps.vsize_bytes);
    promtext_family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    buf_printf(out, "process_open_fds %" PRIu64 "\n", ps.open_fds);
    if (ps.max_fds) {
        promtext_family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        buf_printf(out, "process_max_fds %" PRIu64 "\n", ps.max_fds);
    }
    promtext_family(out, "process_start_time_seconds", "gauge",
                    "Start time of the process since unix epoch in seconds.");
    buf_printf(out, "process_start_time_seconds %.3f\n", proc->start_time_seconds);
}
