/* test_ptest_instances.c - the X-Served-By table (ptest/engine/instances.c): slots, the
 * "other" bucket, per-label rows, merging by value (threads, ptest merge), order, evenness. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/engine/instances.h"

static instances *make(size_t n_labels)
{
    instances *t = malloc(sizeof(*t));
    assert_non_null(t);
    assert_int_equal(instances_init(t, n_labels), 0);
    return t;
}

static void destroy(instances *t)
{
    instances_fini(t);
    free(t);
}

static unsigned find(instances *t, const char *v)
{
    return instances_find(t, v, strlen(v), INSTANCES_OTHER);
}

static void test_find(void **state)
{
    (void)state;
    instances *t = make(0);
    assert_int_equal(find(t, "msdemo-a"), 0);
    assert_int_equal(find(t, "msdemo-b"), 1);
    assert_int_equal(find(t, "msdemo-a"), 0);
    assert_int_equal(instances_find(t, "msdemo-b", 8, 1), 1); /* the hint */
    assert_int_equal(instances_find(t, "msdemo-a", 8, 1), 0); /* a wrong hint is harmless */
    assert_int_equal(instances_find(t, "msdemo-a", 8, 200), 0);
    assert_int_equal(instances_find(t, "msdemo-abc", 6, 0), 2); /* by length: "msdemo" */
    assert_string_equal(t->name[2], "msdemo");
    assert_int_equal(t->n, 3);
    /* No slot: empty, too long, control or non-ASCII bytes. */
    char longv[INSTANCES_NAME_MAX + 2];
    memset(longv, 'x', sizeof(longv));
    assert_int_equal(instances_find(t, longv, INSTANCES_NAME_MAX + 1, INSTANCES_OTHER), INSTANCES_OTHER);
    assert_int_equal(instances_find(t, longv, INSTANCES_NAME_MAX, INSTANCES_OTHER), 3);
    assert_int_equal(instances_find(t, "", 0, INSTANCES_OTHER), INSTANCES_OTHER);
    assert_int_equal(find(t, "a\tb"), INSTANCES_OTHER);
    assert_int_equal(find(t, "caf\xc3\xa9"), INSTANCES_OTHER);
    assert_int_equal(t->n, 4);
    destroy(t);
}

/* The first 64 distinct values get slots; the 65th and later go to "other". */
static void test_bound(void **state)
{
    (void)state;
    instances *t = make(2);
    char v[16];
    for (int i = 0; i < INSTANCES_MAX + 10; i++) {
        snprintf(v, sizeof(v), "pod-%d", i);
        unsigned idx = find(t, v);
        assert_int_equal(idx, i < INSTANCES_MAX ? (unsigned)i : INSTANCES_OTHER);
        instances_count(t, (size_t)(i % 2), idx);
    }
    assert_int_equal(t->n, INSTANCES_MAX);
    assert_int_equal(instances_get(t, INSTANCES_TOTAL, INSTANCES_OTHER), 10);
    assert_int_equal(instances_get(t, 0, INSTANCES_OTHER), 5);
    assert_int_equal(instances_get(t, 1, INSTANCES_OTHER), 5);
    assert_int_equal(instances_get(t, 0, 0), 1);
    assert_int_equal(instances_get(t, 1, 0), 0);
    assert_int_equal(instances_get(t, 7, 0), 0); /* no such label */
    assert_int_equal(instances_responses(t), INSTANCES_MAX + 10);
    /* Known values keep counting once the table is full. */
    assert_int_equal(find(t, "pod-3"), 3);
    destroy(t);
}

/* Two threads saw the same instances in different orders, and one saw another: the sums
 * go by value, per label and in total. */
