/* evloop.c - the common part of evloop.h: timer heap and timerfd, evloop_now, wake
 * (eventfd), batch dispatch, backend selection. The I/O readiness backends are
 * evloop_epoll.c and evloop_uring.c behind evloop_int.h. */
#include "evloop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evloop_int.h"

#define EVLOOP_HEAP_MIN 64

/* ---- timer heap ----------------------------------------------------------------- */

static bool timer_before(const evloop_timer *a, const evloop_timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_place(evloop *loop, size_t i, evloop_timer *t)
{
    loop->heap[i] = t;
    t->heap_idx = i;
}

/* Moves the timer at i towards the root; the hole travels up and t is written once. */
static void sift_up(evloop *loop, size_t i)
{
    evloop_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, loop->heap[parent]))
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, t);
}

static void sift_down(evloop *loop, size_t i)
{
    evloop_timer *t = loop->heap[i];
    size_t n = loop->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && timer_before(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!timer_before(loop->heap[c], t))
            break;
        heap_place(loop, i, loop->heap[c]);
        i = c;
    }
    heap_place(loop, i, t);
}

static void heap_remove(evloop *loop, size_t i)
{
    evloop_timer *t = loop->heap[i];
    evloop_timer *last = loop->heap[--loop->nheap];
    t->heap_idx = SIZE_MAX;
    if (last == t)
        return;
    heap_place(loop, i, last);
    /* The moved element may belong above or below i; one of these is a no-op. */
    sift_up(loop, i);
    sift_down(loop, last->heap_idx);
}

static int heap_grow(evloop *loop)
{
    size_t cap = loop->heap_cap ? loop->heap_cap : EVLOOP_HEAP_MIN / 2;
    if (cap > SIZE_MAX / 2 / sizeof(*loop->heap))
        return -ENOMEM;
    cap *= 2;
    evloop_timer **h = realloc(loop->heap, cap * sizeof(*h));
    if (!h)
        return -ENOMEM;
    loop->heap = h;
    loop->heap_cap = cap;
    return 0;
}

void evloop_timer_init(evloop_timer *t, evloop_timer_cb cb, void *data)
{
    t->when = 0;
    t->cb = cb;
    t->data = data;
    t->heap_idx = SIZE_MAX;
    t->seq = 0;
}

int evloop_timer_start(evloop *loop, evloop_timer *t, mono_ns when)
{
    if (evloop_timer_pending(t)) {
        size_t i = t->heap_idx;
        t->when = when;
        t->seq = loop->next_seq++;
        sift_up(loop, i);
        sift_down(loop, t->heap_idx);
        return 0;
    }
    if (loop->nheap == loop->heap_cap) {
        int rc = heap_grow(loop);
        if (rc < 0)
            return rc;
    }
    t->when = when;
    t->seq = loop->next_seq++;
    heap_place(loop, loop->nheap++, t);
    sift_up(loop, t->heap_idx);
    return 0;
}

void evloop_timer_stop(evloop *loop, evloop_timer *t)
{
    if (!evloop_timer_pending(t))
        return;
    heap_remove(loop, t->heap_idx);
}

size_t evloop_timer_count(const evloop *loop)
{
    return loop->nheap;
}

/* ---- timerfd ---------------------------------------------------------------------- */

static int tfd_settime(evloop *loop, mono_ns when)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (when != 0) {
        /* time_t may be 32 bits (armhf): clamp absurdly far deadlines (more than 68
         * years of uptime) instead of wrapping into the past. A zero it_value would
         * disarm, so a deadline can never map to it (when >= 1 ns). */
        uint64_t sec = when / CLOCK_NS_PER_SEC;
        if (sec > INT32_MAX) {
            its.it_value.tv_sec = INT32_MAX;
        } else {
            its.it_value.tv_sec = (time_t)sec;
            its.it_value.tv_nsec = (long)(when % CLOCK_NS_PER_SEC);
        }
    }
    if (timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return -errno;
    loop->armed = when != 0;
    loop->armed_when = when;
    return 0;
}

static void tfd_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    uint64_t ticks;
    ssize_t r = read(w->fd, &ticks, sizeof(ticks));
    /* Success means the armed deadline passed (the timerfd is one-shot, so it is now
     * disarmed). EAGAIN: the timer was re-armed after the readiness was sampled, so it
     * is still armed. Nothing else can fail on a valid timerfd. */
    if (r == (ssize_t)sizeof(ticks))
        loop->armed = false;
}

/* Chooses the wait's timeout (0 or -1: finite waits are the timerfd's) and arms the timerfd. The timerfd is only touched when the
 * earliest deadline differs from what it is armed to, so a burst of starts/stops of
 * later timers costs no syscall. */
