/* config.c - built-in defaults and the YAML loader for msdemo. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "yamltree.h"

#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))
#define SEC(x) ((uint64_t)(x)*UINT64_C(1000000000))

/* The built-in service: the bodies are MS-DEMO's; the delays give each endpoint a different
 * shape so that a scorecard shows something worth reading without any config file. */
static const struct {
    const char *path, *body;
    enum rng_dist dist;
    uint32_t mean_ms, stddev_ms;
} builtin[] = {
    {"/", "Hello World!", RNG_CONSTANT, 0, 0},         {"/A", "*****ALPHA*****", RNG_NORMAL, 10, 2},
    {"/B", "*****BETA*****", RNG_NORMAL, 20, 5},       {"/C", "*****CHARLIE*****", RNG_LOGNORMAL, 30, 10},
    {"/D", "*****DELTA*****", RNG_NORMAL, 50, 10},     {"/E", "*****ECHO*****", RNG_EXPONENTIAL, 5, 5},
    {"/F", "*****FOXTROT*****", RNG_UNIFORM, 100, 20},
};

static void endpoint_free(config_endpoint *e)
{
    free(e->path);
    free(e->body);
    free(e->content_type);
    memset(e, 0, sizeof *e);
}

static int endpoint_set(config_endpoint *e, const char *path, const char *body, const char *ctype)
{
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    e->body = strdup(body);
    e->content_type = strdup(ctype);
    if (!e->path || !e->body || !e->content_type) {
        endpoint_free(e);
        return -1;
    }
    e->body_len = strlen(body);
    e->error_status = 500;
    return 0;
}

int config_init(config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = strdup("0.0.0.0:8080");
    if (!cfg->listen)
        return -1;
    cfg->workers = 0;
    cfg->drain_timeout_ns = SEC(10);
    cfg->drain_grace_ns = SEC(1);
    cfg->timer_slack_ns = 100 * 1000; /* 100 us */
    cfg->limits.max_connections = 10000;
    cfg->limits.max_header_bytes = 8192;
    cfg->limits.header_timeout_ns = SEC(10);
    cfg->limits.body_timeout_ns = SEC(10);
    cfg->limits.body_min_rate = 1024;
    cfg->limits.send_timeout_ns = SEC(60);
    cfg->limits.idle_timeout_ns = SEC(60);
    cfg->limits.max_pipeline = 64;
    cfg->limits.max_body_bytes = 1024 * 1024;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        config_endpoint *e = &cfg->endpoints[i];
        if (endpoint_set(e, builtin[i].path, builtin[i].body, "text/plain") < 0) {
            config_fini(cfg);
            return -1;
        }
        e->delay.dist = builtin[i].dist;
        e->delay.mean_ns = MS(builtin[i].mean_ms);
        e->delay.stddev_ns = MS(builtin[i].stddev_ms);
        e->delay.n = 1000;
        cfg->n_endpoints = i + 1;
    }
    return 0;
}

void config_fini(config *cfg)
{
    for (size_t i = 0; i < cfg->n_endpoints; i++)
        endpoint_free(&cfg->endpoints[i]);
    free(cfg->listen);
    free(cfg->source);
    free(cfg->instance);
    memset(cfg, 0, sizeof *cfg);
}

const config_endpoint *config_find(const config *cfg, const char *path, size_t len)
{
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        const config_endpoint *e = &cfg->endpoints[i];
        if (strlen(e->path) == len && memcmp(e->path, path, len) == 0)
            return e;
    }
    return NULL;
}

bool config_instance_valid(const char *s)
{
    size_t n = strlen(s);
    if (n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_'))
            return false;
    }
    return true;
}

static int valid_listen(const char *s)
{
    char host[256];
    uint16_t port;
    return units_split_hostport(s, host, sizeof host, &port);
}

int config_set_listen(config *cfg, const char *hostport)
{
    if (valid_listen(hostport) < 0) {
        errno = EINVAL;
        return -1;
    }
    char *c = strdup(hostport);
    if (!c)
        return -1;
    free(cfg->listen);
    cfg->listen = c;
    return 0;
}

