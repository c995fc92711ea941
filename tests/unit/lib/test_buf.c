/* test_buf.c - growable buffer: appends, printf, consume, failure flag, atomic file write,
 * reading a whole fd or file with a limit, write-all. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"

static void test_append_and_nul(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_append(&b, "ab\0cd", 5), 0); /* embedded NUL is data */
    assert_int_equal(buf_puts(&b, "ef"), 0);
    assert_int_equal(buf_putc(&b, 'g'), 0);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "ab\0cdefg", 9); /* terminated, NUL not counted */
    assert_true(b.cap > b.len);
    assert_true(buf_ok(&b));
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 8);
    buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_growth_many(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[100000], '\0');
    for (int i = 0; i < 100000; i += 9973)
        assert_int_equal(b.data[i], 'a' + i % 26);
    buf_fini(&b);
}

static void test_printf(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    assert_int_equal(buf_printf(&b, "%d", 42), 0);
    assert_string_equal(b.data, "42");
    assert_int_equal(buf_printf(&b, " x=%05d;", -7), 0);
    assert_string_equal(b.data, "42 x=-0007;");
    assert_int_equal(buf_printf(&b, "%s", ""), 0); /* empty output */
    assert_int_equal(buf_printf(&b, "%%%c", 'q'), 0);
    assert_string_equal(b.data, "42 x=-0007;%q");
    assert_int_equal(b.len, strlen("42 x=-0007;%q"));
    buf_fini(&b);

    buf e = BUF_INIT; /* never allocated before */
    assert_int_equal(buf_printf(&e, "%s", ""), 0);
    assert_non_null(e.data);
    assert_string_equal(e.data, "");
    buf_fini(&e);
}

/* Output larger than the spare room forces the grow-and-retry path. */
static void test_printf_long(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_puts(&b, "head:"), 0);
    assert_int_equal(buf_printf(&b, "[%s]%d", big, 7), 0);
    assert_int_equal(b.len, 5 + 1 + 4999 + 1 + 1);
    assert_memory_equal(b.data, "head:[zz", 8);
    assert_string_equal(b.data + b.len - 3, "z]7");
    buf_fini(&b);
}

static void test_consume(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        const char *rest;
    } cases[] = {
        {0, "abcdef"}, {1, "bcdef"}, {5, "f"}, {6, ""}, {99, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b = BUF_INIT;
        buf_puts(&b, "abcdef");
        buf_consume(&b, cases[i].n);
        assert_int_equal(b.len, strlen(cases[i].rest));
        assert_string_equal(b.data, cases[i].rest);
        buf_fini(&b);
    }
    buf e = BUF_INIT;
    buf_consume(&e, 0); /* on a never-allocated buffer */
    assert_int_equal(e.len, 0);
}

static void test_reset_keeps_capacity(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    buf_puts(&b, "hello");
    size_t cap = b.cap;
    b.failed = true;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_true(buf_ok(&b));
    assert_string_equal(b.data, "");
    buf_fini(&b);
}

/* A length that cannot be allocated sets failed; later appends are refused (no data
 * appended after a gap), and the content so far stays intact. */
static void test_overflow_sets_failed(void **state)
{
    (void)state;
    /* len is 2: SIZE_MAX - 2 is the first extra whose len + extra + 1 wraps. */
    static const size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 2};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        buf b = BUF_INIT;
        buf_puts(&b, "ok");
        assert_int_equal(buf_reserve(&b, huge[i]), -1);
        assert_false(buf_ok(&b));
        assert_int_equal(buf_puts(&b, "more"), -1);
        assert_int_equal(buf_printf(&b, "%d", 1), -1);
        assert_int_equal(buf_putc(&b, 'x'), -1);
        assert_int_equal(b.len, 2);
        assert_string_equal(b.data, "ok");
        buf_fini(&b);
    }
}

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    umask(022);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_buf.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

static size_t count_entries(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned n = 0;
    assert_int_equal(fscanf(p, "%u", &n), 1);
    pclose(p);
    return n;
}

static void test_write_file(void **state)
{
    (void)state;
    char path[128], got[64];
    snprintf(path, sizeof path, "%s/out.json", tmpdir);

    buf b = BUF_INIT;
    buf_append(&b, "first\0x", 7);
    assert_int_equal(buf_write_file(&b, path), 0);
    assert_int_equal(read_file(path, got, sizeof got), 7);
    assert_memory_equal(got, "first\0x", 7);

    /* Replacing an existing file, shorter content: no leftovers of the old one. */
    buf_reset(&b);
    buf_puts(&b, "2nd");
    assert_int_equal(buf_write_file(&b, path), 0);
    assert_int_equal(read_file(path, got, sizeof got), 3);
    assert_memory_equal(got, "2nd", 3);

    /* Empty buffer (never allocated) gives an empty file. */
    buf e = BUF_INIT;
    assert_int_equal(buf_write_file(&e, path), 0);
    assert_int_equal(read_file(path, got, sizeof got), 0);
    assert_int_equal(count_entries(tmpdir), 1); /* no temp files left behind */
    unlink(path);
    buf_fini(&b);
}

