/* collect_wire.c - the worker -> collector messages. */
#include "collect_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hlog.h"
#include "jsonw.h"
#include "plan.h"

static int label_json(jsonw *w, const char *name, const stats_second *s)
{
    char *b64 = NULL;
    size_t len = 0;
    if (hlog_encode_histogram(s->lat, &b64, &len) != 0)
        return COLLECT_WIRE_ENOMEM;
    jsonw_obj_begin(w);
    jsonw_key(w, "name");
    jsonw_str(w, name);
    jsonw_key(w, "count");
    jsonw_u64(w, s->count);
    jsonw_key(w, "errors");
    jsonw_u64(w, s->errors);
    jsonw_key(w, "errors_by_kind");
    jsonw_obj_begin(w);
    for (int k = 1; k < STATS_ERR_N; k++)
        if (s->by_kind[k]) {
            jsonw_key(w, stats_err_name(k));
            jsonw_u64(w, s->by_kind[k]);
        }
    jsonw_obj_end(w);
    jsonw_key(w, "hist");
    jsonw_strn(w, b64, len);
    jsonw_obj_end(w);
    free(b64);
    return 0;
}

int collect_wire_format_interval(buf *out, uint32_t workers, uint64_t start_ms, uint32_t t, uint32_t len_ms,
                                 const stats_interval *iv, const char *const *names)
{
    jsonw w;
    jsonw_init(&w, out, 0);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "workers");
    jsonw_u64(&w, workers);
    jsonw_key(&w, "start_ms");
    jsonw_u64(&w, start_ms);
    jsonw_key(&w, "t");
    jsonw_u64(&w, t);
    jsonw_key(&w, "len_ms");
    jsonw_u64(&w, len_ms);
    jsonw_key(&w, "labels");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < iv->n_labels; i++)
        if (label_json(&w, names[i], &iv->labels[i]) != 0)
            return COLLECT_WIRE_ENOMEM;
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    return buf_ok(out) ? 0 : COLLECT_WIRE_ENOMEM;
}

void collect_wire_interval_fini(collect_wire_interval *iv)
{
    for (size_t i = 0; iv->labels && i < iv->n_labels; i++) {
        free(iv->labels[i].name);
        free(iv->labels[i].hist);
        hist_destroy(iv->labels[i].lat);
    }
    free(iv->labels);
    memset(iv, 0, sizeof(*iv));
}

