/* test_hlog.c - lib/hlog: header and line format, round trip with several intervals and tags,
 * reading a log written by hdr-histogram-js, tolerant parsing, malformed lines. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/guard.h"

#include "hlog.h"

static hist *ptest_hist(void)
{
    hist *h = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &h), 0);
    return h;
}

/* Growable text for building logs in tests. */
typedef struct text {
    char *s;
    size_t len;
} text;

static void text_add(text *t, char *s, size_t n)
{
    t->s = realloc(t->s, t->len + n + 1);
    assert_non_null(t->s);
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
    free(s);
}

/* ---------------------------------------------------------------- writing ----------- */

static void test_header_format(void **state)
{
    (void)state;
    char *s = NULL;
    size_t n;
    assert_int_equal(
        hlog_format_header(UINT64_C(1700000000123), UINT64_C(1700000000000), "[Logged with ptest 1.0]", &s, &n), 0);
    const char *want = "#[Logged with ptest 1.0]\n"
                       "#[Histogram log format version 1.3]\n"
                       "#[StartTime: 1700000000.123 (seconds since epoch), 2023-11-14T22:13:20Z]\n"
                       "#[BaseTime: 1700000000.000 (seconds since epoch)]\n"
                       "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                       "\"Interval_Compressed_Histogram\"\n";
    assert_string_equal(s, want);
    assert_int_equal(n, strlen(want));
    free(s);

    assert_int_equal(hlog_format_header(5, 7, NULL, &s, &n), 0);
    assert_true(strncmp(s, "#[Histogram log format version 1.3]\n#[StartTime: 0.005 ", 55) == 0);
    assert_non_null(strstr(s, "#[BaseTime: 0.007 (seconds since epoch)]\n"));
    free(s);

    static const char *bad[] = {"two\nlines", "cr\r", "nul-free but \x01 control", "del\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hlog_format_header(0, 0, bad[i], &s, &n), HLOG_EINVAL);
}

static void test_interval_format(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    hist_record(h, 3600000000u);
    char *s = NULL;
    size_t n;
    assert_int_equal(hlog_format_interval("GET_/A", 1500, 250, h, 1e6, &s, &n), 0);
    /* max 3600809983 us / 1e6 */
    assert_true(strncmp(s, "Tag=GET_/A,1.500,0.250,3600.810,HISTFAA", 39) == 0);
    assert_int_equal(s[n - 1], '\n');
    assert_int_equal(strlen(s), n);
    free(s);
    assert_int_equal(hlog_format_interval(NULL, UINT64_C(86400123), 1000, h, HLOG_MAX_RATIO_US_TO_MS, &s, &n), 0);
    assert_true(strncmp(s, "86400.123,1.000,3600809.983,HISTFAA", 35) == 0);
    free(s);

    static const struct {
        const char *tag;
        double ratio;
    } bad[] = {
        {"", 1000},     {"a,b", 1000},  {"a b", 1000},         {"a\tb", 1000},
        {"a\nb", 1000}, {"\x01", 1000}, {"caf\xc3\xa9", 1000}, {"x\x7f", 1000},
        {"ok", 0},      {"ok", -1},     {NULL, NAN},           {NULL, INFINITY},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = NULL;
        if (hlog_format_interval(bad[i].tag, 0, 1000, h, bad[i].ratio, &s, &n) != HLOG_EINVAL)
            fail_msg("bad case %zu accepted", i);
        assert_null(s);
    }
    hist_destroy(h);
}

/* ---------------------------------------------------------------- round trip -------- */

static void test_round_trip_intervals_and_tags(void **state)
{
    (void)state;
    enum { N = 9 };
    static const char *tags[N] = {NULL, "A", "B", NULL, "A", "GET_/F", "B", NULL, "A"};
    hist *h[N];
    text log = {NULL, 0};
    char *s;
    size_t n;
    assert_int_equal(hlog_format_header(UINT64_C(1700000000000), UINT64_C(1700000000000), "[test]", &s, &n), 0);
    text_add(&log, s, n);
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < N; i++) {
        h[i] = ptest_hist();
        for (int k = 0; k < i * 300; k++) { /* interval 0 is empty */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            hist_record(h[i], x % (i % 2 ? 5000000000u : 100000u)); /* some clamped */
        }
        assert_int_equal(
            hlog_format_interval(tags[i], (uint64_t)i * 1000 + 5, 1000, h[i], HLOG_MAX_RATIO_US_TO_MS, &s, &n), 0);
        text_add(&log, s, n);
    }

    guarded g;
    guard_copy(&g, log.s, log.len); /* no NUL terminator */
    hlog_reader r;
    hlog_interval iv;
    hlog_reader_init(&r, g.p, log.len);
    for (int i = 0; i < N; i++) {
        assert_int_equal(hlog_next(&r, &iv), 1);
        if (tags[i]) {
            assert_non_null(iv.tag);
            assert_int_equal(iv.tag_len, strlen(tags[i]));
            assert_memory_equal(iv.tag, tags[i], iv.tag_len);
        } else {
            assert_null(iv.tag);
        }
        assert_true(iv.start_s == (double)(i * 1000 + 5) / 1000.0);
        assert_true(iv.length_s == 1.0);
        assert_true(iv.max > (double)hist_max(h[i]) / 1000.0 - 0.001 &&
                    iv.max < (double)hist_max(h[i]) / 1000.0 + 0.001);
        assert_int_equal(iv.h->total_count, h[i]->total_count);
        assert_memory_equal(iv.h->counts, h[i]->counts, h[i]->counts_len * sizeof(uint64_t));
        assert_int_equal(r.line_no, 6 + (size_t)i);
        hist_destroy(iv.h);
    }
    assert_int_equal(hlog_next(&r, &iv), 0);
    assert_int_equal(hlog_next(&r, &iv), 0);
    assert_true(r.has_start_time && r.start_time_s == 1700000000.0);
    assert_true(r.has_base_time && hlog_base_time(&r) == 1700000000.0);
    assert_string_equal(r.version, "1.3");
    guard_fini(&g);

    /* a merge of the "A" intervals equals adding the sources */
    hist *want = ptest_hist(), *got = ptest_hist();
    for (int i = 0; i < N; i++)
        if (tags[i] && !strcmp(tags[i], "A"))
            assert_int_equal(hist_add(want, h[i]), 0);
    hlog_reader_init(&r, log.s, log.len);
    while (hlog_next(&r, &iv) == 1) {
        if (iv.tag && iv.tag_len == 1 && iv.tag[0] == 'A')
            assert_int_equal(hist_add(got, iv.h), 0);
        hist_destroy(iv.h);
    }
    assert_int_equal(got->total_count, want->total_count);
    assert_memory_equal(got->counts, want->counts, want->counts_len * sizeof(uint64_t));
    hist_destroy(want);
    hist_destroy(got);
    for (int i = 0; i < N; i++)
        hist_destroy(h[i]);
    free(log.s);
}

