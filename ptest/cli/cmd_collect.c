/* cmd_collect.c - `ptest collect`: the collector of a distributed run. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "collect.h"
#include "collect_server.h"
#include "evloop.h"
#include "plan.h"
#include "run.h"
#include "units.h"

static void usage_collect(FILE *f)
{
    fprintf(
        f,
        "usage: ptest collect --listen ADDR:PORT --workers N --out DIR [--timeout DUR] [--quiet]\n"
        "\n"
        "Collects a distributed run: N workers (`ptest run PLAN --share I/N --report-to\n"
        "http://HOST:PORT`) send every second of their run and, at the end, their results.\n"
        "The collector merges them live (GET /metrics, GET /status, one progress line a\n"
        "second on stderr) and, once every worker has sent its final results or --timeout\n"
        "has passed since the start, exactly (histograms add) into DIR, in the layout of\n"
        "`ptest merge` (results.json, interval logs, junit.xml, scorecard.html, summary.txt).\n"
        "A worker that sent only live seconds is merged with what it sent and marked\n"
        "partial; one that sent nothing is missing; both fail the gate. Then it serves the\n"
        "results (GET /results/, GET /results/NAME) until SIGTERM or SIGINT.\n"
        "\n"
        "  --listen ADDR:PORT   numeric address to listen on (:PORT for every IPv4 address)\n"
        "  --workers N          number of workers (1 to %d)\n"
        "  --out DIR            merged results; the workers' uploads go to DIR/.workers/\n"
        "  --timeout DUR        merge what arrived DUR after the start (e.g. 10m; default:\n"
        "                       wait for every worker)\n"
        "  -q, --quiet          no progress line and no summary\n"
        "  -h, --help           this help\n"
        "\n"
        "endpoints: GET /healthz, /status, /metrics, /results/, /results/NAME; POST /finish\n(merge what arrived now: the workers that never reported are gone);\n"
        "workers: POST /v1/workers/I/interval, PUT /v1/workers/I/final/NAME,\n"
        "POST /v1/workers/I/final (docs/ptest.md)\n"
        "\n"
        "exit codes: 0 stopped by a signal after the results were written (whatever the\n"
        "gate says: GET /status has its exit_code), 2 usage error or cannot listen,\n"
        "5 runtime failure: cannot write the results, event loop, out of memory\n",
        PLAN_MAX_SHARES);
}

/* Signal handlers reach the loop only through globals. */
static evloop *volatile collect_sig_loop;
static volatile sig_atomic_t collect_sig_count;

static void on_signal(int signo)
{
    (void)signo;
    collect_sig_count++;
    evloop *l = collect_sig_loop;
    if (l)
        evloop_wake(l);
}

typedef struct collector {
    collect *c;
    evloop *loop;
    evloop_timer tick, finish;
    mono_ns start;
    uint64_t timeout_ns;
    bool quiet, failed;
    char err[1024];
} collector;

static void line(collector *k)
{
    if (k->quiet)
        return;
    char s[256];
    collect_progress(k->c, evloop_now(k->loop) - k->start, clock_wall_now() / CLOCK_NS_PER_MS, s, sizeof(s));
    fprintf(stderr, "%s\n", s);
    fflush(stderr);
}

static void finish(collector *k, bool timed_out)
{
    if (collect_done(k->c))
        return;
    int rc = collect_finish(k->c, timed_out, k->quiet, k->err, sizeof(k->err));
    if ((rc == RUN_EXIT_USAGE || rc == RUN_EXIT_RUNTIME) && k->err[0]) {
        fprintf(stderr, "ptest collect: %s\n", k->err);
        k->failed = true;
    }
    if (!k->quiet) {
        fflush(stdout);
        line(k);
        fprintf(stderr, "ptest collect: results in %s/ (GET /results/); %s\n", collect_out_dir(k->c),
                timed_out                        ? "timed out"
                : collect_all_final(k->c)        ? "every worker reported"
                : collect_finish_requested(k->c) ? "finish requested (POST /finish)"
                                                 : "stopped by a signal");
    }
}

static void on_finish(evloop *loop, evloop_timer *t)
{
    (void)loop;
    finish(t->data, false);
}

