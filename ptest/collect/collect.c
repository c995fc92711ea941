/* collect.c - the collector's uploads, its status and the merged folder's index. */
#include "collect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis.h"
#include "jsonw.h"
#include "results.h"

static int agg_init(collect_agg *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    if (!(a->name = strdup(name)))
        return -1;
    return hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &a->lat) ? -1 : 0;
}

static void agg_fini(collect_agg *a)
{
    free(a->name);
    hist_destroy(a->lat);
}

int collect_create(collect **out, uint32_t workers, const char *out_dir, char *err, size_t errlen)
{
    collect *c = calloc(1, sizeof(*c));
    buf spool = BUF_INIT;
    if (!c)
        goto nomem;
    c->n_workers = workers;
    c->exit_code = -1;
    c->w = calloc(workers ? workers : 1, sizeof(*c->w));
    c->out_dir = strdup(out_dir);
    buf_printf(&spool, "%s/.workers", out_dir);
    if (!c->w || !c->out_dir || !buf_ok(&spool) || agg_init(&c->total, "total") != 0)
        goto nomem;
    c->spool = spool.data;
    spool.data = NULL;
    for (size_t i = 0; i < COLLECT_RING; i++)
        if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &c->ring_lat[i]) != 0)
            goto nomem;
    for (uint32_t i = 0; i < workers; i++) {
        buf d = BUF_INIT;
        buf_printf(&d, "%s/worker-%u", c->spool, (unsigned)i);
        if (!buf_ok(&d))
            goto nomem;
        c->w[i].dir = d.data;
    }
    if (results_mkdirs(c->spool) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", c->spool, strerror(errno));
        collect_destroy(c);
        return -1;
    }
    *out = c;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    buf_fini(&spool);
    collect_destroy(c);
    return -1;
}

static void secs_free(collect_worker *w)
{
    for (size_t i = 0; i < w->n_secs; i++) {
        for (size_t j = 0; j < w->secs[i].n; j++)
            free(w->secs[i].l[j].hist);
        free(w->secs[i].l);
    }
    free(w->secs);
    w->secs = NULL;
    w->n_secs = w->cap_secs = 0;
}

static void files_free(collect *c)
{
    for (size_t i = 0; i < c->n_files; i++)
        free(c->files[i]);
    free(c->files);
    c->files = NULL;
    c->n_files = 0;
}

void collect_destroy(collect *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; c->w && i < c->n_workers; i++) {
        collect_worker *w = &c->w[i];
        secs_free(w);
        for (size_t j = 0; j < w->n_labels; j++)
            free(w->labels[j]);
        free(w->labels);
        free(w->seen);
        free(w->dir);
    }
    free(c->w);
    for (size_t i = 0; i < c->n_aggs; i++)
        agg_fini(&c->aggs[i]);
    free(c->aggs);
    agg_fini(&c->total);
    for (size_t i = 0; i < COLLECT_RING; i++)
        hist_destroy(c->ring_lat[i]);
    files_free(c);
    free(c->out_dir);
    free(c->spool);
    free(c);
}

int collect_http_status(int rc)
{
    switch (rc) {
    case COLLECT_OK: return 200;
    case COLLECT_EBAD: return 400;
    case COLLECT_ENOTFOUND: return 404;
    case COLLECT_ECONFLICT: return 409;
    default: return 500;
    }
}

bool collect_all_final(const collect *c)
{
    for (uint32_t i = 0; i < c->n_workers; i++)
        if (c->w[i].state != COLLECT_FINAL)
            return false;
    return true;
}

void collect_request_finish(collect *c)
{
    c->finish_requested = true;
}

bool collect_finish_requested(const collect *c)
{
    return c->finish_requested;
}

bool collect_done(const collect *c)
{
    return c->done;
}

const char *collect_out_dir(const collect *c)
{
    return c->out_dir;
}

