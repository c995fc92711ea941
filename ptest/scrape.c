/* scrape.c - blocking GETs of /config and /metrics, and the RSS sampler. */
#include "scrape.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
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

#define SCRAPE_MAX_BODY (4u << 20)

/* Resolves with lib/dns (as client_target does, in every build) within the request's
 * deadline, then tries the addresses in order. */
static int connect_to(const scrape_target *t, uint64_t deadline_ms)
{
    uint64_t now = clock_mono_now() / CLOCK_NS_PER_MS;
    if (now >= deadline_ms)
        return -1;
    dns_result r;
    dns_opts o = {.budget_ns = (deadline_ms - now) * CLOCK_NS_PER_MS};
    char why[256];
    if (dns_resolve(t->host, &o, &r, why, sizeof(why)) != DNS_OK)
        return -1;
    int fd = -1;
    for (size_t i = 0; i < r.n && fd < 0; i++) {
        struct sockaddr_storage ss;
        socklen_t sl;
        if (dns_addr_sockaddr(&r.addr[i], t->port, &ss, &sl) != 0)
            continue;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, (const struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
            close(fd);
            fd = -1;
            continue;
        }
        struct pollfd pf = {fd, POLLOUT, 0};
        now = clock_mono_now() / CLOCK_NS_PER_MS;
        int err = 0;
        socklen_t el = sizeof(err);
        if (now >= deadline_ms || poll(&pf, 1, (int)(deadline_ms - now)) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

int scrape_get(const scrape_target *t, const char *path, buf *body)
{
    uint64_t deadline = clock_mono_now() / CLOCK_NS_PER_MS + (t->timeout_ms ? t->timeout_ms : 2000);
    int fd = connect_to(t, deadline);
    if (fd < 0)
        return -1;
    int ret = -1;
    buf req = BUF_INIT, in = BUF_INIT;
    buf_printf(&req, "GET %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptest\r\nAccept: */*\r\nConnection: close\r\n\r\n",
               t->base_path ? t->base_path : "", path, t->authority);
    if (!buf_ok(&req))
        goto out;
    size_t sent = 0;
    while (sent < req.len) {
        ssize_t n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            goto out;
        struct pollfd pf = {fd, POLLOUT, 0};
        uint64_t now = clock_mono_now() / CLOCK_NS_PER_MS;
        if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) < 0)
            goto out;
    }
    /* Read until the peer closes (Connection: close), then parse once. */
    for (;;) {
        if (buf_reserve(&in, 16384) != 0 || in.len > SCRAPE_MAX_BODY)
            goto out;
        ssize_t n = recv(fd, in.data + in.len, 16384, 0);
        if (n > 0) {
            in.len += (size_t)n;
            in.data[in.len] = '\0';
            continue;
        }
        if (n == 0)
            break;
        if (errno != EAGAIN && errno != EINTR)
            goto out;
        struct pollfd pf = {fd, POLLIN, 0};
        uint64_t now = clock_mono_now() / CLOCK_NS_PER_MS;
        if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) <= 0)
            goto out;
    }
    http_response res;
    int head = http_parse_response(in.data ? in.data : "", in.len, NULL, false, &res);
    if (head <= 0)
        goto out;
    size_t blen = in.len - (size_t)head;
    if (res.body == HTTP_BODY_LENGTH) {
        if (res.content_length > blen)
            goto out;
        blen = (size_t)res.content_length;
    } else if (res.body == HTTP_BODY_CHUNKED) {
        goto out; /* msdemo and Prometheus exporters send a length; keep this simple */
    } else if (res.body == HTTP_BODY_NONE) {
        blen = 0;
    }
    buf_append(body, in.data + head, blen);
    ret = buf_ok(body) ? res.status : -1;
out:
    close(fd);
    buf_free(&req);
    buf_free(&in);
    return ret;
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

