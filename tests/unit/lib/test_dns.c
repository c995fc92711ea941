/* test_dns.c - lib/dns: query encoding, answer parsing (compression, CNAME chains, truncated
 * and malicious packets), resolv.conf and hosts parsing, search-list order, and
 * dns_resolve against an in-process UDP+TCP nameserver. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "dns.h"
#include "guard.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ packet builder -- */

typedef struct pk {
    uint8_t b[2048];
    size_t n;
} pk;

static void p8(pk *p, unsigned v)
{
    assert_true(p->n < sizeof(p->b));
    p->b[p->n++] = (uint8_t)v;
}
static void p16(pk *p, unsigned v)
{
    p8(p, v >> 8);
    p8(p, v & 0xff);
}
/* Labels of text (no root byte). */
static void plabels(pk *p, const char *text)
{
    while (*text) {
        const char *e = strchr(text, '.');
        size_t l = e ? (size_t)(e - text) : strlen(text);
        p8(p, (unsigned)l);
        for (size_t i = 0; i < l; i++)
            p8(p, (uint8_t)text[i]);
        text += l + (e ? 1 : 0);
    }
}
static void pname(pk *p, const char *text)
{
    plabels(p, text);
    p8(p, 0);
}
static void pptr(pk *p, unsigned off)
{
    p16(p, 0xC000 | off);
}
static void phdr(pk *p, unsigned id, unsigned flags, unsigned qd, unsigned an)
{
    p->n = 0;
    p16(p, id);
    p16(p, flags);
    p16(p, qd);
    p16(p, an);
    p16(p, 0);
    p16(p, 0);
}
/* Type, class IN, TTL 60, rdlength: the fixed part of an RR after its owner. */
static void prr(pk *p, unsigned type, unsigned rdlen)
{
    p16(p, type);
    p16(p, 1);
    p16(p, 0);
    p16(p, 60);
    p16(p, rdlen);
}
static void pa(pk *p, unsigned a, unsigned b, unsigned c, unsigned d)
{
    prr(p, DNS_TYPE_A, 4);
    p8(p, a);
    p8(p, b);
    p8(p, c);
    p8(p, d);
}

/* The answer header + question for q (a query built by dns_query_build). */
static void answer_of(pk *p, const uint8_t *q, size_t qlen, unsigned flags, unsigned an)
{
    phdr(p, (unsigned)q[0] << 8 | q[1], flags, 1, an);
    memcpy(p->b + 12, q + 12, qlen - 12);
    p->n = qlen;
}

static int parse_guarded(const pk *p, const uint8_t *q, size_t ql, dns_result *r)
{
    guarded g;
    guard_copy(&g, p->b, p->n);
    int rc = dns_response_parse(g.p, p->n, q, ql, r);
    guard_fini(&g);
    return rc;
}

static const char *addr_str(const dns_addr *a, char *buf, size_t len)
{
    return dns_addr_format(a, buf, len);
}

/* ------------------------------------------------------------------ queries ---------- */

static void test_query_build(void **state)
{
    (void)state;
    uint8_t q[DNS_QUERY_MAX];
    size_t len = 0;
    assert_int_equal(dns_query_build(q, sizeof(q), 0x1234, "ab.c", DNS_TYPE_AAAA, &len), 0);
    static const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 2, 'a', 'b', 1, 'c', 0, 0, 28, 0, 1};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(q, want, sizeof(want));
    /* a trailing dot is the same name */
    uint8_t q2[DNS_QUERY_MAX];
    size_t len2;
    assert_int_equal(dns_query_build(q2, sizeof(q2), 0x1234, "ab.c.", DNS_TYPE_AAAA, &len2), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(q2, q, len);
    /* too small a buffer */
    assert_int_equal(dns_query_build(q, sizeof(want) - 1, 1, "ab.c", DNS_TYPE_A, &len), DNS_ERR_FORMAT);

    char l63[64], l64[65], long_name[260];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    assert_int_equal(dns_query_build(q, sizeof(q), 1, l63, DNS_TYPE_A, &len), 0);
    /* 253 characters is the longest name; 254 is refused */
    for (size_t i = 0; i < 253; i++)
        long_name[i] = (i % 2) ? '.' : 'x';
    long_name[253] = '\0';
    assert_int_equal(dns_query_build(q, sizeof(q), 1, long_name, DNS_TYPE_A, &len), 0);
    assert_true(len <= DNS_QUERY_MAX);
    long_name[253] = '.';
    long_name[254] = 'x';
    long_name[255] = '\0';
    static const char *const bad[] = {"", ".", "a..b", ".a", "a b", "a\tb", "a\x01", "\x7f", "a..", "a\xc3\xa9"};
    for (size_t i = 0; i < N(bad); i++)
        assert_int_equal(dns_query_build(q, sizeof(q), 1, bad[i], DNS_TYPE_A, &len), DNS_ERR_BADNAME);
    assert_int_equal(dns_query_build(q, sizeof(q), 1, l64, DNS_TYPE_A, &len), DNS_ERR_BADNAME);
    assert_int_equal(dns_query_build(q, sizeof(q), 1, long_name, DNS_TYPE_A, &len), DNS_ERR_BADNAME);
}

