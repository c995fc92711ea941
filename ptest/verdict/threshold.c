/* threshold.c - parsing and evaluating threshold expressions. */
#include "threshold.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct cur {
    const char *s;
    size_t i;
} cur;

static void skip_ws(cur *c)
{
    while (c->s[c->i] == ' ' || c->s[c->i] == '\t')
        c->i++;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Decimal number without sign or exponent: "250", "0.5", "99.9". Written by hand so the
 * C locale's decimal point and strtod's hex/inf/nan forms never leak into a plan. */
static bool parse_number(cur *c, double *out)
{
    size_t start = c->i;
    double v = 0;
    bool ok = false;
    while (is_digit(c->s[c->i]) && c->i - start < 18)
        v = v * 10 + (c->s[c->i++] - '0');
    if (is_digit(c->s[c->i]))
        goto out;
    size_t int_digits = c->i - start;
    size_t frac_digits = 0;
    if (c->s[c->i] == '.') {
        c->i++;
        double scale = 0.1;
        while (is_digit(c->s[c->i]) && frac_digits < 9) {
            v += (c->s[c->i++] - '0') * scale;
            scale /= 10;
            frac_digits++;
        }
        if (is_digit(c->s[c->i]) || frac_digits == 0)
            goto out;
    }
    if (int_digits == 0)
        goto out;
    *out = v;
    ok = true;
out:
    if (!ok)
        c->i = start; /* errors point at the start of the number */
    return ok;
}

static int fail(cur *c, size_t *col, char *err, size_t errlen, const char *msg)
{
    if (col)
        *col = c->i;
    snprintf(err, errlen, "%s", msg);
    return THRESHOLD_ESYNTAX;
}

static bool take(cur *c, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(c->s + c->i, word, n) != 0)
        return false;
    char next = c->s[c->i + n];
    if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || next == '_' || is_digit(next))
        return false;
    c->i += n;
    return true;
}

static bool is_latency(enum threshold_metric m)
{
    return m == THRESHOLD_PCT || m == THRESHOLD_MEAN || m == THRESHOLD_MIN || m == THRESHOLD_MAX;
}

int threshold_parse(const char *s, threshold_expr *out, size_t *col, char *err, size_t errlen)
{
    cur c = {s ? s : "", 0};
    threshold_expr e;
    memset(&e, 0, sizeof(e));
    skip_ws(&c);
    if (c.s[c.i] == 'p' && is_digit(c.s[c.i + 1])) {
        c.i++;
        size_t at = c.i;
        if (!parse_number(&c, &e.pct) || e.pct <= 0 || e.pct > 100) {
            c.i = at;
            return fail(&c, col, err, errlen, "percentile must be a number above 0 and at most 100 (p50, p99.9)");
        }
        e.metric = THRESHOLD_PCT;
    } else if (take(&c, "mean")) {
        e.metric = THRESHOLD_MEAN;
    } else if (take(&c, "min")) {
        e.metric = THRESHOLD_MIN;
    } else if (take(&c, "max")) {
        e.metric = THRESHOLD_MAX;
    } else if (take(&c, "error_rate")) {
        e.metric = THRESHOLD_ERROR_RATE;
    } else if (take(&c, "rps")) {
        e.metric = THRESHOLD_RPS;
    } else if (take(&c, "capacity")) {
        e.metric = THRESHOLD_CAPACITY;
    } else {
        return fail(&c, col, err, errlen, "unknown metric: expected pNN, mean, min, max, error_rate, rps or capacity");
    }
    skip_ws(&c);
    if (c.s[c.i] == ':') {
        c.i++;
        skip_ws(&c);
        if (e.metric == THRESHOLD_RPS || e.metric == THRESHOLD_CAPACITY)
            return fail(&c, col, err, errlen, "relative thresholds apply to latencies and error_rate");
        double sign = 1;
        if (c.s[c.i] == '+') {
            c.i++;
        } else if (c.s[c.i] == '-') {
            sign = -1;
            c.i++;
        } else {
            return fail(&c, col, err, errlen, "relative threshold: expected +N% or -N%");
        }
        double v;
        if (!parse_number(&c, &v))
            return fail(&c, col, err, errlen, "relative threshold: expected a number");
        skip_ws(&c);
        if (c.s[c.i] != '%')
            return fail(&c, col, err, errlen, "relative threshold: expected '%'");
        c.i++;
        e.relative = true;
        e.limit = sign * v;
    } else {
        if (c.s[c.i] == '<')
            e.op = c.s[c.i + 1] == '=' ? THRESHOLD_LE : THRESHOLD_LT;
        else if (c.s[c.i] == '>')
            e.op = c.s[c.i + 1] == '=' ? THRESHOLD_GE : THRESHOLD_GT;
        else
            return fail(&c, col, err, errlen, "expected <, <=, >, >= or ':'");
        c.i += (e.op == THRESHOLD_LE || e.op == THRESHOLD_GE) ? 2 : 1;
        skip_ws(&c);
        size_t at = c.i;
        double v;
        if (!parse_number(&c, &v))
            return fail(&c, col, err, errlen, "expected a number");
        skip_ws(&c);
        if (is_latency(e.metric)) {
            if (take(&c, "us"))
                e.limit = v;
            else if (take(&c, "ms"))
                e.limit = v * 1e3;
            else if (take(&c, "s"))
                e.limit = v * 1e6;
            else
                return fail(&c, col, err, errlen, "latency needs a unit: us, ms or s");
        } else if (e.metric == THRESHOLD_ERROR_RATE) {
            if (c.s[c.i] == '%') {
                c.i++;
                v /= 100;
            }
            if (v > 1) {
                c.i = at;
                return fail(&c, col, err, errlen, "error_rate is at most 100% (or 1)");
            }
            e.limit = v;
        } else {
            if (c.s[c.i] == '/' && c.s[c.i + 1] == 's')
                c.i += 2;
            e.limit = v;
        }
    }
    skip_ws(&c);
    size_t for_at = c.i;
    if (take(&c, "for")) {
        if (e.relative) {
            c.i = for_at;
            return fail(&c, col, err, errlen, "\"for\" applies to absolute thresholds only");
        }
        skip_ws(&c);
        size_t at = c.i;
        double v;
        uint64_t unit = 0;
        if (!parse_number(&c, &v))
            return fail(&c, col, err, errlen, "for: expected a duration (10s, 500ms, 2m)");
        skip_ws(&c);
        if (take(&c, "ms"))
            unit = UINT64_C(1000000);
        else if (take(&c, "s"))
            unit = UINT64_C(1000000000);
        else if (take(&c, "m"))
            unit = UINT64_C(60000000000);
        else if (take(&c, "h"))
            unit = UINT64_C(3600000000000);
        else
            return fail(&c, col, err, errlen, "for: the duration needs a unit: ms, s, m or h");
        double ns = v * (double)unit;
        if (ns < (double)THRESHOLD_FOR_MIN_NS || ns > (double)THRESHOLD_FOR_MAX_NS) {
            c.i = at;
            return fail(&c, col, err, errlen, "for: the duration must be 1s to 24h (windows are one second)");
        }
        e.for_ns = (uint64_t)(ns + 0.5);
        skip_ws(&c);
    }
    if (c.s[c.i] != '\0')
        return fail(&c, col, err, errlen, "unexpected text after the threshold");
    *out = e;
    return 0;
}

