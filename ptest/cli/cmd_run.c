/* cmd_run.c - `ptest run`: options, plan loading, and the run itself. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "jmx.h"
#include "plan.h"
#include "run.h"
#include "threshold.h"
#include "units.h"
#include "vars.h"

#define DEFAULT_CONNECTIONS 10
#define DEFAULT_DURATION (10 * CLOCK_NS_PER_SEC)

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: ptest run URL [-c CONNECTIONS] [-t THREADS] [-d DURATION] [-R RATE]\n"
            "                     [--label NAME] [--out DIR] [--jtl FILE] [--quiet]\n"
            "                     [--no-keep-alive] [--max-requests-per-connection N]\n"
            "                     [--connection-lifetime D]\n"
            "                     [--server-metrics[=URL]] [--server-config[=URL]]\n"
            "                     [--cacert FILE] [--insecure] [--cert FILE [--key FILE]]\n"
            "                     [--resolve HOST:PORT:ADDR[,ADDR...]]... [--dns-ttl D]\n"
            "                     [--metrics-listen ADDR]\n"
            "       ptest run PLAN.yaml [--target URL] [-d DURATION] [-t THREADS]\n"
            "                     [--share INDEX/N [--report-to URL]] [--out DIR] [--jtl FILE]\n"
            "                     [--metrics-listen ADDR] [--quiet]\n"
            "                     [-e name=value]...\n"
            "       ptest run PLAN.jmx [-J name=value]... [--strict] [PLAN.yaml options]\n"
            "\n"
            "With a URL: without -R a closed model (each connection sends its next request\n"
            "when the previous answer arrives); with -R an open model at that constant\n"
            "arrival rate, latency measured from each request's intended send time.\n"
            "\n"
            "  -c, --connections N  URL runs: connections (closed: users; open: at most N\n"
            "                       connections) (default %d)\n"
            "  -t, --threads N      worker threads, one event loop each (default: CPUs, max 4)\n"
            "  -d, --duration D     run time, e.g. 30s, 2m (default 10s for URL runs); for a\n"
            "                       plan it replaces every scenario's own duration\n"
            "  -R, --rate R         URL runs: open model at R requests/s (e.g. 1000, 50/ms)\n"
            "      --label NAME     URL runs: label of the request (default: the path)\n"
            "      --target URL     plan runs: target instead of the plan's\n"
            "      --out DIR        results directory (default results/): results.json,\n"
            "                       <label>.hlog per label, total.hlog, and the analysis:\n"
            "                       junit.xml, scorecard.html + .css, summary.txt\n"
            "      --jtl FILE       also write JMeter CSV results (17 standard columns)\n"
            "      --seed N         seed the request mix and think times (reproducible)\n"
            "      --timer-slack D  let arrivals and think times run up to D late (at most\n"
            "                       10ms, e.g. 100us) so that those due close together share\n"
            "                       one wake-up: less CPU per request at high open-model\n"
            "                       rates; latency still counts from the intended time, so\n"
            "                       it includes up to D; replaces settings.timer_slack\n"
            "                       (default 0: each its own wake-up)\n"
            "      --server-metrics[=URL]  also read the target's Prometheus metrics as the run\n"
            "                       starts, once a second and after it, for the server-cost\n"
            "                       section (process_cpu_seconds_total and\n"
            "                       process_resident_memory_bytes); URL is a path on the\n"
            "                       target or an http:// URL (default /metrics); replaces\n"
            "                       the plan's server.metrics\n"
            "      --server-config[=URL]   also read msdemo's effective configuration once, for\n"
            "                       expected vs measured (default /config); replaces the\n"
            "                       plan's server.config. Without these two flags or a plan\n"
            "                       `server:`, ptest sends the target no request but the plan's\n",
            DEFAULT_CONNECTIONS);
    /* In parts: ISO C guarantees string literals of 4095 bytes only. */
    fputs("      --cacert FILE    https: trust the CA certificates in FILE (PEM) instead of\n"
          "                       the system store; replaces the plan's tls.cacert\n"
          "  -k, --insecure       https: no certificate or host name verification\n"
          "      --cert FILE      https: client certificate (PEM, chain allowed) for servers\n"
          "                       that require one (mutual TLS); replaces tls.cert\n"
          "      --key FILE       https: the client certificate's private key (PEM,\n"
          "                       unencrypted; default: in the --cert file); replaces tls.key\n"
          "      --resolve HOST:PORT:ADDR[,ADDR...]  connect to these addresses for HOST:PORT\n"
          "                       (as curl's --resolve; Host, SNI and certificate checks\n"
          "                       keep HOST); no lookup, no renewal; adds to the plan's\n"
          "                       dns.resolve (repeatable)\n"
          "      --dns-ttl D      look the target's name up again every D during the run and\n"
          "                       move connections to the new addresses (default 30s;\n"
          "                       0: once, at start); replaces the plan's dns.ttl\n"
          "      --no-keep-alive  every request on a connection of its own (sent with\n"
          "                       `Connection: close`); replaces every scenario's keep_alive\n"
          "      --max-requests-per-connection N  close a connection after N responses (the\n"
          "                       Nth request says `Connection: close`) and open a new one;\n"
          "                       replaces max_requests_per_connection\n"
          "      --connection-lifetime D  close a connection older than D after its current\n"
          "                       response (never under a request) and open a new one, e.g.\n"
          "                       10s; replaces connection_lifetime. These three spread the\n"
          "                       load over the replicas behind a per-connection balancer\n"
          "                       (kube-proxy); the new connects are inside the latency\n"
          "  -e, --var name=value plan runs: value of the constant `name` of the plan's\n"
          "                       variables: (wins over PTEST_VAR_name in the environment,\n"
          "                       which wins over the plan; repeatable)\n"
          "  -J name=value        JMeter plans: property for ${__P(name,default)}\n"
          "      --strict         JMeter plans: unsupported elements are errors\n"
          "      --share I/N      run share I (0-based) of N of the load, for N workers:\n"
          "                       closed users split, open rates divided by N, ramp-up\n"
          "                       and arrivals interleaved so the N shares add up to the\n"
          "                       single run; results.json records the share\n"
          "      --report-to URL  with --share: send every second and the final results\n"
          "                       to `ptest collect` at URL (http://HOST:PORT); a collector\n"
          "                       that is down never stops the run (retried with backoff)\n"
          "      --report-timeout D  how long the final upload may retry (default 30s)\n"
          "      --metrics-listen ADDR  serve live Prometheus metrics on GET /metrics at ADDR\n"
          "                       (127.0.0.1:9464, :9464) while the run goes\n"
          "  -q, --quiet          no progress line and no summary\n"
          "  -h, --help           this help\n"
          "\n"
          "exit codes: 0 done (gate passed), 1 gate failed, 2 usage or plan error,\n"
          "            3 interrupted or target unreachable, 4 --report-to: the final results\n"
          "            did not reach the collector in time (local results written anyway),\n"
          "            5 runtime failure: the output directory, results.json, an interval\n"
          "            log, the JTL or a report could not be written, the event loop failed,\n"
          "            out of memory\n",
          f);
}

