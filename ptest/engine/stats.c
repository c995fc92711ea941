/* stats.c - per-thread recording, per-second handoff and exact merging. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static const char *const err_names[STATS_ERR_N] = {
    "ok",     "connect_refused", "connect_timeout", "timeout", "reset",      "bad_response",
    "status", "expectation",     "local_limit",     "tls",     "extraction", "render",
};
static const char *const err_texts[STATS_ERR_N] = {
    "ok",
    "connection refused",
    "connect timeout",
    "request timeout",
    "connection reset",
    "bad response",
    "unexpected status",
    "failed expectation",
    "local limit (no file descriptor, local port or socket memory)",
    "TLS handshake failed",
    "failed extraction",
    "request not rendered (variable value too long or not allowed there)",
};

const char *stats_err_name(int kind)
{
    return kind >= 0 && kind < STATS_ERR_N ? err_names[kind] : "unknown";
}

const char *stats_err_text(int kind)
{
    return kind >= 0 && kind < STATS_ERR_N ? err_texts[kind] : "unknown error";
}

static int label_hist_init(hist *h)
{
    return hist_init(h, HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS);
}

static int label_hist_create(hist **h)
{
    return hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, h);
}

/* ns -> us for recording, rounded to nearest; values under 1 us record as 0 (valid). */
static inline uint64_t ns_to_us(uint64_t ns)
{
    return (ns + 500) / 1000;
}

int stats_label_init(stats_label *l)
{
    memset(l, 0, sizeof(*l));
    int rc = label_hist_init(&l->svc);
    if (rc == 0 && (rc = label_hist_init(&l->tls_hs)) != 0)
        hist_fini(&l->svc);
    return rc;
}

void stats_label_fini(stats_label *l)
{
    hist_fini(&l->svc);
    hist_fini(&l->tls_hs);
}

int stats_label_merge(stats_label *dst, const stats_label *src)
{
    int rc = hist_add(&dst->svc, &src->svc);
    if (rc == 0 && src->tls_hs.total_count)
        rc = hist_add(&dst->tls_hs, &src->tls_hs);
    if (rc != 0)
        return rc;
    dst->connections += src->connections;
    dst->tls_handshakes += src->tls_handshakes;
    dst->tls_resumed += src->tls_resumed;
    dst->count += src->count;
    dst->errors += src->errors;
    dst->dropped += src->dropped;
    dst->queued += src->queued;
    dst->bytes_rx += src->bytes_rx;
    dst->bytes_tx += src->bytes_tx;
    for (size_t i = 0; i < STATS_ERR_N; i++)
        dst->by_kind[i] += src->by_kind[i];
    for (size_t i = 0; i < sizeof(dst->status) / sizeof(dst->status[0]); i++)
        dst->status[i] += src->status[i];
    return 0;
}

static void seconds_free(stats_second *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        hist_destroy(s[i].lat);
    free(s);
}

static stats_second *seconds_new(size_t n)
{
    stats_second *s = calloc(n ? n : 1, sizeof(*s));
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (label_hist_create(&s[i].lat) != 0) {
            seconds_free(s, n);
            return NULL;
        }
    }
    return s;
}

int stats_thread_init(stats_thread *t, size_t n_labels, mono_ns start)
{
    memset(t, 0, sizeof(*t));
    t->n_labels = n_labels;
    t->start = start;
    t->sec_end = start + CLOCK_NS_PER_SEC;
    t->labels = calloc(n_labels ? n_labels : 1, sizeof(*t->labels));
    if (!t->labels)
        goto fail;
    for (size_t i = 0; i < n_labels; i++)
        if (stats_label_init(&t->labels[i]) != 0)
            goto fail;
    t->cur = seconds_new(n_labels);
    t->pub = seconds_new(n_labels);
    t->inflight = calloc(n_labels ? n_labels : 1, sizeof(*t->inflight));
    if (!t->cur || !t->pub || !t->inflight)
        goto fail;
    if (pthread_mutex_init(&t->mu, NULL) != 0)
        goto fail;
    return 0;
fail:
    free(t->inflight);
    seconds_free(t->cur, n_labels);
    seconds_free(t->pub, n_labels);
    if (t->labels)
        for (size_t i = 0; i < n_labels; i++)
            stats_label_fini(&t->labels[i]);
    free(t->labels);
    memset(t, 0, sizeof(*t));
    return HIST_ENOMEM;
}

