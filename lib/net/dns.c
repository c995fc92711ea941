/* dns.c - dns_resolve: numeric, hosts file, special names, then the nameservers (UDP with
 * a TCP retry on truncation) over the search list. See dns.h for the behaviour. */
#include "dns_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "rng.h"
#include "sock.h"

#define UDP_BUF 1500
#define MAX_CANDIDATES (DNS_MAX_SEARCH + 1)

/* One question (A or AAAA) of a candidate name, across servers and attempts. */
typedef struct query {
    uint8_t pkt[DNS_QUERY_MAX];
    size_t len;
    bool done; /* a final answer: DNS_OK, NXDOMAIN or NODATA */
    int rc;    /* the final answer, or the last failure */
    dns_result res;
} query;

/* State of one dns_resolve call; the per-server notes make the error message. */
typedef struct lookup {
    const dns_conf *c;
    rng rng;
    mono_ns start, deadline;
    bool silent[DNS_MAX_NS]; /* a query to it timed out */
    int sys_err[DNS_MAX_NS]; /* errno of a failed send/recv/connect, 0 none */
    int bad_rc;              /* last SERVFAIL/REFUSED/FORMAT answer ... */
    unsigned bad_ns;         /* ... and which server gave it */
} lookup;

static mono_ns min_ns(mono_ns a, mono_ns b)
{
    return a < b ? a : b;
}

/* Waits for events on fd until the time until. Returns 0, DNS_ERR_TIMEOUT or
 * DNS_ERR_UNREACH (poll failure or POLLERR/POLLHUP without the events). */
static int wait_fd(int fd, short events, mono_ns until)
{
    if (sock_wait(fd, events, until) == 0)
        return 0;
    return errno == ETIMEDOUT ? DNS_ERR_TIMEOUT : DNS_ERR_UNREACH;
}

/* Writes or reads exactly n bytes on the non-blocking stream fd before until. */
static int stream_io(int fd, uint8_t *b, size_t n, bool writing, mono_ns until)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = writing ? send(fd, b + done, n - done, MSG_NOSIGNAL) : recv(fd, b + done, n - done, 0);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return DNS_ERR_UNREACH;
        int w = wait_fd(fd, writing ? POLLOUT : POLLIN, until);
        if (w != 0)
            return w;
    }
    return 0;
}

/* The query q again over TCP (RFC 1035 §4.2.2: two-byte length prefix). */
static int tcp_query(const struct sockaddr_storage *ss, socklen_t sl, const query *q, mono_ns until, dns_result *out)
{
    uint8_t *in = NULL;
    uint8_t out_pkt[2 + DNS_QUERY_MAX], lp[2];
    int rc = DNS_ERR_UNREACH;
    int fd = sock_connect(ss, sl, until);
    if (fd < 0)
        return errno == ETIMEDOUT ? DNS_ERR_TIMEOUT : DNS_ERR_UNREACH;
    out_pkt[0] = (uint8_t)(q->len >> 8);
    out_pkt[1] = (uint8_t)q->len;
    memcpy(out_pkt + 2, q->pkt, q->len);
    if ((rc = stream_io(fd, out_pkt, q->len + 2, true, until)) != 0 || (rc = stream_io(fd, lp, 2, false, until)) != 0)
        goto out;
    size_t n = (size_t)lp[0] << 8 | lp[1];
    rc = DNS_ERR_FORMAT;
    if (n == 0 || !(in = malloc(n)))
        goto out;
    if ((rc = stream_io(fd, in, n, false, until)) != 0)
        goto out;
    rc = dns_response_parse(in, n, q->pkt, q->len, out);
    if (rc == DNS_ERR_TRUNCATED || rc == DNS_ERR_MISMATCH)
        rc = DNS_ERR_FORMAT; /* neither makes sense on a stream of our own */
out:
    free(in);
    close(fd);
    return rc;
}

static void settle(lookup *L, unsigned s, query *q, int rc, const dns_result *res)
{
    q->rc = rc;
    if (rc == DNS_OK || rc == DNS_ERR_NXDOMAIN || rc == DNS_ERR_NODATA) {
        q->done = true;
        q->res = *res;
    } else if (rc == DNS_ERR_TIMEOUT) {
        L->silent[s] = true;
    } else if (rc == DNS_ERR_UNREACH) {
        L->sys_err[s] = errno ? errno : EHOSTUNREACH;
    } else {
        L->bad_rc = rc;
        L->bad_ns = s;
    }
}

