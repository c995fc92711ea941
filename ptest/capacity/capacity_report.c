/* capacity_report.c - results.json, summary.txt, junit.xml and the scorecard of a capacity
 * search. */
#include "capacity_report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "scorecard.h"
#include "svg.h"
#include "units.h"
#include "xml.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

static const char *result_name(enum capacity_result r)
{
    return r == CAPACITY_PASS ? "pass" : r == CAPACITY_FAIL ? "fail" : "generator-limited";
}

static const char *limited_by(const capacity_outcome *o)
{
    const capacity_search *s = o->search;
    if (s->generator)
        return "generator";
    if (s->pass > 0 && s->fail == 0)
        return "max";
    if (s->pass > 0)
        return "server";
    return NULL;
}

/* The step that set the first failing rate (for its reason), or NULL. */
static const capacity_step *failing_step(const capacity_outcome *o)
{
    for (size_t i = 0; i < o->n_steps; i++)
        if (o->steps[i].rate == o->search->fail && o->steps[i].result != CAPACITY_PASS)
            return &o->steps[i];
    return NULL;
}

void capacity_report_gates(capacity_outcome *o)
{
    const capacity_search *s = o->search;
    const capacity_step *f = failing_step(o);
    const char *why = f && f->reason[0] ? f->reason : "";
    const char *pre = o->interrupted ? "interrupted: " : "";
    if (s->generator && s->pass > 0)
        snprintf(o->text, sizeof(o->text), "%scapacity >= %g/s, limited by the generator at %g/s: %s", pre, s->pass,
                 s->fail, why);
    else if (s->generator)
        snprintf(o->text, sizeof(o->text), "%scapacity not measured: the generator is the limit already at %g/s: %s",
                 pre, s->fail, why);
    else if (s->pass > 0 && s->fail > 0)
        snprintf(o->text, sizeof(o->text), "%scapacity %g/s: the SLOs hold at %g/s and fail at %g/s (+%.1f %%): %s",
                 pre, s->pass, s->pass, s->fail, (s->fail - s->pass) / s->pass * 100, why);
    else if (s->pass > 0)
        snprintf(o->text, sizeof(o->text), "%scapacity >= %g/s: the SLOs hold at --max %g/s", pre, s->pass, s->max);
    else if (s->fail > 0)
        snprintf(o->text, sizeof(o->text), "%scapacity below %g/s: the SLOs fail at every rate tried: %s", pre, s->fail,
                 why);
    else
        snprintf(o->text, sizeof(o->text), "%scapacity not measured: no step ran", pre);
    o->gates_failed = 0;
    for (size_t i = 0; i < o->n_gates && i < CAPACITY_MAX_SLOS; i++) {
        char lim[64], v[48];
        threshold_format_limit(&o->gates[i].e, lim, sizeof(lim));
        threshold_format_value(&o->gates[i].e, s->pass, v, sizeof(v));
        o->gate_failed[i] = !threshold_check(&o->gates[i].e, s->pass);
        if (o->gate_failed[i]) {
            o->gates_failed++;
            snprintf(o->gate_msg[i], sizeof(o->gate_msg[i]), "capacity is %s%s, limit %s", s->generator ? ">= " : "", v,
                     lim);
        } else {
            snprintf(o->gate_msg[i], sizeof(o->gate_msg[i]), "capacity %s%s, limit %s", s->generator ? ">= " : "", v,
                     lim);
        }
    }
}

/* ---- results.json ------------------------------------------------------------------ */

static void num_or_null(jsonw *w, const char *key, double v)
{
    jsonw_key(w, key);
    if (v > 0 || (v == 0 && !isnan(v)))
        jsonw_double(w, v);
    else
        jsonw_null(w);
}

static void rate_or_null(jsonw *w, const char *key, double v)
{
    jsonw_key(w, key);
    if (v > 0)
        jsonw_double(w, v);
    else
        jsonw_null(w);
}

