/* instances.c - the bounded table of X-Served-By values (instances.h). */
#include "instances.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(INSTANCES_NAME_MAX <= UINT8_MAX && INSTANCES_MAX <= UINT8_MAX, "lengths and slots fit uint8_t");

int instances_init(instances *t, size_t n_labels)
{
    memset(t, 0, sizeof(*t));
    if (n_labels > 0) {
        /* calloc: the rows of labels that never see the header cost no RAM. */
        t->counts = calloc(n_labels, (INSTANCES_MAX + 1) * sizeof(*t->counts));
        if (!t->counts)
            return -1;
    }
    t->n_labels = n_labels;
    return 0;
}

void instances_fini(instances *t)
{
    free(t->counts);
    memset(t, 0, sizeof(*t));
}

static bool usable(const char *v, size_t n)
{
    if (n == 0 || n > INSTANCES_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return false;
    return true;
}

unsigned instances_find(instances *t, const char *v, size_t n, unsigned hint)
{
    if (hint < t->n && t->len[hint] == n && memcmp(t->name[hint], v, n) == 0)
        return hint;
    if (!usable(v, n))
        return INSTANCES_OTHER;
    for (unsigned i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->name[i], v, n) == 0)
            return i;
    if (t->n == INSTANCES_MAX)
        return INSTANCES_OTHER;
    unsigned i = t->n++;
    memcpy(t->name[i], v, n);
    t->name[i][n] = '\0';
    t->len[i] = (uint8_t)n;
    return i;
}

void instances_add(instances *t, size_t label, const char *v, size_t n, uint64_t count)
{
    if (count == 0)
        return;
    unsigned idx = v ? instances_find(t, v, n, INSTANCES_OTHER) : INSTANCES_OTHER;
    t->total[idx] += count;
    if (t->counts && label < t->n_labels)
        t->counts[label * (INSTANCES_MAX + 1) + idx] += count;
}

void instances_merge(instances *dst, const instances *src)
{
    unsigned map[INSTANCES_MAX + 1];
    for (unsigned i = 0; i < src->n; i++)
        map[i] = instances_find(dst, src->name[i], src->len[i], i);
    for (unsigned i = src->n; i <= INSTANCES_MAX; i++)
        map[i] = INSTANCES_OTHER;
    for (unsigned i = 0; i <= INSTANCES_MAX; i++)
        dst->total[map[i]] += src->total[i];
    if (!dst->counts || !src->counts)
        return;
    size_t nl = dst->n_labels < src->n_labels ? dst->n_labels : src->n_labels;
    for (size_t l = 0; l < nl; l++) {
        const uint64_t *s = &src->counts[l * (INSTANCES_MAX + 1)];
        uint64_t *d = &dst->counts[l * (INSTANCES_MAX + 1)];
        for (unsigned i = 0; i <= INSTANCES_MAX; i++)
            if (s[i])
                d[map[i]] += s[i];
    }
}

uint64_t instances_responses(const instances *t)
{
    uint64_t n = 0;
    for (unsigned i = 0; i <= INSTANCES_MAX; i++)
        n += t->total[i];
    return n;
}

uint64_t instances_get(const instances *t, size_t label, unsigned idx)
{
    if (idx > INSTANCES_MAX)
        return 0;
    if (label == INSTANCES_TOTAL)
        return t->total[idx];
    if (!t->counts || label >= t->n_labels)
        return 0;
    return t->counts[label * (INSTANCES_MAX + 1) + idx];
}

unsigned instances_order(const instances *t, size_t label, unsigned order[INSTANCES_MAX])
{
    /* Insertion sort: at most 64 entries, once per report. */
    for (unsigned i = 0; i < t->n; i++) {
        uint64_t c = instances_get(t, label, i);
        unsigned j = i;
        while (j > 0) {
            uint64_t p = instances_get(t, label, order[j - 1]);
            if (p > c || (p == c && strcmp(t->name[order[j - 1]], t->name[i]) < 0))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return t->n;
}

void instances_evenness(const instances *t, double *max_min, double *cv)
{
    double sum = 0, mx = 0, mn = INFINITY;
    unsigned k = 0;
    for (unsigned i = 0; i < t->n; i++) {
        double c = (double)t->total[i];
        if (c <= 0)
            continue;
        k++;
        sum += c;
        mx = fmax(mx, c);
        mn = fmin(mn, c);
    }
    if (k == 0) {
        *max_min = *cv = NAN;
        return;
    }
    double mean = sum / k, dev = 0;
    for (unsigned i = 0; i < t->n; i++)
        if (t->total[i] > 0)
            dev += ((double)t->total[i] - mean) * ((double)t->total[i] - mean);
    *max_min = mx / mn;
    *cv = sqrt(dev / k) / mean;
}