/* --- YAML loading ------------------------------------------------------------------ */

typedef struct loader {
    const yamltree_doc *doc;
    yamltree_error *err;
} loader;

static int load_delay(loader *L, const yamltree_node *n, config_delay *d)
{
    static const char *const keys[] = {"dist", "mean", "stddev", "n", NULL};
    const yamltree_node *v;
    if (yamltree_expect(L->doc, n, YAMLTREE_MAP, L->err) < 0 || yamltree_check_keys(L->doc, n, keys, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "dist"))) {
        const char *s;
        if (yamltree_str(L->doc, v, &s, L->err) < 0)
            return -1;
        if (rng_dist_parse(s, &d->dist) < 0)
            return yamltree_fail(L->doc, v, L->err,
                                 "unknown distribution \"%s\" (expected normal, lognormal, exponential, "
                                 "uniform or constant)",
                                 s);
    }
    if ((v = yamltree_get(n, "mean")) && yamltree_duration(L->doc, v, &d->mean_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "stddev")) && yamltree_duration(L->doc, v, &d->stddev_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "n"))) {
        uint64_t nn;
        if (yamltree_u64(L->doc, v, 1, 10000000, &nn, L->err) < 0)
            return -1;
        d->n = (uint32_t)nn;
    }
    if (d->dist == RNG_CONSTANT)
        d->stddev_ns = 0;
    if (d->mean_ns > SEC(3600))
        return yamltree_fail(L->doc, yamltree_get(n, "mean"), L->err, "mean delay above 1h");
    if (d->stddev_ns > SEC(3600))
        return yamltree_fail(L->doc, yamltree_get(n, "stddev"), L->err, "stddev above 1h");
    return 0;
}

static int load_errors(loader *L, const yamltree_node *n, config_endpoint *e)
{
    static const char *const keys[] = {"rate", "status", NULL};
    const yamltree_node *v;
    if (yamltree_expect(L->doc, n, YAMLTREE_MAP, L->err) < 0 || yamltree_check_keys(L->doc, n, keys, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "rate"))) {
        if (yamltree_percent(L->doc, v, &e->error_rate, L->err) < 0)
            return -1;
        if (e->error_rate < 0 || e->error_rate > 1)
            return yamltree_fail(L->doc, v, L->err, "error rate must be between 0 and 1 (or 0%% and 100%%)");
    }
    if ((v = yamltree_get(n, "status"))) {
        uint64_t st;
        if (yamltree_u64(L->doc, v, 100, 599, &st, L->err) < 0)
            return -1;
        e->error_status = (int)st;
    }
    return 0;
}

