/* cookie.c - a user's cookie jar, RFC 6265 essentials (cookie.h). */
#include "cookie.h"

#include <string.h>

#define NS_PER_SEC UINT64_C(1000000000)

void cookie_jar_init(cookie_jar *j)
{
    j->n = 0;
    j->used = 0;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != b[i])
            return false;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool is_delim(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
           (c >= 0x7b && c <= 0x7e);
}

/* n digits (1..max) at the start of t[0..tn), the rest ignored; -1 if none. */
static int digits(const char *t, size_t tn, size_t min, size_t max, size_t *used)
{
    size_t i = 0;
    int v = 0;
    while (i < tn && i < max && t[i] >= '0' && t[i] <= '9')
        v = v * 10 + (t[i++] - '0');
    if (i < min || (i < tn && t[i] >= '0' && t[i] <= '9'))
        return -1;
    *used = i;
    return v;
}

/* RFC 6265 5.1.1: the tokens of the date in any order. */
bool cookie_parse_date(const char *s, size_t n, wall_ns *out)
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    int hh = -1, mi = -1, ss = -1, day = -1, mon = -1, year = -1;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_delim((unsigned char)s[i]))
            i++;
        size_t a = i;
        while (i < n && !is_delim((unsigned char)s[i]))
            i++;
        const char *t = s + a;
        size_t tn = i - a, u;
        if (tn == 0)
            continue;
        if (hh < 0) {
            int h = digits(t, tn, 1, 2, &u);
            if (h >= 0 && u < tn && t[u] == ':') {
                size_t u2, u3;
                int m2 = digits(t + u + 1, tn - u - 1, 1, 2, &u2);
                if (m2 >= 0 && u + 1 + u2 < tn && t[u + 1 + u2] == ':') {
                    int s2 = digits(t + u + 2 + u2, tn - u - 2 - u2, 1, 2, &u3);
                    if (s2 >= 0) {
                        hh = h;
                        mi = m2;
                        ss = s2;
                        continue;
                    }
                }
            }
        }
        if (day < 0) {
            int d = digits(t, tn, 1, 2, &u);
            if (d >= 0) {
                day = d;
                continue;
            }
        }
        if (mon < 0 && tn >= 3) {
            bool found = false;
            for (int m = 0; m < 12 && !found; m++)
                if (lower(t[0]) == months[3 * m] && lower(t[1]) == months[3 * m + 1] &&
                    lower(t[2]) == months[3 * m + 2]) {
                    mon = m + 1;
                    found = true;
                }
            if (found)
                continue;
        }
        if (year < 0) {
            int y = digits(t, tn, 2, 4, &u);
            if (y >= 0) {
                year = y;
                continue;
            }
        }
    }
    if (year >= 70 && year <= 99)
        year += 1900;
    else if (year >= 0 && year <= 69)
        year += 2000;
    if (hh < 0 || day < 1 || day > 31 || mon < 0 || year < 1601 || hh > 23 || mi > 59 || ss > 59)
        return false;
    int64_t secs = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hh * 3600 + mi * 60 + ss;
    *out = secs <= 0 ? 1 : (wall_ns)secs * NS_PER_SEC; /* before 1970: long expired */
    return true;
}

static const char *c_name(const cookie_jar *j, const cookie *c)
{
    return j->store + c->off;
}
static const char *c_domain(const cookie_jar *j, const cookie *c)
{
    return j->store + c->off + c->name_len + c->value_len;
}
static const char *c_path(const cookie_jar *j, const cookie *c)
{
    return c_domain(j, c) + c->domain_len;
}

static bool is_ip(const char *h)
{
    if (strchr(h, ':'))
        return true;
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || *h == '.'))
            return false;
    return true;
}

/* RFC 6265 5.1.3 */
static bool domain_match(const char *host, const char *d, size_t dn)
{
    size_t hn = strlen(host);
    if (hn == dn)
        return memcmp(host, d, dn) == 0;
    return hn > dn && memcmp(host + hn - dn, d, dn) == 0 && host[hn - dn - 1] == '.' && !is_ip(host);
}

