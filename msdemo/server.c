/* server.c - msdemo's lifecycle: delay series, metrics layout, listening sockets, worker
 * threads, accepting, and the graceful drain. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
#include "log.h"
#include "server_int.h"
#include "sock.h"
#include "units.h"

#define ACCEPT_BATCH 64
#define RBUF_MIN (16 * 1024)

/* --- listening sockets -------------------------------------------------------------- */

static int listen_socket(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t slen;
    if (sock_listen_addr(host, port, &ss, &slen) < 0) {
        snprintf(err, errlen, "listen address \"%s\" is not a numeric IPv4/IPv6 address or localhost", host);
        return -1;
    }
    int one = 1;
    const char *what = "socket";
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        what = "setsockopt";
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0) {
            what = "bind";
            if (bind(fd, (struct sockaddr *)&ss, slen) == 0) {
                what = "listen";
                if (listen(fd, 4096) == 0)
                    return fd;
            }
        }
    }
    int e = errno;
    snprintf(err, errlen, "cannot listen on %s:%u: %s failed: %s", *host ? host : "*", (unsigned)port, what,
             strerror(e));
    if (fd >= 0)
        close(fd);
    return -1;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* --- accepting ---------------------------------------------------------------------- */

static void reject(int fd)
{
    static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\nServer: msdemo\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
                              "too many connections";
    /* Best effort on a fresh socket whose send buffer is empty: one send, then close. */
    ssize_t n = send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    shutdown(fd, SHUT_WR);
    close(fd);
}

static void accept_resume(evloop *loop, evloop_timer *t)
{
    worker *w = t->data;
    if (!w->listen_closed)
        evloop_io_start(loop, &w->lio, EVLOOP_READ);
}

static void accept_cb(evloop *loop, evloop_io *io, uint32_t events)
{
    worker *w = io->data;
    server *s = w->srv;
    (void)events;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("accept paused", "\"worker\":%u,\"error\":\"%s\"", w->idx, strerror(errno));
                evloop_io_stop(loop, &w->lio);
                evloop_timer_start(loop, &w->accept_pause, evloop_now(loop) + 100 * CLOCK_NS_PER_MS);
            }
            return; /* EAGAIN, or paused */
        }
        uint32_t n = __atomic_add_fetch(&s->connections, 1, __ATOMIC_RELAXED);
        if (n > s->cfg->limits.max_connections) {
            __atomic_fetch_sub(&s->connections, 1, __ATOMIC_RELAXED);
            metrics_rejected_inc(&w->metrics);
            reject(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_accept(w, fd);
    }
}

/* --- drain -------------------------------------------------------------------------- */