static int prepare_wait(evloop *loop, bool block, int *timeout)
{
    if (loop->nheap == 0) {
        *timeout = block ? -1 : 0;
        return loop->armed ? tfd_settime(loop, 0) : 0;
    }
    mono_ns first = loop->heap[0]->when;
    if (!block || first <= loop->now) {
        *timeout = 0;
        return 0;
    }
    *timeout = -1;
    /* With slack, the wake-up is put off to first + slack: every timer due by then runs
     * in that one wake-up, never before its own deadline. An arming that already falls
     * in [first, first + slack] is kept, which also saves the re-arming syscall. */
    if (loop->armed && loop->armed_when >= first && loop->armed_when - first <= loop->slack)
        return 0;
    mono_ns target = first > UINT64_MAX - loop->slack ? first : first + loop->slack;
    return tfd_settime(loop, target);
}

void evloop_set_timer_slack(evloop *loop, mono_ns slack)
{
    loop->slack = slack;
}

/* ---- wake --------------------------------------------------------------------------- */

static void efd_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    uint64_t count;
    ssize_t r = read(w->fd, &count, sizeof(count));
    if (r != (ssize_t)sizeof(count))
        return; /* EAGAIN: another reader cannot exist, but a spurious report is harmless */
    if (loop->wake_cb) {
        loop->ncb++;
        loop->wake_cb(loop, loop->wake_arg);
    }
}

int evloop_set_wake(evloop *loop, evloop_wake_cb cb, void *arg)
{
    loop->wake_cb = cb;
    loop->wake_arg = arg;
    return 0;
}

void evloop_wake(evloop *loop)
{
    int saved = errno;
    uint64_t one = 1;
    /* Only write(2) here: async-signal-safe. EAGAIN means the counter is about to
     * overflow, i.e. a wake is already pending; there is nobody to report anything else
     * to from a signal handler. */
    ssize_t r = write(loop->efd, &one, sizeof(one));
    (void)r;
    errno = saved;
}

/* ---- loop ---------------------------------------------------------------------------- */

static int internal_watch(evloop *loop, evloop_io *w, int fd, evloop_io_cb cb)
{
    evloop_io_init(w, fd, cb, NULL);
    int rc = loop->ops->add(loop, w, EVLOOP_READ);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    w->events = EVLOOP_READ;
    w->active = true;
    return 0;
}

/* Why the calling thread's last evloop_create failed in choosing its backend. */
static _Thread_local char create_error[200];

const char *evloop_create_error(void)
{
    return create_error;
}

static int try_backend(evloop *loop, const evloop_ops *ops, const char *mode)
{
    const char *why = "init";
    int rc = ops->init(loop, &why);
    if (rc < 0) {
        snprintf(create_error, sizeof(create_error), "PT_EVLOOP=%s: %s backend: %s: %s", mode, ops->name, why,
                 strerror(-rc));
        return rc;
    }
    loop->ops = ops;
    return 0;
}

/* PT_EVLOOP=epoll|uring|auto (unset or empty: epoll, see evloop.h). auto takes io_uring
 * when the kernel lets it (and this build has it), else epoll; uring insists. */
static int select_backend(evloop *loop)
{
    const char *mode = getenv("PT_EVLOOP");
    if (!mode || !*mode)
        mode = "epoll";
    create_error[0] = '\0';
    if (strcmp(mode, "epoll") == 0)
        return try_backend(loop, &evloop_epoll_ops, mode);
    bool force = strcmp(mode, "uring") == 0 || strcmp(mode, "io_uring") == 0;
    if (!force && strcmp(mode, "auto") != 0) {
        snprintf(create_error, sizeof(create_error), "PT_EVLOOP=%.80s: expected epoll, uring or auto", mode);
        return -EINVAL;
    }
#ifdef PT_HAVE_URING
    int rc = try_backend(loop, &evloop_uring_ops, mode);
    if (rc == 0 || force)
        return rc;
#else
    if (force) {
        snprintf(create_error, sizeof(create_error), "PT_EVLOOP=%s: this build has no io_uring backend (no liburing)",
                 mode);
        return -ENOTSUP;
    }
#endif
    return try_backend(loop, &evloop_epoll_ops, mode);
}

evloop *evloop_create(void)
{
    int saved, rc;
    evloop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return NULL;
    loop->tfd = loop->efd = -1;
    rc = select_backend(loop);
    if (rc < 0) {
        errno = -rc;
        goto fail;
    }
    loop->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (loop->tfd < 0)
        goto fail;
    loop->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->efd < 0)
        goto fail;
    if (internal_watch(loop, &loop->tfd_io, loop->tfd, tfd_cb) != 0)
        goto fail;
    if (internal_watch(loop, &loop->efd_io, loop->efd, efd_cb) != 0)
        goto fail;
    loop->now = clock_mono_now();
    return loop;

fail:
    saved = errno;
    evloop_destroy(loop);
    errno = saved;
    return NULL;
}

