/* evloop_uring.c - the io_uring backend of evloop (evloop_int.h), built when the Makefile
 * finds <liburing.h> (-DPT_HAVE_URING).
 *
 * Readiness, not completion: one multishot IORING_OP_POLL_ADD per watcher (Linux >= 5.13),
 * so a watcher whose interest does not change costs no SQE per event; it is re-armed when
 * a CQE comes without IORING_CQE_F_MORE (the kernel ended it). Interest changes are poll
 * updates (IORING_POLL_UPDATE_EVENTS) of the same request. Every SQE queued during a loop
 * turn goes to the kernel in the one io_uring_enter that also waits (io_uring_submit_and_wait);
 * the timerfd and the wake eventfd of evloop.c are polled like any other fd.
 *
 * Level-triggered, as evloop.h promises: a multishot poll reports arrivals (wake-ups), not
 * levels, so a callback that leaves data unread would not hear of it again. After a
 * watcher's callback ran and the watcher is still registered (the delivered hook), the
 * next flush queues a poll update with the unchanged mask: the kernel re-arms the request,
 * which samples the file's readiness again and posts a CQE at once when it is still ready.
 * That is what epoll does for its level-triggered items after each epoll_wait (it polls
 * them again on the next one), and like there it costs one readiness check per delivered
 * event, here as one SQE in the wait's syscall, not one syscall. The loop's own timerfd
 * and eventfd callbacks always drain their fd and skip the re-check.
 *
 * Watchers are found through a slot table indexed by fd (which also gives epoll's -EEXIST
 * for a second watcher on an fd). The user_data of each request is (kind, generation, fd);
 * the slot's generation changes at every start and stop, so a CQE of a request that was
 * removed or replaced (stop, then close, then the fd number reused) is recognised as stale
 * and never reaches a watcher, freed or new. Removals are queued as SQEs at stop time
 * (submitted at once when the loop is not running, else with the turn's wait). */
#include "evloop_int.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SQ_ENTRIES 256u
#define CQ_ENTRIES 4096u

/* user_data: kind in bits 63..62, generation in 61..32, fd in 31..0. */
#define UD_POLL 0u
#define UD_REMOVE 1u
#define UD_UPDATE 2u
#define GEN_MASK 0x3fffffffu
#define PROBE_UD ((uint64_t)UD_REMOVE << 62) /* ignored if one is ever left over */

typedef struct {
    evloop_io *w;   /* the registered watcher, NULL when none */
    uint32_t gen;   /* changes at every start and stop on this fd */
    uint32_t kgen;  /* generation of the poll request in the kernel, while klive */
    uint32_t kmask; /* its poll mask (UINT32_MAX: unknown, update it) */
    uint32_t bturn; /* turn in which this slot got its batch entry bidx */
    int bidx;
    bool klive;   /* a poll request (fd, kgen) is queued or armed and not ended */
    bool dirty;   /* on the dirty list: flush looks at it */
    bool recheck; /* re-sample the level at the next flush */
} slot;

typedef struct {
    struct io_uring ring;
    slot *slots; /* indexed by fd */
    size_t nslots;
    int *dirty; /* fds of the dirty slots (each at most once) */
    size_t ndirty;
    uint32_t turn;
    uint8_t skip; /* IOSQE_CQE_SKIP_SUCCESS when the kernel has it (>= 5.17), else 0 */
} uring_state;

static uint64_t ud_make(unsigned kind, uint32_t gen, int fd)
{
    return ((uint64_t)kind << 62) | ((uint64_t)(gen & GEN_MASK) << 32) | (uint64_t)(uint32_t)fd;
}

static uint32_t to_poll(uint32_t events)
{
    return ((events & EVLOOP_READ) ? (uint32_t)(POLLIN | POLLRDHUP) : 0u) |
           ((events & EVLOOP_WRITE) ? (uint32_t)POLLOUT : 0u);
}

static uint32_t from_poll(uint32_t m)
{
    return ((m & (POLLIN | POLLPRI | POLLRDHUP)) ? EVLOOP_READ : 0u) | ((m & POLLOUT) ? EVLOOP_WRITE : 0u) |
           ((m & (POLLERR | POLLHUP | POLLNVAL)) ? EVLOOP_ERROR : 0u);
}

