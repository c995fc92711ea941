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

static int agg_init(coll_agg *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    if (!(a->name = strdup(name)))
        return -1;
    return hdr_create(HDR_PTEST_LOWEST, HDR_PTEST_HIGHEST, HDR_PTEST_SIGFIGS, &a->lat) ? -1 : 0;
}

static void agg_fini(coll_agg *a)
{
    free(a->name);
    hdr_destroy(a->lat);
}

int coll_create(coll **out, uint32_t workers, const char *out_dir, char *err, size_t errlen)
{
    coll *c = calloc(1, sizeof(*c));
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
    for (size_t i = 0; i < COLL_RING; i++)
        if (hdr_create(HDR_PTEST_LOWEST, HDR_PTEST_HIGHEST, HDR_PTEST_SIGFIGS, &c->ring_lat[i]) != 0)
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
        coll_destroy(c);
        return -1;
    }
    *out = c;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    buf_free(&spool);
    coll_destroy(c);
    return -1;
}

static void secs_free(coll_worker *w)
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

static void files_free(coll *c)
{
    for (size_t i = 0; i < c->n_files; i++)
        free(c->files[i]);
    free(c->files);
    c->files = NULL;
    c->n_files = 0;
}

void coll_destroy(coll *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; c->w && i < c->n_workers; i++) {
        coll_worker *w = &c->w[i];
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
    for (size_t i = 0; i < COLL_RING; i++)
        hdr_destroy(c->ring_lat[i]);
    files_free(c);
    free(c->out_dir);
    free(c->spool);
    free(c);
}

int coll_http_status(int rc)
{
    switch (rc) {
    case COLL_OK: return 200;
    case COLL_EBAD: return 400;
    case COLL_ENOTFOUND: return 404;
    case COLL_ECONFLICT: return 409;
    default: return 500;
    }
}

bool coll_all_final(const coll *c)
{
    for (uint32_t i = 0; i < c->n_workers; i++)
        if (c->w[i].state != COLL_FINAL)
            return false;
    return true;
}

void coll_request_finish(coll *c)
{
    c->finish_requested = true;
}

bool coll_finish_requested(const coll *c)
{
    return c->finish_requested;
}

bool coll_done(const coll *c)
{
    return c->done;
}

const char *coll_out_dir(const coll *c)
{
    return c->out_dir;
}

/* Common checks of every upload. */
static int check_worker(coll *c, uint32_t worker, char *msg, size_t msglen)
{
    if (worker >= c->n_workers) {
        snprintf(msg, msglen, "worker %u: this run has workers 0 to %u", (unsigned)worker,
                 (unsigned)c->n_workers - 1);
        return COLL_ENOTFOUND;
    }
    if (c->done) {
        snprintf(msg, msglen, "the run is merged already; nothing more is accepted");
        return COLL_ECONFLICT;
    }
    return COLL_OK;
}

