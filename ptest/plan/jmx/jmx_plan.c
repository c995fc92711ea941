/* jmx_plan.c - JMeter plan semantics over the jmx_tree element tree (jmx_plan.h): the
 * conversion context (model pool, messages), scope and the tree walk, thread groups, the
 * Test Plan and the entry points. Properties and ${} substitution are in jmx_vars.c, timers,
 * header managers and assertions in jmx_elements.c, HTTP samplers in jmx_sampler.c. */
#include "jmx_plan_int.h"

#include "vars.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define MAX_THINK_NS (UINT64_C(3600) * NS_PER_S)
#define MAX_LOOP_EXPANSION PLAN_MAX_REQUESTS
/* Elements visited while expanding loops: nested loops of empty controllers would
 * otherwise take forever without producing a single request. */
#define MAX_VISITS 1000000

/* ---------------------------------------------------------------- memory ----------- */

void *jmx_palloc(jmx_conv *c, size_t n)
{
    if (c->fail)
        return NULL;
    if (c->m->n_pool == c->m->cap_pool) {
        size_t cap = c->m->cap_pool ? c->m->cap_pool * 2 : 64;
        void **p = realloc(c->m->pool, cap * sizeof *p);
        if (!p)
            goto nomem;
        c->m->pool = p;
        c->m->cap_pool = cap;
    }
    void *m = calloc(1, n ? n : 1);
    if (!m)
        goto nomem;
    c->m->pool[c->m->n_pool++] = m;
    return m;
nomem:
    c->fail = JMX_ERR_NOMEM;
    snprintf(c->err, c->errlen, "out of memory");
    return NULL;
}

char *jmx_pdupn(jmx_conv *c, const char *s, size_t n)
{
    char *d = jmx_palloc(c, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *jmx_pdup(jmx_conv *c, const char *s)
{
    return jmx_pdupn(c, s, strlen(s));
}

/* Grows *arr (elements of size sz) to hold one more; returns the new element or NULL. */
void *jmx_grow(jmx_conv *c, void *arrp, size_t *n, size_t *cap, size_t sz)
{
    void **arr = arrp;
    if (c->fail)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char *m = jmx_palloc(c, nc * sz);
        if (!m)
            return NULL;
        if (*n)
            memcpy(m, *arr, *n * sz);
        *arr = m;
        *cap = nc;
    }
    return (char *)*arr + (*n)++ * sz;
}

/* ---------------------------------------------------------------- messages --------- */

void jmx_report(jmx_conv *c, const jmx_node *at, const char *fmt, ...)
{
    char msg[512], line[700];
    va_list ap;
    if (c->quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s:%u:%u: %s: %s", c->file, at ? at->line : 0, at ? at->col : 0,
             c->o->strict ? "error" : "warning", msg);
    if (c->o->warn)
        c->o->warn(c->o->warn_ctx, line);
    jmx_note *note = jmx_grow(c, &c->m->notes, &c->m->n_notes, &c->cap_notes, sizeof *note);
    if (note) {
        note->line = at ? at->line : 0;
        note->msg = jmx_pdup(c, msg);
    }
}

int jmx_fatal(jmx_conv *c, const jmx_node *at, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->fail) {
        c->fail = code;
        if (at)
            snprintf(c->err, c->errlen, "%s:%u:%u: %s", c->file, at->line, at->col, msg);
        else
            snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
    }
    return -1;
}

/* ---------------------------------------------------------------- scope ------------ */

bool jmx_is_defaults(const jmx_node *n)
{
    const char *g = jmx_attr(n, "guiclass");
    return strcmp(n->name, "ConfigTestElement") == 0 && g && strcmp(g, "HttpDefaultsGui") == 0;
}

bool jmx_is_timer(const jmx_node *n)
{
    return strcmp(n->name, "ConstantTimer") == 0 || strcmp(n->name, "UniformRandomTimer") == 0 ||
           strcmp(n->name, "GaussianRandomTimer") == 0;
}

static bool is_sampler(const jmx_node *n)
{
    return strcmp(n->name, "HTTPSamplerProxy") == 0 || strcmp(n->name, "HTTPSampler") == 0 ||
           strcmp(n->name, "HTTPSampler2") == 0;
}

bool jmx_is_scoped_config(const jmx_node *n)
{
    return strcmp(n->name, "HeaderManager") == 0 || strcmp(n->name, "ResponseAssertion") == 0 ||
           strcmp(n->name, "CookieManager") == 0 || strcmp(n->name, "CSVDataSet") == 0 || jmx_is_defaults(n);
}