/* An SQE; when the queue is full, one submit first (an extra syscall, rare). NULL when
 * the kernel takes none (its CQ backlog is full: -EBUSY). */
static struct io_uring_sqe *sqe_get(uring_state *s)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (!sqe) {
        (void)io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
    }
    return sqe;
}

/* Multishot poll on a fresh eventfd that is already readable: a kernel with multishot
 * poll (>= 5.13) answers with IORING_CQE_F_MORE, an older one with a plain one-shot CQE. */
static int probe_multishot(uring_state *s)
{
    int efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return -errno;
    int rc = -ENOMEM;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (sqe) {
        io_uring_prep_poll_multishot(sqe, efd, POLLIN);
        io_uring_sqe_set_data64(sqe, PROBE_UD);
        rc = io_uring_submit_and_wait(&s->ring, 1);
    }
    struct io_uring_cqe *cqe;
    if (rc >= 0 && (rc = io_uring_peek_cqe(&s->ring, &cqe)) == 0) {
        rc = cqe->res < 0 ? cqe->res : (cqe->flags & IORING_CQE_F_MORE) ? 0 : -EOPNOTSUPP;
        io_uring_cqe_seen(&s->ring, cqe);
    }
    /* Whatever answered: tear the ring down with the probe's request (the caller does on
     * failure); on success remove it and eat its CQEs. */
    if (rc == 0 && (sqe = io_uring_get_sqe(&s->ring))) {
        io_uring_prep_poll_remove(sqe, PROBE_UD);
        io_uring_sqe_set_data64(sqe, PROBE_UD);
        int n = io_uring_submit_and_wait(&s->ring, 2);
        for (int k = 0; n >= 0 && k < 2; k++) {
            if (io_uring_wait_cqe(&s->ring, &cqe) != 0)
                break;
            io_uring_cqe_seen(&s->ring, cqe);
        }
    }
    (void)close(efd);
    return rc;
}

static int uring_init(evloop *loop, const char **why)
{
    const char *fail = getenv("PT_EVLOOP_URING_FAIL"); /* test hook: as if the kernel said no */
    if (fail && *fail && strcmp(fail, "0") != 0) {
        *why = "io_uring_queue_init (PT_EVLOOP_URING_FAIL set)";
        return -ENOSYS;
    }
    uring_state *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    /* COOP_TASKRUN (Linux >= 5.19): completions are run when the loop enters the kernel,
     * not by interrupting it; TASKRUN_FLAG tells liburing's peek when to enter for them. */
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = CQ_ENTRIES;
    int rc = io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
    if (rc == -EINVAL) { /* older kernel: without them */
        memset(&p, 0, sizeof(p));
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        p.cq_entries = CQ_ENTRIES;
        rc = io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
    }
    if (rc < 0) {
        /* ENOSYS: no io_uring, or a seccomp filter (containerd's RuntimeDefault) refusing
         * it; EPERM: kernel.io_uring_disabled or seccomp. */
        *why = "io_uring_queue_init";
        free(s);
        return rc;
    }
    if (!(p.features & IORING_FEAT_NODROP)) {
        *why = "IORING_FEAT_NODROP (Linux >= 5.5)";
        rc = -EOPNOTSUPP;
        goto fail;
    }
    struct io_uring_probe *pr = io_uring_get_probe_ring(&s->ring);
    bool ops_ok =
        pr && io_uring_opcode_supported(pr, IORING_OP_POLL_ADD) && io_uring_opcode_supported(pr, IORING_OP_POLL_REMOVE);
    if (pr)
        io_uring_free_probe(pr);
    if (!ops_ok) {
        *why = "io_uring_get_probe: IORING_OP_POLL_ADD/POLL_REMOVE (Linux >= 5.6)";
        rc = -EOPNOTSUPP;
        goto fail;
    }
    if (p.features & IORING_FEAT_CQE_SKIP)
        s->skip = IOSQE_CQE_SKIP_SUCCESS; /* updates and removes: no CQE unless they fail */
    rc = probe_multishot(s);
    if (rc < 0) {
        *why = "multishot IORING_OP_POLL_ADD (Linux >= 5.13)";
        goto fail;
    }
    loop->be = s;
    return 0;

fail:
    io_uring_queue_exit(&s->ring);
    free(s);
    return rc;
}