/* RFC 6265 5.1.4 */
static bool path_match(const char *req, size_t rn, const char *cp, size_t cn)
{
    if (rn < cn || memcmp(req, cp, cn) != 0)
        return false;
    return rn == cn || cp[cn - 1] == '/' || req[cn] == '/';
}

static void remove_at(cookie_jar *j, size_t i)
{
    memmove(&j->c[i], &j->c[i + 1], (j->n - i - 1) * sizeof j->c[0]);
    j->n--;
}

/* Rewrites the store with the live cookies only. */
static void compact(cookie_jar *j)
{
    char tmp[COOKIE_STORE];
    size_t o = 0;
    for (size_t i = 0; i < j->n; i++) {
        cookie *c = &j->c[i];
        size_t len = (size_t)c->name_len + c->value_len + c->domain_len + c->path_len;
        memcpy(tmp + o, j->store + c->off, len);
        c->off = (uint16_t)o;
        o += len;
    }
    memcpy(j->store, tmp, o);
    j->used = o;
}

int cookie_jar_set(cookie_jar *j, const char *v, size_t n, const char *host, const char *path, size_t path_len,
                   wall_ns now)
{
    const char *semi = memchr(v, ';', n);
    size_t pair_n = semi ? (size_t)(semi - v) : n;
    const char *eq = memchr(v, '=', pair_n);
    if (!eq)
        return COOKIE_REJECTED;
    const char *name = v, *value = eq + 1;
    size_t name_n = (size_t)(eq - v), value_n = pair_n - name_n - 1;
    trim(&name, &name_n);
    trim(&value, &value_n);
    if (name_n == 0)
        return COOKIE_REJECTED;
    for (size_t i = 0; i < name_n + value_n + 1; i++) {
        unsigned char ch = (unsigned char)(i < name_n ? name[i] : i == name_n ? 'x' : value[i - name_n - 1]);
        if (ch < 0x20 || ch == 0x7f)
            return COOKIE_REJECTED;
    }
    const char *dom = NULL, *cpath = NULL;
    size_t dom_n = 0, cpath_n = 0;
    bool secure = false, have_max_age = false;
    wall_ns expires = 0;
    int64_t max_age = 0;
    const char *a = semi;
    while (a && a < v + n) {
        a++;
        const char *e = memchr(a, ';', (size_t)(v + n - a));
        size_t an = e ? (size_t)(e - a) : (size_t)(v + n - a);
        const char *aeq = memchr(a, '=', an);
        const char *k = a, *av = aeq ? aeq + 1 : a + an;
        size_t kn = aeq ? (size_t)(aeq - a) : an, avn = aeq ? an - kn - 1 : 0;
        trim(&k, &kn);
        trim(&av, &avn);
        if (ieq(k, kn, "domain") && avn > 0) {
            dom = av;
            dom_n = avn;
            if (*dom == '.') {
                dom++;
                dom_n--;
            }
        } else if (ieq(k, kn, "path") && avn > 0 && av[0] == '/') {
            cpath = av;
            cpath_n = avn;
        } else if (ieq(k, kn, "secure")) {
            secure = true;
        } else if (ieq(k, kn, "max-age") && avn > 0) {
            bool neg = av[0] == '-', ok = true;
            int64_t x = 0;
            for (size_t i = neg; i < avn; i++) {
                if (av[i] < '0' || av[i] > '9') {
                    ok = false;
                    break;
                }
                if (x < INT64_C(1) << 40)
                    x = x * 10 + (av[i] - '0');
            }
            if (ok && avn > (size_t)neg) {
                have_max_age = true;
                max_age = neg ? -x : x;
            }
        } else if (ieq(k, kn, "expires")) {
            wall_ns t;
            if (cookie_parse_date(av, avn, &t))
                expires = t;
        }
        a = e;
    }
    if (have_max_age)
        expires = max_age <= 0 ? 1 : now + (wall_ns)max_age * NS_PER_SEC;
    /* Domain: the request's host must be in it. */
    char dbuf[256];
    bool host_only = dom == NULL;
    if (dom) {
        if (dom_n == 0 || dom_n >= sizeof dbuf)
            return COOKIE_REJECTED;
        for (size_t i = 0; i < dom_n; i++)
            dbuf[i] = lower(dom[i]);
        if (!domain_match(host, dbuf, dom_n))
            return COOKIE_REJECTED;
        dom = dbuf;
    } else {
        dom = host;
        dom_n = strlen(host);
    }
    /* Default path: the request path up to (not including) its last '/'. */
    if (!cpath) {
        const char *q = memchr(path, '?', path_len);
        size_t pn = q ? (size_t)(q - path) : path_len;
        const char *last = NULL;
        for (size_t i = 0; i < pn; i++)
            if (path[i] == '/')
                last = path + i;
        cpath = "/";
        cpath_n = 1;
        if (pn > 0 && path[0] == '/' && last && last > path) {
            cpath = path;
            cpath_n = (size_t)(last - path);
        }
    }
    /* The same name, domain and path: replaced (or deleted). */
    for (size_t i = 0; i < j->n; i++) {
        const cookie *c = &j->c[i];
        if (c->name_len == name_n && memcmp(c_name(j, c), name, name_n) == 0 && c->domain_len == dom_n &&
            memcmp(c_domain(j, c), dom, dom_n) == 0 && c->path_len == cpath_n &&
            memcmp(c_path(j, c), cpath, cpath_n) == 0) {
            remove_at(j, i);
            break;
        }
    }
    if (expires && expires <= now)
        return COOKIE_DELETED;
    size_t need = name_n + value_n + dom_n + cpath_n;
    if (need > COOKIE_STORE)
        return COOKIE_FULL;
    if (j->used + need > COOKIE_STORE || j->n == COOKIE_MAX) {
        /* Expired ones go first, then the store is compacted. */
        for (size_t i = j->n; i-- > 0;)
            if (j->c[i].expires && j->c[i].expires <= now)
                remove_at(j, i);
        compact(j);
        if (j->used + need > COOKIE_STORE || j->n == COOKIE_MAX)
            return COOKIE_FULL;
    }
    cookie *c = &j->c[j->n++];
    c->off = (uint16_t)j->used;
    c->name_len = (uint16_t)name_n;
    c->value_len = (uint16_t)value_n;
    c->domain_len = (uint16_t)dom_n;
    c->path_len = (uint16_t)cpath_n;
    c->host_only = host_only;
    c->secure = secure;
    c->expires = expires;
    char *w = j->store + j->used;
    memcpy(w, name, name_n);
    memcpy(w + name_n, value, value_n);
    memcpy(w + name_n + value_n, dom, dom_n);
    memcpy(w + name_n + value_n + dom_n, cpath, cpath_n);
    j->used += need;
    return COOKIE_SET;
}

