/* ptls.c - the run's TLS client context (OpenSSL) and one-line reasons for TLS failures. */
#include "ptls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* --- the socket BIO: OpenSSL's own writes with write(), so a peer's reset would raise
 * SIGPIPE; this one sends with MSG_NOSIGNAL, as the plain client does. The fd is the BIO's
 * data; the socket is closed by the client, not here. ------------------------------- */

static int fd_of(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *p, int n)
{
    BIO_clear_retry_flags(b);
    ssize_t r = send(fd_of(b), p, (size_t)n, MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)r;
}

static int bio_read(BIO *b, char *p, int n)
{
    BIO_clear_retry_flags(b);
    ssize_t r = recv(fd_of(b), p, (size_t)n, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH || cmd == BIO_CTRL_PUSH || cmd == BIO_CTRL_POP ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ptest socket");
    if (m && (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
              !BIO_meth_set_create(m, bio_create))) {
        BIO_meth_free(m);
        m = NULL;
    }
    return m;
}

/* The slot (SSL_SESSION **) of the connection an SSL belongs to. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    SSL_SESSION **slot = SSL_get_app_data(ssl);
    if (!slot)
        return 0;
    if (*slot)
        SSL_SESSION_free(*slot);
    *slot = sess;
    return 1; /* the slot keeps the reference */
}

/* Encrypted keys would make OpenSSL prompt on the terminal in the middle of a run. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

static void where(const plan *p, enum plan_tls_file which, char *out, size_t len)
{
    static const char *const key[] = {"cacert", "cert", "key"};
    const plan_tls *t = &p->tls;
    if (t->line[which])
        snprintf(out, len, "%s:%u:%u: tls.%s %s", p->source ? p->source : "plan", t->line[which], t->col[which],
                 key[which], t->file[which]);
    else
        snprintf(out, len, "--%s %s", key[which], t->file[which]);
}

/* The library's reason for the failure just seen, from the error queue (emptied). */
static void queue_reason(char *out, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, out, len);
    else
        snprintf(out, len, "%s", fallback);
    ERR_clear_error();
}

static int file_err(const plan *p, enum plan_tls_file which, const char *what, char *err, size_t errlen)
{
    char w[600], why[256];
    where(p, which, w, sizeof(w));
    FILE *f = fopen(p->tls.file[which], "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", w, strerror(errno));
        ERR_clear_error();
        return -1;
    }
    fclose(f);
    queue_reason(why, sizeof(why), "unknown error");
    snprintf(err, errlen, "%s: %s: %s", w, what, why);
    return -1;
}

int ptls_create(ptls **out, const plan *p, uint32_t target, char *err, size_t errlen)
{
    *out = NULL;
    ptls *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const plan_tls *pt = &p->tls;
    const char *host = pt->server_name && target == 0 ? pt->server_name : plan_target_url(p, target)->host;
    unsigned char bin[16];
    bool numeric = inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1;
    t->verify = !pt->insecure;
    t->client_cert = pt->file[PLAN_TLS_CERT] != NULL;
    if (!(numeric ? (t->ip = strdup(host)) : (t->name = strdup(host))))
        goto nomem;
    t->ctx = SSL_CTX_new(TLS_client_method());
    t->bio = bio_method();
    if (!t->ctx || !t->bio)
        goto nomem;
    SSL_CTX *c = t->ctx;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    /* A server that closes without close_notify (common for HTTP/1.1) is an EOF, not an
     * error: the HTTP framing says whether the response was complete. */
    SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Closing a connection sends nothing (as the plain client, which just closes); it also
     * keeps the session resumable (OpenSSL drops sessions of connections freed without a
     * shutdown). */
    SSL_CTX_set_quiet_shutdown(c, 1);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, new_session);
    SSL_CTX_set_default_passwd_cb(c, no_password);
    static const unsigned char alpn[] = "\x08http/1.1";
    if (SSL_CTX_set_alpn_protos(c, alpn, sizeof(alpn) - 1) != 0)
        goto nomem;
    if (t->verify) {
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
        if (pt->file[PLAN_TLS_CACERT]) {
            if (SSL_CTX_load_verify_locations(c, pt->file[PLAN_TLS_CACERT], NULL) != 1) {
                file_err(p, PLAN_TLS_CACERT, "no CA certificate loaded (PEM expected)", err, errlen);
                goto fail;
            }
        } else if (SSL_CTX_set_default_verify_paths(c) != 1) {
            char why[256];
            queue_reason(why, sizeof(why), "unknown error");
            snprintf(err, errlen, "cannot load the system's CA certificates: %s (give --cacert FILE)", why);
            goto fail;
        }
    } else {
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    }
    if (pt->file[PLAN_TLS_CERT]) {
        enum plan_tls_file kf = pt->file[PLAN_TLS_KEY] ? PLAN_TLS_KEY : PLAN_TLS_CERT;
        if (SSL_CTX_use_certificate_chain_file(c, pt->file[PLAN_TLS_CERT]) != 1) {
            file_err(p, PLAN_TLS_CERT, "no client certificate loaded (PEM expected)", err, errlen);
            goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(c, pt->file[kf], SSL_FILETYPE_PEM) != 1) {
            unsigned long e = ERR_peek_last_error();
            bool mismatch = ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
            file_err(p, kf,
                     mismatch              ? "the key does not belong to the client certificate"
                     : kf == PLAN_TLS_CERT ? "no private key in the certificate's file (give --key FILE)"
                                           : "no private key loaded (unencrypted PEM expected)",
                     err, errlen);
            goto fail;
        }
        if (SSL_CTX_check_private_key(c) != 1) {
            file_err(p, kf, "the key does not belong to the client certificate", err, errlen);
            goto fail;
        }
    }
    ERR_clear_error();
    *out = t;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory setting up TLS");
