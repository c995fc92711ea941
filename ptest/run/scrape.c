/* scrape.c - the server's own figures, read only when asked: blocking GETs framed by
 * lib/http, on a thread of their own so that the load never waits for them. */
#include "scrape.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "dns.h"
#include "http.h"
#include "sock.h"

#define READ_CHUNK 16384

static uint64_t now_ms(void)
{
    return clock_mono_now() / CLOCK_NS_PER_MS;
}

/* Waits until fd is ready for ev or the deadline (ms, monotonic) passes. 0 ready, -1 timeout
 * or error. */
static int wait_fd(int fd, short ev, uint64_t deadline_ms)
{
    return sock_wait(fd, ev, deadline_ms * CLOCK_NS_PER_MS);
}

/* Resolves with lib/dns (as client_target does, in every build) within the request's
 * deadline, then tries the addresses in order. */
static int connect_to(const scrape_target *t, uint64_t deadline_ms, char *why, size_t whylen)
{
    uint64_t now = now_ms();
    if (now >= deadline_ms) {
        snprintf(why, whylen, "timed out");
        return -1;
    }
    dns_result r;
    dns_opts o = {.budget_ns = (deadline_ms - now) * CLOCK_NS_PER_MS};
    char derr[256];
    if (dns_resolve(t->host, &o, &r, derr, sizeof(derr)) != DNS_OK) {
        snprintf(why, whylen, "%s", derr);
        return -1;
    }
    int fd = -1;
    snprintf(why, whylen, "cannot connect");
    for (size_t i = 0; i < r.n && fd < 0; i++) {
        struct sockaddr_storage ss;
        socklen_t sl;
        if (dns_addr_sockaddr(&r.addr[i], t->port, &ss, &sl) != 0)
            continue;
        fd = sock_connect(&ss, sl, deadline_ms * CLOCK_NS_PER_MS);
        if (fd < 0)
            snprintf(why, whylen, errno == ETIMEDOUT ? "connect timed out" : "connect: %s", strerror(errno));
    }
    return fd;
}

