/* test_ptest_svg.c - the charts' tick labels: every label is a plain number (no exponent,
 * no "-0"), the ticks are evenly spaced, and an axis that reaches zero labels it "0" (the
 * scorecard's trend chart once printed -5.551e-17 there). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "ptest/report/svg.h"

#define MAX_TICKS 64

typedef struct ticks {
    char label[MAX_TICKS][32];
    size_t n;
} ticks;

/* The tick labels of one axis: the text of every <text> element with the given
 * text-anchor ("middle": x axis, "end": y axis), less the axis title (which is "X"). */
static void collect(const char *svg, const char *anchor, ticks *t)
{
    char key[64];
    snprintf(key, sizeof(key), "text-anchor=\"%s\">", anchor);
    t->n = 0;
    for (const char *p = strstr(svg, key); p; p = strstr(p, key)) {
        p += strlen(key);
        const char *e = strstr(p, "</text>");
        assert_non_null(e);
        size_t len = (size_t)(e - p);
        assert_true(len < sizeof(t->label[0]));
        if (len == 1 && *p == 'X')
            continue;
        assert_true(t->n < MAX_TICKS);
        memcpy(t->label[t->n], p, len);
        t->label[t->n][len] = '\0';
        t->n++;
    }
}

/* A label is digits with at most one '.', an optional leading '-' (never "-0") and an
 * optional k or M suffix; its value goes to *v. */
static int plain_number(const char *s, double *v)
{
    size_t len = strlen(s);
    double scale = 1;
    if (len > 0 && (s[len - 1] == 'k' || s[len - 1] == 'M')) {
        scale = s[len - 1] == 'k' ? 1e3 : 1e6;
        len--;
    }
    size_t i = s[0] == '-' ? 1 : 0, digits = 0, dots = 0;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.')
            dots++;
        else
            return -1;
    }
    if (digits == 0 || dots > 1)
        return -1;
    *v = strtod(s, NULL) * scale;
    if (s[0] == '-' && *v == 0)
        return -1;
    return 0;
}

/* Every label plain, values strictly increasing by one step (to 1e-9 relative). */
static void check_axis(const ticks *t, const char *what, double lo, double hi)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "%s [%g, %g]", what, lo, hi);
    if (t->n < 2) {
        fail_msg("%s: %zu ticks", msg, t->n);
    }
    double v[MAX_TICKS] = {0};
    for (size_t i = 0; i < t->n; i++)
        if (plain_number(t->label[i], &v[i]) != 0)
            fail_msg("%s: tick %zu is \"%s\"", msg, i, t->label[i]);
    double step = v[1] - v[0];
    if (!(step > 0))
        fail_msg("%s: ticks %s, %s", msg, t->label[0], t->label[1]);
    for (size_t i = 2; i < t->n; i++)
        if (fabs(v[i] - v[i - 1] - step) > step * 1e-3)
            fail_msg("%s: tick %zu is \"%s\" after \"%s\", step %g", msg, i, t->label[i], t->label[i - 1], step);
    /* Labels are rounded to 4 significant digits; they stay inside the data range. */
    if (v[0] < lo - step * 1e-3 || v[t->n - 1] > hi + step * 1e-3)
        fail_msg("%s: ticks %s .. %s outside the range", msg, t->label[0], t->label[t->n - 1]);
    if (lo <= 0 && hi >= 0) {
        size_t zeros = 0;
        for (size_t i = 0; i < t->n; i++)
            zeros += strcmp(t->label[i], "0") == 0;
        if (zeros != 1)
            fail_msg("%s: %zu ticks labelled \"0\"", msg, zeros);
    }
}

static void render(buf *b, const double *x, const double *y, size_t n)
{
    svg_series s = {x, y, n, "s", "#000000", false};
    svg_chart c = {"T", "X", "Y", SVG_X_LINEAR, 600, 320};
    buf_reset(b);
    svg_lines(b, &c, &s, 1);
    assert_true(buf_ok(b));
}

/* The trend chart: x = -(n-1) .. 0 (runs before this one), n = 2 .. 20. */
static void test_trend_x_ticks(void **state)
{
    (void)state;
    double x[20], y[20];
    buf b = BUF_INIT;
    for (size_t n = 2; n <= 20; n++) {
        for (size_t i = 0; i < n; i++) {
            x[i] = (double)i + 1 - (double)n;
            y[i] = 1 + (double)i;
        }
        render(&b, x, y, n);
        ticks t;
        collect(b.data, "middle", &t);
        char what[32];
        snprintf(what, sizeof(what), "trend n=%zu", n);
        check_axis(&t, what, x[0], 0);
        assert_string_equal(t.label[t.n - 1], "0");
    }
    buf_fini(&b);
}

/* Linear x ranges whose step is a fraction that has no exact binary form. */
static void test_linear_x_ticks(void **state)
{
    (void)state;
    static const struct {
        double lo, hi;
    } cases[] = {
        {-1, 0}, {-0.3, 0.3}, {0, 0.7}, {-3.7, 1.1}, {0.1, 0.9},   {-0.03, 0.06},
        {0, 3},  {17, 601},   {0, 1e5}, {-2e6, 3e6}, {1e-4, 7e-4},
    };
    buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double x[2] = {cases[i].lo, cases[i].hi}, y[2] = {1, 2};
        render(&b, x, y, 2);
        ticks t;
        collect(b.data, "middle", &t);
        check_axis(&t, "x", cases[i].lo, cases[i].hi);
    }
    buf_fini(&b);
}

/* The y axis starts at 0 whatever the data; its ticks are plain for any maximum. */
static void test_y_ticks(void **state)
{
    (void)state;
    static const double ymax[] = {0.0003, 0.03, 0.28, 0.7, 1, 2.6, 9.9, 41, 1234, 98765, 4.2e6};
    buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof(ymax) / sizeof(ymax[0]); i++) {
        double x[2] = {0, 1}, y[2] = {ymax[i] / 2, ymax[i]};
        render(&b, x, y, 2);
        ticks t;
        collect(b.data, "end", &t);
        check_axis(&t, "y", 0, ymax[i] * 1.08);
        assert_string_equal(t.label[0], "0");
    }
    buf_fini(&b);
}

/* The histogram's log x axis: 1, 2, 5 times powers of ten, in ms. */
static void test_logx_ticks(void **state)
{
    (void)state;
    double x0[3] = {20, 300, 4000}, x1[3] = {30, 400, 900000}, y[3] = {1, 5, 2};
    buf b = BUF_INIT;
    svg_chart c = {"T", "X", "Y", SVG_X_LINEAR, 600, 320};
    svg_bars_logx(&b, &c, x0, x1, y, 3, "#000000");
    assert_true(buf_ok(&b));
    ticks t;
    collect(b.data, "middle", &t);
    static const char *const want[] = {"0.02", "0.05", "0.1", "0.2", "0.5", "1",   "2",
                                       "5",    "10",   "20",  "50",  "100", "200", "500"};
    size_t n_want = sizeof(want) / sizeof(want[0]);
    assert_int_equal(t.n, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_string_equal(t.label[i], want[i]);
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trend_x_ticks),
        cmocka_unit_test(test_linear_x_ticks),
        cmocka_unit_test(test_y_ticks),
        cmocka_unit_test(test_logx_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