static void test_numeric(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc, family;
        const char *out;
    } cases[] = {
        {"10.0.0.1", 0, AF_INET, "10.0.0.1"},
        {"::1", 0, AF_INET6, "::1"},
        {"[::1]", 0, AF_INET6, "::1"},
        {"[fe80::1:2]", 0, AF_INET6, "fe80::1:2"},
        {"[10.0.0.1]", -1, 0, NULL},
        {"10.0.0", -1, 0, NULL},
        {"10.0.0.256", -1, 0, NULL},
        {"[::1", -1, 0, NULL},
        {"msdemo", -1, 0, NULL},
        {"", -1, 0, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        dns_addr a;
        char buf[64];
        assert_int_equal(dns_parse_numeric(cases[i].in, &a), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(a.family, cases[i].family);
            assert_string_equal(addr_str(&a, buf, sizeof(buf)), cases[i].out);
        }
    }
    dns_addr a;
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(dns_parse_numeric("192.0.2.7", &a), 0);
    assert_int_equal(dns_addr_sockaddr(&a, 8080, &ss, &sl), 0);
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&ss;
    assert_int_equal(sl, sizeof(*in));
    assert_int_equal(ntohs(in->sin_port), 8080);
    assert_int_equal(ntohl(in->sin_addr.s_addr), 0xC0000207u);
    a.family = 99;
    assert_int_equal(dns_addr_sockaddr(&a, 1, &ss, &sl), -1);
}

/* ------------------------------------------------------------------ answers ---------- */

typedef struct qfix {
    uint8_t q[DNS_QUERY_MAX];
    size_t ql;
} qfix;

static void mkq(qfix *f, const char *name, uint16_t type)
{
    assert_int_equal(dns_query_build(f->q, sizeof(f->q), 0xBEEF, name, type, &f->ql), 0);
}

static void test_parse_basic(void **state)
{
    (void)state;
    qfix f;
    pk p;
    dns_result r;
    char b[64];
    mkq(&f, "msdemo.demo-pt.svc.cluster.local", DNS_TYPE_A);

    /* Two A records, owners compressed to the question name. */
    answer_of(&p, f.q, f.ql, 0x8180, 2);
    pptr(&p, 12);
    pa(&p, 10, 0, 0, 1);
    pptr(&p, 12);
    pa(&p, 10, 0, 0, 2);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "10.0.0.1");
    assert_string_equal(addr_str(&r.addr[1], b, sizeof(b)), "10.0.0.2");
    assert_string_equal(r.name, "msdemo.demo-pt.svc.cluster.local");

    /* Every shorter prefix is malformed or a mismatch, never a success. */
    for (size_t k = 0; k < p.n; k++) {
        pk s = p;
        s.n = k;
        int rc = parse_guarded(&s, f.q, f.ql, &r);
        assert_true(rc == DNS_ERR_FORMAT || rc == DNS_ERR_MISMATCH);
    }

    /* The owner in another case, uncompressed; a duplicate address kept once. */
    answer_of(&p, f.q, f.ql, 0x8180, 2);
    pname(&p, "MSDEMO.Demo-Pt.svc.cluster.LOCAL");
    pa(&p, 10, 0, 0, 1);
    pptr(&p, 12);
    pa(&p, 10, 0, 0, 1);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_OK);
    assert_int_equal(r.n, 1);

    /* A record of another owner and another class are ignored: no data. */
    answer_of(&p, f.q, f.ql, 0x8180, 2);
    pname(&p, "other.cluster.local");
    pa(&p, 10, 0, 0, 9);
    pptr(&p, 12);
    p16(&p, DNS_TYPE_A);
    p16(&p, 3); /* CHAOS */
    p16(&p, 0);
    p16(&p, 60);
    p16(&p, 4);
    p16(&p, 0);
    p16(&p, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_NODATA);

    /* AAAA */
    mkq(&f, "v6.test", DNS_TYPE_AAAA);
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_AAAA, 16);
    p16(&p, 0x2001);
    p16(&p, 0xdb8);
    for (int i = 0; i < 5; i++)
        p16(&p, 0);
    p16(&p, 7);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.addr[0].family, AF_INET6);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "2001:db8::7");
}