void cookie_jar_header(cookie_jar *j, const char *host, const char *path, size_t path_len, bool secure, wall_ns now,
                       char *out, size_t cap, size_t *len)
{
    const char *q = memchr(path, '?', path_len);
    size_t pn = q ? (size_t)(q - path) : path_len;
    size_t o = 0;
    *len = 0;
    for (size_t i = 0; i < j->n; i++) {
        const cookie *c = &j->c[i];
        if (c->expires && c->expires <= now)
            continue;
        if (c->secure && !secure)
            continue;
        const char *d = c_domain(j, c);
        bool dm = c->host_only ? strlen(host) == c->domain_len && memcmp(host, d, c->domain_len) == 0
                               : domain_match(host, d, c->domain_len);
        if (!dm || !path_match(path, pn, c_path(j, c), c->path_len))
            continue;
        size_t need = (o ? 2 : 8) + c->name_len + 1 + c->value_len;
        if (need + 2 > cap - o)
            return; /* does not fit: no header rather than a cut one */
        if (o == 0) {
            memcpy(out, "Cookie: ", 8);
            o = 8;
        } else {
            memcpy(out + o, "; ", 2);
            o += 2;
        }
        memcpy(out + o, c_name(j, c), c->name_len);
        o += c->name_len;
        out[o++] = '=';
        memcpy(out + o, c_name(j, c) + c->name_len, c->value_len);
        o += c->value_len;
    }
    if (o) {
        memcpy(out + o, "\r\n", 2);
        *len = o + 2;
    }
}