/* Sends every pending query of q[0..nq) to server s over one connected UDP socket (so the
 * kernel delivers only datagrams from that address and port) and takes answers until all
 * are settled or until passes. */
static void udp_round(lookup *L, unsigned s, query *q, size_t nq, mono_ns until)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    bool waiting[2] = {false, false};
    size_t n_wait = 0;
    uint8_t in[UDP_BUF];
    dns_result tmp;
    if (dns_addr_sockaddr(&L->c->ns[s], L->c->port, &ss, &sl) != 0)
        return;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&ss, sl) != 0) {
        L->sys_err[s] = errno;
        if (fd >= 0)
            close(fd);
        return;
    }
    for (size_t i = 0; i < nq; i++) {
        if (q[i].done)
            continue;
        /* A fresh ID per send: a late answer to an earlier send is then a mismatch. */
        uint16_t id = (uint16_t)rng_u64(&L->rng);
        q[i].pkt[0] = (uint8_t)(id >> 8);
        q[i].pkt[1] = (uint8_t)id;
        waiting[i] = true;
        n_wait++;
        if (send(fd, q[i].pkt, q[i].len, MSG_NOSIGNAL) != (ssize_t)q[i].len) {
            /* e.g. ECONNREFUSED: the ICMP error of the previous datagram comes back here,
             * so the whole server is unreachable, not just this query. */
            for (size_t k = 0; k <= i; k++)
                if (waiting[k])
                    settle(L, s, &q[k], DNS_ERR_UNREACH, NULL);
            n_wait = 0;
            break;
        }
    }
    while (n_wait > 0) {
        int w = wait_fd(fd, POLLIN, until);
        if (w != 0) {
            errno = EHOSTUNREACH;
            for (size_t i = 0; i < nq; i++)
                if (waiting[i])
                    settle(L, s, &q[i], w, NULL);
            break;
        }
        ssize_t n = recv(fd, in, sizeof(in), MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                continue;
            for (size_t i = 0; i < nq; i++) /* e.g. ECONNREFUSED from an ICMP port unreachable */
                if (waiting[i])
                    settle(L, s, &q[i], DNS_ERR_UNREACH, NULL);
            break;
        }
        size_t got = (size_t)n < sizeof(in) ? (size_t)n : sizeof(in);
        for (size_t i = 0; i < nq; i++) {
            if (!waiting[i])
                continue;
            int rc = dns_response_parse(in, got, q[i].pkt, q[i].len, &tmp);
            if (rc == DNS_ERR_MISMATCH)
                continue;
            if (rc == DNS_ERR_TRUNCATED || (size_t)n > sizeof(in))
                rc = tcp_query(&ss, sl, &q[i], until, &tmp);
            settle(L, s, &q[i], rc, &tmp);
            waiting[i] = false;
            n_wait--;
            break;
        }
    }
    close(fd);
}

/* Asks the nameservers for name. Returns DNS_OK (addresses appended to r), NXDOMAIN,
 * NODATA, SERVFAIL, REFUSED, TIMEOUT or UNREACH. */
static int ask(lookup *L, const char *name, int family, dns_result *r)
{
    query q[2];
    size_t nq = 0;
    uint16_t types[2];
    if (family != DNS_FAMILY_V6)
        types[nq++] = DNS_TYPE_A;
    if (family != DNS_FAMILY_V4)
        types[nq++] = DNS_TYPE_AAAA;
    for (size_t i = 0; i < nq; i++) {
        memset(&q[i], 0, sizeof(q[i]));
        q[i].rc = DNS_ERR_TIMEOUT;
        if (dns_query_build(q[i].pkt, sizeof(q[i].pkt), 0, name, types[i], &q[i].len) != 0)
            return DNS_ERR_BADNAME;
    }
    bool pending = true;
    for (unsigned a = 0; a < L->c->attempts && pending; a++) {
        for (unsigned s = 0; s < L->c->n_ns && pending; s++) {
            mono_ns now = clock_mono_now();
            if (now >= L->deadline)
                break;
            udp_round(L, s, q, nq, min_ns(now + (mono_ns)L->c->timeout_s * CLOCK_NS_PER_SEC, L->deadline));
            pending = false;
            for (size_t i = 0; i < nq; i++)
                pending |= !q[i].done;
        }
    }
    int rc = DNS_ERR_NODATA;
    bool any_ok = false, nx = false, all_done = true;
    for (size_t i = 0; i < nq; i++) {
        if (q[i].done && q[i].rc == DNS_OK) {
            any_ok = true;
            snprintf(r->name, sizeof(r->name), "%s", q[i].res.name);
            for (size_t k = 0; k < q[i].res.n; k++)
                dns_result_add(r, &q[i].res.addr[k], family);
        }
        nx |= q[i].done && q[i].rc == DNS_ERR_NXDOMAIN;
        if (!q[i].done) {
            all_done = false;
            rc = q[i].rc;
        }
    }
    if (any_ok)
        return DNS_OK;
    if (nx)
        return DNS_ERR_NXDOMAIN;
    if (all_done)
        return DNS_ERR_NODATA;
    /* Unsettled: a silent server means a timeout, whatever the others said. */
    for (unsigned s = 0; s < L->c->n_ns; s++)
        if (L->silent[s])
            return DNS_ERR_TIMEOUT;
    return rc == DNS_ERR_FORMAT ? DNS_ERR_SERVFAIL : rc;
}