/* Common checks of every upload. */
static int check_worker(collect *c, uint32_t worker, char *msg, size_t msglen)
{
    if (worker >= c->n_workers) {
        snprintf(msg, msglen, "worker %u: this run has workers 0 to %u", (unsigned)worker, (unsigned)c->n_workers - 1);
        return COLLECT_ENOTFOUND;
    }
    if (c->done) {
        snprintf(msg, msglen, "the run is merged already; nothing more is accepted");
        return COLLECT_ECONFLICT;
    }
    return COLLECT_OK;
}

static int check_count(const collect *c, uint32_t workers, char *msg, size_t msglen)
{
    if (workers == c->n_workers)
        return COLLECT_OK;
    snprintf(msg, msglen, "this worker is one of %u, the collector expects %u", (unsigned)workers,
             (unsigned)c->n_workers);
    return COLLECT_ECONFLICT;
}

/* Index of a label in v (names, *n of them), added when new. */
static int name_index(char ***v, size_t *n, const char *name, size_t *idx)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], name) == 0) {
            *idx = i;
            return 0;
        }
    char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = strdup(name)))
        return -1;
    *idx = (*n)++;
    return 0;
}

/* v with room for one more element (n used of *cap, each size bytes; first: the first
 * capacity): v itself or its reallocation, or NULL (v is then still valid). */
static void *grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : first;
    void *nv = ncap <= SIZE_MAX / size ? realloc(v, ncap * size) : NULL;
    if (nv)
        *cap = ncap;
    return nv;
}

static collect_agg *agg_for(collect *c, const char *name)
{
    for (size_t i = 0; i < c->n_aggs; i++)
        if (strcmp(c->aggs[i].name, name) == 0)
            return &c->aggs[i];
    collect_agg *na = grow(c->aggs, c->n_aggs, &c->cap_aggs, sizeof(*na), 8);
    if (!na)
        return NULL;
    c->aggs = na;
    collect_agg *a = &c->aggs[c->n_aggs];
    if (agg_init(a, name) != 0) {
        agg_fini(a);
        return NULL;
    }
    c->n_aggs++;
    return a;
}

int collect_ring_slot(const collect_agg *a, uint64_t s)
{
    size_t i = (size_t)(s % COLLECT_RING);
    return a->ring_sec[i] == s ? (int)i : -1;
}

/* Adds count to wall-clock second s of a's ring; returns the slot, or -1 when s is older
 * than what the ring holds. A newer second takes over its slot. */
static int ring_add(collect_agg *a, uint64_t s, uint64_t count)
{
    size_t i = (size_t)(s % COLLECT_RING);
    if (a->ring_sec[i] > s)
        return -1;
    if (a->ring_sec[i] < s) {
        a->ring_sec[i] = s;
        a->ring_count[i] = 0;
    }
    a->ring_count[i] += count;
    return (int)i;
}

static int agg_add(collect_agg *a, const collect_wire_label *l, uint64_t s)
{
    a->count += l->count;
    a->errors += l->errors;
    for (size_t k = 0; k < STATS_ERR_N; k++)
        a->by_kind[k] += l->by_kind[k];
    ring_add(a, s, l->count);
    return hist_add(a->lat, l->lat);
}