/* An HTTP Cookie Manager: ptest's per-user jar (cookie.h), kept across iterations. */
static void cookie_manager(jmx_conv *c, jmx_scen *sc, const jmx_node *e, bool warn)
{
    sc->cookies = true;
    if (warn && jmx_pbool(e, "CookieManager.clearEachIteration", false))
        jmx_report(c, e, "cookie manager \"%s\": clearing cookies each iteration is not supported: they are kept",
                   jmx_title(e));
}

/* A CSV Data Set Config: the scenario's `data:` (feeder.h) when it can say the same: ','
 * as the delimiter, a file name without functions, names that are variable names. One per
 * thread group (the first in scope); the others are reported. */
static void csv_data_set(jmx_conv *c, jmx_scen *sc, const jmx_node *e, bool warn)
{
    const char *title = jmx_title(e);
    if (sc->data_file) {
        if (warn)
            jmx_report(c, e, "CSV Data Set \"%s\": a thread group reads one data file in ptest: skipped", title);
        return;
    }
    const char *file = jmx_pstr(e, "filename"), *names = jmx_pstr(e, "variableNames");
    const char *delim = jmx_pstr(e, "delimiter"), *share = jmx_pstr(e, "shareMode");
    const char *why = NULL;
    if (!*file || strstr(file, "${"))
        why = "its file name is empty or uses variables or functions";
    else if (*delim && strcmp(delim, ",") != 0)
        why = "ptest reads ',' separated files only";
    if (why) {
        if (warn)
            jmx_report(c, e, "CSV Data Set \"%s\": not mapped: %s", title, why);
        return;
    }
    /* The file must be readable now (the plan reads it at load), and the names become
     * run-time variables: variableNames, else the file's first row. */
    char head[1024], path[4096];
    const char *cols = names;
    const char *slash = file[0] != '/' && c->file ? strrchr(c->file, '/') : NULL;
    snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - c->file + 1) : 0, c->file ? c->file : "", file);
    FILE *f = fopen(path, "r");
    bool got = f && fgets(head, sizeof head, f);
    if (f)
        fclose(f);
    if (!got) {
        if (warn)
            jmx_report(c, e, "CSV Data Set \"%s\": not mapped: cannot read %s", title, path);
        return;
    }
    if (!*names) {
        head[strcspn(head, "\r\n")] = '\0';
        cols = head;
    }
    char one[VARS_MAX_NAME + 1];
    for (const char *q = cols; *q;) {
        size_t n = strcspn(q, ",");
        const char *b = q;
        while (n && (*b == ' ' || *b == '"'))
            b++, n--;
        while (n && (b[n - 1] == ' ' || b[n - 1] == '"'))
            n--;
        if (n > VARS_MAX_NAME || !vars_name_ok(b, n)) {
            if (warn)
                jmx_report(c, e, "CSV Data Set \"%s\": not mapped: a column is not a ptest variable name", title);
            return;
        }
        memcpy(one, b, n);
        one[n] = '\0';
        char *keep = jmx_pdup(c, one);
        if (!keep || !jmx_rt_var(c, e, keep))
            return;
        q += strcspn(q, ",");
        if (*q == ',')
            q++;
    }
    bool recycle = jmx_pbool(e, "recycle", true), stop = jmx_pbool(e, "stopThread", false);
    if (!(sc->data_file = jmx_pdup(c, file)) || (*names && !(sc->data_columns = jmx_pdup(c, names))))
        return;
    sc->data_header = *names && jmx_pbool(e, "ignoreFirstLine", false);
    sc->data_unique = !recycle;
    if (!warn)
        return;
    if (!recycle && !stop)
        jmx_report(c, e,
                   "CSV Data Set \"%s\": recycle off without stopThread (JMeter sends <EOF>): ptest stops a "
                   "user when the rows run out (mode: unique)",
                   title);
    if (*share && strcmp(share, "shareMode.all") != 0)
        jmx_report(c, e, "CSV Data Set \"%s\": sharing mode %s: ptest shares the rows between all users", title, share);
}

void jmx_push_scope(jmx_conv *c, const jmx_node *n)
{
    const jmx_node **slot = jmx_grow(c, &c->scope, &c->n_scope, &c->cap_scope, sizeof *c->scope);
    if (slot)
        *slot = n;
}