/* Written by hdr-histogram-js 3.0.1 HistogramLogWriter (outputLogFormatVersion,
 * outputStartTime, outputLegend, two intervals): note the blank line its StartTime comment
 * leaves, the absolute timestamps and the missing BaseTime. */
static const char js_log[] =
    "#[Histogram log format version 1.3]\n"
    "#[StartTime: 1700000000.123 (seconds since epoch), Tue Nov 14 2023 22:13:20 GMT+0000 "
    "(Coordinated Universal Time)]\n"
    "\n"
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    "Tag=GET_/A,1700000000.123,1.000,0.200,"
    "HISTFAAAACl4nJNpmSzMwMDAxsDAwMjAwMDMAAEgNsO1yUsYYPzjjExHGZkAZIAE8g==\n"
    "1700000001.123,1.000,5.000,HISTFAAAACJ4nJNpmSzMwMDAzMDAwAilGaBshmuTlzDA+IeN+QBVpwRh\n";

static void test_read_reference_log(void **state)
{
    (void)state;
    guarded g;
    guard_copy(&g, js_log, sizeof(js_log) - 1);
    hlog_reader r;
    hlog_interval iv;
    hlog_reader_init(&r, g.p, sizeof(js_log) - 1);
    assert_int_equal(hlog_next(&r, &iv), 1);
    assert_int_equal(iv.tag_len, 6);
    assert_memory_equal(iv.tag, "GET_/A", 6);
    assert_true(iv.start_s == 1700000000.123);
    assert_int_equal(iv.h->total_count, 2);
    assert_int_equal(hist_count_at_value(iv.h, 100), 1);
    assert_int_equal(hist_count_at_value(iv.h, 200), 1);
    assert_int_equal(iv.h->highest, HIST_PTEST_HIGHEST);
    hist_destroy(iv.h);
    assert_int_equal(hlog_next(&r, &iv), 1);
    assert_null(iv.tag);
    assert_int_equal(iv.h->total_count, 7);
    assert_int_equal(hist_value_at_percentile(iv.h, 50), 5003); /* bucket [5000, 5003] */
    hist_destroy(iv.h);
    assert_int_equal(hlog_next(&r, &iv), 0);
    assert_false(r.has_base_time);
    assert_true(hlog_base_time(&r) == 0.0); /* absolute stamps */
    guard_fini(&g);
}