/* Books a parsed second: live totals, and the raw second for a partial worker. */
static int book(collect *c, collect_worker *w, collect_wire_interval *iv)
{
    collect_sec *ns = grow(w->secs, w->n_secs, &w->cap_secs, sizeof(*ns), 64);
    if (!ns)
        return COLLECT_ENOMEM;
    w->secs = ns;
    size_t byte = iv->t / 8;
    if (byte >= w->seen_bytes) {
        size_t nb = byte + 1 > w->seen_bytes * 2 ? byte + 1 : w->seen_bytes * 2;
        uint8_t *s = realloc(w->seen, nb);
        if (!s)
            return COLLECT_ENOMEM;
        memset(s + w->seen_bytes, 0, nb - w->seen_bytes);
        w->seen = s;
        w->seen_bytes = nb;
    }
    collect_sec *sec = &w->secs[w->n_secs];
    memset(sec, 0, sizeof(*sec));
    sec->t = iv->t;
    sec->len_ms = iv->len_ms;
    if (iv->n_labels && !(sec->l = calloc(iv->n_labels, sizeof(*sec->l))))
        return COLLECT_ENOMEM;
    /* The wall-clock second the interval belongs to, for the live rate. */
    uint64_t s = (iv->start_ms + 500) / 1000 + iv->t;
    size_t slot = (size_t)(s % COLLECT_RING);
    bool ring = c->total.ring_sec[slot] <= s;
    if (ring && c->total.ring_sec[slot] < s)
        hist_reset(c->ring_lat[slot]);
    for (size_t i = 0; i < iv->n_labels; i++) {
        collect_wire_label *l = &iv->labels[i];
        size_t idx;
        collect_agg *a = agg_for(c, l->name);
        if (!a || name_index(&w->labels, &w->n_labels, l->name, &idx) != 0)
            return COLLECT_ENOMEM;
        if (agg_add(a, l, s) != 0 || agg_add(&c->total, l, s) != 0 ||
            (ring && hist_add(c->ring_lat[slot], l->lat) != 0))
            return COLLECT_EBAD;
        collect_sec_label *sl = &sec->l[sec->n++];
        sl->label = (uint32_t)idx;
        sl->count = l->count;
        sl->errors = l->errors;
        memcpy(sl->by_kind, l->by_kind, sizeof(sl->by_kind));
        sl->hist = l->hist;
        l->hist = NULL;
    }
    if (iv->n_labels == 0)
        ring_add(&c->total, s, 0);
    w->n_secs++;
    w->seen[byte] |= (uint8_t)(1u << (iv->t % 8));
    return COLLECT_OK;
}

int collect_interval(collect *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLLECT_OK)
        return rc;
    collect_wire_interval iv;
    char err[256];
    rc = collect_wire_parse_interval(body, len, &iv, err, sizeof(err));
    if (rc != 0) {
        snprintf(msg, msglen, "interval: %s", err);
        return rc == COLLECT_WIRE_ENOMEM ? COLLECT_ENOMEM : COLLECT_EBAD;
    }
    collect_worker *w = &c->w[worker];
    if ((rc = check_count(c, iv.workers, msg, msglen)) != COLLECT_OK)
        goto out;
    if (w->state == COLLECT_FINAL) {
        snprintf(msg, msglen, "worker %u is final; second %u ignored", (unsigned)worker, (unsigned)iv.t);
        goto out;
    }
    if (w->state == COLLECT_LIVE && iv.start_ms != w->start_ms) {
        snprintf(msg, msglen, "worker %u started at %llu ms, not %llu: another run?", (unsigned)worker,
                 (unsigned long long)w->start_ms, (unsigned long long)iv.start_ms);
        rc = COLLECT_ECONFLICT;
        goto out;
    }
    if (iv.t / 8 < w->seen_bytes && (w->seen[iv.t / 8] >> (iv.t % 8) & 1u)) {
        snprintf(msg, msglen, "duplicate second %u ignored", (unsigned)iv.t);
        goto out;
    }
    /* The parser checked every histogram has the HIST_PTEST_* layout, so adding cannot
     * fail but for a 64-bit overflow of the totals (hostile counts): a 400 then. */
    rc = book(c, w, &iv);
    if (rc == COLLECT_OK) {
        w->state = COLLECT_LIVE;
        w->start_ms = iv.start_ms;
        snprintf(msg, msglen, "ok");
    } else {
        snprintf(msg, msglen, rc == COLLECT_ENOMEM ? "out of memory" : "interval: histograms do not add");
    }
out:
    collect_wire_interval_fini(&iv);
    return rc;
}

