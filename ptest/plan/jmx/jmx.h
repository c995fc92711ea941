/* jmx.h - JMeter test plans (.jmx, as saved by JMeter 2.13 to 5.x) converted to ptest plans.
 *
 * The conversion produces ptest YAML text (the plan.h format), which `ptest import` prints
 * and `ptest run PLAN.jmx` loads with plan_load_string, so both commands run exactly the same
 * plan. Supported, with JMeter's semantics: Test Plan user-defined variables, ${var} and
 * ${__P(name[,default])} / ${__property(name,,default)} from -J properties, Thread Group
 * (threads, ramp-up, loops incl. -1 with the scheduler's duration, delay), HTTP Request
 * samplers (order kept: each thread group becomes a closed scenario with order: sequence),
 * HTTP Request Defaults, HTTP Header Manager (plan level: plan headers; deeper: merged into
 * each request in scope), Constant / Uniform Random / Gaussian Random Timers at plan or
 * thread-group level (the scenario's think time), Response Assertion (status code, body
 * substring), Simple / Transaction / Loop Controllers (a loop repeats its children in the
 * sequence). Disabled elements are skipped silently; anything else is reported once per
 * element as a warning ("file:line:col: warning: ...") and skipped.
 *
 * Layers: jmx_tree.h (expat -> element tree with line:col), jmx_plan.h (JMeter semantics ->
 * a model of scenarios), this module (model -> YAML text, entry points).
 *
 * Thread-safety: the functions keep no global state.
 */
#ifndef PTEST_JMX_H
#define PTEST_JMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

typedef struct jmx_prop {
    const char *name, *value; /* a -Jname=value property */
} jmx_prop;

/* Receives every warning (strict: every error) as one line without newline. */
typedef void (*jmx_warn_fn)(void *ctx, const char *line);

typedef struct jmx_opts {
    const jmx_prop *props; /* later entries win over earlier ones with the same name */
    size_t n_props;
    uint64_t duration_ns; /* bound for a forever loop without scheduler; 0: error */
    bool strict;          /* unsupported elements are errors */
    jmx_warn_fn warn;     /* may be NULL */
    void *warn_ctx;
} jmx_opts;

enum {
    JMX_OK = 0,
    JMX_ERR_XML = -1,    /* malformed XML; err is "file:line:col: ..." */
    JMX_ERR_PLAN = -2,   /* not a usable plan (no thread group, https only, ...) */
    JMX_ERR_STRICT = -3, /* strict and something was unsupported (reported via warn) */
    JMX_ERR_NOMEM = -4,
    JMX_ERR_IO = -5,
};

/* Converts len bytes of .jmx (file: the name used in messages) to ptest YAML. Returns JMX_OK
 * with *yaml (malloc'd, NUL-terminated, *yaml_len bytes; the caller frees it), or a
 * negative JMX_ERR_* with *yaml NULL and err filled. */
int jmx_to_yaml(const char *file, const char *data, size_t len, const jmx_opts *o, char **yaml, size_t *yaml_len,
                char *err, size_t errlen);

/* Reads and converts path, then loads the YAML into p (plan_load_string; p->source is path).
 * Returns JMX_OK (free p with plan_fini), or a negative JMX_ERR_* with err filled and *p
 * zeroed. */
int jmx_load_file(plan *p, const char *path, const jmx_opts *o, char *err, size_t errlen);

#endif