/* Runs on the worker's thread after evloop_wake. */
static void worker_wake(evloop *loop, void *arg)
{
    worker *w = arg;
    server *s = w->srv;
    if (!__atomic_load_n(&s->stop_listening, __ATOMIC_ACQUIRE) || w->listen_closed)
        return;
    w->listen_closed = true;
    evloop_io_stop(loop, &w->lio);
    evloop_timer_stop(loop, &w->accept_pause);
    evloop_timer_stop(loop, &w->trim_timer);
    close(w->lfd);
    w->lfd = -1;
    /* conn_drain may close c; take next first. */
    for (conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        conn_drain(c);
    }
    if (w->nconns == 0)
        evloop_break(loop);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    /* Signals go to the main thread only. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    int rc = evloop_run(w->loop);
    if (rc < 0)
        log_error("event loop failed", "\"worker\":%u,\"error\":\"%s\"", w->idx, strerror(-rc));
    return NULL;
}

/* --- /config ------------------------------------------------------------------------ */

static void ms_double(jsonw *j, const char *key, double ns)
{
    jsonw_key(j, key);
    jsonw_double(j, ns / 1e6);
}

static void build_config_json(server *s)
{
    const config *cfg = s->cfg;
    jsonw j;
    jsonw_init(&j, &s->config_json, 2);
    jsonw_obj_begin(&j);
    jsonw_key(&j, "service");
    jsonw_str(&j, "msdemo");
    jsonw_key(&j, "version");
    jsonw_str(&j, PT_VERSION);
    jsonw_key(&j, "source");
    jsonw_str(&j, cfg->source ? cfg->source : "built-in");
    jsonw_key(&j, "instance");
    jsonw_str(&j, s->instance);
    jsonw_key(&j, "listen");
    jsonw_str(&j, cfg->listen);
    jsonw_key(&j, "port");
    jsonw_u64(&j, s->port);
    jsonw_key(&j, "workers");
    jsonw_u64(&j, s->nworkers);
    jsonw_key(&j, "seed");
    jsonw_u64(&j, cfg->seed);
    ms_double(&j, "drain_timeout_ms", (double)cfg->drain_timeout_ns);
    ms_double(&j, "drain_grace_ms", (double)cfg->drain_grace_ns);
    ms_double(&j, "timer_slack_ms", (double)cfg->timer_slack_ns);
    jsonw_key(&j, "event_loop");
    jsonw_str(&j, server_event_loop(s));
    jsonw_key(&j, "limits");
    jsonw_obj_begin(&j);
    jsonw_key(&j, "max_connections");
    jsonw_u64(&j, cfg->limits.max_connections);
    jsonw_key(&j, "max_header_bytes");
    jsonw_u64(&j, cfg->limits.max_header_bytes);
    ms_double(&j, "header_timeout_ms", (double)cfg->limits.header_timeout_ns);
    ms_double(&j, "body_timeout_ms", (double)cfg->limits.body_timeout_ns);
    jsonw_key(&j, "body_min_rate");
    jsonw_u64(&j, cfg->limits.body_min_rate);
    ms_double(&j, "send_timeout_ms", (double)cfg->limits.send_timeout_ns);
    ms_double(&j, "idle_timeout_ms", (double)cfg->limits.idle_timeout_ns);
    jsonw_key(&j, "max_pipeline");
    jsonw_u64(&j, cfg->limits.max_pipeline);
    jsonw_key(&j, "max_body_bytes");
    jsonw_u64(&j, cfg->limits.max_body_bytes);
    jsonw_obj_end(&j);
    jsonw_key(&j, "endpoints");
    jsonw_arr_begin(&j);
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        const config_endpoint *e = &cfg->endpoints[i];
        const delay_series *ds = &s->series[i];
        jsonw_obj_begin(&j);
        jsonw_key(&j, "path");
        jsonw_str(&j, e->path);
        jsonw_key(&j, "body");
        jsonw_strn(&j, e->body, e->body_len);
        jsonw_key(&j, "content_type");
        jsonw_str(&j, e->content_type);
        jsonw_key(&j, "delay");
        jsonw_obj_begin(&j);
        jsonw_key(&j, "dist");
        jsonw_str(&j, rng_dist_name(e->delay.dist));
        ms_double(&j, "mean_ms", (double)e->delay.mean_ns);
        ms_double(&j, "stddev_ms", (double)e->delay.stddev_ns);
        jsonw_key(&j, "n");
        jsonw_u64(&j, e->delay.n);
        ms_double(&j, "fitted_mean_ms", ds->fit_mean_ns);
        ms_double(&j, "fitted_stddev_ms", ds->fit_stddev_ns);
        jsonw_key(&j, "clamped");
        jsonw_u64(&j, ds->clamped);
        jsonw_key(&j, "clamping_moved_fit");
        jsonw_bool(&j, ds->clamped_moved_fit);
        jsonw_obj_end(&j);
        jsonw_key(&j, "errors");
        jsonw_obj_begin(&j);
        jsonw_key(&j, "rate");
        jsonw_double(&j, e->error_rate);
        jsonw_key(&j, "status");
        jsonw_u64(&j, (uint64_t)e->error_status);
        jsonw_obj_end(&j);
        jsonw_obj_end(&j);
    }
    jsonw_arr_end(&j);
    jsonw_obj_end(&j);
    buf_putc(&s->config_json, '\n');
}

/* --- create / start / wait ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int series_quantiles(const delay_series *ds, uint64_t *out, size_t *n_out)
{
    /* Bucket bounds at the series' own quantiles make histogram_quantile() accurate
     * exactly where the configured delays are. */
    static const double qs[] = {0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};
    uint64_t *sorted = malloc((size_t)ds->n * sizeof *sorted);
    if (!sorted)
        return -1;
    memcpy(sorted, ds->v, (size_t)ds->n * sizeof *sorted);
    qsort(sorted, ds->n, sizeof *sorted, cmp_u64);
    *n_out = 0;
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        size_t k = (size_t)(qs[i] * (double)(ds->n - 1) + 0.5);
        out[(*n_out)++] = sorted[k] + 200000; /* + network/service allowance of 0.2 ms */
    }
    free(sorted);
    return 0;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* The name in X-Served-By: the config's, else the pod name the Deployment passes from the
 * downward API ($POD_NAME), else the host name (a container's host name is its pod name
 * too); one that is not a plain name is left out rather than sent. */
static void pick_instance(server *s)
{
    const char *name = s->cfg->instance;
    char host[256];
    if (!name) {
        name = getenv("POD_NAME");
        if (name && !*name)
            name = NULL;
    }
    if (!name) {
        name = "";
        if (gethostname(host, sizeof host) == 0) {
            host[sizeof host - 1] = '\0';
            name = host;
        }
    }
    if (!config_instance_valid(name))
        name = "";
    size_t n = strlen(name); /* <= 63: checked by config_instance_valid */
    memcpy(s->instance, name, n < sizeof s->instance ? n : sizeof s->instance - 1);
    s->instance[n < sizeof s->instance ? n : sizeof s->instance - 1] = '\0';
}

