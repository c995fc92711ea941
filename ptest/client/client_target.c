/* client_target.c - client_target_resolve: lib/dns (in every build: a static glibc
 * getaddrinfo cannot query DNS in a FROM scratch image), then a short connect probe of
 * every address, so the load engine spreads its connections over those that answer;
 * client_target_renew, the same again during the run (new addresses probed, known ones
 * kept), publishing a new address set when the answer changed. */
#include "client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

/* Addresses probed after the first one accepted get this much longer, so a dead address
 * does not hold the start for the whole connect timeout. */
#define PROBE_GRACE_NS (250 * CLOCK_NS_PER_MS)

/* Non-blocking connect probes of every address at once: err[i] gets 0 or an errno value
 * (ETIMEDOUT when not answered by the deadline). */
static void probe_all(const client_addr *a, size_t n, uint64_t timeout_ns, int *err)
{
    int fd[CLIENT_MAX_ADDRS];
    size_t pending = 0;
    for (size_t i = 0; i < n; i++) {
        fd[i] = socket(a[i].sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        err[i] = fd[i] < 0 ? errno : 0;
        if (fd[i] >= 0 && connect(fd[i], (const struct sockaddr *)&a[i].sa, a[i].len) != 0) {
            err[i] = errno;
            if (err[i] == EINPROGRESS)
                pending++;
        }
    }
    mono_ns now = clock_mono_now(), deadline = now + timeout_ns;
    bool graced = false;
    while (pending > 0) {
        struct pollfd p[CLIENT_MAX_ADDRS];
        size_t idx[CLIENT_MAX_ADDRS], np = 0;
        for (size_t i = 0; i < n; i++) {
            if (err[i] == EINPROGRESS) {
                p[np] = (struct pollfd){.fd = fd[i], .events = POLLOUT};
                idx[np++] = i;
            } else if (err[i] == 0 && !graced) {
                graced = true;
                if (deadline > now + PROBE_GRACE_NS)
                    deadline = now + PROBE_GRACE_NS;
            }
        }
        if (now >= deadline)
            break;
        uint64_t ms = (deadline - now + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
        int r = poll(p, (nfds_t)np, ms > 600000 ? 600000 : (int)ms);
        if (r < 0 && errno != EINTR)
            break;
        for (size_t k = 0; r > 0 && k < np; k++) {
            if (!p[k].revents)
                continue;
            int e = 0;
            socklen_t el = sizeof(e);
            if (getsockopt(p[k].fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
            err[idx[k]] = e;
            pending--;
        }
        now = clock_mono_now();
    }
    for (size_t i = 0; i < n; i++) {
        if (err[i] == EINPROGRESS)
            err[i] = ETIMEDOUT;
        if (fd[i] >= 0)
            close(fd[i]);
    }
}

static bool same_addr(const client_addr *a, const client_addr *b)
{
    return a->len == b->len && memcmp(&a->sa, &b->sa, a->len) == 0;
}

static void format_set(const client_addrset *s, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        char a[INET6_ADDRSTRLEN + 16];
        sock_format((const struct sockaddr *)&s->a[i].sa, a, sizeof(a));
        size_t used = strnlen(out, outlen);
        if (used + 1 < outlen)
            snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", a);
    }
}

/* The candidates of r for port, in resolver order. */
static size_t candidates(const dns_addr *addrs, size_t n_addrs, uint16_t port, client_addr *cand)
{
    size_t n = 0;
    for (size_t i = 0; i < n_addrs && n < CLIENT_MAX_ADDRS; i++)
        if (dns_addr_sockaddr(&addrs[i], port, &cand[n].sa, &cand[n].len) == 0)
            n++;
    return n;
}

int client_target_use(client_target *t, const dns_addr *addrs, size_t n_addrs, uint16_t port,
                      uint64_t connect_timeout_ns, int *kind, char *err, size_t errlen)
{
    client_addr cand[CLIENT_MAX_ADDRS] = {0};
    int perr[CLIENT_MAX_ADDRS];
    size_t n = candidates(addrs, n_addrs, port, cand);
    probe_all(cand, n, connect_timeout_ns, perr);
    memset(&t->first, 0, sizeof t->first);
    t->renewed = NULL;
    for (size_t i = 0; i < n; i++)
        if (perr[i] == 0)
            t->first.a[t->first.n++] = cand[i];
    if (t->first.n > 0) {
        format_set(&t->first, err, errlen);
        return 0;
    }
    int last = n ? perr[n - 1] : ECONNREFUSED;
    *kind = client_kind_of_errno(last);
    snprintf(err, errlen, "%s", last == ETIMEDOUT || last == ECONNREFUSED ? stats_err_text(*kind) : strerror(last));
    return -2;
}

int client_target_resolve(client_target *t, const char *host, uint16_t port, uint64_t connect_timeout_ns, int *kind,
                          char *err, size_t errlen)
{
    dns_result r;
    dns_opts o = {.budget_ns = connect_timeout_ns};
    char why[256];
    if (dns_resolve(host, &o, &r, why, sizeof(why)) != DNS_OK) {
        memset(&t->first, 0, sizeof t->first);
        t->renewed = NULL;
        snprintf(err, errlen, "cannot resolve %s", why);
        return -1;
    }
    return client_target_use(t, r.addr, r.n, port, connect_timeout_ns, kind, err, errlen);
}

int client_target_renew(client_target *t, const char *host, uint16_t port, char *msg, size_t msglen)
{
    dns_result r;
    dns_opts o = {.budget_ns = t->connect_timeout_ns};
    char why[256];
    if (dns_resolve(host, &o, &r, why, sizeof(why)) != DNS_OK) {
        snprintf(msg, msglen, "cannot resolve %s", why);
        return -1;
    }
    const client_addrset *cur = client_target_addrs(t);
    client_addr cand[CLIENT_MAX_ADDRS] = {0}, fresh[CLIENT_MAX_ADDRS] = {0};
    int perr[CLIENT_MAX_ADDRS];
    size_t n = candidates(r.addr, r.n, port, cand), n_fresh = 0;
    bool known[CLIENT_MAX_ADDRS];
    for (size_t i = 0; i < n; i++) {
        known[i] = false;
        for (size_t k = 0; k < cur->n && !known[i]; k++)
            known[i] = same_addr(&cand[i], &cur->a[k]);
        if (!known[i])
            fresh[n_fresh++] = cand[i];
    }
    probe_all(fresh, n_fresh, t->connect_timeout_ns, perr);
    client_addrset *next = calloc(1, sizeof *next);
    if (!next) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    for (size_t i = 0, f = 0; i < n; i++) {
        if (known[i])
            next->a[next->n++] = cand[i];
        else if (perr[f++] == 0)
            next->a[next->n++] = cand[i];
    }
    bool same = next->n == cur->n;
    for (size_t i = 0; same && i < next->n; i++)
        same = same_addr(&next->a[i], &cur->a[i]);
    if (same || next->n == 0) {
        if (next->n == 0)
            snprintf(msg, msglen, "%s: no address accepts a connection", host);
        free(next);
        return same ? 0 : -1;
    }
    next->prev = t->renewed;
    format_set(next, msg, msglen);
    __atomic_store_n(&t->renewed, next, __ATOMIC_RELEASE);
    return 1;
}

void client_target_format(const client_target *t, char *out, size_t outlen)
{
    format_set(client_target_addrs(t), out, outlen);
}

void client_target_set_addr(client_target *t, const struct sockaddr *sa, socklen_t len)
{
    memset(&t->first, 0, sizeof t->first);
    t->renewed = NULL;
    if (len > sizeof t->first.a[0].sa)
        return;
    memcpy(&t->first.a[0].sa, sa, len);
    t->first.a[0].len = len;
    t->first.n = 1;
}

void client_target_fini(client_target *t)
{
    client_addrset *s = t->renewed;
    while (s) {
        client_addrset *prev = s->prev;
        free(s);
        s = prev;
    }
    t->renewed = NULL;
}
