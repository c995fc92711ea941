/* cmd_compare.c - `ptest compare BASELINE_DIR CANDIDATE_DIR`. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "cmd.h"
#include "compare.h"
#include "run.h"

static void usage_compare(FILE *f)
{
    fprintf(f,
            "usage: ptest compare BASELINE_DIR CANDIDATE_DIR\n"
            "\n"
            "Per label, the change of p50/p95/p99/mean and error rate, and a verdict:\n"
            "regression, improvement or no significant change. Latency: Mann-Whitney U test\n"
            "(tie-corrected, on the HDR histograms) at p < %.2g, and the median or p95 must\n"
            "move by more than %.0f %% and %.1f ms. Errors: two-proportion z-test at p < %.2g\n"
            "and a change above %.1f percentage points.\n"
            "\n"
            "exit codes: 0 no regression, 1 a label regressed, 2 usage or unreadable results\n",
            COMPARE_ALPHA, COMPARE_MIN_REL * 100, COMPARE_MIN_ABS_US / 1e3, COMPARE_ALPHA, COMPARE_MIN_ERR_PP);
}

static double chg(double a, double b)
{
    return a > 0 && !isnan(b) ? (b / a - 1) * 100 : 0;
}

int cmd_compare(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_compare(stdout);
        return RUN_EXIT_OK;
    }
    if (argc != 3) {
        fputs("ptest compare: expected BASELINE_DIR CANDIDATE_DIR\n(ptest compare --help for usage)\n", stderr);
        return RUN_EXIT_USAGE;
    }
    char err[1024];
    analysis_run a, b;
    if (analysis_load(&a, argv[1], false, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest compare: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    if (analysis_load(&b, argv[2], false, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest compare: %s\n", err);
        analysis_fini(&a);
        return RUN_EXIT_USAGE;
    }
    printf("%-16s %8s %8s %8s %8s %10s %9s  %s\n", "label", "p50", "p95", "p99", "mean", "errors", "p-value",
           "verdict");
    int regressions = 0;
    for (size_t i = 0; i <= b.n_labels; i++) {
        const analysis_label *lb = i < b.n_labels ? &b.labels[i] : &b.total;
        const analysis_label *la = analysis_find(&a, lb->name);
        if (!la) {
            printf("%-16.64s not in the baseline\n", lb->name);
            continue;
        }
        compare_label c;
        compare_label_run(la->lat, la->count, la->errors, lb->lat, lb->count, lb->errors, &c);
        regressions += c.verdict == COMPARE_REGRESSION;
        printf("%-16.64s %+7.1f%% %+7.1f%% %+7.1f%% %+7.1f%% %+8.2fpp %9.2g  %s\n", lb->name, chg(c.base[0], c.cand[0]),
               chg(c.base[1], c.cand[1]), chg(c.base[2], c.cand[2]), chg(c.base[3], c.cand[3]),
               (isnan(c.err_cand) || isnan(c.err_base) ? 0 : c.err_cand - c.err_base) * 100, c.mw.p,
               compare_verdict_name(c.verdict));
    }
    printf("\nlatency: Mann-Whitney U test on the histograms (p < %.2g, and the median or p95 moved by more than "
           "%.0f %% and %.1f ms); errors: two-proportion z-test\n",
           COMPARE_ALPHA, COMPARE_MIN_REL * 100, COMPARE_MIN_ABS_US / 1e3);
    analysis_fini(&a);
    analysis_fini(&b);
    return regressions ? RUN_EXIT_GATE : RUN_EXIT_OK;
}
