/* plan.h - a ptest test plan: target, scenarios (closed or open load model), weighted
 * request mixes with checks, and thresholds (stored for the analysis stage).
 *
 * A plan is built from YAML (plan_load_file), from the ad-hoc command line
 * (plan_from_url, like wrk/wrk2), or from a JMeter .jmx (jmx.h converts it to YAML). It owns all its strings.
 * Read-only once built; safe to share between engine threads. A zeroed plan is valid input
 * to plan_fini; every builder leaves *p zeroed when it fails.
 *
 * The target may be missing after plan_load_* (the caller may supply it with
 * plan_set_target, e.g. from --target); call plan_validate before running a plan.
 */
#ifndef PTEST_PLAN_H
#define PTEST_PLAN_H

#include "dns.h"
#include "feeder.h"
#include "rng.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_MAX_LABEL 64 /* bytes; labels and names are printable ASCII */
#define PLAN_MAX_SCENARIOS 64
#define PLAN_MAX_REQUESTS 1000                                    /* in the whole plan (one histogram set per label) */
#define PLAN_MAX_STAGES 1000                                      /* per scenario */
#define PLAN_MAX_HEADERS 64                                       /* per headers mapping */
#define PLAN_MAX_DURATION_NS (UINT64_C(365) * 86400 * 1000000000) /* any scenario, start delay included */
#define PLAN_MAX_TIMER_SLACK_NS (UINT64_C(10) * 1000000)          /* settings.timer_slack, --timer-slack */
#define PLAN_DEFAULT_MAX_CONNECTIONS 1000
#define PLAN_DEFAULT_DNS_TTL_NS (UINT64_C(30) * 1000000000) /* dns.ttl, --dns-ttl */
#define PLAN_MAX_RESOLVE 16                                 /* dns.resolve entries, --resolve flags */
#define PLAN_MAX_RESOLVE_ADDRS 16                           /* addresses per entry */
#define PLAN_MAX_TARGETS 16     /* targets of scenarios and requests besides the plan's own */
#define PLAN_MAX_VARS 256       /* variables of a plan: constants, data columns, extracted names */
#define PLAN_MAX_VAR_VALUE 8192 /* bytes of a constant (plan `variables:`, -e, PTEST_VAR_) */

typedef struct plan_url {
    char *scheme;    /* "http" or "https" (lower case) */
    char *host;      /* without brackets for IPv6 */
    uint16_t port;   /* 80 (https: 443) when the URL has none */
    char *base_path; /* path prefix from the target URL, "" or "/api" (no trailing '/') */
    char *authority; /* value for the Host header: "host", "host:port", "[::1]:8080";
                                  the port is omitted when it is the scheme's
                                  default (80, https 443) */
    bool tls;        /* https: TLS to the target (ptls.h) */
} plan_url;

typedef struct plan_header {
    char *name;  /* an HTTP token */
    char *value; /* no control bytes except HTAB */
} plan_header;

/* A value taken out of a request's response into a variable of the user (plan `extract:`,
 * extract.h): a JSON Pointer into the body, a POSIX regular expression's group 1 on the
 * body, or a response header. Run on a response that passed its checks; when nothing is
 * found the request counts as failed (kind "extraction") and the variable becomes empty. */
enum plan_extract_kind { PLAN_EXTRACT_JSON, PLAN_EXTRACT_REGEX, PLAN_EXTRACT_HEADER };
typedef struct plan_extract {
    int kind;     /* enum plan_extract_kind */
    char *expr;   /* the pointer, the expression, the header name */
    uint32_t var; /* index in p->vars */
    unsigned line, col;
} plan_extract;