static int check_count(const coll *c, uint32_t workers, char *msg, size_t msglen)
{
    if (workers == c->n_workers)
        return COLL_OK;
    snprintf(msg, msglen, "this worker is one of %u, the collector expects %u", (unsigned)workers,
             (unsigned)c->n_workers);
    return COLL_ECONFLICT;
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

static coll_agg *agg_for(coll *c, const char *name)
{
    for (size_t i = 0; i < c->n_aggs; i++)
        if (strcmp(c->aggs[i].name, name) == 0)
            return &c->aggs[i];
    coll_agg *na = grow(c->aggs, c->n_aggs, &c->cap_aggs, sizeof(*na), 8);
    if (!na)
        return NULL;
    c->aggs = na;
    coll_agg *a = &c->aggs[c->n_aggs];
    if (agg_init(a, name) != 0) {
        agg_fini(a);
        return NULL;
    }
    c->n_aggs++;
    return a;
}

int coll_ring_slot(const coll_agg *a, uint64_t s)
{
    size_t i = (size_t)(s % COLL_RING);
    return a->ring_sec[i] == s ? (int)i : -1;
}

/* Adds count to wall-clock second s of a's ring; returns the slot, or -1 when s is older
 * than what the ring holds. A newer second takes over its slot. */
static int ring_add(coll_agg *a, uint64_t s, uint64_t count)
{
    size_t i = (size_t)(s % COLL_RING);
    if (a->ring_sec[i] > s)
        return -1;
    if (a->ring_sec[i] < s) {
        a->ring_sec[i] = s;
        a->ring_count[i] = 0;
    }
    a->ring_count[i] += count;
    return (int)i;
}

static int agg_add(coll_agg *a, const cwire_label *l, uint64_t s)
{
    a->count += l->count;
    a->errors += l->errors;
    for (size_t k = 0; k < STATS_ERR_N; k++)
        a->by_kind[k] += l->by_kind[k];
    ring_add(a, s, l->count);
    return hdr_add(a->lat, l->lat);
}

/* Books a parsed second: live totals, and the raw second for a partial worker. */
static int book(coll *c, coll_worker *w, cwire_interval *iv)
{
    coll_sec *ns = grow(w->secs, w->n_secs, &w->cap_secs, sizeof(*ns), 64);
    if (!ns)
        return COLL_ENOMEM;
    w->secs = ns;
    size_t byte = iv->t / 8;
    if (byte >= w->seen_bytes) {
        size_t nb = byte + 1 > w->seen_bytes * 2 ? byte + 1 : w->seen_bytes * 2;
        uint8_t *s = realloc(w->seen, nb);
        if (!s)
            return COLL_ENOMEM;
        memset(s + w->seen_bytes, 0, nb - w->seen_bytes);
        w->seen = s;
        w->seen_bytes = nb;
    }
    coll_sec *sec = &w->secs[w->n_secs];
    memset(sec, 0, sizeof(*sec));
    sec->t = iv->t;
    sec->len_ms = iv->len_ms;
    if (iv->n_labels && !(sec->l = calloc(iv->n_labels, sizeof(*sec->l))))
        return COLL_ENOMEM;
    /* The wall-clock second the interval belongs to, for the live rate. */
    uint64_t s = (iv->start_ms + 500) / 1000 + iv->t;
    size_t slot = (size_t)(s % COLL_RING);
    bool ring = c->total.ring_sec[slot] <= s;
    if (ring && c->total.ring_sec[slot] < s)
        hdr_reset(c->ring_lat[slot]);
    for (size_t i = 0; i < iv->n_labels; i++) {
        cwire_label *l = &iv->labels[i];
        size_t idx;
        coll_agg *a = agg_for(c, l->name);
        if (!a || name_index(&w->labels, &w->n_labels, l->name, &idx) != 0)
            return COLL_ENOMEM;
        if (agg_add(a, l, s) != 0 || agg_add(&c->total, l, s) != 0 ||
            (ring && hdr_add(c->ring_lat[slot], l->lat) != 0))
            return COLL_EBAD;
        coll_sec_label *sl = &sec->l[sec->n++];
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
    return COLL_OK;
}

int coll_interval(coll *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLL_OK)
        return rc;
    cwire_interval iv;
    char err[256];
    rc = cwire_parse_interval(body, len, &iv, err, sizeof(err));
    if (rc != 0) {
        snprintf(msg, msglen, "interval: %s", err);
        return rc == CWIRE_ENOMEM ? COLL_ENOMEM : COLL_EBAD;
    }
    coll_worker *w = &c->w[worker];
    if ((rc = check_count(c, iv.workers, msg, msglen)) != COLL_OK)
        goto out;
    if (w->state == COLL_FINAL) {
        snprintf(msg, msglen, "worker %u is final; second %u ignored", (unsigned)worker, (unsigned)iv.t);
        goto out;
    }
    if (w->state == COLL_LIVE && iv.start_ms != w->start_ms) {
        snprintf(msg, msglen, "worker %u started at %llu ms, not %llu: another run?", (unsigned)worker,
                 (unsigned long long)w->start_ms, (unsigned long long)iv.start_ms);
        rc = COLL_ECONFLICT;
        goto out;
    }
    if (iv.t / 8 < w->seen_bytes && (w->seen[iv.t / 8] >> (iv.t % 8) & 1u)) {
        snprintf(msg, msglen, "duplicate second %u ignored", (unsigned)iv.t);
        goto out;
    }
    /* The parser checked every histogram has the HDR_PTEST_* layout, so adding cannot
     * fail but for a 64-bit overflow of the totals (hostile counts): a 400 then. */
    rc = book(c, w, &iv);
    if (rc == COLL_OK) {
        w->state = COLL_LIVE;
        w->start_ms = iv.start_ms;
        snprintf(msg, msglen, "ok");
    } else {
        snprintf(msg, msglen, rc == COLL_ENOMEM ? "out of memory" : "interval: histograms do not add");
    }
out:
    cwire_interval_free(&iv);
    return rc;
}

int coll_put_file(coll *c, uint32_t worker, const char *name, size_t name_n, const char *body, size_t len,
                  char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLL_OK)
        return rc;
    if (!cwire_valid_file_name(name, name_n)) {
        snprintf(msg, msglen, "not a result file name (results.json or NAME.hlog)");
        return COLL_EBAD;
    }
    coll_worker *w = &c->w[worker];
    if (w->state == COLL_FINAL) {
        snprintf(msg, msglen, "worker %u is final already", (unsigned)worker);
        return COLL_ECONFLICT;
    }
    if (results_mkdirs(w->dir) != 0) {
        snprintf(msg, msglen, "cannot create the worker's folder: %s", strerror(errno));
        return COLL_EIO;
    }
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%.*s", w->dir, (int)name_n, name);
    /* A read-only view of the body: buf_write_file only reads data and len. */
    buf view = {(char *)body, len, 0, false};
    if (!buf_ok(&path)) {
        rc = COLL_ENOMEM;
        snprintf(msg, msglen, "out of memory");
    } else if (buf_write_file(&view, path.data) != 0) {
        rc = COLL_EIO;
        snprintf(msg, msglen, "cannot write %s: %s", path.data, strerror(errno));
    } else {
        snprintf(msg, msglen, "ok");
    }
    buf_free(&path);
    return rc;
}

