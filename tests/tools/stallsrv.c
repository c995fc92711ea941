/* stallsrv - an HTTP/1.1 server for the coordinated-omission test: it answers every request
 * at once ("200 ok", keep-alive) except during stall windows, when the whole process freezes
 * (it neither accepts, reads nor writes; the kernel keeps queueing connections and bytes),
 * like a server in a long GC pause or swapped out.
 *
 *   stallsrv --listen HOST:PORT [--stall AT:FOR]... [--from first|start] [--exit-after D]
 *            [--log FILE] [--ignore-close] [--ops]
 *
 *   --stall AT:FOR   freeze for FOR starting AT after the origin (e.g. 3s:1s); repeatable;
 *                    default: 3s:1s and 7s:1s (1 s twice in a 10 s run)
 *   --from first     origin = arrival of the first request (default), so a load generator's
 *                    time 0 and the server's agree within a round trip
 *   --from start     origin = when stallsrv starts listening
 *   --exit-after D   exit D after the origin (default: never)
 *   --log FILE       one line per request: "<wall clock, µs since the epoch> METHOD TARGET"
 *   --ignore-close   keep every connection open, even when the request asks to close it
 *                    (a plain keep-alive server: a client must read the Content-Length)
 *   --ops            answer GET /metrics (Prometheus text of this process's CPU and RSS,
 *                    chunked) and GET /config (msdemo's shape: "/" with a 0 ms delay);
 *                    without it they are answered "ok" like every other path. Requests for
 *                    them do not set the origin.
 * Prints "listening HOST:PORT" on stdout when ready, and "stall AT FOR" to stderr when a
 * stall begins. SIGTERM/SIGINT end it. Single thread, lib/ only.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"
#include "http.h"
#include "units.h"

#define MAX_STALLS 16
#define RBUF 8192
#define MAX_CONNS 4096

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";

typedef struct srv srv;

typedef struct conn {
    evloop_io io;
    srv *s;
    size_t len;
    char buf[RBUF];
} conn;

struct srv {
    evloop *loop;
    evloop_io lio;
    evloop_timer stall_t, exit_t;
    size_t n_stalls, next_stall;
    uint64_t at[MAX_STALLS], dur[MAX_STALLS];
    bool from_first, origin_set;
    mono_ns origin;
    uint64_t exit_after;
    FILE *log;
    bool ignore_close, ops;
};

static bool is_ops(const srv *s, http_str path)
{
    return s->ops && (http_str_eq(path, "/metrics") || http_str_eq(path, "/config"));
}

/* The answer to /metrics (chunked, in two chunks) or /config (Content-Length) into out. */
static size_t ops_answer(http_str path, char *out, size_t cap)
{
    char body[512];
    int bl;
    if (http_str_eq(path, "/metrics")) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                     (double)ru.ru_stime.tv_usec / 1e6;
        long pages = 0, rss = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f) {
            if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
                rss = 0;
            fclose(f);
        }
        const char *a = "# TYPE process_cpu_seconds_total counter\n";
        bl = snprintf(body, sizeof(body),
                      "process_cpu_seconds_total %.6f\n# TYPE process_resident_memory_bytes gauge\n"
                      "process_resident_memory_bytes %ld\n",
                      cpu, rss * sysconf(_SC_PAGESIZE));
        int n = snprintf(out, cap,
                         "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n",
                         strlen(a), a, (unsigned)bl, body);
        return n > 0 && (size_t)n < cap ? (size_t)n : 0;
    }
    bl = snprintf(body, sizeof(body),
                  "{\"endpoints\":[{\"path\":\"/\",\"delay\":{\"dist\":\"constant\","
                  "\"fitted_mean_ms\":0.0,\"fitted_stddev_ms\":0.0}}]}\n");
    int n = snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", bl,
                     body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void conn_close(conn *c)
{
    evloop_io_stop(c->s->loop, &c->io);
    close(c->io.fd);
    free(c);
}

