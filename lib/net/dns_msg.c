/* dns_msg.c - DNS wire format: names, queries, answers (RFC 1035 §4), numeric addresses.
 *
 * Every read is bounds-checked and byte by byte (no unaligned 16/32-bit loads, which
 * fault or are slow on armhf). Names are compared in wire form, case-insensitively, so
 * a label holding a '.' or odd bytes can never be mistaken for another name.
 */
#include "dns_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define HDR_LEN 12
#define CLASS_IN 1
#define RCODE_NXDOMAIN 3
#define RCODE_REFUSED 5
#define CNAME_HOPS_MAX 16

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int dns_name_to_wire(const char *name, uint8_t *out)
{
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n == 0 || n > DNS_NAME_MAX)
        return DNS_ERR_BADNAME;
    size_t o = 0;
    for (size_t i = 0; i <= n;) {
        size_t e = i;
        while (e < n && name[e] != '.')
            e++;
        size_t ll = e - i;
        if (ll == 0 || ll > 63)
            return DNS_ERR_BADNAME;
        out[o++] = (uint8_t)ll;
        for (size_t k = i; k < e; k++) {
            unsigned char c = (unsigned char)name[k];
            if (c <= 0x20 || c >= 0x7f)
                return DNS_ERR_BADNAME;
            out[o++] = c;
        }
        i = e + 1;
    }
    out[o++] = 0;
    return (int)o; /* n <= 253 gives o <= 255 */
}

bool dns_name_eq(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 0 && a[na - 1] == '.')
        na--;
    if (nb > 0 && b[nb - 1] == '.')
        nb--;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (lower((uint8_t)a[i]) != lower((uint8_t)b[i]))
            return false;
    return true;
}

int dns_result_add(dns_result *r, const dns_addr *a, int family)
{
    if ((family == DNS_FAMILY_V4 && a->family != AF_INET) || (family == DNS_FAMILY_V6 && a->family != AF_INET6))
        return 0;
    size_t len = a->family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < r->n; i++)
        if (r->addr[i].family == a->family && memcmp(r->addr[i].ip, a->ip, len) == 0)
            return 0;
    if (r->n >= DNS_MAX_ADDRS)
        return 0;
    r->addr[r->n++] = *a;
    return 1;
}

int dns_parse_numeric(const char *s, dns_addr *out)
{
    char tmp[64];
    size_t n = strlen(s);
    memset(out, 0, sizeof(*out));
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        if (n - 2 >= sizeof(tmp))
            return -1;
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = '\0';
        out->family = AF_INET6;
        return inet_pton(AF_INET6, tmp, out->ip) == 1 ? 0 : -1;
    }
    if (inet_pton(AF_INET, s, out->ip) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->ip) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    return -1;
}

int dns_query_build(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype, size_t *len)
{
    uint8_t wire[DNS_WIRE_NAME_MAX];
    int wl = dns_name_to_wire(name, wire);
    if (wl < 0)
        return wl;
    size_t need = HDR_LEN + (size_t)wl + 4;
    if (cap < need)
        return DNS_ERR_FORMAT;
    memset(out, 0, HDR_LEN);
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    out[2] = 0x01; /* RD */
    out[5] = 1;    /* QDCOUNT */
    memcpy(out + HDR_LEN, wire, (size_t)wl);
    uint8_t *q = out + HDR_LEN + wl;
    q[0] = (uint8_t)(qtype >> 8);
    q[1] = (uint8_t)qtype;
    q[2] = 0;
    q[3] = CLASS_IN;
    *len = need;
    return 0;
}

/* Reads the (possibly compressed) name at *off into wire form (out, DNS_WIRE_NAME_MAX
 * bytes); *off moves past the name as stored at that place. Why "limit": a pointer must
 * point below the start of the previous jump's target, so positions strictly decrease
 * across jumps and no chain of pointers can loop, however it is built. */