static void json_step(jsonw *w, const capacity_step *st)
{
    jsonw_obj_begin(w);
    jsonw_key(w, "rate");
    jsonw_double(w, st->rate);
    jsonw_key(w, "achieved");
    jsonw_double(w, st->achieved);
    jsonw_key(w, "judged_s");
    jsonw_double(w, st->window_s);
    jsonw_key(w, "planned");
    jsonw_u64(w, st->planned);
    jsonw_key(w, "count");
    jsonw_u64(w, st->count);
    jsonw_key(w, "errors");
    jsonw_u64(w, st->errors);
    jsonw_key(w, "error_rate");
    if (st->count)
        jsonw_double(w, (double)st->errors / (double)st->count);
    else
        jsonw_null(w);
    jsonw_key(w, "dropped");
    jsonw_u64(w, st->dropped);
    jsonw_key(w, "queued");
    jsonw_u64(w, st->queued);
    num_or_null(w, "p50_us", st->p50_us);
    num_or_null(w, "p95_us", st->p95_us);
    num_or_null(w, "p99_us", st->p99_us);
    num_or_null(w, "service_p95_us", st->svc_p95_us);
    jsonw_key(w, "cpu");
    jsonw_double(w, st->cpu);
    jsonw_key(w, "cores");
    jsonw_u64(w, st->cores);
    jsonw_key(w, "result");
    jsonw_str(w, result_name(st->result));
    jsonw_key(w, "stopped_early");
    jsonw_bool(w, st->lost_early);
    jsonw_key(w, "reason");
    jsonw_str(w, st->reason[0] ? st->reason : NULL);
    jsonw_key(w, "dir");
    jsonw_str(w, st->dir);
    jsonw_obj_end(w);
}

int capacity_report_json(const capacity_outcome *o, buf *out)
{
    const capacity_search *s = o->search;
    char ts[CLOCK_WALL_FMT_LEN];
    jsonw w;
    jsonw_init(&w, out, 2);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "ptest_version");
    jsonw_str(&w, PT_VERSION);
    jsonw_key(&w, "kind");
    jsonw_str(&w, "capacity");
    jsonw_key(&w, "started");
    jsonw_str(&w, clock_wall_format(o->started, ts, sizeof(ts)));
    jsonw_key(&w, "duration_s");
    jsonw_double(&w, o->duration_s);
    jsonw_key(&w, "interrupted");
    jsonw_bool(&w, o->interrupted);
    jsonw_key(&w, "plan");
    jsonw_obj_begin(&w);
    jsonw_key(&w, "name");
    jsonw_str(&w, o->p->name);
    jsonw_key(&w, "source");
    jsonw_str(&w, o->p->source);
    jsonw_key(&w, "target");
    jsonw_str(&w, o->p->target_str);
    jsonw_obj_end(&w);
    jsonw_key(&w, "capacity");
    jsonw_obj_begin(&w);
    rate_or_null(&w, "rate", s->pass);
    rate_or_null(&w, "first_failing", s->fail);
    jsonw_key(&w, "limited_by");
    jsonw_str(&w, limited_by(o));
    jsonw_key(&w, "relative_width");
    if (s->pass > 0 && s->fail > 0)
        jsonw_double(&w, (s->fail - s->pass) / s->pass);
    else
        jsonw_null(&w);
    jsonw_key(&w, "precision");
    jsonw_double(&w, s->precision);
    jsonw_key(&w, "warmup_s");
    jsonw_double(&w, o->warmup_s);
    jsonw_key(&w, "step_s");
    jsonw_double(&w, o->step_s);
    jsonw_key(&w, "threads");
    jsonw_u64(&w, o->threads);
    jsonw_key(&w, "text");
    jsonw_str(&w, o->text);
    jsonw_key(&w, "slos");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < o->n_slos; i++) {
        jsonw_obj_begin(&w);
        jsonw_key(&w, "label");
        jsonw_str(&w, o->slos[i].label);
        jsonw_key(&w, "expr");
        jsonw_str(&w, o->slos[i].expr);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_key(&w, "gates");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < o->n_gates; i++) {
        jsonw_obj_begin(&w);
        jsonw_key(&w, "expr");
        jsonw_str(&w, o->gates[i].expr);
        jsonw_key(&w, "passed");
        jsonw_bool(&w, !o->gate_failed[i]);
        jsonw_key(&w, "message");
        jsonw_str(&w, o->gate_msg[i]);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_key(&w, "steps");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < o->n_steps; i++)
        json_step(&w, &o->steps[i]);
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    jsonw_obj_end(&w);
    buf_puts(out, "\n");
    return buf_ok(out) ? 0 : -1;
}