static bool is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static bool is_jmx(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcasecmp(s + n - 4, ".jmx") == 0;
}

static void warn_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

enum {
    OPT_LABEL = 256,
    OPT_TARGET,
    OPT_OUT,
    OPT_JTL,
    OPT_SEED,
    OPT_SHARE,
    OPT_REPORT_TO,
    OPT_REPORT_TIMEOUT,
    OPT_SERVER_METRICS,
    OPT_SERVER_CONFIG,
    OPT_TIMER_SLACK,
    OPT_CACERT,
    OPT_CERT,
    OPT_KEY,
    OPT_RESOLVE,
    OPT_DNS_TTL,
    OPT_NO_KEEP_ALIVE,
    OPT_MAX_REQUESTS,
    OPT_LIFETIME,
    OPT_METRICS_LISTEN
};

/* "INDEX/N" with 0 <= INDEX < N <= PLAN_MAX_SHARES. Returns 0 or -1. */
static int parse_share(const char *s, uint32_t *index, uint32_t *count)
{
    const char *slash = strchr(s, '/');
    uint64_t i, n;
    char head[32];
    size_t hl = slash ? (size_t)(slash - s) : 0;

    if (!slash || hl == 0 || hl >= sizeof(head))
        return -1;
    memcpy(head, s, hl);
    head[hl] = '\0';
    if (units_parse_u64(head, &i) != 0 || units_parse_u64(slash + 1, &n) != 0 || n == 0 || n > PLAN_MAX_SHARES ||
        i >= n)
        return -1;
    *index = (uint32_t)i;
    *count = (uint32_t)n;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"connections", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'R'},
        {"label", required_argument, NULL, OPT_LABEL},
        {"target", required_argument, NULL, OPT_TARGET},
        {"out", required_argument, NULL, OPT_OUT},
        {"jtl", required_argument, NULL, OPT_JTL},
        {"seed", required_argument, NULL, OPT_SEED},
        {"timer-slack", required_argument, NULL, OPT_TIMER_SLACK},
        {"strict", no_argument, NULL, 'S'},
        {"share", required_argument, NULL, OPT_SHARE},
        {"report-to", required_argument, NULL, OPT_REPORT_TO},
        {"report-timeout", required_argument, NULL, OPT_REPORT_TIMEOUT},
        {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
        {"server-metrics", optional_argument, NULL, OPT_SERVER_METRICS},
        {"server-config", optional_argument, NULL, OPT_SERVER_CONFIG},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"insecure", no_argument, NULL, 'k'},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {"resolve", required_argument, NULL, OPT_RESOLVE},
        {"dns-ttl", required_argument, NULL, OPT_DNS_TTL},
        {"no-keep-alive", no_argument, NULL, OPT_NO_KEEP_ALIVE},
        {"max-requests-per-connection", required_argument, NULL, OPT_MAX_REQUESTS},
        {"connection-lifetime", required_argument, NULL, OPT_LIFETIME},
        {"var", required_argument, NULL, 'e'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    run_opts ro;
    memset(&ro, 0, sizeof(ro));
    uint64_t conns = DEFAULT_CONNECTIONS, duration = 0, threads = 0, seed = 0, slack = 0;
    bool have_slack = false;
    uint32_t share_index = 0, share_count = 0;
    double rate = 0;
    const char *label = NULL, *target = NULL, *server_metrics = NULL, *server_config = NULL;
    bool have_c = false, have_r = false, strict = false, insecure = false;
    const char *tls_file[PLAN_TLS_N_FILES] = {NULL, NULL, NULL};
    const char *resolves[PLAN_MAX_RESOLVE];
    size_t n_resolves = 0;
    uint64_t dns_ttl = 0;
    bool have_dns_ttl = false;
    plan_conn conn = {false, 0, 0};
    unsigned conn_set = 0;
    uint64_t u64;
    jmx_prop props[64];
    size_t n_props = 0;
    const char *vars[PLAN_MAX_VARS];
    size_t n_vars = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:t:d:R:J:e:kqh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return cmd_bad_usage("run", "-e: expected name=value, got \"%s\"", optarg);
            if (n_vars == PLAN_MAX_VARS)
                return cmd_bad_usage("run", "-e: at most %d", PLAN_MAX_VARS);
            vars[n_vars++] = optarg;
            break;
        case 'c':
            if (units_parse_u64(optarg, &conns) != 0 || conns == 0 || conns > 1000000)
                return cmd_bad_usage("run", "-c: expected a number of connections from 1 to 1000000, got \"%s\"",
                                     optarg);
            have_c = true;
            break;
        case 't':
            if (units_parse_u64(optarg, &threads) != 0 || threads == 0 || threads > 256)
                return cmd_bad_usage("run", "-t: expected a number of threads from 1 to 256, got \"%s\"", optarg);
            break;
        case 'd':
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &duration) != 0 || duration == 0 ||
                duration > PLAN_MAX_DURATION_NS)
                return cmd_bad_usage("run", "-d: expected a duration such as 10s or 2m, got \"%s\"", optarg);
            break;
        case 'R':
            if (units_parse_rate(optarg, &rate) != 0)
                return cmd_bad_usage("run", "-R: expected a rate such as 1000 or 100/s, got \"%s\"", optarg);
            have_r = true;
            break;
        case OPT_LABEL: label = optarg; break;
        case OPT_TARGET: target = optarg; break;
        case OPT_OUT: ro.out_dir = optarg; break;
        case OPT_JTL: ro.jtl_path = optarg; break;
        case OPT_SEED:
            if (units_parse_u64(optarg, &seed) != 0)
                return cmd_bad_usage("run", "--seed: expected a number, got \"%s\"", optarg);
            break;
        case OPT_TIMER_SLACK:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &slack) != 0 || slack > PLAN_MAX_TIMER_SLACK_NS)
                return cmd_bad_usage(
                    "run", "--timer-slack: expected a duration from 0 to 10ms such as 100us, got \"%s\"", optarg);
            have_slack = true;
            break;
        case OPT_SHARE:
            if (parse_share(optarg, &share_index, &share_count) != 0)
                return cmd_bad_usage("run", "--share: expected INDEX/N with 0 <= INDEX < N <= %d, got \"%s\"",
                                     PLAN_MAX_SHARES, optarg);
            break;
        case OPT_REPORT_TO: {
            plan_url u;
            char uerr[256];
            if (plan_url_parse(&u, optarg, uerr, sizeof(uerr)) != 0)
                return cmd_bad_usage("run", "--report-to: %s", uerr);
            bool tls = u.tls;
            plan_url_fini(&u);
            if (tls)
                return cmd_bad_usage("run", "%s", "--report-to: the collector speaks plain http (http://HOST:PORT)");
            ro.report_to = optarg;
            break;
        }
        case OPT_METRICS_LISTEN: ro.metrics_listen = optarg; break;
        case OPT_REPORT_TIMEOUT:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &ro.report_timeout_ns) != 0 || ro.report_timeout_ns == 0)
                return cmd_bad_usage("run", "--report-timeout: expected a duration such as 30s, got \"%s\"", optarg);
            break;
        case OPT_SERVER_METRICS:
        case OPT_SERVER_CONFIG: {
            const char *v = optarg ? optarg : ch == OPT_SERVER_METRICS ? "/metrics" : "/config";
            char serr[512];
            if (plan_server_check(v, serr, sizeof(serr)) != 0)
                return cmd_bad_usage("run", "--server-%s: %s", ch == OPT_SERVER_METRICS ? "metrics" : "config", serr);
            *(ch == OPT_SERVER_METRICS ? &server_metrics : &server_config) = v;
            break;
        }
        case 'J': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return cmd_bad_usage("run", "-J: expected name=value, got \"%s\"", optarg);
            if (n_props == sizeof props / sizeof props[0])
                return cmd_bad_usage("run", "-J: at most %zu properties", sizeof props / sizeof props[0]);
            *eq = '\0'; /* optarg lives in argv for the whole run */
            props[n_props].name = optarg;
            props[n_props++].value = eq + 1;
            break;
        }
        case 'S': strict = true; break;
        case 'k': insecure = true; break;
        case OPT_CACERT:
        case OPT_CERT:
        case OPT_KEY:
            if (!*optarg)
                return cmd_bad_usage("run", "--%s: expected a file name",
                                     ch == OPT_CACERT ? "cacert"
                                     : ch == OPT_CERT ? "cert"
                                                      : "key");
            tls_file[ch == OPT_CACERT ? PLAN_TLS_CACERT : ch == OPT_CERT ? PLAN_TLS_CERT : PLAN_TLS_KEY] = optarg;
            break;
        case OPT_RESOLVE: {
            plan scratch;
            char rerr[256];
            memset(&scratch, 0, sizeof(scratch));
            int bad = plan_add_resolve(&scratch, optarg, rerr, sizeof(rerr)); /* checked now, applied later */
            plan_fini(&scratch);
            if (bad)
                return cmd_bad_usage("run", "--resolve %s: %s", optarg, rerr);
            if (n_resolves == PLAN_MAX_RESOLVE)
                return cmd_bad_usage("run", "--resolve: at most %d", PLAN_MAX_RESOLVE);
            resolves[n_resolves++] = optarg;
            break;
        }
        case OPT_DNS_TTL:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &dns_ttl) != 0 ||
                (dns_ttl != 0 && dns_ttl < 100 * CLOCK_NS_PER_MS))
                return cmd_bad_usage(
                    "run", "--dns-ttl: expected 0 (resolve once) or a duration of at least 100ms, got \"%s\"", optarg);
            have_dns_ttl = true;
            break;
        case OPT_NO_KEEP_ALIVE:
            conn.no_keep_alive = true;
            conn_set |= PLAN_CONN_KEEP_ALIVE;
            break;
        case OPT_MAX_REQUESTS:
            if (units_parse_u64(optarg, &u64) != 0 || u64 == 0 || u64 > PLAN_MAX_REQUESTS_PER_CONNECTION)
                return cmd_bad_usage(
                    "run", "--max-requests-per-connection: expected a number from 1 to %" PRIu32 ", got \"%s\"",
                    PLAN_MAX_REQUESTS_PER_CONNECTION, optarg);
            conn.max_requests = (uint32_t)u64;
            conn_set |= PLAN_CONN_MAX_REQUESTS;
            break;
        case OPT_LIFETIME:
            if (units_parse_duration(optarg, CLOCK_NS_PER_SEC, &u64) != 0 || u64 == 0 || u64 > PLAN_MAX_DURATION_NS)
                return cmd_bad_usage("run", "--connection-lifetime: expected a duration such as 10s, got \"%s\"",
                                     optarg);
            conn.lifetime_ns = u64;
            conn_set |= PLAN_CONN_LIFETIME;
            break;
        case 'q': ro.quiet = true; break;
        case 'h': usage_run(stdout); return RUN_EXIT_OK;
        default: fputs("(ptest run --help for usage)\n", stderr); return RUN_EXIT_USAGE;
        }
    }
    if (ro.report_to && !share_count)
        return cmd_bad_usage("run", "%s",
                             "--report-to needs --share INDEX/N: the worker's index and the number of "
                             "workers the collector waits for");
    if (conn.no_keep_alive && (conn_set & (PLAN_CONN_MAX_REQUESTS | PLAN_CONN_LIFETIME)))
        return cmd_bad_usage("run", "%s",
                             "--no-keep-alive: every request has a connection of its own, so "
                             "--max-requests-per-connection and --connection-lifetime have no effect");
    if (ro.report_timeout_ns && !ro.report_to)
        return cmd_bad_usage("run", "%s", "--report-timeout applies to --report-to");
    if (optind >= argc)
        return cmd_bad_usage("run", "%s", "missing URL or PLAN.yaml");
    if (optind + 1 < argc)
        return cmd_bad_usage("run", "unexpected argument \"%s\"", argv[optind + 1]);
    const char *what = argv[optind];
    ro.threads = (unsigned)threads;
    ro.seed = seed;

    plan p;
    char err[1024];
    if (is_url(what)) {
        if (target)
            return cmd_bad_usage("run", "%s", "--target applies to plan runs; give the URL itself");
        if (n_vars)
            return cmd_bad_usage("run", "%s", "-e applies to plan runs (the plan's variables:)");
        if (plan_from_url(&p, what, (uint32_t)conns, rate, duration ? duration : DEFAULT_DURATION, label, err,
                          sizeof(err)) != 0) {
            fprintf(stderr, "ptest run: %s\n", err);
            return RUN_EXIT_USAGE;
        }
    } else {
        if (have_c || have_r || label)
            return cmd_bad_usage("run", "%s", "-c, -R and --label apply to URL runs; a plan sets them per scenario");
        if ((n_props || strict) && !is_jmx(what))
            return cmd_bad_usage("run", "%s", "-J and --strict apply to JMeter plans (.jmx)");
        jmx_opts jo = {props, n_props, duration, strict, warn_stderr, NULL};
        if ((is_jmx(what) ? jmx_load_file(&p, what, &jo, err, sizeof(err))
                          : plan_load_file(&p, what, err, sizeof(err))) != 0) {
            fprintf(stderr, "ptest run: %s\n", err);
            return RUN_EXIT_USAGE;
        }
        if (target && plan_set_target(&p, target, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest run: --target: %s\n", err);
            plan_fini(&p);
            return RUN_EXIT_USAGE;
        }
        if (duration)
            plan_set_duration(&p, duration);
        if (plan_vars_from_env(&p, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest run: environment: %s\n", err);
            plan_fini(&p);
            return RUN_EXIT_USAGE;
        }
        for (size_t i = 0; i < n_vars; i++) {
            char name[VARS_MAX_NAME + 1];
            size_t nl = (size_t)(strchr(vars[i], '=') - vars[i]);
            snprintf(name, sizeof name, "%.*s", (int)(nl < sizeof name ? nl : sizeof name - 1), vars[i]);
            if (nl >= sizeof name || plan_set_var(&p, name, vars[i] + nl + 1, err, sizeof(err)) != 0) {
                fprintf(stderr, "ptest run: -e %s: %s\n", vars[i], nl >= sizeof name ? "name too long" : err);
                plan_fini(&p);
                return RUN_EXIT_USAGE;
            }
        }
        /* A typo in a threshold must fail now, not after a long run. */
        for (size_t i = 0; i < p.n_thresholds; i++) {
            threshold_expr te;
            size_t col = 0;
            const plan_threshold *t = &p.thresholds[i];
            if (threshold_parse(t->expr, &te, &col, err, sizeof(err)) != 0) {
                fprintf(stderr, "ptest run: %s:%u:%u: threshold \"%s\", character %zu: %s\n", what, t->line, t->col,
                        t->expr, col + 1, err);
                plan_fini(&p);
                return RUN_EXIT_USAGE;
            }
        }
    }
    if (have_slack)
        p.timer_slack_ns = slack;
    if (have_dns_ttl)
        p.dns.ttl_ns = dns_ttl;
    for (size_t i = 0; i < n_resolves; i++) {
        if (plan_add_resolve(&p, resolves[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest run: --resolve %s: %s\n", resolves[i], err);
            plan_fini(&p);
            return RUN_EXIT_USAGE;
        }
    }
    if ((server_metrics && plan_set_server(&p, false, server_metrics, err, sizeof(err)) != 0) ||
        (server_config && plan_set_server(&p, true, server_config, err, sizeof(err)) != 0)) {
        fprintf(stderr, "ptest run: %s\n", err); /* the values were checked: out of memory */
        plan_fini(&p);
        return RUN_EXIT_USAGE;
    }
    for (int i = 0; i < PLAN_TLS_N_FILES; i++) {
        if (tls_file[i] && plan_set_tls_file(&p, (enum plan_tls_file)i, tls_file[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest run: %s\n", err);
            plan_fini(&p);
            return RUN_EXIT_USAGE;
        }
    }
    /* --cert without --key: the key is in the certificate's file, not a plan's old key. */
    if (tls_file[PLAN_TLS_CERT] && !tls_file[PLAN_TLS_KEY]) {
        free(p.tls.file[PLAN_TLS_KEY]);
        p.tls.file[PLAN_TLS_KEY] = NULL;
    }
    if (p.tls.file[PLAN_TLS_KEY] && !p.tls.file[PLAN_TLS_CERT]) {
        plan_fini(&p);
        return cmd_bad_usage("run", "%s", "--key needs --cert (the client certificate it belongs to)");
    }
    if (insecure)
        p.tls.insecure = true;
    /* A limit given on the command line is for connections that are kept alive: it
     * turns a plan's keep_alive: false back on (with --no-keep-alive it was refused). */
    if (conn_set & (PLAN_CONN_MAX_REQUESTS | PLAN_CONN_LIFETIME))
        conn_set |= PLAN_CONN_KEEP_ALIVE;
    plan_set_conn(&p, &conn, conn_set);
    if (share_count && plan_apply_share(&p, share_index, share_count, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest run: --share: %s\n", err);
        plan_fini(&p);
        return RUN_EXIT_USAGE;
    }
    if (plan_validate(&p, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest run: %s\n", err);
        plan_fini(&p);
        return RUN_EXIT_USAGE;
    }
    int rc = run_plan(&p, &ro);
    plan_fini(&p);
    return rc;
}
