/* test_jsonw.c - streaming JSON writer: structure, escaping, numbers, misuse. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"

static void test_compact_structure(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "a");
    jsonw_u64(&w, 1);
    jsonw_key(&w, "list");
    jsonw_arr_begin(&w);
    jsonw_i64(&w, -2);
    jsonw_bool(&w, true);
    jsonw_null(&w);
    jsonw_obj_begin(&w);
    jsonw_obj_end(&w);
    jsonw_arr_begin(&w);
    jsonw_arr_end(&w);
    jsonw_str(&w, "s");
    jsonw_arr_end(&w);
    jsonw_key(&w, "b");
    jsonw_bool(&w, false);
    jsonw_obj_end(&w);
    assert_true(buf_ok(&b));
    assert_string_equal(b.data, "{\"a\":1,\"list\":[-2,true,null,{},[],\"s\"],\"b\":false}");
    assert_int_equal(w.depth, 0);
    buf_fini(&b);
}

static void test_pretty(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 2);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "name");
    jsonw_str(&w, "x");
    jsonw_key(&w, "v");
    jsonw_arr_begin(&w);
    jsonw_u64(&w, 1);
    jsonw_u64(&w, 2);
    jsonw_arr_end(&w);
    jsonw_key(&w, "e");
    jsonw_obj_begin(&w);
    jsonw_obj_end(&w);
    jsonw_obj_end(&w);
    assert_true(buf_ok(&b));
    assert_string_equal(b.data, "{\n"
                                "  \"name\": \"x\",\n"
                                "  \"v\": [\n"
                                "    1,\n"
                                "    2\n"
                                "  ],\n"
                                "  \"e\": {}\n"
                                "}");
    buf_fini(&b);
}

/* Several top-level values form JSON lines, never a comma-joined non-JSON text. */
static void test_top_level_values(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_obj_begin(&w);
    jsonw_obj_end(&w);
    jsonw_u64(&w, 5);
    jsonw_str(&w, NULL); /* NULL string -> null */
    assert_string_equal(b.data, "{}\n5\nnull");
    buf_fini(&b);
}

static void test_integers(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_arr_begin(&w);
    jsonw_u64(&w, UINT64_MAX);
    jsonw_i64(&w, INT64_MIN);
    jsonw_i64(&w, INT64_MAX);
    jsonw_u64(&w, 0);
    jsonw_arr_end(&w);
    assert_string_equal(b.data, "[18446744073709551615,-9223372036854775808,9223372036854775807,0]");
    buf_fini(&b);
}

static const struct esc_case {
    const char *in;
    size_t len;
    const char *want;
} esc_cases[] = {
#define E(in, want)                                                                                                    \
    {                                                                                                                  \
        in, sizeof(in) - 1, want                                                                                       \
    }
    E("plain", "plain"),
    E("", ""),
    E("q\"b\\s/", "q\\\"b\\\\s/"),
    E("\n\r\t\b\f", "\\n\\r\\t\\b\\f"),
    E("a\0b", "a\\u0000b"), /* NUL inside the data */
    E("\x01\x1f\x7f", "\\u0001\\u001f\\u007f"),
    E("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), /* é € 😀 */
    E("\xEF\xBF\xBF", "\xEF\xBF\xBF"),                                                 /* U+FFFF is well-formed */
    E("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"),                                 /* U+10FFFF, the last code point */
    E("a\x80z", "a\xEF\xBF\xBDz"),                                             /* lone continuation byte */
    E("\xC0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD"),                                 /* overlong NUL: two bad bytes */
    E("\xE0\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),                 /* overlong 3-byte */
    E("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),                 /* UTF-16 surrogate */
    E("\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"), /* > U+10FFFF */
    E("\xF5\xFF", "\xEF\xBF\xBD\xEF\xBF\xBD"),
    E("\xE2\x82", "\xEF\xBF\xBD"), /* truncated at the end: one U+FFFD */
    E("\xE2\x82"
      "A",
      "\xEF\xBF\xBD"
      "A"), /* truncated, then ASCII survives */
    E("\xF0\x9F\x98", "\xEF\xBF\xBD"),
    E("\xC3"
      "\"",
      "\xEF\xBF\xBD\\\""), /* bad lead must not swallow the quote */
#undef E
};

static void test_escape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
        const struct esc_case *c = &esc_cases[i];
        buf b = BUF_INIT;
        jsonw_escape(&b, c->in, c->len);
        assert_true(buf_ok(&b));
        bool same = b.len == strlen(c->want) && (b.len == 0 || memcmp(b.data, c->want, b.len) == 0);
        if (!same)
            print_error("case %zu: got \"%s\", want \"%s\"\n", i, b.data ? b.data : "", c->want);
        buf_fini(&b);
        assert_true(same);
    }
}

static void test_strn_and_keys_escaped(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "k\"ey\n");
    jsonw_strn(&w, "ab\0cd", 5);
    jsonw_key(&w, NULL);
    jsonw_strn(&w, "xyz", 2);
    jsonw_obj_end(&w);
    assert_string_equal(b.data, "{\"k\\\"ey\\n\":\"ab\\u0000cd\",\"\":\"xy\"}");
    buf_fini(&b);
}

