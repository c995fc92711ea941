/* test_ptest_scrape.c - reading process metrics out of Prometheus text; the blocking GET
 * against a scripted server on loopback: a keep-alive answer is read by its Content-Length
 * (the server never closes), chunked answers are decoded, answers until close are read, a
 * kept connection the server closed is replaced once, a server that never answers or
 * answers too much fails; the scrape state reads nothing unless asked, and what it was
 * asked for otherwise (results.json annotations). No timing asserts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <math.h>

#include "ptest/run/scrape.h"

static void test_metric_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *name;
        int rc;
        double want;
    } cases[] = {
        {"process_cpu_seconds_total 1.25\n", 0, "process_cpu_seconds_total", 0, 1.25},
        {"# HELP x y\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n", 0,
         "process_cpu_seconds_total", 0, 3},
        {"process_cpu_seconds_total_extra 9\nprocess_cpu_seconds_total\t2e3\n", 0, "process_cpu_seconds_total", 0,
         2000},
        {"process_resident_memory_bytes{pid=\"1\"} 5\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes 1048576", 0, "process_resident_memory_bytes", 0, 1048576},
        {"process_resident_memory_bytes NaN\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes +Inf\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes \n", 0, "process_resident_memory_bytes", -1, 0},
        {"", 0, "process_resident_memory_bytes", -1, 0},
        {"x 1\n\0\nprocess_cpu_seconds_total 7\n", 34, "process_cpu_seconds_total", 0, 7},
        {"x 1\0process_cpu_seconds_total 7\n", 31, "process_cpu_seconds_total", -1, 0}, /* NUL mid-line */
        {"process_cpu_seconds_total 7\n", 20, "process_cpu_seconds_total", -1, 0},      /* cut short */
        {"process_cpu_seconds_total 123456789012345678901234567890123456789012345678901234567890123456789 \n", 0,
         "process_cpu_seconds_total", -1, 0}, /* too long to be read whole: not truncated */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = -1;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int rc = scrape_metric(cases[i].text, len, cases[i].name, &v);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d", i, rc);
        if (rc == 0 && (v < cases[i].want * 0.999999 || v > cases[i].want * 1.000001))
            fail_msg("case %zu: %g", i, v);
    }
}

/* --- a scripted server ------------------------------------------------------------------
 * Answers request k (counted over all connections) with step k: the bytes to send (in two
 * halves, so the client sees a partial answer first; NULL: never answer, wait for the
 * client to close) and whether to close the connection after it. Requests beyond the
 * script are answered "404" and closed. Records each request's target. */
typedef struct step {
    const char *answer;
    bool close_after;
} step;

#define MAX_REQS 16

typedef struct tsrv {
    int lfd;
    uint16_t port;
    pthread_t th;
    const step *script;
    size_t n_script;
    pthread_mutex_t mu;
    size_t requests, conns;
    char targets[MAX_REQS][64];
    bool stop;
} tsrv;