typedef struct plan_request {
    char *label;       /* results are reported per label; defaults to the path */
    uint32_t label_id; /* index of label in plan_labels() order */
    char *method;      /* "GET" by default; a token (known methods upper-cased) */
    char *path;        /* as written: starts with '/', may carry a query; the request
                                  target sent is target.base_path followed by path */
    size_t n_headers;
    plan_header *headers;
    char *body; /* NULL = no body */
    size_t body_len;
    uint32_t weight;    /* >= 1 */
    int expect_status;  /* 0 = any 2xx/3xx counts as success */
    char *expect_body;  /* substring the body must contain, or NULL */
    unsigned line, col; /* where it was defined, for messages (0 if not from YAML) */
    uint32_t target;    /* where it goes: 0 the plan's target, i > 0 p->targets[i - 1]; the
                           request's own `target:`, else its scenario's */
    bool templated;     /* its path, body, a header value of its own or of the plan's refers
                           to a variable (vars.h): rendered per send into the user's buffer;
                           else rendered once and shared */
    size_t n_extract;
    plan_extract *extract; /* in the order written */
} plan_request;

/* A variable of the plan (vars.h `${name}`; its template id is VARS_N_BUILTIN + its index).
 * A constant (`variables:`, overridden by PTEST_VAR_name and -e name=value) has a value;
 * the others are set per user: a data column or an extraction's `as`. */
typedef struct plan_var {
    char *name;
    char *value; /* constant: its value (NUL-terminated, value_len bytes); else NULL */
    size_t value_len;
    unsigned line, col; /* where it was first defined (0: a flag) */
} plan_var;

enum plan_model { PLAN_CLOSED, PLAN_OPEN };

/* How a closed user chooses its next request (YAML `order:`). MIX: weighted random from
 * the scenario's requests (weights). SEQUENCE: every request in order, one pass over the
 * list being one iteration (JMeter thread group semantics); a label may then repeat within
 * the scenario if it names the same method and path. */
enum plan_order { PLAN_ORDER_MIX, PLAN_ORDER_SEQUENCE };

/* How an open scenario's arrivals are spaced (YAML `arrivals:`, schedule.h): constant gaps
 * of 1 / rate (the default), or exponential gaps of mean 1 / rate (a Poisson process). */
enum plan_arrivals { PLAN_ARRIVALS_CONSTANT, PLAN_ARRIVALS_POISSON };
/* How the rate goes from one stage to the next (YAML `ramp:`): steps (the default), or
 * linearly over each stage from the previous stage's rate (the first: start_rate). */
enum plan_ramp { PLAN_RAMP_STEP, PLAN_RAMP_LINEAR };

typedef struct plan_stage {
    double rate;          /* arrivals per second, > 0 */
    uint64_t duration_ns; /* > 0 */
} plan_stage;

typedef struct plan_think {
    enum rng_dist dist;          /* RNG_CONSTANT when only a duration is given */
    uint64_t mean_ns, stddev_ns; /* draws (rng_draw) may be negative: the engine clamps at 0 */
} plan_think;

/* How a scenario uses its connections (both models; YAML keys of the scenario, or the
 * --no-keep-alive, --max-requests-per-connection and --connection-lifetime flags, which set
 * them for every scenario). Zeroed: keep-alive without limits (the default). A connection is
 * only ever closed between a response and the next request, never under one; the connect
 * of its successor is inside the next request's latency (closed: from the iteration's start;
 * open: from the intended time), its TLS handshake reported apart as for any connection. */
typedef struct plan_conn {
    bool no_keep_alive;    /* keep_alive: false: every request says `Connection: close` and
                              goes on a connection of its own */
    uint32_t max_requests; /* max_requests_per_connection: the Nth request on a connection
                              says `Connection: close`, the next one opens a new connection;
                              0 = unlimited */
    uint64_t lifetime_ns;  /* connection_lifetime: a connection this old is closed after the
                              response it is carrying (or, idle, before the next request)
                              and the next request opens a new one; 0 = unlimited */
} plan_conn;

/* Fields of plan_conn for plan_set_conn. */
enum { PLAN_CONN_KEEP_ALIVE = 1, PLAN_CONN_MAX_REQUESTS = 2, PLAN_CONN_LIFETIME = 4 };
#define PLAN_MAX_REQUESTS_PER_CONNECTION UINT32_MAX

/* How users take rows of a data file (plan `data:`, feeder.h). A closed user takes a row
 * at the start of each iteration (order: sequence: one pass over the requests; mix: each
 * request), an open scenario's connection slot one per arrival; the row's columns are
 * variables of the user until its next row.
 *   SEQUENTIAL  the next row of one counter shared by every user and thread, wrapping
 *   RANDOM      a row drawn at random (the thread's rng)
 *   UNIQUE      the next row, each used once in the run: when none is left the user stops
 *               (closed scenarios only; results.json data_exhausted_users counts them) */
