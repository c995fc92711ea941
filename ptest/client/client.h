/* client.h - one HTTP/1.1 client connection of the load engine, on lib/http and lib/evloop.
 *
 * Requests are rendered to wire bytes once per plan request at start (client_req_render),
 * so sending is one send() of a shared read-only buffer. Responses are parsed in place in
 * the connection's read buffer (Content-Length, chunked, until-close, HEAD, 1xx skipped);
 * body bytes are never copied: they are skipped, and fed through a streaming substring
 * matcher (KMP) when the request expects `body_contains`, which finds the text anywhere in
 * a body of any size, across reads and chunk boundaries, with no accumulation buffer.
 * Redirects are not followed.
 *
 * Keep-alive: a connection stays open after a response unless the server said
 * `Connection: close`, the body was delimited by close, or an error happened; it
 * reconnects on the next client_send. The scenario's connection policy (c->ctl, plan.h's
 * plan_conn) closes it on purpose: keep_alive false and the last request allowed by
 * max_requests_per_connection are sent with `Connection: close` (the request's second
 * rendering, wire_close) and the connection is closed after their response; a connection
 * past connection_lifetime is closed after the response it carries, or, found idle and too
 * old by client_send, before the request goes out. Never under a request: what is sent is
 * answered on the same connection. The next request's connect (and TLS handshake, resuming
 * the slot's session) is then part of that request, so of its latency.
 *
 * Instances: when c->inst is set, the value of a response's X-Served-By header is looked up
 * in that table as the head is parsed (instances.h; no copy, no allocation) and its slot
 * reported in client_result.instance. When a reused connection turns out to be closed by
 * the server before any byte of the response arrived (a keep-alive race, not a server
 * failure), the request is transparently resent once on a new connection.
 *
 * TLS (target->tls set, ptls.h): after the TCP connect the connection is HANDSHAKING, driven
 * by the same loop (OpenSSL's WANT_READ / WANT_WRITE become the socket's interest); then
 * requests go through SSL_write / SSL_read with the same framing. The handshake counts
 * against the connect timeout; its time is reported apart (client_result.handshake_ns), so
 * the service time stays the request's own. A failed handshake is STATS_ERR_TLS and a
 * connect failure (the target's), with the library's reason kept once (ptls_note_error).
 * Each connection slot keeps its last TLS session and resumes it on reconnect.
 *
 * Timeouts are not timers per request: the owner calls client_check_timeout from a periodic
 * sweep (cheaper than a heap operation per request; precision = the sweep period).
 *
 * Threading: a client_conn belongs to the thread of its loop. client_req and client_target
 * are read-only after setup and shared by all threads.
 */
#ifndef PTEST_CLIENT_H
#define PTEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"
#include "dns.h"
#include "evloop.h"
#include "http.h"
#include "instances.h"
#include "plan.h"
#include "vars.h"

#define CLIENT_RBUF_SIZE 16384 /* per connection; also the largest response head accepted */

/* One address of the target. */
typedef struct client_addr {
    struct sockaddr_storage sa;
    socklen_t len;
} client_addr;

#define CLIENT_MAX_ADDRS DNS_MAX_ADDRS

/* A set of addresses of the target, in the order connections use them (>= 1). */
typedef struct client_addrset {
    uint32_t n;
    client_addr a[CLIENT_MAX_ADDRS];
    struct client_addrset *prev; /* the set this one replaced (freed by client_target_fini) */
} client_addrset;

/* Where to connect and the plan's timeouts. The addresses are resolved at start (first)
 * and may be renewed during the run by one other thread (client_target_renew): the
 * current set is then a new one, published atomically; sets are never freed before
 * client_target_fini, so a connection may keep pointing into an old one. Connection number
 * id (client_conn_init) uses address id % n of the current set, so the connections are
 * spread round-robin over every address of the name at no cost per request; when a renewal
 * moves a connection's address, the connection is closed after its current response and
 * the next request connects to the new one. Copying a client_target is fine until a
 * renewal happened. */