static void on_tick(evloop *loop, evloop_timer *t)
{
    collector *k = t->data;
    mono_ns now = evloop_now(loop);
    if (!collect_done(k->c)) {
        line(k);
        if (k->timeout_ns && now - k->start >= k->timeout_ns)
            finish(k, true);
    }
    /* On whole seconds since the start, so that the line's clock ticks evenly. */
    uint64_t next = (now - k->start) / CLOCK_NS_PER_SEC + 1;
    evloop_timer_start(loop, t, k->start + next * CLOCK_NS_PER_SEC);
}

static void on_upload(void *arg)
{
    collector *k = arg;
    /* After the answer is queued: the merge runs in the next iteration. */
    if (!collect_done(k->c) && (collect_all_final(k->c) || collect_finish_requested(k->c)) &&
        !evloop_timer_pending(&k->finish))
        evloop_timer_start(k->loop, &k->finish, evloop_now(k->loop));
}

static void on_wake(evloop *loop, void *arg)
{
    collector *k = arg;
    if (collect_sig_count > 0) {
        /* Stopping before the end still leaves the results of what arrived behind. */
        finish(k, false);
        evloop_break(loop);
    }
}

enum { OPT_LISTEN = 256, OPT_WORKERS, OPT_OUT, OPT_TIMEOUT };

int cmd_collect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"out", required_argument, NULL, OPT_OUT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *out = NULL;
    uint64_t workers = 0, timeout = 0;
    bool quiet = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_LISTEN: listen = optarg; break;
        case OPT_WORKERS:
            if (units_parse_u64(optarg, &workers) != 0 || workers == 0 || workers > PLAN_MAX_SHARES)
                return cmd_bad_usage("collect", "--workers: expected a number from 1 to 10000, got \"%s\"", optarg);
            break;
        case OPT_OUT: out = optarg; break;
        case OPT_TIMEOUT:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &timeout) != 0 || timeout == 0)
                return cmd_bad_usage("collect", "--timeout: expected a duration such as 90s or 10m, got \"%s\"",
                                     optarg);
            break;
        case 'q': quiet = true; break;
        case 'h': usage_collect(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest collect --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cmd_bad_usage("collect", "unexpected argument \"%s\"", argv[optind]);
    if (!listen || !workers || !out)
        return cmd_bad_usage("collect", "--listen, --workers and --out are required");

    int ret = RUN_EXIT_USAGE;
    collector k;
    memset(&k, 0, sizeof(k));
    k.quiet = quiet;
    k.timeout_ns = timeout;
    evloop_timer_init(&k.tick, on_tick, &k);
    evloop_timer_init(&k.finish, on_finish, &k);
    collect_server *srv = NULL;
    struct sigaction sa, old_int, old_term;
    bool sig = false;
    if (collect_create(&k.c, (uint32_t)workers, out, k.err, sizeof(k.err)) != 0) {
        fprintf(stderr, "ptest collect: %s\n", k.err);
        return RUN_EXIT_USAGE;
    }
    if (!(k.loop = evloop_create())) {
        fprintf(stderr, "ptest collect: cannot create an event loop\n");
        ret = RUN_EXIT_RUNTIME;
        goto out;
    }
    if (collect_server_create(&srv, k.loop, listen, k.c, on_upload, &k, k.err, sizeof(k.err)) != 0) {
        fprintf(stderr, "ptest collect: %s\n", k.err);
        goto out;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    collect_sig_count = 0;
    collect_sig_loop = k.loop;
    evloop_set_wake(k.loop, on_wake, &k);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sig = true;
    k.start = evloop_now_update(k.loop);
    evloop_timer_start(k.loop, &k.tick, k.start + CLOCK_NS_PER_SEC);
    if (!quiet)
        fprintf(stderr, "ptest collect: listening on %s for %u workers\n", listen, (unsigned)workers);
    if (evloop_run(k.loop) != 0) {
        fprintf(stderr, "ptest collect: event loop failed\n");
        ret = RUN_EXIT_RUNTIME;
    } else {
        ret = k.failed ? RUN_EXIT_RUNTIME : RUN_EXIT_OK;
    }
out:
    if (sig) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        collect_sig_loop = NULL;
    }
    if (k.loop) {
        evloop_timer_stop(k.loop, &k.tick);
        evloop_timer_stop(k.loop, &k.finish);
    }
    collect_server_destroy(srv);
    evloop_destroy(k.loop);
    collect_destroy(k.c);
    return ret;
}
