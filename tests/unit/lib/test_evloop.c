/* test_evloop.c - unit tests for lib/event/evloop.c, run on each backend (epoll, io_uring).
 *
 * Timing assertions are one-sided (nothing fires early) except for loose sanity bounds
 * (tens of ms or more), so the suite holds on a loaded CI box, under ASan and qemu. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

#define US CLOCK_NS_PER_US
#define MS CLOCK_NS_PER_MS

/* Deterministic xorshift so failures reproduce. */
static uint64_t rnd_state = UINT64_C(0x2545f4914f6cdd1d);
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static int setup_loop(void **state)
{
    evloop *loop = evloop_create();
    if (!loop)
        return -1;
    *state = loop;
    return 0;
}

static int teardown_loop(void **state)
{
    evloop_destroy(*state);
    return 0;
}

static int run_group(const char *name);

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / CLOCK_NS_PER_SEC), (long)(ns % CLOCK_NS_PER_SEC)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- timers: order, earliness ------------------------------------------------------ */

struct timer_set {
    evloop_timer *t;
    size_t n;
    size_t *fired; /* index of each fired timer, in firing order */
    size_t nfired;
    size_t early; /* callbacks that saw the clock or evloop_now before the deadline */
};

static void set_cb(evloop *loop, evloop_timer *t)
{
    struct timer_set *s = t->data;
    if (clock_mono_now() < t->when || evloop_now(loop) < t->when)
        s->early++;
    if (s->nfired < s->n)
        s->fired[s->nfired] = (size_t)(t - s->t);
    s->nfired++;
}

static void tset_init(struct timer_set *s, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->t = calloc(n, sizeof(*s->t));
    s->fired = calloc(n, sizeof(*s->fired));
    assert_non_null(s->t);
    assert_non_null(s->fired);
    for (size_t i = 0; i < n; i++)
        evloop_timer_init(&s->t[i], set_cb, s);
}

static void tset_free(struct timer_set *s)
{
    free(s->t);
    free(s->fired);
}

/* Fired in deadline order; equal deadlines in start order; exactly the expected ones. */
static void assert_fired_in_order(const struct timer_set *s, const mono_ns *when, const uint64_t *start_order,
                                  size_t expect_n)
{
    assert_int_equal(s->early, 0);
    assert_int_equal(s->nfired, expect_n);
    for (size_t k = 1; k < s->nfired; k++) {
        size_t a = s->fired[k - 1], b = s->fired[k];
        assert_true(when[a] <= when[b]);
        if (when[a] == when[b])
            assert_true(start_order[a] < start_order[b]);
    }
}

static void test_timer_order_random(void **state)
{
    evloop *loop = *state;
    static const struct {
        size_t n;
        uint64_t spread_us; /* deadlines in [base, base + spread) in 5 us steps */
    } cases[] = {
        {1, 100}, {2, 5}, {100, 5}, {5000, 10000}, {20000, 20000},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct timer_set s;
        tset_init(&s, cases[c].n);
        mono_ns *when = calloc(s.n, sizeof(*when));
        uint64_t *order = calloc(s.n, sizeof(*order));
        assert_non_null(when);
        assert_non_null(order);
        mono_ns base = clock_mono_now() + 1 * MS;
        uint64_t steps = cases[c].spread_us / 5;
        for (size_t i = 0; i < s.n; i++) {
            when[i] = base + (rnd() % steps) * 5 * US; /* many duplicates on purpose */
            order[i] = i;
            assert_int_equal(evloop_timer_start(loop, &s.t[i], when[i]), 0);
            assert_true(evloop_timer_pending(&s.t[i]));
        }
        assert_int_equal(evloop_timer_count(loop), s.n);
        assert_int_equal(evloop_run(loop), 0);
        assert_int_equal(evloop_timer_count(loop), 0);
        assert_fired_in_order(&s, when, order, s.n);
        for (size_t i = 0; i < s.n; i++)
            assert_false(evloop_timer_pending(&s.t[i]));
        free(when);
        free(order);
        tset_free(&s);
    }
}

/* Random start / restart / stop churn, then run: exactly the pending ones fire, in order.
 * Exercises every sift path of the heap, including removal from the middle. */
static void test_timer_churn(void **state)
{
    evloop *loop = *state;
    struct timer_set s;
    tset_init(&s, 20000);
    mono_ns *when = calloc(s.n, sizeof(*when));
    uint64_t *order = calloc(s.n, sizeof(*order));
    assert_non_null(when);
    assert_non_null(order);
    mono_ns base = clock_mono_now() + 2 * MS;
    uint64_t seq = 0;
    for (int op = 0; op < 200000; op++) {
        size_t i = (size_t)(rnd() % s.n);
        if (rnd() % 3 == 0) {
            evloop_timer_stop(loop, &s.t[i]);
            assert_false(evloop_timer_pending(&s.t[i]));
        } else {
            when[i] = base + (rnd() % 1000) * 10 * US;
            order[i] = seq++;
            assert_int_equal(evloop_timer_start(loop, &s.t[i], when[i]), 0);
        }
    }
    size_t pending = 0;
    for (size_t i = 0; i < s.n; i++)
        pending += evloop_timer_pending(&s.t[i]);
    assert_int_equal(evloop_timer_count(loop), pending);
    assert_int_equal(evloop_run(loop), 0);
    assert_fired_in_order(&s, when, order, pending);
    free(when);
    free(order);
    tset_free(&s);
}

/* 200000 pending timers, stopped in random order; then again with half stopped and the
 * rest run to completion. */