static void test_parse_cname(void **state)
{
    (void)state;
    qfix f;
    pk p;
    dns_result r;
    char b[64];
    mkq(&f, "www.example.test", DNS_TYPE_A);

    /* www -> web.example.test -> edge.cdn.test; the records out of order, the A record of
     * the middle name ignored, the final names compressed against earlier ones. */
    answer_of(&p, f.q, f.ql, 0x8180, 4);
    size_t edge_rr = p.n;
    plabels(&p, "edge");
    plabels(&p, "cdn");
    pname(&p, "test"); /* edge.cdn.test at edge_rr */
    pa(&p, 192, 0, 2, 1);
    size_t web = p.n;
    plabels(&p, "web");
    pptr(&p, 12 + 4);        /* web.example.test ("example.test" of the question) */
    pa(&p, 192, 0, 2, 99);   /* not the end of the chain */
    pptr(&p, (unsigned)web); /* web.example.test CNAME edge.cdn.test */
    prr(&p, DNS_TYPE_CNAME, 2);
    pptr(&p, (unsigned)edge_rr);
    pptr(&p, 12); /* www.example.test CNAME web.example.test */
    prr(&p, DNS_TYPE_CNAME, 2);
    pptr(&p, (unsigned)web);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "192.0.2.1");
    assert_string_equal(r.name, "edge.cdn.test");

    /* A CNAME without the target's address: no data. */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_CNAME, 8);
    pname(&p, "a.test");
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_NODATA);

    /* A loop www -> a.test -> www: malformed. */
    answer_of(&p, f.q, f.ql, 0x8180, 2);
    size_t a = p.n;
    pname(&p, "a.test");
    prr(&p, DNS_TYPE_CNAME, 2);
    pptr(&p, 12);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_CNAME, 2);
    pptr(&p, (unsigned)a);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);

    /* A CNAME whose rdata is longer than its name. */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_CNAME, 3);
    pptr(&p, 12);
    p8(&p, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
}

static void test_parse_codes(void **state)
{
    (void)state;
    qfix f;
    pk p;
    dns_result r;
    mkq(&f, "x.test", DNS_TYPE_A);
    static const struct {
        unsigned flags;
        int rc;
    } cases[] = {
        {0x8183, DNS_ERR_NXDOMAIN},  {0x8582, DNS_ERR_SERVFAIL}, {0x8185, DNS_ERR_REFUSED},
        {0x8181, DNS_ERR_SERVFAIL},  {0x8184, DNS_ERR_SERVFAIL}, {0x8380, DNS_ERR_TRUNCATED},
        {0x8383, DNS_ERR_TRUNCATED}, /* TC wins over the rcode */
        {0x0180, DNS_ERR_MISMATCH},  /* QR clear: a query, not an answer */
        {0x8980, DNS_ERR_MISMATCH},  /* opcode 1 */
        {0x8180, DNS_ERR_NODATA},
    };
    for (size_t i = 0; i < N(cases); i++) {
        answer_of(&p, f.q, f.ql, cases[i].flags, 0);
        assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), cases[i].rc);
    }
    /* No question with an error rcode: the server's verdict; with NOERROR: not ours. */
    phdr(&p, 0xBEEF, 0x8185, 0, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_REFUSED);
    phdr(&p, 0xBEEF, 0x8181, 0, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_SERVFAIL);
    phdr(&p, 0xBEEF, 0x8180, 0, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_MISMATCH);
    /* One byte changed: another ID, question name, type or class; two questions. A
     * negative offset counts from the end of the packet. */
    static const struct {
        int off;
        uint8_t val;
        int rc;
    } muts[] = {
        {1, 0xEE, DNS_ERR_MISMATCH},
        {13, 'y', DNS_ERR_MISMATCH},
        {13, 'X', DNS_ERR_NODATA}, /* case differs: still ours */
        {-3, DNS_TYPE_AAAA, DNS_ERR_MISMATCH},
        {-1, 3, DNS_ERR_MISMATCH},
        {5, 2, DNS_ERR_MISMATCH},
    };
    for (size_t i = 0; i < N(muts); i++) {
        answer_of(&p, f.q, f.ql, 0x8180, 0);
        p.b[muts[i].off < 0 ? p.n - (size_t)-muts[i].off : (size_t)muts[i].off] = muts[i].val;
        assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), muts[i].rc);
    }
}

