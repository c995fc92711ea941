/* sock.c - listen addresses, readiness and connect with a deadline, address printing. */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sock_listen_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)ss;
    if (!*host || strcmp(host, "*") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (strcmp(host, "localhost") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
    } else {
        errno = EINVAL;
        return -1;
    }
    if (ss->ss_family == AF_INET) {
        v4->sin_port = htons(port);
        *len = sizeof *v4;
    } else {
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
    }
    return 0;
}

int sock_wait(int fd, short events, mono_ns until)
{
    for (;;) {
        mono_ns now = clock_mono_now();
        if (now >= until) {
            errno = ETIMEDOUT;
            return -1;
        }
        uint64_t ms = (until - now + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0) {
            if (p.revents & events)
                return 0;
            errno = ECONNRESET;
            return -1;
        }
    }
}

int sock_connect(const struct sockaddr_storage *ss, socklen_t len, mono_ns until)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)ss, len) != 0) {
        int e = 0;
        socklen_t el = sizeof e;
        if (errno != EINPROGRESS || sock_wait(fd, POLLOUT, until) != 0)
            e = errno;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
            e = errno;
        if (e != 0) {
            close(fd);
            errno = e;
            return -1;
        }
    }
    return fd;
}

char *sock_format(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, outlen, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, outlen, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(out, outlen, "?");
    }
    return out;
}