static void test_timer_many(void **state)
{
    evloop *loop = *state;
    const size_t n = 200000;
    struct timer_set s;
    tset_init(&s, n);
    size_t *perm = calloc(n, sizeof(*perm));
    mono_ns *when = calloc(n, sizeof(*when));
    uint64_t *order = calloc(n, sizeof(*order));
    assert_non_null(perm);
    assert_non_null(when);
    assert_non_null(order);

    mono_ns far = clock_mono_now() + UINT64_C(3600) * CLOCK_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        perm[i] = i;
        assert_int_equal(evloop_timer_start(loop, &s.t[i], far + rnd() % CLOCK_NS_PER_SEC), 0);
    }
    assert_int_equal(evloop_timer_count(loop), n);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(rnd() % (i + 1));
        size_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (size_t k = 0; k < n; k++) {
        evloop_timer_stop(loop, &s.t[perm[k]]);
        assert_false(evloop_timer_pending(&s.t[perm[k]]));
        evloop_timer_stop(loop, &s.t[perm[k]]); /* idempotent */
        assert_int_equal(evloop_timer_count(loop), n - k - 1);
    }
    assert_int_equal(evloop_run(loop), 0); /* nothing left: returns */
    assert_int_equal(s.nfired, 0);

    mono_ns base = clock_mono_now() + 2 * MS;
    for (size_t i = 0; i < n; i++) {
        when[i] = base + (rnd() % 5000) * US;
        order[i] = i;
        assert_int_equal(evloop_timer_start(loop, &s.t[i], when[i]), 0);
    }
    for (size_t i = 0; i < n; i += 2)
        evloop_timer_stop(loop, &s.t[i]);
    assert_int_equal(evloop_timer_count(loop), n / 2);
    assert_int_equal(evloop_run(loop), 0);
    assert_fired_in_order(&s, when, order, n / 2);
    for (size_t k = 0; k < s.nfired; k++)
        assert_int_equal(s.fired[k] % 2, 1);
    free(perm);
    free(when);
    free(order);
    tset_free(&s);
}

/* ---- timers: callbacks that touch other timers -------------------------------------- */

struct trio {
    evloop_timer a, b, c;
    int fired_a, fired_b, fired_c;
    mono_ns c_new_when;
    mono_ns c_fired_at;
};

static void trio_a(evloop *loop, evloop_timer *t)
{
    struct trio *x = t->data;
    x->fired_a++;
    assert_false(evloop_timer_pending(t)); /* not pending inside its own callback */
    evloop_timer_stop(loop, &x->b);
    x->c_new_when = evloop_now(loop) + 2 * MS;
    assert_int_equal(evloop_timer_start(loop, &x->c, x->c_new_when), 0);
}

static void trio_b(evloop *loop, evloop_timer *t)
{
    (void)loop;
    ((struct trio *)t->data)->fired_b++;
}

static void trio_c(evloop *loop, evloop_timer *t)
{
    (void)loop;
    struct trio *x = t->data;
    x->fired_c++;
    x->c_fired_at = clock_mono_now();
}

/* a's callback stops b and pushes c later, both when b and c are already due in the same
 * iteration (deadlines in the past) and when they are still in the future. */
static void test_timer_stop_restart_from_cb(void **state)
{
    evloop *loop = *state;
    static const struct {
        int64_t a_us, b_us, c_us; /* deadlines relative to now */
    } cases[] = {
        {-3000, -2000, -1000}, /* all expired: same run_timers pass */
        {500, 600, 700},
        {500, 5000, 800},
        {-1000, 300, 300},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trio x;
        memset(&x, 0, sizeof(x));
        evloop_timer_init(&x.a, trio_a, &x);
        evloop_timer_init(&x.b, trio_b, &x);
        evloop_timer_init(&x.c, trio_c, &x);
        mono_ns now = evloop_now_update(loop) + 10 * MS; /* keeps negative offsets > 0 */
        sleep_ns(10 * MS);
        evloop_now_update(loop);
        assert_int_equal(evloop_timer_start(loop, &x.a, (mono_ns)((int64_t)now + cases[i].a_us * 1000)), 0);
        assert_int_equal(evloop_timer_start(loop, &x.b, (mono_ns)((int64_t)now + cases[i].b_us * 1000)), 0);
        assert_int_equal(evloop_timer_start(loop, &x.c, (mono_ns)((int64_t)now + cases[i].c_us * 1000)), 0);
        assert_int_equal(evloop_run(loop), 0);
        assert_int_equal(x.fired_a, 1);
        assert_int_equal(x.fired_b, 0);
        assert_int_equal(x.fired_c, 1);
        assert_true(x.c_fired_at >= x.c_new_when);
        assert_int_equal(evloop_timer_count(loop), 0);
    }
}

struct self_restart {
    evloop_timer t;
    int count;
    int limit;
    uint64_t step; /* 0: restart at evloop_now (already due) */
};

static void self_restart_cb(evloop *loop, evloop_timer *t)
{
    struct self_restart *r = t->data;
    if (++r->count < r->limit)
        assert_int_equal(evloop_timer_start(loop, t, evloop_now(loop) + r->step), 0);
}

static void test_timer_restarts_itself(void **state)
{
    evloop *loop = *state;
    static const uint64_t steps[] = {100 * US, 1 * MS, 0};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct self_restart r = {.limit = 50, .step = steps[i]};
        evloop_timer_init(&r.t, self_restart_cb, &r);
        mono_ns start = evloop_now_update(loop);
        assert_int_equal(evloop_timer_start(loop, &r.t, start + steps[i]), 0);
        assert_int_equal(evloop_run(loop), 0);
        assert_int_equal(r.count, 50);
        /* Each firing is >= step after the previous iteration's time. */
        assert_true(clock_mono_now() - start >= 50 * steps[i]);
        assert_false(evloop_timer_pending(&r.t));
    }
}

/* A timer restarting itself at a past deadline runs once per iteration, not forever. */
static void test_timer_past_restart_bounded(void **state)
{
    evloop *loop = *state;
    struct self_restart r = {.limit = 1000000, .step = 0};
    evloop_timer_init(&r.t, self_restart_cb, &r);
    assert_int_equal(evloop_timer_start(loop, &r.t, 1), 0);
    for (int k = 1; k <= 5; k++) {
        assert_int_equal(evloop_run_once(loop, true), 1);
        assert_int_equal(r.count, k);
        assert_true(evloop_timer_pending(&r.t));
    }
    evloop_timer_stop(loop, &r.t);
    assert_int_equal(evloop_run_once(loop, false), 0);
    assert_int_equal(r.count, 5);
}

static void count_cb(evloop *loop, evloop_timer *t)
{
    (void)loop;
    (*(int *)t->data)++;
}