static void test_write_file_mode(void **state)
{
    (void)state;
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/secret", tmpdir);
    buf b = BUF_INIT;
    buf_puts(&b, "token");
    assert_int_equal(buf_write_file_mode(&b, path, 0600), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    unlink(path);
    buf_fini(&b);
}

static void test_write_file_errors(void **state)
{
    (void)state;
    char path[128];
    buf b = BUF_INIT;
    buf_puts(&b, "data");

    snprintf(path, sizeof path, "%s/missing-dir/out", tmpdir);
    errno = 0;
    assert_int_equal(buf_write_file(&b, path), -1);
    assert_int_equal(errno, ENOENT);

    /* A failed buffer is never written: the old file stays. */
    snprintf(path, sizeof path, "%s/keep", tmpdir);
    assert_int_equal(buf_write_file(&b, path), 0);
    b.failed = true;
    errno = 0;
    assert_int_equal(buf_write_file(&b, path), -1);
    assert_int_equal(errno, ENOMEM);
    char got[16];
    assert_int_equal(read_file(path, got, sizeof got), 4);

    /* Target is a directory: rename fails, temp file removed. */
    b.failed = false;
    snprintf(path, sizeof path, "%s/adir", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(buf_write_file(&b, path), -1);
    assert_int_equal(count_entries(tmpdir), 2); /* keep + adir */
    rmdir(path);
    snprintf(path, sizeof path, "%s/keep", tmpdir);
    unlink(path);
    buf_fini(&b);
}

/* A file of n bytes (i % 251) under tmpdir. */
static void make_file(const char *path, size_t n)
{
    buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_putc(&b, (char)(i % 251));
    assert_int_equal(buf_write_file(&b, path), 0);
    buf_fini(&b);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/in.bin", tmpdir);
    /* Sizes around the 4 KiB growth step and the limit. */
    static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        make_file(path, n);
        buf b = BUF_INIT;
        buf_puts(&b, "pre");                             /* appends after what is there */
        assert_int_equal(buf_read_file(&b, path, n), 0); /* exactly max bytes is fine */
        assert_int_equal(b.len, 3 + n);
        assert_non_null(b.data);
        assert_int_equal(b.data[b.len], '\0');
        for (size_t k = 0; k < n; k++)
            assert_int_equal((unsigned char)b.data[3 + k], k % 251);
        buf_fini(&b);
        if (n > 0) { /* one byte over the limit: EFBIG, the first max bytes kept */
            buf c = BUF_INIT;
            errno = 0;
            assert_int_equal(buf_read_file(&c, path, n - 1), -1);
            assert_int_equal(errno, EFBIG);
            assert_int_equal(c.len, n - 1);
            buf_fini(&c);
        }
    }
    buf e = BUF_INIT; /* an empty file still gives a string */
    make_file(path, 0);
    assert_int_equal(buf_read_file(&e, path, SIZE_MAX), 0);
    assert_non_null(e.data);
    assert_string_equal(e.data, "");
    buf_fini(&e);
    unlink(path);
    buf m = BUF_INIT;
    errno = 0;
    assert_int_equal(buf_read_file(&m, path, 10), -1); /* missing: open's errno */
    assert_int_equal(errno, ENOENT);
    buf_fini(&m);
}

static void test_read_fd_pipe_and_write_all(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the writer: more than a pipe holds, so writes are short */
        close(p[0]);
        _exit(buf_write_all(p[1], big, sizeof big) == 0 ? 0 : 1);
    }
    close(p[1]);
    buf b = BUF_INIT;
    assert_int_equal(buf_read_fd(&b, p[0], SIZE_MAX), 0);
    close(p[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(b.len, sizeof big);
    assert_memory_equal(b.data, big, sizeof big);
    buf_fini(&b);
    assert_int_equal(buf_write_all(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_nul),
        cmocka_unit_test(test_growth_many),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_reset_keeps_capacity),
        cmocka_unit_test(test_overflow_sets_failed),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_write_file_mode),
        cmocka_unit_test(test_write_file_errors),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_read_fd_pipe_and_write_all),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
