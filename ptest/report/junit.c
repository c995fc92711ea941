/* junit.c - the JUnit XML report. */
#include "junit.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

void junit_escape(buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        if (ch >= 0x80) {
            size_t len = utf8_len(u + i, n - i);
            if (len) {
                buf_append(b, u + i, len);
                i += len;
            } else {
                buf_putc(b, '?');
                i++;
            }
            continue;
        }
        switch (ch) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&apos;"); break;
        case '\t': buf_puts(b, "&#9;"); break;
        case '\n': buf_puts(b, "&#10;"); break;
        case '\r': buf_puts(b, "&#13;"); break;
        default: buf_putc(b, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
        }
        i++;
    }
}

static void esc(buf *b, const char *s)
{
    junit_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* One <testsuite> with the cases whose suite is the pointer suite. */
static void suite_xml(buf *out, const analysis_run *r, const gate *g, const char *suite)
{
    size_t tests = 0, failures = 0, skipped = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->cases[i].suite == suite) {
            tests++;
            failures += g->cases[i].failed;
            skipped += g->cases[i].skipped;
        }
    buf_puts(out, "  <testsuite name=\"");
    esc(out, suite);
    buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\"", tests, failures,
               skipped, r->duration_s);
    /* The analysis' warnings (the generator's own limits first) go with the total, as the
     * suite's output: CI shows them next to the verdict without failing a case for them. */
    bool notes = suite == r->total.name && r->n_warnings > 0;
    if (tests == 0 && !notes) {
        buf_puts(out, "/>\n");
        return;
    }
    buf_puts(out, ">\n");
    for (size_t i = 0; i < g->n; i++) {
        const gate_case *c = &g->cases[i];
        if (c->suite != suite)
            continue;
        buf_puts(out, "    <testcase classname=\"ptest.");
        esc(out, suite);
        buf_puts(out, "\" name=\"");
        esc(out, c->name);
        buf_puts(out, "\" time=\"0\"");
        if (!c->failed && !c->skipped) {
            buf_puts(out, "/>\n");
            continue;
        }
        buf_puts(out, ">\n");
        if (c->skipped) {
            buf_puts(out, "      <skipped message=\"");
            esc(out, c->message);
            buf_puts(out, "\"/>\n");
        } else {
            buf_puts(out, "      <failure type=\"threshold\" message=\"");
            esc(out, c->message);
            buf_puts(out, "\">measured: ");
            esc(out, c->measured);
            buf_puts(out, "\nlimit: ");
            esc(out, c->limit);
            buf_puts(out, "</failure>\n");
        }
        buf_puts(out, "    </testcase>\n");
    }
    if (notes) {
        buf_puts(out, "    <system-out>");
        for (size_t i = 0; i < r->n_warnings; i++) {
            buf_puts(out, "warning: ");
            esc(out, r->warnings[i]);
            buf_puts(out, "&#10;");
        }
        buf_puts(out, "</system-out>\n");
    }
    buf_puts(out, "  </testsuite>\n");
}

int junit_render(const analysis_run *r, const gate *g, buf *out)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
    esc(out, r->plan_name ? r->plan_name : "ptest");
    buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", g->n, g->n_failed);
    for (size_t li = 0; li <= r->n_labels; li++)
        suite_xml(out, r, g, li < r->n_labels ? r->labels[li].name : r->total.name);
    for (size_t i = 0; i < g->n; i++)
        if (g->cases[i].suite == GATE_SUITE_WORKERS) {
            suite_xml(out, r, g, GATE_SUITE_WORKERS);
            break;
        }
    buf_puts(out, "</testsuites>\n");
    return buf_ok(out) ? 0 : -1;
}