typedef struct client_target {
    client_addrset first;
    client_addrset *renewed; /* NULL, or the current set (atomic: written by the renewer) */
    uint64_t connect_timeout_ns;
    uint64_t request_timeout_ns;
    struct ptls *tls; /* https: the run's TLS context (ptls.h), else NULL */
} client_target;

/* The current address set (acquire: its contents are complete). */
static inline const client_addrset *client_target_addrs(const client_target *t)
{
    const client_addrset *r = __atomic_load_n(&t->renewed, __ATOMIC_ACQUIRE);
    return r ? r : &t->first;
}

/* Resolves host with lib/dns (numeric, /etc/hosts, then DNS with the resolv.conf search
 * list; the same code in static and dynamic builds, since static glibc cannot query DNS),
 * bounded by connect_timeout_ns, then probes every address with a short non-blocking
 * connect, all at once: the addresses that accept within connect_timeout_ns (and at most
 * 250 ms after the first one did) are kept, in resolver order (IPv4 first), so that e.g.
 * "localhost" works whether the server listens on ::1 or 127.0.0.1. Returns 0; -1 when the
 * name does not resolve (err: "cannot resolve NAME: why"); -2 when no address accepts a
 * connection (*kind is then the stats_err of the last address: STATS_ERR_CONNECT_REFUSED
 * or _TIMEOUT). err gets a message either way (on success: the chosen addresses,
 * "127.0.0.1:8080" or "10.0.0.1:8080, 10.0.0.2:8080"). t is zeroed first but for the
 * timeouts and tls. */
int client_target_resolve(client_target *t, const char *host, uint16_t port, uint64_t connect_timeout_ns, int *kind,
                          char *err, size_t errlen);
/* The same with the addresses given (a pinned name, plan dns.resolve): probed, not looked up. */
int client_target_use(client_target *t, const dns_addr *addrs, size_t n, uint16_t port, uint64_t connect_timeout_ns,
                      int *kind, char *err, size_t errlen);
/* Looks host up again (the renewer's thread; one renewer per target). Addresses already in
 * use are kept without a probe, new ones are probed; when the result differs from the
 * current set it becomes the current set. Returns 1 (changed; msg: the new addresses), 0
 * (the same), or -1 (the lookup failed or no address answered; the current set stays; msg:
 * why). */
int client_target_renew(client_target *t, const char *host, uint16_t port, char *msg, size_t msglen);
/* Formats the current addresses ("10.0.0.1:8080, 10.0.0.2:8080") into out. */
void client_target_format(const client_target *t, char *out, size_t outlen);
/* One address (tests, and callers that connect to a known address). */
void client_target_set_addr(client_target *t, const struct sockaddr *sa, socklen_t len);
/* Frees the renewed sets (no-op when there were none). No connection may use t after. */
void client_target_fini(client_target *t);

/* A request rendered for the wire. */
typedef struct client_req {
    const plan_request *src;
    uint32_t label;    /* index into the engine's label table */
    bool head;         /* HEAD: no response body */
    int expect_status; /* 0: any 1xx..3xx is success, >= 400 an error */
    char *wire;        /* request line, headers, blank line, body (owned) */
    size_t wire_len;
    char *wire_close; /* the same with `Connection: close` (replacing a Connection header of
                         the plan), for the last request of a connection (owned) */
    size_t wire_close_len;
    char *expect; /* body_contains text (owned copy) or NULL */
    size_t expect_len;
    uint32_t *kmp;               /* failure function of expect (owned) */
    char *url;                   /* "http://host:port/base/path" for reports (owned) */
    const client_target *target; /* where it goes (set by the engine for a plan with several
                                    targets); NULL: the connection's own */
    /* A templated request (plan_request.templated): wire and wire_close hold the text as
     * written (for reports); what is sent is rendered per send by client_req_expand. */
    vars_tpl tpl_head, tpl_head_close; /* request line and headers, without Content-Length */
    vars_tpl tpl_body;
    bool content_length; /* the rendered request carries Content-Length */
} client_req;