void scrape_conn_close(scrape_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Where reading an answer stands. */
typedef struct answer {
    buf in; /* received, not yet consumed */
    bool have_head;
    http_response res;
    http_chunked ch;
    bool got_bytes; /* any byte of the answer arrived */
    bool eof;
} answer;

/* Moves what `in` holds into body as the framing allows. 1: answer complete, 0: need more,
 * -1: bad answer (why filled). */
static int progress(answer *a, buf *body, size_t body0, char *why, size_t whylen)
{
    for (;;) {
        if (!a->have_head) {
            if (a->in.len == 0)
                return a->eof ? -1 : 0;
            int h = http_parse_response(a->in.data, a->in.len, NULL, false, &a->res);
            if (h == HTTP_INCOMPLETE) {
                if (a->eof)
                    snprintf(why, whylen, "connection closed in the answer's head");
                return a->eof ? -1 : 0;
            }
            if (h < 0) {
                snprintf(why, whylen, "malformed answer (lib/http error %d)", h);
                return -1;
            }
            buf_consume(&a->in, (size_t)h);
            if (a->res.status < 200)
                continue; /* 1xx: the final answer follows */
            a->have_head = true;
            if (a->res.body == HTTP_BODY_LENGTH && a->res.content_length > SCRAPE_MAX_BODY) {
                snprintf(why, whylen, "answer longer than %u bytes", SCRAPE_MAX_BODY);
                return -1;
            }
            if (a->res.body == HTTP_BODY_CHUNKED)
                http_chunked_init(&a->ch);
        }
        switch (a->res.body) {
        case HTTP_BODY_NONE: return 1;
        case HTTP_BODY_LENGTH: {
            size_t want = (size_t)a->res.content_length - (body->len - body0);
            size_t n = a->in.len < want ? a->in.len : want;
            if (n && buf_append(body, a->in.data, n) != 0)
                goto nomem;
            buf_consume(&a->in, n);
            if (n == want)
                return 1;
            if (a->eof)
                snprintf(why, whylen, "connection closed after %zu of %" PRIu64 " body bytes", body->len - body0,
                         a->res.content_length);
            return a->eof ? -1 : 0;
        }
        case HTTP_BODY_CHUNKED: {
            size_t off = 0;
            int r = 0;
            while (off < a->in.len) {
                http_str d;
                size_t used = 0;
                r = http_chunked_next(&a->ch, a->in.data + off, a->in.len - off, &d, &used);
                if (r < 0) {
                    snprintf(why, whylen, "malformed chunked answer");
                    return -1;
                }
                if (d.n && buf_append(body, d.p, d.n) != 0)
                    goto nomem;
                off += used;
                if (r == 1 || (used == 0 && d.n == 0))
                    break;
            }
            buf_consume(&a->in, off);
            if (body->len - body0 > SCRAPE_MAX_BODY) {
                snprintf(why, whylen, "answer longer than %u bytes", SCRAPE_MAX_BODY);
                return -1;
            }
            if (r == 1)
                return 1;
            if (a->eof)
                snprintf(why, whylen, "connection closed in a chunked answer");
            return a->eof ? -1 : 0;
        }
        case HTTP_BODY_UNTIL_CLOSE:
            if (a->in.len && buf_append(body, a->in.data, a->in.len) != 0)
                goto nomem;
            buf_consume(&a->in, a->in.len);
            if (body->len - body0 > SCRAPE_MAX_BODY) {
                snprintf(why, whylen, "answer longer than %u bytes", SCRAPE_MAX_BODY);
                return -1;
            }
            return a->eof ? 1 : 0;
        }
        return -1;
    }
nomem:
    snprintf(why, whylen, "out of memory");
    return -1;
}

/* One request and its answer on c->fd. Returns the status, or -1 (*retry: nothing of an
 * answer arrived, so a kept connection may just have been closed by the server). */
static int exchange(scrape_conn *c, const scrape_target *t, uint64_t deadline, buf *body, bool *retry, char *why,
                    size_t whylen)
{
    int ret = -1;
    size_t body0 = body->len;
    buf req = BUF_INIT;
    answer a;
    memset(&a, 0, sizeof(a));
    *retry = false;
    buf_printf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptest\r\nAccept: */*\r\n\r\n", t->path, t->authority);
    if (!buf_ok(&req)) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    for (size_t sent = 0; sent < req.len;) {
        ssize_t n = send(c->fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            *retry = true;
            snprintf(why, whylen, "send: %s", strerror(errno));
            goto out;
        }
        if (wait_fd(c->fd, POLLOUT, deadline) != 0) {
            snprintf(why, whylen, "timed out sending");
            goto out;
        }
    }
    for (;;) {
        int p = progress(&a, body, body0, why, whylen);
        if (p < 0) {
            *retry = !a.got_bytes;
            goto out;
        }
        if (p == 1)
            break;
        if (buf_reserve(&a.in, READ_CHUNK) != 0) {
            snprintf(why, whylen, "out of memory");
            goto out;
        }
        ssize_t n = recv(c->fd, a.in.data + a.in.len, READ_CHUNK, 0);
        if (n > 0) {
            a.in.len += (size_t)n;
            a.got_bytes = true;
            continue;
        }
        if (n == 0) {
            a.eof = true;
            if (!a.got_bytes)
                snprintf(why, whylen, "connection closed without an answer");
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            *retry = !a.got_bytes;
            snprintf(why, whylen, "recv: %s", strerror(errno));
            goto out;
        }
        if (wait_fd(c->fd, POLLIN, deadline) != 0) {
            snprintf(why, whylen, "no complete answer within %" PRIu64 " ms",
                     t->timeout_ms ? t->timeout_ms : (uint64_t)SCRAPE_TIMEOUT_MS);
            goto out;
        }
    }
    ret = a.res.status;
    /* Reusable only when the server keeps it and nothing unexpected follows the answer. */
    if (!a.res.keep_alive || a.res.body == HTTP_BODY_UNTIL_CLOSE || a.in.len > 0 || a.eof)
        scrape_conn_close(c);
out:
    if (ret < 0)
        scrape_conn_close(c);
    buf_fini(&req);
    buf_fini(&a.in);
    return ret;
}

int scrape_get(scrape_conn *c, const scrape_target *t, buf *body, char *why, size_t whylen)
{
    uint64_t deadline = now_ms() + (t->timeout_ms ? t->timeout_ms : SCRAPE_TIMEOUT_MS);
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0, retry = false;
        if (!reused && (c->fd = connect_to(t, deadline, why, whylen)) < 0)
            return -1;
        size_t body0 = body->len;
        int st = exchange(c, t, deadline, body, &retry, why, whylen);
        if (st >= 0)
            return st;
        if (!reused || !retry)
            return -1;
        body->len = body0; /* the kept connection had been closed: once more on a new one */
        if (body->cap > 0)
            body->data[body0] = '\0';
    }
    return -1;
}

int scrape_metric(const char *text, size_t len, const char *name, double *out)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        if (e - i > nl && memcmp(text + i, name, nl) == 0 && (text[i + nl] == ' ' || text[i + nl] == '\t')) {
            char num[64];
            size_t n = e - i - nl;
            if (n >= sizeof(num)) {
                i = e + 1; /* a value this long is not a number we would read right */
                continue;
            }
            memcpy(num, text + i + nl, n);
            num[n] = '\0';
            char *end;
            double v = strtod(num, &end);
            if (end != num && isfinite(v)) {
                *out = v;
                return 0;
            }
        }
        i = e + 1;
    }
    return -1;
}

