/* compare.c - Mann-Whitney U on histograms, proportions test, verdicts. */
#include "compare.h"

#include <math.h>

int compare_mann_whitney(const hist *a, const hist *b, compare_mw *out)
{
    out->u = 0;
    out->z = 0;
    out->p = 1;
    out->a12 = 0.5;
    if (a->unit_magnitude != b->unit_magnitude || a->sig_figs != b->sig_figs)
        return HIST_EINCOMPAT;
    if (a->total_count == 0 || b->total_count == 0)
        return HIST_EINVAL;
    double na = (double)a->total_count, nb = (double)b->total_count, n = na + nb;
    /* Walk both bucket lists in value order; equal lowest values are the same bucket
     * because the layouts match. */
    hist_iter ia, ib;
    hist_iter_init(&ia, a);
    hist_iter_init(&ib, b);
    bool ha = hist_iter_next(&ia), hb = hist_iter_next(&ib);
    double below = 0, rank_b = 0, ties = 0;
    while (ha || hb) {
        double ca = 0, cb = 0;
        if (ha && (!hb || ia.lowest <= ib.lowest)) {
            ca = (double)ia.count;
            if (hb && ib.lowest == ia.lowest) {
                cb = (double)ib.count;
                hb = hist_iter_next(&ib);
            }
            ha = hist_iter_next(&ia);
        } else {
            cb = (double)ib.count;
            hb = hist_iter_next(&ib);
        }
        double t = ca + cb;
        /* Average rank of the group: ranks below + 1 .. below + t. */
        rank_b += cb * (below + (t + 1) / 2);
        ties += t * t * t - t;
        below += t;
    }
    double u = rank_b - nb * (nb + 1) / 2;
    double mean = na * nb / 2;
    double var = na * nb / 12 * ((n + 1) - ties / (n * (n - 1)));
    out->u = u;
    out->a12 = u / (na * nb);
    if (var <= 0) {
        /* Every value in one bucket: no difference detectable. */
        return 0;
    }
    /* Continuity correction towards the mean. */
    double d = u - mean;
    double cc = d > 0 ? -0.5 : d < 0 ? 0.5 : 0;
    out->z = (d + cc) / sqrt(var);
    out->p = erfc(fabs(out->z) / sqrt(2.0));
    return 0;
}

double compare_proportions(uint64_t ea, uint64_t na, uint64_t eb, uint64_t nb, double *z)
{
    *z = 0;
    if (na == 0 || nb == 0)
        return 1;
    double pa = (double)ea / (double)na, pb = (double)eb / (double)nb;
    double pool = (double)(ea + eb) / ((double)na + (double)nb);
    double se = sqrt(pool * (1 - pool) * (1 / (double)na + 1 / (double)nb));
    if (!(se > 0))
        return 1;
    *z = (pb - pa) / se;
    return erfc(fabs(*z) / sqrt(2.0));
}

static void stats4(const hist *h, double out[4])
{
    if (h->total_count == 0) {
        for (int i = 0; i < 4; i++)
            out[i] = NAN;
        return;
    }
    out[0] = (double)hist_value_at_percentile(h, 50);
    out[1] = (double)hist_value_at_percentile(h, 95);
    out[2] = (double)hist_value_at_percentile(h, 99);
    out[3] = hist_mean(h);
}

/* +1 when x moved up materially, -1 down, 0 otherwise. */
static int material(double base, double cand)
{
    if (isnan(base) || isnan(cand))
        return 0;
    double d = cand - base;
    if (fabs(d) <= COMPARE_MIN_ABS_US || base <= 0 || fabs(d) / base <= COMPARE_MIN_REL)
        return 0;
    return d > 0 ? 1 : -1;
}

void compare_label_run(const hist *a, uint64_t a_count, uint64_t a_errors, const hist *b, uint64_t b_count,
                       uint64_t b_errors, compare_label *out)
{
    stats4(a, out->base);
    stats4(b, out->cand);
    out->mw_rc = compare_mann_whitney(a, b, &out->mw);
    out->latency = COMPARE_SAME;
    if (out->mw_rc == 0 && out->mw.p < COMPARE_ALPHA) {
        int dir = out->mw.z > 0 ? 1 : -1;
        if (material(out->base[0], out->cand[0]) == dir || material(out->base[1], out->cand[1]) == dir)
            out->latency = dir > 0 ? COMPARE_REGRESSION : COMPARE_IMPROVEMENT;
    }
    out->err_base = a_count ? (double)a_errors / (double)a_count : NAN;
    out->err_cand = b_count ? (double)b_errors / (double)b_count : NAN;
    double z;
    out->err_p = compare_proportions(a_errors, a_count, b_errors, b_count, &z);
    out->errors = COMPARE_SAME;
    if (out->err_p < COMPARE_ALPHA && fabs(out->err_cand - out->err_base) * 100 > COMPARE_MIN_ERR_PP)
        out->errors = z > 0 ? COMPARE_REGRESSION : COMPARE_IMPROVEMENT;
    if (out->latency == COMPARE_REGRESSION || out->errors == COMPARE_REGRESSION)
        out->verdict = COMPARE_REGRESSION;
    else if (out->latency == COMPARE_IMPROVEMENT || out->errors == COMPARE_IMPROVEMENT)
        out->verdict = COMPARE_IMPROVEMENT;
    else
        out->verdict = COMPARE_SAME;
}

const char *compare_verdict_name(enum compare_verdict v)
{
    switch (v) {
    case COMPARE_REGRESSION: return "regression";
    case COMPARE_IMPROVEMENT: return "improvement";
    case COMPARE_SAME: break;
    }
    return "no significant change";
}