static const struct dbl_case {
    double v;
    const char *want;
} dbl_cases[] = {
    {0.0, "0"},
    {-0.0, "-0"},
    {1.0, "1"},
    {100.0, "100"},
    {0.1, "0.1"},
    {-2.5, "-2.5"},
    {1.0 / 3.0, "0.3333333333333333"},
    {0.30000000000000004, "0.30000000000000004"},
    {1e21, "1e+21"},
    {1e-7, "1e-07"},
    {123456789012345680.0, "1.2345678901234568e+17"},
    {5e-324, "4.94065645841247e-324"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
};

static void test_doubles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dbl_cases / sizeof dbl_cases[0]; i++) {
        buf b = BUF_INIT;
        jsonw w;
        jsonw_init(&w, &b, 0);
        jsonw_double(&w, dbl_cases[i].v);
        bool same = strcmp(b.data, dbl_cases[i].want) == 0;
        if (!same)
            print_error("case %zu: got %s, want %s\n", i, b.data, dbl_cases[i].want);
        buf_fini(&b);
        assert_true(same);
    }
}

static void test_doubles_nonfinite(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_arr_begin(&w);
    jsonw_double(&w, NAN);
    jsonw_double(&w, INFINITY);
    jsonw_double(&w, -INFINITY);
    jsonw_arr_end(&w);
    assert_string_equal(b.data, "[null,null,null]");
    buf_fini(&b);
}

/* Every written double reads back as the same value. */
static void test_doubles_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v))
            continue;
        buf b = BUF_INIT;
        jsonw w;
        jsonw_init(&w, &b, 0);
        jsonw_double(&w, v);
        char *end;
        double back = strtod(b.data, &end);
        assert_int_equal(*end, '\0');
        bool same = memcmp(&back, &v, sizeof v) == 0;
        if (!same)
            print_error("%.17g written as %s\n", v, b.data);
        buf_fini(&b);
        assert_true(same);
    }
}

/* With a comma-decimal locale the output must still use '.'. Runs only where such a
 * locale is installed (skipped otherwise). */
static void test_doubles_locale(void **state)
{
    (void)state;
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (!got)
        skip();
    buf b = BUF_INIT;
    jsonw w;
    jsonw_init(&w, &b, 0);
    jsonw_arr_begin(&w);
    jsonw_double(&w, 2.5);
    jsonw_double(&w, 0.1);
    jsonw_arr_end(&w);
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(b.data, "[2.5,0.1]");
    buf_fini(&b);
}

/* Misuse makes the output unusable, reported through the buffer's failed flag. */
static void test_misuse_sets_failed(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    jsonw w;

    jsonw_init(&w, &b, 0);
    for (int i = 0; i < JSONW_MAX_DEPTH + 5; i++)
        jsonw_arr_begin(&w);
    assert_false(buf_ok(&b));
    buf_fini(&b);

    jsonw_init(&w, &b, 0);
    jsonw_arr_begin(&w);
    for (int i = 0; i < JSONW_MAX_DEPTH - 2; i++)
        jsonw_arr_begin(&w);
    assert_true(buf_ok(&b)); /* the deepest allowed level */
    buf_fini(&b);

    jsonw_init(&w, &b, 0);
    jsonw_obj_end(&w); /* end without begin */
    assert_false(buf_ok(&b));
    buf_fini(&b);

    jsonw_init(&w, &b, 0);
    jsonw_key(&w, "top"); /* key outside an object */
    assert_false(buf_ok(&b));
    buf_fini(&b);

    jsonw_init(&w, &b, 0);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "k");
    jsonw_obj_end(&w); /* key without value */
    assert_false(buf_ok(&b));
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_structure),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_top_level_values),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_escape_table),
        cmocka_unit_test(test_strn_and_keys_escaped),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_doubles_nonfinite),
        cmocka_unit_test(test_doubles_roundtrip),
        cmocka_unit_test(test_doubles_locale),
        cmocka_unit_test(test_misuse_sets_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