/* The next (element, its hashTree or NULL) pair of a hashTree at *i. */
const jmx_node *jmx_next_pair(const jmx_node *ht, size_t *i, const jmx_node **kids)
{
    while (*i < ht->n_kids) {
        const jmx_node *e = ht->kids[(*i)++];
        if (strcmp(e->name, "hashTree") == 0)
            continue; /* stray tree: nothing owns it */
        *kids = NULL;
        if (*i < ht->n_kids && strcmp(ht->kids[*i]->name, "hashTree") == 0)
            *kids = ht->kids[(*i)++];
        return e;
    }
    return NULL;
}

/* ---------------------------------------------------------------- tree walk -------- */

static void walk(jmx_conv *c, jmx_scen *sc, const jmx_node *ht, unsigned level);

static void walk_element(jmx_conv *c, jmx_scen *sc, const jmx_node *e, const jmx_node *kids, unsigned level)
{
    if (++c->visits > MAX_VISITS) {
        jmx_fatal(c, e, JMX_ERR_PLAN, "the plan's loops expand to more than %d elements", MAX_VISITS);
        return;
    }
    if (is_sampler(e)) {
        jmx_add_request(c, sc, e, kids);
    } else if (strcmp(e->name, "GenericController") == 0 || strcmp(e->name, "TransactionController") == 0) {
        if (kids)
            walk(c, sc, kids, level + 1);
    } else if (strcmp(e->name, "LoopController") == 0) {
        int64_t loops;
        if (!jmx_num_prop(c, e, "LoopController.loops", -1, MAX_LOOP_EXPANSION, 1, &loops))
            return;
        if (loops < 0) {
            jmx_report(c, e, "loop controller \"%s\" loops forever: not supported, its children run once",
                       jmx_title(e));
            loops = 1;
        }
        for (int64_t i = 0; i < loops && kids && !c->fail; i++) {
            /* Report problems inside the body once, not once per repetition. */
            c->quiet += i > 0;
            walk(c, sc, kids, level + 1);
            c->quiet -= i > 0;
        }
    } else if (jmx_is_scoped_config(e) || strcmp(e->name, "Arguments") == 0) {
        /* taken in the scope pass */
    } else if (jmx_is_timer(e)) {
        if (level > 0)
            jmx_report(c, e,
                       "timer \"%s\" inside a controller is not supported (think time is per thread group): skipped",
                       jmx_title(e));
    } else {
        jmx_report(c, e, "%s \"%s\" is not supported: skipped", e->name, jmx_title(e));
    }
}

/* level 0: the thread group's own tree. */
static void walk(jmx_conv *c, jmx_scen *sc, const jmx_node *ht, unsigned level)
{
    size_t mark = c->n_scope, i = 0;
    const jmx_node *e, *kids;

    while ((e = jmx_next_pair(ht, &i, &kids)) && !c->fail) {
        if (!jmx_enabled(e))
            continue;
        if (strcmp(e->name, "CookieManager") == 0)
            cookie_manager(c, sc, e, true);
        if (strcmp(e->name, "CSVDataSet") == 0)
            csv_data_set(c, sc, e, c->quiet == 0);
        if (jmx_is_scoped_config(e))
            jmx_push_scope(c, e);
        else if (strcmp(e->name, "Arguments") == 0)
            jmx_add_vars(c, e);
        else if (jmx_is_timer(e) && level == 0)
            jmx_add_timer(c, &c->think, e);
    }
    i = 0;
    while ((e = jmx_next_pair(ht, &i, &kids)) && !c->fail)
        if (jmx_enabled(e))
            walk_element(c, sc, e, kids, level);
    c->n_scope = mark;
}

static uint64_t ms_to_ns(jmx_conv *c, const jmx_node *at, double ms)
{
    double ns = ms * 1e6 + 0.5;
    if (ns > (double)MAX_THINK_NS) {
        jmx_report(c, at, "think time above 1h: clamped to 1h");
        return MAX_THINK_NS;
    }
    return (uint64_t)ns;
}

