/* renew.h - keeps the target's addresses current during a run: a thread that looks the
 * target's name up again every dns.ttl (client_target_renew) and logs each change, so that
 * the load follows a Service whose pods come and go (a headless Service answers one address
 * per ready pod). Not started for a numeric target, a pinned name (dns.resolve) or ttl 0.
 * A failed lookup keeps the addresses in use and is counted, never stops the run. Changes
 * and failures are one line each on stderr, also with --quiet (they explain the results).
 */
#ifndef PTEST_RENEW_H
#define PTEST_RENEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "results.h"

typedef struct renew {
    client_target *t;
    const char *host;
    uint16_t port;
    uint64_t ttl_ns;
    bool started, stop;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t renewals, changes, failures; /* read after renew_stop */
    char last_error[512];
} renew;

/* Starts the renewer when the name should be renewed (see above); r is zeroed first.
 * Returns 0 (also when there is nothing to renew) or -1 (thread creation failed; errno). */
int renew_start(renew *r, client_target *t, const char *host, uint16_t port, uint64_t ttl_ns, bool pinned);
/* Stops and joins the thread (a lookup in progress finishes first: at most the connect
 * timeout). Safe when never started. */
void renew_stop(renew *r);
/* Fills d for results.json (environment.dns); addresses: the formatted current set. */
void renew_results(const renew *r, bool pinned, const char *addresses, results_dns *d);

#endif