static json_t *expected(const char *config, const char *source);

/* One /metrics reading: cpu seconds and RSS. Returns 0 when both were found, else -1
 * with why filled. */
static int metrics(scrape_state *s, double *cpu, double *rss, char *why, size_t whylen)
{
    buf b = BUF_INIT;
    int st = scrape_get(&s->mconn, &s->metrics_t, &b, why, whylen);
    int rc = -1;
    if (st == 200 && scrape_metric(b.data, b.len, "process_cpu_seconds_total", cpu) == 0 &&
        scrape_metric(b.data, b.len, "process_resident_memory_bytes", rss) == 0)
        rc = 0;
    else if (st >= 0 && st != 200)
        snprintf(why, whylen, "answered %d", st);
    else if (st >= 0)
        snprintf(why, whylen, "no process_cpu_seconds_total and process_resident_memory_bytes in the answer");
    buf_fini(&b);
    return rc;
}

static char *copy(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *url_of(const scrape_target *t)
{
    size_t n = strlen(t->authority) + strlen(t->path) + 8;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "http://%s%s", t->authority, t->path);
    return u;
}

/* Copies t into *dst with its strings in strs[0..2]. */
static int take(scrape_target *dst, const scrape_target *t, char **strs, char **url)
{
    *dst = *t;
    strs[0] = copy(t->host);
    strs[1] = copy(t->authority);
    strs[2] = copy(t->path);
    dst->host = strs[0];
    dst->authority = strs[1];
    dst->path = strs[2];
    *url = strs[0] && strs[1] && strs[2] ? url_of(dst) : NULL;
    return *url ? 0 : -1;
}

int scrape_init(scrape_state *s, const scrape_target *metrics_t, const scrape_target *config_t)
{
    memset(s, 0, sizeof(s[0]));
    s->mconn.fd = -1;
    if ((metrics_t && take(&s->metrics_t, metrics_t, &s->strs[0], &s->metrics_url) != 0) ||
        (config_t && take(&s->config_t, config_t, &s->strs[3], &s->config_url) != 0)) {
        scrape_fini(s);
        return -1;
    }
    s->want_metrics = metrics_t != NULL;
    s->want_config = config_t != NULL;
    return 0;
}

/* The first readings (the thread's first task, or scrape_stop's without a thread). */
static void first_readings(scrape_state *s)
{
    s->first_done = true; /* only this thread writes it until the join */
    if (s->want_metrics) {
        double cpu = 0, rss = 0;
        char why[sizeof(s->metrics_why)] = "";
        int rc = metrics(s, &cpu, &rss, why, sizeof(why));
        if (s->sync_ok)
            pthread_mutex_lock(&s->mu);
        if (rc == 0) {
            s->have_before = true;
            s->cpu_before = cpu;
            s->peak_rss = rss;
            s->samples = 1;
        } else {
            snprintf(s->metrics_why, sizeof(s->metrics_why), "%s", why);
        }
        if (s->sync_ok)
            pthread_mutex_unlock(&s->mu);
    }
    if (s->want_config) {
        scrape_conn c = SCRAPE_CONN_INIT;
        buf b = BUF_INIT;
        char why[sizeof(s->config_why)] = "";
        int st = scrape_get(&c, &s->config_t, &b, why, sizeof(why));
        scrape_conn_close(&c);
        if (st >= 0 && st != 200)
            snprintf(why, sizeof(why), "answered %d", st);
        else if (st == 200 && b.len == 0)
            snprintf(why, sizeof(why), "empty answer");
        if (s->sync_ok)
            pthread_mutex_lock(&s->mu);
        if (st == 200 && buf_ok(&b) && b.len > 0) {
            s->config = b.data; /* ownership moves to s */
            b.data = NULL;
        } else {
            snprintf(s->config_why, sizeof(s->config_why), "%s", why);
        }
        if (s->sync_ok)
            pthread_mutex_unlock(&s->mu);
        buf_fini(&b);
    }
}

