/* renew.c - the renewer thread (renew.h). */
#include "renew.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dns.h"

static void *renew_main(void *arg)
{
    renew *r = arg;
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        uint64_t ns = (uint64_t)at.tv_nsec + r->ttl_ns;
        at.tv_sec += (time_t)(ns / CLOCK_NS_PER_SEC);
        at.tv_nsec = (long)(ns % CLOCK_NS_PER_SEC);
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &at) != ETIMEDOUT)
            ;
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->mu);
        char msg[512];
        int rc = client_target_renew(r->t, r->host, r->port, msg, sizeof(msg));
        pthread_mutex_lock(&r->mu);
        r->renewals++;
        if (rc < 0) {
            r->failures++;
            snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
            fprintf(stderr, "ptest: dns: %s (keeping the addresses in use)\n", msg);
        } else if (rc > 0) {
            r->changes++;
            fprintf(stderr, "ptest: dns: %s now %s\n", r->host, msg);
        }
        clock_gettime(CLOCK_MONOTONIC, &at); /* the next lookup one ttl after this one ended */
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int renew_start(renew *r, client_target *t, const char *host, uint16_t port, uint64_t ttl_ns, bool pinned)
{
    memset(r, 0, sizeof(*r));
    dns_addr numeric;
    if (pinned || ttl_ns == 0 || dns_parse_numeric(host, &numeric) == 0)
        return 0;
    r->t = t;
    r->host = host;
    r->port = port;
    r->ttl_ns = ttl_ns;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->mu, NULL);
    int e = pthread_create(&r->th, NULL, renew_main, r);
    if (e != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        errno = e;
        return -1;
    }
    r->started = true;
    return 0;
}

void renew_stop(renew *r)
{
    if (!r->started)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    r->started = false;
}

void renew_results(const renew *r, bool pinned, const char *addresses, results_dns *d)
{
    memset(d, 0, sizeof(*d));
    d->pinned = pinned;
    d->renewals = r->renewals;
    d->changes = r->changes;
    d->failures = r->failures;
    d->last_error = r->last_error[0] ? r->last_error : NULL;
    d->final_addresses = addresses;
}