int collect_put_file(collect *c, uint32_t worker, const char *name, size_t name_n, const char *body, size_t len,
                     char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLLECT_OK)
        return rc;
    if (!collect_wire_valid_file_name(name, name_n)) {
        snprintf(msg, msglen, "not a result file name (results.json or NAME.hlog)");
        return COLLECT_EBAD;
    }
    collect_worker *w = &c->w[worker];
    if (w->state == COLLECT_FINAL) {
        snprintf(msg, msglen, "worker %u is final already", (unsigned)worker);
        return COLLECT_ECONFLICT;
    }
    if (results_mkdirs(w->dir) != 0) {
        snprintf(msg, msglen, "cannot create the worker's folder: %s", strerror(errno));
        return COLLECT_EIO;
    }
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%.*s", w->dir, (int)name_n, name);
    /* A read-only view of the body: buf_write_file only reads data and len. */
    buf view = {(char *)body, len, 0, false};
    if (!buf_ok(&path)) {
        rc = COLLECT_ENOMEM;
        snprintf(msg, msglen, "out of memory");
    } else if (buf_write_file(&view, path.data) != 0) {
        rc = COLLECT_EIO;
        snprintf(msg, msglen, "cannot write %s: %s", path.data, strerror(errno));
    } else {
        snprintf(msg, msglen, "ok");
    }
    buf_fini(&path);
    return rc;
}

int collect_commit(collect *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLLECT_OK)
        return rc;
    uint32_t workers = 0;
    char err[512];
    if (collect_wire_parse_commit(body, len, &workers, err, sizeof(err)) != 0) {
        snprintf(msg, msglen, "commit: %s", err);
        return COLLECT_EBAD;
    }
    if ((rc = check_count(c, workers, msg, msglen)) != COLLECT_OK)
        return rc;
    collect_worker *w = &c->w[worker];
    if (w->state == COLLECT_FINAL) {
        snprintf(msg, msglen, "ok (committed before)");
        return COLLECT_OK;
    }
    analysis_run r;
    if (analysis_load(&r, w->dir, false, err, sizeof(err)) != 0) {
        snprintf(msg, msglen, "commit: %s", err);
        return COLLECT_EBAD;
    }
    const json_t *share = json_object_get(r.json, "share");
    json_int_t si = json_integer_value(json_object_get(share, "index"));
    json_int_t sn = json_integer_value(json_object_get(share, "count"));
    if (json_is_object(share) && (si != (json_int_t)worker || sn != (json_int_t)c->n_workers)) {
        snprintf(msg, msglen, "commit: results.json is share %lld/%lld, not %u/%u", (long long)si, (long long)sn,
                 (unsigned)worker, (unsigned)c->n_workers);
        rc = COLLECT_ECONFLICT;
    } else {
        w->state = COLLECT_FINAL;
        /* Exact, but of a shorter run than planned (SIGTERM on pod deletion, aborted): its
         * results are merged and the worker is marked partial, which fails the gate. */
        w->cut_short = json_is_true(json_object_get(r.json, "interrupted")) ||
                       json_is_string(json_object_get(r.json, "aborted")) ||
                       json_is_object(json_object_get(r.json, "threshold_abort"));
        secs_free(w); /* its own files are exact; the live seconds are not needed any more */
        snprintf(msg, msglen, "ok");
    }
    analysis_fini(&r);
    return rc;
}

static void index_list(jsonw *j, const collect *c, int what)
{
    jsonw_arr_begin(j);
    for (uint32_t i = 0; i < c->n_workers; i++) {
        int s = c->w[i].state;
        bool cut = c->w[i].cut_short; /* final but interrupted: partial, as in the merge */
        bool in = what == 0   ? s == COLLECT_FINAL && !cut
                  : what == 1 ? s != COLLECT_WAITING
                  : what == 2 ? s == COLLECT_LIVE || (s == COLLECT_FINAL && cut)
                              : s == COLLECT_WAITING;
        if (in)
            jsonw_u64(j, i);
    }
    jsonw_arr_end(j);
}

