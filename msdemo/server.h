/* server.h - msdemo's HTTP server: N worker threads, one event loop each, SO_REUSEPORT.
 *
 * Lifecycle (all from the main thread):
 *   msdemo_server_create  builds the delay series, the metrics layout and the listening
 *                         sockets (so bind errors surface before anything starts);
 *   msdemo_server_start   starts the workers;
 *   msdemo_server_drain   begins a graceful stop: /readyz turns 503 at once, listening stops
 *                         after cfg->drain_grace, idle connections close, in-flight requests
 *                         complete (their last response carries Connection: close);
 *   msdemo_server_wait    joins the workers, waiting at most until the deadline;
 *   msdemo_server_destroy frees everything (after wait).
 * The config must outlive the server.
 */
#ifndef MSDEMO_SERVER_H
#define MSDEMO_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "clock.h"
#include "config.h"

typedef struct msdemo_server msdemo_server;

/* Returns NULL with a message in err on failure. */
msdemo_server *msdemo_server_create(const msdemo_config *cfg, char *err, size_t errlen);
int msdemo_server_start(msdemo_server *s, char *err, size_t errlen);
void msdemo_server_drain(msdemo_server *s);
/* Returns 0 when every worker finished, or the number of connections still open at the
 * deadline (the workers are then abandoned; the caller exits). */
size_t msdemo_server_wait(msdemo_server *s, mono_ns deadline);
void msdemo_server_destroy(msdemo_server *s);

/* The bound port (useful with port 0) and the number of worker threads. */
uint16_t msdemo_server_port(const msdemo_server *s);
size_t msdemo_server_workers(const msdemo_server *s);
/* The /config document (valid while the server exists). */
const char *msdemo_server_config_json(const msdemo_server *s, size_t *len);

#endif
