/* evloop_int.h - private interface between evloop.c (timer heap, evloop_now, wake, batch
 * dispatch, backend selection) and the I/O readiness backends evloop_epoll.c and
 * evloop_uring.c. Read by lib/event's own files (and the evloop unit test) only.
 *
 * A backend keeps the kernel's view of the watchers (an epoll set, an io_uring with one
 * poll request per watcher) and, in wait, fills loop->batch with the watchers that are
 * ready and their raw EVLOOP_* bits. evloop.c masks them with each watcher's interest at
 * dispatch time, runs the callbacks, and nulls the batch entries of a watcher stopped
 * during the dispatch (the lifetime rule of evloop.h), so no backend keeps a pointer to a
 * stopped watcher past its del. */
#ifndef PT_EVLOOP_INT_H
#define PT_EVLOOP_INT_H

#include "evloop.h"

/* Ready watchers handed over per wait. Large enough to amortise the syscall under load,
 * small enough that scanning the rest of the batch in evloop_io_stop stays cheap. */
#define EVLOOP_BATCH 256

typedef struct {
    evloop_io *w;    /* NULL: stopped during this dispatch, skip */
    uint32_t events; /* EVLOOP_READ | EVLOOP_WRITE | EVLOOP_ERROR as the kernel said, unmasked */
} evloop_ready;

typedef struct {
    const char *name; /* what evloop_backend() returns */
    /* Sets loop->be; 0 or -errno (nothing to undo on failure), then *why names the step
     * that failed (a static string). */
    int (*init)(evloop *loop, const char **why);
    /* Releases everything init made; loop->be may be NULL. */
    void (*fini)(evloop *loop);
    /* w is not active: registers it with interest events. 0 or -errno. */
    int (*add)(evloop *loop, evloop_io *w, uint32_t events);
    /* w is active with another interest: changes it. 0 or -errno (w unchanged). */
    int (*mod)(evloop *loop, evloop_io *w, uint32_t events);
    /* w was active (already marked inactive): forgets it. 0 or -errno. */
    int (*del)(evloop *loop, evloop_io *w);
    /* Waits (block: until something is ready; else only polls) and fills loop->batch.
     * Returns the number of entries, or -errno (EINTR is 0, not an error). */
    int (*wait)(evloop *loop, bool block);
    /* Optional: w's callback ran for a batch entry and w is still registered (it was not
     * stopped): the io_uring backend re-checks its level here (see evloop_uring.c). */
    void (*delivered)(evloop *loop, evloop_io *w);
} evloop_ops;

extern const evloop_ops evloop_epoll_ops;
#ifdef PT_HAVE_URING
extern const evloop_ops evloop_uring_ops;
#endif

struct evloop {
    const evloop_ops *ops;
    void *be; /* the backend's state */

    int tfd;          /* timerfd, armed to the earliest deadline */
    int efd;          /* eventfd for evloop_wake */
    evloop_io tfd_io; /* internal watchers: not counted in nactive */
    evloop_io efd_io;

    evloop_timer **heap; /* min-heap on (when, seq) */
    size_t nheap;
    size_t heap_cap;
    uint64_t next_seq;
    bool armed; /* tfd armed to armed_when and not yet read as expired */
    mono_ns armed_when;
    mono_ns slack; /* timers may run up to this much late, to share wake-ups */

    mono_ns now;
    size_t nactive; /* active user watchers */

    evloop_ready batch[EVLOOP_BATCH];
    int batch_n; /* entries of the batch being dispatched ... */
    int batch_i; /* ... and the index being dispatched */
    bool dispatching;
    bool running; /* inside evloop_run_once: rejects re-entry */
    bool broken;

    evloop_wake_cb wake_cb;
    void *wake_arg;
    int ncb; /* callbacks run in this iteration */
};

/* True for the loop's own timerfd/eventfd watchers (their callbacks drain the fd). */
static inline bool evloop_internal(const evloop *loop, const evloop_io *w)
{
    return w == &loop->tfd_io || w == &loop->efd_io;
}

#endif
