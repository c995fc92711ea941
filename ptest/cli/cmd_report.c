/* cmd_report.c - `ptest report RESULTS_DIR [--baseline DIR] [--out DIR]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "run.h"

static void usage_report(FILE *f)
{
    fprintf(f, "usage: ptest report RESULTS_DIR [--baseline DIR] [--history DIR] [--out DIR] [--quiet]\n"
               "\n"
               "Analyses a stored run again: thresholds from its plan, checks, and with --baseline\n"
               "a per-label comparison (Mann-Whitney U test on the latency histograms). Writes\n"
               "junit.xml, scorecard.html, scorecard.css and summary.txt and prints the summary.\n"
               "\n"
               "      --baseline DIR  results of a baseline run: regressions fail the gate\n"
               "      --history DIR   append this run to DIR/history.jsonl and show the trend\n"
               "                      of the last 20 runs\n"
               "      --out DIR       where to write the reports (default RESULTS_DIR)\n"
               "  -q, --quiet         do not print the summary\n"
               "  -h, --help          this help\n"
               "\n"
               "exit codes: 0 pass, 1 gate failed, 2 usage or unreadable results, 3 run aborted,\n"
               "5 runtime failure: a report cannot be written, out of memory\n");
}

enum { OPT_BASELINE = 256, OPT_OUT, OPT_HISTORY };

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"out", required_argument, NULL, OPT_OUT},
        {"history", required_argument, NULL, OPT_HISTORY},
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
        case OPT_BASELINE: o.baseline = optarg; break;
        case OPT_OUT: o.out_dir = optarg; break;
        case OPT_HISTORY: o.history = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': usage_report(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest report --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(optind >= argc ? "ptest report: missing RESULTS_DIR\n" : "ptest report: one RESULTS_DIR, please\n",
              stderr);
        fputs("(ptest report --help for usage)\n", stderr);
        return RUN_EXIT_USAGE;
    }
    o.dir = argv[optind];
    return report_run(&o);
}