static void test_timer_precision(void **state)
{
    evloop *loop = *state;
    for (int rep = 0; rep < 5; rep++) {
        int fired = 0;
        evloop_timer t;
        evloop_timer_init(&t, count_cb, &fired);
        mono_ns start = clock_mono_now();
        assert_int_equal(evloop_timer_start(loop, &t, start + 300 * US), 0);
        assert_int_equal(evloop_run(loop), 0);
        mono_ns el = clock_mono_now() - start;
        assert_int_equal(fired, 1);
        assert_true(el >= 300 * US);
        assert_true(el < 50 * MS); /* sanity only: would be >= 1 ms with a ms timeout */
    }
}

/* Timer slack: deadlines 1..10 ms ahead with 20 ms of slack share one wake-up, and none
 * runs before its own deadline. */
struct slack_rec {
    evloop_timer t;
    mono_ns at;
};

static void slack_cb(evloop *loop, evloop_timer *t)
{
    (void)loop;
    ((struct slack_rec *)t->data)->at = clock_mono_now();
}

static void test_timer_slack(void **state)
{
    evloop *loop = *state;
    struct slack_rec r[10];
    evloop_set_timer_slack(loop, 20 * MS);
    mono_ns now = evloop_now_update(loop);
    for (int i = 0; i < 10; i++) {
        evloop_timer_init(&r[i].t, slack_cb, &r[i]);
        r[i].at = 0;
        assert_int_equal(evloop_timer_start(loop, &r[i].t, now + (mono_ns)(i + 1) * MS), 0);
    }
    assert_int_equal(evloop_run_once(loop, true), 10); /* one wake-up for all ten */
    for (int i = 0; i < 10; i++)
        assert_true(r[i].at >= now + (mono_ns)(i + 1) * MS);
    /* Already due: runs at once, the slack does not delay it (loose sanity bound). */
    evloop_set_timer_slack(loop, 10 * CLOCK_NS_PER_SEC);
    now = evloop_now_update(loop);
    assert_int_equal(evloop_timer_start(loop, &r[0].t, now - 1), 0);
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_true(clock_mono_now() - now < 5 * CLOCK_NS_PER_SEC);
    /* A deadline far in the future plus the slack does not wrap around. */
    assert_int_equal(evloop_timer_start(loop, &r[1].t, UINT64_MAX - 1), 0);
    assert_int_equal(evloop_run_once(loop, false), 0);
    evloop_timer_stop(loop, &r[1].t);
    evloop_set_timer_slack(loop, 0);
}

/* Moving the earliest deadline earlier and later re-arms the timerfd. */
struct rearm {
    evloop_timer near, far, mid;
    evloop_io w;
    int fired_near, fired_far, fired_mid;
    mono_ns mid_when, mid_at;
};

static void rearm_io(evloop *loop, evloop_io *w, uint32_t ev)
{
    (void)ev;
    struct rearm *x = w->data;
    evloop_timer_stop(loop, &x->near); /* the one the timerfd is armed to */
    x->mid_when = evloop_now(loop) + 3 * MS;
    assert_int_equal(evloop_timer_start(loop, &x->mid, x->mid_when), 0);
    assert_int_equal(evloop_io_stop(loop, w), 0);
}

static void rearm_mid(evloop *loop, evloop_timer *t)
{
    struct rearm *x = t->data;
    x->fired_mid++;
    x->mid_at = clock_mono_now();
    evloop_timer_stop(loop, &x->far);
}

static void test_timer_rearm(void **state)
{
    evloop *loop = *state;
    struct rearm x;
    memset(&x, 0, sizeof(x));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evloop_timer_init(&x.near, count_cb, &x.fired_near);
    evloop_timer_init(&x.far, count_cb, &x.fired_far);
    evloop_timer_init(&x.mid, rearm_mid, &x);
    evloop_io_init(&x.w, sv[0], rearm_io, &x);
    mono_ns now = evloop_now_update(loop);
    assert_int_equal(evloop_timer_start(loop, &x.far, now + 10 * CLOCK_NS_PER_SEC), 0);
    assert_int_equal(evloop_timer_start(loop, &x.near, now + 1 * MS), 0);
    assert_int_equal(evloop_io_start(loop, &x.w, EVLOOP_WRITE), 0); /* ready at once */
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(x.fired_near, 0);
    assert_int_equal(x.fired_far, 0);
    assert_int_equal(x.fired_mid, 1);
    assert_true(x.mid_at >= x.mid_when);
    assert_true(clock_mono_now() - now < 5 * CLOCK_NS_PER_SEC); /* did not wait for far */

    /* The timerfd is armed to a far deadline when a callback starts an earlier timer:
     * the next wait must re-arm it (else it sleeps until the far one). Both the restart
     * of a pending timer and a fresh start are covered. */
    for (int mode = 0; mode < 2; mode++) {
        memset(&x, 0, sizeof(x));
        evloop_timer_init(&x.far, count_cb, &x.fired_far);
        evloop_timer_init(&x.near, count_cb, &x.fired_near);
        evloop_timer_init(&x.mid, rearm_mid, &x);
        evloop_io_init(&x.w, sv[0], rearm_io, &x);
        now = evloop_now_update(loop);
        assert_int_equal(evloop_timer_start(loop, &x.far, now + 3 * CLOCK_NS_PER_SEC), 0);
        if (mode == 1) /* mid pending at a far time too: the callback restarts it */
            assert_int_equal(evloop_timer_start(loop, &x.mid, now + 4 * CLOCK_NS_PER_SEC), 0);
        assert_int_equal(evloop_io_start(loop, &x.w, EVLOOP_WRITE), 0);
        /* This wait arms the timerfd to the earliest pending deadline (3 s away); the
         * writable socket ends it at once and its callback starts mid 3 ms ahead. */
        assert_int_equal(evloop_run_once(loop, true), 1);
        assert_true(evloop_timer_pending(&x.mid));
        assert_int_equal(evloop_run(loop), 0);
        assert_int_equal(x.fired_mid, 1);
        assert_int_equal(x.fired_far, 0);
        assert_true(x.mid_at >= x.mid_when);
        assert_true(clock_mono_now() - now < 1500 * MS); /* far would be 3 s */
    }
    close(sv[0]);
    close(sv[1]);
}