enum plan_data_mode { PLAN_DATA_SEQUENTIAL, PLAN_DATA_RANDOM, PLAN_DATA_UNIQUE };

typedef struct plan_data {
    char *file; /* as opened: relative to the plan file's directory */
    int format; /* enum feeder_format */
    enum plan_data_mode mode;
    feeder rows;       /* one read-only copy for every thread */
    uint32_t *col_var; /* [rows.n_cols]: the plan variable (index in p->vars) of each column */
    unsigned line, col;
} plan_data;

typedef struct plan_scenario {
    char *name; /* unique in the plan; default "scenario-N" (1-based) */
    enum plan_model model;
    /* closed */
    uint32_t users;
    uint64_t ramp_up_ns;
    uint64_t hold_for_ns;  /* after ramp-up; 0 only with iterations (bounded by count) */
    uint64_t iterations;   /* per user; 0 = unlimited (time-bound); with SEQUENCE one
                                  iteration is one pass over the requests */
    enum plan_order order; /* PLAN_ORDER_MIX unless `order: sequence` */
    plan_think think;
    /* open */
    size_t n_stages;
    plan_stage *stages; /* a constant `rate:` is one stage of the whole duration */
    uint32_t max_connections;
    enum plan_arrivals arrivals;
    enum plan_ramp ramp;
    double start_rate;            /* ramp: linear: the rate the first stage starts from (0) */
    uint32_t arrival_share_index; /* set by plan_apply_share for poisson arrivals or linear */
    uint32_t arrival_share_count; /* ramps: the schedule takes arrivals index, index + count,
                                     ... of the whole scenario (schedule.h); 0: all */
    /* both */
    uint64_t start_delay_ns; /* scenario starts this long after the run */
    size_t n_requests;
    plan_request *requests;
    uint64_t weight_total;
    uint32_t target; /* the scenario's `target:` (plan_request.target), 0: the plan's */
    plan_conn conn;  /* connection reuse (both models) */
    uint32_t data;   /* its rows: 0 none, i > 0 p->data[i - 1] (its own `data:`, else the plan's) */
    bool cookies;    /* a cookie jar per user (cookie.h); `cookies:`, default: true in closed
                        `order: sequence` scenarios (journeys), false otherwise */
    unsigned line, col;
} plan_scenario;

/* A threshold: a list item of `thresholds: {LABEL: [...]}`, either the expression alone
 * ("p95 < 250ms") or a mapping {threshold: EXPR, abort_on_fail: BOOL, delay_abort_eval: D}
 * (k6's names). With abort_on_fail the run's coordinator judges it once a second on the
 * run so far (a "for" threshold: on the last seconds, threshold.h), from delay_abort_eval
 * after the start on, and stops the run when it fails (abortwatch.h). */
typedef struct plan_threshold {
    char *label;                  /* "*" = every label and the total */
    char *expr;                   /* as written: "p95 < 250ms" (parsed by the analysis stage) */
    bool abort_on_fail;           /* stop the run as soon as it fails */
    uint64_t delay_abort_eval_ns; /* judge it for the abort only after this much of the run */
    unsigned line, col;           /* of the expression */
} plan_threshold;

/* What the target says about itself (scrape.h), read only when asked: `server:` in the
 * plan, or --server-metrics / --server-config. Each is NULL (not read), a path ("/metrics":
 * GET target.base_path + path on the target, query allowed) or an http:// URL of its own
 * (another port, an exporter next to the service). */
typedef struct plan_server {
    char *metrics; /* Prometheus text with process_cpu_seconds_total and
                                  process_resident_memory_bytes */
    char *config;  /* msdemo's /config JSON (expected delays) */
} plan_server;

/* TLS settings for an https:// target (plan `tls:`, or --cacert, --insecure, --cert,
 * --key, which replace the plan's). Ignored for an http:// target. Paths in a plan are
 * relative to the plan file's directory; line/col say where each was written (0: a flag),
 * so that a file that does not load is reported as file:line:col. */