int collect_status_json(const collect *c, buf *out)
{
    jsonw j;
    jsonw_init(&j, out, 0);
    jsonw_obj_begin(&j);
    jsonw_key(&j, "workers");
    jsonw_u64(&j, c->n_workers);
    static const char *const lists[] = {"reported", "live", "partial", "missing"};
    for (int k = 0; k < 4; k++) {
        jsonw_key(&j, lists[k]);
        index_list(&j, c, k);
    }
    jsonw_key(&j, "done");
    jsonw_bool(&j, c->done);
    jsonw_key(&j, "complete");
    jsonw_bool(&j, c->complete);
    jsonw_key(&j, "timed_out");
    jsonw_bool(&j, c->timed_out);
    jsonw_key(&j, "finish_requested");
    jsonw_bool(&j, c->finish_requested);
    jsonw_key(&j, "exit_code");
    if (c->exit_code >= 0)
        jsonw_i64(&j, c->exit_code);
    else
        jsonw_null(&j);
    jsonw_obj_end(&j);
    buf_putc(out, '\n');
    return buf_ok(out) ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index is what was written, not a directory listing: no spool, no temporary files,
 * nothing else that lands in the folder (and no readdir, which 32-bit builds without
 * large-file offsets cannot use on every file system). */
/* Adds name to c->files when it is a plain file name. Returns 0 or -1. */
static int add_file(collect *c, const char *name)
{
    if (!name || !collect_wire_plain_name(name, strlen(name)))
        return 0;
    if (!(c->files[c->n_files] = strdup(name)))
        return -1;
    c->n_files++;
    return 0;
}

int collect_list_results(collect *c)
{
    static const char *const reports[] = {"results.json", "junit.xml", "scorecard.html", "scorecard.css",
                                          "summary.txt"};
    size_t n_reports = sizeof(reports) / sizeof(reports[0]);
    files_free(c);
    buf path = BUF_INIT;
    buf_printf(&path, "%s/results.json", c->out_dir);
    json_error_t je;
    json_t *r = buf_ok(&path) ? json_load_file(path.data, 0, &je) : NULL;
    buf_fini(&path);
    const json_t *labels = json_object_get(r, "labels");
    c->files = calloc(n_reports + json_object_size(labels) + 1, sizeof(*c->files));
    int rc = c->files ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n_reports; i++)
        rc = add_file(c, reports[i]);
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)labels, key, v) {
        if (rc == 0)
            rc = add_file(c, json_string_value(json_object_get(v, "hlog")));
    }
    if (rc == 0)
        rc = add_file(c, json_string_value(json_object_get(json_object_get(r, "total"), "hlog")));
    if (c->n_files)
        qsort(c->files, c->n_files, sizeof(*c->files), by_name);
    json_decref(r);
    return rc;
}

int collect_results_index(const collect *c, buf *out)
{
    if (!c->done)
        return -1;
    buf_puts(out, "");
    for (size_t i = 0; i < c->n_files; i++)
        if (collect_result_ok(c, c->files[i], strlen(c->files[i])))
            buf_printf(out, "%s\n", c->files[i]);
    return buf_ok(out) ? 0 : -1;
}

bool collect_result_ok(const collect *c, const char *name, size_t n)
{
    bool listed = false;
    for (size_t i = 0; c->done && i < c->n_files && !listed; i++)
        listed = strlen(c->files[i]) == n && memcmp(c->files[i], name, n) == 0;
    if (!listed)
        return false;
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%.*s", c->out_dir, (int)n, name);
    /* access, not stat: a 32-bit stat fails on 64-bit inode numbers. */
    bool ok = buf_ok(&path) && access(path.data, R_OK) == 0;
    buf_fini(&path);
    return ok;
}
