/* yamltree_get.c - reading a loaded yamltree_doc: key lookup, unknown-key checks with
 * "did you mean" suggestions, typed getters, and the located messages they produce
 * (yamltree_fail, plus the quoting/describing helpers the loader shares via yamltree_int.h).
 */
#include "strdist.h"
#include "yamltree.h"
#include "yamltree_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "units.h"

#define YAMLTREE_MAX_DIST 2 /* edit distance up to which a key is a likely typo */

/* ---- messages ----------------------------------------------------------------- */

/* At most ~48 bytes, cut on a UTF-8 boundary with "..." added, and '"', '\' and control
 * bytes escaped, so hostile keys cannot garble a log line. */
const char *yamltree_quote(char *dst, size_t cap, const char *s, size_t len)
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

const char *yamltree_doc_name(const yamltree_doc *doc)
{
    return doc && doc->file ? doc->file : "<input>";
}

int yamltree_vfail(const yamltree_doc *doc, const yamltree_node *node, yamltree_error *err, const char *fmt, va_list ap)
{
    if (!err)
        return -1;
    int n;
    if (node)
        n = snprintf(err->msg, sizeof err->msg, "%s:%u:%u: ", yamltree_doc_name(doc), node->line, node->col);
    else
        n = snprintf(err->msg, sizeof err->msg, "%s: ", yamltree_doc_name(doc));
    if (n >= 0 && (size_t)n < sizeof err->msg)
        vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    return -1;
}

