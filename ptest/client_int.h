/* client_int.h - private to the client module (client.c, client_target.c): helpers shared
 * between the target probe and the connection. Not for callers outside ptest/client*.c. */
#ifndef PTEST_CLIENT_INT_H
#define PTEST_CLIENT_INT_H

#include <errno.h>

#include "client.h"
#include "stats.h"

/* The stats_err kind of a failed socket(), connect() (or its SO_ERROR) or epoll_ctl errno.
 * The generator's own limits are STATS_ERR_LOCAL_LIMIT, never the target's fault:
 *   EMFILE  the process's file-descriptor limit (ulimit -n)
 *   ENFILE  the system's file table (fs.file-max)
 *   EADDRNOTAVAIL, EAGAIN  no free local port (net.ipv4.ip_local_port_range; older kernels
 *           said EAGAIN for a TCP connect)
 *   ENOBUFS, ENOMEM  no kernel memory for the socket
 *   ENOSPC  epoll's fs.epoll.max_user_watches */
static inline int client_kind_of_errno(int e)
{
    switch (e) {
    case ETIMEDOUT:
        return STATS_ERR_CONNECT_TIMEOUT;
    case EMFILE:
    case ENFILE:
    case EADDRNOTAVAIL:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
    case ENOMEM:
    case ENOSPC:
        return STATS_ERR_LOCAL_LIMIT;
    default:
        return STATS_ERR_CONNECT_REFUSED;
    }
}

#endif
