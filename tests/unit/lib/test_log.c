/* test_log.c - JSON-lines logging: every line is one valid JSON object, levels filter,
 * escaping holds, and lines from concurrent threads never interleave. */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* Runs fn with stderr redirected to a temporary file; returns the file's contents. */
static char *capture(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn();
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    long n = ftell(tmp);
    rewind(tmp);
    char *out = calloc(1, (size_t)n + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return out;
}

static void basic_lines(void)
{
    log_setup("unit", LOG_INFO);
    log_debug("hidden", NULL);
    log_info("started", NULL);
    log_warn("bad \xff utf8 and \"quotes\"\n", "\"addr\":\"%s\",\"n\":%u", "0.0.0.0:80", 3u);
    log_error("", NULL);
}

static void test_lines_are_json(void **state)
{
    (void)state;
    char *out = capture(basic_lines);
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (!j)
            fail_msg("not JSON: %s (%s)", line, jerr.text);
        assert_string_equal(json_string_value(json_object_get(j, "prog")), "unit");
        assert_non_null(json_string_value(json_object_get(j, "ts")));
        const char *lvl = json_string_value(json_object_get(j, "level"));
        const char *msg = json_string_value(json_object_get(j, "msg"));
        assert_non_null(lvl);
        assert_non_null(msg);
        if (lines == 0) {
            assert_string_equal(lvl, "info");
            assert_string_equal(msg, "started");
        } else if (lines == 1) {
            assert_string_equal(lvl, "warn");
            assert_non_null(strstr(msg, "\"quotes\"\n"));
            assert_string_equal(json_string_value(json_object_get(j, "addr")), "0.0.0.0:80");
            assert_int_equal(json_integer_value(json_object_get(j, "n")), 3);
        } else {
            assert_string_equal(lvl, "error");
        }
        json_decref(j);
        lines++;
    }
    assert_int_equal(lines, 3); /* debug filtered out */
    free(out);
}

static void *writer(void *arg)
{
    for (int i = 0; i < 2000; i++)
        log_info("thread line", "\"t\":%d,\"i\":%d", (int)(intptr_t)arg, i);
    return NULL;
}

static void threaded_lines(void)
{
    log_setup("unit", LOG_INFO);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}

static void test_threads_do_not_interleave(void **state)
{
    (void)state;
    char *out = capture(threaded_lines);
    int seen[4] = {0};
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        if (!j)
            fail_msg("interleaved or broken line: %s", line);
        int t = (int)json_integer_value(json_object_get(j, "t"));
        int i = (int)json_integer_value(json_object_get(j, "i"));
        assert_true(t >= 0 && t < 4);
        assert_int_equal(i, seen[t]); /* each thread's lines in its order */
        seen[t]++;
        json_decref(j);
    }
    for (int t = 0; t < 4; t++)
        assert_int_equal(seen[t], 2000);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_are_json),
        cmocka_unit_test(test_threads_do_not_interleave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