/* Hostile packets: every one must be rejected without reading outside the packet. */
static void test_parse_malicious(void **state)
{
    (void)state;
    qfix f;
    pk p;
    dns_result r;
    mkq(&f, "x.test", DNS_TYPE_A);
    const size_t an = f.ql; /* where the answer section starts */

    /* pointer to itself */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, (unsigned)an);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* forward pointer */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, (unsigned)an + 2);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* two pointers pointing at each other (label, pointer back, pointer forward) */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    plabels(&p, "a");
    pptr(&p, (unsigned)an + 4);
    pptr(&p, (unsigned)an);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* a loop through the question: label then a pointer to the label's own start */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    size_t lp = p.n;
    plabels(&p, "loop");
    pptr(&p, (unsigned)lp);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* pointer beyond the packet; half a pointer at the end */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 0x3fff);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    p8(&p, 0xC0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* label running past the end; extended (0x40) and 0x80 label types */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    p8(&p, 63);
    p8(&p, 'a');
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    p8(&p, 0x41);
    p8(&p, 0);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    p8(&p, 0x81);
    p8(&p, 0);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* a name longer than 255 bytes built from chained pointers */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    size_t prev = 12; /* the question name x.test */
    for (int i = 0; i < 5; i++) {
        size_t here = p.n;
        p8(&p, 63);
        for (int k = 0; k < 63; k++)
            p8(&p, 'a');
        pptr(&p, (unsigned)prev);
        prev = here;
    }
    pptr(&p, (unsigned)prev);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* rdlength past the end; an A record of 5 bytes; more answers announced than present */
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_A, 8);
    p16(&p, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    answer_of(&p, f.q, f.ql, 0x8180, 1);
    pptr(&p, 12);
    prr(&p, DNS_TYPE_A, 5);
    for (int i = 0; i < 5; i++)
        p8(&p, 1);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    answer_of(&p, f.q, f.ql, 0x8180, 3);
    pptr(&p, 12);
    pa(&p, 1, 2, 3, 4);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* a header alone; nothing at all */
    phdr(&p, 0xBEEF, 0x8180, 1, 0);
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    p.n = 0;
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_ERR_FORMAT);
    /* many addresses: at most DNS_MAX_ADDRS are kept */
    answer_of(&p, f.q, f.ql, 0x8180, 40);
    for (unsigned i = 0; i < 40; i++) {
        pptr(&p, 12);
        pa(&p, 10, 1, 0, i);
    }
    assert_int_equal(parse_guarded(&p, f.q, f.ql, &r), DNS_OK);
    assert_int_equal(r.n, DNS_MAX_ADDRS);
}

/* ------------------------------------------------------------------ files ------------ */

static void test_conf(void **state)
{
    (void)state;
    dns_conf c;
    char b[64];
    static const char pod[] = "# generated by the kubelet\n"
                              "search demo-pt.svc.cluster.local svc.cluster.local cluster.local\n"
                              "nameserver 10.96.0.10\n"
                              "options ndots:5\n";
    dns_conf_init(&c);
    dns_conf_parse(&c, pod, strlen(pod));
    assert_int_equal(c.n_ns, 1);
    assert_string_equal(addr_str(&c.ns[0], b, sizeof(b)), "10.96.0.10");
    assert_int_equal(c.n_search, 3);
    assert_string_equal(c.search[0], "demo-pt.svc.cluster.local");
    assert_string_equal(c.search[2], "cluster.local");
    assert_int_equal(c.ndots, 5);
    assert_int_equal(c.timeout_s, 5);
    assert_int_equal(c.attempts, 2);
    assert_int_equal(c.port, 53);

    static const char many[] = "nameserver 10.0.0.1\r\n"
                               "  nameserver\t::1 # a comment after the address\n"
                               "; nameserver 10.9.9.9\n"
                               "#nameserver 10.9.9.8\n"
                               "nameserver bogus\n"
                               "nameserver [::2]\n"
                               "nameserver 10.0.0.3\n"
                               "nameserver 10.0.0.4\n" /* a fourth: ignored */
                               "search a.example. b.example\n"
                               "domain only.example\n" /* the last of search/domain wins */
                               "options timeout:99 attempts:0 ndots:x rotate edns0 ndots:100\n"
                               "nameserverx 10.0.0.5\n"
                               "options";
    dns_conf_init(&c);
    dns_conf_parse(&c, many, strlen(many));
    assert_int_equal(c.n_ns, 3);
    assert_string_equal(addr_str(&c.ns[0], b, sizeof(b)), "10.0.0.1");
    assert_string_equal(addr_str(&c.ns[1], b, sizeof(b)), "::1");
    assert_string_equal(addr_str(&c.ns[2], b, sizeof(b)), "10.0.0.3");
    assert_int_equal(c.n_search, 1);
    assert_string_equal(c.search[0], "only.example");
    assert_int_equal(c.timeout_s, 30);
    assert_int_equal(c.attempts, 1); /* 0 makes no sense: one attempt */
    assert_int_equal(c.ndots, 15);

    /* Empty: 127.0.0.1 and the defaults. A later search replaces domain; dots trimmed. */
    dns_conf_init(&c);
    dns_conf_parse(&c, "domain x.example\nsearch s1. s2..\n", 33);
    assert_int_equal(c.n_ns, 1);
    assert_string_equal(addr_str(&c.ns[0], b, sizeof(b)), "127.0.0.1");
    assert_int_equal(c.n_search, 2);
    assert_string_equal(c.search[0], "s1");
    assert_string_equal(c.search[1], "s2");
    dns_conf_init(&c);
    dns_conf_parse(&c, "search a b c d e f g h i j k\n", 28);
    assert_int_equal(c.n_search, DNS_MAX_SEARCH);
    dns_conf_load(&c, "/nonexistent/resolv.conf");
    assert_int_equal(c.n_ns, 1);
    assert_int_equal(c.ndots, 1);
    /* NUL bytes and no final newline */
    dns_conf_init(&c);
    dns_conf_parse(&c, "nameserver 10.1.1.1\0\nsearch z", 29);
    assert_int_equal(c.n_search, 1);
}