server *server_create(const config *cfg, char *err, size_t errlen)
{
    server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->nworkers = cfg->workers ? cfg->workers : cpu_count();
    s->hlim.max_header_bytes = cfg->limits.max_header_bytes;
    s->start_time = (double)clock_wall_now() / 1e9;
    buf_init(&s->config_json);
    pick_instance(s);

    uint64_t seed = cfg->seed;
    if (!cfg->seed_set) {
        rng r;
        rng_seed_os(&r);
        seed = rng_u64(&r);
    }
    s->series = calloc(cfg->n_endpoints ? cfg->n_endpoints : 1, sizeof *s->series);
    s->workers = calloc(s->nworkers, sizeof *s->workers);
    s->mptrs = calloc(s->nworkers, sizeof *s->mptrs);
    if (!s->series || !s->workers || !s->mptrs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s->nworkers; i++)
        s->workers[i].lfd = -1;

    metrics_layout_init(&s->layout);
    for (size_t i = 0; i < cfg->n_endpoints; i++)
        if (metrics_layout_add_code(&s->layout, cfg->endpoints[i].error_status) < 0) {
            snprintf(err, errlen, "too many distinct error status codes");
            goto fail;
        }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        const config_endpoint *e = &cfg->endpoints[i];
        delay_spec spec = {e->delay.dist, e->delay.mean_ns, e->delay.stddev_ns, e->delay.n};
        char derr[256];
        /* Each endpoint gets its own stream so adding an endpoint changes no other series. */
        if (delay_series_build(&s->series[i], &spec, seed + (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15), derr,
                               sizeof derr) < 0) {
            snprintf(err, errlen, "endpoint %s: %s", e->path, derr);
            goto fail;
        }
        if (s->series[i].clamped)
            log_write(s->series[i].clamped_moved_fit ? LOG_WARN : LOG_INFO,
                      s->series[i].clamped_moved_fit
                          ? "delay series clamped at 0 does not reach the configured mean/stddev"
                          : "delay series clamped at 0; refitted to the configured mean/stddev",
                      "\"path\":\"%s\",\"clamped\":%u,\"n\":%u,\"fitted_mean_ms\":%.3f,\"fitted_stddev_ms\":%.3f",
                      e->path, (unsigned)s->series[i].clamped, (unsigned)s->series[i].n, s->series[i].fit_mean_ns / 1e6,
                      s->series[i].fit_stddev_ns / 1e6);
        uint64_t q[8];
        size_t nq = 0;
        if (series_quantiles(&s->series[i], q, &nq) < 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        uint64_t lo = q[0], hi = q[nq - 1];
        if (metrics_layout_add_row(&s->layout, e->path, lo, hi, q, nq) < 0) {
            snprintf(err, errlen, "too many endpoints for the metrics table");
            goto fail;
        }
    }
    static const char *const ops[] = {"/healthz", "/readyz", "/metrics", "/config", "other"};
    for (size_t i = 0; i < ROW_OPS_COUNT; i++)
        if (metrics_layout_add_row(&s->layout, ops[i], 100000, 10 * CLOCK_NS_PER_MS, NULL, 0) < 0) {
            snprintf(err, errlen, "too many endpoints for the metrics table");
            goto fail;
        }

    char host[256];
    uint16_t port;
    if (units_split_hostport(cfg->listen, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "invalid listen address \"%s\"", cfg->listen);
        goto fail;
    }
    size_t rbuf_cap = cfg->limits.max_header_bytes * 2u;
    if (rbuf_cap < RBUF_MIN)
        rbuf_cap = RBUF_MIN;
    for (size_t i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        w->srv = s;
        w->idx = (unsigned)i;
        /* The first socket picks the port (port 0 = any); the others share it. */
        w->lfd = listen_socket(host, i == 0 ? port : s->port, err, errlen);
        if (w->lfd < 0)
            goto fail;
        if (i == 0)
            s->port = bound_port(w->lfd);
        w->loop = evloop_create();
        if (!w->loop) {
            const char *why = evloop_create_error();
            snprintf(err, errlen, "cannot create the event loop of worker %zu: %s", i, *why ? why : strerror(errno));
            goto fail;
        }
        evloop_set_timer_slack(w->loop, cfg->timer_slack_ns);
        w->rbuf_cap = rbuf_cap;
        w->rbuf = malloc(rbuf_cap);
        w->cursors = calloc(cfg->n_endpoints ? cfg->n_endpoints : 1, sizeof *w->cursors);
        buf_init(&w->wbuf);
        if (!w->loop || !w->rbuf || !w->cursors || metrics_worker_init(&w->metrics, &s->layout) < 0) {
            snprintf(err, errlen, "out of memory creating worker %zu", i);
            goto fail;
        }
        s->mptrs[i] = &w->metrics;
        rng_seed(&w->rng, seed ^ (UINT64_C(0xD1B54A32D192ED03) * (i + 1)));
        /* Workers start at evenly spaced points of each series, so that together they walk
         * the whole series rather than all repeating its first values. */
        for (size_t k = 0; k < cfg->n_endpoints; k++)
            w->cursors[k] = delay_cursor_start(&s->series[k], (uint32_t)i, (uint32_t)s->nworkers);
        evloop_io_init(&w->lio, w->lfd, accept_cb, w);
        evloop_timer_init(&w->accept_pause, accept_resume, w);
        evloop_timer_init(&w->trim_timer, conn_trim_cb, w);
        if (evloop_io_start(w->loop, &w->lio, EVLOOP_READ) < 0 || evloop_set_wake(w->loop, worker_wake, w) < 0) {
            snprintf(err, errlen, "cannot set up the event loop of worker %zu", i);
            goto fail;
        }
    }
    build_config_json(s);
    if (!buf_ok(&s->config_json)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return s;
fail:
    server_destroy(s);
    return NULL;
}

int server_start(server *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start worker thread: %s", strerror(rc));
            return -1;
        }
        w->started = true;
    }
    return 0;
}

