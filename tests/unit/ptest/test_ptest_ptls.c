/* test_ptest_ptls.c - unit tests for ptest/client/ptls.c: the context's file errors (file:line:col
 * for plan keys, the flag's name otherwise), the one-line reasons, the first error kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "ptest/client/ptls.h"

static void plan_for(plan *p, const char *host)
{
    memset(p, 0, sizeof(*p));
    p->source = "plan.yaml";
    p->target.host = (char *)host;
    p->target.tls = true;
}

static void test_create(void **state)
{
    (void)state;
    plan p;
    ptls *t = NULL;
    char err[1024];

    /* System store, a name: SNI and the verified name are the host. */
    plan_for(&p, "svc.example");
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), 0);
    assert_non_null(t);
    assert_string_equal(t->name, "svc.example");
    assert_null(t->ip);
    assert_true(t->verify);
    assert_null(ptls_first_error(t));
    ptls_destroy(t);

    /* A numeric target: no SNI, its address is verified; server_name replaces both. */
    plan_for(&p, "::1");
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), 0);
    assert_null(t->name);
    assert_string_equal(t->ip, "::1");
    ptls_destroy(t);
    p.tls.server_name = "api.example";
    p.tls.insecure = true;
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), 0);
    assert_string_equal(t->name, "api.example");
    assert_false(t->verify);
    ptls_destroy(t);

    /* A missing CA file named where the plan set it; a flag by its name. */
    plan_for(&p, "h");
    char missing[] = "/nonexistent/ca.pem";
    p.tls.file[PLAN_TLS_CACERT] = missing;
    p.tls.line[PLAN_TLS_CACERT] = 3;
    p.tls.col[PLAN_TLS_CACERT] = 15;
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), -1);
    assert_null(t);
    assert_string_equal(err, "plan.yaml:3:15: tls.cacert /nonexistent/ca.pem: cannot read: No such file or directory");
    p.tls.line[PLAN_TLS_CACERT] = 0;
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), -1);
    assert_string_equal(err, "--cacert /nonexistent/ca.pem: cannot read: No such file or directory");

    /* A file that is no PEM: the library's reason. */
    char junk[] = "/tmp/ptest_tls_junk.XXXXXX";
    int fd = mkstemp(junk);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a certificate\n", 18), 18);
    close(fd);
    p.tls.file[PLAN_TLS_CACERT] = junk;
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "--cacert %s: no CA certificate loaded (PEM expected): error:", junk);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got %s", err);
    p.tls.file[PLAN_TLS_CACERT] = NULL;
    p.tls.file[PLAN_TLS_CERT] = junk;
    p.tls.line[PLAN_TLS_CERT] = 4;
    p.tls.col[PLAN_TLS_CERT] = 9;
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "plan.yaml:4:9: tls.cert %s: no client certificate loaded (PEM expected): error:", junk);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got %s", err);
    unlink(junk);
}

static void test_reasons(void **state)
{
    (void)state;
    plan p;
    ptls *t = NULL;
    char err[512], why[512];
    plan_for(&p, "h");
    assert_int_equal(ptls_create(&t, &p, 0, err, sizeof err), 0);
    ptls_reason(t, NULL, SSL_ERROR_SYSCALL, 0, true, why, sizeof why);
    assert_string_equal(why, "the server closed the connection during the TLS handshake (plain http on this port, "
                             "or the server refused the client's TLS offer?)");
    ptls_reason(t, NULL, SSL_ERROR_ZERO_RETURN, 0, false, why, sizeof why);
    assert_string_equal(why, "the server closed the connection in a TLS record");
    ptls_reason(t, NULL, SSL_ERROR_SYSCALL, 104, true, why, sizeof why);
    assert_string_equal(why, "Connection reset by peer during the TLS handshake");
    /* The first error is kept, later ones are not. */
    ptls_note_error(t, "first");
    ptls_note_error(t, "second");
    assert_string_equal(ptls_first_error(t), "first");
    ptls_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
