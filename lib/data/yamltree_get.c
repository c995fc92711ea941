/* yamltree_get.c - reading a loaded yt_doc: key lookup, unknown-key checks with
 * "did you mean" suggestions, typed getters, and the located messages they produce
 * (yt_fail, plus the quoting/describing helpers the loader shares via yamltree_int.h).
 */
#include "yamltree.h"
#include "yamltree_int.h"
#include "strdist.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "units.h"

#define YT_MAX_DIST   2          /* edit distance up to which a key is a likely typo */

/* ---- messages ----------------------------------------------------------------- */

/* At most ~48 bytes, cut on a UTF-8 boundary with "..." added, and '"', '\' and control
 * bytes escaped, so hostile keys cannot garble a log line. */
const char *yt_quote(char *dst, size_t cap, const char *s, size_t len)
{
    size_t o = 0, i = 0, limit = 48;
    dst[o++] = '"';
    for (; i < len && i < limit; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 6 >= cap)
            break;
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    if (i < len) {
        while (o > 1 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 1 && (unsigned char)dst[o - 1] >= 0xC0)
            o--;
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o++] = '"';
    dst[o] = '\0';
    return dst;
}

const char *yt_doc_name(const yt_doc *doc)
{
    return doc && doc->file ? doc->file : "<input>";
}

int yt_vfail(const yt_doc *doc, const yt_node *node, yt_error *err, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    int n;
    if (node)
        n = snprintf(err->msg, sizeof err->msg, "%s:%u:%u: ", yt_doc_name(doc), node->line, node->col);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s: ", yt_doc_name(doc));
    if (n >= 0 && (size_t)n < sizeof err->msg)
        vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    return -1;
}