/* ---- summary.txt -------------------------------------------------------------------- */

static void fmt_us(double us, char *out, size_t len)
{
    if (isnan(us))
        snprintf(out, len, "-");
    else
        units_format_us(us, out, len);
}

static void slo_list(const capacity_outcome *o, buf *out, const char *sep)
{
    for (size_t i = 0; i < o->n_slos; i++) {
        buf_printf(out, "%s%s", i ? sep : "", o->slos[i].expr);
        if (strcmp(o->slos[i].label, "*") != 0)
            buf_printf(out, " (label %s)", o->slos[i].label);
    }
}

int capacity_report_summary(const capacity_outcome *o, buf *out)
{
    buf_printf(out, "%s: %s\n", o->gates_failed ? "FAIL" : o->interrupted ? "ABORTED" : "PASS", o->text);
    for (size_t i = 0; i < o->n_gates; i++)
        buf_printf(out, "  gate %s: %s (%s)\n", o->gates[i].expr, o->gate_failed[i] ? "FAIL" : "pass", o->gate_msg[i]);
    buf_puts(out, "SLOs (every label and the total unless a label is named): ");
    slo_list(o, out, "; ");
    buf_printf(out,
               "\neach step: %g s warm-up (not judged) + %g s judged (longer when that holds fewer than %d "
               "planned arrivals); precision %g %%\n",
               o->warmup_s, o->step_s, CAPACITY_MIN_ARRIVALS, o->search->precision * 100);
    buf_printf(out, "%4s %10s %10s %9s %9s %9s %8s %5s  %s\n", "step", "rate/s", "achieved/s", "p50", "p95", "p99",
               "errors", "cpu", "result");
    for (size_t i = 0; i < o->n_steps; i++) {
        const capacity_step *st = &o->steps[i];
        char p50[16], p95[16], p99[16];
        fmt_us(st->p50_us, p50, sizeof(p50));
        fmt_us(st->p95_us, p95, sizeof(p95));
        fmt_us(st->p99_us, p99, sizeof(p99));
        buf_printf(out, "%4zu %10.1f %10.1f %9s %9s %9s %7.2f%% %4.0f%%  %s%s%s%s\n", i + 1, st->rate, st->achieved,
                   p50, p95, p99, st->count ? 100.0 * (double)st->errors / (double)st->count : 0.0, st->cpu * 100,
                   result_name(st->result), st->lost_early ? " (stopped early)" : "", st->reason[0] ? ": " : "",
                   st->reason);
    }
    buf_puts(out, "every step's own results: steps/NN-RATE/ (results.json, *.hlog)\n");
    return buf_ok(out) ? 0 : -1;
}

/* ---- junit.xml ---------------------------------------------------------------------- */

