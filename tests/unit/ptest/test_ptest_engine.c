/* test_ptest_engine.c - the engine end to end against an in-process HTTP server thread:
 * iteration-bound closed users, the open schedule, the weighted mix, think time, stop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ptest/engine/engine.h"

/* ------------------------------------------------------------------ server -------- */

#define SRV_MAX 64

typedef struct server {
    int lfd;
    uint16_t port;
    int stop;        /* __atomic */
    uint64_t served; /* __atomic */
    pthread_t tid;
} server;

static void *server_main(void *arg)
{
    server *s = arg;
    struct pollfd p[SRV_MAX + 1];
    char buf[SRV_MAX][4096];
    size_t len[SRV_MAX];
    int n = 0;
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    p[0].fd = s->lfd;
    p[0].events = POLLIN;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        if (poll(p, (nfds_t)n + 1, 20) <= 0)
            continue;
        if ((p[0].revents & POLLIN) && n < SRV_MAX) {
            int fd = accept(s->lfd, NULL, NULL);
            if (fd >= 0) {
                p[n + 1].fd = fd;
                p[n + 1].events = POLLIN;
                p[n + 1].revents = 0;
                len[n] = 0;
                n++;
            }
        }
        for (int i = 0; i < n; i++) {
            if (!(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = recv(p[i + 1].fd, buf[i] + len[i], sizeof(buf[i]) - len[i] - 1, 0);
            if (r <= 0) {
                close(p[i + 1].fd);
                p[i + 1] = p[n];
                memcpy(buf[i], buf[n - 1], len[n - 1]);
                len[i] = len[n - 1];
                n--;
                i--;
                continue;
            }
            len[i] += (size_t)r;
            buf[i][len[i]] = '\0';
            char *end;
            while ((end = strstr(buf[i], "\r\n\r\n")) != NULL) {
                size_t used = (size_t)(end + 4 - buf[i]);
                (void)send(p[i + 1].fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL);
                __atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
                memmove(buf[i], buf[i] + used, len[i] - used + 1);
                len[i] -= used;
            }
        }
    }
    for (int i = 0; i < n; i++)
        close(p[i + 1].fd);
    return NULL;
}

static void server_start(server *s)
{
    memset(s, 0, sizeof(*s));
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 128), 0);
    socklen_t al = sizeof(a);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->tid, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_join(s->tid, NULL);
    close(s->lfd);
}

/* ------------------------------------------------------------------ helpers ------- */

static void target_for(client_target *t, const server *s)
{
    memset(t, 0, sizeof(*t));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(s->port);
    client_target_set_addr(t, (const struct sockaddr *)&a, sizeof(a));
    t->connect_timeout_ns = 2 * CLOCK_NS_PER_SEC;
    t->request_timeout_ns = 5 * CLOCK_NS_PER_SEC;
}

