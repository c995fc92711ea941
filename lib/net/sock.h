/* sock.h - the socket plumbing each program needs once: the address to listen on, waiting
 * for readiness and connecting with a deadline, and an address as a user reads it.
 *
 * Numeric only: lib/net/dns resolves names (no getaddrinfo, so the static FROM scratch
 * image links no glibc resolver). Every function is reentrant; none keeps state.
 */
#ifndef PT_SOCK_H
#define PT_SOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "clock.h"

/* "255.255.255.255:65535" or "[ffff:...:ffff]:65535", with the NUL. */
#define SOCK_ADDRSTRLEN (INET6_ADDRSTRLEN + 8)

/* The socket address to listen on for host and port: "" or "*" is any IPv4 address,
 * "localhost" 127.0.0.1, else a numeric IPv4 or IPv6 address (no brackets). Names are
 * refused on purpose: a listen address should not depend on DNS. Returns 0, or -1 with
 * errno EINVAL. */
int sock_listen_addr(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

/* Waits until fd is ready for events (POLLIN, POLLOUT) or the monotonic deadline passes;
 * EINTR is retried. Returns 0 when one of events is ready; -1 with errno ETIMEDOUT at the
 * deadline, ECONNRESET when only POLLERR/POLLHUP came, or poll(2)'s errno. */
int sock_wait(int fd, short events, mono_ns until);

/* A non-blocking, close-on-exec TCP socket connected to ss before until. Returns the fd,
 * or -1 with errno: ETIMEDOUT at the deadline, the connection's own error (ECONNREFUSED,
 * ENETUNREACH, ...) otherwise; no fd is left open then. */
int sock_connect(const struct sockaddr_storage *ss, socklen_t len, mono_ns until);

/* sa as "1.2.3.4:80" or "[::1]:80" ("?" for another family) into out; returns out. */
char *sock_format(const struct sockaddr *sa, char *out, size_t outlen);

#endif
