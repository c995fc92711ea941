/* main.c - ptest command line: subcommand dispatch. Each subcommand lives in its own
 * cmd_<name>.c, declared in cmd.h. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "run.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

static void usage_main(FILE *f)
{
    fprintf(f, "usage: ptest <command> [options]\n"
               "\n"
               "ptest is a load generator and performance test tool (closed and open load models,\n"
               "coordinated-omission-free latency, HdrHistogram logs).\n"
               "\n"
               "commands:\n"
               "  run URL|PLAN.yaml    run a load test; the plan may also be a JMeter .jmx (run --help)\n"
               "  import PLAN.jmx      print a JMeter plan as ptest YAML (ptest import --help)\n"
               "  report DIR           analyse stored results again (ptest report --help)\n"
               "  compare BASE CAND    baseline vs candidate per label (ptest compare --help)\n"
               "  merge DIR... --out D combine the results of distributed workers\n"
               "  collect --listen A --workers N --out D\n"
               "                       collect a distributed run live from its workers\n"
               "  capacity PLAN.yaml [--slo EXPR]... [--max RATE] [--precision 5%%]\n"
               "                       the highest rate at which the SLOs hold (capacity --help)\n"

               "\n"
               "options:\n"
               "  -h, --help           this help\n"
               "  -V, --version        print the version\n"
               "\n"
               "exit codes: 0 done (gate passed), 1 gate failed, 2 usage or plan error\n"
               "            (or input results that cannot be read),\n"
               "            3 run aborted (interrupted) or target unreachable,\n"
               "            4 run --report-to: the results never reached the collector,\n"
               "            5 runtime failure: an output (directory, results.json, interval log,\n"
               "              JTL, report) could not be written, the event loop failed, out of memory\n");
}

int main(int argc, char **argv)
{
    /* HDR histograms are ~190 KiB of counts each, most of them never touched. Fixed (not
     * glibc's sliding) mmap threshold: every such array is its own mapping, zero pages
     * cost no RSS and a freed one goes back to the kernel. With the sliding threshold a
     * collector's merge reused heap chunks that calloc must clear: 62 MiB resident instead
     * of 11 MiB for a 3-worker, 8-label, 30 s run (measured; the pod limit is 64 MiB). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (argc < 2) {
        usage_main(stderr);
        return RUN_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return RUN_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("ptest %s\n", PT_VERSION);
        return RUN_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", cmd_run},     {"import", cmd_import},   {"report", cmd_report},     {"compare", cmd_compare},
        {"merge", cmd_merge}, {"collect", cmd_collect}, {"capacity", cmd_capacity},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ptest: unknown command \"%s\"\n\n", cmd);
    usage_main(stderr);
    return RUN_EXIT_USAGE;
}
