/* dns.h - a small stub resolver: /etc/hosts, /etc/resolv.conf and DNS over UDP/TCP.
 *
 * Why it exists: ptest ships as a static glibc binary in a FROM scratch image, where
 * getaddrinfo cannot query DNS (static glibc needs libnss_dns.so at run time). This
 * resolver behaves the same in every build, static or not, so one code path is tested.
 *
 * What it does (dns_resolve):
 *  - numeric addresses ("10.0.0.1", "::1", "[::1]") are returned as they are;
 *  - the hosts file (/etc/hosts) is searched first, for the name as given ("files dns");
 *  - "localhost" and names under ".localhost" not in the hosts file are 127.0.0.1 and ::1,
 *    names under ".invalid" fail at once (RFC 6761), without any query;
 *  - otherwise A and AAAA queries (random 16-bit IDs, RD set, no EDNS) go over UDP on a
 *    connected socket to each nameserver of resolv.conf in turn, for `attempts` rounds of
 *    `timeout` seconds; an answer must match the ID and the question (the connected socket
 *    makes the kernel drop datagrams from any other source); a truncated answer (TC) is
 *    asked again over TCP; CNAME chains inside the answer are followed;
 *  - the search list is applied as glibc does: a name with a trailing dot is only tried as
 *    it is; a name with at least `ndots` dots is tried as it is first, then with each
 *    search domain; a name with fewer dots gets each search domain first, then itself.
 *    NXDOMAIN, an empty answer or SERVFAIL move on to the next candidate; a nameserver that
 *    does not answer in time ends the lookup;
 *  - every address found is returned (IPv4 first unless the caller prefers IPv6),
 *    duplicates removed, at most DNS_MAX_ADDRS.
 * resolv.conf: `nameserver` (up to DNS_MAX_NS, IPv4 or IPv6, no scope ids), `search` and
 * `domain` (the last of the two wins), `options ndots:N timeout:N attempts:N` (glibc's
 * defaults 1, 5 s, 2 and caps 15, 30 s, 5); other options and lines are ignored; with no
 * nameserver line, 127.0.0.1 is used. Not supported: nsswitch.conf, RES_OPTIONS and
 * LOCALDOMAIN, the host name as the default search domain, DNSSEC, mDNS, EDNS0.
 *
 * Thread-safety: every function is reentrant (no global state); dns_resolve blocks.
 * Packets are read byte by byte (no unaligned loads; 32-bit clean).
 */
#ifndef PT_DNS_H
#define PT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_NAME_MAX 253             /* longest name in text form, without the trailing dot */
#define DNS_MAX_NS 3                 /* nameservers read from resolv.conf (glibc's MAXNS) */
#define DNS_MAX_SEARCH 8             /* search domains kept */
#define DNS_MAX_ADDRS 32             /* addresses kept per lookup (the first in answer order) */
#define DNS_QUERY_MAX (12 + 255 + 4) /* largest query dns_query_build writes */

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28

/* Return codes (negative). */
#define DNS_OK 0
#define DNS_ERR_FORMAT (-1)    /* malformed packet (bounds, labels, pointers, CNAME loop) */
#define DNS_ERR_MISMATCH (-2)  /* not an answer to this query (ID, QR, opcode, question) */
#define DNS_ERR_TRUNCATED (-3) /* TC set: ask again over TCP */
#define DNS_ERR_NXDOMAIN (-4)  /* the name does not exist */
#define DNS_ERR_NODATA (-5)    /* the name exists but has no record of the type asked */
#define DNS_ERR_SERVFAIL (-6)  /* SERVFAIL, FORMERR, NOTIMP or another failure rcode */
#define DNS_ERR_REFUSED (-7)   /* REFUSED */
#define DNS_ERR_TIMEOUT (-8)   /* no nameserver answered within the time allowed */
#define DNS_ERR_UNREACH (-9)   /* no nameserver could be reached (socket errors, ICMP) */
#define DNS_ERR_BADNAME (-10)  /* not a valid host name (empty label, > 63 or > 253) */

/* An address: family AF_INET (ip[0..3]) or AF_INET6 (ip[0..15]). */
typedef struct dns_addr {
    uint8_t family;
    uint8_t ip[16];
} dns_addr;

/* Addresses of one name. name is the name that answered: the search candidate, after
 * CNAMEs (bytes outside printable ASCII shown as '?'), or the name as given for numeric
 * addresses and hosts-file entries. */
typedef struct dns_result {
    dns_addr addr[DNS_MAX_ADDRS];
    size_t n;
    char name[DNS_NAME_MAX + 1];
} dns_result;

/* resolv.conf, parsed. */
typedef struct dns_conf {
    dns_addr ns[DNS_MAX_NS];
    unsigned n_ns;
    uint16_t port;                                 /* 53; tests point it at their own server */
    char search[DNS_MAX_SEARCH][DNS_NAME_MAX + 1]; /* without trailing dots */
    unsigned n_search;
    unsigned ndots, timeout_s, attempts;
} dns_conf;

