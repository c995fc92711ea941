/* abortwatch.c - abort_on_fail thresholds judged once a second during the run. */
#include "abortwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"

int abortwatch_init(abortwatch *w, const plan *p, const char *const *labels, size_t n_labels, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->n_labels = n_labels;
    w->labels = labels;
    size_t n = 0;
    for (size_t i = 0; i < p->n_thresholds; i++)
        n += p->thresholds[i].abort_on_fail;
    if (n == 0)
        return 0;
    w->items = calloc(n, sizeof(*w->items));
    w->count = calloc(n_labels + 1, sizeof(*w->count));
    w->errors = calloc(n_labels + 1, sizeof(*w->errors));
    if (!w->items || !w->count || !w->errors)
        goto nomem;
    for (size_t i = 0; i < p->n_thresholds; i++) {
        const plan_threshold *t = &p->thresholds[i];
        if (!t->abort_on_fail)
            continue;
        abortwatch_item *it = &w->items[w->n];
        size_t col = 0;
        char perr[160];
        if (threshold_parse(t->expr, &it->e, &col, perr, sizeof(perr)) != 0) {
            snprintf(err, errlen, "threshold \"%s\", character %zu: %s", t->expr, col + 1, perr);
            abortwatch_fini(w);
            return -1;
        }
        if (it->e.relative)
            continue; /* needs a baseline: judged at the end only */
        if (it->e.metric == THRESHOLD_CAPACITY)
            continue; /* judged by ptest capacity, never during a run */
        it->t = t;
        it->every = strcmp(t->label, "*") == 0;
        it->label = n_labels;
        for (size_t l = 0; l < n_labels && !it->every; l++)
            if (strcmp(labels[l], t->label) == 0)
                it->label = l;
        if (!it->every && it->label == n_labels)
            continue; /* a label this run does not have */
        if (!(it->streak = calloc(n_labels + 1, sizeof(*it->streak))))
            goto nomem;
        w->n++;
    }
    return 0;
nomem:
    abortwatch_fini(w);
    snprintf(err, errlen, "out of memory");
    return -1;
}

void abortwatch_fini(abortwatch *w)
{
    for (size_t i = 0; w->items && i < w->n; i++)
        free(w->items[i].streak);
    free(w->items);
    free(w->count);
    free(w->errors);
    memset(w, 0, sizeof(*w));
}

static void fire(abortwatch *w, const abortwatch_item *it, size_t l, uint32_t t, double measured)
{
    w->has_fired = true;
    w->fired.threshold = it->t->expr;
    w->fired.label = l < w->n_labels ? w->labels[l] : "total";
    w->fired.at_s = (double)t + 1;
    threshold_format_value(&it->e, measured, w->fired.measured, sizeof(w->fired.measured));
    threshold_format_limit(&it->e, w->fired.limit, sizeof(w->fired.limit));
}

/* Judges item it for label l (n_labels: the total) at the end of second t. */
static bool judge(abortwatch *w, abortwatch_item *it, size_t l, uint32_t t, const stats_interval *iv,
                  const hist *const *cum)
{
    const stats_second *sec = l < w->n_labels ? &iv->labels[l] : &iv->total;
    threshold_values v;
    if (it->e.for_ns) {
        gate_hist_values(sec->lat, sec->count, sec->errors, 1.0, &v);
        double m = threshold_value(&it->e, &v);
        if (!threshold_for_step(&it->e, m, sec->count == 0, &it->streak[l]))
            return false;
        fire(w, it, l, t, m);
        return true;
    }
    if (w->count[l] == 0)
        return false; /* nothing finished yet: nothing to judge */
    gate_hist_values(cum[l], w->count[l], w->errors[l], (double)t + 1, &v);
    double m = threshold_value(&it->e, &v);
    if (threshold_check(&it->e, m))
        return false;
    fire(w, it, l, t, m);
    return true;
}

bool abortwatch_second(abortwatch *w, uint32_t t, const stats_interval *iv, const hist *const *cum)
{
    if (w->n == 0 || w->has_fired)
        return false;
    for (size_t l = 0; l <= w->n_labels; l++) {
        const stats_second *sec = l < w->n_labels ? &iv->labels[l] : &iv->total;
        w->count[l] += sec->count;
        w->errors[l] += sec->errors;
    }
    uint64_t end_ns = ((uint64_t)t + 1) * UINT64_C(1000000000);
    for (size_t i = 0; i < w->n; i++) {
        abortwatch_item *it = &w->items[i];
        if (end_ns < it->t->delay_abort_eval_ns)
            continue;
        if (!it->every) {
            if (judge(w, it, it->label, t, iv, cum))
                return true;
            continue;
        }
        for (size_t l = 0; l <= w->n_labels; l++)
            if (judge(w, it, l, t, iv, cum))
                return true;
    }
    return false;
}