int capacity_report_junit(const capacity_outcome *o, buf *out)
{
    size_t tests = o->n_steps + 1 + o->n_gates;
    size_t failures = o->gates_failed;
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
    xml_escape_str(out, o->p->name ? o->p->name : "ptest capacity");
    buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", tests, failures);
    buf_printf(out,
               "  <testsuite name=\"capacity\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
               "time=\"%.3f\">\n",
               tests, failures, o->duration_s);
    /* The capacity itself: fails with a gate. */
    buf_puts(out, "    <testcase classname=\"ptest.capacity\" name=\"capacity\" time=\"0\">\n");
    if (o->gates_failed) {
        buf_puts(out, "      <failure type=\"capacity\" message=\"");
        for (size_t i = 0, k = 0; i < o->n_gates; i++)
            if (o->gate_failed[i]) {
                if (k++)
                    buf_puts(out, "; ");
                xml_escape_str(out, o->gate_msg[i]);
            }
        buf_puts(out, "\">");
        xml_escape_str(out, o->text);
        buf_puts(out, "</failure>\n");
    }
    buf_puts(out, "      <system-out>");
    xml_escape_str(out, o->text);
    buf_puts(out, "</system-out>\n    </testcase>\n");
    for (size_t i = 0; i < o->n_gates; i++) {
        buf_puts(out, "    <testcase classname=\"ptest.capacity\" name=\"");
        xml_escape_str(out, o->gates[i].expr);
        buf_puts(out, "\" time=\"0\"");
        if (!o->gate_failed[i]) {
            buf_puts(out, "/>\n");
            continue;
        }
        buf_puts(out, ">\n      <failure type=\"threshold\" message=\"");
        xml_escape_str(out, o->gate_msg[i]);
        buf_puts(out, "\">");
        xml_escape_str(out, o->gate_msg[i]);
        buf_puts(out, "</failure>\n    </testcase>\n");
    }
    /* One case per step: a step above the capacity is what the search looks for, not a
     * failure of the build; its verdict is in the name and the output. */
    for (size_t i = 0; i < o->n_steps; i++) {
        const capacity_step *st = &o->steps[i];
        char p95[16];
        fmt_us(st->p95_us, p95, sizeof(p95));
        buf_printf(out,
                   "    <testcase classname=\"ptest.capacity.steps\" name=\"step %02zu: %g/s: %s\" time=\"%.3f\">\n",
                   i + 1, st->rate, result_name(st->result), st->window_s);
        buf_printf(out, "      <system-out>achieved %.1f/s, p95 %s, errors %" PRIu64 " of %" PRIu64 ", cpu %.0f %%",
                   st->achieved, p95, st->errors, st->count, st->cpu * 100);
        if (st->reason[0]) {
            buf_puts(out, ": ");
            xml_escape_str(out, st->reason);
        }
        buf_puts(out, "</system-out>\n    </testcase>\n");
    }
    buf_puts(out, "  </testsuite>\n</testsuites>\n");
    return buf_ok(out) ? 0 : -1;
}

/* ---- scorecard.html ------------------------------------------------------------------ */

static int by_rate(const void *a, const void *b)
{
    const capacity_step *x = *(const capacity_step *const *)a, *y = *(const capacity_step *const *)b;
    return x->rate < y->rate ? -1 : x->rate > y->rate;
}

#define MAX_LIMITS 4

