/* plan_dns.c - the plan's names: resolve entries ("HOST:PORT:ADDR[,ADDR...]", curl's
 * --resolve syntax) and their lookup. The YAML side (dns: {ttl, resolve}) is in plan_load.c;
 * resolving and renewing are the client's (client_target.c) and the run's (renew.c). */
#include "plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "units.h"

/* One address of the list: bare or bracketed IPv6, dotted IPv4. */
static int parse_addr(const char *s, size_t n, dns_addr *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return dns_parse_numeric(tmp, out);
}

int plan_add_resolve(plan *p, const char *spec, char *err, size_t errlen)
{
    const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || c1 == spec)
        return err_set(err, errlen, "expected HOST:PORT:ADDRESS[,ADDRESS...], e.g. msdemo:8080:10.42.0.7");
    size_t hl = (size_t)(c1 - spec);
    if (hl > DNS_NAME_MAX)
        return err_set(err, errlen, "host name longer than %d characters", DNS_NAME_MAX);
    for (size_t i = 0; i < hl; i++) {
        char ch = spec[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '.' || ch == '_'))
            return err_set(err, errlen, "\"%.*s\" is not a host name", (int)hl, spec);
    }
    char port_s[8];
    size_t pl = (size_t)(c2 - c1 - 1);
    uint64_t port = 0;
    if (pl == 0 || pl >= sizeof port_s)
        return err_set(err, errlen, "expected a port from 1 to 65535 after \"%.*s:\"", (int)hl, spec);
    memcpy(port_s, c1 + 1, pl);
    port_s[pl] = '\0';
    if (units_parse_u64(port_s, &port) != 0 || port == 0 || port > 65535)
        return err_set(err, errlen, "expected a port from 1 to 65535, got \"%s\"", port_s);
    plan_resolve r = {.port = (uint16_t)port};
    for (const char *a = c2 + 1;;) {
        size_t al = strcspn(a, ",");
        if (r.n == PLAN_MAX_RESOLVE_ADDRS)
            return err_set(err, errlen, "more than %d addresses", PLAN_MAX_RESOLVE_ADDRS);
        if (parse_addr(a, al, &r.addr[r.n]) != 0)
            return err_set(err, errlen, "\"%.*s\" is not an IPv4 or IPv6 address", (int)al, a);
        r.n++;
        if (!a[al])
            break;
        a += al + 1;
    }
    if (!(r.host = plan_dupn(spec, hl)))
        return err_set(err, errlen, "out of memory");
    for (size_t i = 0; i < hl; i++)
        if (r.host[i] >= 'A' && r.host[i] <= 'Z')
            r.host[i] = (char)(r.host[i] - 'A' + 'a');
    plan_resolve *slot = (plan_resolve *)plan_resolve_find(p, r.host, r.port);
    if (slot) {
        free(slot->host);
    } else if (p->dns.n_resolve == PLAN_MAX_RESOLVE) {
        free(r.host);
        return err_set(err, errlen, "more than %d resolve entries", PLAN_MAX_RESOLVE);
    } else {
        slot = &p->dns.resolve[p->dns.n_resolve++];
    }
    *slot = r;
    return 0;
}

const plan_resolve *plan_resolve_find(const plan *p, const char *host, uint16_t port)
{
    for (size_t i = 0; i < p->dns.n_resolve; i++)
        if (p->dns.resolve[i].port == port && plan_caseeq(p->dns.resolve[i].host, host))
            return &p->dns.resolve[i];
    return NULL;
}