/* ---- I/O ------------------------------------------------------------------------------- */

struct io_rec {
    evloop_io w;
    int calls;
    uint32_t last;
    char buf[16];
    ssize_t nread;
    bool stop_self;
};

static void io_rec_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    struct io_rec *r = w->data;
    r->calls++;
    r->last = events;
    if (events & EVLOOP_READ)
        r->nread = read(w->fd, r->buf, sizeof(r->buf));
    if (r->stop_self)
        assert_int_equal(evloop_io_stop(loop, w), 0);
}

static void test_io_read_write_ready(void **state)
{
    evloop *loop = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);

    struct io_rec r;
    memset(&r, 0, sizeof(r));
    evloop_io_init(&r.w, sv[0], io_rec_cb, &r);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ), 0);
    assert_true(r.w.active);
    assert_int_equal(r.w.events, EVLOOP_READ);
    assert_int_equal(evloop_run_once(loop, false), 0); /* nothing to read yet */
    assert_int_equal(write(sv[1], "hi\0x", 4), 4);     /* NUL byte in the payload */
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last, EVLOOP_READ);
    assert_int_equal(r.nread, 4);
    assert_memory_equal(r.buf, "hi\0x", 4);

    /* Switch interest to write: fires at once with EVLOOP_WRITE only. */
    assert_int_equal(evloop_io_set(loop, &r.w, EVLOOP_WRITE), 0);
    assert_int_equal(r.w.events, EVLOOP_WRITE);
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.last, EVLOOP_WRITE);

    /* Both: readable and writable in one call. */
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ | EVLOOP_WRITE), 0);
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.last, EVLOOP_READ | EVLOOP_WRITE);

    /* Interest 0: registered, silent. */
    assert_int_equal(evloop_io_set(loop, &r.w, 0), 0);
    assert_true(r.w.active);
    assert_int_equal(evloop_run_once(loop, false), 0);

    /* Stop inside the callback; evloop_run returns once nothing is left. */
    r.stop_self = true;
    r.calls = 0;
    assert_int_equal(evloop_io_set(loop, &r.w, EVLOOP_WRITE), 0);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(r.calls, 1);
    assert_false(r.w.active);
    assert_int_equal(evloop_io_stop(loop, &r.w), 0); /* already stopped: fine */
    close(sv[0]);
    close(sv[1]);
}

static void test_io_hangup(void **state)
{
    evloop *loop = *state;
    static const uint32_t interest[] = {EVLOOP_READ, 0};
    for (size_t i = 0; i < sizeof(interest) / sizeof(interest[0]); i++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        struct io_rec r;
        memset(&r, 0, sizeof(r));
        r.stop_self = true;
        evloop_io_init(&r.w, p[0], io_rec_cb, &r);
        assert_int_equal(evloop_io_start(loop, &r.w, interest[i]), 0);
        close(p[1]);
        assert_int_equal(evloop_run(loop), 0);
        assert_int_equal(r.calls, 1);
        assert_int_equal(r.last, EVLOOP_ERROR | interest[i]);
        if (interest[i] & EVLOOP_READ)
            assert_int_equal(r.nread, 0); /* EOF */
        close(p[0]);
    }
}

static void test_io_errors(void **state)
{
    evloop *loop = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct io_rec a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    evloop_io_init(&a.w, sv[0], io_rec_cb, &a);
    evloop_io_init(&b.w, sv[0], io_rec_cb, &b);
    static const uint32_t bad_bits[] = {EVLOOP_ERROR, 0x8u, 0x80000000u, EVLOOP_READ | 0x10u};
    for (size_t i = 0; i < sizeof(bad_bits) / sizeof(bad_bits[0]); i++) {
        assert_int_equal(evloop_io_start(loop, &a.w, bad_bits[i]), -EINVAL);
        assert_false(a.w.active);
    }
    assert_int_equal(evloop_io_start(loop, &a.w, EVLOOP_READ), 0);
    assert_int_equal(evloop_io_start(loop, &b.w, EVLOOP_READ), -EEXIST); /* same fd twice */
    assert_false(b.w.active);
    assert_int_equal(evloop_io_set(loop, &a.w, EVLOOP_READ | 0x40u), -EINVAL);
    assert_int_equal(a.w.events, EVLOOP_READ); /* unchanged */
    assert_int_equal(evloop_io_stop(loop, &a.w), 0);

    struct io_rec c;
    memset(&c, 0, sizeof(c));
    evloop_io_init(&c.w, -1, io_rec_cb, &c);
    assert_int_equal(evloop_io_start(loop, &c.w, EVLOOP_READ), -EBADF);
    assert_false(c.w.active);
    assert_int_equal(evloop_run(loop), 0); /* nothing active */
    close(sv[0]);
    close(sv[1]);
}

/* Two watchers whose events arrive in one batch; the first callback to run stops the other.
 * Modes: stop, close and free it (ASan catches any later touch); stop and restart it with
 * another interest (the stale READ event must not be delivered); narrow its interest. */
enum peer_action { PEER_FREE, PEER_RESTART_WRITE, PEER_SET_WRITE };

struct peer {
    evloop_io w;
    int sv[2];
    int calls;
    uint32_t last;
    struct peer *other;
    enum peer_action action;
    bool *done;
};

static void peer_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    struct peer *p = w->data;
    p->calls++;
    p->last = events;
    if (*p->done)
        return;
    *p->done = true;
    struct peer *o = p->other;
    switch (p->action) {
    case PEER_FREE:
        assert_int_equal(evloop_io_stop(loop, &o->w), 0);
        close(o->sv[0]);
        close(o->sv[1]);
        p->other = NULL;
        free(o);
        break;
    case PEER_RESTART_WRITE:
        assert_int_equal(evloop_io_stop(loop, &o->w), 0);
        assert_int_equal(evloop_io_start(loop, &o->w, EVLOOP_WRITE), 0);
        break;
    case PEER_SET_WRITE: assert_int_equal(evloop_io_set(loop, &o->w, EVLOOP_WRITE), 0); break;
    }
}