static void charts(const capacity_outcome *o, buf *out)
{
    size_t n = o->n_steps;
    const capacity_step **srt = calloc(n ? n : 1, sizeof(*srt));
    double *x = calloc(n ? n : 1, sizeof(double) * 6);
    if (!srt || !x) {
        out->failed = true;
        free(srt);
        free(x);
        return;
    }
    for (size_t i = 0; i < n; i++)
        srt[i] = &o->steps[i];
    qsort(srt, n, sizeof(*srt), by_rate);
    double *p50 = x + n, *p95 = x + 2 * n, *p99 = x + 3 * n, *err = x + 4 * n, *ach = x + 5 * n;
    for (size_t i = 0; i < n; i++) {
        x[i] = srt[i]->rate;
        p50[i] = srt[i]->p50_us / 1e3;
        p95[i] = srt[i]->p95_us / 1e3;
        p99[i] = srt[i]->p99_us / 1e3;
        err[i] = srt[i]->count ? 100.0 * (double)srt[i]->errors / (double)srt[i]->count : NAN;
        ach[i] = srt[i]->achieved;
    }
    /* The latency SLOs as dashed lines across the rates tried. */
    svg_series lat[3 + MAX_LIMITS];
    double lx[MAX_LIMITS][2], ly[MAX_LIMITS][2];
    char names[MAX_LIMITS][80];
    size_t k = 0;
    lat[k++] = (svg_series){x, p99, n, "p99", "#d62728", false};
    lat[k++] = (svg_series){x, p95, n, "p95", "#ff7f0e", false};
    lat[k++] = (svg_series){x, p50, n, "p50", "#1f77b4", false};
    for (size_t i = 0; i < o->n_slos && k < 3 + MAX_LIMITS && n > 0; i++) {
        const threshold_expr *e = &o->slos[i].e;
        if (e->metric != THRESHOLD_PCT && e->metric != THRESHOLD_MEAN && e->metric != THRESHOLD_MAX)
            continue;
        size_t j = k - 3;
        lx[j][0] = x[0];
        lx[j][1] = x[n - 1];
        ly[j][0] = ly[j][1] = e->limit / 1e3;
        snprintf(names[j], sizeof(names[j]), "SLO %s", o->slos[i].expr);
        lat[k++] = (svg_series){lx[j], ly[j], 2, names[j], "#555555", true};
    }
    svg_chart c1 = {"Latency against the arrival rate (judged seconds, all labels)",
                    "planned rate (requests/s)",
                    "latency (ms)",
                    SVG_X_LINEAR,
                    600,
                    320};
    svg_lines(out, &c1, lat, k);
    svg_series es[1] = {{x, err, n, "error rate %", "#d62728", false}};
    svg_chart c2 = {
        "Error rate against the arrival rate", "planned rate (requests/s)", "errors (%)", SVG_X_LINEAR, 600, 320};
    svg_lines(out, &c2, es, 1);
    svg_series as[2] = {{x, ach, n, "achieved", "#2ca02c", false}, {x, x, n, "planned", "#999999", true}};
    svg_chart c3 = {"Achieved against planned rate", "planned rate (requests/s)", "requests/s", SVG_X_LINEAR, 600, 320};
    svg_lines(out, &c3, as, 2);
    free(srt);
    free(x);
}