enum plan_tls_file { PLAN_TLS_CACERT, PLAN_TLS_CERT, PLAN_TLS_KEY, PLAN_TLS_N_FILES };
typedef struct plan_tls {
    char *file[PLAN_TLS_N_FILES]; /* PEM files or NULL: CA certificates to trust instead of
                                      the system store; client certificate (chain); its key
                                      (NULL: in the certificate's file) */
    unsigned line[PLAN_TLS_N_FILES], col[PLAN_TLS_N_FILES];
    bool insecure;     /* no certificate or name verification */
    char *server_name; /* SNI and the name verified, instead of target.host */
} plan_tls;

/* Names (plan `dns:`, or --dns-ttl and --resolve, which replace and add to the plan's).
 * The target's name is resolved at start and again every ttl_ns during the run, so that
 * the load follows a Service whose pods change (a headless Service answers one address per
 * pod); 0: once, at start. A resolve entry, like curl's --resolve HOST:PORT:ADDR[,ADDR...],
 * pins the addresses of host:port: no lookup, no renewal (tests, a pod IP, a canary). */
typedef struct plan_resolve {
    char *host; /* lower case, as in the target URL */
    uint16_t port;
    size_t n;
    dns_addr addr[PLAN_MAX_RESOLVE_ADDRS];
} plan_resolve;
typedef struct plan_dns {
    uint64_t ttl_ns; /* default PLAN_DEFAULT_DNS_TTL_NS */
    size_t n_resolve;
    plan_resolve resolve[PLAN_MAX_RESOLVE];
} plan_dns;

typedef struct plan {
    char *name;         /* default: the file name without directory and extension */
    char *source;       /* file it came from, or "command line" */
    plan_url target;    /* target.host == NULL: no target yet */
    char *target_str;   /* as written; NULL when no target */
    size_t n_targets;   /* the other targets that scenarios and requests name ... */
    plan_url *targets;  /* ... [n_targets], each once (by its text), in order of first use */
    char **target_strs; /* [n_targets] as written */
    size_t n_scenarios; /* >= 1 */
    plan_scenario *scenarios;
    size_t n_thresholds;
    plan_threshold *thresholds;  /* in document order */
    uint64_t connect_timeout_ns; /* default 5 s */
    uint64_t request_timeout_ns; /* default 30 s */
    uint64_t apdex_t_ns;         /* default 500 ms */
    uint64_t timer_slack_ns;     /* engine timers (open-model arrivals, think times) may run
                                      up to this late so that those due close together share
                                      one wake-up; default 0 (each its own wake-up). Latency
                                      still counts from the intended time, so the slack shows
                                      in it (at most this much). <= PLAN_MAX_TIMER_SLACK_NS */
    size_t n_headers;            /* sent with every request of the plan (see below) */
    plan_header *headers;
    size_t n_vars; /* constants first, then the names data and extractions define */
    plan_var *vars;
    size_t n_data; /* data files: the plan's `data:` (if any) first, then the scenarios' */
    plan_data *data;
    plan_server server; /* both NULL unless asked */
    plan_tls tls;       /* used when target.tls */
    plan_dns dns;
    uint32_t share_index; /* plan_apply_share: this worker's share (0-based) ... */
    uint32_t share_count; /* ... of share_count; 0 = the whole load, not a share */
    plan_scenario *whole; /* a share: the scenarios as they were before the cut
                                      ([n_scenarios]; stages owned, every other pointer
                                      borrowed from scenarios), for results.json
                                      "whole_plan"; NULL when not a share */
} plan;

/* Headers on the wire: the engine sends Host (target.authority) unless a header named Host
 * is given, then the plan's headers except those whose name (case-insensitively) the request
 * also has, then the request's headers. Content-Length and Transfer-Encoding are rejected
 * in plans (the engine frames the body). */
bool plan_request_has_header(const plan_request *r, const char *name);

/* Parses "http://host[:port][/base]" into u (owned; free with plan_url_fini). The scheme is
 * case-insensitive; no user info, query or fragment; trailing '/' of the base is dropped.
 * Returns 0, or -1 with err filled (no location prefix) and u zeroed. */