static void uring_fini(evloop *loop)
{
    uring_state *s = loop->be;
    if (!s)
        return;
    io_uring_queue_exit(&s->ring); /* cancels every request and drops its file references */
    free(s->slots);
    free(s->dirty);
    free(s);
    loop->be = NULL;
}

static int slots_grow(uring_state *s, int fd)
{
    size_t want = (size_t)fd + 1;
    if (want <= s->nslots)
        return 0;
    size_t cap = s->nslots ? s->nslots : 64;
    while (cap < want)
        cap *= 2;
    slot *ns = realloc(s->slots, cap * sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    s->slots = ns;
    memset(ns + s->nslots, 0, (cap - s->nslots) * sizeof(*ns));
    int *nd = realloc(s->dirty, cap * sizeof(*nd));
    if (!nd)
        return -ENOMEM; /* slots stay grown: harmless */
    s->dirty = nd;
    s->nslots = cap;
    return 0;
}

static void mark_dirty(uring_state *s, int fd)
{
    slot *sl = &s->slots[fd];
    if (sl->dirty)
        return;
    sl->dirty = true;
    s->dirty[s->ndirty++] = fd;
}

static int uring_add(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events; /* read from w->events at the flush */
    uring_state *s = loop->be;
    if (w->fd < 0)
        return -EBADF;
    int rc = slots_grow(s, w->fd);
    if (rc < 0)
        return rc;
    slot *sl = &s->slots[w->fd];
    if (sl->w)
        return -EEXIST;
    sl->w = w;
    sl->gen = (sl->gen + 1) & GEN_MASK;
    sl->recheck = false;
    mark_dirty(s, w->fd);
    return 0;
}

static int uring_mod(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    mark_dirty(loop->be, w->fd);
    return 0;
}

static int uring_del(evloop *loop, evloop_io *w)
{
    uring_state *s = loop->be;
    slot *sl = &s->slots[w->fd];
    sl->w = NULL;
    sl->gen = (sl->gen + 1) & GEN_MASK;
    sl->recheck = false;
    if (!sl->klive)
        return 0; /* never submitted, or ended by the kernel */
    sl->klive = false;
    struct io_uring_sqe *sqe = sqe_get(s);
    if (!sqe)
        return -EBUSY;
    io_uring_prep_poll_remove(sqe, ud_make(UD_POLL, sl->kgen, w->fd));
    io_uring_sqe_set_data64(sqe, ud_make(UD_REMOVE, 0, w->fd));
    sqe->flags |= s->skip;
    if (!loop->running) {
        /* Outside the loop nobody may submit soon: the request holds a reference to the
         * file, which would keep a closed socket open until then. */
        int rc = io_uring_submit(&s->ring);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
            return rc;
    }
    return 0;
}

static void uring_delivered(evloop *loop, evloop_io *w)
{
    uring_state *s = loop->be;
    s->slots[w->fd].recheck = true;
    mark_dirty(s, w->fd);
}

/* Turns the changes of this turn into SQEs: one per dirty slot at most. -EBUSY when the
 * SQ stays full: the rest waits for the next turn. */
static int flush(uring_state *s)
{
    size_t i;
    for (i = 0; i < s->ndirty; i++) {
        int fd = s->dirty[i];
        slot *sl = &s->slots[fd];
        if (sl->w) {
            uint32_t mask = to_poll(sl->w->events);
            struct io_uring_sqe *sqe;
            if (!sl->klive) {
                if (!(sqe = sqe_get(s)))
                    break;
                io_uring_prep_poll_multishot(sqe, fd, mask);
                io_uring_sqe_set_data64(sqe, ud_make(UD_POLL, sl->gen, fd));
                sl->klive = true;
                sl->kgen = sl->gen;
                sl->kmask = mask;
            } else if (sl->recheck || mask != sl->kmask) {
                if (!(sqe = sqe_get(s)))
                    break;
                uint64_t ud = ud_make(UD_POLL, sl->kgen, fd);
                /* new_user_data must be 0 without IORING_POLL_UPDATE_USER_DATA (-EINVAL) */
                io_uring_prep_poll_update(sqe, ud, 0, mask, IORING_POLL_UPDATE_EVENTS | IORING_POLL_ADD_MULTI);
                io_uring_sqe_set_data64(sqe, ud_make(UD_UPDATE, sl->kgen, fd));
                sqe->flags |= s->skip;
                sl->kmask = mask;
            }
        }
        sl->recheck = false;
        sl->dirty = false;
    }
    if (i == s->ndirty) {
        s->ndirty = 0;
        return 0;
    }
    memmove(s->dirty, s->dirty + i, (s->ndirty - i) * sizeof(*s->dirty));
    s->ndirty -= i;
    return -EBUSY;
}

/* One CQE: updates the slot and maybe adds a batch entry. */
static int take(evloop *loop, uring_state *s, const struct io_uring_cqe *cqe, int n)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    unsigned kind = (unsigned)(ud >> 62);
    uint32_t gen = (uint32_t)(ud >> 32) & GEN_MASK;
    int fd = (int)(uint32_t)ud;
    if (kind == UD_REMOVE || fd < 0 || (size_t)fd >= s->nslots)
        return n;
    slot *sl = &s->slots[fd];
    if (!sl->klive || sl->kgen != gen)
        return n; /* a request that was removed or replaced: nobody's business */
    if (kind == UD_UPDATE) {
        /* -ENOENT: the request ended; its last CQE re-arms. Anything else (-EALREADY:
         * it was being completed) leaves the old mask armed: update again next turn. */
        if (cqe->res < 0 && cqe->res != -ENOENT) {
            sl->kmask = UINT32_MAX;
            mark_dirty(s, fd);
        }
        return n;
    }
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        sl->klive = false; /* ended: re-armed at the flush if still wanted */
        mark_dirty(s, fd);
    }
    uint32_t bits = cqe->res >= 0 ? from_poll((uint32_t)cqe->res) : cqe->res == -ECANCELED ? 0u : EVLOOP_ERROR;
    if (!bits || !sl->w)
        return n;
    if (sl->bturn == s->turn && sl->bidx < n && loop->batch[sl->bidx].w == sl->w) { /* one entry each */
        loop->batch[sl->bidx].events |= bits;
        return n;
    }
    sl->bturn = s->turn;
    sl->bidx = n;
    loop->batch[n].w = sl->w;
    loop->batch[n].events = bits;
    return n + 1;
}