static void server_list(const lookup *L, char *err, size_t errlen, bool silent_only)
{
    bool first = true, any = false;
    for (unsigned s = 0; s < L->c->n_ns; s++)
        any |= L->silent[s];
    silent_only &= any; /* the budget ended before any server could be asked: name all */
    for (unsigned s = 0; s < L->c->n_ns; s++) {
        if (silent_only && !L->silent[s])
            continue;
        char a[64];
        dns_addr_format(&L->c->ns[s], a, sizeof(a));
        err_append(err, errlen, "%s%s", first ? "" : ", ", a);
        if (!silent_only && L->sys_err[s])
            err_append(err, errlen, " (%s)", strerror(L->sys_err[s]));
        first = false;
    }
}

static void tried(char *err, size_t errlen, char (*cand)[DNS_NAME_MAX + 1], size_t n)
{
    if (n < 2)
        return;
    err_append(err, errlen, "; tried");
    for (size_t i = 0; i < n; i++)
        err_append(err, errlen, "%s %s", i ? "," : "", cand[i]);
}

/* name is "base" or ends in ".base" (ASCII case-insensitive, trailing dot ignored). */
static bool under(const char *name, const char *base)
{
    size_t n = strlen(name), bl = strlen(base);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n < bl || (n > bl && name[n - bl - 1] != '.'))
        return false;
    for (size_t i = 0; i < bl; i++) {
        char c = name[n - bl + i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != base[i])
            return false;
    }
    return true;
}

/* Stable reorder: the preferred family first. */
static void order(dns_result *r, bool prefer_v6)
{
    dns_result t = *r;
    size_t k = 0;
    uint8_t first = prefer_v6 ? AF_INET6 : AF_INET;
    for (size_t i = 0; i < t.n; i++)
        if (t.addr[i].family == first)
            r->addr[k++] = t.addr[i];
    for (size_t i = 0; i < t.n; i++)
        if (t.addr[i].family != first)
            r->addr[k++] = t.addr[i];
}

static int finish_local(dns_result *r, const char *host, const dns_opts *o, char *err, size_t errlen)
{
    if (r->n == 0) {
        snprintf(err, errlen, "%s: no %s address", host, o->family == DNS_FAMILY_V6 ? "IPv6" : "IPv4");
        return DNS_ERR_NODATA;
    }
    snprintf(r->name, sizeof(r->name), "%s", host);
    order(r, o->prefer_v6);
    return DNS_OK;
}

