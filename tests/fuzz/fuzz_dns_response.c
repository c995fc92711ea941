/* fuzz_dns_response.c - libFuzzer target for dns_response_parse.
 *
 * Byte 0 picks the query the answer is checked against (bit 0: AAAA instead of A; bits 1-2:
 * the name); the query takes the packet's own ID, so the fuzzer reaches past the ID check.
 * Invariants checked on every input:
 *  - the result is a known code; DNS_OK has 1..DNS_MAX_ADDRS addresses, all of the asked
 *    family, no duplicates, and a NUL-terminated name; any other result has none;
 *  - parsing twice gives the same result;
 *  - every strict prefix of an input that parses DNS_OK is never DNS_OK with more addresses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/fuzz/fuzz.h"
#include "dns.h"

static const char *const names[] = {"msdemo.demo-pt.svc.cluster.local", "x.test", "www.example.test", "a.b"};

static void check(int rc, const dns_result *r, uint16_t qtype)
{
    FUZZ_CHECK(rc <= 0 && rc >= DNS_ERR_REFUSED);
    if (rc != DNS_OK) {
        FUZZ_CHECK(r->n == 0);
        return;
    }
    FUZZ_CHECK(r->n >= 1 && r->n <= DNS_MAX_ADDRS);
    FUZZ_CHECK(memchr(r->name, '\0', sizeof(r->name)) != NULL);
    for (size_t i = 0; i < r->n; i++) {
        FUZZ_CHECK(r->addr[i].family == (qtype == DNS_TYPE_A ? AF_INET : AF_INET6));
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(memcmp(&r->addr[i], &r->addr[k], sizeof(r->addr[i])) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dns_result a, b;
    if (size < 3)
        return 0;
    uint16_t qtype = (data[0] & 1) ? DNS_TYPE_AAAA : DNS_TYPE_A;
    const char *name = names[(data[0] >> 1) & 3];
    const uint8_t *pkt = data + 1;
    size_t len = size - 1;
    uint8_t q[DNS_QUERY_MAX];
    size_t ql;
    FUZZ_CHECK(dns_query_build(q, sizeof(q), (uint16_t)(pkt[0] << 8 | pkt[1]), name, qtype, &ql) == 0);

    int rc = dns_response_parse(pkt, len, q, ql, &a);
    check(rc, &a, qtype);
    FUZZ_CHECK(dns_response_parse(pkt, len, q, ql, &b) == rc);
    FUZZ_CHECK(a.n == b.n && memcmp(a.addr, b.addr, a.n * sizeof(a.addr[0])) == 0);
    if (rc == DNS_OK) {
        FUZZ_CHECK(strcmp(a.name, b.name) == 0);
        size_t step = len <= 256 ? 1 : len / 64;
        for (size_t k = 0; k < len; k += step) {
            int prc = dns_response_parse(pkt, k, q, ql, &b);
            check(prc, &b, qtype);
            FUZZ_CHECK(prc != DNS_OK || b.n <= a.n);
        }
    }
    return 0;
}
