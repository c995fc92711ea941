/* test_strdist.c - optimal string alignment distance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "strdist.h"

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        unsigned d;
    } cases[] = {
        {"", "", 0},
        {"a", "", 1},
        {"", "abc", 3},
        {"stddev", "stddev", 0},
        {"stdev", "stddev", 1},
        {"endpionts", "endpoints", 1},
        {"ab", "ba", 1},
        {"abc", "cab", 2},
        {"kitten", "sitting", 3},
        {"max_conections", "max_connections", 1},
        {"x", "n", 1},
        {"ABC", "abc", 3},
        {"a\0b", "a\0c", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t la = strlen(cases[i].a), lb = strlen(cases[i].b);
        if (i == sizeof cases / sizeof cases[0] - 1)
            la = lb = 3; /* embedded NUL: lengths, not strlen */
        assert_int_equal(strdist_osa(cases[i].a, la, cases[i].b, lb), cases[i].d);
        assert_int_equal(strdist_osa(cases[i].b, lb, cases[i].a, la), cases[i].d); /* symmetric */
    }
}

static void test_limits(void **state)
{
    (void)state;
    char a[STRDIST_MAXLEN + 2], b[STRDIST_MAXLEN + 2];
    memset(a, 'a', sizeof a);
    memset(b, 'a', sizeof b);
    b[STRDIST_MAXLEN - 1] = 'b';
    assert_int_equal(strdist_osa(a, STRDIST_MAXLEN, b, STRDIST_MAXLEN), 1);
    assert_int_equal(strdist_osa(a, STRDIST_MAXLEN + 1, b, 1), (unsigned)-1);
    assert_int_equal(strdist_osa(a, 1, b, STRDIST_MAXLEN + 1), (unsigned)-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