static void test_hosts(void **state)
{
    (void)state;
    static const char hosts[] = "# Kubernetes-managed hosts file.\n"
                                "127.0.0.1\tlocalhost\n"
                                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                "fe00::0\tip6-localnet\n"
                                "10.244.1.7\tptest-abc.ptest.demo-pt.svc.cluster.local\tptest-abc\n"
                                "10.0.0.1 twice # comment twice-not\n"
                                "10.0.0.2 other twice\n"
                                "10.0.0.1 twice\n"
                                "bogus notanaddress\n"
                                "10.0.0.9\n"
                                "10.0.0.8 #twice\n"
                                "10.0.0.7 last";
    dns_result r;
    char b[64];
    r.n = 0;
    assert_int_equal(dns_hosts_find(hosts, strlen(hosts), "localhost", DNS_FAMILY_ANY, &r), 2);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "127.0.0.1");
    assert_string_equal(addr_str(&r.addr[1], b, sizeof(b)), "::1");
    r.n = 0;
    assert_int_equal(dns_hosts_find(hosts, strlen(hosts), "LOCALHOST.", DNS_FAMILY_V6, &r), 1);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "::1");
    r.n = 0;
    assert_int_equal(dns_hosts_find(hosts, strlen(hosts), "ptest-abc", DNS_FAMILY_ANY, &r), 1);
    r.n = 0;
    assert_int_equal(dns_hosts_find(hosts, strlen(hosts), "twice", DNS_FAMILY_ANY, &r), 2);
    assert_string_equal(addr_str(&r.addr[1], b, sizeof(b)), "10.0.0.2");
    static const char *const none[] = {"twice-not", "notanaddress",          "bogus", "10.0.0.9",
                                       "ptest",     "localhost.localdomain", "last."};
    for (size_t i = 0; i < N(none); i++) {
        r.n = 0;
        size_t want = strcmp(none[i], "last.") == 0 ? 1 : 0;
        assert_int_equal(dns_hosts_find(hosts, strlen(hosts), none[i], DNS_FAMILY_ANY, &r), want);
    }
    r.n = 0;
    assert_int_equal(dns_hosts_find(hosts, strlen(hosts), "ip6-loopback", DNS_FAMILY_V4, &r), 0);
}

static void test_search(void **state)
{
    (void)state;
    dns_conf c;
    static const char pod[] = "search demo-pt.svc.cluster.local svc.cluster.local cluster.local\n"
                              "options ndots:5\n";
    dns_conf_init(&c);
    dns_conf_parse(&c, pod, strlen(pod));
    static const struct {
        const char *name;
        unsigned ndots;
        const char *want; /* candidates joined by spaces */
    } cases[] = {
        {"msdemo", 5, "msdemo.demo-pt.svc.cluster.local msdemo.svc.cluster.local msdemo.cluster.local msdemo"},
        {"msdemo.demo-pt.svc", 5,
         "msdemo.demo-pt.svc.demo-pt.svc.cluster.local msdemo.demo-pt.svc.svc.cluster.local "
         "msdemo.demo-pt.svc.cluster.local msdemo.demo-pt.svc"},
        {"msdemo.demo-pt.svc.", 5, "msdemo.demo-pt.svc"},
        {"a.b.c.d.e.f", 5,
         "a.b.c.d.e.f a.b.c.d.e.f.demo-pt.svc.cluster.local a.b.c.d.e.f.svc.cluster.local a.b.c.d.e.f.cluster.local"},
        {"a.b.c.d", 5, "a.b.c.d.demo-pt.svc.cluster.local a.b.c.d.svc.cluster.local a.b.c.d.cluster.local a.b.c.d"},
        {"example.com", 1,
         "example.com example.com.demo-pt.svc.cluster.local example.com.svc.cluster.local example.com.cluster.local"},
        {"host", 1, "host.demo-pt.svc.cluster.local host.svc.cluster.local host.cluster.local host"},
        {"host", 0, "host host.demo-pt.svc.cluster.local host.svc.cluster.local host.cluster.local"},
    };
    char out[DNS_MAX_SEARCH + 1][DNS_NAME_MAX + 1];
    for (size_t i = 0; i < N(cases); i++) {
        c.ndots = cases[i].ndots;
        int n = dns_search_list(&c, cases[i].name, out, N(out));
        assert_true(n >= 1);
        char got[2048] = "";
        for (int k = 0; k < n; k++) {
            if (k)
                strcat(got, " ");
            strcat(got, out[k]);
        }
        assert_string_equal(got, cases[i].want);
    }
    assert_int_equal(dns_search_list(&c, "a..b", out, N(out)), DNS_ERR_BADNAME);
    assert_int_equal(dns_search_list(&c, "", out, N(out)), DNS_ERR_BADNAME);
    /* Candidates that would be too long are left out; max bounds the list. */
    char longn[250];
    memset(longn, 'a', 60);
    longn[60] = '.';
    memset(longn + 61, 'b', 60);
    longn[121] = '.';
    memset(longn + 122, 'c', 60);
    longn[182] = '.';
    memset(longn + 183, 'd', 55);
    longn[238] = '\0';
    c.ndots = 5;
    assert_int_equal(dns_search_list(&c, longn, out, N(out)), 2); /* + cluster.local, as is */
    assert_int_equal(dns_search_list(&c, "msdemo", out, 2), 2);
    assert_string_equal(out[1], "msdemo.svc.cluster.local");
    dns_conf_init(&c);
    dns_conf_parse(&c, "", 0);
    assert_int_equal(dns_search_list(&c, "x", out, N(out)), 1);
}

