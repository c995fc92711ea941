/* jmx_plan.h - JMeter plan semantics: a jmx_tree document turned into a small model of
 * ptest scenarios (private to jmx.c, which prints the model as YAML).
 *
 * jmx_plan_build walks the Test Plan as JMeter would run it (see jmx.h for the supported
 * elements): thread groups become closed scenarios whose requests are the samplers in tree
 * order (loop controllers expanded), with defaults, headers, assertions and variables
 * applied. Each unsupported element or value is reported once through o->warn and kept in
 * m->notes.
 *
 * Ownership: the model owns every string and array it points to (one pool, freed by
 * jmx_model_fini); it does not point into the tree. Not thread-safe per model.
 */
#ifndef PTEST_JMX_PLAN_H
#define PTEST_JMX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jmx.h"
#include "jmx_tree.h"
#include "rng.h"

typedef struct jmx_kv {
    char *name, *value;
} jmx_kv;

#define JMX_MAX_EXTRACT 8 /* per sampler */

/* A Regular Expression or JSON Extractor of a sampler: the plan's `extract:` entry. */
typedef struct jmx_extract {
    bool json;  /* json: a JSON Pointer converted from JSONPath; else regex */
    char *expr; /* pointer or POSIX ERE */
    char *as;   /* the variable (JMeter's reference name) */
} jmx_extract;

typedef struct jmx_req {
    char *label;         /* unique per (method, path) across the model */
    char *method, *path; /* path starts with '/', printable ASCII */
    char *body;          /* NULL: none */
    jmx_kv *headers;     /* merged from the Header Managers below plan level */
    size_t n_headers;
    int status;          /* 0: any 2xx/3xx */
    char *body_contains; /* NULL: no body check */
    bool no_keepalive;   /* HTTPSampler.use_keepalive false */
    jmx_extract extract[JMX_MAX_EXTRACT];
    size_t n_extract;
} jmx_req;

typedef struct jmx_scen {
    char *name;                 /* unique in the model */
    unsigned line;              /* of the thread group */
    uint64_t users, iterations; /* iterations 0: bounded by hold_ns */
    uint64_t ramp_ns, hold_ns, delay_ns;
    enum rng_dist think_dist;
    uint64_t think_mean_ns, think_sd_ns; /* both 0: no think time */
    jmx_req *reqs;                       /* >= 1 */
    size_t n_reqs;
    bool no_keep_alive; /* every sampler has keep-alive off: `keep_alive: false` */
    bool cookies;       /* an HTTP Cookie Manager is in scope: the jar (else `cookies: false`) */
    /* The CSV Data Set Config in scope (the first one): the scenario's `data:` */
    char *data_file;    /* NULL: none */
    char *data_columns; /* variableNames, "a,b" (NULL: the file's first row names them) */
    bool data_header;   /* with data_columns: ignoreFirstLine (`header: true`) */
    bool data_unique;   /* recycle off: every row once (`mode: unique`) */
} jmx_scen;

typedef struct jmx_note {
    unsigned line;
    char *msg; /* without location or severity */
} jmx_note;

typedef struct jmx_model {
    char *name;                       /* Test Plan name, NULL when unusable */
    char *target;                     /* "http://host[:port]", NULL when no sampler names one */
    uint64_t connect_ms, response_ms; /* 0: ptest's defaults */
    jmx_kv *headers;                  /* plan-level Header Managers */
    size_t n_headers;
    jmx_scen *sc; /* >= 1 after a successful build */
    size_t n_sc;
    jmx_note *notes; /* every warning, in order */
    size_t n_notes;
    void **pool; /* every allocation of the model */
    size_t n_pool, cap_pool;
} jmx_model;

/* Builds the model of the plan whose document element is root (file: the name used in
 * messages; o: never NULL). Returns JMX_OK, or JMX_ERR_PLAN / JMX_ERR_STRICT /
 * JMX_ERR_NOMEM with err filled ("file:line:col: ..."). Free m with jmx_model_fini in
 * every case. */
int jmx_plan_build(jmx_model *m, const char *file, const jmx_node *root, const jmx_opts *o, char *err, size_t errlen);
void jmx_model_fini(jmx_model *m);

#endif
