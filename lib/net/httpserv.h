/* httpserv.h - a small HTTP/1.1 server on an event loop (evloop.h), with the repository's
 * codec (http.h): keep-alive, pipelining, bodies with Content-Length only. For the low-rate
 * endpoints of ptest (the collector's uploads and status, the live /metrics of `ptest run`),
 * not for serving load (msdemo has its own server).
 *
 * Each complete request is handed to opts.handle, which fills the reply; the server frames
 * it (Content-Type, Content-Length, Cache-Control: no-store, Allow when set, Connection:
 * close when the request asked for it) and answers HEAD without the body.
 * Connection-level errors: malformed head 400, head over 8 KiB 431, HTTP version 505,
 * chunked body 411, body over the route's limit 413; each closes the connection (lingering:
 * half-closed, input discarded, so the answer is not reset). A connection that makes no
 * progress for idle_s seconds is closed; at most max_conns at a time (more are closed at
 * accept). Listens on numeric addresses only ("host:port", "[v6]:port", ":port", as
 * msdemo): no name service in a FROM scratch image.
 * Not thread-safe: the loop's thread only.
 */
#ifndef PT_HTTPSERV_H
#define PT_HTTPSERV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "evloop.h"

#define HTTPSERV_DEFAULT_BODY (64u << 10)
#define HTTPSERV_DEFAULT_IDLE_S 30
#define HTTPSERV_DEFAULT_MAX_CONNS 512

typedef struct httpserv httpserv;

/* An answer. */
typedef struct httpserv_reply {
    int status;               /* 500 until the handler sets it */
    const char *content_type; /* static; "text/plain; charset=utf-8" until set */
    const char *allow;        /* Allow header of a 405, else NULL */
    buf body;                 /* owned by the caller (buf_fini) */
} httpserv_reply;

/* Fills r: status, plain text, text and a newline as the body. */
void httpserv_reply_text(httpserv_reply *r, int status, const char *text);

/* One complete request: method and path views, body of len bytes; fills r. */
typedef void (*httpserv_handler)(void *arg, const char *method, size_t mlen, const char *path, size_t plen,
                                 const char *body, size_t len, httpserv_reply *r);
/* Largest body for path. */
typedef uint64_t (*httpserv_body_limit)(void *arg, const char *path, size_t plen);

typedef struct httpserv_opts {
    httpserv_handler handle;
    httpserv_body_limit body_limit; /* NULL: HTTPSERV_DEFAULT_BODY for every path */
    void *arg;
    unsigned idle_s;  /* 0: HTTPSERV_DEFAULT_IDLE_S */
    size_t max_conns; /* 0: HTTPSERV_DEFAULT_MAX_CONNS */
    const char *what; /* the option named in address errors ("--listen") */
} httpserv_opts;

/* Listens on addr and serves on loop. Returns 0, or -1 with err filled ("--metrics-listen
 * :x: expected HOST:PORT ...", "cannot listen on ...: Address already in use"). */
int httpserv_create(httpserv **out, evloop *loop, const char *addr, const httpserv_opts *o, char *err, size_t errlen);
/* The port listened on (for ":0"), 0 if unknown. */
uint16_t httpserv_port(const httpserv *s);
/* Closes the listener and every connection. NULL is a no-op. */
void httpserv_destroy(httpserv *s);

#endif