/* ------------------------------------------------------------------ resolving -------- */

/* A nameserver on 127.0.0.1 (UDP and TCP on one port) in a thread:
 *   two.test        A 127.0.0.1, 127.0.0.2 (after a spoofed datagram with another ID)
 *   big.test        TC over UDP, A 127.0.0.3 over TCP
 *   v6.test         AAAA ::1 only (NODATA for A)
 *   cname.test      CNAME two.test, then two.test's A records
 *   fail.test       SERVFAIL
 *   anything else   NXDOMAIN
 * It records the names asked, in order, in log. */
typedef struct ns_srv {
    int udp, tcp, stop[2];
    uint16_t port;
    pthread_t th;
    char log[4096];
    pthread_mutex_t mu;
    int tcp_queries;
} ns_srv;

static size_t qname_end(const uint8_t *q, size_t n)
{
    size_t i = 12;
    while (i < n && q[i])
        i += (size_t)q[i] + 1;
    return i + 1 + 4;
}

static void qname_text(const uint8_t *q, size_t n, char *out, size_t cap)
{
    size_t i = 12, o = 0;
    while (i < n && q[i] && o + 65 < cap) {
        if (o)
            out[o++] = '.';
        memcpy(out + o, q + i + 1, q[i]);
        o += q[i];
        i += (size_t)q[i] + 1;
    }
    out[o] = '\0';
}

static size_t ns_answer(ns_srv *s, const uint8_t *q, size_t qn, bool tcp, uint8_t *out)
{
    char name[256];
    qname_text(q, qn, name, sizeof(name));
    size_t qe = qname_end(q, qn);
    unsigned qtype = (unsigned)q[qe - 4] << 8 | q[qe - 3];
    pthread_mutex_lock(&s->mu);
    size_t l = strlen(s->log);
    snprintf(s->log + l, sizeof(s->log) - l, "%s%s/%s%s", l ? " " : "", name, qtype == DNS_TYPE_A ? "A" : "AAAA",
             tcp ? "/tcp" : "");
    s->tcp_queries += tcp;
    pthread_mutex_unlock(&s->mu);
    pk p;
    phdr(&p, (unsigned)q[0] << 8 | q[1], 0x8180, 1, 0);
    memcpy(p.b + 12, q + 12, qe - 12);
    p.n = qe;
    unsigned an = 0;
    if (strcmp(name, "fail.test") == 0) {
        p.b[3] = 0x82;
    } else if (strcmp(name, "big.test") == 0 && !tcp) {
        p.b[2] |= 0x02;
    } else if (strcmp(name, "big.test") == 0 && qtype == DNS_TYPE_A) {
        pptr(&p, 12);
        pa(&p, 127, 0, 0, 3);
        an = 1;
    } else if (strcmp(name, "v6.test") == 0) {
        if (qtype == DNS_TYPE_AAAA) {
            pptr(&p, 12);
            prr(&p, DNS_TYPE_AAAA, 16);
            for (int i = 0; i < 15; i++)
                p8(&p, 0);
            p8(&p, 1);
            an = 1;
        }
    } else if (strcmp(name, "two.test") == 0 || strcmp(name, "cname.test") == 0) {
        size_t owner = 12;
        if (strcmp(name, "cname.test") == 0) {
            pptr(&p, 12);
            prr(&p, DNS_TYPE_CNAME, 10);
            owner = p.n;
            pname(&p, "two.test");
            an++;
        }
        if (qtype == DNS_TYPE_A) {
            pptr(&p, (unsigned)owner);
            pa(&p, 127, 0, 0, 1);
            pptr(&p, (unsigned)owner);
            pa(&p, 127, 0, 0, 2);
            an += 2;
        }
    } else {
        p.b[3] = 0x83;
    }
    p.b[7] = (uint8_t)an;
    memcpy(out, p.b, p.n);
    return p.n;
}