static int read_name(const uint8_t *p, size_t len, size_t *off, uint8_t *out, size_t *outlen)
{
    size_t pos = *off, o = 0, limit = *off, end = 0;
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return DNS_ERR_FORMAT;
        uint8_t b = p[pos];
        if ((b & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return DNS_ERR_FORMAT;
            size_t ptr = (size_t)(b & 0x3F) << 8 | p[pos + 1];
            if (ptr >= limit)
                return DNS_ERR_FORMAT;
            if (!jumped)
                end = pos + 2;
            jumped = true;
            limit = ptr;
            pos = ptr;
            continue;
        }
        if (b & 0xC0)
            return DNS_ERR_FORMAT; /* 0x40 / 0x80: extended and binary labels */
        if (b == 0) {
            out[o++] = 0;
            break;
        }
        if (pos + 1 + b > len || o + 1 + b + 1 > DNS_WIRE_NAME_MAX)
            return DNS_ERR_FORMAT;
        memcpy(out + o, p + pos, (size_t)b + 1);
        o += (size_t)b + 1;
        pos += (size_t)b + 1;
    }
    *off = jumped ? end : pos + 1;
    *outlen = o;
    return 0;
}

static bool wire_eq(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) /* length bytes are < 'A', so lower() keeps them */
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static void wire_to_text(const uint8_t *w, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; w[i] != 0 && o + 1 < cap;) {
        size_t ll = w[i++];
        if (o > 0)
            out[o++] = '.';
        for (size_t k = 0; k < ll && o + 1 < cap; k++) {
            uint8_t c = w[i + k];
            out[o++] = c > 0x20 && c < 0x7f && c != '.' ? (char)c : '?';
        }
        i += ll;
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* One resource record of a section, as a view into the packet. */
typedef struct rr {
    uint8_t owner[DNS_WIRE_NAME_MAX];
    size_t owner_len;
    unsigned type, cls;
    size_t rdata, rdlen;
} rr;

static int read_rr(const uint8_t *p, size_t len, size_t *off, rr *r)
{
    int rc = read_name(p, len, off, r->owner, &r->owner_len);
    if (rc != 0)
        return rc;
    if (*off + 10 > len)
        return DNS_ERR_FORMAT;
    const uint8_t *f = p + *off;
    r->type = get16(f);
    r->cls = get16(f + 2);
    r->rdlen = get16(f + 8);
    r->rdata = *off + 10;
    if (r->rdata + r->rdlen > len)
        return DNS_ERR_FORMAT;
    *off = r->rdata + r->rdlen;
    return 0;
}

/* Follows the CNAME chain from name (wire, updated in place) through the answer section
 * that starts at an_off. Returns 0 or DNS_ERR_FORMAT (malformed, or a chain longer than
 * CNAME_HOPS_MAX, which is also how a loop ends). */
static int follow_cnames(const uint8_t *p, size_t len, size_t an_off, unsigned ancount, uint8_t *name, size_t *name_len)
{
    for (unsigned hop = 0;; hop++) {
        bool moved = false;
        size_t off = an_off;
        for (unsigned i = 0; i < ancount && !moved; i++) {
            rr r;
            int rc = read_rr(p, len, &off, &r);
            if (rc != 0)
                return rc;
            if (r.type != DNS_TYPE_CNAME || r.cls != CLASS_IN || !wire_eq(r.owner, r.owner_len, name, *name_len))
                continue;
            size_t t = r.rdata;
            uint8_t target[DNS_WIRE_NAME_MAX];
            size_t tl;
            if ((rc = read_name(p, len, &t, target, &tl)) != 0 || t != r.rdata + r.rdlen)
                return DNS_ERR_FORMAT;
            memcpy(name, target, tl);
            *name_len = tl;
            moved = true;
        }
        if (!moved)
            return 0;
        if (hop + 1 >= CNAME_HOPS_MAX)
            return DNS_ERR_FORMAT;
    }
}

/* Appends the records of type qtype owned by qname from the answer section at off. */
static int collect(const uint8_t *pkt, size_t len, size_t off, unsigned ancount, const uint8_t *qname, size_t qnl,
                   unsigned qtype, dns_result *r)
{
    int rc;
    wire_to_text(qname, r->name, sizeof(r->name));
    size_t alen = qtype == DNS_TYPE_AAAA ? 16 : 4;
    for (unsigned i = 0; i < ancount; i++) {
        rr a;
        if ((rc = read_rr(pkt, len, &off, &a)) != 0)
            return rc;
        if (a.type != qtype || a.cls != CLASS_IN || !wire_eq(a.owner, a.owner_len, qname, qnl))
            continue;
        if (a.rdlen != alen)
            return DNS_ERR_FORMAT;
        dns_addr d;
        memset(&d, 0, sizeof(d));
        d.family = alen == 4 ? AF_INET : AF_INET6;
        memcpy(d.ip, pkt + a.rdata, alen);
        dns_result_add(r, &d, DNS_FAMILY_ANY);
    }
    return r->n > 0 ? DNS_OK : DNS_ERR_NODATA;
}

int dns_response_parse(const uint8_t *pkt, size_t len, const uint8_t *query, size_t qlen, dns_result *r)
{
    r->n = 0;
    r->name[0] = '\0';
    if (qlen < HDR_LEN + 1 + 4 || len < HDR_LEN)
        return len < HDR_LEN ? DNS_ERR_FORMAT : DNS_ERR_MISMATCH;
    if (pkt[0] != query[0] || pkt[1] != query[1] || !(pkt[2] & 0x80) || (pkt[2] & 0x78) != 0)
        return DNS_ERR_MISMATCH; /* ID, QR, opcode QUERY */
    unsigned rcode = pkt[3] & 0x0F;
    unsigned qdcount = get16(pkt + 4), ancount = get16(pkt + 6);
    /* Some servers drop the question from an error answer; such an answer with our ID on
     * our connected socket is the server's verdict (glibc accepts it for FORMERR too). */
    if (qdcount == 0 && rcode != 0)
        return rcode == RCODE_REFUSED ? DNS_ERR_REFUSED : DNS_ERR_SERVFAIL;
    if (qdcount != 1)
        return DNS_ERR_MISMATCH;

    size_t off = HDR_LEN;
    uint8_t qname[DNS_WIRE_NAME_MAX], want[DNS_WIRE_NAME_MAX];
    size_t qnl, wl, qoff = HDR_LEN;
    if (read_name(pkt, len, &off, qname, &qnl) != 0 || off + 4 > len)
        return DNS_ERR_FORMAT;
    if (read_name(query, qlen, &qoff, want, &wl) != 0 || qoff + 4 > qlen)
        return DNS_ERR_MISMATCH;
    if (!wire_eq(qname, qnl, want, wl) || memcmp(pkt + off, query + qoff, 4) != 0)
        return DNS_ERR_MISMATCH;
    unsigned qtype = get16(query + qoff);
    off += 4;

    if (pkt[2] & 0x02)
        return DNS_ERR_TRUNCATED;
    if (rcode == RCODE_NXDOMAIN)
        return DNS_ERR_NXDOMAIN;
    if (rcode == RCODE_REFUSED)
        return DNS_ERR_REFUSED;
    if (rcode != 0)
        return DNS_ERR_SERVFAIL;

    int rc = follow_cnames(pkt, len, off, ancount, qname, &qnl);
    if (rc != 0)
        return rc;
    rc = collect(pkt, len, off, ancount, qname, qnl, qtype, r);
    if (rc != DNS_OK)
        r->n = 0;
    return rc;
}

int dns_addr_sockaddr(const dns_addr *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        memcpy(&in->sin_addr, a->ip, 4);
        *len = sizeof(*in);
        return 0;
    }
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        memcpy(&in6->sin6_addr, a->ip, 16);
        *len = sizeof(*in6);
        return 0;
    }
    return -1;
}

char *dns_addr_format(const dns_addr *a, char *out, size_t outlen)
{
    char tmp[INET6_ADDRSTRLEN];
    if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->ip, tmp, sizeof(tmp)) ||
        (a->family != AF_INET && a->family != AF_INET6))
        snprintf(tmp, sizeof(tmp), "?");
    if (outlen > 0)
        snprintf(out, outlen, "%s", tmp);
    return out;
}