static int uring_wait(evloop *loop, bool block)
{
    uring_state *s = loop->be;
    for (;;) {
        bool wait = block;
        if (flush(s) == -EBUSY)
            wait = false; /* the SQ stays full: drain the CQ first */
        int rc = io_uring_submit_and_wait(&s->ring, wait ? 1u : 0u);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
            return rc;
        /* EINTR (a signal: still run what is due), EAGAIN/EBUSY (CQ backlog): take what
         * is there. At most EVLOOP_BATCH CQEs per turn; the rest end the next wait at once. */
        struct io_uring_cqe *cqes[EVLOOP_BATCH];
        unsigned got = io_uring_peek_batch_cqe(&s->ring, cqes, EVLOOP_BATCH);
        s->turn++;
        int n = 0;
        for (unsigned i = 0; i < got; i++)
            n = take(loop, s, cqes[i], n);
        io_uring_cq_advance(&s->ring, got);
        /* Only stale or bookkeeping CQEs (a removed poll's -ECANCELED): epoll would not
         * have returned, so neither do we. Nothing at all (EINTR) returns. */
        if (n > 0 || !block || got == 0)
            return n;
    }
}

const evloop_ops evloop_uring_ops = {
    .name = "io_uring",
    .init = uring_init,
    .fini = uring_fini,
    .add = uring_add,
    .mod = uring_mod,
    .del = uring_del,
    .wait = uring_wait,
    .delivered = uring_delivered,
};