static void arm(srv *s)
{
    if (s->next_stall < s->n_stalls)
        evloop_timer_start(s->loop, &s->stall_t, s->origin + s->at[s->next_stall]);
    if (s->exit_after)
        evloop_timer_start(s->loop, &s->exit_t, s->origin + s->exit_after);
}

static void set_origin(srv *s, mono_ns now)
{
    if (s->origin_set)
        return;
    s->origin_set = true;
    s->origin = now;
    arm(s);
}

/* Freezing the whole process is the point: a blocked process is exactly what a stalled
 * server looks like from the network (connections and requests queue in the kernel). */
static void on_stall(evloop *loop, evloop_timer *t)
{
    srv *s = t->data;
    size_t i = s->next_stall++;
    mono_ns until = s->origin + s->at[i] + s->dur[i];
    fprintf(stderr, "stall %" PRIu64 "ms %" PRIu64 "ms\n", s->at[i] / CLOCK_NS_PER_MS, s->dur[i] / CLOCK_NS_PER_MS);
    struct timespec ts;
    ts.tv_sec = (time_t)(until / CLOCK_NS_PER_SEC);
    ts.tv_nsec = (long)(until % CLOCK_NS_PER_SEC);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    evloop_now_update(loop);
    if (s->next_stall < s->n_stalls)
        evloop_timer_start(loop, &s->stall_t, s->origin + s->at[s->next_stall]);
}

static void on_exit_timer(evloop *loop, evloop_timer *t)
{
    (void)t;
    evloop_break(loop);
}

static void on_conn(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    conn *c = w->data;
    srv *s = c->s;
    ssize_t n = recv(w->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    c->len += (size_t)n;
    for (;;) {
        http_request req;
        int h = http_parse_request(c->buf, c->len, NULL, &req);
        if (h == HTTP_INCOMPLETE) {
            if (c->len == sizeof(c->buf))
                conn_close(c);
            return;
        }
        if (h < 0 || req.body != HTTP_BODY_NONE) {
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            (void)send(w->fd, bad, sizeof(bad) - 1, MSG_NOSIGNAL);
            conn_close(c);
            return;
        }
        bool keep = req.keep_alive || s->ignore_close;
        if (!is_ops(s, req.path))
            set_origin(s, evloop_now(loop));
        if (s->log) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            fprintf(s->log, "%" PRIu64 " %.*s %.*s\n", (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000,
                    (int)req.method.n, req.method.p, (int)req.target.n, req.target.p);
        }
        char ops[1024];
        const char *ans = RESPONSE;
        size_t alen = sizeof(RESPONSE) - 1;
        if (is_ops(s, req.path) && (alen = ops_answer(req.path, ops, sizeof(ops))) > 0)
            ans = ops;
        else
            alen = sizeof(RESPONSE) - 1;
        /* Small responses on loopback: one send() goes through or the peer is gone. */
        if (send(w->fd, ans, alen, MSG_NOSIGNAL) != (ssize_t)alen || !keep) {
            conn_close(c);
            return;
        }
        memmove(c->buf, c->buf + h, c->len - (size_t)h);
        c->len -= (size_t)h;
        if (c->len == 0)
            return;
    }
}

static void on_accept(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    srv *s = w->data;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->s = s;
        evloop_io_init(&c->io, fd, on_conn, c);
        if (evloop_io_start(loop, &c->io, EVLOOP_READ) != 0) {
            close(fd);
            free(c);
        }
    }
}