/* Families asked for. */
enum dns_family { DNS_FAMILY_ANY, DNS_FAMILY_V4, DNS_FAMILY_V6 };

typedef struct dns_opts {
    int family;              /* enum dns_family; DNS_FAMILY_ANY asks for A and AAAA */
    bool prefer_v6;          /* IPv6 addresses first (default: IPv4 first) */
    uint64_t budget_ns;      /* bound on the whole lookup, search list included; 0: none
                               * beyond resolv.conf's timeout x attempts x nameservers */
    const char *resolv_conf; /* NULL: /etc/resolv.conf (a missing file means defaults) */
    const char *hosts;       /* NULL: /etc/hosts (a missing file means no entries) */
    const dns_conf *conf;    /* when set, used instead of reading resolv_conf */
} dns_opts;

/* --- files ------------------------------------------------------------------------- */

/* Sets c to the defaults: no nameserver yet, port 53, no search list, ndots 1, timeout 5,
 * attempts 2. */
void dns_conf_init(dns_conf *c);
/* Parses resolv.conf text (len bytes, NUL not needed) into c (dns_conf_init first).
 * Never fails: unknown or malformed lines are ignored as glibc does. After parsing, a conf
 * without nameserver gets 127.0.0.1. */
void dns_conf_parse(dns_conf *c, const char *text, size_t len);
/* dns_conf_init + dns_conf_parse of the file at path (NULL: /etc/resolv.conf); a missing
 * or unreadable file gives the defaults. Only the first 1 MiB is read. */
void dns_conf_load(dns_conf *c, const char *path);

/* Appends to r (r->n counts) the addresses the hosts-file text gives for name (matched
 * case-insensitively against every name and alias of a line; a trailing dot on name is
 * ignored), in file order, filtered by family (enum dns_family), without duplicates.
 * Returns the number of addresses added. */
size_t dns_hosts_find(const char *text, size_t len, const char *name, int family, dns_result *r);

/* Fills out[0..max) with the names to query for name, in order, after the search list and
 * ndots rule (module comment); candidates longer than DNS_NAME_MAX are left out. Returns
 * the count (>= 1), or DNS_ERR_BADNAME when name itself is not a valid host name. */
int dns_search_list(const dns_conf *c, const char *name, char (*out)[DNS_NAME_MAX + 1], size_t max);

/* --- wire format ------------------------------------------------------------------- */

/* Parses a numeric address: dotted IPv4, IPv6, or IPv6 in brackets. Returns 0 or -1. */
int dns_parse_numeric(const char *s, dns_addr *out);
/* Writes a standard query (RD set, one question of class IN) for name (trailing dot
 * optional) and qtype into out (cap >= DNS_QUERY_MAX is always enough); *len gets its size.
 * Returns 0, DNS_ERR_BADNAME (empty label, label > 63 bytes, name > 253, control or space
 * bytes) or DNS_ERR_FORMAT (cap too small). */
int dns_query_build(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype, size_t *len);
/* Parses pkt (len bytes) as the answer to query (the qlen bytes dns_query_build wrote).
 * On DNS_OK, r->n > 0 addresses of the query's type (A or AAAA) owned by the query name or
 * the end of its CNAME chain are appended to r (r->n is reset first), and r->name is that
 * final name. Returns DNS_OK, DNS_ERR_MISMATCH, DNS_ERR_TRUNCATED (checked before the
 * rcode), DNS_ERR_NXDOMAIN, DNS_ERR_NODATA, DNS_ERR_SERVFAIL, DNS_ERR_REFUSED or
 * DNS_ERR_FORMAT (then r->n is 0). Never reads outside pkt; pointers must point
 * backwards. */
int dns_response_parse(const uint8_t *pkt, size_t len, const uint8_t *query, size_t qlen, dns_result *r);

/* --- resolving ------------------------------------------------------------------- */

/* Resolves host (module comment) into r. o may be NULL (defaults). Returns DNS_OK with
 * r->n >= 1, or a DNS_ERR_* code with err filled with one line for a person, e.g.
 * "msdemo.demo-pt.svc: no such name (NXDOMAIN); tried msdemo.demo-pt.svc.demo-pt.svc.
 * cluster.local, ..." or "msdemo: no answer from 10.96.0.10 within 2 s". Blocks for at most
 * o->budget_ns (plus a few ms) when it is set. */
int dns_resolve(const char *host, const dns_opts *o, dns_result *r, char *err, size_t errlen);

/* Fills *ss (zeroed first) and *len with a and port. Returns 0, or -1 for an unknown family. */
int dns_addr_sockaddr(const dns_addr *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);
/* Formats a as text ("10.0.0.1", "::1"; no brackets) into out (NUL-terminated, truncated
 * to outlen; nothing written if outlen is 0). Returns out. */
char *dns_addr_format(const dns_addr *a, char *out, size_t outlen);

#endif