int plan_url_parse(plan_url *u, const char *s, char *err, size_t errlen);
void plan_url_fini(plan_url *u);

/* Loads a YAML plan. Errors are "file:line:col: message" (name is the file name used in
 * messages). A missing target is not an error here (see plan_validate). Returns 0 (free
 * with plan_fini), or -1 with err filled and *p zeroed. */
int plan_load_file(plan *p, const char *path, char *err, size_t errlen);
int plan_load_string(plan *p, const char *name, const char *data, size_t len, char *err, size_t errlen);

/* Checks the plan is complete enough to run (today: a target is set). Returns 0 or -1 with
 * err filled ("plan.yaml: no target: ..."). */
int plan_validate(const plan *p, char *err, size_t errlen);

/* Builds the ad-hoc plan of `ptest run URL -c N [-R RATE] -d DUR --label L`: one scenario
 * ("default"), closed with `connections` users (no ramp-up) holding for duration_ns when
 * rate == 0, else open at `rate` per second for duration_ns with at most `connections`
 * connections; one request, GET of the URL's path and query ("/" when none; the fragment
 * is dropped), labelled label (NULL: the path). Plan name "ad-hoc", source "command line".
 * connections >= 1, rate >= 0 and finite, 0 < duration_ns <= PLAN_MAX_DURATION_NS.
 * Returns 0 or -1 with err filled. */
int plan_from_url(plan *p, const char *url, uint32_t connections, double rate, uint64_t duration_ns, const char *label,
                  char *err, size_t errlen);

/* Checks a `server:` entry as written: a path starting with '/' or an http:// URL, of
 * printable ASCII without a fragment. Returns 0, or -1 with err filled (no location). */
int plan_server_check(const char *spec, char *err, size_t errlen);
/* Sets p->server.metrics (config false) or p->server.config (config true) to a checked
 * copy of spec (--server-metrics=URL); NULL clears it. Returns 0, or -1 with err filled
 * and p unchanged. */
int plan_set_server(plan *p, bool config, const char *spec, char *err, size_t errlen);
/* Where spec (a checked `server:` entry) points for p's current target: u->host, port and
 * authority, and u->base_path set to the whole request target to send (path and query).
 * Free with plan_url_fini. Returns 0, or -1 with err filled and u zeroed. */
int plan_server_url(const plan *p, const char *spec, plan_url *u, char *err, size_t errlen);

/* Sets a TLS file (--cacert, --cert, --key) to a copy of path (line/col 0), replacing the
 * plan's. Returns 0, or -1 (out of memory) with err filled and p unchanged. */
int plan_set_tls_file(plan *p, enum plan_tls_file which, const char *path, char *err, size_t errlen);

/* Sets the fields of c named by `fields` (PLAN_CONN_*) in every scenario, the others kept
 * (--no-keep-alive, --max-requests-per-connection, --connection-lifetime). Apply before
 * plan_apply_share (the whole plan gets it too). */
void plan_set_conn(plan *p, const plan_conn *c, unsigned fields);

/* The index of variable name[0..len) in p->vars, or -1. */
int plan_var_find(const plan *p, const char *name, size_t len);
/* Sets the value of the constant `name` declared under the plan's `variables:` (-e
 * name=value). Returns 0, or -1 with err filled (not declared, not a constant, a NUL or too
 * long a value, out of memory) and p unchanged. */
int plan_set_var(plan *p, const char *name, const char *value, char *err, size_t errlen);
/* Applies PTEST_VAR_<name> from the environment to every constant of the plan (before the
 * -e flags, which win). Returns 0 or -1 with err filled. */
int plan_vars_from_env(plan *p, char *err, size_t errlen);

/* Replaces the target (--target). Returns 0, or -1 with err filled and p unchanged. */
int plan_set_target(plan *p, const char *url, char *err, size_t errlen);
/* Target number i of the plan (plan_request.target): 0 the plan's own, else targets[i-1];
 * and its text as written (NULL for a missing plan target). */
