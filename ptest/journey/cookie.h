/* cookie.h - a user's cookie jar (plan `cookies:`, on by default in `order: sequence`
 * scenarios): the essentials of RFC 6265.
 *
 * Set-Cookie: name=value, then attributes: Domain (a leading '.' ignored; the cookie then
 * goes to that domain and its subdomains, and is refused unless the request's host is in
 * it; without Domain only to the host that set it), Path (default: the request path up to
 * its last '/'), Max-Age (seconds; wins over Expires; <= 0 deletes), Expires (an HTTP date,
 * IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and the "06-Nov-1994" and asctime forms),
 * Secure (sent over https only). HttpOnly, SameSite and other attributes are ignored (no
 * scripts, no sites). A cookie with the name, domain and path of one in the jar replaces it.
 * Cookie: every unexpired cookie whose domain and path match the request, in the order
 * they were set ("a=1; b=2").
 *
 * Bounded memory: at most COOKIE_MAX cookies whose names, values, domains and paths take
 * COOKIE_STORE bytes in all (the jar's own storage, no allocation); a cookie that does not
 * fit is dropped (cookie_jar_set returns COOKIE_FULL). Public suffixes are not checked (a
 * load test talks to its own hosts).
 */
#ifndef PTEST_COOKIE_H
#define PTEST_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

#define COOKIE_MAX 32
#define COOKIE_STORE 4096

enum { COOKIE_SET = 0, COOKIE_DELETED = 1, COOKIE_REJECTED = -1, COOKIE_FULL = -2 };

typedef struct cookie {
    uint16_t off; /* name, value, domain, path: consecutive in the store */
    uint16_t name_len, value_len, domain_len, path_len;
    bool host_only, secure;
    wall_ns expires; /* 0: a session cookie */
} cookie;

typedef struct cookie_jar {
    size_t n;
    cookie c[COOKIE_MAX];
    size_t used; /* bytes of store in use (live and dead until compacted) */
    char store[COOKIE_STORE];
} cookie_jar;

void cookie_jar_init(cookie_jar *j);
/* Takes one Set-Cookie value (v[0..n)) of a response to host (lower case) and request path
 * (the path as sent, query allowed). Returns COOKIE_SET, COOKIE_DELETED (an expiry in the
 * past), COOKIE_REJECTED (malformed, or a Domain the host is not in) or COOKIE_FULL. */
int cookie_jar_set(cookie_jar *j, const char *v, size_t n, const char *host, const char *path, size_t path_len,
                   wall_ns now);
/* Writes "Cookie: a=1; b=2\r\n" for a request to host and path (secure: over https) into
 * out[0..cap); *len is 0 when no cookie matches (or it would not fit). */
void cookie_jar_header(cookie_jar *j, const char *host, const char *path, size_t path_len, bool secure, wall_ns now,
                       char *out, size_t cap, size_t *len);
/* Parses an HTTP date (the forms above) into *out (ns since the epoch); false when it is
 * none of them. */
bool cookie_parse_date(const char *s, size_t n, wall_ns *out);

#endif
