/* jmx_plan_int.h - private to jmx_plan.c, jmx_vars.c, jmx_elements.c and jmx_sampler.c: the
 * conversion context shared while one model is built, and the helpers the files share.
 *
 * Conventions: once c->fail is set (the first fatal error, or JMX_ERR_NOMEM from a failed
 * allocation) the allocating helpers return NULL and the builder unwinds. Strings returned
 * as char * belong to the model's pool (freed by jmx_model_fini); const char * results
 * point into the tree or the options. Single-threaded, like the model.
 */
#ifndef PTEST_JMX_PLAN_INT_H
#define PTEST_JMX_PLAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jmx_plan.h"

/* Think time accumulated from the timers in one scope. */
typedef struct jmx_think {
    double mean_ms, var_ms2;
    int n_random;
    enum rng_dist dist;
} jmx_think;

typedef struct jmx_conv {
    jmx_model *m; /* what is built */
    const char *file;
    const jmx_opts *o;
    char *err;
    size_t errlen;
    int fail;       /* JMX_ERR_* once something fatal happened */
    unsigned quiet; /* > 0 inside repeated loop bodies: warn once */
    size_t cap_notes;
    jmx_kv *vars;
    size_t n_vars, cap_vars;
    const char *rt_vars[64]; /* names set at run time by extractors: kept as ${name} */
    size_t n_rt_vars;
    const jmx_node **scope; /* config elements in scope, outermost first */
    size_t n_scope, cap_scope, plan_mark;
    size_t cap_headers, cap_sc, cap_reqs;
    jmx_think plan_think, think; /* timers of the plan / of the thread group being built */
    const jmx_node *target_at;
    size_t total_reqs;
    size_t visits;
} jmx_conv;

/* ---- jmx_plan.c: pool and messages */

/* A zeroed pool block of n bytes, or NULL. */
void *jmx_palloc(jmx_conv *c, size_t n);
/* Pool copies of s (n bytes, NUL-terminated), or NULL. */
char *jmx_pdupn(jmx_conv *c, const char *s, size_t n);
char *jmx_pdup(jmx_conv *c, const char *s);
/* Grows the pool array *arrp (elements of sz bytes, *n used of *cap) by one element and
 * returns it, or NULL. The element is zero unless the caller shrank *n before. */
void *jmx_grow(jmx_conv *c, void *arrp, size_t *n, size_t *cap, size_t sz);
/* A warning (strict: an error) at element at (may be NULL): passed to o->warn and kept in
 * m->notes; silent while c->quiet. Works after a failure too (the note is then lost). */
void jmx_report(jmx_conv *c, const jmx_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records the first fatal error (code, err = "file:line:col: msg"); always returns -1. */
int jmx_fatal(jmx_conv *c, const jmx_node *at, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- jmx_plan.c: element kinds and scope */

bool jmx_is_defaults(const jmx_node *n); /* HTTP Request Defaults */
bool jmx_is_timer(const jmx_node *n);
/* Header Manager, Response Assertion or HTTP Request Defaults: applies to its scope. */
bool jmx_is_scoped_config(const jmx_node *n);
/* Registers name (set at run time: an extractor's reference name, a CSV column) so that
 * ${name} is kept for ptest; false (reported at k) when it is no ptest variable name or
 * there are too many. */
bool jmx_rt_var(jmx_conv *c, const jmx_node *k, const char *name);
void jmx_push_scope(jmx_conv *c, const jmx_node *n);
/* The next (element, its hashTree or NULL in *kids) pair of hashTree ht at *i, or NULL. */
const jmx_node *jmx_next_pair(const jmx_node *ht, size_t *i, const jmx_node **kids);

/* ---- jmx_vars.c: properties, substitution, numbers, variables */

bool jmx_enabled(const jmx_node *n);
const char *jmx_title(const jmx_node *n); /* testname, "" when absent */
/* The property element named name among n's children (n may be NULL), or NULL. */
const jmx_node *jmx_prop_elem(const jmx_node *n, const char *name);
/* The next <elementProp> child of collection (may be NULL) from *i on, advancing *i past it;
 * NULL at the end: `for (size_t i = 0; (e = jmx_next_elem(coll, &i));)`. */
const jmx_node *jmx_next_elem(const jmx_node *collection, size_t *i);
/* A scalar property's raw text, or "" when absent or not scalar. */
const char *jmx_pstr(const jmx_node *n, const char *name);
bool jmx_pbool(const jmx_node *n, const char *name, bool dflt);
/* Trims blanks and tabs at both ends of the view (*s, *n). */
void jmx_trim(const char **s, size_t *n);
/* s with ${var}, ${__P(...)} and ${__property(...)} replaced (unsupported references are
 * reported at at and left as written), or NULL. */
char *jmx_subst(jmx_conv *c, const jmx_node *at, const char *s);
char *jmx_sprop(jmx_conv *c, const jmx_node *n, const char *name); /* jmx_subst(jmx_pstr) */
/* Whole decimal integer / non-negative finite number of ms up to 1e12; blanks trimmed. */
bool jmx_to_i64(const char *s, int64_t *out);
bool jmx_to_ms(const char *s, double *out);
/* An integer property in [lo, hi]; absent/empty gives dflt. false (after a fatal error)
 * when it is not a number in range. */
bool jmx_num_prop(jmx_conv *c, const jmx_node *n, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out);
/* Adds the variables of an Arguments element (NULL: none) to c->vars. */
void jmx_add_vars(jmx_conv *c, const jmx_node *args);

/* ---- jmx_elements.c: timers, header managers, assertions */

void jmx_add_timer(jmx_conv *c, jmx_think *t, const jmx_node *n);
/* true when s[0..n) is a non-empty HTTP token. */
bool jmx_is_token(const char *s, size_t n);
/* Sets header name (case-insensitive) in the pool array *hs to value, replacing an earlier
 * value; name and value are kept, not copied. */
void jmx_set_header(jmx_conv *c, jmx_kv **hs, size_t *n, size_t *cap, const char *name, const char *value);
/* Adds the valid headers of Header Manager hm to *hs (jmx_set_header). */
void jmx_add_headers(jmx_conv *c, const jmx_node *hm, jmx_kv **hs, size_t *n, size_t *cap);
/* Applies Response Assertion a to request r (status code, body substring). */
void jmx_apply_assertion(jmx_conv *c, jmx_req *r, const jmx_node *a);

/* ---- jmx_sampler.c: HTTP samplers */

/* l as a label: leading and trailing spaces dropped, path when empty, control and
 * non-ASCII bytes as '_', at most PLAN_MAX_LABEL bytes (changes reported at at), or NULL. */
char *jmx_clean_label(jmx_conv *c, const jmx_node *at, const char *l, const char *path);
/* Appends the request of sampler s (its hashTree kids may be NULL) to sc. */
void jmx_add_request(jmx_conv *c, jmx_scen *sc, const jmx_node *s, const jmx_node *kids);

#endif