static int replace_str(char **dst, const char *src)
{
    char *c = strdup(src);
    if (!c)
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

static int load_endpoint(loader *L, config *cfg, const yamltree_node *n)
{
    static const char *const keys[] = {"path", "body", "content_type", "delay", "errors", NULL};
    const yamltree_node *v;
    const char *path, *s;

    if (yamltree_expect(L->doc, n, YAMLTREE_MAP, L->err) < 0 || yamltree_check_keys(L->doc, n, keys, L->err) < 0)
        return -1;
    if (!(v = yamltree_get(n, "path")))
        return yamltree_fail(L->doc, n, L->err, "endpoint needs a \"path\"");
    if (yamltree_str(L->doc, v, &path, L->err) < 0)
        return -1;
    if (path[0] != '/' || strlen(path) >= CONFIG_MAX_PATH || strpbrk(path, " ?#\t\r\n"))
        return yamltree_fail(L->doc, v, L->err,
                             "path must start with '/', hold no space, '?' or '#', and be shorter than %d bytes",
                             CONFIG_MAX_PATH);
    static const char *const reserved[] = {"/healthz", "/readyz", "/metrics", "/config"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(path, reserved[i]) == 0)
            return yamltree_fail(L->doc, v, L->err, "path %s is reserved for operations", path);

    config_endpoint *e = (config_endpoint *)config_find(cfg, path, strlen(path));
    if (!e) {
        if (cfg->n_endpoints >= CONFIG_MAX_ENDPOINTS)
            return yamltree_fail(L->doc, v, L->err, "more than %d endpoints", CONFIG_MAX_ENDPOINTS);
        e = &cfg->endpoints[cfg->n_endpoints];
        if (endpoint_set(e, path, "", "text/plain") < 0)
            return yamltree_fail(L->doc, n, L->err, "out of memory");
        e->delay.dist = RNG_CONSTANT;
        e->delay.n = 1000;
        cfg->n_endpoints++;
    }
    if ((v = yamltree_get(n, "body"))) {
        if (yamltree_str(L->doc, v, &s, L->err) < 0)
            return -1;
        if (replace_str(&e->body, s) < 0)
            return yamltree_fail(L->doc, v, L->err, "out of memory");
        e->body_len = strlen(s);
    }
    if ((v = yamltree_get(n, "content_type"))) {
        if (yamltree_str(L->doc, v, &s, L->err) < 0)
            return -1;
        if (strpbrk(s, "\r\n") || !*s)
            return yamltree_fail(L->doc, v, L->err, "content_type must be one non-empty line");
        if (replace_str(&e->content_type, s) < 0)
            return yamltree_fail(L->doc, v, L->err, "out of memory");
    }
    if ((v = yamltree_get(n, "delay")) && load_delay(L, v, &e->delay) < 0)
        return -1;
    if ((v = yamltree_get(n, "errors")) && load_errors(L, v, e) < 0)
        return -1;
    return 0;
}

static int load_limits(loader *L, config_limits *lim, const yamltree_node *n)
{
    static const char *const keys[] = {
        "max_connections", "max_header_bytes", "header_timeout", "body_timeout",   "body_min_rate",
        "send_timeout",    "idle_timeout",     "max_pipeline",   "max_body_bytes", NULL};
    const yamltree_node *v;
    uint64_t u;
    if (yamltree_expect(L->doc, n, YAMLTREE_MAP, L->err) < 0 || yamltree_check_keys(L->doc, n, keys, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "max_connections"))) {
        if (yamltree_u64(L->doc, v, 1, 1000000, &u, L->err) < 0)
            return -1;
        lim->max_connections = (uint32_t)u;
    }
    if ((v = yamltree_get(n, "max_header_bytes"))) {
        if (yamltree_u64(L->doc, v, 256, 1024 * 1024, &u, L->err) < 0)
            return -1;
        lim->max_header_bytes = (uint32_t)u;
    }
    if ((v = yamltree_get(n, "max_pipeline"))) {
        if (yamltree_u64(L->doc, v, 1, 4096, &u, L->err) < 0)
            return -1;
        lim->max_pipeline = (uint32_t)u;
    }
    if ((v = yamltree_get(n, "max_body_bytes")) &&
        yamltree_u64(L->doc, v, 0, UINT64_C(1) << 32, &lim->max_body_bytes, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "header_timeout")) && yamltree_duration(L->doc, v, &lim->header_timeout_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "idle_timeout")) && yamltree_duration(L->doc, v, &lim->idle_timeout_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "body_timeout")) && yamltree_duration(L->doc, v, &lim->body_timeout_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "send_timeout")) && yamltree_duration(L->doc, v, &lim->send_timeout_ns, L->err) < 0)
        return -1;
    if ((v = yamltree_get(n, "body_min_rate")) &&
        yamltree_u64(L->doc, v, 0, UINT64_C(1) << 32, &lim->body_min_rate, L->err) < 0)
        return -1;
    if (lim->header_timeout_ns == 0 || lim->idle_timeout_ns == 0 || lim->body_timeout_ns == 0 ||
        lim->send_timeout_ns == 0)
        return yamltree_fail(L->doc, n, L->err, "timeouts must be greater than 0");
    return 0;
}