static int listen_on(const char *addr)
{
    char host[256];
    uint16_t port;
    if (units_split_hostport(addr, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "stallsrv: bad --listen %s\n", addr);
        return -1;
    }
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", (unsigned)port);
    int rc = getaddrinfo(host[0] ? host : NULL, ps, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "stallsrv: %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        fprintf(stderr, "stallsrv: listen %s: %s\n", addr, strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void on_wake(evloop *loop, void *arg)
{
    (void)arg;
    evloop_break(loop);
}

static evloop *sig_loop;
static void on_signal(int sig)
{
    (void)sig;
    if (sig_loop)
        evloop_wake(sig_loop);
}

static int usage(void)
{
    fprintf(stderr, "usage: stallsrv --listen HOST:PORT [--stall AT:FOR]... [--from first|start] "
                    "[--exit-after D] [--log FILE] [--ignore-close] [--ops]\n");
    return 2;
}

int main(int argc, char **argv)
{
    srv s;
    memset(&s, 0, sizeof(s));
    s.from_first = true;
    const char *listen_addr = NULL;
    bool custom = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--listen") == 0 && v) {
            listen_addr = v;
            i++;
        } else if (strcmp(a, "--stall") == 0 && v) {
            char at[64];
            const char *colon = strchr(v, ':');
            if (!colon || (size_t)(colon - v) >= sizeof(at) || s.n_stalls == MAX_STALLS)
                return usage();
            if (!custom)
                s.n_stalls = 0;
            custom = true;
            memcpy(at, v, (size_t)(colon - v));
            at[colon - v] = '\0';
            if (units_parse_duration(at, CLOCK_NS_PER_SEC, &s.at[s.n_stalls]) != 0 ||
                units_parse_duration(colon + 1, CLOCK_NS_PER_SEC, &s.dur[s.n_stalls]) != 0)
                return usage();
            s.n_stalls++;
            i++;
        } else if (strcmp(a, "--from") == 0 && v) {
            if (strcmp(v, "first") == 0)
                s.from_first = true;
            else if (strcmp(v, "start") == 0)
                s.from_first = false;
            else
                return usage();
            i++;
        } else if (strcmp(a, "--log") == 0 && v) {
            if (s.log)
                fclose(s.log);
            if (!(s.log = fopen(v, "w"))) {
                fprintf(stderr, "stallsrv: %s: %s\n", v, strerror(errno));
                return 1;
            }
            setvbuf(s.log, NULL, _IOLBF, 0); /* a test reads it while the server runs */
            i++;
        } else if (strcmp(a, "--ignore-close") == 0) {
            s.ignore_close = true;
        } else if (strcmp(a, "--ops") == 0) {
            s.ops = true;
        } else if (strcmp(a, "--exit-after") == 0 && v) {
            if (units_parse_duration(v, CLOCK_NS_PER_SEC, &s.exit_after) != 0)
                return usage();
            i++;
        } else {
            return usage();
        }
    }
    if (!listen_addr)
        return usage();
    if (!custom) {
        s.n_stalls = 2;
        s.at[0] = 3 * CLOCK_NS_PER_SEC;
        s.dur[0] = CLOCK_NS_PER_SEC;
        s.at[1] = 7 * CLOCK_NS_PER_SEC;
        s.dur[1] = CLOCK_NS_PER_SEC;
    }
    /* Stalls in time order, so one timer walks them. */
    for (size_t i = 1; i < s.n_stalls; i++)
        for (size_t j = i; j > 0 && s.at[j] < s.at[j - 1]; j--) {
            uint64_t a = s.at[j], d = s.dur[j];
            s.at[j] = s.at[j - 1];
            s.dur[j] = s.dur[j - 1];
            s.at[j - 1] = a;
            s.dur[j - 1] = d;
        }
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(listen_addr);
    if (lfd < 0)
        return 1;
    s.loop = evloop_create();
    if (!s.loop)
        return 1;
    evloop_timer_init(&s.stall_t, on_stall, &s);
    evloop_timer_init(&s.exit_t, on_exit_timer, &s);
    evloop_io_init(&s.lio, lfd, on_accept, &s);
    if (evloop_io_start(s.loop, &s.lio, EVLOOP_READ) != 0)
        return 1;
    sig_loop = s.loop;
    evloop_set_wake(s.loop, on_wake, NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (!s.from_first)
        set_origin(&s, evloop_now_update(s.loop));
    printf("listening %s\n", listen_addr);
    fflush(stdout);
    evloop_run(s.loop);
    evloop_io_stop(s.loop, &s.lio);
    close(lfd);
    evloop_destroy(s.loop);
    if (s.log)
        fclose(s.log);
    return 0;
}