int yt_fail(const yt_doc *doc, const yt_node *node, yt_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yt_vfail(doc, node, err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *yt_describe(const yt_node *node, char *buf, size_t cap)
{
    switch (node->kind) {
    case YT_NULL:   return "an empty value (null)";
    case YT_SEQ:    return "a sequence";
    case YT_MAP:    return "a mapping";
    case YT_SCALAR: return yt_quote(buf, cap, node->str, node->len);
    }
    return "?";
}

/* ---- lookups ------------------------------------------------------------------ */

static ssize_t find_key(const yt_node *map, const char *key)
{
    if (!map || map->kind != YT_MAP || !key)
        return -1;
    size_t n = strlen(key);
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == n && memcmp(map->keys[i]->str, key, n) == 0)
            return (ssize_t)i;
    return -1;
}

yt_node *yt_get(const yt_node *map, const char *key)
{
    ssize_t i = find_key(map, key);
    return i < 0 ? NULL : map->vals[i];
}

yt_node *yt_get_key(const yt_node *map, const char *key)
{
    ssize_t i = find_key(map, key);
    return i < 0 ? NULL : map->keys[i];
}

int yt_check_keys(const yt_doc *doc, const yt_node *map, const char *const *allowed, yt_error *err)
{
    static const char *const none[] = {NULL};
    char q[YT_QUOTE_CAP];

    if (!map)
        return 0;
    if (map->kind != YT_MAP)
        return yt_fail(doc, map, err, "expected a mapping, found %s", yt_describe(map, q, sizeof q));
    if (!allowed)
        allowed = none;
    for (size_t i = 0; i < map->n; i++) {
        const yt_node *k = map->keys[i];
        const char *best = NULL;
        unsigned best_d = YT_MAX_DIST + 1;
        bool known = false;

        for (const char *const *a = allowed; *a; a++) {
            size_t la = strlen(*a);
            if (la == k->len && memcmp(*a, k->str, la) == 0) {
                known = true;
                break;
            }
            if (la > STRDIST_MAXLEN || k->len > STRDIST_MAXLEN ||
                (la > k->len ? la - k->len : k->len - la) > YT_MAX_DIST)
                continue;
            unsigned d = strdist_osa(k->str, k->len, *a, la);
            /* d < la: replacing every letter of a short word is no typo ("x" vs "n"). */
            if (d < best_d && d < la) {
                best_d = d;
                best = *a;
            }
        }
        if (known)
            continue;
        yt_quote(q, sizeof q, k->str, k->len);
        if (best)
            return yt_fail(doc, k, err, "unknown key %s (did you mean \"%s\"?)", q, best);
        /* Otherwise list what is allowed, if it fits in the message. */
        char list[300];
        size_t o = 0;
        bool fits = allowed[0] != NULL;
        for (const char *const *a = allowed; *a && fits; a++) {
            int n = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", *a);
            if (n < 0 || (size_t)n >= sizeof list - o)
                fits = false;
            else
                o += (size_t)n;
        }
        if (fits)
            return yt_fail(doc, k, err, "unknown key %s (expected one of: %s)", q, list);
        return yt_fail(doc, k, err, "unknown key %s", q);
    }
    return 0;
}

/* ---- typed accessors ---------------------------------------------------------- */

static const char *kind_name(enum yt_kind kind)
{
    switch (kind) {
    case YT_NULL:   return "null";
    case YT_SCALAR: return "a scalar value";
    case YT_SEQ:    return "a sequence";
    case YT_MAP:    return "a mapping";
    }
    return "?";
}

int yt_expect(const yt_doc *doc, const yt_node *node, enum yt_kind kind, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    if (!node)
        return yt_fail(doc, NULL, err, "expected %s, found nothing", kind_name(kind));
    if (node->kind == kind)
        return 0;
    return yt_fail(doc, node, err, "expected %s, found %s", kind_name(kind), yt_describe(node, q, sizeof q));
}

/* Common entry of the scalar getters: node must be a scalar; what names the expected
 * form for the message. */
static int want_scalar(const yt_doc *doc, const yt_node *node, const char *what, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    if (!node)
        return yt_fail(doc, NULL, err, "expected %s, found nothing", what);
    if (node->kind != YT_SCALAR)
        return yt_fail(doc, node, err, "expected %s, found %s", what, yt_describe(node, q, sizeof q));
    return 0;
}

int yt_str(const yt_doc *doc, const yt_node *node, const char **out, yt_error *err)
{
    if (want_scalar(doc, node, "a string", err) < 0)
        return -1;
    *out = node->str;
    return 0;
}

int yt_u64(const yt_doc *doc, const yt_node *node, uint64_t min, uint64_t max, uint64_t *out,
           yt_error *err)
{
    char q[YT_QUOTE_CAP];
    uint64_t v;

    if (want_scalar(doc, node, "an unsigned integer", err) < 0)
        return -1;
    yt_quote(q, sizeof q, node->str, node->len);
    if (units_parse_u64(node->str, &v) < 0) {
        /* All digits but unparsable: it overflowed 64 bits. */
        if (node->len > 0 && strspn(node->str, "0123456789") == node->len)
            return yt_fail(doc, node, err, "%s is out of range %" PRIu64 "..%" PRIu64, q, min, max);
        return yt_fail(doc, node, err, "expected an unsigned integer, found %s", q);
    }
    if (v < min || v > max)
        return yt_fail(doc, node, err, "%s is out of range %" PRIu64 "..%" PRIu64, q, min, max);
    *out = v;
    return 0;
}

int yt_double(const yt_doc *doc, const yt_node *node, double *out, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    if (want_scalar(doc, node, "a number", err) < 0)
        return -1;
    if (units_parse_double(node->str, out) < 0)
        return yt_fail(doc, node, err, "expected a finite number, found %s",
                       yt_quote(q, sizeof q, node->str, node->len));
    return 0;
}

int yt_bool(const yt_doc *doc, const yt_node *node, bool *out, yt_error *err)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    char q[YT_QUOTE_CAP];

    if (want_scalar(doc, node, "a boolean (true/false)", err) < 0)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(node->str, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(node->str, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return yt_fail(doc, node, err, "expected a boolean (true/false), found %s",
                   yt_quote(q, sizeof q, node->str, node->len));
}

int yt_duration(const yt_doc *doc, const yt_node *node, uint64_t *out_ns, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    double d;

    if (want_scalar(doc, node, "a duration (e.g. \"250ms\")", err) < 0)
        return -1;
    if (units_parse_duration(node->str, 0, out_ns) == 0)
        return 0;
    yt_quote(q, sizeof q, node->str, node->len);
    if (node->str[0] != '-' && node->str[0] != '+' && units_parse_double(node->str, &d) == 0) {
        bool plain = node->len < 24 && strspn(node->str, "0123456789.") == node->len;
        return yt_fail(doc, node, err, "duration %s needs a unit (ns, us, ms, s, m, h), e.g. \"%sms\"",
                       q, plain ? node->str : "250");
    }
    return yt_fail(doc, node, err,
                   "invalid duration %s (expected a number and a unit ns, us, ms, s, m or h, "
                   "e.g. \"250ms\", \"1.5s\", \"1m30s\")", q);
}

int yt_rate(const yt_doc *doc, const yt_node *node, double *per_sec, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    if (want_scalar(doc, node, "a rate (e.g. \"100/s\")", err) < 0)
        return -1;
    if (units_parse_rate(node->str, per_sec) < 0)
        return yt_fail(doc, node, err,
                       "invalid rate %s (expected a positive number per unit, e.g. \"100/s\", \"6000/m\")",
                       yt_quote(q, sizeof q, node->str, node->len));
    return 0;
}

int yt_percent(const yt_doc *doc, const yt_node *node, double *fraction, yt_error *err)
{
    char q[YT_QUOTE_CAP];
    if (want_scalar(doc, node, "a percentage (e.g. \"1%\")", err) < 0)
        return -1;
    if (units_parse_percent(node->str, fraction) < 0)
        return yt_fail(doc, node, err,
                       "invalid percentage %s (expected e.g. \"1%%\", \"0.5%%\" or a fraction such as \"0.01\")",
                       yt_quote(q, sizeof q, node->str, node->len));
    return 0;
}