static struct peer *peer_new(enum peer_action action, bool *done)
{
    struct peer *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->sv), 0);
    p->action = action;
    p->done = done;
    evloop_io_init(&p->w, p->sv[0], peer_cb, p);
    assert_int_equal(write(p->sv[1], "z", 1), 1); /* readable before the wait */
    return p;
}

static void peer_free(evloop *loop, struct peer *p)
{
    if (!p)
        return;
    assert_int_equal(evloop_io_stop(loop, &p->w), 0);
    close(p->sv[0]);
    close(p->sv[1]);
    free(p);
}

static void test_io_stop_pending_in_batch(void **state)
{
    evloop *loop = *state;
    static const struct {
        enum peer_action action;
        uint32_t interest;      /* of both watchers */
        int second_calls;       /* calls of the stopped one in the first iteration */
        uint32_t second_events; /* what it gets, if called */
    } cases[] = {
        {PEER_FREE, EVLOOP_READ, 0, 0},
        {PEER_FREE, EVLOOP_READ | EVLOOP_WRITE, 0, 0},
        {PEER_RESTART_WRITE, EVLOOP_READ, 0, 0},
        {PEER_SET_WRITE, EVLOOP_READ | EVLOOP_WRITE, 1, EVLOOP_WRITE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool done = false;
        struct peer *a = peer_new(cases[i].action, &done);
        struct peer *b = peer_new(cases[i].action, &done);
        a->other = b;
        b->other = a;
        assert_int_equal(evloop_io_start(loop, &a->w, cases[i].interest), 0);
        assert_int_equal(evloop_io_start(loop, &b->w, cases[i].interest), 0);
        int n = evloop_run_once(loop, true);
        /* Both were ready; which one epoll lists first is not ours to know. */
        if (cases[i].action == PEER_FREE) {
            struct peer *surv = a->other == NULL ? a : b; /* the stopper cleared it */
            assert_null(surv->other);
            assert_int_equal(n, 1);
            assert_int_equal(surv->calls, 1);
            peer_free(loop, surv);
            continue;
        }
        if (cases[i].second_calls == 0) {
            assert_int_equal(n, 1);
            assert_int_equal(a->calls + b->calls, 1);
            struct peer *other = a->calls ? b : a;
            /* The restarted watcher gets its new interest on the next iteration. */
            assert_int_equal(evloop_run_once(loop, true), 2); /* stopper still readable */
            assert_int_equal(other->calls, 1);
            assert_int_equal(other->last, EVLOOP_WRITE);
        } else {
            assert_int_equal(n, 2);
            assert_int_equal(a->calls, 1);
            assert_int_equal(b->calls, 1);
            struct peer *second = a->last == cases[i].second_events ? a : b;
            struct peer *first = second == a ? b : a;
            assert_int_equal(second->last, cases[i].second_events);
            assert_int_equal(first->last, cases[i].interest);
        }
        peer_free(loop, a);
        peer_free(loop, b);
    }
}

/* Many watchers ready in one batch; the first callback stops and frees all the others. */
struct herd {
    evloop_io *w[64];
    int fds[64][2];
    int calls;
    size_t n;
};

static void herd_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    struct herd *h = w->data;
    h->calls++;
    for (size_t i = 0; i < h->n; i++) {
        if (h->w[i] == w || !h->w[i])
            continue;
        assert_int_equal(evloop_io_stop(loop, h->w[i]), 0);
        free(h->w[i]);
        h->w[i] = NULL;
    }
}

static void test_io_stop_many_pending(void **state)
{
    evloop *loop = *state;
    struct herd h;
    memset(&h, 0, sizeof(h));
    h.n = 64;
    for (size_t i = 0; i < h.n; i++) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, h.fds[i]), 0);
        h.w[i] = malloc(sizeof(evloop_io));
        assert_non_null(h.w[i]);
        evloop_io_init(h.w[i], h.fds[i][0], herd_cb, &h);
        assert_int_equal(evloop_io_start(loop, h.w[i], EVLOOP_WRITE), 0);
    }
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(h.calls, 1);
    for (size_t i = 0; i < h.n; i++) {
        if (h.w[i]) {
            assert_int_equal(evloop_io_stop(loop, h.w[i]), 0);
            free(h.w[i]);
        }
        close(h.fds[i][0]);
        close(h.fds[i][1]);
    }
    assert_int_equal(evloop_run(loop), 0);
}

/* ---- wake, break, run ---------------------------------------------------------------- */

struct wake_ctx {
    evloop *loop;
    int wakes;
    bool brk;
};

static void wake_cb(evloop *loop, void *arg)
{
    struct wake_ctx *w = arg;
    w->wakes++;
    if (w->brk)
        evloop_break(loop);
}

static void *waker_thread(void *arg)
{
    struct wake_ctx *w = arg;
    sleep_ns(20 * MS);
    evloop_wake(w->loop);
    return NULL;
}

static void test_wake_from_thread(void **state)
{
    evloop *loop = *state;
    struct wake_ctx w = {.loop = loop, .brk = true};
    assert_int_equal(evloop_set_wake(loop, wake_cb, &w), 0);
    int fired = 0;
    evloop_timer t;
    evloop_timer_init(&t, count_cb, &fired);
    assert_int_equal(evloop_timer_start(loop, &t, evloop_now_update(loop) + 60 * CLOCK_NS_PER_SEC), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, waker_thread, &w), 0);
    assert_int_equal(evloop_run(loop), 0); /* returns only through the wake */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.wakes, 1);
    assert_int_equal(fired, 0);
    assert_true(evloop_timer_pending(&t));
    evloop_timer_stop(loop, &t);

    /* Wakes before the loop looks coalesce into one callback. */
    evloop_wake(loop);
    evloop_wake(loop);
    evloop_wake(loop);
    assert_int_equal(evloop_run_once(loop, false), 1);
    assert_int_equal(w.wakes, 2);
    assert_int_equal(evloop_run_once(loop, false), 0);

    /* Without a callback a wake still ends a blocking wait, running nothing. */
    assert_int_equal(evloop_set_wake(loop, NULL, NULL), 0);
    evloop_wake(loop);
    assert_int_equal(evloop_run_once(loop, true), 0);
}