void stats_thread_fini(stats_thread *t)
{
    if (!t->labels)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t->inflight);
    seconds_free(t->cur, t->n_labels);
    seconds_free(t->pub, t->n_labels);
    for (size_t i = 0; i < t->n_labels; i++)
        stats_label_fini(&t->labels[i]);
    free(t->labels);
    memset(t, 0, sizeof(*t));
}

/* The common case swaps the current histogram with the (emptied) published one, so the
 * owner never clears 184 KiB of counts itself and holds the lock for a few pointer moves;
 * only when the coordinator has not collected the previous second yet are they added. */
void stats_roll_slow(stats_thread *t, mono_ns now, bool force)
{
    if (!force && now < t->sec_end)
        return;
    bool any = false;
    for (size_t i = 0; i < t->n_labels; i++)
        if (t->cur[i].count > 0 || t->cur[i].lat->total_count > 0 || t->cur[i].by_kind[STATS_ERR_LOCAL_LIMIT] > 0)
            any = true;
    bool added = false;
    if (any) {
        pthread_mutex_lock(&t->mu);
        for (size_t i = 0; i < t->n_labels; i++) {
            stats_second *c = &t->cur[i], *p = &t->pub[i];
            if (c->count == 0 && c->lat->total_count == 0 && c->by_kind[STATS_ERR_LOCAL_LIMIT] == 0)
                continue;
            if (p->lat->total_count == 0) {
                hist *tmp = p->lat;
                p->lat = c->lat;
                c->lat = tmp;
            } else {
                /* Both histograms share one layout: hist_add cannot fail but for
                 * overflow of a 64-bit count, which needs centuries of requests. */
                (void)hist_add(p->lat, c->lat);
                added = true;
            }
            p->count += c->count;
            p->errors += c->errors;
            for (size_t k = 0; k < STATS_ERR_N; k++)
                p->by_kind[k] += c->by_kind[k];
            c->count = 0;
            c->errors = 0;
            memset(c->by_kind, 0, sizeof(c->by_kind));
        }
        t->pub_sec = t->sec;
        t->pub_any = true;
        t->pub_conn_ok = t->conn_ok;
        t->pub_conn_fail = t->conn_fail;
        t->pub_last_fail = t->last_fail;
        pthread_mutex_unlock(&t->mu);
        if (added)
            for (size_t i = 0; i < t->n_labels; i++)
                if (t->cur[i].lat->total_count > 0)
                    hist_reset(t->cur[i].lat);
    } else if (t->pub_conn_ok != t->conn_ok || t->pub_conn_fail != t->conn_fail) {
        pthread_mutex_lock(&t->mu);
        t->pub_conn_ok = t->conn_ok;
        t->pub_conn_fail = t->conn_fail;
        t->pub_last_fail = t->last_fail;
        pthread_mutex_unlock(&t->mu);
    }
    if (now >= t->sec_end) {
        uint64_t sec = (now - t->start) / CLOCK_NS_PER_SEC;
        t->sec = sec;
        t->sec_end = t->start + (sec + 1) * CLOCK_NS_PER_SEC;
    }
}

void stats_handshake(stats_thread *t, size_t label, uint64_t ns, bool resumed)
{
    stats_label *l = &t->labels[label];
    l->tls_handshakes++;
    l->tls_resumed += resumed;
    (void)hist_record(&l->tls_hs, ns_to_us(ns));
}

void stats_record(stats_thread *t, size_t label, mono_ns now, int kind, int status, uint64_t lat_ns, uint64_t svc_ns,
                  uint64_t bytes_rx, uint64_t bytes_tx)
{
    stats_roll(t, now);
    stats_label *l = &t->labels[label];
    stats_second *c = &t->cur[label];
    if (stats_err_is_local(kind)) {
        /* Never reached the network: not a request of the run, not the server's error. */
        l->by_kind[kind]++;
        c->by_kind[kind]++;
        return;
    }
    l->count++;
    c->count++;
    l->bytes_rx += bytes_rx;
    l->bytes_tx += bytes_tx;
    if (kind < 0 || kind >= STATS_ERR_N)
        kind = STATS_ERR_BAD_RESPONSE;
    l->by_kind[kind]++;
    if (kind != STATS_OK) {
        l->errors++;
        c->errors++;
        c->by_kind[kind]++;
    }
    if (!stats_err_has_response(kind))
        return;
    if (status >= STATS_STATUS_MIN && status <= STATS_STATUS_MAX)
        l->status[status - STATS_STATUS_MIN]++;
    /* Overflow of a 64-bit total is the only failure; it cannot happen in practice. */
    (void)hist_record(c->lat, ns_to_us(lat_ns));
    (void)hist_record(&l->svc, ns_to_us(svc_ns));
}

