/* jsonw.c - minimal streaming JSON writer into a buf. */
#include "jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(jsonw *w, buf *out, int indent)
{
    w->out = out;
    w->depth = 0;
    memset(w->need_comma, 0, sizeof w->need_comma);
    w->after_key = false;
    w->indent = indent > 0 ? indent : 0;
}

static void newline_indent(jsonw *w, int depth)
{
    buf_putc(w->out, '\n');
    for (int i = 0; i < depth * w->indent; i++)
        buf_putc(w->out, ' ');
}

/* Everything that starts a value or a key goes through here: a value right after its
 * key needs no separator; otherwise a comma if the container already holds something.
 * Several top-level values are separated by a newline (JSON lines), never a comma. */
static void before_item(jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0) {
        if (w->need_comma[0])
            buf_putc(w->out, '\n');
        w->need_comma[0] = true;
        return;
    }
    if (w->need_comma[w->depth])
        buf_putc(w->out, ',');
    w->need_comma[w->depth] = true;
    if (w->indent > 0)
        newline_indent(w, w->depth);
}

static void open_container(jsonw *w, char c)
{
    before_item(w);
    /* Misuse (too deep) is reported like an allocation failure: the output is unusable
     * and the caller already checks buf_ok once at the end. */
    if (w->depth + 1 >= JSONW_MAX_DEPTH) {
        w->out->failed = true;
        return;
    }
    buf_putc(w->out, c);
    w->depth++;
    w->need_comma[w->depth] = false;
}

static void close_container(jsonw *w, char c)
{
    if (w->depth <= 0 || w->after_key) {
        w->out->failed = true;
        return;
    }
    bool had_items = w->need_comma[w->depth];
    w->depth--;
    if (had_items && w->indent > 0)
        newline_indent(w, w->depth);
    buf_putc(w->out, c);
}

void jsonw_obj_begin(jsonw *w)
{
    open_container(w, '{');
}
void jsonw_obj_end(jsonw *w)
{
    close_container(w, '}');
}
void jsonw_arr_begin(jsonw *w)
{
    open_container(w, '[');
}
void jsonw_arr_end(jsonw *w)
{
    close_container(w, ']');
}

/* Length of the well-formed UTF-8 sequence at p (at most n bytes available), or 0 if
 * the bytes there are not one. Follows the Unicode table of well-formed sequences:
 * no overlong forms, no surrogates, nothing above U+10FFFF. *bad_len receives the
 * length of the maximal ill-formed prefix to replace by one U+FFFD. */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad_len)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad_len = 1;
        return 0;
    }
    size_t i = 1;
    for (; i < len && i < n; i++) {
        unsigned char lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
        if (p[i] < lo_i || p[i] > hi_i)
            break;
    }
    if (i == len)
        return len;
    *bad_len = i;
    return 0;
}

void jsonw_escape(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;

    /* Copy runs of bytes that need no escaping in one append. */
    while (i < n) {
        unsigned char c = p[i];
        size_t len = 1, bad = 0;
        const char *esc = NULL;
        char u[7];

        if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            default:
                u[0] = '\\';
                u[1] = 'u';
                u[2] = '0';
                u[3] = '0';
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            }
        } else if (c >= 0x80) {
            len = utf8_seq(p + i, n - i, &bad);
            if (len == 0) {
                esc = "\xEF\xBF\xBD";
                len = bad;
            }
        }
        if (!esc) {
            i += len;
            run += len;
            continue;
        }
        if (run > 0)
            buf_append(b, s + i - run, run);
        run = 0;
        buf_puts(b, esc);
        i += len;
    }
    if (run > 0)
        buf_append(b, s + i - run, run);
}

static void put_string(buf *b, const char *s, size_t n)
{
    buf_putc(b, '"');
    jsonw_escape(b, s, n);
    buf_putc(b, '"');
}

void jsonw_key(jsonw *w, const char *key)
{
    if (w->depth <= 0 || w->after_key) {
        w->out->failed = true;
        return;
    }
    before_item(w);
    put_string(w->out, key ? key : "", key ? strlen(key) : 0);
    buf_puts(w->out, w->indent > 0 ? ": " : ":");
    w->after_key = true;
}

void jsonw_strn(jsonw *w, const char *s, size_t n)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    before_item(w);
    put_string(w->out, s, n);
}

void jsonw_str(jsonw *w, const char *s)
{
    jsonw_strn(w, s, s ? strlen(s) : 0);
}

void jsonw_u64(jsonw *w, uint64_t v)
{
    before_item(w);
    buf_printf(w->out, "%" PRIu64, v);
}

void jsonw_i64(jsonw *w, int64_t v)
{
    before_item(w);
    buf_printf(w->out, "%" PRId64, v);
}

/* printf %g honours LC_NUMERIC, so the decimal point may be ',' or even several bytes.
 * The output of %g is [-]digits[<point>digits][e(+|-)digits]: any byte that is not one
 * of those belongs to the point and is replaced by a single '.'. */
static void put_number_text(buf *b, const char *t)
{
    bool point_done = false;
    for (; *t; t++) {
        char c = *t;
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e') {
            buf_putc(b, c);
        } else if (!point_done) {
            buf_putc(b, '.');
            point_done = true;
        }
    }
}

void jsonw_double(jsonw *w, double v)
{
    char t[40];

    before_item(w);
    if (!isfinite(v)) {
        buf_puts(w->out, "null");
        return;
    }
    /* Shortest of 15..17 significant digits that reads back as the same double:
     * 0.1 stays "0.1" instead of "0.10000000000000001", yet every value round-trips.
     * strtod uses the same locale as snprintf, so the check is consistent. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (prec == 17 || strtod(t, NULL) == v)
            break;
    }
    put_number_text(w->out, t);
}

void jsonw_bool(jsonw *w, bool v)
{
    before_item(w);
    buf_puts(w->out, v ? "true" : "false");
}

void jsonw_null(jsonw *w)
{
    before_item(w);
    buf_puts(w->out, "null");
}