static void *sampler(void *arg)
{
    scrape_state *s = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the coordinator's */
    first_readings(s);
    pthread_mutex_lock(&s->mu);
    if (!s->have_before) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!s->stop) {
        next.tv_sec += 1;
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &next) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        double cpu, rss;
        char why[sizeof(s->metrics_why)];
        int rc = metrics(s, &cpu, &rss, why, sizeof(why));
        pthread_mutex_lock(&s->mu);
        if (rc == 0) {
            s->peak_rss = fmax(s->peak_rss, rss);
            s->samples++;
        }
        /* A reading slower than the period: the next one a period after it ended. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
            next = now;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void scrape_start(scrape_state *s)
{
    if (s->running || (!s->want_metrics && !s->want_config))
        return;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_mutex_init(&s->mu, NULL) == 0;
    if (ok && pthread_cond_init(&s->cv, &ca) != 0) {
        pthread_mutex_destroy(&s->mu);
        ok = false;
    }
    pthread_condattr_destroy(&ca);
    if (!ok)
        return;
    s->sync_ok = true;
    s->stop = false;
    if (pthread_create(&s->thread, NULL, sampler, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        s->sync_ok = false;
        return;
    }
    s->running = true;
}

static void join(scrape_state *s)
{
    if (!s->running)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    s->running = false;
    s->sync_ok = false;
}

void scrape_stop(scrape_state *s)
{
    join(s);
    if (!s->first_done)
        first_readings(s); /* no thread could be started: late, but still something */
    double rss, cpu;
    char why[sizeof(s->metrics_why) - 32];
    if (s->have_before && !s->have_after) {
        if (metrics(s, &cpu, &rss, why, sizeof(why)) == 0) {
            s->have_after = true;
            s->cpu_after = cpu;
            s->peak_rss = fmax(s->peak_rss, rss);
            s->samples++;
        } else {
            snprintf(s->metrics_why, sizeof(s->metrics_why), "after the run: %s", why);
        }
    }
    scrape_conn_close(&s->mconn);
}

const char *scrape_problem(const scrape_state *s, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    if (s->want_metrics && !(s->have_before && s->have_after)) {
        int w = snprintf(out, len, "server metrics: GET %s: %s", s->metrics_url,
                         s->metrics_why[0] ? s->metrics_why : "not read");
        o = w > 0 && (size_t)w < len ? (size_t)w : len - 1;
    }
    const char *cwhy = NULL;
    json_t *exp = s->config ? expected(s->config, s->config_url) : NULL;
    if (s->want_config && !s->config)
        cwhy = s->config_why[0] ? s->config_why : "not read";
    else if (s->want_config && !exp)
        cwhy = "not msdemo's /config (no JSON endpoints with delay.fitted_mean_ms)";
    json_decref(exp);
    if (cwhy && o + 2 < len)
        snprintf(out + o, len - o, "%sserver config: GET %s: %s", o ? "; " : "", s->config_url, cwhy);
    return out[0] ? out : NULL;
}

double scrape_self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static json_t *expected(const char *config, const char *source)
{
    json_t *cfg = config ? json_loads(config, 0, NULL) : NULL;
    json_t *eps = json_object_get(cfg, "endpoints");
    if (!json_is_array(eps)) {
        json_decref(cfg);
        return NULL;
    }
    json_t *out = json_object(), *arr = json_array();
    json_object_set_new(out, "source", json_string(source ? source : ""));
    json_object_set_new(out, "endpoints", arr);
    size_t i;
    json_t *e;
    json_array_foreach (eps, i, e) {
        json_t *d = json_object_get(e, "delay");
        json_t *m = json_object_get(d, "fitted_mean_ms"), *sd = json_object_get(d, "fitted_stddev_ms");
        if (!json_is_string(json_object_get(e, "path")) || !json_is_number(m))
            continue;
        json_t *o = json_object();
        json_object_set(o, "path", json_object_get(e, "path"));
        json_object_set(o, "mean_ms", m);
        json_object_set(o, "stddev_ms", json_is_number(sd) ? sd : json_null());
        json_array_append_new(arr, o);
    }
    json_decref(cfg);
    return out;
}

void scrape_results(const scrape_state *s, uint64_t requests, results_server *out)
{
    bool both = s->have_before && s->have_after;
    double cpu = both ? s->cpu_after - s->cpu_before : NAN;
    *out = (results_server){
        .metrics_url = s->metrics_url,
        .config_url = s->config_url,
        .scraped = both,
        .cpu_seconds = cpu,
        .requests = requests,
        .cpu_ms_per_1000_requests = both && requests ? cpu * 1e3 / ((double)requests / 1000) : NAN,
        .peak_rss_bytes = s->samples ? s->peak_rss : NAN,
        .samples = s->samples,
    };
}

json_t *scrape_expected(const scrape_state *s)
{
    return expected(s->config, s->config_url);
}

void scrape_fini(scrape_state *s)
{
    join(s);
    scrape_conn_close(&s->mconn);
    free(s->config);
    s->config = NULL;
    for (size_t i = 0; i < sizeof(s->strs) / sizeof(s->strs[0]); i++) {
        free(s->strs[i]);
        s->strs[i] = NULL;
    }
    free(s->metrics_url);
    free(s->config_url);
    s->metrics_url = s->config_url = NULL;
    s->want_metrics = s->want_config = false;
}