int capacity_report_html(const capacity_outcome *o, buf *out)
{
    char ts[CLOCK_WALL_FMT_LEN];
    const char *name = o->p->name ? o->p->name : "capacity";
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>ptest capacity: ");
    xml_escape_str(out, name);
    buf_puts(out, "</title><link rel=\"stylesheet\" href=\"scorecard.css\"></head><body><main>\n<h1>Capacity: ");
    xml_escape_str(out, name);
    buf_puts(out, "</h1><div class=\"meta\">");
    xml_escape_str(out, clock_wall_format(o->started, ts, sizeof(ts)));
    buf_printf(out, " &middot; %.1f s &middot; %zu steps", o->duration_s, o->n_steps);
    if (o->p->target_str) {
        buf_puts(out, " &middot; target ");
        xml_escape_str(out, o->p->target_str);
    }
    buf_printf(out, "</div>\n<div class=\"verdict %s\">",
               o->gates_failed        ? "fail"
               : o->interrupted       ? "aborted"
               : o->search->generator ? "aborted"
                                      : "pass");
    xml_escape_str(out, o->text);
    if (o->n_gates) {
        buf_puts(out, "<ul>");
        for (size_t i = 0; i < o->n_gates; i++) {
            buf_printf(out, "<li>%s: ", o->gate_failed[i] ? "FAIL" : "pass");
            xml_escape_str(out, o->gates[i].expr);
            buf_puts(out, " (");
            xml_escape_str(out, o->gate_msg[i]);
            buf_puts(out, ")</li>");
        }
        buf_puts(out, "</ul>");
    }
    buf_puts(out, "</div>\n<p class=\"note\">SLOs (every label and the total unless a label is named): ");
    buf b = BUF_INIT;
    slo_list(o, &b, "; ");
    if (buf_ok(&b) && b.len)
        xml_escape(out, b.data, b.len);
    buf_fini(&b);
    buf_printf(out,
               ". Each step: %g s warm-up (not judged), then %g s judged (longer when that holds fewer than %d "
               "planned arrivals).</p>\n",
               o->warmup_s, o->step_s, CAPACITY_MIN_ARRIVALS);
    buf_puts(out, "<h2>Steps</h2><div class=\"scroll\"><table><tr><th>step</th><th>rate/s</th><th>achieved/s</th>"
                  "<th>p50</th><th>p95</th><th>p99</th><th>service p95</th><th>errors</th><th>dropped</th>"
                  "<th>queued</th><th>cpu</th><th class=\"l\">result</th></tr>\n");
    for (size_t i = 0; i < o->n_steps; i++) {
        const capacity_step *st = &o->steps[i];
        char v[4][16];
        fmt_us(st->p50_us, v[0], sizeof(v[0]));
        fmt_us(st->p95_us, v[1], sizeof(v[1]));
        fmt_us(st->p99_us, v[2], sizeof(v[2]));
        fmt_us(st->svc_p95_us, v[3], sizeof(v[3]));
        const char *cls = st->result == CAPACITY_PASS ? "good" : "bad";
        buf_printf(out,
                   "<tr><td>%zu</td><td>%g</td><td>%.1f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                   "<td>%.2f %%</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%.0f %%</td><td class=\"wrap %s\">%s%s",
                   i + 1, st->rate, st->achieved, v[0], v[1], v[2], v[3],
                   st->count ? 100.0 * (double)st->errors / (double)st->count : 0.0, st->dropped, st->queued,
                   st->cpu * 100, cls, result_name(st->result), st->lost_early ? " (stopped early)" : "");
        if (st->reason[0]) {
            buf_puts(out, ": ");
            xml_escape_str(out, st->reason);
        }
        buf_puts(out, "</td></tr>\n");
    }
    buf_puts(out, "</table></div>\n<h2>The knee</h2><div class=\"charts\">\n");
    charts(o, out);
    buf_puts(out, "</div>\n<footer>ptest capacity &middot; every step's own results in steps/NN-RATE/</footer>\n"
                  "</main></body></html>\n");
    return buf_ok(out) ? 0 : -1;
}

/* ---- files ---------------------------------------------------------------------------- */

static int write_one(const buf *b, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!buf_ok(b) || buf_write_file(b, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, buf_ok(b) ? strerror(errno) : "out of memory");
        return -1;
    }
    return 0;
}

int capacity_report_write(const capacity_outcome *o, const char *dir, bool print, char *err, size_t errlen)
{
    buf b = BUF_INIT;
    int rc = 0;
    capacity_report_json(o, &b);
    rc |= write_one(&b, dir, "results.json", err, errlen);
    buf_reset(&b);
    capacity_report_junit(o, &b);
    rc |= write_one(&b, dir, "junit.xml", err, errlen);
    buf_reset(&b);
    capacity_report_html(o, &b);
    rc |= write_one(&b, dir, "scorecard.html", err, errlen);
    buf_reset(&b);
    buf_puts(&b, scorecard_css);
    rc |= write_one(&b, dir, "scorecard.css", err, errlen);
    buf_reset(&b);
    capacity_report_summary(o, &b);
    rc |= write_one(&b, dir, "summary.txt", err, errlen);
    if (print && buf_ok(&b)) {
        fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
    }
    buf_fini(&b);
    return rc ? -1 : 0;
}
