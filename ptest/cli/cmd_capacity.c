/* cmd_capacity.c - `ptest capacity`: options and the plan; the search is capacity.h's. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "clock.h"
#include "cmd.h"
#include "plan.h"
#include "run.h"
#include "units.h"

static void usage_capacity(FILE *f)
{
    fputs("usage: ptest capacity PLAN.yaml [--slo EXPR]... [--max RATE] [--start RATE]\n"
          "                      [--precision 5%] [--step-duration D] [--warmup D] [--cooldown D]\n"
          "                      [--max-connections N] [--target URL] [-t THREADS] [--seed N]\n"
          "                      [--out DIR] [--quiet]\n"
          "\n"
          "Finds the highest arrival rate at which the SLOs (the plan's thresholds, or the\n"
          "--slo expressions) still hold: each step is an open-model run of the plan's\n"
          "requests at one rate, a warm-up (not judged) and then the judged part; the rate\n"
          "doubles from the start while the SLOs hold (halves while they fail), then a\n"
          "bisection between the last passing and the first failing rate narrows it to the\n"
          "precision. A step is stopped early when it is clearly lost. A step where the\n"
          "generator itself was the limit (its CPU above 90 %, dropped arrivals, fewer\n"
          "answers than planned or latency lost to its own wait while the service time met\n"
          "the SLOs) ends the search: the result is then \"capacity >= the last passing rate,\n"
          "limited by the generator\", never a server capacity.\n"
          "\n"
          "      --slo EXPR       an SLO in the threshold grammar (\"p95 < 250ms\",\n"
          "                       \"error_rate < 1%\"), for every label and the total;\n"
          "                       repeatable; replaces the plan's thresholds as SLOs\n"
          "      --max RATE       highest rate to try (default 1000000/s)\n"
          "      --start RATE     first rate (default: the plan's planned open rate, else 10/s)\n"
          "      --precision P    stop when first failing - last passing <= P x last passing\n"
          "                       (default 5%; \"2%\" or 0.02)\n"
          "      --step-duration D  judged part of each step (default 10s; longer when that\n"
          "                       holds fewer than 100 planned arrivals; whole seconds)\n"
          "      --warmup D       warm-up of each step, not judged (default 2s; whole seconds)\n"
          "      --cooldown D     pause after a step that did not pass (default 0), for a server\n"
          "                       that works off the requests of a lost step\n"
          "      --max-connections N  connections of every scenario (default: each open\n"
          "                       scenario's max_connections, 1000 for closed ones)\n"
          "      --target URL     target instead of the plan's\n"
          "  -t, --threads N      worker threads (default: CPUs, max 4)\n"
          "      --seed N         seed of the request mix and of poisson arrivals\n"
          "      --out DIR        output directory (default results/): results.json with a\n"
          "                       \"capacity\" object, summary.txt, junit.xml, scorecard.html,\n"
          "                       and each step's own results in steps/NN-RATE/\n"
          "  -q, --quiet          no step lines and no summary\n"
          "  -h, --help           this help\n"
          "\n"
          "A plan threshold \"capacity > 500/s\" (or >=, <, <=) is a gate: exit 1 when the\n"
          "capacity found is below it (a lower bound limited by the generator counts as\n"
          "its value). Other plan thresholds are the SLOs unless --slo is given.\n"
          "\n"
          "exit codes: 0 done (the gates hold), 1 a capacity gate failed, 2 usage or plan\n"
          "            error (also: no SLO), 3 interrupted or target unreachable,\n"
          "            5 runtime failure (an output could not be written, out of memory)\n",
          f);
}

enum {
    OPT_SLO = 256,
    OPT_MAX,
    OPT_START,
    OPT_PRECISION,
    OPT_STEP,
    OPT_WARMUP,
    OPT_COOLDOWN,
    OPT_MAXCONN,
    OPT_TARGET,
    OPT_SEED,
    OPT_OUT
};

/* "5%", "0.05", "5 %" -> 0.05; in (0, 1]. */
static int parse_precision(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*end == '%') {
        v /= 100;
        end++;
    }
    if (end == s || *end || !(v > 0) || v > 1)
        return -1;
    *out = v;
    return 0;
}