double threshold_value(const threshold_expr *e, const threshold_values *v)
{
    switch (e->metric) {
    case THRESHOLD_PCT: return v->pct ? v->pct(v->ctx, e->pct) : NAN;
    case THRESHOLD_MEAN: return v->mean;
    case THRESHOLD_MIN: return v->min;
    case THRESHOLD_MAX: return v->max;
    case THRESHOLD_ERROR_RATE: return v->error_rate;
    case THRESHOLD_RPS: return v->rps;
    case THRESHOLD_CAPACITY: return NAN;
    }
    return NAN;
}

bool threshold_check(const threshold_expr *e, double m)
{
    if (isnan(m))
        return false; /* nothing measured cannot prove a threshold holds */
    switch (e->op) {
    case THRESHOLD_LT: return m < e->limit;
    case THRESHOLD_LE: return m <= e->limit;
    case THRESHOLD_GT: return m > e->limit;
    case THRESHOLD_GE: return m >= e->limit;
    }
    return false;
}

bool threshold_check_relative(const threshold_expr *e, double base, double cand)
{
    if (isnan(base) || isnan(cand))
        return false;
    if (base <= 0)
        return cand <= 0 || e->limit > 0;
    double change = (cand - base) / base * 100;
    return change <= e->limit;
}

uint32_t threshold_for_windows(const threshold_expr *e)
{
    if (e->for_ns == 0)
        return 0;
    return (uint32_t)((e->for_ns + THRESHOLD_FOR_MIN_NS - 1) / THRESHOLD_FOR_MIN_NS);
}

bool threshold_for_step(const threshold_expr *e, double measured, bool empty, uint32_t *streak)
{
    if (empty)
        return false; /* nothing finished in the window: it neither extends nor ends a streak */
    if (threshold_check(e, measured)) {
        *streak = 0;
        return false;
    }
    (*streak)++;
    return *streak >= threshold_for_windows(e);
}

void threshold_metric_name(const threshold_expr *e, char *out, size_t len)
{
    switch (e->metric) {
    case THRESHOLD_PCT: snprintf(out, len, "p%g", e->pct); return;
    case THRESHOLD_MEAN: snprintf(out, len, "mean"); return;
    case THRESHOLD_MIN: snprintf(out, len, "min"); return;
    case THRESHOLD_MAX: snprintf(out, len, "max"); return;
    case THRESHOLD_ERROR_RATE: snprintf(out, len, "error_rate"); return;
    case THRESHOLD_RPS: snprintf(out, len, "rps"); return;
    case THRESHOLD_CAPACITY: snprintf(out, len, "capacity"); return;
    }
    snprintf(out, len, "?");
}

void threshold_format_value(const threshold_expr *e, double v, char *out, size_t len)
{
    if (isnan(v))
        snprintf(out, len, "n/a");
    else if (e->metric == THRESHOLD_ERROR_RATE)
        snprintf(out, len, "%.3g %%", v * 100);
    else if (e->metric == THRESHOLD_RPS || e->metric == THRESHOLD_CAPACITY)
        snprintf(out, len, "%.1f/s", v);
    else
        units_format_us(v, out, len);
}

void threshold_format_limit(const threshold_expr *e, char *out, size_t len)
{
    if (e->relative) {
        snprintf(out, len, "%+g %% vs baseline", e->limit);
        return;
    }
    static const char *const ops[] = {"<", "<=", ">", ">="};
    char v[48], d[32];
    threshold_format_value(e, e->limit, v, sizeof(v));
    if (e->for_ns)
        units_format_duration(e->for_ns, d, sizeof(d));
    snprintf(out, len, "%s %s%s%s", ops[e->op], v, e->for_ns ? " for " : "", e->for_ns ? d : "");
}