static void *ns_main(void *arg)
{
    ns_srv *s = arg;
    for (;;) {
        struct pollfd pf[3] = {{s->udp, POLLIN, 0}, {s->tcp, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
        if (poll(pf, 3, -1) < 0)
            continue;
        if (pf[2].revents)
            return NULL;
        uint8_t q[512], a[2048];
        if (pf[0].revents) {
            struct sockaddr_storage from;
            socklen_t fl = sizeof(from);
            ssize_t n = recvfrom(s->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
            if (n < 17)
                continue;
            size_t an = ns_answer(s, q, (size_t)n, false, a);
            char name[256];
            qname_text(q, (size_t)n, name, sizeof(name));
            if (strcmp(name, "two.test") == 0) {
                /* a spoof first: right question, wrong ID (the client must keep waiting) */
                uint8_t bad[2048];
                memcpy(bad, a, an);
                bad[0] ^= 0x5a;
                (void)sendto(s->udp, bad, an, 0, (struct sockaddr *)&from, fl);
            }
            (void)sendto(s->udp, a, an, 0, (struct sockaddr *)&from, fl);
        }
        if (pf[1].revents) {
            int c = accept(s->tcp, NULL, NULL);
            if (c < 0)
                continue;
            uint8_t lp[2];
            if (recv(c, lp, 2, MSG_WAITALL) == 2) {
                size_t ql = (size_t)lp[0] << 8 | lp[1];
                if (ql <= sizeof(q) && recv(c, q, ql, MSG_WAITALL) == (ssize_t)ql) {
                    size_t an = ns_answer(s, q, ql, true, a + 2);
                    a[0] = (uint8_t)(an >> 8);
                    a[1] = (uint8_t)an;
                    (void)send(c, a, an + 2, MSG_NOSIGNAL);
                }
            }
            close(c);
        }
    }
}

static void ns_start(ns_srv *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* the same port for UDP and TCP: take a free TCP port, then bind UDP to it */
    for (int tries = 0; tries < 20; tries++) {
        s->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        a.sin_port = 0;
        assert_int_equal(bind(s->tcp, (struct sockaddr *)&a, sizeof(a)), 0);
        socklen_t al = sizeof(a);
        getsockname(s->tcp, (struct sockaddr *)&a, &al);
        s->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (bind(s->udp, (struct sockaddr *)&a, sizeof(a)) == 0)
            break;
        close(s->udp);
        close(s->tcp);
        s->udp = -1;
    }
    assert_true(s->udp >= 0);
    assert_int_equal(listen(s->tcp, 8), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pipe(s->stop), 0);
    assert_int_equal(pthread_create(&s->th, NULL, ns_main, s), 0);
}

static void ns_stop(ns_srv *s)
{
    assert_int_equal(write(s->stop[1], "x", 1), 1);
    pthread_join(s->th, NULL);
    close(s->udp);
    close(s->tcp);
    close(s->stop[0]);
    close(s->stop[1]);
    pthread_mutex_destroy(&s->mu);
}

static void conf_for(dns_conf *c, const ns_srv *s, const char *text)
{
    dns_conf_init(c);
    dns_conf_parse(c, text, strlen(text));
    c->port = s->port;
}

static void test_resolve(void **state)
{
    (void)state;
    ns_srv s;
    ns_start(&s);
    dns_conf c;
    conf_for(&c, &s, "nameserver 127.0.0.1\nsearch demo.test test\noptions ndots:2 timeout:2 attempts:1\n");
    dns_opts o = {.conf = &c, .hosts = "/nonexistent/hosts", .budget_ns = 3 * CLOCK_NS_PER_SEC};
    dns_result r;
    char err[512], b[64];

    /* "two": two.demo.test NXDOMAIN, then two.test: both addresses; the spoof was dropped. */
    assert_int_equal(dns_resolve("two", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "127.0.0.1");
    assert_string_equal(addr_str(&r.addr[1], b, sizeof(b)), "127.0.0.2");
    assert_string_equal(r.name, "two.test");
    assert_non_null(strstr(s.log, "two.demo.test/A"));
    assert_true(strstr(s.log, "two.demo.test/A") < strstr(s.log, "two.test/A"));

    /* truncated over UDP: asked again over TCP */
    assert_int_equal(dns_resolve("big.test", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "127.0.0.3");
    assert_true(s.tcp_queries >= 1);
    assert_non_null(strstr(s.log, "big.test/A/tcp"));

    /* IPv6 only; preference order; family filter */
    assert_int_equal(dns_resolve("v6.test.", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.addr[0].family, AF_INET6);
    o.family = DNS_FAMILY_V4;
    assert_int_equal(dns_resolve("v6.test.", &o, &r, err, sizeof(err)), DNS_ERR_NODATA);
    assert_non_null(strstr(err, "v6.test.: the name has no IPv4 address"));
    o.family = DNS_FAMILY_ANY;

    /* CNAME */
    assert_int_equal(dns_resolve("cname.test", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.name, "two.test");

    /* NXDOMAIN after the whole search list, in one line */
    assert_int_equal(dns_resolve("nope", &o, &r, err, sizeof(err)), DNS_ERR_NXDOMAIN);
    assert_string_equal(err, "nope: no such name (NXDOMAIN); tried nope.demo.test, nope.test, nope");
    assert_null(strchr(err, '\n'));
    assert_int_equal(dns_resolve("fail.test.", &o, &r, err, sizeof(err)), DNS_ERR_SERVFAIL);
    assert_non_null(strstr(err, "SERVFAIL from 127.0.0.1"));

    /* local answers: numeric, localhost, .invalid, a hosts file */
    assert_int_equal(dns_resolve("[::1]", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 1);
    o.family = DNS_FAMILY_V4;
    assert_int_equal(dns_resolve("::1", &o, &r, err, sizeof(err)), DNS_ERR_NODATA);
    o.family = DNS_FAMILY_ANY;
    assert_int_equal(dns_resolve("localhost", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.addr[0].family, AF_INET);
    o.prefer_v6 = true;
    assert_int_equal(dns_resolve("Web.LocalHost.", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.addr[0].family, AF_INET6);
    o.prefer_v6 = false;
    assert_int_equal(dns_resolve("x.invalid", &o, &r, err, sizeof(err)), DNS_ERR_NXDOMAIN);
    assert_int_equal(dns_resolve("bad..name", &o, &r, err, sizeof(err)), DNS_ERR_BADNAME);
    char hosts[] = "/tmp/test_dns_hosts.XXXXXX";
    int fd = mkstemp(hosts);
    assert_true(fd >= 0);
    static const char ht[] = "10.9.8.7 nope\n";
    assert_int_equal(write(fd, ht, sizeof(ht) - 1), (ssize_t)sizeof(ht) - 1);
    close(fd);
    o.hosts = hosts;
    assert_int_equal(dns_resolve("NOPE", &o, &r, err, sizeof(err)), DNS_OK);
    assert_string_equal(addr_str(&r.addr[0], b, sizeof(b)), "10.9.8.7");
    unlink(hosts);
    o.hosts = "/nonexistent/hosts";

    /* the second nameserver answers when the first refuses (nothing on 127.0.0.2) */
    conf_for(&c, &s, "nameserver 127.0.0.2\nnameserver 127.0.0.1\noptions timeout:2 attempts:1\n");
    assert_int_equal(dns_resolve("two.test.", &o, &r, err, sizeof(err)), DNS_OK);
    assert_int_equal(r.n, 2);
    ns_stop(&s);
    /* no server at all: ICMP port unreachable, a fast and clear failure */
    conf_for(&c, &s, "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n");
    mono_ns t0 = clock_mono_now();
    assert_int_equal(dns_resolve("gone.test.", &o, &r, err, sizeof(err)), DNS_ERR_UNREACH);
    assert_true(clock_mono_now() - t0 < 5 * CLOCK_NS_PER_SEC); /* sanity only */
    assert_non_null(strstr(err, "gone.test.: no nameserver reachable: 127.0.0.1 ("));
}

static void test_resolve_timeout(void **state)
{
    (void)state;
    /* A server that never answers: bound by the budget, then by timeout x attempts. */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    dns_conf c;
    dns_conf_init(&c);
    const char *text = "nameserver 127.0.0.1\nsearch one.test two.test\noptions timeout:5 attempts:2\n";
    dns_conf_parse(&c, text, strlen(text));
    c.port = ntohs(a.sin_port);
    dns_opts o = {.conf = &c, .hosts = "/nonexistent/hosts", .budget_ns = 300 * CLOCK_NS_PER_MS};
    dns_result r;
    char err[512];
    mono_ns t0 = clock_mono_now();
    assert_int_equal(dns_resolve("silent", &o, &r, err, sizeof(err)), DNS_ERR_TIMEOUT);
    mono_ns el = clock_mono_now() - t0;
    /* One-sided: never before the budget; the upper bound is only a sanity bound (a loaded
     * CI machine or a pod may be late), and so the message's measured seconds are not
     * compared. */
    assert_true(el >= 280 * CLOCK_NS_PER_MS && el < 5 * CLOCK_NS_PER_SEC);
    assert_non_null(strstr(err, "silent: no answer from 127.0.0.1 within "));
    assert_non_null(strstr(err, " s (asking for silent.one.test)"));
    /* no budget: resolv.conf's timeout 1 s x 1 attempt */
    text = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
    dns_conf_init(&c);
    dns_conf_parse(&c, text, strlen(text));
    c.port = ntohs(a.sin_port);
    o.budget_ns = 0;
    t0 = clock_mono_now();
    assert_int_equal(dns_resolve("silent.test", &o, &r, err, sizeof(err)), DNS_ERR_TIMEOUT);
    el = clock_mono_now() - t0;
    assert_true(el >= 950 * CLOCK_NS_PER_MS && el < 10 * CLOCK_NS_PER_SEC);
    assert_non_null(strstr(err, "no answer from 127.0.0.1 within "));
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_build),
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_parse_cname),
        cmocka_unit_test(test_parse_codes),
        cmocka_unit_test(test_parse_malicious),
        cmocka_unit_test(test_conf),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_resolve_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