static int load_doc(config *cfg, const yamltree_doc *doc, yamltree_error *err)
{
    static const char *const keys[] = {"listen",      "workers",  "seed",   "drain_timeout", "drain_grace",
                                       "timer_slack", "instance", "limits", "endpoints",     NULL};
    loader L = {doc, err};
    const yamltree_node *root = doc->root, *v;
    const char *s;
    uint64_t u;

    if (!root)
        return 0; /* an empty file keeps every default */
    if (yamltree_expect(doc, root, YAMLTREE_MAP, err) < 0 || yamltree_check_keys(doc, root, keys, err) < 0)
        return -1;
    if ((v = yamltree_get(root, "listen"))) {
        if (yamltree_str(doc, v, &s, err) < 0)
            return -1;
        if (valid_listen(s) < 0)
            return yamltree_fail(doc, v, err, "listen must be HOST:PORT, [IPv6]:PORT or :PORT, got \"%s\"", s);
        if (replace_str(&cfg->listen, s) < 0)
            return yamltree_fail(doc, v, err, "out of memory");
    }
    if ((v = yamltree_get(root, "instance"))) {
        if (yamltree_str(doc, v, &s, err) < 0)
            return -1;
        if (!config_instance_valid(s))
            return yamltree_fail(doc, v, err, "instance must be 0-63 letters, digits, '-', '.' or '_', got \"%s\"", s);
        if (replace_str(&cfg->instance, s) < 0)
            return yamltree_fail(doc, v, err, "out of memory");
    }
    if ((v = yamltree_get(root, "workers"))) {
        if (yamltree_u64(doc, v, 0, 1024, &u, err) < 0)
            return -1;
        cfg->workers = (uint32_t)u;
    }
    if ((v = yamltree_get(root, "seed"))) {
        if (yamltree_u64(doc, v, 0, UINT64_MAX, &cfg->seed, err) < 0)
            return -1;
        cfg->seed_set = true;
    }
    if ((v = yamltree_get(root, "drain_timeout")) && yamltree_duration(doc, v, &cfg->drain_timeout_ns, err) < 0)
        return -1;
    if ((v = yamltree_get(root, "timer_slack")) && yamltree_duration(doc, v, &cfg->timer_slack_ns, err) < 0)
        return -1;
    if (cfg->timer_slack_ns > 10 * 1000 * 1000)
        return yamltree_fail(doc, yamltree_get(root, "timer_slack"), err,
                             "timer_slack above 10ms would distort the delays");
    if ((v = yamltree_get(root, "drain_grace")) && yamltree_duration(doc, v, &cfg->drain_grace_ns, err) < 0)
        return -1;
    if (cfg->drain_grace_ns > cfg->drain_timeout_ns)
        return yamltree_fail(doc, yamltree_get(root, "drain_grace"), err, "drain_grace must not exceed drain_timeout");
    if ((v = yamltree_get(root, "limits")) && load_limits(&L, &cfg->limits, v) < 0)
        return -1;
    if ((v = yamltree_get(root, "endpoints"))) {
        if (v->kind == YAMLTREE_NULL)
            return 0;
        if (yamltree_expect(doc, v, YAMLTREE_SEQ, err) < 0)
            return -1;
        for (size_t i = 0; i < v->n; i++)
            if (load_endpoint(&L, cfg, v->items[i]) < 0)
                return -1;
    }
    return 0;
}

static int finish(config *cfg, yamltree_doc *doc, int rc, const yamltree_error *yerr, char *err, size_t errlen)
{
    if (rc < 0)
        snprintf(err, errlen, "%s", yerr->msg);
    else if (doc->file) {
        char *src = strdup(doc->file);
        if (src) {
            free(cfg->source);
            cfg->source = src;
        }
    }
    yamltree_fini(doc);
    return rc;
}

int config_load(config *cfg, const char *path, char *err, size_t errlen)
{
    yamltree_doc doc;
    yamltree_error yerr;
    if (yamltree_load_file(&doc, path, &yerr) < 0) {
        snprintf(err, errlen, "%s", yerr.msg);
        return -1;
    }
    return finish(cfg, &doc, load_doc(cfg, &doc, &yerr), &yerr, err, errlen);
}

int config_load_string(config *cfg, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    yamltree_doc doc;
    yamltree_error yerr;
    if (yamltree_load_string(&doc, name, data, len, &yerr) < 0) {
        snprintf(err, errlen, "%s", yerr.msg);
        return -1;
    }
    return finish(cfg, &doc, load_doc(cfg, &doc, &yerr), &yerr, err, errlen);
}