static void thread_group(jmx_conv *c, const jmx_node *tg, const jmx_node *kids)
{
    const jmx_node *lc = jmx_prop_elem(tg, "ThreadGroup.main_controller");
    int64_t threads, ramp, loops, duration = 0, delay = 0;
    bool sched = jmx_pbool(tg, "ThreadGroup.scheduler", false);

    if (!jmx_num_prop(c, tg, "ThreadGroup.num_threads", 0, 1000000, 1, &threads) ||
        !jmx_num_prop(c, tg, "ThreadGroup.ramp_time", 0, 365 * 86400, 0, &ramp) ||
        !jmx_num_prop(c, lc, "LoopController.loops", -1, INT64_C(1000000000000), 1, &loops))
        return;
    if (sched && (!jmx_num_prop(c, tg, "ThreadGroup.duration", 0, 365 * 86400, 0, &duration) ||
                  !jmx_num_prop(c, tg, "ThreadGroup.delay", 0, 365 * 86400, 0, &delay)))
        return;
    if (jmx_pbool(lc, "LoopController.continue_forever", false) && loops < 0)
        loops = -1;
    const char *err_action = jmx_pstr(tg, "ThreadGroup.on_sample_error");
    if (*err_action && strcmp(err_action, "continue") != 0)
        jmx_report(c, tg, "thread group \"%s\": on_sample_error \"%s\" is not supported: ptest continues after errors",
                   jmx_title(tg), err_action);
    if (threads == 0 || loops == 0) {
        jmx_report(c, tg, "thread group \"%s\" has no %s: skipped", jmx_title(tg), threads ? "loops" : "threads");
        return;
    }
    jmx_scen *sc = jmx_grow(c, &c->m->sc, &c->m->n_sc, &c->cap_sc, sizeof *c->m->sc);
    if (!sc)
        return;
    memset(sc, 0, sizeof *sc); /* the slot of a skipped group is reused */
    sc->line = tg->line;
    c->think = c->plan_think;
    c->cap_reqs = 0;
    sc->users = (uint64_t)threads;
    sc->ramp_ns = (uint64_t)ramp * NS_PER_S;
    sc->delay_ns = (uint64_t)delay * NS_PER_S;
    if (loops > 0)
        sc->iterations = (uint64_t)loops;
    if (sched && duration > 0) {
        /* JMeter's duration counts from the group's start and includes the ramp-up. */
        uint64_t d = (uint64_t)duration * NS_PER_S;
        sc->hold_ns = d > sc->ramp_ns ? d - sc->ramp_ns : NS_PER_MS;
        if (d <= sc->ramp_ns)
            jmx_report(c, tg,
                       "thread group \"%s\": duration %" PRId64
                       "s is not longer than its ramp-up: later threads never start",
                       jmx_title(tg), duration);
    } else if (loops < 0) {
        if (!c->o->duration_ns) {
            jmx_fatal(c, tg, JMX_ERR_PLAN,
                      "thread group \"%s\" loops forever without a scheduler duration: "
                      "set one in the plan or pass -d",
                      jmx_title(tg));
            return;
        }
        sc->hold_ns = c->o->duration_ns > sc->ramp_ns ? c->o->duration_ns - sc->ramp_ns : NS_PER_S;
    }
    if (sc->delay_ns + sc->ramp_ns + sc->hold_ns > PLAN_MAX_DURATION_NS) {
        jmx_fatal(c, tg, JMX_ERR_PLAN, "thread group \"%s\" lasts longer than 365 days", jmx_title(tg));
        return;
    }
    char *name = jmx_subst(c, tg, jmx_title(tg));
    if (!name || !(name = jmx_clean_label(c, tg, name, "thread group")))
        return;
    char *base = name;
    for (unsigned k = 2; k < 10000; k++) {
        bool dup = false;
        for (size_t i = 0; i + 1 < c->m->n_sc; i++)
            dup |= strcmp(c->m->sc[i].name, name) == 0;
        if (!dup)
            break;
        char b[PLAN_MAX_LABEL + 16];
        snprintf(b, sizeof b, "%.*s (%u)", PLAN_MAX_LABEL - 8, base, k);
        if (!(name = jmx_pdup(c, b)))
            return;
    }
    sc->name = name;
    for (size_t i = 0; i < c->n_scope; i++) /* a plan-level cookie manager (reported once) */
        if (strcmp(c->scope[i]->name, "CookieManager") == 0)
            cookie_manager(c, sc, c->scope[i], c->m->n_sc == 1);
        else if (strcmp(c->scope[i]->name, "CSVDataSet") == 0)
            csv_data_set(c, sc, c->scope[i], c->m->n_sc == 1);
    if (kids)
        walk(c, sc, kids, 0);
    const jmx_think *t = &c->think;
    sc->think_dist = t->n_random ? t->dist : RNG_CONSTANT;
    sc->think_mean_ns = ms_to_ns(c, tg, t->mean_ms);
    sc->think_sd_ns = t->n_random ? ms_to_ns(c, tg, sqrt(t->var_ms2)) : 0;
    if (!c->fail && sc->n_reqs == 0) {
        jmx_report(c, tg, "thread group \"%s\" has no HTTP samplers: skipped", jmx_title(tg));
        c->m->n_sc--;
        return;
    }
    /* Keep-alive is per scenario in ptest, per sampler in JMeter. */
    size_t n_close = 0;
    for (size_t i = 0; i < sc->n_reqs; i++)
        n_close += sc->reqs[i].no_keepalive;
    sc->no_keep_alive = n_close == sc->n_reqs;
    if (n_close && !sc->no_keep_alive)
        jmx_report(c, tg,
                   "thread group \"%s\": %zu of %zu samplers have keep-alive off; ptest's keep_alive is per "
                   "thread group: kept on for all",
                   jmx_title(tg), n_close, sc->n_reqs);
}

