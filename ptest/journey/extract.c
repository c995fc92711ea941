/* extract.c - JSON Pointer over a body in place, POSIX regex, response headers (extract.h). */
#include "extract.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int extract_pointer_check(const char *ptr, char *err, size_t errlen)
{
    if (ptr[0] && ptr[0] != '/') {
        snprintf(err, errlen, "a JSON Pointer starts with '/' (\"/token\", \"/data/0/id\"), or is \"\"");
        return -1;
    }
    for (const char *p = ptr; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1') {
            snprintf(err, errlen, "'~' in a JSON Pointer must be ~0 ('~') or ~1 ('/')");
            return -1;
        }
    return 0;
}

typedef struct scan {
    const char *p, *e;
} scan;

static void ws(scan *s)
{
    while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* At '"': moves past the closing quote; false when unterminated. */
static bool skip_string(scan *s)
{
    for (s->p++; s->p < s->e; s->p++) {
        if (*s->p == '\\') {
            s->p++;
            continue;
        }
        if (*s->p == '"') {
            s->p++;
            return true;
        }
    }
    return false;
}

/* Moves past one value (brackets balanced, strings skipped; not a full validation). */
static bool skip_value(scan *s)
{
    ws(s);
    if (s->p >= s->e)
        return false;
    if (*s->p == '"')
        return skip_string(s);
    if (*s->p == '{' || *s->p == '[') {
        size_t depth = 0;
        while (s->p < s->e) {
            char c = *s->p;
            if (c == '"') {
                if (!skip_string(s))
                    return false;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0) {
                s->p++;
                return true;
            }
            s->p++;
        }
        return false;
    }
    const char *a = s->p;
    while (s->p < s->e && !strchr(",}] \t\r\n", *s->p))
        s->p++;
    return s->p > a;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static bool hex4(const char *p, const char *e, uint32_t *out)
{
    if (e - p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* Decodes the string at s->p ('"') into out[0..cap) (moving past it). EXTRACT_OK,
 * EXTRACT_NONE (malformed) or EXTRACT_TOO_LONG (s->p past it all the same). */
static int decode_string(scan *s, char *out, size_t cap, size_t *len)
{
    size_t o = 0;
    bool full = false;
    char u8[4];
    for (s->p++; s->p < s->e; s->p++) {
        char c = *s->p;
        size_t n = 1;
        const char *w = &c;
        if (c == '"') {
            s->p++;
            *len = o;
            return full ? EXTRACT_TOO_LONG : EXTRACT_OK;
        }
        if (c == '\\') {
            if (++s->p >= s->e)
                return EXTRACT_NONE;
            switch (*s->p) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (!hex4(s->p + 1, s->e, &cp))
                    return EXTRACT_NONE;
                s->p += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && s->e - s->p > 6 && s->p[1] == '\\' && s->p[2] == 'u' &&
                    hex4(s->p + 3, s->e, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s->p += 6;
                }
                if (cp < 0x80) {
                    u8[0] = (char)cp;
                    n = 1;
                } else if (cp < 0x800) {
                    u8[0] = (char)(0xc0 | cp >> 6);
                    u8[1] = (char)(0x80 | (cp & 0x3f));
                    n = 2;
                } else if (cp < 0x10000) {
                    u8[0] = (char)(0xe0 | cp >> 12);
                    u8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    u8[2] = (char)(0x80 | (cp & 0x3f));
                    n = 3;
                } else {
                    u8[0] = (char)(0xf0 | cp >> 18);
                    u8[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                    u8[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    u8[3] = (char)(0x80 | (cp & 0x3f));
                    n = 4;
                }
                w = u8;
                break;
            }
            default: return EXTRACT_NONE;
            }
        }
        if (full || n > cap - o) {
            full = true;
            continue;
        }
        memcpy(out + o, w, n);
        o += n;
    }
    return EXTRACT_NONE;
}

/* Pointer token ptr[0..n) unescaped (~1 '/', ~0 '~') into out; false when too long. */
static bool token(const char *ptr, size_t n, char *out, size_t cap, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = ptr[i];
        if (c == '~' && i + 1 < n) {
            c = ptr[i + 1] == '1' ? '/' : '~';
            i++;
        }
        if (o == cap)
            return false;
        out[o++] = c;
    }
    *len = o;
    return true;
}

/* Moves s to the member tok of the object at s->p; false when there is none. */
static bool find_member(scan *s, const char *tok, size_t tl)
{
    char key[512];
    s->p++; /* '{' */
    for (;;) {
        ws(s);
        if (s->p >= s->e || *s->p != '"')
            return false;
        size_t kl;
        int rc = decode_string(s, key, sizeof key, &kl);
        if (rc == EXTRACT_NONE)
            return false;
        bool hit = rc == EXTRACT_OK && kl == tl && memcmp(key, tok, tl) == 0; /* a longer key never matches */
        ws(s);
        if (s->p >= s->e || *s->p != ':')
            return false;
        s->p++;
        ws(s);
        if (hit)
            return true;
        if (!skip_value(s))
            return false;
        ws(s);
        if (s->p >= s->e || *s->p != ',')
            return false;
        s->p++;
    }
}

/* Moves s to element idx of the array at s->p. */
static bool find_element(scan *s, uint64_t idx)
{
    s->p++; /* '[' */
    for (uint64_t i = 0;; i++) {
        ws(s);
        if (s->p >= s->e || *s->p == ']')
            return false;
        if (i == idx)
            return true;
        if (!skip_value(s))
            return false;
        ws(s);
        if (s->p >= s->e || *s->p != ',')
            return false;
        s->p++;
    }
}

int extract_json(const char *body, size_t n, const char *ptr, char *out, size_t cap, size_t *len)
{
    scan s = {body, body + n};
    ws(&s);
    const char *t = ptr;
    while (*t == '/') {
        const char *te = strchr(t + 1, '/');
        size_t tn = te ? (size_t)(te - t - 1) : strlen(t + 1);
        char tok[512];
        size_t tl;
        if (!token(t + 1, tn, tok, sizeof tok, &tl))
            return EXTRACT_NONE;
        ws(&s);
        if (s.p >= s.e)
            return EXTRACT_NONE;
        if (*s.p == '{') {
            if (!find_member(&s, tok, tl))
                return EXTRACT_NONE;
        } else if (*s.p == '[') {
            uint64_t idx = 0;
            if (tl == 0 || tl > 18 || (tl > 1 && tok[0] == '0'))
                return EXTRACT_NONE;
            for (size_t i = 0; i < tl; i++) {
                if (tok[i] < '0' || tok[i] > '9')
                    return EXTRACT_NONE;
                idx = idx * 10 + (uint64_t)(tok[i] - '0');
            }
            if (!find_element(&s, idx))
                return EXTRACT_NONE;
        } else {
            return EXTRACT_NONE;
        }
        t += 1 + tn;
    }
    ws(&s);
    if (s.p >= s.e)
        return EXTRACT_NONE;
    if (*s.p == '"')
        return decode_string(&s, out, cap, len);
    const char *a = s.p;
    if (!skip_value(&s))
        return EXTRACT_NONE;
    size_t vl = (size_t)(s.p - a);
    if (vl > cap)
        return EXTRACT_TOO_LONG;
    memcpy(out, a, vl);
    *len = vl;
    return EXTRACT_OK;
}

int extract_regex_compile(regex_t *re, const char *expr, char *err, size_t errlen)
{
    int rc = regcomp(re, expr, REG_EXTENDED);
    if (rc != 0) {
        char why[160];
        regerror(rc, re, why, sizeof why);
        snprintf(err, errlen, "invalid POSIX extended regular expression: %s", why);
        return -1;
    }
    return 0;
}

int extract_regex(const regex_t *re, const char *body, char *out, size_t cap, size_t *len)
{
    regmatch_t m[2];
    if (regexec(re, body, 2, m, 0) != 0)
        return EXTRACT_NONE;
    const regmatch_t *g = re->re_nsub >= 1 ? &m[1] : &m[0];
    if (g->rm_so < 0)
        return EXTRACT_NONE;
    size_t n = (size_t)(g->rm_eo - g->rm_so);
    if (n > cap)
        return EXTRACT_TOO_LONG;
    memcpy(out, body + g->rm_so, n);
    *len = n;
    return EXTRACT_OK;
}

int extract_header(const http_header *h, size_t n, const char *name, char *out, size_t cap, size_t *len)
{
    const http_header *f = http_find_header(h, n, name);
    if (!f)
        return EXTRACT_NONE;
    if (f->value.n > cap)
        return EXTRACT_TOO_LONG;
    memcpy(out, f->value.p, f->value.n);
    *len = f->value.n;
    return EXTRACT_OK;
}