static void test_line_endings_and_blanks(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    hist_record(h, 777);
    char *b64 = NULL;
    size_t bl;
    assert_int_equal(hlog_encode_histogram(h, &b64, &bl), 0);
    /* pre + base64 + post */
    static const struct {
        const char *pre, *post;
    } layouts[] = {
        {"#[StartTime: 1700000000.000 (seconds since epoch), x]\r\n\r\n0.000,1.000,0.777,", "\r\n"},
        {"#[StartTime: 1700000000.000 (seconds since epoch), x]\r0.000,1.000,0.777,", "\r"},
        {"  \t \n# any comment, with commas\n\"legend\"\n0.000,1.000,0.777,", ""}, /* no EOL */
        {" 0.000 , 1.000 , 0.777 , ", " \n"},                                      /* padded fields */
        {"Tag=x,0.000,1.000,0.777,", "\n\n\n"},
    };
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "%s%s%s", layouts[i].pre, b64, layouts[i].post);
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        guarded g;
        guard_copy(&g, buf, (size_t)n);
        hlog_reader r;
        hlog_interval iv;
        hlog_reader_init(&r, g.p, (size_t)n);
        if (hlog_next(&r, &iv) != 1)
            fail_msg("layout %zu not read", i);
        assert_int_equal(iv.h->total_count, 1);
        assert_int_equal(hist_count_at_value(iv.h, 777), 1);
        hist_destroy(iv.h);
        assert_int_equal(hlog_next(&r, &iv), 0);
        guard_fini(&g);
    }
    free(b64);
    hist_destroy(h);
}

static void test_base_time_rule(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    char *b64 = NULL;
    size_t bl;
    assert_int_equal(hlog_encode_histogram(h, &b64, &bl), 0);
    static const struct {
        const char *head;
        const char *start;
        double base;
    } t[] = {
        {"#[StartTime: 1700000000.500 (seconds since epoch), x]\n", "0.000", 1700000000.5},
        {"#[StartTime: 1700000000.500 (seconds since epoch), x]\n", "1700000001.000", 0.0},
        {"#[StartTime: 1700000000.500 (seconds since epoch), x]\n#[BaseTime: 12.250 (x)]\n", "0.000", 12.25},
        {"", "5.000", 0.0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "%s%s,1.000,0.000,%s\n", t[i].head, t[i].start, b64);
        hlog_reader r;
        hlog_interval iv;
        hlog_reader_init(&r, buf, (size_t)n);
        assert_int_equal(hlog_next(&r, &iv), 1);
        hist_destroy(iv.h);
        if (hlog_base_time(&r) != t[i].base)
            fail_msg("case %zu: base %f", i, hlog_base_time(&r));
    }
    free(b64);
    hist_destroy(h);
}

/* ---------------------------------------------------------------- malformed --------- */