static void load(plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void load(plan *p, const char *fmt, ...)
{
    char doc[4096], err[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(doc, sizeof(doc), fmt, ap);
    va_end(ap);
    if (plan_load_string(p, "t.yaml", doc, strlen(doc), err, sizeof(err)) != 0)
        fail_msg("plan: %s", err);
}

/* Runs e to the end (or stops it after stop_after_ns) and returns per-label totals. */
static void run(engine *e, stats_label *tot, size_t n, uint64_t stop_after_ns)
{
    char err[256];
    mono_ns start = clock_mono_now();
    assert_int_equal(engine_start(e, start, err, sizeof(err)), 0);
    while (!engine_finished(e)) {
        if (stop_after_ns && clock_mono_now() - start > stop_after_ns)
            engine_stop(e);
        if (clock_mono_now() - start > 20 * CLOCK_NS_PER_SEC)
            fail_msg("the run did not end");
        usleep(2000);
    }
    engine_join(e);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(stats_label_init(&tot[i]), 0);
        assert_int_equal(engine_label_totals(e, i, &tot[i]), 0);
    }
}

/* Every per-second publication adds up to the totals. */
static uint64_t collected(engine *e)
{
    stats_interval iv;
    assert_int_equal(stats_interval_init(&iv, engine_n_labels(e)), 0);
    for (unsigned i = 0; i < engine_threads(e); i++)
        assert_int_equal(stats_collect(engine_thread_stats(e, i), UINT64_MAX, &iv, NULL), 0);
    uint64_t n = iv.total.count;
    stats_interval_fini(&iv);
    return n;
}

/* ------------------------------------------------------------------ tests --------- */

static void test_closed_iterations_and_mix(void **state)
{
    (void)state;
    server s;
    server_start(&s);
    plan p;
    load(&p,
         "target: http://127.0.0.1:%u\n"
         "scenarios:\n"
         "  - name: users\n"
         "    model: closed\n"
         "    users: 7\n"
         "    iterations: 40\n"
         "    ramp_up: 100ms\n"
         "    think_time: 1ms\n"
         "    requests:\n"
         "      - {label: a, path: /a, weight: 3}\n"
         "      - {label: b, path: /b, weight: 1}\n",
         (unsigned)s.port);
    client_target t;
    target_for(&t, &s);
    for (unsigned threads = 1; threads <= 3; threads++) {
        engine *e;
        char err[256];
        engine_opts o = {.threads = threads, .jtl_fd = -1, .seed = 42};
        assert_int_equal(engine_create(&e, &p, &t, &o, err, sizeof(err)), 0);
        assert_int_equal(engine_threads(e), threads);
        assert_string_equal(engine_label(e, 0), "a");
        stats_label tot[2];
        run(e, tot, 2, 0);
        /* 7 users x 40 iterations, exactly; the mix is about 3:1. */
        assert_int_equal(tot[0].count + tot[1].count, 280);
        assert_int_equal(tot[0].errors + tot[1].errors, 0);
        assert_true(tot[0].count > tot[1].count);
        assert_true(tot[1].count > 20);
        assert_int_equal(tot[0].status[200 - STATS_STATUS_MIN], tot[0].count);
        assert_int_equal(tot[0].svc.total_count, tot[0].count);
        assert_int_equal(collected(e), 280);
        for (int i = 0; i < 2; i++)
            stats_label_fini(&tot[i]);
        engine_destroy(e);
    }
    assert_int_equal(__atomic_load_n(&s.served, __ATOMIC_RELAXED), 3 * 280);
    plan_fini(&p);
    server_stop(&s);
}

/* order: sequence visits the requests in plan order, a pass being one iteration, so the
 * counts are exact per label (JMeter's threads x loops x samplers), repeats included. */
static void test_closed_sequence(void **state)
{
    (void)state;
    server s;
    server_start(&s);
    plan p;
    load(&p,
         "target: http://127.0.0.1:%u\n"
         "scenarios:\n"
         "  - name: users\n"
         "    order: sequence\n"
         "    users: 5\n"
         "    iterations: 4\n"
         "    requests:\n"
         "      - {label: a, path: /a}\n"
         "      - {label: b, path: /b, weight: 9}\n"
         "      - {label: a, path: /a}\n"
         "      - {label: c, path: /c}\n",
         (unsigned)s.port);
    client_target t;
    target_for(&t, &s);
    for (unsigned threads = 1; threads <= 2; threads++) {
        engine *e;
        char err[256];
        engine_opts o = {.threads = threads, .jtl_fd = -1, .seed = 7};
        assert_int_equal(engine_create(&e, &p, &t, &o, err, sizeof(err)), 0);
        assert_int_equal(engine_n_labels(e), 3);
        stats_label tot[3];
        run(e, tot, 3, 0);
        assert_int_equal(tot[0].count, 5 * 4 * 2);
        assert_int_equal(tot[1].count, 5 * 4);
        assert_int_equal(tot[2].count, 5 * 4);
        for (int i = 0; i < 3; i++)
            stats_label_fini(&tot[i]);
        engine_destroy(e);
    }
    plan_fini(&p);
    server_stop(&s);
}

static void test_open_schedule(void **state)
{
    (void)state;
    server s;
    server_start(&s);
    plan p;
    load(&p,
         "target: http://127.0.0.1:%u\n"
         "scenarios:\n"
         "  - name: arrivals\n"
         "    model: open\n"
         "    stages: [{rate: 200/s, duration: 500ms}, {rate: 600/s, duration: 500ms}]\n"
         "    max_connections: 5\n"
         "    requests: [{label: o, path: /o}]\n",
         (unsigned)s.port);
    client_target t;
    target_for(&t, &s);
    engine *e;
    char err[256];
    engine_opts o = {.threads = 2, .jtl_fd = -1, .seed = 1};
    assert_int_equal(engine_create(&e, &p, &t, &o, err, sizeof(err)), 0);
    stats_label tot[1];
    mono_ns t0 = clock_mono_now();
    run(e, tot, 1, 0);
    uint64_t took = clock_mono_now() - t0;
    /* 100 + 300 arrivals, all sent; the run lasts the schedule (1 s), not less. */
    assert_int_equal(tot[0].count, 400);
    assert_int_equal(tot[0].dropped, 0);
    assert_int_equal(tot[0].errors, 0);
    assert_true(took >= 990 * CLOCK_NS_PER_MS);
    assert_int_equal(collected(e), 400);
    stats_label_fini(&tot[0]);
    engine_destroy(e);
    plan_fini(&p);
    server_stop(&s);
}

static void test_stop(void **state)
{
    (void)state;
    server s;
    server_start(&s);
    plan p;
    load(&p,
         "target: http://127.0.0.1:%u\n"
         "scenarios:\n"
         "  - {name: u, model: closed, users: 4, hold_for: 1h, requests: [{label: x, path: /}]}\n"
         "  - {name: o, model: open, rate: 100/s, duration: 1h, requests: [{label: y, path: /y}]}\n",
         (unsigned)s.port);
    client_target t;
    target_for(&t, &s);
    engine *e;
    char err[256];
    engine_opts o = {.threads = 2, .jtl_fd = -1};
    assert_int_equal(engine_create(&e, &p, &t, &o, err, sizeof(err)), 0);
    stats_label tot[2];
    run(e, tot, 2, 300 * CLOCK_NS_PER_MS);
    assert_true(tot[0].count > 0);
    assert_true(tot[1].count > 0);
    assert_int_equal(collected(e), tot[0].count + tot[1].count);
    for (int i = 0; i < 2; i++)
        stats_label_fini(&tot[i]);
    engine_destroy(e);
    plan_fini(&p);
    server_stop(&s);
}

static void test_dead_target(void **state)
{
    (void)state;
    /* A port nobody listens on: every iteration fails to connect, with a backoff. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    server dead = {.port = ntohs(a.sin_port)};
    plan p;
    load(&p,
         "target: http://127.0.0.1:%u\n"
         "scenarios:\n"
         "  - {name: u, model: closed, users: 2, hold_for: 200ms, requests: [{label: x, path: /}]}\n",
         (unsigned)dead.port);
    client_target t;
    target_for(&t, &dead);
    engine *e;
    char err[256];
    engine_opts o = {.threads = 1, .jtl_fd = -1};
    assert_int_equal(engine_create(&e, &p, &t, &o, err, sizeof(err)), 0);
    stats_label tot[1];
    run(e, tot, 1, 0);
    assert_true(tot[0].count > 0);
    assert_int_equal(tot[0].errors, tot[0].count);
    assert_int_equal(tot[0].by_kind[STATS_ERR_CONNECT_REFUSED], tot[0].count);
    /* 2 users, 200 ms, 10 ms backoff: about 40 attempts, certainly not a busy loop. */
    assert_true(tot[0].count <= 2 * (200 / 10 + 2));
    stats_health h;
    stats_interval iv;
    assert_int_equal(stats_interval_init(&iv, 1), 0);
    assert_int_equal(stats_collect(engine_thread_stats(e, 0), UINT64_MAX, &iv, &h), 0);
    assert_int_equal(h.conn_ok, 0);
    assert_int_equal(h.conn_fail, tot[0].count);
    assert_int_equal(h.last_fail, STATS_ERR_CONNECT_REFUSED);
    stats_interval_fini(&iv);
    stats_label_fini(&tot[0]);
    engine_destroy(e);
    plan_fini(&p);
}

/* Does the plan fit: the refusal and the warnings, from given limits (no system state). */
static void test_fit_judge(void **state)
{
    (void)state;
    char msg[1024];
    uint64_t ub = engine_user_bytes();
    assert_true(ub >= 64 && ub <= 1024);
    /* 1,000 users, plenty of everything. */
    engine_fit f = {.users = 1000,
                    .user_bytes = ub,
                    .fds_own = 25,
                    .fds_needed = 1025,
                    .fd_limit = 20000,
                    .fd_hard = 20000,
                    .mem_avail = UINT64_C(1) << 30,
                    .mem_from = "MemAvailable"};
    assert_int_equal(engine_fit_judge(&f, msg, sizeof(msg)), ENGINE_FIT_OK);
    assert_string_equal(msg, "");
    assert_true(f.mem_needed == ENGINE_BASE_BYTES + 1000 * ub + 1000 * (uint64_t)ENGINE_CONN_BYTES);
    /* 1,000,000 users under ulimit -n 20000 (issue 14): only ~20,000 can connect, a warning
     * that names the limit; their memory fits in 1 GiB. */
    f.users = 1000000;
    f.fds_needed = f.users + f.fds_own;
    assert_int_equal(engine_fit_judge(&f, msg, sizeof(msg)), ENGINE_FIT_WARN);
    assert_non_null(strstr(msg, "open file limit (ulimit -n) 20000 (hard limit 20000)"));
    assert_non_null(strstr(msg, "about 980025 of them cannot connect"));
    assert_non_null(strstr(msg, "local_limit, not as server errors"));
    assert_true(f.mem_needed == ENGINE_BASE_BYTES + 1000000 * ub + 19975 * (uint64_t)ENGINE_CONN_BYTES);
    /* The same plan in 256 MiB: refused, with the figures. */
    f.mem_avail = UINT64_C(256) << 20;
    assert_int_equal(engine_fit_judge(&f, msg, sizeof(msg)), ENGINE_FIT_REFUSE);
    assert_non_null(strstr(msg, "the plan's 1000000 users (19975 with a connection) need about"));
    assert_non_null(strstr(msg, "but 256.0 MiB is available (MemAvailable)"));
    /* Memory short only when responses fill every read buffer: a warning. */
    f.users = 20000;
    f.fds_needed = f.users + f.fds_own;
    f.fd_limit = f.fd_hard = 100000;
    f.mem_avail = ENGINE_BASE_BYTES + 20000 * (ub + (uint64_t)ENGINE_CONN_BYTES) + 1;
    f.mem_from = "the cgroup's memory.max";
    assert_int_equal(engine_fit_judge(&f, msg, sizeof(msg)), ENGINE_FIT_WARN);
    assert_non_null(strstr(msg, "with responses over 4 KiB the plan's 20000 connections may need up to"));
    assert_non_null(strstr(msg, "(the cgroup's memory.max)"));
    assert_null(strstr(msg, "ulimit"));
    /* The same 20,000 connections over https: their TLS state does not fit any more. */
    f.tls_bytes = ENGINE_TLS_CONN_BYTES;
    assert_int_equal(engine_fit_judge(&f, msg, sizeof(msg)), ENGINE_FIT_REFUSE);
    assert_non_null(strstr(msg, "socket, TLS state) but"));
    assert_true(f.mem_needed == ENGINE_BASE_BYTES + 20000 * (ub + (uint64_t)ENGINE_CONN_BYTES + ENGINE_TLS_CONN_BYTES));
    f.tls_bytes = 0;
    /* Unknown memory and limits: nothing to judge. */
    engine_fit u = {.users = 5, .user_bytes = ub, .fds_own = 25, .fds_needed = 30};
    assert_int_equal(engine_fit_judge(&u, msg, sizeof(msg)), ENGINE_FIT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_iterations_and_mix),
        cmocka_unit_test(test_closed_sequence),
        cmocka_unit_test(test_open_schedule),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_dead_target),
        cmocka_unit_test(test_fit_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