int yamltree_fail(const yamltree_doc *doc, const yamltree_node *node, yamltree_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yamltree_vfail(doc, node, err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *yamltree_describe(const yamltree_node *node, char *buf, size_t cap)
{
    switch (node->kind) {
    case YAMLTREE_NULL: return "an empty value (null)";
    case YAMLTREE_SEQ: return "a sequence";
    case YAMLTREE_MAP: return "a mapping";
    case YAMLTREE_SCALAR: return yamltree_quote(buf, cap, node->str, node->len);
    }
    return "?";
}

/* ---- lookups ------------------------------------------------------------------ */

static ssize_t find_key(const yamltree_node *map, const char *key)
{
    if (!map || map->kind != YAMLTREE_MAP || !key)
        return -1;
    size_t n = strlen(key);
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == n && memcmp(map->keys[i]->str, key, n) == 0)
            return (ssize_t)i;
    return -1;
}

yamltree_node *yamltree_get(const yamltree_node *map, const char *key)
{
    ssize_t i = find_key(map, key);
    return i < 0 ? NULL : map->vals[i];
}

yamltree_node *yamltree_get_key(const yamltree_node *map, const char *key)
{
    ssize_t i = find_key(map, key);
    return i < 0 ? NULL : map->keys[i];
}

int yamltree_check_keys(const yamltree_doc *doc, const yamltree_node *map, const char *const *allowed,
                        yamltree_error *err)
{
    static const char *const none[] = {NULL};
    char q[YAMLTREE_QUOTE_CAP];

    if (!map)
        return 0;
    if (map->kind != YAMLTREE_MAP)
        return yamltree_fail(doc, map, err, "expected a mapping, found %s", yamltree_describe(map, q, sizeof q));
    if (!allowed)
        allowed = none;
    for (size_t i = 0; i < map->n; i++) {
        const yamltree_node *k = map->keys[i];
        const char *best = NULL;
        unsigned best_d = YAMLTREE_MAX_DIST + 1;
        bool known = false;

        for (const char *const *a = allowed; *a; a++) {
            size_t la = strlen(*a);
            if (la == k->len && memcmp(*a, k->str, la) == 0) {
                known = true;
                break;
            }
            if (la > STRDIST_MAXLEN || k->len > STRDIST_MAXLEN ||
                (la > k->len ? la - k->len : k->len - la) > YAMLTREE_MAX_DIST)
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
        yamltree_quote(q, sizeof q, k->str, k->len);
        if (best)
            return yamltree_fail(doc, k, err, "unknown key %s (did you mean \"%s\"?)", q, best);
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
            return yamltree_fail(doc, k, err, "unknown key %s (expected one of: %s)", q, list);
        return yamltree_fail(doc, k, err, "unknown key %s", q);
    }
    return 0;
}

/* ---- typed accessors ---------------------------------------------------------- */

static const char *kind_name(enum yamltree_kind kind)
{
    switch (kind) {
    case YAMLTREE_NULL: return "null";
    case YAMLTREE_SCALAR: return "a scalar value";
    case YAMLTREE_SEQ: return "a sequence";
    case YAMLTREE_MAP: return "a mapping";
    }
    return "?";
}

int yamltree_expect(const yamltree_doc *doc, const yamltree_node *node, enum yamltree_kind kind, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    if (!node)
        return yamltree_fail(doc, NULL, err, "expected %s, found nothing", kind_name(kind));
    if (node->kind == kind)
        return 0;
    return yamltree_fail(doc, node, err, "expected %s, found %s", kind_name(kind),
                         yamltree_describe(node, q, sizeof q));
}

/* Common entry of the scalar getters: node must be a scalar; what names the expected
 * form for the message. */
static int want_scalar(const yamltree_doc *doc, const yamltree_node *node, const char *what, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    if (!node)
        return yamltree_fail(doc, NULL, err, "expected %s, found nothing", what);
    if (node->kind != YAMLTREE_SCALAR)
        return yamltree_fail(doc, node, err, "expected %s, found %s", what, yamltree_describe(node, q, sizeof q));
    return 0;
}

int yamltree_str(const yamltree_doc *doc, const yamltree_node *node, const char **out, yamltree_error *err)
{
    if (want_scalar(doc, node, "a string", err) < 0)
        return -1;
    *out = node->str;
    return 0;
}

int yamltree_u64(const yamltree_doc *doc, const yamltree_node *node, uint64_t min, uint64_t max, uint64_t *out,
                 yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    uint64_t v;

    if (want_scalar(doc, node, "an unsigned integer", err) < 0)
        return -1;
    yamltree_quote(q, sizeof q, node->str, node->len);
    if (units_parse_u64(node->str, &v) < 0) {
        /* All digits but unparsable: it overflowed 64 bits. */
        if (node->len > 0 && strspn(node->str, "0123456789") == node->len)
            return yamltree_fail(doc, node, err, "%s is out of range %" PRIu64 "..%" PRIu64, q, min, max);
        return yamltree_fail(doc, node, err, "expected an unsigned integer, found %s", q);
    }
    if (v < min || v > max)
        return yamltree_fail(doc, node, err, "%s is out of range %" PRIu64 "..%" PRIu64, q, min, max);
    *out = v;
    return 0;
}

int yamltree_double(const yamltree_doc *doc, const yamltree_node *node, double *out, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    if (want_scalar(doc, node, "a number", err) < 0)
        return -1;
    if (units_parse_double(node->str, out) < 0)
        return yamltree_fail(doc, node, err, "expected a finite number, found %s",
                             yamltree_quote(q, sizeof q, node->str, node->len));
    return 0;
}

int yamltree_bool(const yamltree_doc *doc, const yamltree_node *node, bool *out, yamltree_error *err)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    char q[YAMLTREE_QUOTE_CAP];

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
    return yamltree_fail(doc, node, err, "expected a boolean (true/false), found %s",
                         yamltree_quote(q, sizeof q, node->str, node->len));
}

int yamltree_duration(const yamltree_doc *doc, const yamltree_node *node, uint64_t *out_ns, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    double d;

    if (want_scalar(doc, node, "a duration (e.g. \"250ms\")", err) < 0)
        return -1;
    if (units_parse_duration(node->str, 0, out_ns) == 0)
        return 0;
    yamltree_quote(q, sizeof q, node->str, node->len);
    if (node->str[0] != '-' && node->str[0] != '+' && units_parse_double(node->str, &d) == 0) {
        bool plain = node->len < 24 && strspn(node->str, "0123456789.") == node->len;
        return yamltree_fail(doc, node, err, "duration %s needs a unit (ns, us, ms, s, m, h), e.g. \"%sms\"", q,
                             plain ? node->str : "250");
    }
    return yamltree_fail(doc, node, err,
                         "invalid duration %s (expected a number and a unit ns, us, ms, s, m or h, "
                         "e.g. \"250ms\", \"1.5s\", \"1m30s\")",
                         q);
}

int yamltree_rate(const yamltree_doc *doc, const yamltree_node *node, double *per_sec, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    if (want_scalar(doc, node, "a rate (e.g. \"100/s\")", err) < 0)
        return -1;
    if (units_parse_rate(node->str, per_sec) < 0)
        return yamltree_fail(doc, node, err,
                             "invalid rate %s (expected a positive number per unit, e.g. \"100/s\", \"6000/m\")",
                             yamltree_quote(q, sizeof q, node->str, node->len));
    return 0;
}

int yamltree_percent(const yamltree_doc *doc, const yamltree_node *node, double *fraction, yamltree_error *err)
{
    char q[YAMLTREE_QUOTE_CAP];
    if (want_scalar(doc, node, "a percentage (e.g. \"1%\")", err) < 0)
        return -1;
    if (units_parse_percent(node->str, fraction) < 0)
        return yamltree_fail(doc, node, err,
                             "invalid percentage %s (expected e.g. \"1%%\", \"0.5%%\" or a fraction such as \"0.01\")",
                             yamltree_quote(q, sizeof q, node->str, node->len));
    return 0;
}