#define CLIENT_MAX_WIRE 16384 /* a request rendered per send (a user's buffer) */

/* Renders templated request r into out[0..cap) with env's values: the head (closing: the
 * one with `Connection: close`), extra (complete header lines, e.g. a Cookie header; may
 * be NULL), Content-Length of the expanded body, the blank line and the body. Returns 0
 * with *len set, or VARS_ETOOBIG / VARS_EBADVALUE (vars.h). */
int client_req_expand(const client_req *r, bool closing, const vars_env *env, const char *extra, size_t extra_len,
                      char *out, size_t cap, size_t *len);

/* Renders pr of plan p (target, plan-wide headers, the request's headers, body), twice:
 * as is (wire) and with `Connection: close` (wire_close).
 * Added unless the request sets them: Host, User-Agent. Content-Length is computed
 * (a Content-Length or Transfer-Encoding given in the plan is refused). Returns 0, or -1
 * with err filled (invalid method, path or header bytes; allocation failure). */
int client_req_render(client_req *r, const plan *p, const plan_request *pr, uint32_t label, char *err, size_t errlen);
void client_req_fini(client_req *r);

/* Outcome of one request. */
typedef struct client_result {
    int kind;              /* enum stats_err */
    int status;            /* HTTP status when a response head was parsed, else 0 */
    mono_ns intended;      /* as given to client_send */
    mono_ns t_send;        /* first byte sent (0 if never sent) */
    mono_ns t_first;       /* first response byte (0 if none) */
    mono_ns t_done;        /* completion or failure */
    uint64_t connect_ns;   /* time to connect when this request opened a connection */
    uint64_t handshake_ns; /* TLS: time of the handshake after the connect (0 if none) */
    bool handshake;        /* TLS: this request completed a handshake ... */
    bool resumed;          /* ... that resumed the slot's previous session */
    bool connected;        /* this request established a new connection (TLS: with its
                                handshake) */
    bool conn_failed;      /* the kind is a failure to connect to the target (a local
                                limit, STATS_ERR_LOCAL_LIMIT, is not: nothing was sent) */
    int instance;          /* with c->inst: the slot of the response's X-Served-By value
                                (instances_find), else -1 (no such header, no response) */
    uint64_t bytes_rx, bytes_tx;
} client_result;

typedef struct client_conn client_conn;

/* What the owner adds to a connection's requests (journeys: variables, extraction,
 * cookies), set in c->hooks; NULL for plain requests (the hot path then never calls out).
 *   render  before each attempt, once c->closing is decided: may point c->wire/c->wire_len
 *           at the request rendered for this send (else the shared wire goes out); returns
 *           0 or a stats_err kind (the request fails unsent)
 *   head    a response head was parsed (its headers are valid during the call)
 *   done    a complete response, before it is delivered: returns the kind to report
 *           (given: the client's own verdict) */
typedef int (*client_render_fn)(client_conn *c);
typedef void (*client_head_fn)(client_conn *c, const http_response *res);
typedef int (*client_verdict_fn)(client_conn *c, int kind);
typedef struct client_hooks {
    client_render_fn render;
    client_head_fn head;
    client_verdict_fn done;
} client_hooks;

/* Called once per client_send with the outcome. The connection is idle (open or closed)
 * when it runs, so the callback may call client_send on it again. */
typedef void (*client_done_fn)(client_conn *c, const client_result *r);

enum client_state {
    CLIENT_CLOSED,      /* no socket */
    CLIENT_IDLE,        /* connected, no request */
    CLIENT_CONNECTING,  /* request pending, connect in progress */
    CLIENT_HANDSHAKING, /* request pending, TLS handshake in progress */
    CLIENT_SENDING,     /* request partly sent */
    CLIENT_WAITING,     /* request sent, reading the response */
    CLIENT_FAILING      /* failure to report from the next loop iteration */
};

