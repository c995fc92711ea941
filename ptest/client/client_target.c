/* client_target.c - client_target_resolve: lib/dns (in every build: a static glibc
 * getaddrinfo cannot query DNS in a FROM scratch image), then a short connect probe of
 * every address, so the load engine spreads its connections over those that answer. */
#include "client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
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

int client_target_resolve(client_target *t, const char *host, uint16_t port, uint64_t connect_timeout_ns, int *kind,
                          char *err, size_t errlen)
{
    dns_result r;
    dns_opts o = {.budget_ns = connect_timeout_ns};
    char why[256];
    if (dns_resolve(host, &o, &r, why, sizeof(why)) != DNS_OK) {
        snprintf(err, errlen, "cannot resolve %s", why);
        return -1;
    }
    client_addr cand[CLIENT_MAX_ADDRS];
    int perr[CLIENT_MAX_ADDRS];
    size_t n = 0;
    for (size_t i = 0; i < r.n && n < CLIENT_MAX_ADDRS; i++)
        if (dns_addr_sockaddr(&r.addr[i], port, &cand[n].sa, &cand[n].len) == 0)
            n++;
    probe_all(cand, n, connect_timeout_ns, perr);
    t->n_addrs = 0;
    if (errlen > 0)
        err[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (perr[i] != 0)
            continue;
        if (t->n_addrs == 0) {
            t->addr = cand[i].sa;
            t->addrlen = cand[i].len;
        } else {
            t->more[t->n_addrs - 1] = cand[i];
        }
        t->n_addrs++;
        char a[INET6_ADDRSTRLEN + 16];
        sock_format((const struct sockaddr *)&cand[i].sa, a, sizeof(a));
        size_t used = strnlen(err, errlen);
        if (used + 1 < errlen)
            snprintf(err + used, errlen - used, "%s%s", used ? ", " : "", a);
    }
    if (t->n_addrs > 0)
        return 0;
    int last = n ? perr[n - 1] : ECONNREFUSED;
    *kind = client_kind_of_errno(last);
    snprintf(err, errlen, "%s", last == ETIMEDOUT || last == ECONNREFUSED ? stats_err_text(*kind) : strerror(last));
    return -2;
}
