/* ptls.h - the TLS side of an https:// target, on OpenSSL (libssl): one shared client
 * context per run, and the reasons of failures as one line for the user.
 *
 * Context (ptls_create, once at start, read-only afterwards but for the error slot):
 *   - TLS 1.2 and 1.3; ALPN offers "http/1.1" only (HTTP/2 is not spoken);
 *   - verification on unless insecure: the peer's chain against the system store
 *     (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR override them) or, with a
 *     cacert file, against that file instead; the name checked is the target's host name
 *     (or its IP address, for a numeric target), or server_name when given;
 *   - SNI: the host name (never for an IP literal, RFC 6066), or server_name;
 *   - a client certificate (chain) and key for mutual TLS, checked to match;
 *   - session resumption per connection slot: each client_conn keeps the last session
 *     (TLS 1.3 ticket or 1.2 session) its own connections received and offers it on its
 *     next connect, as one user's browser would; no cache is shared between slots or
 *     threads (no lock, and a user's reconnects stay that user's). OpenSSL's internal
 *     client cache is off.
 *   - read/write buffers are released while a connection is idle (SSL_MODE_RELEASE_BUFFERS):
 *     ~34 KiB less per idle connection, which matters on a 1 GiB Pi.
 *
 * Errors: the first TLS failure of the run (its reason, e.g. "certificate verify failed:
 * self-signed certificate in certificate chain") is kept once for the summary
 * (ptls_note_error, thread-safe, first writer wins).
 */
#ifndef PTEST_PTLS_H
#define PTEST_PTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct ssl_st;
struct ssl_ctx_st;
struct ssl_session_st;

struct bio_method_st;

typedef struct ptls {
    struct ssl_ctx_st *ctx;
    struct bio_method_st *bio; /* socket I/O with send(MSG_NOSIGNAL) (no SIGPIPE) */
    char *name;                /* SNI and verified name (NULL: none, an IP target) */
    char *ip;                  /* verified IP address for a numeric target, else NULL */
    bool verify;
    bool client_cert;
    int err_state; /* __atomic: 0 empty, 1 being written, 2 set */
    char err[384]; /* first failure reason, valid when err_state == 2 */
} ptls;

/* Creates the context for p's target number target (plan_target_url; tls.server_name applies
 * to the plan's own target, 0) with p->tls's files and checks. Files that do not load
 * are errors naming where they were set (file:line:col: tls.cacert ..., or --cacert ...).
 * Returns 0, or -1 with err filled. */
int ptls_create(ptls **out, const plan *p, uint32_t target, char *err, size_t errlen);
void ptls_destroy(ptls *t);

/* A new client SSL for fd, with SNI and the name to verify. *slot is the connection
 * slot's session: offered for resumption when not NULL, and replaced by every new session
 * the server sends on this connection (the slot owns a reference; free it with
 * SSL_SESSION_free). slot must outlive the SSL. NULL when out of memory. */
struct ssl_st *ptls_new(const ptls *t, int fd, struct ssl_session_st **slot);

/* The reason a handshake or TLS read/write failed, one line: the verification error
 * (X509_verify_cert_error_string) when the chain or name did not verify, with a hint of
 * what to do; else the library's error queue (ERR_error_string_n), with a hint when the
 * server did not speak TLS at all; else what the socket said (sys_errno, 0 = EOF).
 * Empties this thread's OpenSSL error queue. */
void ptls_reason(const ptls *t, struct ssl_st *ssl, int ssl_error, int sys_errno, bool handshake, char *out,
                 size_t outlen);

/* Keeps reason as the run's first TLS failure unless one is kept already. Thread-safe. */
void ptls_note_error(ptls *t, const char *reason);
/* The first failure's reason, or NULL. Thread-safe. */
const char *ptls_first_error(const ptls *t);

#endif