int coll_commit(coll *c, uint32_t worker, const char *body, size_t len, char *msg, size_t msglen)
{
    int rc = check_worker(c, worker, msg, msglen);
    if (rc != COLL_OK)
        return rc;
    uint32_t workers = 0;
    char err[512];
    if (cwire_parse_commit(body, len, &workers, err, sizeof(err)) != 0) {
        snprintf(msg, msglen, "commit: %s", err);
        return COLL_EBAD;
    }
    if ((rc = check_count(c, workers, msg, msglen)) != COLL_OK)
        return rc;
    coll_worker *w = &c->w[worker];
    if (w->state == COLL_FINAL) {
        snprintf(msg, msglen, "ok (committed before)");
        return COLL_OK;
    }
    an_run r;
    if (an_load(&r, w->dir, false, err, sizeof(err)) != 0) {
        snprintf(msg, msglen, "commit: %s", err);
        return COLL_EBAD;
    }
    const json_t *share = json_object_get(r.json, "share");
    json_int_t si = json_integer_value(json_object_get(share, "index"));
    json_int_t sn = json_integer_value(json_object_get(share, "count"));
    if (json_is_object(share) && (si != (json_int_t)worker || sn != (json_int_t)c->n_workers)) {
        snprintf(msg, msglen, "commit: results.json is share %lld/%lld, not %u/%u", (long long)si,
                 (long long)sn, (unsigned)worker, (unsigned)c->n_workers);
        rc = COLL_ECONFLICT;
    } else {
        w->state = COLL_FINAL;
        /* Exact, but of a shorter run than planned (SIGTERM on pod deletion, aborted): its
         * results are merged and the worker is marked partial, which fails the gate. */
        w->cut_short = json_is_true(json_object_get(r.json, "interrupted")) ||
                       json_is_string(json_object_get(r.json, "aborted"));
        secs_free(w); /* its own files are exact; the live seconds are not needed any more */
        snprintf(msg, msglen, "ok");
    }
    an_free(&r);
    return rc;
}

static void index_list(jsonw *j, const coll *c, int what)
{
    jsonw_arr_begin(j);
    for (uint32_t i = 0; i < c->n_workers; i++) {
        int s = c->w[i].state;
        bool cut = c->w[i].cut_short; /* final but interrupted: partial, as in the merge */
        bool in = what == 0   ? s == COLL_FINAL && !cut
                  : what == 1 ? s != COLL_WAITING
                  : what == 2 ? s == COLL_LIVE || (s == COLL_FINAL && cut)
                              : s == COLL_WAITING;
        if (in)
            jsonw_u64(j, i);
    }
    jsonw_arr_end(j);
}

int coll_status_json(const coll *c, buf *out)
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
static int add_file(coll *c, const char *name)
{
    if (!name || !cwire_plain_name(name, strlen(name)))
        return 0;
    if (!(c->files[c->n_files] = strdup(name)))
        return -1;
    c->n_files++;
    return 0;
}

int coll_list_results(coll *c)
{
    static const char *const reports[] = {"results.json", "junit.xml", "scorecard.html", "scorecard.css",
                                          "summary.txt"};
    size_t n_reports = sizeof(reports) / sizeof(reports[0]);
    files_free(c);
    buf path = BUF_INIT;
    buf_printf(&path, "%s/results.json", c->out_dir);
    json_error_t je;
    json_t *r = buf_ok(&path) ? json_load_file(path.data, 0, &je) : NULL;
    buf_free(&path);
    const json_t *labels = json_object_get(r, "labels");
    c->files = calloc(n_reports + json_object_size(labels) + 1, sizeof(*c->files));
    int rc = c->files ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n_reports; i++)
        rc = add_file(c, reports[i]);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)labels, key, v) {
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

int coll_results_index(const coll *c, buf *out)
{
    if (!c->done)
        return -1;
    buf_puts(out, "");
    for (size_t i = 0; i < c->n_files; i++)
        if (coll_result_ok(c, c->files[i], strlen(c->files[i])))
            buf_printf(out, "%s\n", c->files[i]);
    return buf_ok(out) ? 0 : -1;
}

bool coll_result_ok(const coll *c, const char *name, size_t n)
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
    buf_free(&path);
    return ok;
}