struct disarm {
    evloop_timer t;
    evloop_io w;
    int fired;
};

static void disarm_io(evloop *loop, evloop_io *w, uint32_t ev)
{
    (void)ev;
    struct disarm *d = w->data;
    evloop_timer_stop(loop, &d->t); /* the timerfd is armed to it */
    assert_int_equal(evloop_io_stop(loop, w), 0);
}

/* Once the last timer is stopped, a blocking wait lasts until something happens: the
 * stale timerfd deadline must not end it without running any callback. */
static void test_no_spurious_return(void **state)
{
    evloop *loop = *state;
    struct wake_ctx wk = {.loop = loop};
    assert_int_equal(evloop_set_wake(loop, wake_cb, &wk), 0);
    struct disarm d;
    memset(&d, 0, sizeof(d));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evloop_timer_init(&d.t, count_cb, &d.fired);
    evloop_io_init(&d.w, sv[0], disarm_io, &d);
    assert_int_equal(evloop_timer_start(loop, &d.t, evloop_now_update(loop) + 5 * MS), 0);
    assert_int_equal(evloop_io_start(loop, &d.w, EVLOOP_WRITE), 0);
    assert_int_equal(evloop_run_once(loop, true), 1); /* armed to t, then t stopped */
    assert_int_equal(evloop_timer_count(loop), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, waker_thread, &wk), 0); /* wakes at 20 ms */
    assert_int_equal(evloop_run_once(loop, true), 1);                  /* the wake, not t's old 5 ms */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(wk.wakes, 1);
    assert_int_equal(d.fired, 0);
    close(sv[0]);
    close(sv[1]);
}

static evloop *sig_loop;
static volatile sig_atomic_t sig_errno_ok;

static void on_sigusr1(int sig)
{
    (void)sig;
    errno = 4242;
    evloop_wake(sig_loop);
    sig_errno_ok = errno == 4242;
}

static void test_wake_from_signal(void **state)
{
    evloop *loop = *state;
    struct wake_ctx w = {.loop = loop, .brk = true};
    assert_int_equal(evloop_set_wake(loop, wake_cb, &w), 0);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sig_loop = loop;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    struct io_rec r; /* an idle watcher keeps evloop_run blocking */
    int p[2];
    assert_int_equal(pipe(p), 0);
    memset(&r, 0, sizeof(r));
    evloop_io_init(&r.w, p[0], io_rec_cb, &r);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ), 0);
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(w.wakes, 1);
    assert_true(sig_errno_ok);
    assert_int_equal(r.calls, 0);
    assert_int_equal(evloop_io_stop(loop, &r.w), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    close(p[0]);
    close(p[1]);
}

static void test_run_returns_when_empty(void **state)
{
    evloop *loop = *state;
    assert_int_equal(evloop_run(loop), 0); /* empty: at once */
    assert_int_equal(evloop_run_once(loop, false), 0);
    struct wake_ctx w = {.loop = loop};
    assert_int_equal(evloop_set_wake(loop, wake_cb, &w), 0); /* does not keep it alive */
    assert_int_equal(evloop_run(loop), 0);
    /* A timer in the past fires on the next iteration and then the loop is empty. */
    int fired = 0;
    evloop_timer t;
    evloop_timer_init(&t, count_cb, &fired);
    assert_int_equal(evloop_timer_start(loop, &t, 1), 0);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(fired, 1);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(fired, 1);
}

struct brk_ctx {
    evloop_timer t;
    int calls;
    int rc_nested;
};

static void brk_cb(evloop *loop, evloop_timer *t)
{
    struct brk_ctx *b = t->data;
    b->calls++;
    b->rc_nested = evloop_run_once(loop, false); /* not reentrant */
    assert_int_equal(evloop_run(loop), -EBUSY);
    assert_int_equal(evloop_timer_start(loop, t, evloop_now(loop) + 100 * US), 0);
    if (b->calls == 3)
        evloop_break(loop);
}

static void test_break_and_reentry(void **state)
{
    evloop *loop = *state;
    struct brk_ctx b;
    memset(&b, 0, sizeof(b));
    evloop_timer_init(&b.t, brk_cb, &b);
    assert_int_equal(evloop_timer_start(loop, &b.t, evloop_now_update(loop)), 0);
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(b.calls, 3);
    assert_int_equal(b.rc_nested, -EBUSY);
    assert_true(evloop_timer_pending(&b.t)); /* break left it alone */
    evloop_break(loop);                      /* cleared by evloop_run's entry */
    b.calls = 0;
    assert_int_equal(evloop_run(loop), 0);
    assert_int_equal(b.calls, 3);
    evloop_timer_stop(loop, &b.t);
}

static void test_now(void **state)
{
    evloop *loop = *state;
    mono_ns a = evloop_now(loop);
    assert_true(a > 0);
    assert_int_equal(evloop_now(loop), a); /* cached */
    sleep_ns(1 * MS);
    assert_int_equal(evloop_now(loop), a);
    mono_ns b = evloop_now_update(loop);
    assert_true(b >= a + 1 * MS);
    assert_int_equal(evloop_now(loop), b);
    assert_int_equal(evloop_run_once(loop, false), 0); /* iteration refreshes */
    assert_true(evloop_now(loop) >= b);
}

static void test_destroy_forgets(void **state)
{
    (void)state;
    evloop *loop = evloop_create();
    assert_non_null(loop);
    evloop_timer t[3];
    int fired = 0;
    for (int i = 0; i < 3; i++) {
        evloop_timer_init(&t[i], count_cb, &fired);
        assert_int_equal(evloop_timer_start(loop, &t[i], clock_mono_now() + CLOCK_NS_PER_SEC), 0);
    }
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct io_rec r;
    memset(&r, 0, sizeof(r));
    evloop_io_init(&r.w, sv[0], io_rec_cb, &r);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ), 0);
    evloop_destroy(loop);
    for (int i = 0; i < 3; i++)
        assert_false(evloop_timer_pending(&t[i]));
    assert_int_equal(fired, 0);
    evloop_destroy(NULL);
    close(sv[0]);
    close(sv[1]);
}

/* ---- backends: level-triggered, stop + close + fd reuse, selection ------------------- */

