/* units.c - parsing and formatting of durations, rates, sizes and host:port. */
#include "units.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_US UINT64_C(1000)
#define NS_MS UINT64_C(1000000)
#define NS_S UINT64_C(1000000000)
#define NS_M (UINT64_C(60) * NS_S)
#define NS_H (UINT64_C(3600) * NS_S)

/* Fraction digits beyond this many only round the last kept one: 9 digits of an hour
 * are 3.6 us, far below anything a config means, and they keep the arithmetic in 64
 * bits (the kept fraction may round up to 10^9, which scale() handles). */
#define FRAC_DIGITS_MAX 9

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses digits[.digits] or .digits at *p; advances *p. Integer part overflow fails. */
static int parse_decimal(const char **p, uint64_t *ip, uint64_t *frac, unsigned *frac_digits)
{
    const char *s = *p;
    uint64_t v = 0, f = 0;
    unsigned k = 0;
    bool any = false;

    for (; is_digit(*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        any = true;
    }
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return -1;
        for (bool first_dropped = true; is_digit(*s); s++) {
            if (k < FRAC_DIGITS_MAX) {
                f = f * 10 + (uint64_t)(*s - '0');
                k++;
            } else if (first_dropped) {
                f += *s >= '5'; /* round on the first ignored digit */
                first_dropped = false;
            }
        }
        any = true;
    }
    if (!any)
        return -1;
    *p = s;
    *ip = v;
    *frac = f;
    *frac_digits = k;
    return 0;
}

static uint64_t pow10_u64(unsigned k)
{
    uint64_t r = 1;
    while (k--)
        r *= 10;
    return r;
}

/* (ip + frac / 10^k) * unit, rounded to the nearest integer; -1 on overflow.
 * unit = q * 10^k + r, so frac * unit / 10^k = frac * q + frac * r / 10^k, where
 * frac * q < unit and frac * r < 10^18: exact in 64 bits without a 128-bit type. */
static int scale(uint64_t ip, uint64_t frac, unsigned k, uint64_t unit, uint64_t *out)
{
    if (unit != 0 && ip > UINT64_MAX / unit)
        return -1;
    uint64_t v = ip * unit;
    if (k > 0) {
        uint64_t p = pow10_u64(k);
        uint64_t q = unit / p, r = unit % p;
        uint64_t fv = frac * q + (frac * r + p / 2) / p;
        if (v > UINT64_MAX - fv)
            return -1;
        v += fv;
    }
    *out = v;
    return 0;
}

/* Matches a time unit at *p ("ns", "us", "µs", "ms", "s", "m", "h"); advances *p. */
static uint64_t parse_time_unit(const char **p)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {
        {"ns", 1}, {"us", NS_US}, {"\xC2\xB5s", NS_US}, {"ms", NS_MS}, {"s", NS_S}, {"m", NS_M}, {"h", NS_H},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(*p, units[i].name, n) == 0) {
            *p += n;
            return units[i].ns;
        }
    }
    return 0;
}

int units_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out_ns)
{
    uint64_t total = 0, ip, frac, unit, v;
    unsigned k;
    const char *p = s;

    if (!s || !*s)
        return -1;
    /* "0" needs no unit (as in Go): zero is zero in every unit. */
    if (strcmp(s, "0") == 0) {
        *out_ns = 0;
        return 0;
    }
    /* Go-style sequences such as "1m30s" or "1h15m" are accepted: each part is a number
     * followed by a unit and the parts add up. */
    do {
        if (parse_decimal(&p, &ip, &frac, &k) < 0)
            return -1;
        unit = parse_time_unit(&p);
        if (unit == 0) {
            if (*p != '\0' || p != s + strspn(s, "0123456789.") || default_unit_ns == 0)
                return -1;
            unit = default_unit_ns;
        }
        if (scale(ip, frac, k, unit, &v) < 0 || total > UINT64_MAX - v)
            return -1;
        total += v;
    } while (*p != '\0');
    *out_ns = total;
    return 0;
}

