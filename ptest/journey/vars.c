/* vars.c - `${name}` templates: scan, compile, expand (vars.h). */
#include "vars.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_names[VARS_N_BUILTIN] = {"__user", "__iter", "__rand", "__uuid"};

int vars_builtin(const char *name, size_t len)
{
    for (int i = 0; i < VARS_N_BUILTIN; i++)
        if (strlen(builtin_names[i]) == len && memcmp(builtin_names[i], name, len) == 0)
            return i;
    return -1;
}

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool vars_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > VARS_MAX_NAME || !name_start((unsigned char)name[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!name_char((unsigned char)name[i]))
            return false;
    return true;
}

/* At s[i] == '$': 1 for a reference (name at *name, length *nlen, reference ends at *end),
 * 2 for the escape `$${` (a literal `${`), 0 for a plain '$', -1 for a malformed one. */
static int at_dollar(const char *s, size_t n, size_t i, size_t *name, size_t *nlen, size_t *end)
{
    if (i + 2 < n && s[i + 1] == '$' && s[i + 2] == '{')
        return 2;
    if (i + 1 >= n || s[i + 1] != '{')
        return 0;
    size_t j = i + 2;
    if (j >= n || !name_start((unsigned char)s[j]))
        return -1;
    while (j < n && name_char((unsigned char)s[j]))
        j++;
    if (j >= n || s[j] != '}' || j - (i + 2) > VARS_MAX_NAME)
        return -1;
    *name = i + 2;
    *nlen = j - (i + 2);
    *end = j + 1;
    return 1;
}

bool vars_has_ref(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$')
            continue;
        size_t a, b, e;
        /* A reference, a malformed one (reported by the compile) or the escape (one '$'
         * is dropped): each needs the template. */
        if (at_dollar(s, n, i, &a, &b, &e) != 0)
            return true;
    }
    return false;
}

int vars_scan(const char *s, size_t n, vars_ref_fn fn, void *arg, size_t *bad_off)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$')
            continue;
        size_t a, b, e;
        int k = at_dollar(s, n, i, &a, &b, &e);
        if (k < 0) {
            *bad_off = i;
            return -1;
        }
        if (k == 2) {
            i += 2;
        } else if (k == 1) {
            int rc = fn(s + a, b, i, arg);
            if (rc)
                return rc;
            i = e - 1;
        }
    }
    return 0;
}

static int add_seg(vars_tpl *t, const char *s, size_t len, uint32_t var, int ctx)
{
    if (var == VARS_LITERAL && len == 0)
        return 0;
    if (var == VARS_LITERAL && t->n > 0 && t->seg[t->n - 1].var == VARS_LITERAL &&
        t->seg[t->n - 1].s + t->seg[t->n - 1].len == s) {
        t->seg[t->n - 1].len += (uint32_t)len;
        return 0;
    }
    vars_seg *g = realloc(t->seg, (t->n + 1) * sizeof *g);
    if (!g)
        return -1;
    t->seg = g;
    g[t->n].s = s;
    g[t->n].len = (uint32_t)len;
    g[t->n].var = var;
    g[t->n].ctx = (uint8_t)ctx;
    t->n++;
    return 0;
}

int vars_tpl_compile(vars_tpl *t, const char *s, size_t n, int ctx_first, int ctx_rest, vars_lookup_fn lookup,
                     void *arg, char *err, size_t errlen)
{
    size_t lit = 0; /* start of the pending literal */
    int ctx = ctx_first;
    if (n > UINT32_MAX) {
        snprintf(err, errlen, "template too long");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && i > 0 && s[i - 1] == '\r')
            ctx = ctx_rest;
        if (s[i] != '$')
            continue;
        size_t a, b, e;
        int k = at_dollar(s, n, i, &a, &b, &e);
        if (k < 0) {
            snprintf(err, errlen, "malformed variable reference at \"%.20s\" (expected ${name})", s + i);
            return -1;
        }
        if (k == 0)
            continue;
        if (k == 2) {
            /* "$${": keep "${" (drop the first '$'). */
            if (add_seg(t, s + lit, i - lit, VARS_LITERAL, ctx) < 0)
                goto nomem;
            lit = i + 1;
            i += 2;
            continue;
        }
        int id = vars_builtin(s + a, b);
        if (id < 0 && lookup)
            id = lookup(s + a, b, arg);
        if (id < 0) {
            snprintf(err, errlen, "unknown variable \"%.*s\"", (int)b, s + a);
            return -1;
        }
        if (add_seg(t, s + lit, i - lit, VARS_LITERAL, ctx) < 0 || add_seg(t, NULL, 0, (uint32_t)id, ctx) < 0)
            goto nomem;
        lit = e;
        i = e - 1;
    }
    if (add_seg(t, s + lit, n - lit, VARS_LITERAL, ctx) < 0)
        goto nomem;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void vars_tpl_fini(vars_tpl *t)
{
    free(t->seg);
    t->seg = NULL;
    t->n = 0;
}

void vars_uuid(rng *r, char out[36])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    uint64_t x = rng_u64(r), y = rng_u64(r);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(x >> (8 * i));
        b[8 + i] = (uint8_t)(y >> (8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
}

static bool allowed(const char *p, size_t n, int ctx)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (ctx == VARS_CTX_PATH && (c <= 0x20 || c >= 0x7f))
            return false;
        if (ctx == VARS_CTX_HEADER && ((c < 0x20 && c != '\t') || c == 0x7f))
            return false;
    }
    return true;
}

int vars_expand(const vars_tpl *t, const vars_env *env, char *out, size_t cap, size_t *len)
{
    size_t o = *len;
    for (size_t i = 0; i < t->n; i++) {
        const vars_seg *g = &t->seg[i];
        const char *p = g->s;
        size_t n = g->len;
        char tmp[40];
        if (g->var != VARS_LITERAL) {
            switch (g->var) {
            case VARS_USER: n = (size_t)snprintf(tmp, sizeof tmp, "%" PRIu32, env->user); break;
            case VARS_ITER: n = (size_t)snprintf(tmp, sizeof tmp, "%" PRIu64, env->iter); break;
            case VARS_RAND: n = (size_t)snprintf(tmp, sizeof tmp, "%" PRIu32, (uint32_t)rng_u64(env->rng)); break;
            case VARS_UUID:
                vars_uuid(env->rng, tmp);
                n = 36;
                break;
            default: {
                size_t k = g->var - VARS_N_BUILTIN;
                const vars_val *v = k < env->n ? &env->v[k] : NULL;
                n = v ? v->len : 0;
                if (n && !allowed(v->p, n, g->ctx))
                    return VARS_EBADVALUE;
                p = v ? v->p : NULL;
                goto copy;
            }
            }
            p = tmp;
        }
    copy:
        if (n > cap - o)
            return VARS_ETOOBIG;
        if (n)
            memcpy(out + o, p, n);
        o += n;
    }
    *len = o;
    return 0;
}