static bool srv_stopped(tsrv *s)
{
    pthread_mutex_lock(&s->mu);
    bool st = s->stop;
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Reads one request head from fd into buf. 1: got one, 0: the client closed or stop. */
static int read_head(tsrv *s, int fd, char *head, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        struct pollfd pf = {fd, POLLIN, 0};
        int n = poll(&pf, 1, 50);
        if (n == 0) {
            if (srv_stopped(s))
                return 0;
            continue;
        }
        ssize_t r = recv(fd, head + len, cap - 1 - len, 0);
        if (r <= 0)
            return 0;
        len += (size_t)r;
        head[len] = '\0';
        if (strstr(head, "\r\n\r\n"))
            return 1;
    }
    return 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

typedef struct tconn {
    tsrv *s;
    int fd;
    pthread_t th;
} tconn;

/* One thread per connection, so a kept connection does not hold up the next one. */
static void *conn_main(void *arg)
{
    tconn *tc = arg;
    tsrv *s = tc->s;
    int fd = tc->fd;
    char head[4096];
    while (read_head(s, fd, head, sizeof(head)) == 1) {
        pthread_mutex_lock(&s->mu);
        size_t k = s->requests++;
        if (k < MAX_REQS) {
            const char *sp = strchr(head, ' ');
            const char *e = sp ? strchr(sp + 1, ' ') : NULL;
            if (sp && e)
                snprintf(s->targets[k], sizeof(s->targets[k]), "%.*s", (int)(e - sp - 1), sp + 1);
        }
        pthread_mutex_unlock(&s->mu);
        step st = k < s->n_script ? s->script[k] : (step){"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true};
        if (!st.answer) {
            while (read_head(s, fd, head, sizeof(head)) == 1) /* until the client gives up */
                ;
            break;
        }
        size_t n = strlen(st.answer), half = n / 2;
        send_all(fd, st.answer, half);
        usleep(2000);
        send_all(fd, st.answer + half, n - half);
        if (st.close_after)
            break;
    }
    close(fd);
    return NULL;
}

static void *srv_main(void *arg)
{
    tsrv *s = arg;
    tconn conns[MAX_REQS];
    size_t n = 0;
    while (!srv_stopped(s)) {
        struct pollfd pf = {s->lfd, POLLIN, 0};
        if (poll(&pf, 1, 50) != 1)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        if (n == MAX_REQS) {
            close(fd);
            continue;
        }
        pthread_mutex_lock(&s->mu);
        s->conns++;
        pthread_mutex_unlock(&s->mu);
        conns[n].s = s;
        conns[n].fd = fd;
        if (pthread_create(&conns[n].th, NULL, conn_main, &conns[n]) != 0) {
            close(fd);
            continue;
        }
        n++;
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(conns[i].th, NULL);
    return NULL;
}

static void srv_start(tsrv *s, const step *script, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->script = script;
    s->n_script = n;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 16), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(tsrv *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    close(s->lfd);
    pthread_mutex_destroy(&s->mu);
}

static scrape_target target(const tsrv *s, const char *path, char *auth, size_t alen)
{
    snprintf(auth, alen, "127.0.0.1:%u", (unsigned)s->port);
    return (scrape_target){"127.0.0.1", s->port, auth, path, 5000};
}

#define KA_OK "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

static void test_get_keepalive_content_length(void **state)
{
    (void)state;
    /* The server keeps the connection and never closes it: the answer ends at its length. */
    static const step script[] = {{KA_OK, false}, {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye", false}};
    tsrv s;
    srv_start(&s, script, 2);
    char auth[64], why[256] = "";
    scrape_target t = target(&s, "/metrics", auth, sizeof(auth));
    scrape_conn c = SCRAPE_CONN_INIT;
    buf b = BUF_INIT;
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    assert_true(c.fd >= 0); /* kept */
    buf_reset(&b);
    t.path = "/config";
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_string_equal(b.data, "bye");
    scrape_conn_close(&c);
    buf_fini(&b);
    srv_stop(&s);
    assert_int_equal(s.conns, 1); /* both on one connection */
    assert_int_equal(s.requests, 2);
    assert_string_equal(s.targets[0], "/metrics");
    assert_string_equal(s.targets[1], "/config");
}

static void test_get_chunked_and_1xx(void **state)
{
    (void)state;
    static const step script[] = {
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nproc\r\n6;ext=1\r\ness_cp\r\n0\r\nX-Trailer: 1\r\n\r\n",
         false},
        {"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy", true},
    };
    tsrv s;
    srv_start(&s, script, 2);
    char auth[64], why[256] = "";
    scrape_target t = target(&s, "/metrics", auth, sizeof(auth));
    scrape_conn c = SCRAPE_CONN_INIT;
    buf b = BUF_INIT;
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "process_cp");
    assert_true(c.fd >= 0);
    buf_reset(&b);
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 503);
    assert_string_equal(b.data, "busy");
    assert_int_equal(c.fd, -1); /* Connection: close */
    buf_fini(&b);
    srv_stop(&s);
    assert_int_equal(s.conns, 1);
}

static void test_get_until_close_and_reconnect(void **state)
{
    (void)state;
    /* 1: no length, read until close. 2: keep-alive answer, then the server closes the kept
     * connection (as after an idle timeout): 3 is asked on it, fails before any byte, and
     * goes again on a new connection. */
    static const step script[] = {
        {"HTTP/1.1 200 OK\r\n\r\nuntil close", true},
        {KA_OK, true},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain", false},
    };
    tsrv s;
    srv_start(&s, script, 3);
    char auth[64], why[256] = "";
    scrape_target t = target(&s, "/m", auth, sizeof(auth));
    scrape_conn c = SCRAPE_CONN_INIT;
    buf b = BUF_INIT;
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_string_equal(b.data, "until close");
    assert_int_equal(c.fd, -1);
    buf_reset(&b);
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_string_equal(b.data, "hello");
    assert_true(c.fd >= 0); /* the answer allowed keep-alive; the server closes after it */
    struct pollfd pf = {c.fd, POLLIN, 0};
    (void)poll(&pf, 1, 2000); /* the server's close arrives (the GET below copes either way) */
    buf_reset(&b);
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), 200);
    assert_string_equal(b.data, "again");
    scrape_conn_close(&c);
    buf_fini(&b);
    srv_stop(&s);
    assert_int_equal(s.conns, 3);
    assert_int_equal(s.requests, 3);
}