static void test_plan(jmx_conv *c, const jmx_node *tp, const jmx_node *kids)
{
    size_t i = 0;
    const jmx_node *e, *k;

    jmx_add_vars(c, jmx_prop_elem(tp, "TestPlan.user_defined_variables"));
    if (jmx_pbool(tp, "TestPlan.serialize_threadgroups", false))
        jmx_report(c, tp, "\"run thread groups consecutively\" is not supported: they run at the same time");
    char *name = jmx_subst(c, tp, jmx_title(tp));
    if (name && *name)
        c->m->name = jmx_clean_label(c, tp, name, "plan");
    if (!kids)
        return;
    /* Scope first: variables, plan headers, defaults, assertions and timers apply to every
     * thread group wherever they stand in the plan's tree. */
    while ((e = jmx_next_pair(kids, &i, &k)) && !c->fail) {
        if (!jmx_enabled(e))
            continue;
        if (strcmp(e->name, "Arguments") == 0) {
            jmx_add_vars(c, e);
        } else if (strcmp(e->name, "HeaderManager") == 0) {
            jmx_add_headers(c, e, &c->m->headers, &c->m->n_headers, &c->cap_headers);
        } else if (jmx_is_scoped_config(e)) {
            jmx_push_scope(c, e);
        } else if (jmx_is_timer(e)) {
            jmx_add_timer(c, &c->plan_think, e);
        }
    }
    c->plan_mark = c->n_scope;
    i = 0;
    while ((e = jmx_next_pair(kids, &i, &k)) && !c->fail) {
        if (!jmx_enabled(e) || jmx_is_scoped_config(e) || jmx_is_timer(e) || strcmp(e->name, "Arguments") == 0)
            continue;
        if (strcmp(e->name, "ThreadGroup") == 0)
            thread_group(c, e, k);
        else
            jmx_report(c, e, "%s \"%s\" is not supported: skipped", e->name, jmx_title(e));
    }
}

/* ---------------------------------------------------------------- entry point ------ */

int jmx_plan_build(jmx_model *m, const char *file, const jmx_node *root, const jmx_opts *o, char *err, size_t errlen)
{
    jmx_conv c;
    size_t i = 0;
    const jmx_node *top = NULL, *tp = NULL, *kids = NULL;

    memset(m, 0, sizeof *m);
    memset(&c, 0, sizeof c);
    c.m = m;
    c.file = file;
    c.o = o;
    c.err = err;
    c.errlen = errlen;
    if (strcmp(root->name, "jmeterTestPlan") != 0) {
        jmx_fatal(&c, root, JMX_ERR_PLAN, "not a JMeter plan (the root element is <%s>, expected <jmeterTestPlan>)",
                  root->name);
        goto done;
    }
    if (root->n_kids)
        top = root->kids[0];
    if (top && strcmp(top->name, "hashTree") == 0)
        tp = jmx_next_pair(top, &i, &kids);
    if (!tp || strcmp(tp->name, "TestPlan") != 0) {
        jmx_fatal(&c, tp ? tp : root, JMX_ERR_PLAN, "expected a <TestPlan> in the first <hashTree>");
        goto done;
    }
    test_plan(&c, tp, kids);
    if (c.fail)
        goto done;
    if (m->n_sc == 0) {
        jmx_fatal(&c, tp, JMX_ERR_PLAN, "no enabled thread group with HTTP samplers");
        goto done;
    }
    if (o->strict && m->n_notes)
        jmx_fatal(&c, NULL, JMX_ERR_STRICT, "%zu unsupported element%s or value%s (--strict)", m->n_notes,
                  m->n_notes == 1 ? "" : "s", m->n_notes == 1 ? "" : "s");
done:
    return c.fail;
}

void jmx_model_fini(jmx_model *m)
{
    for (size_t i = 0; i < m->n_pool; i++)
        free(m->pool[i]);
    free(m->pool);
    memset(m, 0, sizeof *m);
}
