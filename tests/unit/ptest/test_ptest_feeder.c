/* test_ptest_feeder.c - data files (CSV RFC 4180, JSON lines) and a plan's data: rows,
 * errors with file:line:col, the share cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ptest/journey/feeder.h"
#include "ptest/plan/plan.h"

static void field_is(const feeder *f, size_t r, size_t c, const char *want)
{
    uint32_t len;
    const char *p = feeder_field(f, r, c, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(p, want, len);
}

/* Columns named by the caller (plan columns:, JMeter variableNames): every row is data, or
 * the first one is skipped. */
static void test_csv_named(void **state)
{
    (void)state;
    feeder f;
    char err[256];
    const char *d = "u1,p1\nu2,\"p,2\"\n";
    feeder_cols c = {"user, password", false};
    assert_int_equal(feeder_parse_cols(&f, "d.csv", d, strlen(d), FEEDER_CSV, &c, err, sizeof err), 0);
    assert_int_equal(f.n_cols, 2);
    assert_string_equal(f.cols[0], "user");
    assert_string_equal(f.cols[1], "password");
    assert_int_equal(f.n_rows, 2);
    field_is(&f, 0, 0, "u1");
    field_is(&f, 1, 1, "p,2");
    feeder_fini(&f);
    c.skip_first = true;
    assert_int_equal(feeder_parse_cols(&f, "d.csv", d, strlen(d), FEEDER_CSV, &c, err, sizeof err), 0);
    assert_int_equal(f.n_rows, 1);
    field_is(&f, 0, 0, "u2");
    feeder_fini(&f);
    const char *three = "a,b,c\n";
    assert_int_equal(feeder_parse_cols(&f, "d.csv", three, strlen(three), FEEDER_CSV, &c, err, sizeof err), -1);
    c.skip_first = false;
    assert_int_equal(feeder_parse_cols(&f, "d.csv", three, strlen(three), FEEDER_CSV, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "d.csv:1:1: 3 fields, columns named: 2"));
    feeder_cols bad = {"user,__x", false};
    assert_int_equal(feeder_parse_cols(&f, "d.csv", d, strlen(d), FEEDER_CSV, &bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a variable name"));
    assert_int_equal(feeder_parse_cols(&f, "d.jsonl", d, strlen(d), FEEDER_JSONL, &c, err, sizeof err), -1);
}

static void test_csv(void **state)
{
    (void)state;
    feeder f;
    char err[256];
    const char *d = "\xef\xbb\xbfuser,password,note\r\n"
                    "u1,p1,\r\n"
                    "\n"
                    "\"u,2\",\"p\"\"2\",\"multi\r\nline\"\n"
                    "u3,p3,last";
    assert_int_equal(feeder_parse(&f, "d.csv", d, strlen(d), FEEDER_CSV, err, sizeof err), 0);
    assert_int_equal(f.n_cols, 3);
    assert_string_equal(f.cols[0], "user");
    assert_string_equal(f.cols[2], "note");
    assert_int_equal(f.n_rows, 3);
    field_is(&f, 0, 0, "u1");
    field_is(&f, 0, 2, "");
    field_is(&f, 1, 0, "u,2");
    field_is(&f, 1, 1, "p\"2");
    field_is(&f, 1, 2, "multi\r\nline");
    field_is(&f, 2, 2, "last");
    /* 3 rows of 3 fields: 4 bytes each, plus the bytes. */
    assert_true(feeder_bytes(&f) >= 10 * 4 + 20);
    feeder_keep_share(&f, 1, 2);
    assert_int_equal(f.n_rows, 1);
    field_is(&f, 0, 0, "u,2");
    field_is(&f, 0, 2, "multi\r\nline");
    feeder_fini(&f);

    static const struct {
        const char *in, *err;
    } bad[] = {
        {"a,b\n1,2,3\n", "d.csv:2:1: 3 fields, the header has 2"},
        {"a,b\n1,\"2\n", "d.csv:2:3: quoted field without its closing quote"},
        {"a,b\n1,x\"y\n", "d.csv:2:4: quote inside an unquoted field*"},
        {"a,b\n\"1\"x,2\n", "d.csv:2:4: unexpected character after a closing quote*"},
        {"a,b\n1,2\r3,4\n", "d.csv:2:4: CR without LF*"},
        {"a,a\n1,2\n", "d.csv:1:1: column \"a\" repeats"},
        {"a b,c\n1,2\n", "d.csv:1:1: column \"a b\" is not a variable name*"},
        {"a,b\n", "d.csv:2:1: no data rows"},
        {"", "d.csv:1:1: no header row*"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(feeder_parse(&f, "d.csv", bad[i].in, strlen(bad[i].in), FEEDER_CSV, err, sizeof err), -1);
        size_t wl = strlen(bad[i].err);
        if (bad[i].err[wl - 1] == '*' ? strncmp(err, bad[i].err, wl - 1) != 0 : strcmp(err, bad[i].err) != 0)
            fail_msg("case %zu: want %s, got %s", i, bad[i].err, err);
        assert_null(f.data);
    }
}

static void test_jsonl(void **state)
{
    (void)state;
    feeder f;
    char err[256];
    const char *d = "{\"user\": \"u1\", \"n\": 1, \"ok\": true, \"z\": null}\n"
                    "\n"
                    "{\"user\": \"\\u00e9\", \"n\": 2.5}\r\n";
    assert_int_equal(feeder_parse(&f, "d.jsonl", d, strlen(d), FEEDER_JSONL, err, sizeof err), 0);
    assert_int_equal(f.n_cols, 4);
    assert_int_equal(f.n_rows, 2);
    field_is(&f, 0, 0, "u1");
    field_is(&f, 0, 1, "1");
    field_is(&f, 0, 2, "true");
    field_is(&f, 0, 3, "");
    field_is(&f, 1, 0, "\xc3\xa9");
    field_is(&f, 1, 1, "2.5");
    field_is(&f, 1, 2, "");
    feeder_fini(&f);
    const char *nested = "{\"a\": 1}\n{\"a\": [1]}\n";
    assert_int_equal(feeder_parse(&f, "d.jsonl", nested, strlen(nested), FEEDER_JSONL, err, sizeof err), -1);
    assert_string_equal(err, "d.jsonl:2:1: values must be strings, numbers, true, false or null (flat objects only)");
    const char *extra = "{\"a\": 1}\n{\"b\": 1}\n";
    assert_int_equal(feeder_parse(&f, "d.jsonl", extra, strlen(extra), FEEDER_JSONL, err, sizeof err), -1);
    assert_non_null(strstr(err, "d.jsonl:2:1: key \"b\" is not a column"));
    const char *broken = "{\"a\": 1}\n{\"a\": }\n";
    assert_int_equal(feeder_parse(&f, "d.jsonl", broken, strlen(broken), FEEDER_JSONL, err, sizeof err), -1);
    assert_int_equal(strncmp(err, "d.jsonl:2:", 10), 0);
    assert_int_equal(feeder_format_of("x/users.jsonl"), FEEDER_JSONL);
    assert_int_equal(feeder_format_of("users.csv"), FEEDER_CSV);
}

/* A plan's data: columns become variables of the scenario; --share cuts the rows. */
static void test_plan_data(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_feeder_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char csv[64], yml[64], err[512];
    snprintf(csv, sizeof csv, "%s/u.csv", dir);
    snprintf(yml, sizeof yml, "%s/p.yaml", dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("user,pw\na,1\nb,2\nc,3\nd,4\ne,5\n", f);
    fclose(f);
    f = fopen(yml, "w");
    assert_non_null(f);
    fputs("target: http://h\n"
          "scenarios:\n"
          "  - users: 2\n"
          "    iterations: 1\n"
          "    data: {file: u.csv, mode: unique}\n"
          "    requests:\n"
          "      - {path: '/a/${user}', body: '${pw}'}\n"
          "  - users: 1\n"
          "    iterations: 1\n"
          "    requests:\n"
          "      - {path: '/b/${user}'}\n",
          f);
    fclose(f);
    plan p;
    assert_int_equal(plan_load_file(&p, yml, err, sizeof err), -1);
    /* The second scenario has no data: user is unknown there. */
    assert_non_null(strstr(err, "p.yaml:11:16: unknown variable \"user\" in scenario \"scenario-2\""));
    f = fopen(yml, "w");
    assert_non_null(f);
    fputs("target: http://h\n"
          "data: u.csv\n"
          "scenarios:\n"
          "  - users: 2\n"
          "    iterations: 1\n"
          "    requests:\n"
          "      - {path: '/a/${user}', body: '${pw}'}\n",
          f);
    fclose(f);
    assert_int_equal(plan_load_file(&p, yml, err, sizeof err), 0);
    assert_int_equal(p.n_data, 1);
    assert_int_equal(p.scenarios[0].data, 1);
    assert_int_equal(p.data[0].mode, PLAN_DATA_SEQUENTIAL);
    assert_int_equal(p.data[0].rows.n_rows, 5);
    assert_int_equal(plan_apply_share(&p, 1, 2, err, sizeof err), 0);
    assert_int_equal(p.data[0].rows.n_rows, 2);
    field_is(&p.data[0].rows, 0, 0, "b");
    field_is(&p.data[0].rows, 1, 0, "d");
    plan_fini(&p);
    assert_int_equal(plan_load_file(&p, yml, err, sizeof err), 0);
    assert_int_equal(plan_apply_share(&p, 5, 6, err, sizeof err), -1);
    assert_non_null(strstr(err, "has 5 rows: share 5 of 6 would get none"));
    plan_fini(&p);
    f = fopen(csv, "w");
    fputs("user,pw\na,\"1\n", f);
    fclose(f);
    assert_int_equal(plan_load_file(&p, yml, err, sizeof err), -1);
    assert_non_null(strstr(err, "p.yaml:2:7: data: "));
    assert_non_null(strstr(err, "u.csv:2:3: quoted field without its closing quote"));
    /* columns: name a file without a header row; header: true skips its first row. */
    f = fopen(csv, "w");
    fputs("a,1\nb,2\n", f);
    fclose(f);
    static const char *const named[] = {
        "data: {file: u.csv, columns: [user, pw]}\n", "data: {file: u.csv, columns: [user, pw], header: true}\n",
        "data: {file: u.csv, header: false}\n", "data: {file: u.csv, columns: [user, 'a b']}\n"};
    static const int want[] = {2, 1, -1, -1};
    for (size_t i = 0; i < 4; i++) {
        f = fopen(yml, "w");
        fprintf(f,
                "target: http://h\n%sscenarios:\n  - users: 1\n    iterations: 1\n"
                "    requests: [{path: '/a/${user}', body: '${pw}'}]\n",
                named[i]);
        fclose(f);
        int rc = plan_load_file(&p, yml, err, sizeof err);
        if (want[i] < 0) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err, i == 2 ? "p.yaml:2:29: data header: goes with columns:"
                                               : "p.yaml:2:37: data column \"a b\" is not a variable name"));
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(p.data[0].rows.n_rows, (size_t)want[i]);
        field_is(&p.data[0].rows, 0, 0, i == 0 ? "a" : "b");
        field_is(&p.data[0].rows, 0, 1, i == 0 ? "1" : "2");
        plan_fini(&p);
    }
    unlink(csv);
    unlink(yml);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_named),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_plan_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