static void test_get_failures(void **state)
{
    (void)state;
    static const step script[] = {
        {NULL, false},                                                         /* never answers */
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", true},         /* too long */
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true},          /* cut short */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true}, /* bad chunk */
        {"NOT HTTP\r\n\r\n", true},
    };
    tsrv s;
    srv_start(&s, script, 5);
    char auth[64], why[256];
    scrape_target t = target(&s, "/metrics", auth, sizeof(auth));
    t.timeout_ms = 300;
    static const char *const want[] = {"no complete answer within 300 ms", "answer longer than",
                                       "connection closed after 5 of 10", "malformed chunked", "malformed answer"};
    for (size_t i = 0; i < 5; i++) {
        scrape_conn c = SCRAPE_CONN_INIT;
        buf b = BUF_INIT;
        why[0] = '\0';
        if (scrape_get(&c, &t, &b, why, sizeof(why)) != -1)
            fail_msg("case %zu: not a failure", i);
        if (!strstr(why, want[i]))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why, want[i]);
        assert_int_equal(c.fd, -1);
        buf_fini(&b);
    }
    srv_stop(&s);
}

static void test_get_refused(void **state)
{
    (void)state;
    /* Port 1 on localhost: refused at once (or timed out within the limit). */
    scrape_target t = {"127.0.0.1", 1, "127.0.0.1:1", "/metrics", 500};
    buf b = BUF_INIT;
    scrape_conn c = SCRAPE_CONN_INIT;
    char why[256] = "";
    assert_int_equal(scrape_get(&c, &t, &b, why, sizeof(why)), -1);
    assert_true(why[0] != '\0');
    buf_fini(&b);
    scrape_state st;
    assert_int_equal(scrape_init(&st, &t, NULL), 0);
    scrape_start(&st);
    scrape_stop(&st);
    assert_false(st.have_before);
    assert_false(st.have_after);
    assert_null(st.config);
    char msg[600];
    assert_non_null(scrape_problem(&st, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "server metrics: GET http://127.0.0.1:1/metrics: "));
    scrape_fini(&st);
}

static void test_state_not_asked(void **state)
{
    (void)state;
    scrape_state st;
    assert_int_equal(scrape_init(&st, NULL, NULL), 0);
    scrape_start(&st);
    assert_false(st.running); /* nothing asked: no thread, no request */
    scrape_stop(&st);
    char msg[600];
    assert_null(scrape_problem(&st, msg, sizeof(msg)));
    results_server srv;
    scrape_results(&st, 2000, &srv);
    assert_null(srv.metrics_url);
    assert_null(srv.config_url);
    assert_false(srv.scraped);
    assert_true(isnan(srv.cpu_seconds));
    assert_true(isnan(srv.cpu_ms_per_1000_requests));
    assert_true(isnan(srv.peak_rss_bytes));
    assert_int_equal(srv.requests, 2000);
    assert_int_equal(srv.samples, 0);
    assert_null(scrape_expected(&st));
    scrape_fini(&st);
}