/* The nameserver part of dns_resolve: every candidate of the search list in turn. */
static int resolve_dns(const char *host, const dns_opts *o, const dns_conf *c, dns_result *r, char *err, size_t errlen)
{
    char cand[MAX_CANDIDATES][DNS_NAME_MAX + 1];
    int nc = dns_search_list(c, host, cand, MAX_CANDIDATES);
    if (nc < 0) {
        snprintf(err, errlen, "%s: not a valid host name", host);
        return DNS_ERR_BADNAME;
    }
    lookup L;
    memset(&L, 0, sizeof(L));
    L.c = c;
    rng_seed_os(&L.rng);
    L.start = clock_mono_now();
    L.deadline = o->budget_ns ? L.start + o->budget_ns : UINT64_MAX;
    bool nodata = false, servfail = false;
    int rc = DNS_ERR_NXDOMAIN;
    int i;
    for (i = 0; i < nc; i++) {
        rc = ask(&L, cand[i], o->family, r);
        if (rc == DNS_OK) {
            order(r, o->prefer_v6);
            return DNS_OK;
        }
        nodata |= rc == DNS_ERR_NODATA;
        servfail |= rc == DNS_ERR_SERVFAIL || rc == DNS_ERR_REFUSED;
        if (rc == DNS_ERR_TIMEOUT || rc == DNS_ERR_UNREACH)
            break;
        if (clock_mono_now() >= L.deadline && i + 1 < nc) {
            i++; /* the budget ran out before the next candidate could be asked */
            rc = DNS_ERR_TIMEOUT;
            break;
        }
    }
    if (i >= nc)
        i = nc - 1;
    double secs = (double)(clock_mono_now() - L.start) / 1e9;
    snprintf(err, errlen, "%s: ", host);
    if (rc == DNS_ERR_TIMEOUT) {
        err_append(err, errlen, "no answer from ");
        server_list(&L, err, errlen, true);
        err_append(err, errlen, " within %.2g s", secs < 0.1 ? 0.1 : secs);
        if (!dns_name_eq(cand[i], host))
            err_append(err, errlen, " (asking for %s)", cand[i]);
        return rc;
    }
    if (rc == DNS_ERR_UNREACH) {
        err_append(err, errlen, "no nameserver reachable: ");
        server_list(&L, err, errlen, false);
        return rc;
    }
    if (nodata) {
        err_append(err, errlen, "the name has no %s address",
                   o->family == DNS_FAMILY_V4   ? "IPv4"
                   : o->family == DNS_FAMILY_V6 ? "IPv6"
                                                : "IPv4 or IPv6");
        rc = DNS_ERR_NODATA;
    } else if (servfail) {
        char a[64];
        dns_addr_format(&c->ns[L.bad_ns], a, sizeof(a));
        err_append(err, errlen, "nameserver failure (%s from %s)",
                   L.bad_rc == DNS_ERR_REFUSED  ? "REFUSED"
                   : L.bad_rc == DNS_ERR_FORMAT ? "malformed answer"
                                                : "SERVFAIL",
                   a);
        rc = DNS_ERR_SERVFAIL;
    } else {
        err_append(err, errlen, "no such name (NXDOMAIN)");
        rc = DNS_ERR_NXDOMAIN;
    }
    tried(err, errlen, cand, (size_t)nc);
    return rc;
}

int dns_resolve(const char *host, const dns_opts *o, dns_result *r, char *err, size_t errlen)
{
    static const dns_opts defaults;
    if (!o)
        o = &defaults;
    r->n = 0;
    r->name[0] = '\0';
    if (errlen > 0)
        err[0] = '\0';
    dns_addr a;
    if (dns_parse_numeric(host, &a) == 0) {
        dns_result_add(r, &a, o->family);
        return finish_local(r, host, o, err, errlen);
    }
    uint8_t wire[DNS_WIRE_NAME_MAX];
    if (dns_name_to_wire(host, wire) < 0) {
        snprintf(err, errlen, "%s: not a valid host name", host);
        return DNS_ERR_BADNAME;
    }
    size_t hl;
    char *hosts = dns_read_file(o->hosts ? o->hosts : "/etc/hosts", &hl);
    size_t found = hosts ? dns_hosts_find(hosts, hl, host, o->family, r) : 0;
    free(hosts);
    if (found)
        return finish_local(r, host, o, err, errlen);
    if (under(host, "localhost")) {
        static const dns_addr lo4 = {AF_INET, {127, 0, 0, 1}}, lo6 = {AF_INET6, {[15] = 1}};
        dns_result_add(r, &lo4, o->family);
        dns_result_add(r, &lo6, o->family);
        return finish_local(r, host, o, err, errlen);
    }
    if (under(host, "invalid")) {
        snprintf(err, errlen, "%s: no such name (.invalid names never resolve)", host);
        return DNS_ERR_NXDOMAIN;
    }
    if (o->conf)
        return resolve_dns(host, o, o->conf, r, err, errlen);
    dns_conf c;
    dns_conf_load(&c, o->resolv_conf);
    return resolve_dns(host, o, &c, r, err, errlen);
}
