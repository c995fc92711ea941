/* junit.c - the JUnit XML report. */
#include "junit.h"

#include <stdint.h>
#include <string.h>

#include "xml.h"

static void esc(buf *b, const char *s)
{
    xml_escape_str(b, s);
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
