/* collect_server.h - the collector's HTTP/1.1 server: one thread, one event loop
 * (evloop.h), lib/net's httpserv (keep-alive, bodies with Content-Length only).
 *
 * Routes (collect_server_handle):
 *   GET  /healthz                      200 "ok"
 *   GET  /status                       200 JSON (collect_status_json)
 *   GET  /metrics                      200 Prometheus text (collect_metrics)
 *   GET  /results/                     503 until the run is merged, then 200: one file name
 *                                      per line
 *   GET  /results/NAME                 200 the file (a name of the index only), 404 otherwise,
 *                                      503 before the merge
 *   POST /v1/workers/I/interval        200, 400 malformed, 404 no such worker, 409 conflict
 *   PUT  /v1/workers/I/final/NAME      the same
 *   POST /v1/workers/I/final           the same (commit)
 *   HEAD is answered like GET without the body; another method on a known path is 405 with
 *   Allow; anything else 404. Upload answers are one line of text saying why.
 * Connection-level errors: malformed head 400, head over 8 KiB 431, chunked body 411, body over
 * the route's limit (collect_wire.h) 413; each closes the connection. A connection that makes
 * no progress for COLLECT_SERVER_IDLE_S seconds is closed; at most COLLECT_SERVER_MAX_CONNS at a time.
 * Not thread-safe: the loop's thread only.
 */
#ifndef PTEST_COLLECT_SERVER_H
#define PTEST_COLLECT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "collect.h"
#include "evloop.h"
#include "httpserv.h"

#define COLLECT_SERVER_IDLE_S 30
#define COLLECT_SERVER_MAX_CONNS 512

typedef struct collect_server collect_server;

/* Called after every successful upload (e.g. to notice that every worker is final). */
typedef void (*collect_server_upload_cb)(void *arg);

/* Listens on addr ("host:port", "[v6]:port" or ":port"; numeric hosts only, as msdemo).
 * Returns 0 or -1 with err filled. */
int collect_server_create(collect_server **out, evloop *loop, const char *addr, collect *c, collect_server_upload_cb cb,
                          void *arg, char *err, size_t errlen);
/* Closes the listener and every connection. */
void collect_server_destroy(collect_server *s);

/* An answer (httpserv.h). */
typedef httpserv_reply collect_server_reply;

/* Routes one complete request (method and path views, body of len bytes) to the collector;
 * now_ms is the wall clock. Pure but for the uploads' files; for the server and the fuzzer.
 * r->body must be initialised (BUF_INIT). */
void collect_server_handle(collect *c, const char *method, size_t mlen, const char *path, size_t plen, const char *body,
                           size_t len, uint64_t now_ms, collect_server_reply *r);

/* Body limit of a request to path (collect_wire.h's per route; 64 KiB elsewhere). */
uint64_t collect_server_body_limit(const char *path, size_t plen);

#endif