struct client_conn {
    evloop_io io;
    evloop_timer defer; /* reports failures found inside client_send asynchronously */
    evloop *loop;
    const client_target *target;
    const struct sockaddr *sa; /* this connection's address in target */
    socklen_t salen;
    const client_addrset *set; /* the set sa was picked from */
    client_done_fn done;
    void *owner; /* for the caller */
    uint32_t id; /* for the caller */
    int state;   /* enum client_state; read-only for the caller */
    const client_req *req;
    mono_ns intended, t_conn, t_send, t_first;
    uint64_t connect_ns;
    bool connected_now, retried;
    bool closing;              /* this request is the connection's last (wire_close sent) */
    uint8_t inst_hint;         /* the previous response's X-Served-By slot: tried first */
    int16_t instance;          /* slot of this response's X-Served-By, -1: none */
    const plan_conn *ctl;      /* connection policy (plan.h), NULL: keep-alive, no limits; set
                             by the owner after client_conn_init */
    instances *inst;           /* X-Served-By table of the owner's thread, or NULL (not looked at) */
    const client_hooks *hooks; /* journeys (above), or NULL */
    const char *wire;          /* hooks->render's request for this attempt, or NULL */
    size_t wire_len;
    char *kept;      /* when the owner keeps bodies (extraction): kept_cap bytes of its own */
    size_t kept_cap; /* 0: bodies are not kept */
    size_t kept_len; /* bytes of this response's body kept */
    bool kept_trunc; /* the body was longer than kept_cap */
    /* TLS */
    struct ssl_st *ssl;          /* NULL for plain HTTP or while closed */
    struct ssl_session_st *sess; /* the slot's last session (owned) */
    mono_ns t_hs;                /* handshake start */
    uint64_t handshake_ns;
    bool handshaked_now, resumed, hs_failed;
    uint32_t served; /* responses completed on the current socket */
    size_t sent;
    int fail_kind;
    uint32_t gen; /* counts delivered results */
    /* response */
    bool head_done, matched, keep_alive;
    int status;
    int body; /* enum http_body_kind */
    uint64_t remaining;
    http_chunked chunk;
    size_t match;
    uint64_t bytes_rx;
    char *rbuf;
    size_t rlen, rcap;
    char *scratch; /* NULL, or a buffer of rcap bytes shared by the connections of the
                      owner's thread (set by the owner after client_conn_init): a read
                      that starts a response goes there, and only bytes still needed
                      after parsing it (an incomplete head) are copied to rbuf, so that
                      rbuf's pages are touched only by responses that arrive in pieces */
};

/* Prepares c (closed) for loop and target; rbuf of rcap bytes is the read buffer (owned by
 * the caller, at least 1024 bytes; CLIENT_RBUF_SIZE recommended). id also picks the
 * address, number id % n of the target's current set (the engine numbers its connections
 * 1, 2, ...), again at each connect. */
void client_conn_init(client_conn *c, evloop *loop, const client_target *target, char *rbuf, size_t rcap,
                      client_done_fn done, void *owner, uint32_t id);
/* Sends req, connecting first if needed (to req->target when it is set and not c's: the
 * connection moves there, closing its socket to the other one); intended is the time the
 * request was due (for latency). c must be CLIENT_CLOSED or CLIENT_IDLE. The outcome always comes through the
 * done callback, never from inside this call. */
void client_send(client_conn *c, const client_req *req, mono_ns intended);
/* Fails the pending request with a connect timeout or request timeout if it is past due. */
void client_check_timeout(client_conn *c, mono_ns now);
/* Closes the socket without a callback (the pending request, if any, is abandoned). */
void client_close(client_conn *c);
/* Frees the slot's TLS session (and SSL, if still open) without touching the loop: after
 * client_close, before c's memory goes; safe on a zeroed or never-initialised c. */
void client_conn_fini(client_conn *c);
static inline bool client_busy(const client_conn *c)
{
    return c->state >= CLIENT_CONNECTING;
}

#endif