int units_parse_double(const char *s, double *out)
{
    const char *p = s;
    bool digits = false;

    if (!s)
        return -1;
    /* Validate the syntax first: strtod alone would also take "inf", "nan", hex floats
     * and leading spaces. */
    if (*p == '+' || *p == '-')
        p++;
    for (; is_digit(*p); p++)
        digits = true;
    if (*p == '.') {
        p++;
        for (; is_digit(*p); p++)
            digits = true;
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p))
            p++;
    }
    if (*p != '\0')
        return -1;

    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end == '.') {
        /* A locale with another decimal point (only after setlocale(LC_NUMERIC)):
         * convert a copy with the point the locale expects. */
        const char *dp = localeconv()->decimal_point;
        size_t n = strlen(s), dl = strlen(dp);
        char *t = malloc(n + dl + 1);
        if (!t)
            return -1;
        size_t at = (size_t)(end - s);
        memcpy(t, s, at);
        memcpy(t + at, dp, dl);
        memcpy(t + at + dl, end + 1, n - at);
        errno = 0;
        v = strtod(t, &end);
        bool whole = *end == '\0';
        free(t);
        if (!whole)
            return -1;
    } else if (*end != '\0') {
        return -1;
    }
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int units_parse_rate(const char *s, double *per_sec)
{
    char num[64];
    const char *slash;
    double v;
    uint64_t unit = NS_S;

    if (!s || !*s || *s == '+' || *s == '-')
        return -1;
    slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, s, n);
    num[n] = '\0';
    if (units_parse_double(num, &v) < 0)
        return -1;
    if (slash) {
        const char *p = slash + 1;
        unit = parse_time_unit(&p);
        if (unit == 0 || *p != '\0')
            return -1;
    }
    v *= (double)NS_S / (double)unit;
    if (!(v > 0) || !isfinite(v))
        return -1;
    *per_sec = v;
    return 0;
}

int units_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !is_digit(*s))
        return -1;
    for (; *s; s++) {
        if (!is_digit(*s))
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int units_parse_percent(const char *s, double *fraction)
{
    char num[64];
    double v;

    if (!s || !*s || *s == '+' || *s == '-')
        return -1;
    size_t n = strlen(s);
    bool pct = s[n - 1] == '%';
    if (pct)
        n--;
    if (n == 0 || n >= sizeof num || memchr(s, 'e', n) || memchr(s, 'E', n))
        return -1;
    memcpy(num, s, n);
    num[n] = '\0';
    if (units_parse_double(num, &v) < 0)
        return -1;
    /* A bare number above 1 is almost always a percentage written without its sign
     * ("5" meaning 5%); refuse it rather than read it as 500%. */
    if (pct)
        v /= 100.0;
    else if (v > 1.0)
        return -1;
    *fraction = v;
    return 0;
}

char *units_format_us(double us, char *out, size_t len)
{
    if (isnan(us))
        snprintf(out, len, "-");
    else if (us < 1000)
        snprintf(out, len, "%.0f us", us);
    else if (us < 1e6)
        snprintf(out, len, "%.*f ms", us < 1e4 ? 2 : us < 1e5 ? 1 : 0, us / 1e3);
    else
        snprintf(out, len, "%.2f s", us / 1e6);
    return out;
}

char *units_format_duration(uint64_t ns, char *out, size_t outlen)
{
    static const struct {
        uint64_t ns;
        uint64_t next;
        const char *name;
    } units[] = {
        {1, NS_US, "ns"},  {NS_US, NS_MS, "us"}, {NS_MS, NS_S, "ms"},
        {NS_S, NS_M, "s"}, {NS_M, NS_H, "m"},    {NS_H, 0, "h"},
    };
    size_t i = 0;

    if (!out || outlen == 0)
        return out;
    if (ns == 0) {
        snprintf(out, outlen, "0s");
        return out;
    }
    while (i + 1 < sizeof units / sizeof units[0] && ns >= units[i + 1].ns)
        i++;
    /* Three significant digits: 812us, 20.3ms, 1.25s. Rounding may reach the next
     * unit (999.96us, 59.996s); then that unit reads better ("1ms", "1m"). */
    for (;;) {
        uint64_t u = units[i].ns, ip = ns / u, rem = ns % u;
        unsigned dec = ip >= 100 ? 0 : ip >= 10 ? 1 : 2;
        uint64_t p = pow10_u64(dec);
        uint64_t f = (rem * p + u / 2) / u; /* rem * p < 3.6e12 * 100: no overflow */
        if (f >= p) {
            ip++;
            f -= p;
        }
        if (units[i].next && ip * u >= units[i].next) {
            ns = units[i].next;
            i++;
            continue;
        }
        char fr[8] = "";
        if (f > 0) {
            snprintf(fr, sizeof fr, ".%0*u", (int)dec, (unsigned)f); /* f < 100 */
            size_t l = strlen(fr);
            while (fr[l - 1] == '0')
                fr[--l] = '\0';
        }
        snprintf(out, outlen, "%" PRIu64 "%s%s", ip, fr, units[i].name);
        return out;
    }
}

int units_split_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *h, *colon;
    size_t hl;
    uint64_t pv;

    if (!s || !host || hostlen == 0)
        return -1;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        if (hl == 0)
            return -1;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        h = s;
        hl = (size_t)(colon - s);
        /* An unbracketed IPv6 address is ambiguous ("::1:80"). */
        if (memchr(h, ':', hl))
            return -1;
    }
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= 0x20 || c == 0x7f || c == '[' || c == ']' || c == '/')
            return -1;
    }
    if (hl >= hostlen)
        return -1;
    if (units_parse_u64(colon + 1, &pv) < 0 || pv > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)pv;
    return 0;
}
