/* evloop_epoll.c - the epoll backend of evloop (evloop_int.h): one level-triggered epoll
 * set, the watcher pointer as the event's data. */
#include "evloop_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct {
    int epfd;
    struct epoll_event evs[EVLOOP_BATCH];
} epoll_state;

static int epoll_init(evloop *loop, const char **why)
{
    *why = "epoll_create1";
    epoll_state *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        int rc = -errno;
        free(s);
        return rc;
    }
    loop->be = s;
    return 0;
}

static void epoll_fini(evloop *loop)
{
    epoll_state *s = loop->be;
    if (!s)
        return;
    (void)close(s->epfd); /* nothing to recover from on a private fd */
    free(s);
    loop->be = NULL;
}

static uint32_t to_epoll(uint32_t events)
{
    return ((events & EVLOOP_READ) ? (uint32_t)EPOLLIN : 0u) | ((events & EVLOOP_WRITE) ? (uint32_t)EPOLLOUT : 0u);
}

static int ctl(evloop *loop, int op, evloop_io *w, uint32_t events)
{
    epoll_state *s = loop->be;
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev)); /* a non-NULL event keeps pre-2.6.9 kernels happy on DEL */
    ev.events = to_epoll(events);
    ev.data.ptr = w;
    return epoll_ctl(s->epfd, op, w->fd, &ev) != 0 ? -errno : 0;
}

static int epoll_add(evloop *loop, evloop_io *w, uint32_t events)
{
    return ctl(loop, EPOLL_CTL_ADD, w, events);
}

static int epoll_mod(evloop *loop, evloop_io *w, uint32_t events)
{
    return ctl(loop, EPOLL_CTL_MOD, w, events);
}

static int epoll_del(evloop *loop, evloop_io *w)
{
    return ctl(loop, EPOLL_CTL_DEL, w, 0);
}

static int epoll_wait_batch(evloop *loop, bool block)
{
    epoll_state *s = loop->be;
    int n = epoll_wait(s->epfd, s->evs, EVLOOP_BATCH, block ? -1 : 0);
    if (n < 0)
        return errno == EINTR ? 0 : -errno; /* a signal: still run what is due */
    for (int i = 0; i < n; i++) {
        uint32_t e = s->evs[i].events, got = 0;
        if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP))
            got |= EVLOOP_READ;
        if (e & EPOLLOUT)
            got |= EVLOOP_WRITE;
        if (e & (EPOLLERR | EPOLLHUP))
            got |= EVLOOP_ERROR;
        loop->batch[i].w = s->evs[i].data.ptr;
        loop->batch[i].events = got;
    }
    return n;
}

const evloop_ops evloop_epoll_ops = {
    .name = "epoll",
    .init = epoll_init,
    .fini = epoll_fini,
    .add = epoll_add,
    .mod = epoll_mod,
    .del = epoll_del,
    .wait = epoll_wait_batch,
    .delivered = NULL,
};