#define METRICS(cpu)                                                                                                   \
    "HTTP/1.1 200 OK\r\nContent-Length: 70\r\n\r\nprocess_cpu_seconds_total " cpu                                      \
    "\nprocess_resident_memory_bytes 1000000\n"
#define CONFIG_BODY "{\"endpoints\":[{\"path\":\"/A\",\"delay\":{\"fitted_mean_ms\":10,\"fitted_stddev_ms\":2}}]}"

static void test_state_asked(void **state)
{
    (void)state;
    /* Requests in order: /metrics (before), /config (its own connection), /metrics
     * (after, on the kept connection). The run is shorter than the sampler's period. */
    static const step script[] = {
        {METRICS("1.000"), false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 80\r\nConnection: close\r\n\r\n" CONFIG_BODY, true},
        {METRICS("3.000"), false},
    };
    assert_int_equal(strlen("process_cpu_seconds_total 1.000\nprocess_resident_memory_bytes 1000000\n"), 70);
    assert_int_equal(strlen(CONFIG_BODY), 80);
    tsrv s;
    srv_start(&s, script, 3);
    char auth[64];
    scrape_target m = target(&s, "/api/metrics", auth, sizeof(auth));
    scrape_target cf = target(&s, "/api/config", auth, sizeof(auth));
    scrape_state st;
    assert_int_equal(scrape_init(&st, &m, &cf), 0);
    scrape_start(&st);
    /* The state waits for nothing: the first readings go on while the caller goes on. */
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s.mu);
        size_t n = s.requests;
        pthread_mutex_unlock(&s.mu);
        if (n >= 2)
            break;
        usleep(10000);
    }
    usleep(20000);
    scrape_stop(&st);
    srv_stop(&s);
    assert_true(st.have_before);
    assert_true(st.have_after);
    assert_non_null(st.config);
    char msg[600];
    assert_null(scrape_problem(&st, msg, sizeof(msg)));
    assert_int_equal(s.requests, 3);
    assert_int_equal(s.conns, 2);
    assert_string_equal(s.targets[0], "/api/metrics");
    assert_string_equal(s.targets[1], "/api/config");
    assert_string_equal(s.targets[2], "/api/metrics");
    results_server srv;
    scrape_results(&st, 2000, &srv);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/api/metrics", auth);
    assert_string_equal(srv.metrics_url, url);
    assert_true(srv.scraped);
    assert_true(srv.cpu_seconds == 2.0);
    assert_true(srv.cpu_ms_per_1000_requests == 1000.0);
    assert_true(srv.peak_rss_bytes == 1000000);
    json_t *r = scrape_expected(&st);
    assert_non_null(r);
    json_t *e = json_array_get(json_object_get(r, "endpoints"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "path")), "/A");
    assert_true(json_number_value(json_object_get(e, "mean_ms")) == 10.0);
    snprintf(url, sizeof(url), "http://%s/api/config", auth);
    assert_string_equal(json_string_value(json_object_get(r, "source")), url);
    json_decref(r);
    scrape_fini(&st);
}

static void test_state_config_not_msdemo(void **state)
{
    (void)state;
    /* Any server answers "ok" to /config: read, but named as not msdemo's. */
    static const step script[] = {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false}};
    tsrv s;
    srv_start(&s, script, 1);
    char auth[64];
    scrape_target cf = target(&s, "/config", auth, sizeof(auth));
    scrape_state st;
    assert_int_equal(scrape_init(&st, NULL, &cf), 0);
    scrape_start(&st);
    scrape_stop(&st);
    srv_stop(&s);
    assert_int_equal(s.requests, 1); /* no /metrics: it was not asked */
    char msg[600];
    assert_non_null(scrape_problem(&st, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "not msdemo's /config"));
    scrape_fini(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_get_keepalive_content_length),
        cmocka_unit_test(test_get_chunked_and_1xx),
        cmocka_unit_test(test_get_until_close_and_reconnect),
        cmocka_unit_test(test_get_failures),
        cmocka_unit_test(test_get_refused),
        cmocka_unit_test(test_state_not_asked),
        cmocka_unit_test(test_state_asked),
        cmocka_unit_test(test_state_config_not_msdemo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