/* One /metrics scrape: cpu seconds and RSS. Returns 0 when both were found. */
static int metrics(const scrape_target *t, double *cpu, double *rss)
{
    buf b = BUF_INIT;
    int st = scrape_get(t, "/metrics", &b);
    int rc = -1;
    if (st == 200 && scrape_metric(b.data, b.len, "process_cpu_seconds_total", cpu) == 0 &&
        scrape_metric(b.data, b.len, "process_resident_memory_bytes", rss) == 0)
        rc = 0;
    buf_free(&b);
    return rc;
}

void scrape_before(scrape_state *s, const scrape_target *t)
{
    memset(s, 0, sizeof(s[0]));
    s->t = *t;
    double rss = 0;
    if (metrics(&s->t, &s->cpu_before, &rss) == 0) {
        s->have_before = true;
        s->peak_rss = rss;
        s->samples = 1;
    }
    buf b = BUF_INIT;
    if (scrape_get(&s->t, "/config", &b) == 200 && buf_ok(&b) && b.len > 0) {
        s->config = b.data; /* ownership moves to s */
        b.data = NULL;
    }
    buf_free(&b);
}

static void *sampler(void *arg)
{
    scrape_state *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        double cpu, rss;
        int rc = metrics(&s->t, &cpu, &rss);
        pthread_mutex_lock(&s->mu);
        if (rc == 0) {
            s->peak_rss = fmax(s->peak_rss, rss);
            s->samples++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void scrape_sampler_start(scrape_state *s)
{
    if (!s->have_before)
        return;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return;
    }
    s->stop = false;
    if (pthread_create(&s->thread, NULL, sampler, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        return;
    }
    s->running = true;
}

void scrape_sampler_stop(scrape_state *s)
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
}

void scrape_after(scrape_state *s)
{
    double rss;
    if (s->have_before && metrics(&s->t, &s->cpu_after, &rss) == 0) {
        s->have_after = true;
        s->peak_rss = fmax(s->peak_rss, rss);
        s->samples++;
    }
}

double scrape_self_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static json_t *expected(const char *config)
{
    json_t *cfg = config ? json_loads(config, 0, NULL) : NULL;
    json_t *eps = json_object_get(cfg, "endpoints");
    if (!json_is_array(eps)) {
        json_decref(cfg);
        return NULL;
    }
    json_t *out = json_object(), *arr = json_array();
    json_object_set_new(out, "source", json_string("/config"));
    json_object_set_new(out, "endpoints", arr);
    size_t i;
    json_t *e;
    json_array_foreach(eps, i, e) {
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

int scrape_annotate(const scrape_state *s, const char *dir, uint64_t requests, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s: %s", path, je.text);
        return -1;
    }
    json_t *srv = json_object();
    bool both = s->have_before && s->have_after;
    double cpu = both ? s->cpu_after - s->cpu_before : NAN;
    json_object_set_new(srv, "scraped", json_boolean(both));
    json_object_set_new(srv, "cpu_seconds", both ? json_real(cpu) : json_null());
    json_object_set_new(srv, "requests", json_integer((json_int_t)requests));
    json_object_set_new(srv, "cpu_ms_per_1000_requests",
                        both && requests ? json_real(cpu * 1e3 / ((double)requests / 1000)) : json_null());
    json_object_set_new(srv, "peak_rss_bytes", s->samples ? json_integer((json_int_t)s->peak_rss) : json_null());
    json_object_set_new(srv, "samples", json_integer((json_int_t)s->samples));
    json_object_set_new(root, "server", srv);
    json_t *cl = json_object();
    json_object_set_new(cl, "cpu_seconds", isfinite(s->client_cpu_s) ? json_real(s->client_cpu_s) : json_null());
    json_object_set_new(cl, "threads", json_integer((json_int_t)s->client_threads));
    json_object_set_new(root, "client", cl);
    json_t *exp = expected(s->config);
    json_object_set_new(root, "expected", exp ? exp : json_null());
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    buf b = BUF_INIT;
    buf_puts(&b, text);
    buf_putc(&b, '\n');
    free(text);
    int rc = buf_write_file(&b, path);
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    buf_free(&b);
    return rc;
}

void scrape_free(scrape_state *s)
{
    scrape_sampler_stop(s);
    free(s->config);
    s->config = NULL;
}