static void test_merge(void **state)
{
    (void)state;
    instances *a = make(2), *b = make(2), *m = make(2);
    instances_count(a, 0, find(a, "x"));
    instances_count(a, 0, find(a, "y"));
    instances_count(a, 1, find(a, "y"));
    instances_count(a, 1, INSTANCES_OTHER);
    instances_count(b, 1, find(b, "z"));
    instances_count(b, 0, find(b, "y"));
    instances_count(b, 0, find(b, "x"));
    instances_count(b, 0, find(b, "x"));
    instances_merge(m, a);
    instances_merge(m, b);
    assert_int_equal(m->n, 3);
    assert_string_equal(m->name[0], "x");
    assert_string_equal(m->name[1], "y");
    assert_string_equal(m->name[2], "z");
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, 0), 3);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, 1), 3);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, 2), 1);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, INSTANCES_OTHER), 1);
    assert_int_equal(instances_get(m, 0, 0), 3);
    assert_int_equal(instances_get(m, 0, 1), 2);
    assert_int_equal(instances_get(m, 1, 1), 1);
    assert_int_equal(instances_get(m, 1, 2), 1);
    assert_int_equal(instances_get(m, 1, INSTANCES_OTHER), 1);
    assert_int_equal(instances_responses(m), instances_responses(a) + instances_responses(b));

    /* ptest merge: by name from the documents, per label (adds to the total too), "other"
     * as NULL; a full destination turns new values into "other". */
    instances_add(m, 1, "z", 1, 4);
    instances_add(m, INSTANCES_TOTAL, "w", 1, 2);
    instances_add(m, 0, NULL, 0, 3);
    instances_add(m, 0, "never", 5, 0);
    assert_int_equal(m->n, 4);
    assert_int_equal(instances_get(m, 1, 2), 5);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, 2), 5);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, 3), 2);
    assert_int_equal(instances_get(m, INSTANCES_TOTAL, INSTANCES_OTHER), 4);
    instances *full = make(0);
    char v[16];
    for (int i = 0; i < INSTANCES_MAX; i++) {
        snprintf(v, sizeof(v), "p%d", i);
        instances_add(full, INSTANCES_TOTAL, v, strlen(v), 1);
    }
    instances_merge(full, m); /* labels differ (0 vs 2): the total only */
    assert_int_equal(full->n, INSTANCES_MAX);
    assert_int_equal(instances_get(full, INSTANCES_TOTAL, INSTANCES_OTHER), instances_responses(m));
    assert_int_equal(instances_responses(full), INSTANCES_MAX + instances_responses(m));
    destroy(full);
    destroy(a);
    destroy(b);
    destroy(m);
}

static void test_order_evenness(void **state)
{
    (void)state;
    instances *t = make(1);
    double max_min, cv;
    instances_evenness(t, &max_min, &cv);
    assert_true(isnan(max_min) && isnan(cv));
    instances_add(t, 0, "b", 1, 50);
    instances_add(t, 0, "a", 1, 100);
    instances_add(t, 0, "c", 1, 50);
    instances_add(t, 0, NULL, 0, 1000); /* "other" is not an instance */
    unsigned order[INSTANCES_MAX];
    assert_int_equal(instances_order(t, INSTANCES_TOTAL, order), 3);
    assert_string_equal(t->name[order[0]], "a");
    assert_string_equal(t->name[order[1]], "b"); /* ties by name */
    assert_string_equal(t->name[order[2]], "c");
    instances_evenness(t, &max_min, &cv);
    assert_true(fabs(max_min - 2.0) < 1e-12);
    /* mean 200/3, population stddev sqrt(((100-m)^2 + 2 (50-m)^2) / 3) */
    double m = 200.0 / 3, sd = sqrt((pow(100 - m, 2) + 2 * pow(50 - m, 2)) / 3);
    assert_true(fabs(cv - sd / m) < 1e-12);
    destroy(t);

    t = make(0);
    instances_add(t, INSTANCES_TOTAL, "only", 4, 7);
    instances_evenness(t, &max_min, &cv);
    assert_true(max_min == 1.0 && cv == 0.0);
    destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_order_evenness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