const plan_url *plan_target_url(const plan *p, uint32_t i);
const char *plan_target_str(const plan *p, uint32_t i);
/* Interns url (a scenario's or request's `target:`) into p->targets: returns its number
 * (>= 1; the same text gives the same number), or 0 with err filled (a bad URL, too many
 * targets, out of memory). */
uint32_t plan_add_target(plan *p, const char *url, char *err, size_t errlen);

/* Adds "HOST:PORT:ADDR[,ADDR...]" (curl's --resolve; IPv6 addresses bare or in brackets)
 * to p->dns.resolve; an entry for the same HOST:PORT is replaced. Returns 0, or -1 with err
 * filled (the problem, without the text: the caller says where it came from). */
int plan_add_resolve(plan *p, const char *spec, char *err, size_t errlen);
/* The resolve entry for host:port (host compared case-insensitively), or NULL. */
const plan_resolve *plan_resolve_find(const plan *p, const char *host, uint16_t port);
/* Sets every scenario's own duration (-d; start delays are kept). Closed scenarios:
 * hold_for = duration - ramp_up, but at least min(duration, 1 s) (so a ramp-up longer than
 * duration is kept whole and followed by a short hold); iteration-bound ones become time-
 * bound too. Open scenarios: stage boundaries scaled proportionally so the stages sum to
 * exactly duration (stages that shrink to 0 ns are dropped). 0 is ignored; values above
 * PLAN_MAX_DURATION_NS minus the start delay are clamped. */
void plan_set_duration(plan *p, uint64_t duration_ns);

#define PLAN_MAX_SHARES 10000

/* Turns p into share `index` (0-based) of `count` of its load, for distributed runs
 * (`ptest run --share INDEX/N`): N workers, each running its share, together produce the
 * load of the single run. Apply after plan_set_duration. Per scenario:
 *  - closed: users split as evenly as possible (share i gets users / N, plus one if
 *    i < users % N; it may get 0). Share i stands for the single run's users i, i + N,
 *    i + 2N, ...: with a ramp-up, its start delay grows by ramp_up * i / users and its
 *    ramp-up becomes ramp_up * N * mine / users, hold_for shrinking by as much, so the
 *    union starts users exactly when the single run does and ends with it (when hold_for
 *    is too short to absorb that, ramp-up and start delay stay as they are).
 *  - open: every stage's rate divided by N; max_connections split like users, at least 1.
 *    Share i sends the single run's arrivals i, i + N, ...: its first stage starts
 *    i / rate later (start delay grows, the first stage shrinks by as much; not when the
 *    first stage is shorter than that). The union matches the single run's schedule up
 *    to floating-point rounding of rate / N (at most one arrival per share and scenario).
 *    With poisson arrivals or linear ramps start_rate is divided too and the schedule
 *    itself takes arrivals i, i + N, ... of the whole scenario (arrival_share_index/count,
 *    schedule.h), the start delay unchanged: the union is the single run's arrivals.
 *  - data: each data file keeps the rows r with r % N == index, so that no two workers
 *    use the same row (an error when a share would get none).
 * Records index and count in p->share_index / p->share_count (results.json "share") and
 * keeps the scenarios' load before the cut in p->whole (results.json "whole_plan", which
 * `ptest merge` reports as the merged run's plan).
 * Returns 0, or -1 with err filled and p unchanged when count is 0 or above
 * PLAN_MAX_SHARES, index >= count, or p is already a share. */
int plan_apply_share(plan *p, uint32_t index, uint32_t count, char *err, size_t errlen);

/* Total planned duration of a scenario / of the plan (longest scenario incl. start delay).
 * An iteration-bound closed scenario without hold_for counts start delay + ramp-up only. */
uint64_t plan_scenario_duration(const plan_scenario *s);
uint64_t plan_duration(const plan *p);

/* Every distinct label in the plan, in order of first appearance (pointers into p, valid
 * until plan_fini); labels[i] is the label whose label_id is i. Stores at most max entries
 * (labels may be NULL if max is 0) and returns the number of distinct labels. */
size_t plan_labels(const plan *p, const char **labels, size_t max);

void plan_fini(plan *p);

#endif