fail:
    ERR_clear_error();
    ptls_destroy(t);
    return -1;
}

void ptls_destroy(ptls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    BIO_meth_free(t->bio);
    free(t->name);
    free(t->ip);
    free(t);
}

SSL *ptls_new(const ptls *t, int fd, SSL_SESSION **slot)
{
    SSL *s = SSL_new(t->ctx);
    BIO *b = s ? BIO_new(t->bio) : NULL;
    if (!b)
        goto fail;
    BIO_set_data(b, (void *)(intptr_t)fd);
    SSL_set_bio(s, b, b);
    if (t->name && SSL_set_tlsext_host_name(s, t->name) != 1)
        goto fail;
    if (t->verify) {
        if (t->name && SSL_set1_host(s, t->name) != 1)
            goto fail;
        if (t->ip && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), t->ip) != 1)
            goto fail;
    }
    SSL_set_app_data(s, slot);
    if (*slot && SSL_set_session(s, *slot) != 1) {
        /* A session the library no longer takes: forget it, connect in full. */
        SSL_SESSION_free(*slot);
        *slot = NULL;
    }
    SSL_set_connect_state(s);
    return s;
fail:
    ERR_clear_error();
    SSL_free(s);
    return NULL;
}

static const char *verify_hint(long v)
{
    switch (v) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "trust its CA with --cacert FILE (plan: tls.cacert), or skip verification with --insecure";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "the certificate is not for this name; tls.server_name sets the name to check";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "the server's certificate is outside its validity period (or this machine's clock is wrong)";
    default: return NULL;
    }
}

void ptls_reason(const ptls *t, SSL *ssl, int ssl_error, int sys_errno, bool handshake, char *out, size_t outlen)
{
    long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (handshake && t->verify && v != X509_V_OK) {
        const char *hint = verify_hint(v);
        const char *name = t->name ? t->name : t->ip ? t->ip : "?";
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(out, outlen,
                     "certificate verify failed: %s (the certificate is not valid for %s; "
                     "tls.server_name sets the name to check)",
                     X509_verify_cert_error_string(v), name);
        else if (hint)
            snprintf(out, outlen, "certificate verify failed: %s (%s)", X509_verify_cert_error_string(v), hint);
        else
            snprintf(out, outlen, "certificate verify failed: %s", X509_verify_cert_error_string(v));
        ERR_clear_error();
        return;
    }
    unsigned long e = ERR_peek_last_error();
    if (ssl_error == SSL_ERROR_SSL && e) {
        char lib[256];
        ERR_error_string_n(e, lib, sizeof(lib));
        const char *hint = NULL;
        if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
            switch (ERR_GET_REASON(e)) {
            case SSL_R_WRONG_VERSION_NUMBER:
            case SSL_R_PACKET_LENGTH_TOO_LONG:
            case SSL_R_UNKNOWN_PROTOCOL:
                if (handshake)
                    hint = "the server did not answer in TLS: plain http on this port?";
                break;
            case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
            case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
            case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
            case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
                if (!t->client_cert)
                    hint = "does the server want a client certificate? --cert FILE --key FILE";
                break;
            default: break;
            }
        }
        if (hint)
            snprintf(out, outlen, "%s (%s)", lib, hint);
        else
            snprintf(out, outlen, "%s", lib);
    } else if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && sys_errno == 0)) {
        snprintf(out, outlen, "the server closed the connection %s",
                 handshake ? "during the TLS handshake "
                             "(plain http on this port, or the server refused the client's TLS offer?)"
                           : "in a TLS record");
    } else if (ssl_error == SSL_ERROR_SYSCALL) {
        snprintf(out, outlen, "%s %s", strerror(sys_errno), handshake ? "during the TLS handshake" : "in TLS");
    } else {
        snprintf(out, outlen, "TLS error %d", ssl_error);
    }
    ERR_clear_error();
}

void ptls_note_error(ptls *t, const char *reason)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&t->err_state, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    snprintf(t->err, sizeof(t->err), "%s", reason);
    __atomic_store_n(&t->err_state, 2, __ATOMIC_RELEASE);
}

const char *ptls_first_error(const ptls *t)
{
    return __atomic_load_n(&t->err_state, __ATOMIC_ACQUIRE) == 2 ? t->err : NULL;
}
