/* instances.h - requests per server instance: a bounded table of the values of the responses'
 * `X-Served-By` header (msdemo sends its instance name there: its pod name in Kubernetes),
 * with a count per value, per label and in total.
 *
 * The first INSTANCES_MAX distinct values get a slot each, in order of first appearance; a
 * response whose value finds no slot (the table is full, the value is empty, longer than
 * INSTANCES_NAME_MAX bytes or holds a byte outside printable ASCII) counts in the "other"
 * bucket, index INSTANCES_OTHER. Nothing allocates after instances_init: the client looks a
 * value up when it parses a response head (instances_find, a compare against the
 * connection's last value first, then a scan of at most INSTANCES_MAX names) and the engine
 * counts the finished response (instances_count).
 *
 * Evenness of the whole run (instances_evenness), over the named values (not "other"),
 * each of which served at least one response:
 *   max_min  the largest count divided by the smallest: 1 is perfectly even, 2 means the
 *            busiest instance served twice as many requests as the idlest
 *   cv       coefficient of variation: the population standard deviation of the counts
 *            divided by their mean: 0 is perfectly even; it does not grow with the number
 *            of instances as max_min does, so it compares runs of different replica counts
 * Both are NaN without a named value. Instances that served nothing cannot be seen (they
 * never answered): compare the number of values with the replicas you expect.
 *
 * Threads: each engine thread owns one table (no lock); after the run the coordinator adds
 * them up by name (instances_merge), as `ptest merge` adds the workers' (instances_add).
 */
#ifndef PTEST_INSTANCES_H
#define PTEST_INSTANCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSTANCES_MAX 64       /* distinct values kept */
#define INSTANCES_NAME_MAX 128 /* bytes of a value kept */
#define INSTANCES_OTHER INSTANCES_MAX
#define INSTANCES_HEADER "X-Served-By"
#define INSTANCES_TOTAL SIZE_MAX /* instances_add: the total only, no label */

typedef struct instances {
    size_t n_labels;
    unsigned n; /* named values so far, <= INSTANCES_MAX */
    uint8_t len[INSTANCES_MAX];
    char name[INSTANCES_MAX][INSTANCES_NAME_MAX + 1]; /* NUL-terminated */
    uint64_t total[INSTANCES_MAX + 1];                /* [INSTANCES_OTHER]: "other" */
    uint64_t *counts;                                 /* [n_labels][INSTANCES_MAX + 1], NULL
                                                         when n_labels is 0 */
} instances;

/* Prepares an empty table for n_labels labels (0: the total only). Returns 0 or -1 (out of
 * memory; nothing to free then). */
int instances_init(instances *t, size_t n_labels);
void instances_fini(instances *t);

/* The slot of value v (n bytes), added if new and there is room, else INSTANCES_OTHER.
 * hint: a slot to try first (the caller's last answer; any value is safe). */
unsigned instances_find(instances *t, const char *v, size_t n, unsigned hint);

/* Counts one response of label with slot idx (instances_find). Never allocates. */
static inline void instances_count(instances *t, size_t label, unsigned idx)
{
    t->total[idx]++;
    if (t->counts && label < t->n_labels)
        t->counts[label * (INSTANCES_MAX + 1) + idx]++;
}

/* Adds count responses of value v (n bytes; NULL: the "other" bucket) to label (or only to
 * the total: INSTANCES_TOTAL) and to the total. */
void instances_add(instances *t, size_t label, const char *v, size_t n, uint64_t count);
/* dst += src by value (the same labels; src's values that find no slot in dst go to
 * "other"). */
void instances_merge(instances *dst, const instances *src);

/* Responses that carried the header: the named counts and "other". */
uint64_t instances_responses(const instances *t);
/* Count of slot idx for label (INSTANCES_TOTAL: the total). */
uint64_t instances_get(const instances *t, size_t label, unsigned idx);
/* The named slots in the order to report them: by count, highest first (ties by name);
 * label as in instances_get. Writes t->n indices into order and returns t->n. */
unsigned instances_order(const instances *t, size_t label, unsigned order[INSTANCES_MAX]);
/* See the top of the file (the total). */
void instances_evenness(const instances *t, double *max_min, double *cv);

#endif