void server_drain(server *s)
{
    __atomic_store_n(&s->draining, 1, __ATOMIC_RELEASE);
    log_info("draining", "\"grace_ms\":%.0f,\"timeout_ms\":%.0f", (double)s->cfg->drain_grace_ns / 1e6,
             (double)s->cfg->drain_timeout_ns / 1e6);
    /* Keep accepting for the grace period: a load balancer (Kubernetes endpoints) needs a
     * moment to see /readyz fail and stop sending new connections here. */
    struct timespec ts = {(time_t)(s->cfg->drain_grace_ns / CLOCK_NS_PER_SEC),
                          (long)(s->cfg->drain_grace_ns % CLOCK_NS_PER_SEC)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
    __atomic_store_n(&s->stop_listening, 1, __ATOMIC_RELEASE);
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].loop)
            evloop_wake(s->workers[i].loop);
}

size_t server_wait(server *s, mono_ns deadline)
{
    size_t left = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        if (!w->started)
            continue;
        mono_ns now = clock_mono_now();
        mono_ns wait_ns = deadline > now ? deadline - now : 0;
        struct timespec abs;
        clock_gettime(CLOCK_REALTIME, &abs);
        uint64_t nsec = (uint64_t)abs.tv_nsec + wait_ns % CLOCK_NS_PER_SEC;
        abs.tv_sec += (time_t)(wait_ns / CLOCK_NS_PER_SEC + nsec / CLOCK_NS_PER_SEC);
        abs.tv_nsec = (long)(nsec % CLOCK_NS_PER_SEC);
        if (pthread_timedjoin_np(w->thread, NULL, &abs) == 0) {
            w->started = false;
        } else {
            left += __atomic_load_n(&w->nconns, __ATOMIC_RELAXED);
        }
    }
    return left;
}

void server_destroy(server *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->workers && i < s->nworkers; i++) {
        worker *w = &s->workers[i];
        if (w->started)
            continue; /* abandoned after the drain deadline: the process is exiting */
        while (w->conns)
            conn_close(w->conns);
        conn_free_cache(w);
        if (w->lfd >= 0)
            close(w->lfd);
        if (w->loop)
            evloop_destroy(w->loop);
        free(w->rbuf);
        free(w->cursors);
        buf_fini(&w->wbuf);
        metrics_worker_fini(&w->metrics);
    }
    for (size_t i = 0; s->series && i < s->cfg->n_endpoints; i++)
        delay_series_fini(&s->series[i]);
    free(s->series);
    free(s->workers);
    free(s->mptrs);
    buf_fini(&s->config_json);
    free(s);
}

uint16_t server_port(const server *s)
{
    return s->port;
}
size_t server_workers(const server *s)
{
    return s->nworkers;
}

const char *server_event_loop(const server *s)
{
    /* Every worker chose by the same PT_EVLOOP; auto could in principle differ per loop
     * (a ring refused half-way through): the first one stands for all. */
    return s->nworkers > 0 && s->workers[0].loop ? evloop_backend(s->workers[0].loop) : "none";
}

const char *server_config_json(const server *s, size_t *len)
{
    *len = s->config_json.len;
    return s->config_json.data;
}