void evloop_destroy(evloop *loop)
{
    if (!loop)
        return;
    for (size_t i = 0; i < loop->nheap; i++)
        loop->heap[i]->heap_idx = SIZE_MAX;
    free(loop->heap);
    /* The backend first: an io_uring still holds references to the polled files. */
    if (loop->ops)
        loop->ops->fini(loop);
    /* close(2) errors on these private fds leave nothing to recover. */
    if (loop->efd >= 0)
        (void)close(loop->efd);
    if (loop->tfd >= 0)
        (void)close(loop->tfd);
    free(loop);
}

const char *evloop_backend(const evloop *loop)
{
    return loop->ops->name;
}

void evloop_io_init(evloop_io *w, int fd, evloop_io_cb cb, void *data)
{
    w->fd = fd;
    w->events = 0;
    w->cb = cb;
    w->data = data;
    w->active = false;
}

int evloop_io_start(evloop *loop, evloop_io *w, uint32_t events)
{
    if (events & ~(EVLOOP_READ | EVLOOP_WRITE))
        return -EINVAL;
    if (w->active && w->events == events)
        return 0;
    int rc = w->active ? loop->ops->mod(loop, w, events) : loop->ops->add(loop, w, events);
    if (rc < 0)
        return rc;
    if (!w->active) {
        w->active = true;
        loop->nactive++;
    }
    w->events = events;
    return 0;
}

int evloop_io_set(evloop *loop, evloop_io *w, uint32_t events)
{
    return evloop_io_start(loop, w, events);
}

int evloop_io_stop(evloop *loop, evloop_io *w)
{
    if (!w->active)
        return 0;
    w->active = false;
    w->events = 0;
    loop->nactive--;
    /* Why the scan: the batch holds raw pointers to watchers. If w has an entry later in
     * the batch, its owner may free w (or reuse the memory and fd for a new watcher) right
     * after this call; nulling the entries makes the dispatcher skip them. A generation
     * counter in w would not survive w being freed. The scan covers at most EVLOOP_BATCH
     * entries and only happens while a batch is being dispatched. The entry being
     * dispatched is nulled too: it tells the dispatcher that w may be gone. */
    if (loop->dispatching) {
        for (int i = loop->batch_i; i < loop->batch_n; i++) {
            if (loop->batch[i].w == w)
                loop->batch[i].w = NULL;
        }
    }
    return loop->ops->del(loop, w);
}

mono_ns evloop_now(const evloop *loop)
{
    return loop->now;
}

mono_ns evloop_now_update(evloop *loop)
{
    loop->now = clock_mono_now();
    return loop->now;
}

static void dispatch_io(evloop *loop, int n)
{
    loop->batch_n = n;
    loop->dispatching = true;
    for (loop->batch_i = 0; loop->batch_i < n; loop->batch_i++) {
        evloop_ready *e = &loop->batch[loop->batch_i];
        evloop_io *w = e->w;
        if (!w || !w->active)
            continue;
        uint32_t got = e->events & w->events;
        /* Hang-up or error: hand the interest bits along, so a callback that only
         * looks at EVLOOP_READ/EVLOOP_WRITE still reaches its read()/write() and sees it. */
        if (e->events & EVLOOP_ERROR)
            got |= EVLOOP_ERROR | w->events;
        if (!got)
            continue;
        bool internal = evloop_internal(loop, w);
        if (!internal)
            loop->ncb++;
        w->cb(loop, w, got);
        /* Still there (evloop_io_stop nulls the entry): the backend may need to know. */
        if (e->w && !internal && loop->ops->delivered)
            loop->ops->delivered(loop, w);
    }
    loop->dispatching = false;
    loop->batch_n = 0;
}

static void run_timers(evloop *loop)
{
    /* Timers started from here on get seq >= limit and wait for the next iteration:
     * this bounds the step even when a callback restarts its timer at a past time. */
    uint64_t limit = loop->next_seq;
    mono_ns now = loop->now;
    while (loop->nheap > 0) {
        evloop_timer *t = loop->heap[0];
        if (t->when > now || t->seq >= limit)
            break;
        heap_remove(loop, 0);
        loop->ncb++;
        t->cb(loop, t);
    }
}

int evloop_run_once(evloop *loop, bool block)
{
    if (loop->running)
        return -EBUSY;
    int timeout;
    int rc = prepare_wait(loop, block, &timeout);
    if (rc < 0)
        return rc;
    int n = loop->ops->wait(loop, timeout != 0);
    if (n < 0)
        return n;
    loop->now = clock_mono_now();
    loop->running = true;
    loop->ncb = 0;
    dispatch_io(loop, n);
    run_timers(loop);
    loop->running = false;
    return loop->ncb;
}

int evloop_run(evloop *loop)
{
    if (loop->running)
        return -EBUSY;
    loop->broken = false;
    while (!loop->broken && (loop->nactive > 0 || loop->nheap > 0)) {
        int rc = evloop_run_once(loop, true);
        if (rc < 0)
            return rc;
    }
    loop->broken = false;
    return 0;
}

void evloop_break(evloop *loop)
{
    loop->broken = true;
}
