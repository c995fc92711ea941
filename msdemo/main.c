/* main.c - msdemo command line, signals and exit codes.
 *
 * Exit codes: 0 clean stop (also after a drain), 1 runtime failure (cannot listen, ...),
 * 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "server.h"
#include "units.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: msdemo [--config FILE] [--listen HOST:PORT] [--workers N] [--check]\n"
               "\n"
               "The MS-DEMO microservice: GET / answers \"Hello World!\", GET /A../F answer their\n"
               "bodies after a delay drawn from a fitted mean/stddev series; /healthz, /readyz,\n"
               "/config (effective config as JSON) and /metrics (Prometheus) for operations.\n"
               "\n"
               "  -c, --config FILE     YAML config (default: $MSDEMO_CONFIG, else built-in defaults)\n"
               "  -l, --listen ADDR     HOST:PORT, [IPv6]:PORT or :PORT (overrides the file)\n"
               "  -w, --workers N       worker threads, 0 = one per CPU (overrides the file)\n"
               "      --check           load and validate the config, print it as JSON, exit\n"
               "  -v, --version         print the version\n"
               "  -h, --help            this help\n"
               "\n"
               "SIGTERM, SIGINT or SIGHUP drains: /readyz turns 503, listening stops after\n"
               "drain_grace, in-flight requests complete, exit 0 within drain_timeout. A second\n"
               "signal exits at once. (SIGHUP drains rather than reloads: the config is immutable\n"
               "for a process's life; under nohup SIGHUP stays ignored.)\n"
               "Exit codes: 0 stopped, 1 runtime error, 2 usage or config error.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, 'l'},
        {"workers", required_argument, NULL, 'w'},
        {"check", no_argument, NULL, 'C'},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = getenv("MSDEMO_CONFIG");
    const char *listen = NULL, *workers = NULL;
    int check = 0, opt;

    log_setup("msdemo", LOG_INFO);
    while ((opt = getopt_long(argc, argv, "c:l:w:vh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'l': listen = optarg; break;
        case 'w': workers = optarg; break;
        case 'C': check = 1; break;
        case 'v': printf("msdemo %s\n", PT_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "msdemo: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    config cfg;
    char err[1024];
    if (config_init(&cfg) < 0) {
        fprintf(stderr, "msdemo: out of memory\n");
        return 1;
    }
    if (config_path && *config_path && config_load(&cfg, config_path, err, sizeof err) < 0) {
        fprintf(stderr, "msdemo: %s\n", err);
        config_fini(&cfg);
        return 2;
    }
    if (listen && config_set_listen(&cfg, listen) < 0) {
        fprintf(stderr, "msdemo: --listen: invalid address \"%s\" (want HOST:PORT, [IPv6]:PORT or :PORT)\n", listen);
        config_fini(&cfg);
        return 2;
    }
    if (workers) {
        uint64_t n;
        if (units_parse_u64(workers, &n) < 0 || n > 1024) {
            fprintf(stderr, "msdemo: --workers: want a number from 0 to 1024, got \"%s\"\n", workers);
            config_fini(&cfg);
            return 2;
        }
        cfg.workers = (uint32_t)n;
    }

    /* Signals are taken synchronously by this thread (sigwait); workers block them all. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    server *srv = server_create(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "msdemo: %s\n", err);
        config_fini(&cfg);
        return 1;
    }
    if (check) {
        /* The effective config, fitted series included, without serving. */
        size_t len;
        const char *json = server_config_json(srv, &len);
        fwrite(json, 1, len, stdout);
        server_destroy(srv);
        config_fini(&cfg);
        return 0;
    }
    if (server_start(srv, err, sizeof err) < 0) {
        fprintf(stderr, "msdemo: %s\n", err);
        server_drain(srv);
        server_wait(srv, clock_mono_now() + cfg.drain_timeout_ns);
        server_destroy(srv);
        config_fini(&cfg);
        return 1;
    }
    log_info("listening",
             "\"listen\":\"%s\",\"port\":%u,\"workers\":%zu,\"endpoints\":%zu,\"config\":\"%s\",\"event_loop\":\"%s\"",
             cfg.listen, (unsigned)server_port(srv), server_workers(srv), cfg.n_endpoints,
             cfg.source ? cfg.source : "built-in", server_event_loop(srv));
    if (*evloop_create_error()) /* PT_EVLOOP=auto could not have io_uring: say why */
        log_warn("event loop on epoll", "\"reason\":\"%s\"", evloop_create_error());

    int sig = 0;
    do {
        if (sigwait(&set, &sig) != 0)
            sig = SIGTERM;
    } while (sig == SIGPIPE);
    log_info("signal received", "\"signal\":\"%s\"", sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM");

    /* A second SIGTERM/SIGINT/SIGHUP during the drain ends the process at once (SIGHUP only
     * if it was not ignored when we started: nohup's choice is kept). */
    sigdelset(&set, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (signal(SIGHUP, SIG_DFL) == SIG_IGN)
        signal(SIGHUP, SIG_IGN);

    mono_ns deadline = clock_mono_now() + cfg.drain_timeout_ns;
    server_drain(srv);
    size_t left = server_wait(srv, deadline);
    if (left) {
        log_warn("drain timeout: connections still open at exit", "\"connections\":%zu", left);
        return 0; /* the process exits; the abandoned workers go with it */
    }
    log_info("stopped", "\"drained\":true%s", "");
    server_destroy(srv);
    config_fini(&cfg);
    return 0;
}
