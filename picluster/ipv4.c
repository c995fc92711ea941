/* ipv4.c - strict dotted-quad and CIDR parsing (see ipv4.h). */
#include "ipv4.h"

#include <stdio.h>

/* Parses one octet at *p up to a '.' or the end; advances *p past the digits. */
static int octet(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint32_t v = 0;
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 3)
            return IPV4_EINVAL;
        v = v * 10 + (uint32_t)(s[n] - '0');
        n++;
    }
    /* Leading zeros are refused: inet_aton reads "010" as octal 8. */
    if (n == 0 || v > 255 || (n > 1 && s[0] == '0'))
        return IPV4_EINVAL;
    *p = s + n;
    *out = v;
    return 0;
}

static int parse_quad(const char **p, uint32_t *out)
{
    uint32_t ip = 0;

    for (int i = 0; i < 4; i++) {
        uint32_t o;
        if (i > 0) {
            if (**p != '.')
                return IPV4_EINVAL;
            (*p)++;
        }
        if (octet(p, &o) < 0)
            return IPV4_EINVAL;
        ip = (ip << 8) | o;
    }
    *out = ip;
    return 0;
}

int ipv4_parse(const char *s, uint32_t *out)
{
    uint32_t ip;

    if (!s || parse_quad(&s, &ip) < 0 || *s != '\0')
        return IPV4_EINVAL;
    *out = ip;
    return 0;
}

uint32_t ipv4_mask(unsigned prefix)
{
    if (prefix == 0)
        return 0;
    if (prefix >= 32)
        return UINT32_C(0xffffffff);
    return UINT32_C(0xffffffff) << (32 - prefix);
}

int ipv4_cidr_parse(const char *s, uint32_t *net, unsigned *prefix)
{
    uint32_t ip;
    unsigned p = 0;
    size_t n = 0;

    if (!s || parse_quad(&s, &ip) < 0 || *s != '/')
        return IPV4_EINVAL;
    s++;
    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 2)
            return IPV4_EINVAL;
        p = p * 10 + (unsigned)(s[n] - '0');
        n++;
    }
    if (n == 0 || s[n] != '\0' || (n > 1 && s[0] == '0') || p < 8 || p > 30)
        return IPV4_EINVAL;
    *prefix = p;
    *net = ip & ipv4_mask(p);
    return (ip & ~ipv4_mask(p)) ? IPV4_EHOSTBITS : 0;
}

bool ipv4_host_in(uint32_t ip, uint32_t net, unsigned prefix)
{
    uint32_t mask = ipv4_mask(prefix);

    if ((ip & mask) != net)
        return false;
    if (prefix >= 31)
        return true;
    return ip != net && ip != (net | ~mask);
}

char *ipv4_format(uint32_t ip, char *out)
{
    snprintf(out, IPV4_STRLEN, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)((ip >> 16) & 255u),
             (unsigned)((ip >> 8) & 255u), (unsigned)(ip & 255u));
    return out;
}
