/* promtext.c - the Prometheus text format, version 0.0.4 (promtext.h). */
#include "promtext.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void promtext_family(buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void promtext_label_value(buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_putc(out, '\\');
        if (*s == '\n')
            buf_puts(out, "\\n");
        else
            buf_putc(out, *s);
    }
}

void promtext_seconds(buf *out, uint64_t ns)
{
    uint64_t s = ns / 1000000000u, frac = ns % 1000000000u;
    if (!frac) {
        buf_printf(out, "%" PRIu64, s);
        return;
    }
    char digits[10];
    int n = 9;
    while (frac % 10 == 0) {
        frac /= 10;
        n--;
    }
    snprintf(digits, sizeof digits, "%0*" PRIu64, n, frac);
    buf_printf(out, "%" PRIu64 ".%s", s, digits);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const uint64_t ladder_us[] = {100,    250,    500,    1000,    2500,    5000,    10000,    25000,    50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000};

#define HOUR_NS (UINT64_C(3600) * 1000000000)

static bool has(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

size_t promtext_buckets(uint64_t *out, size_t max, const uint64_t *extra_ns, size_t n_extra)
{
    size_t n = 0;
    for (size_t i = 0; i < n_extra && n < max; i++)
        if (extra_ns[i] > 0 && extra_ns[i] <= HOUR_NS && !has(out, n, extra_ns[i]))
            out[n++] = extra_ns[i];
    size_t n_ladder = sizeof(ladder_us) / sizeof(ladder_us[0]);
    if (n + n_ladder <= max) {
        for (size_t i = 0; i < n_ladder; i++)
            if (!has(out, n, ladder_us[i] * 1000))
                out[n++] = ladder_us[i] * 1000;
    } else {
        /* Room for some of the ladder only: the bounds closest to an extra first. */
        bool used[sizeof(ladder_us) / sizeof(ladder_us[0])] = {false};
        while (n < max) {
            size_t best = n_ladder;
            double best_d = 0;
            for (size_t i = 0; i < n_ladder; i++) {
                uint64_t b = ladder_us[i] * 1000;
                if (used[i] || has(out, n, b))
                    continue;
                double d = 1e300;
                for (size_t k = 0; k < n; k++) {
                    double r = (double)b > (double)out[k] ? (double)b / (double)out[k] : (double)out[k] / (double)b;
                    if (r < d)
                        d = r;
                }
                if (best == n_ladder || d < best_d) {
                    best = i;
                    best_d = d;
                }
            }
            if (best == n_ladder)
                break;
            used[best] = true;
            out[n++] = ladder_us[best] * 1000;
        }
    }
    qsort(out, n, sizeof(out[0]), cmp_u64);
    return n;
}

static void series(buf *out, const char *name, const char *suffix, const char *labels)
{
    buf_printf(out, "%s%s%s%s%s", name, suffix, labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
}

void promtext_histogram(buf *out, const char *name, const char *labels, const hist *h, const uint64_t *le_ns,
                        size_t n_le)
{
    hist_iter it;
    bool more = false;
    if (h && h->total_count) {
        hist_iter_init(&it, h);
        more = hist_iter_next(&it);
    }
    uint64_t cum = 0;
    for (size_t b = 0; b <= n_le; b++) {
        if (b < n_le) {
            /* Every HDR bucket that begins at or below the bound (values in us). */
            while (more && it.lowest * 1000 <= le_ns[b]) {
                cum += it.count;
                more = hist_iter_next(&it);
            }
        } else {
            cum = h ? h->total_count : 0;
        }
        buf_printf(out, "%s_bucket{%s%sle=\"", name, labels, labels[0] ? "," : "");
        if (b < n_le)
            promtext_seconds(out, le_ns[b]);
        else
            buf_puts(out, "+Inf");
        buf_putc(out, '"');
        buf_putc(out, '}');
        buf_printf(out, " %" PRIu64 "\n", cum);
    }
    series(out, name, "_sum", labels);
    buf_printf(out, " %.6f\n", h && h->total_count ? hist_mean(h) * (double)h->total_count / 1e6 : 0.0);
    series(out, name, "_count", labels);
    buf_printf(out, " %" PRIu64 "\n", h ? h->total_count : 0);
}
