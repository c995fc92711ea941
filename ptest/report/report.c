/* report.c - from a results directory to the reports. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "buf.h"
#include "gate.h"
#include "history.h"
#include "junit.h"
#include "results.h"
#include "run.h"
#include "scorecard.h"
#include "summary.h"

static int write_out(const buf *b, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (buf_write_file(b, path) != 0) {
        fprintf(stderr, "ptest: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int report_run(const report_opts *o)
{
    char err[1024];
    analysis_run r, base;
    bool have_base = false;
    gate g;
    memset(&g, 0, sizeof(g));
    buf b = BUF_INIT;
    int ret = RUN_EXIT_USAGE;
    int lrc = analysis_load(&r, o->dir, false, err, sizeof(err));
    if (lrc == 0 && gate_wants_intervals(&r)) {
        /* A "for" threshold is judged per second: load the interval logs' seconds too. */
        analysis_fini(&r);
        lrc = analysis_load(&r, o->dir, true, err, sizeof(err));
    }
    if (lrc != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return lrc == ANALYSIS_ENOMEM ? RUN_EXIT_RUNTIME : RUN_EXIT_USAGE;
    }
    if (o->baseline) {
        if (analysis_load(&base, o->baseline, false, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest: baseline: %s\n", err);
            goto out;
        }
        have_base = true;
    }
    if (gate_eval(&g, &r, have_base ? &base : NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        goto out;
    }
    history trend;
    if (o->history && history_update(o->history, &r, &g, &trend, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: history: %s\n", err);
        goto out;
    }
    const char *od = o->out_dir ? o->out_dir : o->dir;
    ret = RUN_EXIT_RUNTIME; /* from here on, a failure is a report that cannot be written */
    if (results_mkdirs(od) != 0) {
        fprintf(stderr, "ptest: cannot create %s: %s\n", od, strerror(errno));
        goto out;
    }
    int bad = 0;
    junit_render(&r, &g, &b);
    bad |= write_out(&b, od, "junit.xml");
    buf_reset(&b);
    scorecard_render(&r, have_base ? &base : NULL, &g, o->history ? &trend : NULL, &b);
    bad |= write_out(&b, od, "scorecard.html");
    buf_reset(&b);
    buf_puts(&b, scorecard_css);
    bad |= write_out(&b, od, "scorecard.css");
    buf_reset(&b);
    summary_render(&r, &g, o->history ? &trend : NULL, &b);
    bad |= write_out(&b, od, "summary.txt");
    if (!o->quiet && buf_ok(&b))
        fwrite(b.data, 1, b.len, stdout);
    if (bad)
        goto out;
    ret = r.aborted || r.interrupted ? RUN_EXIT_ABORTED : g.n_failed ? RUN_EXIT_GATE : RUN_EXIT_OK;
out:
    buf_fini(&b);
    gate_fini(&g);
    if (have_base)
        analysis_fini(&base);
    analysis_fini(&r);
    return ret;
}
