/* evloop.h - single-threaded readiness event loop (io_uring or epoll) with high-resolution timers.
 *
 * One loop per thread (shared-nothing). I/O watchers and timers are structs owned and
 * embedded by the caller (no allocation per event); the loop only keeps pointers to them,
 * so a watcher/timer must stay alive until it is removed/stopped or the loop is destroyed.
 *
 * Timers live in a binary min-heap (O(log n) start/stop, hundreds of thousands pending is
 * fine) and are driven by one timerfd armed with TFD_TIMER_ABSTIME on CLOCK_MONOTONIC,
 * which gives sub-millisecond precision (epoll_wait's own timeout is in ms).
 * Callbacks may start/stop any timer and add/remove any watcher, including their own.
 *
 * Lifetime rule (the one thing to get right): call evloop_io_stop(w) BEFORE close(w->fd) and
 * before freeing w, and evloop_timer_stop(t) before freeing t. Doing so is safe at any time,
 * also from a callback while w still has an event pending in the current batch (e.g. the
 * callback for connection A closes connection B): evloop_io_stop drops B's pending event, so
 * the loop never touches B again, even if B's memory or fd number is reused at once.
 *
 * One iteration: wait (level-triggered) -> refresh evloop_now -> run the I/O callbacks
 * of the batch -> run every timer whose deadline <= evloop_now, earliest first (equal deadlines
 * in start order). A timer (re)started during that step with a deadline <= evloop_now runs in
 * the next iteration, so a timer that keeps restarting itself "now" cannot starve I/O.
 *
 * Platform seam: this header is the interface; evloop.c is the common part (timer heap,
 * timerfd, wake, dispatch) and the I/O readiness backends sit behind evloop_int.h:
 * evloop_epoll.c (epoll) and evloop_uring.c (io_uring, built where <liburing.h> is: the
 * Makefile's URING). Nothing outside them includes <sys/epoll.h> or <liburing.h>.
 *
 * Backends, chosen per loop at evloop_create by the environment variable PT_EVLOOP:
 *   epoll (or unset/empty) epoll: the default, because io_uring in this readiness form was
 *                          measured no cheaper (bench/README.md: msdemo CPU per request
 *                          1.00x nginx on io_uring, 0.94x on epoll); it pays once the
 *                          callers move to completions (recv with provided buffers)
 *   auto                   io_uring when the kernel allows it, else epoll (io_uring_queue_init
 *                          failing with ENOSYS/EPERM, as under containerd's RuntimeDefault
 *                          seccomp, kernel.io_uring_disabled or qemu-user; or no multishot
 *                          poll, Linux < 5.13); evloop_create_error() then says why
 *   uring (io_uring)       io_uring or evloop_create fails (errno and evloop_create_error())
 * Both keep this whole contract, level-triggered readiness and the lifetime rule included.
 * io_uring keeps one multishot IORING_OP_POLL_ADD per watcher and submits every change of a
 * turn in the one io_uring_enter that also waits. A multishot poll reports arrivals, not a
 * level, so after each callback whose watcher is still registered the backend re-checks the
 * level (a poll update with the same mask, in the next turn's submit): an fd the callback
 * did not drain is reported again on the next iteration, exactly as with epoll (one kernel
 * readiness check per delivered event in both). Differences a caller can see: with io_uring,
 * evloop_io_start finds a bad fd only when it is -1 (a closed one is reported later as
 * EVLOOP_ERROR), evloop_io_stop cannot report -EBADF, and a regular file is always ready
 * instead of -EPERM. A stopped watcher's poll is removed in the next submit (at once when
 * the loop is not running), so its file is really closed by then.
 * Not thread-safe except evloop_wake(), which may be called from any thread or a signal handler.
 */
#ifndef PT_EVLOOP_H
#define PT_EVLOOP_H

#include "clock.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evloop evloop;
typedef struct evloop_io evloop_io;
typedef struct evloop_timer evloop_timer;

/* Event bits for evloop_io (independent of epoll's values). */
#define EVLOOP_READ 0x1u
#define EVLOOP_WRITE 0x2u
#define EVLOOP_ERROR                                                                                                   \
    0x4u /* reported only: error or hang-up on the fd; it comes together
                           with the watcher's interest bits, so a read()/write() in the
                           callback sees the EOF or error */

typedef void (*evloop_io_cb)(evloop *loop, evloop_io *w, uint32_t events);
typedef void (*evloop_timer_cb)(evloop *loop, evloop_timer *t);
typedef void (*evloop_wake_cb)(evloop *loop, void *arg);

struct evloop_io {
    int fd;          /* read-only while active */
    uint32_t events; /* current interest set (read-only for the caller) */
    evloop_io_cb cb;
    void *data;  /* for the caller */
    bool active; /* read-only for the caller */
};

