/* client_target.c - client_target_resolve: getaddrinfo, then a short blocking connect probe
 * of each candidate address, so the load engine connects to one that answers. */
#include "client_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, outlen, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, outlen, "[%s]:%u", host, port);
    } else {
        snprintf(out, outlen, "?");
    }
}

/* Blocking-with-timeout connect probe. Returns 0 or an errno value. */
static int probe(const struct sockaddr *sa, socklen_t len, uint64_t timeout_ns)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int e = 0;
    if (connect(fd, sa, len) != 0) {
        e = errno;
        if (e == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            uint64_t ms = timeout_ns / CLOCK_NS_PER_MS;
            int r = poll(&p, 1, ms > 600000 ? 600000 : (int)ms);
            if (r == 0) {
                e = ETIMEDOUT;
            } else if (r < 0) {
                e = errno;
            } else {
                socklen_t el = sizeof(e);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                    e = errno;
            }
        }
    }
    close(fd);
    return e;
}

int client_target_resolve(client_target *t, const char *host, uint16_t port,
                          uint64_t connect_timeout_ns, int *kind, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    /* No AI_ADDRCONFIG: it hides ::1 on hosts without a global IPv6 address, and every
     * candidate is probed anyway. */
    hints.ai_flags = AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", (unsigned)port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(t->addr))
            continue;
        last = probe(ai->ai_addr, ai->ai_addrlen, connect_timeout_ns);
        if (last == 0) {
            memset(&t->addr, 0, sizeof(t->addr));
            memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
            t->addrlen = ai->ai_addrlen;
            format_addr(ai->ai_addr, err, errlen);
            freeaddrinfo(res);
            return 0;
        }
    }
    freeaddrinfo(res);
    *kind = client_kind_of_errno(last);
    snprintf(err, errlen, "%s", last == ETIMEDOUT || last == ECONNREFUSED
                                    ? stats_err_text(*kind) : strerror(last));
    return -2;
}
