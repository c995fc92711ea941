/* config.h - msdemo's effective configuration: built-in defaults, overridden by a YAML file,
 * overridden by command-line flags.
 *
 * Ownership: every string in a config is heap-owned by it; config_load
 * copies every string it keeps, so the YAML document may be freed afterwards;
 * config_fini releases them. Not thread-safe; built once at start, then read-only.
 */
#ifndef MSDEMO_CONFIG_H
#define MSDEMO_CONFIG_H

#include "rng.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_ENDPOINTS 64
#define CONFIG_MAX_PATH 256

typedef struct config_delay {
    enum rng_dist dist;
    uint64_t mean_ns;
    uint64_t stddev_ns;
    uint32_t n;
} config_delay;

typedef struct config_endpoint {
    char *path; /* exact match, starts with '/' */
    char *body;
    size_t body_len;
    char *content_type;
    config_delay delay;
    double error_rate; /* 0..1 */
    int error_status;  /* 100..599 */
} config_endpoint;

typedef struct config_limits {
    uint32_t max_connections;
    uint32_t max_header_bytes;
    uint64_t header_timeout_ns; /* a request head must be complete this long after it began */
    uint64_t body_timeout_ns;   /* longest pause in a request body, and its grace period */
    uint64_t body_min_rate;     /* bytes/s a body must average after the grace; 0 = no floor */
    uint64_t send_timeout_ns;   /* longest time the client may take no response bytes */
    uint64_t idle_timeout_ns;   /* keep-alive connection with nothing in flight */
    uint32_t max_pipeline;      /* requests queued per connection before reading pauses */
    uint64_t max_body_bytes;    /* request bodies are read and discarded; larger -> 413 */
} config_limits;

typedef struct config {
    char *listen;     /* "HOST:PORT" */
    uint32_t workers; /* 0 = one per CPU */
    uint64_t seed;
    bool seed_set; /* false: seed from the OS random source */
    uint64_t drain_timeout_ns;
    uint64_t drain_grace_ns; /* keep accepting this long after SIGTERM (readyz already 503) */
    uint64_t timer_slack_ns; /* delayed answers may go out this much late to share wake-ups */
    config_limits limits;
    size_t n_endpoints;
    config_endpoint endpoints[CONFIG_MAX_ENDPOINTS];
    char *source;   /* file the config came from, or NULL for built-in */
    char *instance; /* X-Served-By value; NULL = $POD_NAME, else the host name;
                                   * "" = no such header */
} config;

/* Fills cfg with the built-in defaults: / and /A../F as documented in the README.
 * Every string in cfg is heap-owned. Returns 0 or -1 (ENOMEM). */
int config_init(config *cfg);
/* Loads path over the current values (endpoints with the same path replace the built-in one,
 * new paths are added). Returns 0, or -1 with err = "file:line:col: message". */
int config_load(config *cfg, const char *path, char *err, size_t errlen);
/* Same from memory (name used in messages); for tests and fuzzing. */
int config_load_string(config *cfg, const char *name, const char *data, size_t len, char *err, size_t errlen);
/* Replaces cfg->listen (copied). Returns 0 or -1 (ENOMEM / invalid address). */
/* True when s may be an instance name: 1-63 bytes of letters, digits, '-', '.', '_'
 * (a pod or host name), or empty (no header). */
bool config_instance_valid(const char *s);
int config_set_listen(config *cfg, const char *hostport);
void config_fini(config *cfg);
/* Looks up an endpoint by exact path; NULL if none. */
const config_endpoint *config_find(const config *cfg, const char *path, size_t len);

#endif