struct evloop_timer {
    mono_ns when; /* absolute CLOCK_MONOTONIC deadline (read-only while pending) */
    evloop_timer_cb cb;
    void *data;      /* for the caller */
    size_t heap_idx; /* private; SIZE_MAX when not pending */
    uint64_t seq;    /* private; start order, breaks ties between equal deadlines */
};

/* Creates a loop on the backend PT_EVLOOP chooses (see Backends above). Returns NULL on
 * failure (errno set; evloop_create_error() says why when the backend could not start). */
evloop *evloop_create(void);
/* The calling thread's last evloop_create: why its backend choice failed ("PT_EVLOOP=uring:
 * io_uring backend: io_uring_queue_init: Operation not permitted"), or, when it succeeded
 * on epoll because PT_EVLOOP=auto could not have io_uring, why not; "" otherwise. */
const char *evloop_create_error(void);
/* Destroys the loop (NULL is fine); watchers and timers still registered are simply
 * forgotten (timers are marked not pending; evloop_io structs must be re-initialised before
 * use with another loop). Not from inside one of the loop's callbacks. */
void evloop_destroy(evloop *loop);

/* The I/O readiness backend this loop runs on: "epoll". */
const char *evloop_backend(const evloop *loop);

/* Initialises w for fd with callback cb (does not register it). */
void evloop_io_init(evloop_io *w, int fd, evloop_io_cb cb, void *data);
/* Registers w, or changes its interest if already active, to events (EVLOOP_READ|EVLOOP_WRITE,
 * possibly 0: then only EVLOOP_ERROR is reported). Level-triggered. Events of the current
 * batch not in the new interest set are not delivered. The two names are synonyms.
 * Returns 0, -EINVAL for unknown bits, or -errno from epoll_ctl (e.g. -EEXIST when another
 * watcher already has fd, with either backend); on error w keeps its previous state. */
int evloop_io_start(evloop *loop, evloop_io *w, uint32_t events);
int evloop_io_set(evloop *loop, evloop_io *w, uint32_t events);
/* Unregisters (safe to call when not active). Pending events for w in the current
 * iteration are discarded (both backends). w is inactive afterwards in any case; the return
 * is 0 or -errno from epoll_ctl (e.g. -EBADF when fd was closed first, which breaks the
 * lifetime rule above; io_uring cannot tell and returns 0). */
int evloop_io_stop(evloop *loop, evloop_io *w);

/* Initialises t as not pending. Required before first use (a zeroed struct is "pending"). */
void evloop_timer_init(evloop_timer *t, evloop_timer_cb cb, void *data);
/* (Re)starts t to fire at the absolute monotonic time when (a time in the past fires in
 * the next iteration). Returns 0, or -ENOMEM when the heap cannot grow (t unchanged).
 * t is not pending any more when its callback runs, so the callback may restart it. */
int evloop_timer_start(evloop *loop, evloop_timer *t, mono_ns when);
/* Stops t if pending; safe otherwise. */
void evloop_timer_stop(evloop *loop, evloop_timer *t);
static inline bool evloop_timer_pending(const evloop_timer *t)
{
    return t->heap_idx != SIZE_MAX;
}
/* Number of pending timers. */
size_t evloop_timer_count(const evloop *loop);
/* Timer coalescing: the loop may run a timer up to slack ns after its deadline (never
 * before it), so that expiries close together share one wake-up instead of one each.
 * When the loop is already awake (I/O), due timers run at once whatever the slack.
 * Default 0: each deadline gets its own wake-up. */
void evloop_set_timer_slack(evloop *loop, mono_ns slack);

/* Cached monotonic time of the current loop iteration (refreshed after each wait). */
mono_ns evloop_now(const evloop *loop);
/* Refreshes and returns the cached time. */
mono_ns evloop_now_update(evloop *loop);

/* Registers a wake callback (cb may be NULL) run on the loop thread after evloop_wake()
 * (eventfd based). Several evloop_wake() calls before the loop notices run it once.
 * Returns 0. */
int evloop_set_wake(evloop *loop, evloop_wake_cb cb, void *arg);
/* Async-signal-safe and thread-safe (preserves errno): wakes the loop and runs the wake
 * callback. The loop must outlive every concurrent caller. */
void evloop_wake(evloop *loop);

/* Runs until evloop_break() or until there is nothing left to wait for (no active watcher and
 * no pending timer; the wake mechanism does not count). Returns 0, or -errno on a fatal
 * epoll error, or -EBUSY when called from one of the loop's own callbacks (the loop is not
 * reentrant). Clears an earlier evloop_break() on entry. */
int evloop_run(evloop *loop);
/* Runs one iteration: waits at most until the next timer (or forever if block and none);
 * with block == false it only polls. Returns number of callbacks run (I/O, timer and wake
 * callbacks), or -errno; -EBUSY when called from one of the loop's own callbacks. */
int evloop_run_once(evloop *loop, bool block);
/* Makes evloop_run return after the current iteration. Only from the loop's thread. */
void evloop_break(evloop *loop);

#endif
