/* fuzz_plan.c - libFuzzer target for the plan loader: any input either loads into a plan
 * that keeps the documented invariants, or fails with a located, terminated message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "ptest/plan/plan.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void check_loaded(plan *p)
{
    size_t n_labels = plan_labels(p, NULL, 0);
    check(p->n_scenarios >= 1 && p->name && p->source);
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *s = &p->scenarios[i];
        uint64_t w = 0;
        check(s->name && s->n_requests >= 1);
        check(plan_scenario_duration(s) <= PLAN_MAX_DURATION_NS);
        if (s->model == PLAN_OPEN) {
            check(s->n_stages >= 1 && s->max_connections >= 1);
            for (size_t j = 0; j < s->n_stages; j++)
                check(s->stages[j].rate > 0 && s->stages[j].duration_ns > 0);
        } else {
            check(s->users >= 1 && (s->hold_for_ns > 0 || s->iterations > 0));
        }
        for (size_t j = 0; j < s->n_requests; j++) {
            const plan_request *r = &s->requests[j];
            check(r->label && strlen(r->label) <= PLAN_MAX_LABEL && r->label_id < n_labels);
            check(r->method && r->path && r->path[0] == '/' && r->weight >= 1);
            check(!r->body || strlen(r->body) == r->body_len);
            w += r->weight;
        }
        check(w == s->weight_total);
    }
    for (size_t i = 0; i < p->n_thresholds; i++)
        check(p->thresholds[i].label && p->thresholds[i].expr && p->thresholds[i].expr[0]);
    char err[256];
    check(plan_validate(p, err, sizeof err) == (p->target.host ? 0 : -1));
    plan_set_duration(p, 1500000000u);
    for (size_t i = 0; i < p->n_scenarios; i++)
        check(plan_scenario_duration(&p->scenarios[i]) <= PLAN_MAX_DURATION_NS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan p;
    char err[512];

    memset(err, 'x', sizeof err);
    if (plan_load_string(&p, "fuzz.yaml", (const char *)data, size, err, sizeof err) == 0) {
        check_loaded(&p);
        plan_fini(&p);
    } else {
        check(memchr(err, '\0', sizeof err) != NULL && strncmp(err, "fuzz.yaml", 9) == 0);
        check(p.scenarios == NULL && p.n_scenarios == 0);
    }
    return 0;
}