/* Level-triggered: a callback that leaves data unread hears of it again on the next
 * iteration (io_uring: the re-check after a delivery), as long as it stays interested;
 * a drained fd goes quiet; an always-writable socket is reported on every iteration. */
struct lt_rec {
    evloop_io w;
    int calls;
    size_t per_call; /* bytes read per call (0: read nothing) */
};

static void lt_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)loop;
    struct lt_rec *r = w->data;
    r->calls++;
    char b[64];
    if ((events & EVLOOP_READ) && r->per_call > 0)
        assert_true(read(w->fd, b, r->per_call) > 0);
}

static void test_level_triggered(void **state)
{
    evloop *loop = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct lt_rec r = {.per_call = 1};
    evloop_io_init(&r.w, sv[0], lt_cb, &r);
    /* A backend that loses the level would block forever: this guard ends such a wait
     * (with a wrong count) instead. */
    int guard_fired = 0;
    evloop_timer guard;
    evloop_timer_init(&guard, count_cb, &guard_fired);
    assert_int_equal(evloop_timer_start(loop, &guard, evloop_now_update(loop) + 30 * CLOCK_NS_PER_SEC), 0);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ), 0);
    assert_int_equal(write(sv[1], "abc", 3), 3); /* one arrival, three reads' worth */
    for (int k = 1; k <= 3; k++) {
        assert_int_equal(evloop_run_once(loop, true), 1); /* blocking: it must be reported */
        assert_int_equal(r.calls, k);
    }
    assert_int_equal(evloop_run_once(loop, false), 0); /* drained: quiet */
    assert_int_equal(evloop_run_once(loop, false), 0);
    assert_int_equal(r.calls, 3);

    /* Reading nothing at all: reported on every iteration until the interest goes. */
    r.per_call = 0;
    assert_int_equal(write(sv[1], "x", 1), 1);
    for (int k = 0; k < 5; k++)
        assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.calls, 8);
    assert_int_equal(evloop_io_set(loop, &r.w, 0), 0);
    assert_int_equal(evloop_run_once(loop, false), 0);
    assert_int_equal(evloop_io_set(loop, &r.w, EVLOOP_READ), 0); /* back: still unread */
    assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.calls, 9);

    /* Writable: every iteration. */
    assert_int_equal(evloop_io_set(loop, &r.w, EVLOOP_WRITE), 0);
    for (int k = 0; k < 5; k++)
        assert_int_equal(evloop_run_once(loop, true), 1);
    assert_int_equal(r.calls, 14);
    assert_int_equal(guard_fired, 0);
    evloop_timer_stop(loop, &guard);
    assert_int_equal(evloop_io_stop(loop, &r.w), 0);
    assert_int_equal(evloop_run_once(loop, false), 0);
    close(sv[0]);
    close(sv[1]);
}

/* A's callback stops B, closes B's fd and opens a new socket, which gets B's fd number
 * back, with a new watcher C: B's pending event of this batch reaches neither B nor C; C
 * hears only of its own readiness; and B's old socket is really closed (the peer reads
 * EOF: no poll request of the backend keeps the file open). */
struct reuse {
    evloop_io a, b, c;
    int sa[2], sb[2], sc[2];
    int calls_a, calls_b, calls_c;
    bool done;
};

static void reuse_b_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)loop;
    (void)events;
    struct reuse *x = w->data;
    assert_false(x->done); /* never after A stopped it */
    x->calls_b++;
}

static void reuse_c_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)loop;
    struct reuse *x = w->data;
    x->calls_c++;
    assert_true(events & EVLOOP_READ);
    char ch;
    assert_int_equal(read(w->fd, &ch, 1), 1);
    assert_int_equal(ch, 'c');
}

static void reuse_a_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    struct reuse *x = w->data;
    x->calls_a++;
    char ch;
    assert_int_equal(read(w->fd, &ch, 1), 1);
    if (x->done)
        return;
    x->done = true;
    int old = x->sb[0];
    assert_int_equal(evloop_io_stop(loop, &x->b), 0);
    close(x->sb[0]);
    x->sb[0] = -1;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x->sc), 0);
    if (x->sc[0] != old) { /* make it the same number, whatever the allocator did */
        assert_int_equal(dup2(x->sc[0], old), old);
        close(x->sc[0]);
        x->sc[0] = old;
    }
    evloop_io_init(&x->c, x->sc[0], reuse_c_cb, x);
    assert_int_equal(evloop_io_start(loop, &x->c, EVLOOP_READ), 0);
}

static void test_stop_close_reuse_fd(void **state)
{
    evloop *loop = *state;
    for (int order = 0; order < 2; order++) { /* B started before / after A */
        struct reuse x;
        memset(&x, 0, sizeof(x));
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x.sa), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, x.sb), 0);
        evloop_io_init(&x.a, x.sa[0], reuse_a_cb, &x);
        evloop_io_init(&x.b, x.sb[0], reuse_b_cb, &x);
        if (order == 1)
            assert_int_equal(evloop_io_start(loop, &x.b, EVLOOP_READ), 0);
        assert_int_equal(evloop_io_start(loop, &x.a, EVLOOP_READ), 0);
        if (order == 0)
            assert_int_equal(evloop_io_start(loop, &x.b, EVLOOP_READ), 0);
        /* Both readable before the first wait: one batch (for io_uring, one harvest). */
        assert_int_equal(write(x.sa[1], "a", 1), 1);
        assert_int_equal(write(x.sb[1], "b", 1), 1);
        /* B may come first in the batch (its callback reads nothing); A stops it. */
        assert_true(evloop_run_once(loop, true) >= 1);
        if (x.calls_a == 0)
            assert_true(evloop_run_once(loop, true) >= 1);
        assert_int_equal(x.calls_a, 1);
        assert_int_equal(x.calls_c, 0);
        assert_true(x.done);
        assert_int_equal(evloop_run_once(loop, false), 0); /* C's socket is not readable */
        assert_int_equal(x.calls_c, 0);
        char ch;
        /* B's socket: closed for real (its unread "b" makes that ECONNRESET), not EAGAIN */
        ssize_t got = read(x.sb[1], &ch, 1);
        assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
        assert_int_equal(write(x.sc[1], "c", 1), 1);
        assert_int_equal(evloop_run_once(loop, true), 1);
        assert_int_equal(x.calls_c, 1);
        assert_int_equal(evloop_io_stop(loop, &x.a), 0);
        assert_int_equal(evloop_io_stop(loop, &x.c), 0);
        close(x.sa[0]);
        close(x.sa[1]);
        close(x.sb[1]);
        close(x.sc[0]);
        close(x.sc[1]);
    }
}