int cmd_capacity(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"slo", required_argument, NULL, OPT_SLO},
        {"max", required_argument, NULL, OPT_MAX},
        {"start", required_argument, NULL, OPT_START},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"step-duration", required_argument, NULL, OPT_STEP},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"cooldown", required_argument, NULL, OPT_COOLDOWN},
        {"max-connections", required_argument, NULL, OPT_MAXCONN},
        {"target", required_argument, NULL, OPT_TARGET},
        {"threads", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"out", required_argument, NULL, OPT_OUT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    capacity_opts co;
    memset(&co, 0, sizeof(co));
    co.warmup_ns = UINT64_MAX;
    const char *slos[CAPACITY_MAX_SLOS];
    const char *target = NULL;
    uint64_t u;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_SLO:
            if (co.n_slo == CAPACITY_MAX_SLOS)
                return cmd_bad_usage("capacity", "--slo: at most %d", CAPACITY_MAX_SLOS);
            slos[co.n_slo++] = optarg;
            break;
        case OPT_MAX:
        case OPT_START: {
            double r;
            if (units_parse_rate(optarg, &r) != 0 || !(r >= CAPACITY_MIN_RATE) || r > 1e7)
                return cmd_bad_usage("capacity",
                                     "--%s: expected a rate from 1/s to 10000000/s such as 500/s, got \"%s\"",
                                     ch == OPT_MAX ? "max" : "start", optarg);
            *(ch == OPT_MAX ? &co.max : &co.start) = r;
            break;
        }
        case OPT_PRECISION:
            if (parse_precision(optarg, &co.precision) != 0)
                return cmd_bad_usage("capacity",
                                     "--precision: expected a percentage such as 5%% (above 0, at most "
                                     "100%%), got \"%s\"",
                                     optarg);
            break;
        case OPT_STEP:
        case OPT_WARMUP:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &u) != 0 || u > 3600 * CLOCK_NS_PER_SEC ||
                (ch == OPT_STEP && u == 0))
                return cmd_bad_usage("capacity", "--%s: expected a duration such as 10s (%s1h), got \"%s\"",
                                     ch == OPT_STEP ? "step-duration" : "warmup",
                                     ch == OPT_STEP ? "above 0, at most " : "at most ", optarg);
            *(ch == OPT_STEP ? &co.step_ns : &co.warmup_ns) = u;
            break;
        case OPT_COOLDOWN:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &co.cooldown_ns) != 0 ||
                co.cooldown_ns > 3600 * CLOCK_NS_PER_SEC)
                return cmd_bad_usage("capacity", "--cooldown: expected a duration such as 5s (at most 1h), got \"%s\"",
                                     optarg);
            break;
        case OPT_MAXCONN:
            if (units_parse_u64(optarg, &u) != 0 || u == 0 || u > 1000000)
                return cmd_bad_usage("capacity", "--max-connections: expected a number from 1 to 1000000, got \"%s\"",
                                     optarg);
            co.max_conns = (uint32_t)u;
            break;
        case OPT_TARGET: target = optarg; break;
        case 't':
            if (units_parse_u64(optarg, &u) != 0 || u == 0 || u > 256)
                return cmd_bad_usage("capacity", "-t: expected a number of threads from 1 to 256, got \"%s\"", optarg);
            co.threads = (unsigned)u;
            break;
        case OPT_SEED:
            if (units_parse_u64(optarg, &co.seed) != 0)
                return cmd_bad_usage("capacity", "--seed: expected a number, got \"%s\"", optarg);
            break;
        case OPT_OUT: co.out_dir = optarg; break;
        case 'q': co.quiet = true; break;
        case 'h': usage_capacity(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest capacity --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cmd_bad_usage("capacity", "%s", "missing PLAN.yaml");
    if (optind + 1 < argc)
        return cmd_bad_usage("capacity", "unexpected argument \"%s\"", argv[optind + 1]);
    if (co.max > 0 && co.start > co.max)
        return cmd_bad_usage("capacity", "%s", "--start is above --max");
    co.slo = slos;
    const char *what = argv[optind];
    plan p;
    char err[1024];
    if (plan_load_file(&p, what, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest capacity: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    if (target && plan_set_target(&p, target, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest capacity: --target: %s\n", err);
        plan_fini(&p);
        return RUN_EXIT_USAGE;
    }
    if (plan_validate(&p, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest capacity: %s\n", err);
        plan_fini(&p);
        return RUN_EXIT_USAGE;
    }
    int rc = capacity_run(&p, &co);
    plan_fini(&p);
    return rc;
}
