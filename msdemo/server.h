/* server.h - msdemo's HTTP server: N worker threads, one event loop each, SO_REUSEPORT.
 *
 * Lifecycle (all from the main thread):
 *   server_create  builds the delay series, the metrics layout and the listening
 *                         sockets (so bind errors surface before anything starts);
 *   server_start   starts the workers;
 *   server_drain   begins a graceful stop: /readyz turns 503 at once, listening stops
 *                         after cfg->drain_grace, idle connections close, in-flight requests
 *                         complete (their last response carries Connection: close);
 *   server_wait    joins the workers, waiting at most until the deadline;
 *   server_destroy frees everything (after wait).
 * The config must outlive the server.
 */
#ifndef MSDEMO_SERVER_H
#define MSDEMO_SERVER_H

#include "clock.h"
#include "config.h"
#include <stddef.h>
#include <stdint.h>

typedef struct server server;

/* Returns NULL with a message in err on failure. */
server *server_create(const config *cfg, char *err, size_t errlen);
int server_start(server *s, char *err, size_t errlen);
void server_drain(server *s);
/* Returns 0 when every worker finished, or the number of connections still open at the
 * deadline (the workers are then abandoned; the caller exits). */
size_t server_wait(server *s, mono_ns deadline);
void server_destroy(server *s);

/* The bound port (useful with port 0) and the number of worker threads. */
uint16_t server_port(const server *s);
size_t server_workers(const server *s);
/* The workers' event-loop backend, "epoll" or "io_uring" (lib/event/evloop.h, PT_EVLOOP). */
const char *server_event_loop(const server *s);
/* The /config document (valid while the server exists). */
const char *server_config_json(const server *s, size_t *len);

#endif
