/* client_tls.c - a connection's TLS layer: the non-blocking handshake and record I/O on
 * OpenSSL, with WANT_READ / WANT_WRITE turned into the socket's interest in the loop. */
#include "client_int.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ptls.h"

static void want(client_conn *c, uint32_t events)
{
    if (c->io.events != events)
        (void)evloop_io_set(c->loop, &c->io, events);
}

int client_tls_start(client_conn *c)
{
    c->ssl = ptls_new(c->target->tls, c->io.fd, &c->sess);
    if (!c->ssl)
        return STATS_ERR_LOCAL_LIMIT; /* no memory for the TLS state */
    c->t_hs = clock_mono_now();
    c->state = CLIENT_HANDSHAKING;
    return 0;
}

static void note(client_conn *c, int ssl_error, int sys_errno, bool handshake, char *why, size_t whylen)
{
    ptls_reason(c->target->tls, c->ssl, ssl_error, sys_errno, handshake, why, whylen);
    ptls_note_error(c->target->tls, why);
}

int client_tls_step(client_conn *c, char *why, size_t whylen)
{
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->handshake_ns = clock_mono_now() - c->t_hs;
        c->handshaked_now = true;
        c->resumed = SSL_session_reused(c->ssl) == 1;
        return 1;
    }
    int se = errno;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        want(c, EVLOOP_READ);
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        want(c, EVLOOP_READ | EVLOOP_WRITE);
        return 0;
    }
    note(c, e, se, true, why, whylen);
    return -1;
}

/* errno for an SSL_ERROR of a read or write; -1 always. */
static ssize_t io_error(client_conn *c, int e, int se, uint32_t wait)
{
    char why[384];
    switch (e) {
    case SSL_ERROR_WANT_READ:
        want(c, wait);
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        want(c, EVLOOP_READ | EVLOOP_WRITE);
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        errno = se ? se : ECONNRESET;
        return -1;
    default:
        note(c, e, se, false, why, sizeof(why));
        errno = EPROTO;
        return -1;
    }
}

ssize_t client_tls_send(client_conn *c, const void *p, size_t n)
{
    int len = n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
    int r = SSL_write(c->ssl, p, len);
    if (r > 0)
        return r;
    int se = errno;
    /* A write that must read first waits for EVLOOP_READ (on_io retries the write on it). */
    return io_error(c, SSL_get_error(c->ssl, r), se, EVLOOP_READ);
}

ssize_t client_tls_recv(client_conn *c, void *p, size_t n)
{
    int len = n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
    int r = SSL_read(c->ssl, p, len);
    if (r > 0) {
        /* A read that had to write (a key update) set EVLOOP_WRITE: drop it again. */
        if ((c->io.events & EVLOOP_WRITE) && c->state == CLIENT_WAITING)
            want(c, EVLOOP_READ);
        return r;
    }
    int se = errno;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && se == 0)) {
        ERR_clear_error();
        return 0;
    }
    return io_error(c, e, se, c->state == CLIENT_SENDING ? EVLOOP_READ | EVLOOP_WRITE : EVLOOP_READ);
}

bool client_tls_pending(const client_conn *c)
{
    return c->ssl && SSL_has_pending(c->ssl);
}

void client_tls_close(client_conn *c)
{
    if (!c->ssl)
        return;
    /* Quiet shutdown (ptls.c): nothing is sent; a finished connection is marked shut down
     * so that its session stays resumable. */
    if (SSL_is_init_finished(c->ssl))
        (void)SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    ERR_clear_error();
    c->ssl = NULL;
}
