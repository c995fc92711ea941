/* history.c - the run history file. */
#include "history.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "hlog.h"
#include "jsonw.h"
#include "results.h"

static void num(jsonw *w, const char *k, double v)
{
    jsonw_key(w, k);
    jsonw_double(w, v); /* NAN -> null */
}

static double jd(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int history_update(const char *dir, const analysis_run *r, const gate *g, history *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof(*h));
    if (results_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/history.jsonl", dir);
    char *data = NULL;
    size_t len = 0;
    if (hlog_load_file(path, &data, &len) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        data = NULL;
        len = 0;
    }
    buf b = BUF_INIT;
    buf_append(&b, data ? data : "", len);
    if (len && data[len - 1] != '\n')
        buf_putc(&b, '\n');
    /* Is this run already there? */
    const char *started = r->started ? r->started : "";
    bool present = false;
    for (size_t i = 0; i < len && !present;) {
        size_t e = i;
        while (e < len && data[e] != '\n')
            e++;
        json_t *o = json_loadb(data + i, e - i, 0, NULL);
        const char *s = json_string_value(json_object_get(o, "started"));
        const char *d = json_string_value(json_object_get(o, "results"));
        present = s && d && strcmp(s, started) == 0 && strcmp(d, r->dir) == 0;
        json_decref(o);
        i = e + 1;
    }
    free(data);
    if (!present) {
        jsonw w;
        jsonw_init(&w, &b, 0);
        jsonw_obj_begin(&w);
        jsonw_key(&w, "started");
        jsonw_str(&w, started);
        jsonw_key(&w, "plan");
        jsonw_str(&w, r->plan_name);
        jsonw_key(&w, "results");
        jsonw_str(&w, r->dir);
        jsonw_key(&w, "count");
        jsonw_u64(&w, r->total.count);
        num(&w, "rps", r->total.rps);
        num(&w, "error_rate", r->total.error_rate);
        num(&w, "p50_us", analysis_pct(&r->total, 50));
        num(&w, "p95_us", analysis_pct(&r->total, 95));
        num(&w, "p99_us", analysis_pct(&r->total, 99));
        jsonw_key(&w, "verdict");
        jsonw_str(&w, r->aborted || r->interrupted ? "aborted" : g->n_failed ? "fail" : "pass");
        jsonw_obj_end(&w);
        buf_putc(&b, '\n');
        if (buf_write_file(&b, path) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            buf_fini(&b);
            return -1;
        }
    }
    /* Keep the last HISTORY_SHOW parsable lines (ring, then in order). */
    history_entry ring[HISTORY_SHOW];
    size_t n = 0;
    for (size_t i = 0; i < b.len;) {
        size_t e = i;
        while (e < b.len && b.data[e] != '\n')
            e++;
        json_t *o = json_loadb(b.data + i, e - i, 0, NULL);
        if (json_is_object(o)) {
            history_entry *he = &ring[n % HISTORY_SHOW];
            memset(he, 0, sizeof(*he));
            snprintf(he->started, sizeof(he->started), "%s",
                     json_string_value(json_object_get(o, "started")) ? json_string_value(json_object_get(o, "started"))
                                                                      : "");
            const char *v = json_string_value(json_object_get(o, "verdict"));
            snprintf(he->verdict, sizeof(he->verdict), "%s", v ? v : "?");
            he->rps = jd(o, "rps");
            he->error_rate = jd(o, "error_rate");
            he->p50_us = jd(o, "p50_us");
            he->p95_us = jd(o, "p95_us");
            he->p99_us = jd(o, "p99_us");
            n++;
        }
        json_decref(o);
        i = e + 1;
    }
    buf_fini(&b);
    size_t keep = n < HISTORY_SHOW ? n : HISTORY_SHOW;
    for (size_t i = 0; i < keep; i++)
        h->e[i] = ring[(n - keep + i) % HISTORY_SHOW];
    h->n = keep;
    return 0;
}
