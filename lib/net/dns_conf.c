/* dns_conf.c - resolv.conf and hosts-file parsing, and the search-list order (glibc's
 * res_search), for dns.c. */
#include "buf.h"
#include "dns_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dns_conf_init(dns_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 53;
    c->ndots = 1;
    c->timeout_s = 5;
    c->attempts = 2;
}

/* NUL counts as a separator, so a word never hides a NUL that would cut it short. */
static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v' || ch == '\0';
}

/* Next whitespace-separated word of the line [*i, e): sets *w, *wl; false at the end. */
static bool next_word(const char *s, size_t *i, size_t e, const char **w, size_t *wl)
{
    while (*i < e && is_space(s[*i]))
        (*i)++;
    if (*i >= e)
        return false;
    size_t b = *i;
    while (*i < e && !is_space(s[*i]))
        (*i)++;
    *w = s + b;
    *wl = *i - b;
    return true;
}

static bool word_is(const char *w, size_t wl, const char *lit)
{
    return wl == strlen(lit) && memcmp(w, lit, wl) == 0;
}

/* "name:N" with N decimal (glibc reads digits and caps); false when w is another option. */
static bool option_num(const char *w, size_t wl, const char *name, unsigned cap, unsigned *out)
{
    size_t nl = strlen(name);
    if (wl <= nl + 1 || memcmp(w, name, nl) != 0 || w[nl] != ':')
        return false;
    unsigned v = 0;
    size_t i = nl + 1;
    for (; i < wl && w[i] >= '0' && w[i] <= '9'; i++)
        v = v >= cap ? cap : v * 10 + (unsigned)(w[i] - '0');
    if (i == nl + 1)
        return true; /* "ndots:x": recognised, ignored */
    *out = v > cap ? cap : v;
    return true;
}

static void set_search(dns_conf *c, const char *s, size_t i, size_t e, unsigned max)
{
    const char *w;
    size_t wl;
    c->n_search = 0;
    while (c->n_search < max && next_word(s, &i, e, &w, &wl)) {
        while (wl > 0 && w[wl - 1] == '.')
            wl--;
        if (wl == 0 || wl > DNS_NAME_MAX)
            continue;
        memcpy(c->search[c->n_search], w, wl);
        c->search[c->n_search][wl] = '\0';
        c->n_search++;
    }
}

void dns_conf_parse(dns_conf *c, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && s[e] != '\n')
            e++;
        const char *w;
        size_t wl, p = i;
        if (s[i] != '#' && s[i] != ';' && next_word(s, &p, e, &w, &wl)) {
            if (word_is(w, wl, "nameserver") && next_word(s, &p, e, &w, &wl)) {
                char a[64];
                dns_addr d;
                if (c->n_ns < DNS_MAX_NS && wl < sizeof(a)) {
                    memcpy(a, w, wl);
                    a[wl] = '\0';
                    if (a[0] != '[' && dns_parse_numeric(a, &d) == 0)
                        c->ns[c->n_ns++] = d;
                }
            } else if (word_is(w, wl, "search")) {
                set_search(c, s, p, e, DNS_MAX_SEARCH);
            } else if (word_is(w, wl, "domain")) {
                set_search(c, s, p, e, 1);
            } else if (word_is(w, wl, "options")) {
                while (next_word(s, &p, e, &w, &wl))
                    if (!option_num(w, wl, "ndots", 15, &c->ndots) && !option_num(w, wl, "timeout", 30, &c->timeout_s))
                        option_num(w, wl, "attempts", 5, &c->attempts);
            }
        }
        i = e + 1;
    }
    if (c->timeout_s == 0)
        c->timeout_s = 1;
    if (c->attempts == 0)
        c->attempts = 1;
    if (c->n_ns == 0) {
        memset(&c->ns[0], 0, sizeof(c->ns[0]));
        c->ns[0].family = AF_INET;
        c->ns[0].ip[0] = 127;
        c->ns[0].ip[3] = 1;
        c->n_ns = 1;
    }
}

char *dns_read_file(const char *path, size_t *len)
{
    buf b = BUF_INIT;
    *len = 0;
    /* A file longer than the limit is used up to it (EFBIG): the rest is ignored. */
    if (buf_read_file(&b, path, DNS_FILE_MAX) != 0 && errno != EFBIG) {
        buf_fini(&b);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

void dns_conf_load(dns_conf *c, const char *path)
{
    size_t n;
    char *text = dns_read_file(path ? path : "/etc/resolv.conf", &n);
    dns_conf_init(c);
    dns_conf_parse(c, text ? text : "", n);
    free(text);
}

size_t dns_hosts_find(const char *s, size_t len, const char *name, int family, dns_result *r)
{
    size_t added = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && s[e] != '\n')
            e++;
        size_t end = i;
        while (end < e && s[end] != '#')
            end++;
        const char *w;
        size_t wl, p = i;
        char a[64];
        dns_addr d;
        if (next_word(s, &p, end, &w, &wl) && wl < sizeof(a)) {
            memcpy(a, w, wl);
            a[wl] = '\0';
            bool match = false;
            if (a[0] != '[' && dns_parse_numeric(a, &d) == 0) {
                char nm[DNS_NAME_MAX + 2];
                while (!match && next_word(s, &p, end, &w, &wl)) {
                    if (wl >= sizeof(nm))
                        continue;
                    memcpy(nm, w, wl);
                    nm[wl] = '\0';
                    match = dns_name_eq(nm, name);
                }
            }
            if (match)
                added += (size_t)dns_result_add(r, &d, family);
        }
        i = e + 1;
    }
    return added;
}

/* name + "." + domain into out when it fits; returns 1 when written. */
static int join(char *out, const char *name, size_t nl, const char *dom)
{
    size_t dl = strlen(dom);
    if (nl + 1 + dl > DNS_NAME_MAX)
        return 0;
    memcpy(out, name, nl);
    out[nl] = '.';
    memcpy(out + nl + 1, dom, dl + 1);
    uint8_t wire[DNS_WIRE_NAME_MAX];
    return dns_name_to_wire(out, wire) > 0;
}

int dns_search_list(const dns_conf *c, const char *name, char (*out)[DNS_NAME_MAX + 1], size_t max)
{
    uint8_t wire[DNS_WIRE_NAME_MAX];
    if (dns_name_to_wire(name, wire) < 0)
        return DNS_ERR_BADNAME;
    size_t nl = strlen(name);
    bool absolute = name[nl - 1] == '.';
    if (absolute)
        nl--;
    unsigned dots = 0;
    for (size_t i = 0; i < nl; i++)
        dots += name[i] == '.';
    size_t n = 0;
    bool as_is_first = absolute || dots >= c->ndots;
    if (as_is_first && n < max) {
        memcpy(out[n], name, nl);
        out[n++][nl] = '\0';
    }
    if (absolute)
        return (int)n;
    for (unsigned k = 0; k < c->n_search && n < max; k++)
        n += (size_t)join(out[n], name, nl, c->search[k]);
    if (!as_is_first && n < max) {
        memcpy(out[n], name, nl);
        out[n++][nl] = '\0';
    }
    return (int)n;
}
