/* client_int.h - private to the client module (client.c, client_target.c): helpers shared
 * between the target probe and the connection. Not for callers outside ptest/client*.c. */
#ifndef PTEST_CLIENT_INT_H
#define PTEST_CLIENT_INT_H

#include <errno.h>
#include <sys/types.h>

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
    case ETIMEDOUT: return STATS_ERR_CONNECT_TIMEOUT;
    case EMFILE:
    case ENFILE:
    case EADDRNOTAVAIL:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOBUFS:
    case ENOMEM:
    case ENOSPC: return STATS_ERR_LOCAL_LIMIT;
    default: return STATS_ERR_CONNECT_REFUSED;
    }
}

/* client_tls.c: the TLS layer of a connection (c->target->tls != NULL).
 *   client_tls_start   creates c->ssl on the connected socket; 0 or a stats_err kind
 *   client_tls_step    drives the handshake: 1 done, 0 waiting (interest set), -1 failed
 *                      (why filled, and noted as the run's TLS error if it is the first)
 *   client_tls_send / client_tls_recv  as send()/recv(): > 0 bytes, 0 EOF (recv), -1 with
 *                      errno (EAGAIN: wait, the interest is set; EPROTO: a TLS failure,
 *                      noted; else the socket's error)
 *   client_tls_close   frees c->ssl, keeping the slot's session resumable */
int client_tls_start(client_conn *c);
int client_tls_step(client_conn *c, char *why, size_t whylen);
ssize_t client_tls_send(client_conn *c, const void *p, size_t n);
ssize_t client_tls_recv(client_conn *c, void *p, size_t n);
void client_tls_close(client_conn *c);
/* True when OpenSSL holds decrypted bytes that recv() readiness would not show. */
bool client_tls_pending(const client_conn *c);

#endif
