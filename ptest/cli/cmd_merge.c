/* cmd_merge.c - `ptest merge DIR... --out DIR`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "merge.h"
#include "report.h"
#include "run.h"

static void usage_merge(FILE *f)
{
    fprintf(f, "usage: ptest merge DIR... --out DIR [--baseline DIR] [--quiet]\n"
               "\n"
               "Combines the results of the workers of one distributed run exactly (latency\n"
               "histograms add per second and for the whole run, counts add, time series are\n"
               "aligned on wall-clock seconds), writes DIR/results.json and the interval logs,\n"
               "and analyses the merged run like `ptest report`.\n"
               "\n"
               "exit codes: 0 pass, 1 gate failed, 2 usage or unreadable results, 3 run aborted,\n"
               "5 runtime failure: DIR or a report cannot be written, out of memory\n");
}

enum { OPT_OUT = 256, OPT_BASELINE };

int cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    report_opts o;
    memset(&o, 0, sizeof(o));
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_OUT: o.dir = optarg; break;
        case OPT_BASELINE: o.baseline = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': usage_merge(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest merge --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (!o.dir || optind >= argc) {
        fputs(!o.dir ? "ptest merge: --out DIR is required\n" : "ptest merge: no results directories given\n", stderr);
        fputs("(ptest merge --help for usage)\n", stderr);
        return RUN_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], o.dir) == 0) {
            fprintf(stderr, "ptest merge: --out %s is also an input\n", o.dir);
            return RUN_EXIT_USAGE;
        }
    char err[1024];
    int rc = merge_dirs((const char *const *)(argv + optind), (size_t)(argc - optind), o.dir, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "ptest merge: %s\n", err);
        return rc == MERGE_EWRITE ? RUN_EXIT_RUNTIME : RUN_EXIT_USAGE;
    }
    return report_run(&o);
}