int stats_interval_init(stats_interval *iv, size_t n_labels)
{
    memset(iv, 0, sizeof(*iv));
    iv->n_labels = n_labels;
    iv->labels = seconds_new(n_labels);
    if (!iv->labels)
        return HIST_ENOMEM;
    if (label_hist_create(&iv->total.lat) != 0) {
        seconds_free(iv->labels, n_labels);
        iv->labels = NULL;
        return HIST_ENOMEM;
    }
    return 0;
}

void stats_interval_fini(stats_interval *iv)
{
    seconds_free(iv->labels, iv->n_labels);
    hist_destroy(iv->total.lat);
    memset(iv, 0, sizeof(*iv));
}

static void second_reset(stats_second *s)
{
    if (s->lat->total_count > 0)
        hist_reset(s->lat);
    s->count = 0;
    s->errors = 0;
    memset(s->by_kind, 0, sizeof(s->by_kind));
}

void stats_interval_reset(stats_interval *iv)
{
    for (size_t i = 0; i < iv->n_labels; i++)
        second_reset(&iv->labels[i]);
    second_reset(&iv->total);
}

static int second_add(stats_second *dst, const stats_second *src)
{
    if (src->lat->total_count > 0) {
        int rc = hist_add(dst->lat, src->lat);
        if (rc != 0)
            return rc;
    }
    dst->count += src->count;
    dst->errors += src->errors;
    for (size_t k = 0; k < STATS_ERR_N; k++)
        dst->by_kind[k] += src->by_kind[k];
    return 0;
}

int stats_interval_add(stats_interval *dst, const stats_interval *src)
{
    if (dst->n_labels != src->n_labels)
        return HIST_EINVAL;
    for (size_t i = 0; i < src->n_labels; i++) {
        int rc = second_add(&dst->labels[i], &src->labels[i]);
        if (rc != 0)
            return rc;
    }
    return second_add(&dst->total, &src->total);
}

int stats_collect(stats_thread *t, uint64_t upto, stats_interval *iv, stats_health *h)
{
    int rc = 0;
    if (iv->n_labels != t->n_labels)
        return HIST_EINVAL;
    pthread_mutex_lock(&t->mu);
    if (t->pub_any && t->pub_sec <= upto) {
        for (size_t i = 0; i < t->n_labels && rc == 0; i++) {
            stats_second *p = &t->pub[i];
            rc = second_add(&iv->labels[i], p);
            if (rc == 0)
                rc = second_add(&iv->total, p);
            if (rc == 0)
                second_reset(p);
        }
        if (rc == 0)
            t->pub_any = false;
    }
    if (h) {
        h->conn_ok = t->pub_conn_ok;
        h->conn_fail = t->pub_conn_fail;
        h->last_fail = t->pub_last_fail;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

uint64_t stats_second_pct(const stats_second *s, double p)
{
    return hist_value_at_percentile(s->lat, p);
}

/* --- time series ---------------------------------------------------------------------- */

void stats_series_init(stats_series *s, size_t n_labels)
{
    memset(s, 0, sizeof(*s));
    s->n_labels = n_labels;
}

void stats_series_fini(stats_series *s)
{
    free(s->pts);
    memset(s, 0, sizeof(*s));
}

static void point_set(stats_point *pt, uint32_t t, uint32_t len_ms, const stats_second *sec)
{
    pt->t = t;
    pt->len_ms = len_ms;
    pt->count = sec->count;
    pt->errors = sec->errors;
    pt->responses = sec->lat->total_count;
    pt->p50_us = stats_second_pct(sec, 50.0);
    pt->p99_us = stats_second_pct(sec, 99.0);
}

int stats_series_add(stats_series *s, uint32_t t, uint32_t len_ms, const stats_interval *iv)
{
    if (s->failed || iv->n_labels != s->n_labels)
        return -1;
    size_t width = s->n_labels + 1;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        if (ncap > SIZE_MAX / width / sizeof(stats_point)) {
            s->failed = true;
            return -1;
        }
        stats_point *np = realloc(s->pts, ncap * width * sizeof(stats_point));
        if (!np) {
            s->failed = true;
            return -1;
        }
        s->pts = np;
        s->cap = ncap;
    }
    stats_point *row = &s->pts[s->n * width];
    for (size_t i = 0; i < s->n_labels; i++)
        point_set(&row[i], t, len_ms, &iv->labels[i]);
    point_set(&row[s->n_labels], t, len_ms, &iv->total);
    s->n++;
    return 0;
}
