/* fuzz_resolv_conf.c - libFuzzer target for dns_conf_parse, dns_hosts_find and
 * dns_search_list (the text files a resolver reads and what it derives from them).
 *
 * Invariants checked on every input:
 *  - the conf has 1..DNS_MAX_NS nameservers, <= DNS_MAX_SEARCH search domains, each
 *    non-empty, NUL-terminated, without spaces or a trailing dot; ndots <= 15,
 *    timeout 1..30, attempts 1..5;
 *  - every search candidate is a valid query name, the list has 1..n_search+1 entries and
 *    the name as given comes first or last (never in the middle);
 *  - the hosts lookup adds at most DNS_MAX_ADDRS distinct addresses of the family asked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/fuzz/fuzz.h"
#include "dns.h"

static void check_search(const dns_conf *c, const char *name)
{
    char out[DNS_MAX_SEARCH + 1][DNS_NAME_MAX + 1];
    int n = dns_search_list(c, name, out, DNS_MAX_SEARCH + 1);
    if (n < 0) {
        FUZZ_CHECK(n == DNS_ERR_BADNAME);
        return;
    }
    FUZZ_CHECK(n >= 1 && (unsigned)n <= c->n_search + 1);
    size_t nl = strlen(name);
    if (name[nl - 1] == '.')
        nl--;
    int as_is = -1;
    for (int i = 0; i < n; i++) {
        uint8_t q[DNS_QUERY_MAX];
        size_t ql;
        FUZZ_CHECK(dns_query_build(q, sizeof(q), 1, out[i], DNS_TYPE_A, &ql) == 0);
        if (strlen(out[i]) == nl && memcmp(out[i], name, nl) == 0)
            as_is = i;
    }
    FUZZ_CHECK(as_is == 0 || as_is == n - 1 || as_is == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dns_conf c;
    static dns_result r;
    const char *text = (const char *)data;
    dns_conf_init(&c);
    dns_conf_parse(&c, text, size);
    FUZZ_CHECK(c.n_ns >= 1 && c.n_ns <= DNS_MAX_NS);
    FUZZ_CHECK(c.n_search <= DNS_MAX_SEARCH);
    FUZZ_CHECK(c.ndots <= 15 && c.timeout_s >= 1 && c.timeout_s <= 30 && c.attempts >= 1 && c.attempts <= 5);
    for (unsigned i = 0; i < c.n_search; i++) {
        size_t l = strnlen(c.search[i], sizeof(c.search[i]));
        FUZZ_CHECK(l > 0 && l < sizeof(c.search[i]) && c.search[i][l - 1] != '.');
        FUZZ_CHECK(strpbrk(c.search[i], " \t\n") == NULL);
    }
    for (unsigned i = 0; i < c.n_ns; i++)
        FUZZ_CHECK(c.ns[i].family == AF_INET || c.ns[i].family == AF_INET6);
    check_search(&c, "msdemo");
    check_search(&c, "msdemo.demo-pt.svc");
    check_search(&c, "a.b.c.d.e.f.");

    static const char *const hn[] = {"localhost", "msdemo", "a.b."};
    for (size_t k = 0; k < sizeof(hn) / sizeof(hn[0]); k++) {
        for (int fam = DNS_FAMILY_ANY; fam <= DNS_FAMILY_V6; fam++) {
            r.n = 0;
            size_t added = dns_hosts_find(text, size, hn[k], fam, &r);
            FUZZ_CHECK(added == r.n && r.n <= DNS_MAX_ADDRS);
            for (size_t i = 0; i < r.n; i++) {
                FUZZ_CHECK(fam != DNS_FAMILY_V4 || r.addr[i].family == AF_INET);
                FUZZ_CHECK(fam != DNS_FAMILY_V6 || r.addr[i].family == AF_INET6);
                for (size_t j = 0; j < i; j++)
                    FUZZ_CHECK(memcmp(&r.addr[i], &r.addr[j], sizeof(r.addr[i])) != 0);
            }
        }
    }
    return 0;
}