/* A non-negative integer member no larger than max. */
static int get_u64(const json_t *o, const char *key, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
        snprintf(err, errlen, "\"%s\": expected an integer from 0 to %llu", key, (unsigned long long)max);
        return COLLECT_WIRE_ESYNTAX;
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int kind_of(const char *name)
{
    for (int k = 1; k < STATS_ERR_N; k++)
        if (strcmp(stats_err_name(k), name) == 0)
            return k;
    return -1;
}

static int parse_label(const json_t *o, collect_wire_label *l, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    size_t nlen = json_string_length(json_object_get(o, "name"));
    if (!json_is_object(o) || !name || nlen == 0 || nlen > COLLECT_WIRE_MAX_NAME) {
        snprintf(err, errlen, "label: \"name\" must be a string of 1 to %d bytes", COLLECT_WIRE_MAX_NAME);
        return COLLECT_WIRE_ESYNTAX;
    }
    if (!(l->name = strdup(name)))
        return COLLECT_WIRE_ENOMEM;
    if (get_u64(o, "count", UINT64_C(1) << 40, &l->count, err, errlen) != 0 ||
        get_u64(o, "errors", l->count, &l->errors, err, errlen) != 0)
        return COLLECT_WIRE_ESYNTAX;
    const json_t *kinds = json_object_get(o, "errors_by_kind");
    if (!json_is_object(kinds)) {
        snprintf(err, errlen, "label %s: \"errors_by_kind\" must be an object", name);
        return COLLECT_WIRE_ESYNTAX;
    }
    const char *key;
    const json_t *v;
    uint64_t sum = 0;
    json_object_foreach ((json_t *)kinds, key, v) {
        int k = kind_of(key);
        uint64_t n;
        if (k < 0) {
            snprintf(err, errlen, "label %s: unknown error kind \"%.64s\"", name, key);
            return COLLECT_WIRE_ESYNTAX;
        }
        /* local_limit counts attempts outside count and errors (stats.h). */
        bool local = stats_err_is_local(k);
        if (get_u64(kinds, key, local ? UINT64_C(1) << 40 : l->errors, &n, err, errlen) != 0)
            return COLLECT_WIRE_ESYNTAX;
        l->by_kind[k] = n;
        if (!local)
            sum += n;
    }
    if (sum != l->errors) {
        snprintf(err, errlen, "label %s: errors_by_kind but local_limit add up to %llu, not errors = %llu", name,
                 (unsigned long long)sum, (unsigned long long)l->errors);
        return COLLECT_WIRE_ESYNTAX;
    }
    const json_t *h = json_object_get(o, "hist");
    if (!json_is_string(h)) {
        snprintf(err, errlen, "label %s: \"hist\" must be a string", name);
        return COLLECT_WIRE_ESYNTAX;
    }
    if (!(l->hist = strdup(json_string_value(h))))
        return COLLECT_WIRE_ENOMEM;
    int rc = hlog_decode_histogram(l->hist, strlen(l->hist), &l->lat);
    if (rc != 0) {
        snprintf(err, errlen, "label %s: histogram: %s", name, hlog_strerror(rc));
        return rc == HLOG_ENOMEM ? COLLECT_WIRE_ENOMEM : COLLECT_WIRE_ESYNTAX;
    }
    /* The collector adds it into HIST_PTEST_* histograms: same buckets, same range. */
    if (l->lat->lowest != HIST_PTEST_LOWEST || l->lat->sig_figs != HIST_PTEST_SIGFIGS ||
        (l->lat->total_count && hist_max(l->lat) > HIST_PTEST_HIGHEST) || l->lat->total_count > l->count) {
        snprintf(err, errlen, "label %s: histogram is not a ptest latency histogram of at most count values", name);
        return COLLECT_WIRE_ESYNTAX;
    }
    return 0;
}

int collect_wire_parse_interval(const char *body, size_t len, collect_wire_interval *iv, char *err, size_t errlen)
{
    memset(iv, 0, sizeof(*iv));
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    int rc = COLLECT_WIRE_ESYNTAX;
    uint64_t v;
    if (!root) {
        snprintf(err, errlen, "not JSON: line %d: %s", je.line, je.text);
        return COLLECT_WIRE_ESYNTAX;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "expected a JSON object");
        goto fail;
    }
    if (get_u64(root, "workers", PLAN_MAX_SHARES, &v, err, errlen) != 0)
        goto fail;
    iv->workers = (uint32_t)v;
    if (get_u64(root, "start_ms", UINT64_C(1) << 50, &iv->start_ms, err, errlen) != 0 ||
        get_u64(root, "t", COLLECT_WIRE_MAX_T, &v, err, errlen) != 0)
        goto fail;
    iv->t = (uint32_t)v;
    if (get_u64(root, "len_ms", 3600000, &v, err, errlen) != 0)
        goto fail;
    iv->len_ms = (uint32_t)v;
    if (iv->workers == 0 || iv->len_ms == 0) {
        snprintf(err, errlen, "\"workers\" and \"len_ms\" must be at least 1");
        goto fail;
    }
    const json_t *labels = json_object_get(root, "labels");
    size_t n = json_array_size(labels);
    if (!json_is_array(labels) || n > COLLECT_WIRE_MAX_LABELS) {
        snprintf(err, errlen, "\"labels\" must be an array of at most %d labels", COLLECT_WIRE_MAX_LABELS);
        goto fail;
    }
    if (n && !(iv->labels = calloc(n, sizeof(*iv->labels)))) {
        rc = COLLECT_WIRE_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        iv->n_labels = i + 1;
        rc = parse_label(json_array_get(labels, i), &iv->labels[i], err, errlen);
        if (rc != 0)
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(iv->labels[j].name, iv->labels[i].name) == 0) {
                snprintf(err, errlen, "label %s twice", iv->labels[i].name);
                rc = COLLECT_WIRE_ESYNTAX;
                goto fail;
            }
    }
    json_decref(root);
    return 0;
fail:
    if (rc == COLLECT_WIRE_ENOMEM)
        snprintf(err, errlen, "out of memory");
    json_decref(root);
    collect_wire_interval_fini(iv);
    return rc;
}

int collect_wire_parse_commit(const char *body, size_t len, uint32_t *workers, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    uint64_t v = 0;
    int rc = COLLECT_WIRE_ESYNTAX;
    if (!root)
        snprintf(err, errlen, "not JSON: line %d: %s", je.line, je.text);
    else if (!json_is_object(root))
        snprintf(err, errlen, "expected a JSON object");
    else if (get_u64(root, "workers", PLAN_MAX_SHARES, &v, err, errlen) == 0 && v > 0) {
        *workers = (uint32_t)v;
        rc = 0;
    } else if (v == 0)
        snprintf(err, errlen, "\"workers\" must be at least 1");
    json_decref(root);
    return rc;
}

bool collect_wire_plain_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

bool collect_wire_valid_file_name(const char *s, size_t n)
{
    static const char ext[] = ".hlog";
    size_t el = sizeof(ext) - 1;
    if (n == 12 && memcmp(s, "results.json", 12) == 0)
        return true;
    return n > el && n <= COLLECT_WIRE_MAX_FILE_NAME && memcmp(s + n - el, ext, el) == 0 &&
           collect_wire_plain_name(s, n);
}

int collect_wire_worker_path(const char *path, size_t n, uint32_t *index, const char **rest, size_t *rest_n)
{
    static const char pre[] = "/v1/workers/";
    size_t pl = sizeof(pre) - 1, i = pl;
    if (n <= pl || memcmp(path, pre, pl) != 0)
        return -1;
    uint64_t v = 0;
    while (i < n && path[i] >= '0' && path[i] <= '9' && i - pl < 10) {
        v = v * 10 + (uint64_t)(path[i] - '0');
        i++;
    }
    if (i == pl || i >= n || path[i] != '/' || v > INT32_MAX || (path[pl] == '0' && i - pl > 1))
        return -1;
    *index = (uint32_t)v;
    *rest = path + i + 1;
    *rest_n = n - i - 1;
    return 0;
}