static void test_malformed_lines(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    hist_record(h, 5);
    char *b64 = NULL;
    size_t bl;
    assert_int_equal(hlog_encode_histogram(h, &b64, &bl), 0);
    /* Each line is pre + the valid base64 + post (post NULL: pre alone). Lengths are explicit
     * so that lines can carry NUL bytes. */
#define L(s) s, sizeof(s) - 1
    static const struct {
        const char *pre;
        size_t pre_len;
        const char *post;
        size_t post_len;
        int rc;
    } t[] = {
        {L("1.0,1.0,1.0\n"), NULL, 0, HLOG_ESYNTAX}, /* 3 fields */
        {L("1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("1.0,1.0,1.0,"), L(",extra\n"), HLOG_ESYNTAX}, /* 5 fields */
        {L("a,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("-1.0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("1e3,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("1.,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L(".5,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("1.0.0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("nan,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("0x10,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("1234567890123456789,1.0,1.0,"), L("\n"), HLOG_ESYNTAX}, /* too many digits */
        {L("1.0\0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},               /* NUL in a number */
        {L(",,,\n"), NULL, 0, HLOG_ESYNTAX},
        {L("Tag=A\n"), NULL, 0, HLOG_ESYNTAX},
        {L("Tag=a b,1.0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("Tag=a\x01,1.0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("Tag=a\0,1.0,1.0,1.0,"), L("\n"), HLOG_ESYNTAX},
        {L("just words\n"), NULL, 0, HLOG_ESYNTAX},
        {L("1.0,1.0,1.0,!!!!\n"), NULL, 0, HLOG_EBASE64},
        {L("1.0,1.0,1.0,"), L("\0\n"), HLOG_EBASE64},      /* NUL after the base64 */
        {L("1.0,1.0,1.0,\n"), NULL, 0, HIST_ECORRUPT},     /* empty histogram field */
        {L("1.0,1.0,1.0,AAAA\n"), NULL, 0, HIST_ECORRUPT}, /* 3 zero bytes */
        {L("1.0,1.0,1.0,AAAAAAAA\n"), NULL, 0, HIST_ECOOKIE},
        {L("1.0,1.0,1.0,HISTFAAAAAA=\n"), NULL, 0, HIST_ECORRUPT}, /* compressed, length 0 */
        {L("#[StartTime: abc (seconds since epoch)]\n"), NULL, 0, HLOG_ESYNTAX},
        {L("#[BaseTime: ]\n"), NULL, 0, HLOG_ESYNTAX},
        {L("#[StartTime: 1.0.0 x]\n"), NULL, 0, HLOG_ESYNTAX},
    };
#undef L
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        /* the bad line, then a valid one: the reader must go on after the error */
        char buf[1024];
        size_t n = 0;
        memcpy(buf, t[i].pre, t[i].pre_len);
        n = t[i].pre_len;
        if (t[i].post) {
            memcpy(buf + n, b64, bl);
            n += bl;
            memcpy(buf + n, t[i].post, t[i].post_len);
            n += t[i].post_len;
        }
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "9.000,1.000,0.005,%s\n", b64);
        guarded g;
        guard_copy(&g, buf, n);
        hlog_reader r;
        hlog_interval iv;
        hlog_reader_init(&r, g.p, n);
        int rc = hlog_next(&r, &iv);
        if (rc != t[i].rc)
            fail_msg("case %zu: rc %d (%s), want %d", i, rc, hlog_strerror(rc), t[i].rc);
        assert_int_equal(r.line_no, 1);
        assert_int_equal(hlog_next(&r, &iv), 1);
        assert_true(iv.start_s == 9.0);
        assert_int_equal(iv.h->total_count, 1);
        hist_destroy(iv.h);
        assert_int_equal(hlog_next(&r, &iv), 0);
        guard_fini(&g);
    }
    free(b64);
    hist_destroy(h);

    /* empty and whitespace-only inputs have no intervals */
    hlog_reader r;
    hlog_interval iv;
    hlog_reader_init(&r, "", 0);
    assert_int_equal(hlog_next(&r, &iv), 0);
    hlog_reader_init(&r, "\n\r\n  \n#\n", 7);
    assert_int_equal(hlog_next(&r, &iv), 0);
    assert_string_equal(hlog_strerror(HLOG_ESYNTAX), "malformed interval log line");
    assert_string_equal(hlog_strerror(HIST_ECOOKIE), "unknown histogram encoding cookie");
}

static void test_decode_histogram_padding(void **state)
{
    (void)state;
    hist *h = ptest_hist(), *d = NULL;
    hist_record_n(h, 42, 3);
    char *b64 = NULL;
    size_t bl;
    assert_int_equal(hlog_encode_histogram(h, &b64, &bl), 0);
    assert_int_equal(strlen(b64), bl);
    assert_true(strncmp(b64, "HISTFAAAA", 9) == 0); /* 1c 84 93 14 00 00 00 .. */
    char padded[256];
    int n = snprintf(padded, sizeof(padded), " \t%s \t", b64);
    assert_int_equal(hlog_decode_histogram(padded, (size_t)n, &d), 0);
    assert_int_equal(hist_count_at_value(d, 42), 3);
    hist_destroy(d);
    d = NULL;
    assert_int_equal(hlog_decode_histogram(b64, bl - 1, &d), HLOG_EBASE64); /* cut */
    assert_null(d);
    free(b64);
    hist_destroy(h);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_hlog_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* larger than the loader's first chunk, with a NUL inside */
    size_t len = 200000;
    char *content = malloc(len);
    for (size_t i = 0; i < len; i++)
        content[i] = (char)('a' + i % 26);
    content[1000] = '\0';
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    char *data = NULL;
    size_t got;
    assert_int_equal(hlog_load_file(path, &data, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(data, content, len);
    assert_int_equal(data[len], '\0');
    free(data);
    unlink(path);
    free(content);

    errno = 0;
    assert_int_equal(hlog_load_file("/nonexistent/dir/x.hlog", &data, &got), HLOG_EIO);
    assert_int_equal(errno, ENOENT);

    /* empty file */
    strcpy(path, "/tmp/test_hlog_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hlog_load_file(path, &data, &got), 0);
    assert_int_equal(got, 0);
    assert_string_equal(data, "");
    free(data);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_format),
        cmocka_unit_test(test_interval_format),
        cmocka_unit_test(test_round_trip_intervals_and_tags),
        cmocka_unit_test(test_read_reference_log),
        cmocka_unit_test(test_line_endings_and_blanks),
        cmocka_unit_test(test_base_time_rule),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_decode_histogram_padding),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
