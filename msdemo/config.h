/* config.h - msdemo's effective configuration: built-in defaults, overridden by a YAML file,
 * overridden by command-line flags.
 *
 * Ownership: every string in a config is heap-owned by it; msdemo_config_load
 * copies every string it keeps, so the YAML document may be freed afterwards;
 * msdemo_config_free releases them. Not thread-safe; built once at start, then read-only.
 */
#ifndef MSDEMO_CONFIG_H
#define MSDEMO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rng.h"

#define MSDEMO_MAX_ENDPOINTS 64
#define MSDEMO_MAX_PATH      256

typedef struct msdemo_delay {
    enum rng_dist dist;
    uint64_t mean_ns;
    uint64_t stddev_ns;
    uint32_t n;
} msdemo_delay;

typedef struct msdemo_endpoint {
    char *path;              /* exact match, starts with '/' */
    char *body;
    size_t body_len;
    char *content_type;
    msdemo_delay delay;
    double error_rate;       /* 0..1 */
    int error_status;        /* 100..599 */
} msdemo_endpoint;

typedef struct msdemo_limits {
    uint32_t max_connections;
    uint32_t max_header_bytes;
    uint64_t header_timeout_ns;   /* a request head must be complete this long after it began */
    uint64_t body_timeout_ns;     /* longest pause in a request body, and its grace period */
    uint64_t body_min_rate;       /* bytes/s a body must average after the grace; 0 = no floor */
    uint64_t send_timeout_ns;     /* longest time the client may take no response bytes */
    uint64_t idle_timeout_ns;     /* keep-alive connection with nothing in flight */
    uint32_t max_pipeline;        /* requests queued per connection before reading pauses */
    uint64_t max_body_bytes;      /* request bodies are read and discarded; larger -> 413 */
} msdemo_limits;

typedef struct msdemo_config {
    char *listen;                 /* "HOST:PORT" */
    uint32_t workers;             /* 0 = one per CPU */
    uint64_t seed;
    bool seed_set;                /* false: seed from the OS random source */
    uint64_t drain_timeout_ns;
    uint64_t drain_grace_ns;      /* keep accepting this long after SIGTERM (readyz already 503) */
    uint64_t timer_slack_ns;      /* delayed answers may go out this much late to share wake-ups */
    msdemo_limits limits;
    size_t n_endpoints;
    msdemo_endpoint endpoints[MSDEMO_MAX_ENDPOINTS];
    char *source;                 /* file the config came from, or NULL for built-in */
    char *instance;               /* X-Served-By value; NULL = $POD_NAME, else the host name;
                                   * "" = no such header */
} msdemo_config;

/* Fills cfg with the built-in defaults: / and /A../F as documented in the README.
 * Every string in cfg is heap-owned. Returns 0 or -1 (ENOMEM). */
int msdemo_config_init(msdemo_config *cfg);
/* Loads path over the current values (endpoints with the same path replace the built-in one,
 * new paths are added). Returns 0, or -1 with err = "file:line:col: message". */
int msdemo_config_load(msdemo_config *cfg, const char *path, char *err, size_t errlen);
/* Same from memory (name used in messages); for tests and fuzzing. */
int msdemo_config_load_string(msdemo_config *cfg, const char *name, const char *data, size_t len,
                              char *err, size_t errlen);
/* Replaces cfg->listen (copied). Returns 0 or -1 (ENOMEM / invalid address). */
/* True when s may be an instance name: 1-63 bytes of letters, digits, '-', '.', '_'
 * (a pod or host name), or empty (no header). */
bool msdemo_instance_valid(const char *s);
int msdemo_config_set_listen(msdemo_config *cfg, const char *hostport);
void msdemo_config_free(msdemo_config *cfg);
/* Looks up an endpoint by exact path; NULL if none. */
const msdemo_endpoint *msdemo_config_find(const msdemo_config *cfg, const char *path, size_t len);

#endif