/* Stopped and closed outside any callback (the loop not running): the peer sees EOF
 * at once, before the next iteration. */
static void test_stop_outside_loop_closes(void **state)
{
    evloop *loop = *state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct io_rec r;
    memset(&r, 0, sizeof(r));
    evloop_io_init(&r.w, sv[0], io_rec_cb, &r);
    assert_int_equal(evloop_io_start(loop, &r.w, EVLOOP_READ), 0);
    assert_int_equal(evloop_run_once(loop, false), 0); /* armed */
    assert_int_equal(evloop_io_stop(loop, &r.w), 0);
    close(sv[0]);
    char ch;
    assert_int_equal(read(sv[1], &ch, 1), 0);
    close(sv[1]);
}

static const char *backend_name; /* of the group running: "epoll" or "io_uring" */

static void test_backend_name(void **state)
{
    assert_string_equal(evloop_backend(*state), backend_name);
}

/* PT_EVLOOP: auto falls back to epoll when io_uring cannot start (simulated with the
 * backend's PT_EVLOOP_URING_FAIL hook) and says why; a forced uring fails loudly; an
 * unknown value is refused. */
static evloop *create_with(const char *mode, const char *fail)
{
    assert_int_equal(setenv("PT_EVLOOP", mode, 1), 0);
    if (fail)
        assert_int_equal(setenv("PT_EVLOOP_URING_FAIL", fail, 1), 0);
    else
        assert_int_equal(unsetenv("PT_EVLOOP_URING_FAIL"), 0);
    return evloop_create();
}

static void test_selection(void **state)
{
    (void)state;
    const char *saved = getenv("PT_EVLOOP");
    char *keep = saved ? strdup(saved) : NULL;
    evloop *loop = create_with("epoll", NULL);
    assert_non_null(loop);
    assert_string_equal(evloop_backend(loop), "epoll");
    assert_string_equal(evloop_create_error(), "");
    evloop_destroy(loop);

    loop = create_with("auto", "1");
    assert_non_null(loop);
    assert_string_equal(evloop_backend(loop), "epoll");
#ifdef PT_HAVE_URING
    assert_non_null(strstr(evloop_create_error(), "PT_EVLOOP=auto: io_uring backend"));
#endif
    evloop_destroy(loop);
    loop = create_with("", "1"); /* empty is auto */
    assert_non_null(loop);
    assert_string_equal(evloop_backend(loop), "epoll");
    evloop_destroy(loop);

    errno = 0;
    assert_null(create_with("uring", "1"));
#ifdef PT_HAVE_URING
    assert_int_equal(errno, ENOSYS);
#else
    assert_int_equal(errno, ENOTSUP);
#endif
    assert_non_null(strstr(evloop_create_error(), "PT_EVLOOP=uring: "));

    errno = 0;
    assert_null(create_with("kqueue", NULL));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(evloop_create_error(), "expected epoll, uring or auto"));

#ifdef PT_HAVE_URING
    if (strcmp(backend_name, "io_uring") == 0) { /* the kernel lets us: auto takes it */
        loop = create_with("auto", "0");
        assert_non_null(loop);
        assert_string_equal(evloop_backend(loop), "io_uring");
        assert_string_equal(evloop_create_error(), "");
        evloop_destroy(loop);
    }
#endif
    assert_int_equal(unsetenv("PT_EVLOOP_URING_FAIL"), 0);
    if (keep)
        assert_int_equal(setenv("PT_EVLOOP", keep, 1), 0);
    else
        assert_int_equal(unsetenv("PT_EVLOOP"), 0);
    free(keep);
}

/* Each group runs every test on one backend, chosen through PT_EVLOOP as a program would.
 * PT_EVLOOP set from outside (tests/run.sh --evloop) runs that backend only. */
int main(void)
{
    const char *env = getenv("PT_EVLOOP");
    char only[32];
    snprintf(only, sizeof(only), "%s", env ? env : ""); /* setenv below may move it */
    static const struct {
        const char *mode, *name;
    } backends[] = {{"epoll", "epoll"}, {"uring", "io_uring"}};
    int failed = 0;
    for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
        if (*only && strcmp(only, "auto") != 0 && strcmp(only, backends[b].mode) != 0 &&
            strcmp(only, backends[b].name) != 0)
            continue;
        setenv("PT_EVLOOP", backends[b].mode, 1);
        evloop *probe = evloop_create();
        if (!probe) {
            /* Only a kernel (or a build without liburing) that refuses io_uring skips. */
            printf("[  SKIPPED ] backend %s: %s\n", backends[b].name, evloop_create_error());
            fflush(stdout);
            continue;
        }
        evloop_destroy(probe);
        backend_name = backends[b].name;
        failed += run_group(backends[b].name);
    }
    return failed;
}

static int run_group(const char *name)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timer_order_random, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_churn, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_many, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_stop_restart_from_cb, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_restarts_itself, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_past_restart_bounded, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_precision, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_rearm, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_timer_slack, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_io_read_write_ready, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_io_hangup, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_io_errors, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_io_stop_pending_in_batch, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_io_stop_many_pending, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_wake_from_thread, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_wake_from_signal, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_no_spurious_return, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_run_returns_when_empty, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_break_and_reentry, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_now, setup_loop, teardown_loop),
        cmocka_unit_test(test_destroy_forgets),
        cmocka_unit_test_setup_teardown(test_level_triggered, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_stop_close_reuse_fd, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_stop_outside_loop_closes, setup_loop, teardown_loop),
        cmocka_unit_test_setup_teardown(test_backend_name, setup_loop, teardown_loop),
        cmocka_unit_test(test_selection),
    };
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
